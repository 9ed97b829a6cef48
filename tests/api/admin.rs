//! Black-box tests of the admin operations.
