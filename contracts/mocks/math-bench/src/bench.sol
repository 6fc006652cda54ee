/// A math function refused its input (code: 1 overflow, 2 underflow, 3 division by zero, 4 non-positive input, 5 out of domain, 6 expiry in the past).
error MathFailed(uint8 code);
