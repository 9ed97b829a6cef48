//! Black-box tests of the registries operations.
