//! The durable queue on the SQL store.
