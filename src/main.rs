//! The `nuthatch` binary: reads `.env` and the command line, runs the subcommand, and turns any
//! failure into one line on stderr and a non-zero exit.

use std::process::ExitCode;

use clap::Parser;
use nuthatch::app::{cli::Cli, dotenv};

/// jemalloc, for its sampling heap profiler (`/api/debug/pprof/heap`).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's start-up options: profiling compiled in but inactive (no sampling, no cost) until
/// switched on; then one sample per 512 KiB (2^19 bytes) allocated on average.
#[allow(non_upper_case_globals)]
#[unsafe(export_name = "_rjem_malloc_conf")]
pub static malloc_conf: &[u8] = b"prof:true,prof_active:false,lg_prof_sample:19\0";

fn main() -> ExitCode {
    // Before the runtime starts, while the process has one thread.
    if let Err(e) = dotenv::load(std::path::Path::new(".env")) {
        eprintln!("nuthatch: cannot read .env: {e}");
        return ExitCode::FAILURE;
    }
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("nuthatch: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli.run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nuthatch: {e:#}");
            ExitCode::FAILURE
        }
    }
}
