//! Building and running the service. Tests bind port 0 and read the real
//! port from [`Application::port`].

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use belgrano_platform::outbox::{Config, Worker};
use belgrano_platform::password;
use belgrano_platform::retry::REQUEST_TIMEOUT;
use belgrano_platform::runtime::{Environment, settings_or_exit};
use belgrano_platform::telemetry;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::accounts::Accounts;
use crate::checkout::CheckoutService;
use crate::config::Settings;
use crate::delivery::{TicketsDelivery, Waiters};
use crate::domain::catalogo::Seed;
use crate::domain::usuario::{Comercio, NuevoStaff, NuevoUsuario, Perfil, Rol};
use crate::http::{self, AppState, AppStateInner};
use crate::paquetes::Paquetes;
use crate::store::{Store, Upserted};
use crate::tickets_client::TicketsClient;
use crate::tracking::Novedades;

/// The demo accounts of a development database: (email, password).
pub use crate::config::{DEMO_ADMIN, DEMO_CLIENTE, DEMO_COMERCIANTE};

/// Most deliveries to Tickets in flight at once.
const MAX_IN_FLIGHT: usize = 64;

pub struct Application {
    listener: TcpListener,
    port: u16,
    router: axum::Router,
    store: Store,
    worker: tokio::task::JoinHandle<()>,
    /// The mail worker; `None` in production without `SMTP_URL`.
    mail_worker: Option<tokio::task::JoinHandle<()>>,
    /// The merchants' bundles' scheduler.
    paquetes: tokio::task::JoinHandle<()>,
    stop_worker: watch::Sender<bool>,
    novedades: Novedades,
}

impl Application {
    /// Connects the database (running migrations), seeds the catalogue at
    /// first start, starts the delivery worker and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        // The recorder must exist before the worker counts its first attempt.
        telemetry::prometheus();
        if settings.uses_legacy_api_key() {
            tracing::warn!(
                "⚠️  BELGRANO_AHORRO_API_KEY no está configurada: se usa la clave pública del sistema anterior (sólo desarrollo)."
            );
        }
        if settings.uses_dev_secret() {
            tracing::warn!("⚠️  SECRET_KEY no está configurada: se usa el secreto público de desarrollo.");
        }
        if settings.outbox_lease <= REQUEST_TIMEOUT {
            tracing::warn!(
                lease = ?settings.outbox_lease,
                "OUTBOX_LEASE_SECS no supera el tiempo de espera de un envío (10 s): otra instancia podría reenviar un pedido en curso"
            );
        }
        let enlaces = crate::store::correos::Enlaces {
            public_url: settings.public_url.clone(),
            secret: settings.secret_key.as_bytes().to_vec(),
        };
        let store =
            Store::connect(&settings.database_url).await.context("connecting to the database")?.with_enlaces(enlaces);
        let accounts = Accounts::new(store.clone());
        accounts.purge_expired().await?;
        if store.seed_catalogo_if_empty(&Seed::bundled()).await? {
            tracing::info!("catálogo inicial cargado (137 productos)");
        }
        bootstrap_accounts(&store, &accounts, &settings).await?;

        let tickets = TicketsClient::new(&settings.ticketera_url, settings.api_keys.outgoing());
        let waiters = Waiters::default();
        let worker = Worker::new(
            store.outbox().clone(),
            TicketsDelivery::new(tickets.clone(), waiters.clone()),
            Config { service: "ahorro", lease: settings.outbox_lease, max_in_flight: MAX_IN_FLIGHT },
        );
        let outbox_worker = worker.waker();
        let (stop_worker, worker_stopped) = watch::channel(false);
        // The second worker: the shop's mails.
        let (mail_waker, mail_worker) = belgrano_platform::mail::spawn_worker(
            store.correos_outbox().clone(),
            &settings.mail,
            settings.environment,
            "ahorro-correo",
            worker_stopped.clone(),
        )
        .map_err(|e| anyhow::anyhow!("SMTP_URL: {e}"))?;
        let paquetes = Paquetes::new(store.clone(), settings.clock.clone(), outbox_worker.clone(), mail_waker.clone());
        let paquetes_task = tokio::spawn(paquetes.clone().run(settings.paquetes_intervalo, worker_stopped.clone()));
        let worker = tokio::spawn(worker.run(worker_stopped));
        let novedades = Novedades::default();
        let state = AppState::new(AppStateInner {
            checkout: CheckoutService::new(store.clone(), waiters, outbox_worker.clone(), settings.checkout_wait),
            settings: Arc::new(settings.clone()),
            store: store.clone(),
            accounts,
            outbox_worker,
            mail_worker: mail_waker,
            tickets,
            novedades: novedades.clone(),
            paquetes,
        });
        let router = http::router(state);
        let listener = belgrano_platform::runtime::bind(&settings.host, settings.port).await?;
        let port = listener.local_addr()?.port();
        Ok(Self { listener, port, router, store, worker, mail_worker, paquetes: paquetes_task, stop_worker, novedades })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until Ctrl-C or SIGTERM.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes, then finishes requests in flight,
    /// lets the worker finish its deliveries in flight (unsent rows stay in
    /// the outbox) and closes the database.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let backend = self.store.db().backend().as_str();
        tracing::info!(port = self.port, backend, "Belgrano Ahorro escuchando en el puerto {}", self.port);
        // Open tracking streams never finish on their own: end them when
        // the stop begins, or the graceful stop would wait for them.
        let novedades = self.novedades.clone();
        let shutdown = async move {
            shutdown.await;
            novedades.close();
        };
        belgrano_platform::runtime::serve(self.listener, self.router, shutdown).await?;
        let _ = self.stop_worker.send(true);
        let _ = self.worker.await;
        let _ = self.paquetes.await;
        if let Some(mail_worker) = self.mail_worker {
            let _ = mail_worker.await;
        }
        self.store.db().close().await;
        tracing::info!("Belgrano Ahorro detenido");
        Ok(())
    }
}

