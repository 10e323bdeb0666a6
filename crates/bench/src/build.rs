//! Building the servers under test, so one command measures current code.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};

/// The workspace root (this crate lives in `crates/bench`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where release binaries land: `$CARGO_TARGET_DIR/release` or
/// `<workspace>/target/release`.
pub fn release_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
        .join("release")
}

/// `cargo build --release --bins` of the given packages.
pub fn release_binaries(packages: &[&str]) -> anyhow::Result<PathBuf> {
    // `cargo run` sets CARGO to the cargo that runs us.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(workspace_root()).args(["build", "--release", "--bins"]);
    for package in packages {
        command.args(["-p", package]);
    }
    eprintln!("building release binaries: {}", packages.join(", "));
    let status = command.status().context("running cargo build")?;
    if !status.success() {
        bail!("cargo build failed ({status})");
    }
    Ok(release_dir())
}
