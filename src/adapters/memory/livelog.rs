//! In-process livelog.
