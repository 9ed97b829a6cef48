//! livelog on Redis.
