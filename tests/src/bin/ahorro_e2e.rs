//! The `ahorro` binary's exact entry point, built as part of this package
//! so the crash tests always run a fresh build as a child process they can
//! kill -9 (`CARGO_BIN_EXE_ahorro_e2e`). Same code as `crates/ahorro/src/main.rs`.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    belgrano_ahorro::startup::run_from_env().await
}
