//! A container's output as the port's reader: its log stream followed from the start,
//! stdout and stderr demultiplexed from the Engine API's 8-byte frame headers (bollard does
//! that) and written into one pipe, which ends when the container does.

use bollard::Docker;
use bollard::query_parameters::LogsOptions;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::ports::backend::Output;

/// How much output may wait for the reader before the log stream is paused.
const PIPE_CAPACITY: usize = 64 * 1024;

/// Follows the logs of `container` until it stops.
pub fn follow(docker: &Docker, container: &str) -> Output {
    let options = LogsOptions { follow: true, stdout: true, stderr: true, ..Default::default() };
    let mut logs = docker.logs(container, Some(options));
    let (reader, mut writer) = tokio::io::simplex(PIPE_CAPACITY);
    let container = container.to_owned();
    tokio::spawn(async move {
        while let Some(frame) = logs.next().await {
            match frame {
                Ok(frame) => {
                    // A dropped reader means nobody wants the rest.
                    if writer.write_all(&frame.into_bytes()).await.is_err() {
                        return;
                    }
                }
                Err(error) => {
                    tracing::warn!(container, %error, "container logs ended early");
                    return;
                }
            }
        }
        let _ = writer.shutdown().await;
    });
    Box::pin(reader)
}
