//! Accounts made at start. Production gets its first dispatcher only from
//! `ADMIN_EMAIL` + `ADMIN_PASSWORD` and nothing else is invented there; a
//! development database also gets demo accounts with a known password.

use belgrano_platform::password;

use crate::config::Settings;
use crate::domain::assign::LeastLoaded;
use crate::store::accounts::Upserted;
use crate::store::{NewCourier, Store};

/// The demo dispatcher of a development database.
pub const DEMO_DISPATCHER_EMAIL: &str = "admin@belgrano.local";
/// The password of every demo account (development only).
pub const DEMO_PASSWORD: &str = "demo1234";

/// Creates the dispatcher named by `ADMIN_EMAIL`, or updates its password
/// (and makes it an active dispatcher) if it exists.
pub async fn first_dispatcher(store: &Store, settings: &Settings) -> anyhow::Result<()> {
    let Some(admin) = &settings.admin else { return Ok(()) };
    let hash = password::hash(admin.password.expose()).await?;
    match store.upsert_dispatcher(&admin.email, "Administrador", &hash).await? {
        Upserted::Created => tracing::info!(email = %admin.email, "despachante creado desde ADMIN_EMAIL"),
        Upserted::Updated => {
            tracing::info!(email = %admin.email, "despachante de ADMIN_EMAIL actualizado (contraseña de ADMIN_PASSWORD)");
        }
    }
    Ok(())
}

/// Production: every demo account that exists (a database that once ran in
/// development) is deactivated, loses its password and its sessions, and
/// hands its open tickets to real couriers. The account named by
/// `ADMIN_EMAIL` is left alone, whatever its address.
pub async fn disable_demo_accounts(store: &Store, settings: &Settings, couriers: &[NewCourier]) -> anyhow::Result<()> {
    let admin = settings.admin.as_ref().map(|a| a.email.as_str());
    let demo = std::iter::once(DEMO_DISPATCHER_EMAIL).chain(couriers.iter().map(|c| c.email.as_str()));
    for email in demo.filter(|email| Some(*email) != admin) {
        let Some((usuario, hash)) = store.login_account(email).await? else { continue };
        if !usuario.activo && hash.is_none() {
            continue; // disabled at an earlier start
        }
        let moved = store.disable_account(usuario.id, &LeastLoaded).await?;
        tracing::warn!(email, tickets_reasignados = moved, "cuenta de demostración desactivada (producción)");
    }
    Ok(())
}

/// Development: a demo dispatcher and the demo couriers get the demo
/// password unless they already have one (a changed password is kept), and
/// the logins are printed.
pub async fn demo_accounts(store: &Store, couriers: &[NewCourier]) -> anyhow::Result<()> {
    // One hash for all: these accounts are public demo data anyway.
    let hash = password::hash(DEMO_PASSWORD).await?;
    store.create_dispatcher_if_missing(DEMO_DISPATCHER_EMAIL, "Despacho (demo)", &hash).await?;
    for courier in couriers {
        store.set_password_if_unset(&courier.email, &hash).await?;
    }
    let mut block = String::from("\n──────── Cuentas de demostración (sólo desarrollo) ────────\n");
    block.push_str(&format!("  Despacho      {DEMO_DISPATCHER_EMAIL:<30} contraseña: {DEMO_PASSWORD}\n"));
    for courier in couriers {
        block.push_str(&format!("  Repartidor    {:<30} contraseña: {DEMO_PASSWORD}\n", courier.email));
    }
    block.push_str("  (si alguien cambió su contraseña, vale la nueva)\n");
    block.push_str("───────────────────────────────────────────────────────────");
    tracing::info!("{block}");
    Ok(())
}
