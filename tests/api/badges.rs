//! Black-box tests of the badges operations.
