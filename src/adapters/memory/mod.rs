//! In-process adapters for a single server: the default queue, pub/sub and live logs.

pub mod livelog;
pub mod pubsub;
pub mod queue;
