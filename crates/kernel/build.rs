//! Compiles the event schemas in `proto/` with protox (pure Rust, no system
//! `protoc`) and generates their Rust types with prost.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    let files = [
        "renkei/events/v1/envelope.proto",
        "renkei/events/v1/collab.proto",
        "renkei/events/v1/orders.proto",
        "renkei/events/v1/procurement.proto",
    ];
    let fds = protox::compile(files, [&root])?;
    prost_build::Config::new().compile_fds(fds)?;
    println!("cargo:rerun-if-changed={}", root.display());
    Ok(())
}
