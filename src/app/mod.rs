//! The application: configuration, use cases and wiring.
