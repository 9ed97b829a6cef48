//! The agent gRPC protocol (v16): server and client.
