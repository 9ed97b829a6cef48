//! Black-box tests of the agents operations.
