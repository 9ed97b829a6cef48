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
    // Release binaries keep the code an idle agent runs side by side (see the script's comment).
    let idle_code = "src/adapters/process/agent_idle_code.ld";
    println!("cargo:rerun-if-changed={idle_code}");
    if linux_gnu && std::env::var("PROFILE").as_deref() == Ok("release") {
        let dir = std::env::var("CARGO_MANIFEST_DIR")?;
        println!("cargo:rustc-link-arg-bins=-Wl,-T,{dir}/{idle_code}");
    }
    let descriptors = protox::compile(["woodpecker.proto"], ["proto"])?;
    tonic_prost_build::configure().compile_fds(descriptors)?;
    Ok(())
}
