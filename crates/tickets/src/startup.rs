//! Building and running the service. Tests bind port 0 and read the real
//! port from [`Application::port`].

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;

use belgrano_platform::outbox::Worker;
use tokio::sync::watch;

use crate::accounts::Accounts;
use crate::config::Settings;
use crate::domain::assign::{AssignmentStrategy, LeastLoaded};
use crate::http::{self, AppState, AppStateInner};
use crate::intake::Intake;
use crate::lifecycle::Lifecycle;
use crate::live::{self, Broadcaster};
use crate::notify::{self, ToAhorro};
use crate::store::{NewCourier, Store};

pub struct Application {
    listener: TcpListener,
    port: u16,
    router: axum::Router,
    store: Store,
    broadcaster: Broadcaster,
    writer: tokio::task::JoinHandle<()>,
    notifier: tokio::task::JoinHandle<()>,
    /// The mail worker; `None` in production without `SMTP_URL`.
    mailer: Option<tokio::task::JoinHandle<()>>,
    stop_workers: watch::Sender<bool>,
}

/// The five demo couriers of a development database.
pub fn demo_couriers() -> Vec<NewCourier> {
    (1..=5)
        .map(|n| NewCourier {
            email: format!("repartidor{n}@belgrano.local"),
            nombre: format!("Repartidor{n}"),
            telefono: Some(format!("11-5555-000{n}")),
        })
        .collect()
}

impl Application {
    /// Connects the database (running migrations), seeds development data,
    /// starts the intake writer and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        if settings.uses_legacy_api_key() {
            tracing::warn!(
                "⚠️  BELGRANO_AHORRO_API_KEY no está configurada: se usa la clave pública del sistema anterior. \
                 Sólo sirve para desarrollo; en producción el servicio no arranca así."
            );
        }
        // Install the metrics recorder before anything records.
        belgrano_platform::telemetry::prometheus();
        let store = Store::connect(&settings.database_url).await.context("connecting to the database")?;
        if settings.seed_demo_data {
            let created = store.seed_couriers_if_none(&demo_couriers()).await?;
            if created > 0 {
                tracing::info!("created {created} demo couriers (Repartidor1..Repartidor{created})");
            }
            crate::bootstrap::demo_accounts(&store, &demo_couriers()).await.context("creating the demo accounts")?;
        } else {
            // A database that once ran in development keeps its demo
            // accounts, whose passwords are public: none of them logs in here.
            crate::bootstrap::disable_demo_accounts(&store, &settings, &demo_couriers())
                .await
                .context("disabling the demo accounts")?;
        }
        crate::bootstrap::first_dispatcher(&store, &settings).await.context("creating the ADMIN_EMAIL dispatcher")?;

        let api_keys = Arc::new(settings.api_keys.clone());
        let fanout = match &settings.redis_url {
            Some(url) => live::Fanout::Redis { url, channel_prefix: settings.fanout_channel_prefix() },
            None => live::Fanout::Local,
        };
        let accounts = Accounts::new(store.clone());
        let (socket_layer, broadcaster) =
            live::socket_io(api_keys.clone(), accounts.clone(), store.clone(), fanout).await?;
        if broadcaster.is_shared() {
            tracing::info!("Socket.IO events shared with the other instances through Redis (reconnects by itself)");
        }
        let strategy: Arc<dyn AssignmentStrategy> = Arc::new(LeastLoaded);
        let (intake, writer) = Intake::start(store.clone(), strategy.clone(), broadcaster.clone());
        let to_ahorro = ToAhorro::new(&settings.ahorro_url, settings.api_keys.outgoing());
        let worker = Worker::new(store.notify_outbox().clone(), to_ahorro, notify::WORKER);
        let lifecycle = Lifecycle::new(store.clone(), strategy, broadcaster.clone(), worker.waker());
        let (stop_workers, workers_stopped) = watch::channel(false);
        // The second worker: the desk's mails (password reset links).
        let (mail_worker, mailer) = belgrano_platform::mail::spawn_worker(
            store.correos_outbox().clone(),
            &settings.mail,
            settings.environment,
            "tickets-correo",
            workers_stopped.clone(),
        )
        .map_err(|e| anyhow::anyhow!("SMTP_URL: {e}"))?;
        let notifier = tokio::spawn(worker.run(workers_stopped));
        let state = AppState::new(AppStateInner {
            settings: Arc::new(settings.clone()),
            store: store.clone(),
            accounts,
            intake,
            lifecycle,
            api_keys,
            broadcaster: broadcaster.clone(),
            mail_worker,
        });
        let router = http::router(state, socket_layer);

        let listener = belgrano_platform::runtime::bind(&settings.host, settings.port).await?;
        let port = listener.local_addr()?.port();
        Ok(Self { listener, port, router, store, broadcaster, writer, notifier, mailer, stop_workers })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until Ctrl-C or SIGTERM.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes, then stops accepting, finishes
    /// requests in flight, lets the intake writer drain, lets the notify
    /// worker finish its delivery in flight (unfinished rows stay in the
    /// outbox), closes the sockets and the database.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let backend = self.store.db().backend().as_str();
        tracing::info!(port = self.port, backend, "Belgrano Tickets escuchando en el puerto {}", self.port);
        belgrano_platform::runtime::serve(self.listener, self.router, shutdown).await?;
        // The router (and with it every intake handle) is gone: the writer
        // finishes its queue and stops.
        let _ = self.writer.await;
        let _ = self.stop_workers.send(true);
        let _ = self.notifier.await;
        if let Some(mailer) = self.mailer {
            let _ = mailer.await;
        }
        self.broadcaster.close().await;
        self.store.db().close().await;
        tracing::info!("Belgrano Tickets detenido");
        Ok(())
    }
}

/// The `tickets` binary: settings from the environment, serve until
/// SIGTERM or Ctrl-C. Exits with status 2 on bad configuration.
pub async fn run_from_env() -> anyhow::Result<()> {
    belgrano_platform::telemetry::init(belgrano_platform::runtime::Environment::from_process().is_production());
    let settings = belgrano_platform::runtime::settings_or_exit("Belgrano Tickets", Settings::from_env());
    Application::build(settings).await?.run_until_stopped().await
}

pub use belgrano_platform::runtime::shutdown_signal;
