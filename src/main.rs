//! The `nuthatch` binary: reads `.env` and the command line, runs the subcommand, and turns any
//! failure into one line on stderr and a non-zero exit.

use std::process::ExitCode;

use clap::Parser;
use nuthatch::app::{cli::Cli, dotenv};

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
