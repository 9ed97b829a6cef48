//! The pub/sub contract run against every adapter: `memory::<behaviour>` and
//! `redis::<behaviour>` (each test on a key prefix of its own; `NUTHATCH_TEST_REDIS`).

#[path = "common/redis.rs"]
mod test_redis;

use std::time::Duration;

use futures_util::StreamExt;
use nuthatch::adapters::memory::pubsub::MemoryPubSub;
use nuthatch::adapters::redis::pubsub::RedisPubSub;
use nuthatch::ports::pubsub::{Event, PubSub, Subscription};

/// Two handles of one backend: the same process for memory, two servers for Redis.
struct Pair {
    a: Box<dyn PubSub>,
    b: Box<dyn PubSub>,
}

async fn memory() -> Pair {
    let shared = std::sync::Arc::new(MemoryPubSub::new());
    Pair { a: Box::new(Shared(shared.clone())), b: Box::new(Shared(shared)) }
}

async fn redis() -> Pair {
    let prefix = test_redis::unique_prefix();
    Pair {
        a: Box::new(RedisPubSub::new(test_redis::redis(&prefix).await)),
        b: Box::new(RedisPubSub::new(test_redis::redis(&prefix).await)),
    }
}

/// One memory pub/sub behind two handles.
struct Shared(std::sync::Arc<MemoryPubSub>);

#[async_trait::async_trait]
impl PubSub for Shared {
    async fn publish(&self, event: Event) -> Result<(), nuthatch::ports::pubsub::PubSubError> {
        self.0.publish(event).await
    }

    async fn subscribe(&self) -> Result<Subscription, nuthatch::ports::pubsub::PubSubError> {
        self.0.subscribe().await
    }
}

fn event(n: i64) -> Event {
    Event { repo_id: n, public: n % 2 == 0, data: format!(r#"{{"n":{n}}}"#).into_bytes() }
}

async fn next(sub: &mut Subscription) -> Event {
    tokio::time::timeout(Duration::from_secs(5), sub.next()).await.expect("no event within 5 s").unwrap()
}

async fn nothing_more(sub: &mut Subscription) {
    let waited = tokio::time::timeout(Duration::from_millis(300), sub.next()).await;
    assert!(waited.is_err(), "unexpected event: {waited:?}");
}

async fn publish_reaches_every_subscriber_in_order(p: Pair) {
    let mut first = p.a.subscribe().await.unwrap();
    let mut second = p.a.subscribe().await.unwrap();
    for n in 1..=20 {
        p.a.publish(event(n)).await.unwrap();
    }
    for sub in [&mut first, &mut second] {
        for n in 1..=20 {
            assert_eq!(next(sub).await, event(n));
        }
        nothing_more(sub).await;
    }
}

async fn subscribers_see_nothing_from_before_they_subscribed(p: Pair) {
    p.a.publish(event(1)).await.unwrap();
    let mut sub = p.a.subscribe().await.unwrap();
    nothing_more(&mut sub).await;
    p.a.publish(event(2)).await.unwrap();
    assert_eq!(next(&mut sub).await, event(2));
}

async fn handles_on_one_backend_see_each_others_events(p: Pair) {
    let mut on_a = p.a.subscribe().await.unwrap();
    let mut on_b = p.b.subscribe().await.unwrap();
    p.a.publish(event(1)).await.unwrap();
    p.b.publish(event(2)).await.unwrap();
    for sub in [&mut on_a, &mut on_b] {
        assert_eq!(next(sub).await, event(1));
        assert_eq!(next(sub).await, event(2));
    }
}

async fn a_lagging_subscriber_skips_the_oldest_and_keeps_going(p: Pair) {
    let mut slow = p.a.subscribe().await.unwrap();
    let total = 5_000;
    for n in 1..=total {
        p.a.publish(event(n)).await.unwrap();
    }
    let mut seen = Vec::new();
    while let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(500), slow.next()).await {
        seen.push(e.repo_id);
    }
    assert!(!seen.is_empty() && seen.len() < total as usize, "{} seen", seen.len());
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "in order");
    assert_eq!(seen.last(), Some(&total), "the newest events arrive");
}

macro_rules! contract {
    ($($behaviour:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $behaviour() {
                    super::$behaviour(super::memory().await).await;
                }
            )*
        }
        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $behaviour() {
                    super::$behaviour(super::redis().await).await;
                }
            )*
        }
    };
}

contract!(
    publish_reaches_every_subscriber_in_order,
    subscribers_see_nothing_from_before_they_subscribed,
    handles_on_one_backend_see_each_others_events,
    a_lagging_subscriber_skips_the_oldest_and_keeps_going,
);
