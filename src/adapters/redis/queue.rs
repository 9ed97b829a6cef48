//! queue on Redis.
