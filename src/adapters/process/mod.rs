//! The running process itself, as the operating system sees it.

pub mod code_pages;
