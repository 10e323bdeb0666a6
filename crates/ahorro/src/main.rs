//! The `ahorro` binary (Render runs it alone; see `startup::run_from_env`).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    belgrano_ahorro::startup::run_from_env().await
}
