//! In-process queue.
