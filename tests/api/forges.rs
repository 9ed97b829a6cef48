//! Black-box tests of the forges operations.
