//! Checks of the high-precision reference against independently known values.
#![allow(missing_docs)]

mod reference;
