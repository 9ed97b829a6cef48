// Generates the agent protocol's gRPC code from proto/woodpecker.proto with protox, a pure-Rust
// protobuf compiler, so no system `protoc` is needed.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/woodpecker.proto");
    // Pack the binary's relative relocations (DT_RELR, glibc 2.36+, binutils 2.38+): the
    // classic table is ~2 MB that every process, the agent's too, reads at start-up.
    let linux_gnu = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu");
    if linux_gnu {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    let descriptors = protox::compile(["woodpecker.proto"], ["proto"])?;
    tonic_prost_build::configure().compile_fds(descriptors)?;
    Ok(())
}
