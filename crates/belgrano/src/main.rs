//! `cargo run --release`: the whole system on one laptop.
//!
//! Starts Belgrano Tickets (port 5001) and Belgrano Ahorro (port 5000) in
//! one process, each on its own SQLite file under `./data/`, with demo data,
//! wired to each other over real HTTP on localhost. Ctrl-C stops both
//! cleanly. On Render each service runs alone as its own binary.
//!
//! Every variable the services read may still be set (for example
//! `BELGRANO_AHORRO_API_KEY`); `PORT` and `DATABASE_URL` are per service
//! here, so they are taken from `TICKETS_PORT`, `AHORRO_PORT`,
//! `TICKETS_DATABASE_URL` and `AHORRO_DATABASE_URL` instead.

use std::collections::HashMap;

use belgrano_platform::cli::{About, Var};
use tokio::sync::watch;

fn lookup_with(overrides: HashMap<&'static str, String>) -> impl Fn(&str) -> Option<String> {
    move |name| overrides.get(name).cloned().or_else(|| std::env::var(name).ok())
}

fn var_or(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_owned())
}

/// What `belgrano --help` says.
const ABOUT: About = About {
    binary: "belgrano",
    version: env!("CARGO_PKG_VERSION"),
    summary: "Todo Belgrano en una máquina: Belgrano Tickets y Belgrano Ahorro en un proceso, cada uno \
              con su archivo SQLite en ./data/, datos de demostración, conectados por HTTP en localhost. \
              Ctrl-C detiene los dos. Cada servicio lee además sus propias variables (tickets --help, \
              ahorro --help), salvo PORT y DATABASE_URL, que aquí son por servicio:",
    vars: &[&[
        Var { name: "TICKETS_PORT", default: "5001", meaning: "puerto de Belgrano Tickets" },
        Var { name: "AHORRO_PORT", default: "5000", meaning: "puerto de Belgrano Ahorro" },
        Var { name: "TICKETS_DATABASE_URL", default: "sqlite://data/tickets.db", meaning: "base de Tickets" },
        Var { name: "AHORRO_DATABASE_URL", default: "sqlite://data/ahorro.db", meaning: "base de Ahorro" },
    ]],
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    ABOUT.handle_process_args();
    belgrano_platform::telemetry::init(false);
    let tickets_port = var_or("TICKETS_PORT", "5001");
    let ahorro_port = var_or("AHORRO_PORT", "5000");

    let tickets = belgrano_tickets::Settings::from_lookup(lookup_with(HashMap::from([
        ("PORT", tickets_port.clone()),
        ("DATABASE_URL", var_or("TICKETS_DATABASE_URL", "sqlite://data/tickets.db")),
        ("BELGRANO_AHORRO_URL", format!("http://127.0.0.1:{ahorro_port}")),
    ])))?;
    let ahorro = belgrano_ahorro::config::Settings::from_lookup(lookup_with(HashMap::from([
        ("PORT", ahorro_port.clone()),
        ("DATABASE_URL", var_or("AHORRO_DATABASE_URL", "sqlite://data/ahorro.db")),
        ("TICKETERA_URL", format!("http://127.0.0.1:{tickets_port}")),
    ])))?;

    let tickets = belgrano_tickets::Application::build(tickets).await?;
    let ahorro = belgrano_ahorro::startup::Application::build(ahorro).await?;
    let (stop, stopped) = watch::channel(false);
    let wait = |mut stopped: watch::Receiver<bool>| async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    let tickets = tokio::spawn(tickets.run_until(wait(stopped.clone())));
    let ahorro = tokio::spawn(ahorro.run_until(wait(stopped)));

    println!(
        "\n  Belgrano está en marcha.\n\n  \
         Tienda (Belgrano Ahorro):      http://localhost:{ahorro_port}/\n  \
         Despacho (Belgrano Tickets):   http://localhost:{tickets_port}/panel\n  \
         Repartidores:                  http://localhost:{tickets_port}/repartidor\n\n  \
         Los accesos de demostración se listan arriba. Ctrl-C detiene ambos servicios.\n"
    );

    belgrano_platform::runtime::shutdown_signal().await;
    let _ = stop.send(true);
    let (t, a) = tokio::join!(tickets, ahorro);
    t??;
    a??;
    Ok(())
}
