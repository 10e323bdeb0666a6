//! What both services do the same way at the edges of their life: which
//! environment they run in, and when to stop.

/// `RENDER_ENVIRONMENT`: `production` or `development` (any case); unset
/// or empty is development. Any other value is refused, so a typo such as
/// `prod` cannot silently start a production service as development (with
/// demo accounts and public keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

/// The values `RENDER_ENVIRONMENT` accepts.
pub const ENVIRONMENTS: &str = "production o development";

impl Environment {
    pub fn parse(value: Option<&str>) -> Result<Self, String> {
        match value.map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(Environment::Development),
            Some(v) if v.eq_ignore_ascii_case("production") => Ok(Environment::Production),
            Some(v) if v.eq_ignore_ascii_case("development") => Ok(Environment::Development),
            Some(other) => Err(format!("'{other}' no es un entorno: se espera {ENVIRONMENTS}")),
        }
    }

    /// From this process's `RENDER_ENVIRONMENT`, for what runs before the
    /// settings are read (the log format); a wrong value counts as
    /// production here, and the settings then refuse to start.
    pub fn from_process() -> Self {
        Self::parse(std::env::var("RENDER_ENVIRONMENT").ok().as_deref()).unwrap_or(Environment::Production)
    }

    pub fn is_production(self) -> bool {
        self == Environment::Production
    }
}

/// A binary's settings, or, when the environment is wrong, the error logged
/// and printed under the `service`'s name and exit status 2 (a bad
/// configuration is not a crash to restart from).
pub fn settings_or_exit<S, E: std::fmt::Display>(service: &str, settings: Result<S, E>) -> S {
    match settings {
        Ok(settings) => settings,
        Err(error) => {
            tracing::error!("configuración inválida: {error}");
            eprintln!("{service} no arranca: {error}");
            std::process::exit(2);
        }
    }
}

/// Binds the service's port (0: any free port, as tests do).
pub async fn bind(host: &str, port: u16) -> anyhow::Result<tokio::net::TcpListener> {
    use anyhow::Context;
    tokio::net::TcpListener::bind((host, port)).await.with_context(|| format!("binding {host}:{port}"))
}

/// Serves `router` on `listener` until `shutdown` completes, then stops
/// accepting and finishes the requests in flight. Handlers see the peer's
/// address (`ConnectInfo`), for rate limits by address.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service).with_graceful_shutdown(shutdown).await?;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM (Render stops instances with SIGTERM).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("señal de parada recibida: terminando lo que está en curso");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_documented_values_are_accepted() {
        assert_eq!(Environment::parse(Some(" Production ")), Ok(Environment::Production));
        assert_eq!(Environment::parse(Some("development")), Ok(Environment::Development));
        assert_eq!(Environment::parse(None), Ok(Environment::Development));
        assert_eq!(Environment::parse(Some("")), Ok(Environment::Development));
        for typo in ["prod", "staging", "produccion"] {
            assert!(Environment::parse(Some(typo)).unwrap_err().contains(typo), "{typo}");
        }
    }
}
