//! Black-box tests of the crons operations.
