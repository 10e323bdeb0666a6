use belgrano_ahorro::{config::Environment, init_tracing, Application, Settings};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let production = Environment::from_env_value(std::env::var("RENDER_ENVIRONMENT").ok().as_deref()).is_production();
    init_tracing(production);
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            tracing::error!("configuración inválida: {error}");
            eprintln!("Belgrano Ahorro no arranca: {error}");
            std::process::exit(2);
        }
    };
    Application::build(settings).await?.run_until_stopped().await
}
