//! Wake-ups of blocked polls and waits: every queue script that changes something publishes on
//! the `queue:wake` channel, and one subscription per [`super::RedisQueue`] turns each message
//! into a [`Notify`] of its local waiters. Waiters also look again after a short timeout, so a
//! lost subscription only slows them down.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::Notify;
use tokio::sync::futures::Notified;
use tokio::task::JoinHandle;

/// How long a subscription stays down before it is tried again.
const RESUBSCRIBE: Duration = Duration::from_secs(1);

/// The local end of the wake-up channel; stops listening when dropped.
pub(super) struct Wakeups {
    notify: Arc<Notify>,
    listener: JoinHandle<()>,
}

impl Wakeups {
    /// Subscribes to `channel` in the background (needs a tokio runtime).
    pub fn listen(client: redis::Client, channel: String) -> Self {
        let notify = Arc::new(Notify::new());
        let listener = tokio::spawn(listen(client, channel, notify.clone()));
        Self { notify, listener }
    }

    /// A wake-up to await; enable it before looking at the queue so that no change is missed.
    pub fn notified(&self) -> Notified<'_> {
        self.notify.notified()
    }
}

impl Drop for Wakeups {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

async fn listen(client: redis::Client, channel: String, notify: Arc<Notify>) {
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(&channel).await {
                Ok(()) => {
                    // Changes made while we were not subscribed are only seen after a look.
                    notify.notify_waiters();
                    let mut messages = pubsub.on_message();
                    while messages.next().await.is_some() {
                        notify.notify_waiters();
                    }
                    tracing::warn!(channel, "redis queue: wake-up subscription ended");
                }
                Err(e) => tracing::warn!(channel, error = %e, "redis queue: cannot subscribe to wake-ups"),
            },
            Err(e) => tracing::warn!(channel, error = %e, "redis queue: no connection for wake-ups"),
        }
        tokio::time::sleep(RESUBSCRIBE).await;
    }
}