/// The accounts a start makes sure of. Production: the demo accounts a
/// database may keep from development (public passwords) cannot log in,
/// except the one `ADMIN_EMAIL` names. Development: the demo customer and
/// merchant on an empty database, the demo admin if missing, and the demo
/// logins printed. Then, anywhere, the `ADMIN_EMAIL` admin is created or
/// updated.
async fn bootstrap_accounts(store: &Store, accounts: &Accounts, settings: &Settings) -> anyhow::Result<()> {
    let admin_email = settings.admin.as_ref().map(|a| a.email.as_str());
    if !settings.seed_demo_users {
        for email in [DEMO_CLIENTE.0, DEMO_COMERCIANTE.0, DEMO_ADMIN.0] {
            if Some(email) != admin_email && accounts.disable_login(email).await? {
                tracing::warn!(email, "cuenta de demostración desactivada (producción)");
            }
        }
    } else {
        if store.count_usuarios().await? == 0 {
            seed_demo_users(store).await.context("creating the demo accounts")?;
        }
        if store.credentials(DEMO_ADMIN.0).await?.is_none() && Some(DEMO_ADMIN.0) != admin_email {
            let nuevo = NuevoStaff::parse(DEMO_ADMIN.0, "Administración (demo)", Rol::Admin.as_str(), DEMO_ADMIN.1)
                .map_err(|e| anyhow::anyhow!("demo admin: {e:?}"))?;
            // Taken means the account exists but was deactivated: leave it so.
            accounts.create_staff(nuevo).await?;
        }
        tracing::info!(
            "\n──────── Cuentas de demostración de Ahorro (sólo desarrollo) ────────\n  \
             Cliente        {:<30} contraseña: {}\n  \
             Comerciante    {:<30} contraseña: {}\n  \
             Administración {:<30} contraseña: {}   (back office en /admin)\n  \
             (si alguien cambió su contraseña, vale la nueva)\n\
             ─────────────────────────────────────────────────────────────────────",
            DEMO_CLIENTE.0,
            DEMO_CLIENTE.1,
            DEMO_COMERCIANTE.0,
            DEMO_COMERCIANTE.1,
            DEMO_ADMIN.0,
            DEMO_ADMIN.1,
        );
    }
    if let Some(admin) = &settings.admin {
        match accounts.ensure_admin(&admin.email, admin.password.expose()).await.context("ADMIN_EMAIL")? {
            Upserted::Created => tracing::info!(email = %admin.email, "administrador creado desde ADMIN_EMAIL"),
            Upserted::Updated => {
                tracing::info!(email = %admin.email, "administrador de ADMIN_EMAIL actualizado (contraseña de ADMIN_PASSWORD)");
            }
        }
    }
    Ok(())
}

async fn seed_demo_users(store: &Store) -> anyhow::Result<()> {
    let perfil = |nombre: &str, apellido: &str| Perfil {
        nombre: nombre.into(),
        apellido: apellido.into(),
        telefono: "011-5555-1234".into(),
        direccion: "Av. Cabildo 1234, Belgrano".into(),
    };
    let email = |raw: &str| belgrano_contract::Email::parse(raw).map_err(|e| anyhow::anyhow!("{raw}: {e:?}"));
    store
        .create_usuario(&NuevoUsuario {
            email: email(DEMO_CLIENTE.0)?,
            password_hash: password::hash(DEMO_CLIENTE.1).await?,
            perfil: perfil("Juan", "Pérez"),
            comercio: None,
        })
        .await?;
    store
        .create_usuario(&NuevoUsuario {
            email: email(DEMO_COMERCIANTE.0)?,
            password_hash: password::hash(DEMO_COMERCIANTE.1).await?,
            perfil: perfil("Marta", "Gómez"),
            comercio: Some(Comercio {
                nombre_negocio: "Almacén Don Pepe".into(),
                cuit: "20-12345678-6".into(),
                tipo_negocio: "almacén".into(),
            }),
        })
        .await?;
    Ok(())
}

/// The `ahorro` binary: settings from the environment, serve until
/// SIGTERM or Ctrl-C. Exits with status 2 on bad configuration.
pub async fn run_from_env() -> anyhow::Result<()> {
    telemetry::init(Environment::from_process().is_production());
    let settings = settings_or_exit("Belgrano Ahorro", Settings::from_env());
    Application::build(settings).await?.run_until_stopped().await
}

pub use belgrano_platform::runtime::shutdown_signal;
