//! Black-box tests of the secrets operations.
