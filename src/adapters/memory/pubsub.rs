//! In-process pubsub.
