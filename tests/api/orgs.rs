//! Black-box tests of the orgs operations.
