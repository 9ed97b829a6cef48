//! pubsub on Redis.
