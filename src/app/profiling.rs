//! Profiles of the running server in the formats Go's `/debug/pprof` serves, so `go tool pprof`
//! and other pprof readers work against Nuthatch too:
//! - CPU: sampled with pprof-rs for a number of seconds, as gzip'd pprof protobuf;
//! - heap: jemalloc's sampled live allocations, as gzip'd pprof protobuf. Sampling is off unless
//!   switched on (at start with a debug or trace log level, or by the first heap request), and
//!   only works in the `nuthatch` binary, whose global allocator is jemalloc with profiling
//!   compiled in;
//! - tasks: what tokio's stable runtime metrics tell (Go's goroutine dump has no stable tokio
//!   equivalent: task dumps need a `tokio_unstable` build);
//! - the command line.

use std::io::Write;
use std::time::Duration;

use flate2::Compression;
use flate2::write::GzEncoder;
use pprof::protos::Message;

/// Samples per second of the CPU profiler (Go's default is 100 Hz as well).
const CPU_FREQUENCY: i32 = 100;

/// Why a profile could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum ProfilingError {
    /// A CPU profile is already being taken (one at a time, as in Go).
    #[error("cpu profiling already in use")]
    Busy,
    /// Heap profiling needs jemalloc with profiling as the global allocator.
    #[error("heap profiling is not available: the process does not run on jemalloc with profiling")]
    HeapUnavailable,
    /// Anything else, with its cause.
    #[error("cannot take the profile: {0}")]
    Failed(String),
}

/// Samples the CPU of every thread for `duration` and returns a gzip'd pprof protobuf.
///
/// # Errors
/// [`ProfilingError::Busy`] while another CPU profile runs; `Failed` for anything else.
pub async fn cpu_profile(duration: Duration) -> Result<Vec<u8>, ProfilingError> {
    // The profiler's guard is not `Send`: it lives on a blocking thread for the whole sampling.
    tokio::task::spawn_blocking(move || {
        let guard = pprof::ProfilerGuardBuilder::default()
            .frequency(CPU_FREQUENCY)
            // Frames inside these libraries cannot be unwound safely from a signal handler.
            .blocklist(&["libc", "libgcc", "pthread", "vdso"])
            .build()
            .map_err(|e| match e {
                pprof::Error::Running => ProfilingError::Busy,
                other => ProfilingError::Failed(other.to_string()),
            })?;
        std::thread::sleep(duration);
        let report = guard.report().build().map_err(|e| ProfilingError::Failed(e.to_string()))?;
        let profile = report.pprof().map_err(|e| ProfilingError::Failed(e.to_string()))?;
        gzip(&profile.encode_to_vec())
    })
    .await
    .map_err(|e| ProfilingError::Failed(e.to_string()))?
}

/// Starts sampling heap allocations (about one sample per 512 KiB allocated), if the allocator
/// can. Returns whether sampling is on.
pub async fn start_heap_sampling() -> bool {
    let Some(ctl) = jemalloc_pprof::PROF_CTL.as_ref() else {
        return false;
    };
    let mut ctl = ctl.lock().await;
    if !ctl.activated()
        && let Err(e) = ctl.activate()
    {
        tracing::warn!(error = %e, "cannot start heap sampling");
        return false;
    }
    true
}

/// The sampled live allocations as a gzip'd pprof protobuf (`inuse_space`). Starts sampling
/// first when it was off, so the first profile then holds only what was allocated since.
///
/// # Errors
/// [`ProfilingError::HeapUnavailable`] without jemalloc profiling; `Failed` when the dump fails.
pub async fn heap_profile() -> Result<Vec<u8>, ProfilingError> {
    if !start_heap_sampling().await {
        return Err(ProfilingError::HeapUnavailable);
    }
    let ctl = jemalloc_pprof::PROF_CTL.as_ref().ok_or(ProfilingError::HeapUnavailable)?;
    let mut ctl = ctl.lock().await;
    ctl.dump_pprof().map_err(|e| ProfilingError::Failed(format!("{e:#}")))
}

/// A text report of the async runtime's tasks and workers, from tokio's stable metrics.
pub fn task_report() -> String {
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return "no tokio runtime\n".to_owned();
    };
    let metrics = handle.metrics();
    let mut out = format!(
        "tokio runtime: {} alive tasks, {} workers, {} tasks in the global queue\n\
         (per-task stack traces need tokio's task dump, which only a build with \
         --cfg tokio_unstable has; this build reports the runtime's stable metrics)\n",
        metrics.num_alive_tasks(),
        metrics.num_workers(),
        metrics.global_queue_depth(),
    );
    for worker in 0..metrics.num_workers() {
        out.push_str(&format!(
            "worker {worker}: busy {:.3}s, parked {} times\n",
            metrics.worker_total_busy_duration(worker).as_secs_f64(),
            metrics.worker_park_count(worker),
        ));
    }
    out
}

/// The command line, arguments separated by NUL bytes as Go's `cmdline` profile has it.
pub fn command_line() -> String {
    std::env::args().collect::<Vec<_>>().join("\0")
}

/// Gzips a protobuf as pprof files are stored.
fn gzip(bytes: &[u8]) -> Result<Vec<u8>, ProfilingError> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).map_err(|e| ProfilingError::Failed(e.to_string()))?;
    encoder.finish().map_err(|e| ProfilingError::Failed(e.to_string()))
}
