//! The `tickets` binary's exact entry point, built as part of this package
//! so the stop tests run a fresh build as a child process they can send
//! SIGTERM (`CARGO_BIN_EXE_tickets_e2e`). Same code as `crates/tickets/src/main.rs`.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    belgrano_tickets::startup::run_from_env().await
}
