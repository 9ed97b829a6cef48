//! Server-sent events framing (the `text/event-stream` format) and the response around a
//! stream of frames: a `: ping` comment first and after every [`PING_EVERY`] without traffic,
//! so proxies keep the connection and clients notice a dead one.

use std::time::Duration;

use futures_util::{Stream, StreamExt, stream};
use poem::{Body, Response};

/// Idle time after which a `: ping` comment is sent.
pub const PING_EVERY: Duration = Duration::from_secs(30);

/// A comment line (`: text`), ignored by clients.
pub fn comment(text: &str) -> Vec<u8> {
    format!(": {text}\n\n").into_bytes()
}

/// A message: an optional `id:` and `event:` name, then the data, one `data:` line per line.
pub fn message(id: Option<u64>, event: Option<&str>, data: &str) -> Vec<u8> {
    let mut frame = String::new();
    if let Some(id) = id {
        frame.push_str(&format!("id: {id}\n"));
    }
    if let Some(event) = event {
        frame.push_str(&format!("event: {event}\n"));
    }
    for line in data.split('\n') {
        frame.push_str("data: ");
        frame.push_str(line.strip_suffix('\r').unwrap_or(line));
        frame.push('\n');
    }
    frame.push('\n');
    frame.into_bytes()
}

/// The frames with a ping in front and a ping whenever the source is idle for `every`; ends
/// when the source ends.
pub fn with_pings(
    frames: impl Stream<Item = Vec<u8>> + Send + 'static,
    every: Duration,
) -> impl Stream<Item = Vec<u8>> + Send {
    let idle_aware = stream::unfold(Box::pin(frames), move |mut frames| async move {
        match tokio::time::timeout(every, frames.next()).await {
            Ok(Some(frame)) => Some((frame, frames)),
            Ok(None) => None,
            Err(_) => Some((comment("ping"), frames)),
        }
    });
    stream::once(async { comment("ping") }).chain(idle_aware)
}

/// A 200 event-stream response over the frames (pings added), with upstream's headers: no
/// caching and no proxy buffering.
pub fn response(frames: impl Stream<Item = Vec<u8>> + Send + 'static) -> Response {
    let body = Body::from_bytes_stream(with_pings(frames, PING_EVERY).map(Ok::<Vec<u8>, std::io::Error>));
    Response::builder()
        .content_type("text/event-stream")
        .header("cache-control", "no-store")
        .header("connection", "keep-alive")
        .header("x-accel-buffering", "no")
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_carry_id_event_and_one_data_line_per_line() {
        assert_eq!(message(Some(3), None, "{}"), b"id: 3\ndata: {}\n\n");
        assert_eq!(message(None, Some("eof"), "eof"), b"event: eof\ndata: eof\n\n");
        assert_eq!(message(None, None, "a\r\nb"), b"data: a\ndata: b\n\n");
        assert_eq!(comment("ping"), b": ping\n\n");
    }

    #[tokio::test]
    async fn a_ping_comes_first_and_after_every_idle_period() {
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        let frames = tokio_stream::wrappers::ReceiverStream::new(rx);
        let mut s = Box::pin(with_pings(frames, Duration::from_millis(50)));
        assert_eq!(s.next().await.unwrap(), comment("ping"));
        tx.send(b"x".to_vec()).await.unwrap();
        assert_eq!(s.next().await.unwrap(), b"x");
        assert_eq!(s.next().await.unwrap(), comment("ping"), "idle for 50 ms");
        drop(tx);
        assert_eq!(s.next().await, None);
    }
}
