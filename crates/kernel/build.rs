//! Compiles the event schemas in `proto/` with protox (pure Rust, no system
//! `protoc`) and generates their Rust types with prost.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The checkout this build runs in, read when the script runs: cargo
    // may reuse one compiled build script for checkouts in other places
    // that share a target directory, so a path fixed at compile time can
    // name a checkout that is gone.
    let manifest = std::env::var("CARGO_MANIFEST_DIR")?;
    let root = std::path::Path::new(&manifest).join("../../proto");
    let files = [
        "renkei/events/v1/envelope.proto",
        "renkei/events/v1/collab.proto",
        "renkei/events/v1/orders.proto",
        "renkei/events/v1/procurement.proto",
    ];
    let fds = protox::compile(files, [&root])?;
    prost_build::Config::new().compile_fds(fds)?;
    println!("cargo:rerun-if-changed={}", root.display());
    // `sqlx::migrate!` embeds the migration files it finds, and on stable
    // Rust the compiler only watches the files that existed: a new kernel
    // migration would not be picked up until something else changed.
    // Watching the directory reruns this script, which rebuilds the crate.
    let migrations = std::path::Path::new(&manifest).join("../../migrations/kernel");
    println!("cargo:rerun-if-changed={}", migrations.display());
    Ok(())
}
