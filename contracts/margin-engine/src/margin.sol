/// A value left its range while valuing the account (size, price, overflow), or a price is missing.
error ValueOutOfRange(uint256 account);
/// The book does not have the documented layout (`length` words), or its parameters are out of bounds.
error InvalidBook(uint256 length);
