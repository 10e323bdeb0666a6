use belgrano_tickets::{telemetry, Application, Settings};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let production = belgrano_tickets::config::Environment::from_env_value(
        std::env::var("RENDER_ENVIRONMENT").ok().as_deref(),
    )
    .is_production();
    telemetry::init(production);
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            tracing::error!("configuración inválida: {error}");
            eprintln!("Belgrano Tickets no arranca: {error}");
            std::process::exit(2);
        }
    };
    Application::build(settings).await?.run_until_stopped().await
}
