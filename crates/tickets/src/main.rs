//! The `tickets` binary (Render runs it alone; see `startup::run_from_env`).
//! `--help` lists what it reads from the environment.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    belgrano_tickets::config::ABOUT.handle_process_args();
    belgrano_tickets::startup::run_from_env().await
}
