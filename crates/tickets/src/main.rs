//! The `tickets` binary (Render runs it alone; see `startup::run_from_env`).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    belgrano_tickets::startup::run_from_env().await
}
