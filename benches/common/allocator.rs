//! The allocator the `nuthatch` binary ships with (jemalloc), so a benchmark measures the server
//! as it runs in production rather than with the system allocator.

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
