// Generates the agent protocol's gRPC code from proto/woodpecker.proto with protox, a pure-Rust
// protobuf compiler, so no system `protoc` is needed.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/woodpecker.proto");
    let descriptors = protox::compile(["woodpecker.proto"], ["proto"])?;
    tonic_prost_build::configure().compile_fds(descriptors)?;
    Ok(())
}
