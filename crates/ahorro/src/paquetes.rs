//! Merchants' bundles placed as orders: the scheduler ([`Paquetes::run`],
//! one tick every `PAQUETES_INTERVALO_SEGUNDOS`) and "Pedir ahora"
//! ([`Paquetes::pedir_ahora`]), through one code path: the bundle becomes
//! the merchant's [`Checkout`] (priority `alta` from their tipo_cliente, as
//! every merchant order) and `Store::ejecutar_paquete` places it in one
//! transaction, exactly once per bundle and date.
//!
//! Due: the Buenos Aires date of the [`Clock`] has reached the bundle's
//! `proxima_fecha`. After a long sleep (a free Render instance) a bundle is
//! placed once, not once per missed period, and its next date moves to the
//! first date after today on its rhythm; the log and the mail say so.
//!
//! Delivery: the first window with a place from now, the preferred franja's
//! first; the zone's minimum does not block a standing order (the merchant
//! chose the bundle; refusing it silently would be worse than a small one).

use std::time::Duration;

use belgrano_contract::{FieldError, MetodoPago};
use belgrano_platform::clock::Clock;
use belgrano_platform::outbox::Waker;
use tokio::sync::watch;

use crate::domain::checkout::{Checkout, EntregaError};
use crate::domain::hora;
use crate::domain::paquete::{Ejecucion, Paquete, fecha_en_palabras};
use crate::domain::pedido::{Cliente, EntregaPedida};
use crate::domain::usuario::Usuario;
use crate::store::{Corrida, Origen, PlaceError, Resultado, Store, StoreError};

/// Most bundles one tick places (the next tick takes the rest).
const POR_TICK: i64 = 200;

#[derive(Debug, thiserror::Error)]
pub enum PaqueteError {
    #[error("no encontramos ese paquete")]
    NotFound,
    /// 409, naming the field.
    #[error("{0}")]
    Conflict(FieldError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone)]
pub struct Paquetes {
    store: Store,
    clock: Clock,
    outbox: Waker,
    mail: Waker,
}

impl Paquetes {
    /// `outbox` and `mail` wake the workers that send what a run queued.
    pub fn new(store: Store, clock: Clock, outbox: Waker, mail: Waker) -> Self {
        Self { store, clock, outbox, mail }
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Today in Buenos Aires, by the clock bundles go by.
    pub fn hoy(&self) -> chrono::NaiveDate {
        hora::hoy(self.clock.now())
    }

    /// Ticks until `stop` turns true (the first tick at once: what fell due
    /// while the service slept goes out when it wakes).
    pub async fn run(self, intervalo: Duration, mut stop: watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                return;
            }
            if let Err(e) = self.tick().await {
                tracing::warn!(error = %e, "paquetes: la revisión falló; se reintenta en la próxima");
            }
            tokio::select! {
                _ = tokio::time::sleep(intervalo) => {}
                // A dropped sender is a stop too.
                changed = stop.changed() => if changed.is_err() { return },
            }
        }
    }

    /// Places every bundle due today; how many runs it recorded.
    pub async fn tick(&self) -> Result<usize, StoreError> {
        let hoy = self.hoy();
        let mut hechos = 0;
        for paquete in self.store.paquetes_vencidos(hoy, POR_TICK).await? {
            let proxima = paquete.frecuencia.proxima_despues(paquete.proxima_fecha, hoy);
            let Some(usuario) = self.store.usuario(paquete.usuario_id).await? else { continue };
            match self.place(&paquete, &usuario, paquete.proxima_fecha, Origen::Programado { proxima }).await {
                Ok(Resultado::Hecho(e)) => {
                    hechos += 1;
                    self.log(&paquete, &e, hoy);
                }
                Ok(_) => tracing::debug!(paquete = paquete.id, "paquete ya pedido por otra instancia"),
                Err(e) => tracing::warn!(paquete = paquete.id, error = %e, "paquete no pedido; se reintenta"),
            }
        }
        Ok(hechos)
    }

    fn log(&self, paquete: &Paquete, e: &Ejecucion, hoy: chrono::NaiveDate) {
        let proxima = e.proxima_fecha.map(fecha_en_palabras).unwrap_or_default();
        if e.programada < hoy {
            tracing::warn!(
                paquete = paquete.id,
                "paquete «{}» estaba programado para el {}: se pide hoy una sola vez; el próximo sale el {proxima}",
                paquete.nombre,
                fecha_en_palabras(e.programada),
            );
        }
        match &e.pedido_numero {
            Some(numero) => tracing::info!(
                paquete = paquete.id,
                omitidos = e.omitidos.len(),
                "paquete «{}» pedido: {numero}; se envía a Tickets",
                paquete.nombre
            ),
            None => tracing::warn!(
                paquete = paquete.id,
                "paquete «{}» sin pedido: {}",
                paquete.nombre,
                e.motivo.as_deref().unwrap_or_default()
            ),
        }
    }

    /// "Pedir ahora": the bundle placed at once, at most once a day; its
    /// scheduled date stays as it was.
    pub async fn pedir_ahora(&self, usuario: &Usuario, id: i64) -> Result<Ejecucion, PaqueteError> {
        let paquete = self.store.paquete(usuario.id, id).await?.ok_or(PaqueteError::NotFound)?;
        let hoy = self.hoy();
        let conflict = |m: String| PaqueteError::Conflict(FieldError::new("id", m));
        match self.place(&paquete, usuario, hoy, Origen::Manual).await {
            Ok(Resultado::Hecho(e)) => {
                self.log(&paquete, &e, hoy);
                Ok(e)
            }
            Ok(Resultado::YaHecho) => {
                Err(conflict("ya pediste hoy este paquete; mañana podés pedirlo de nuevo".into()))
            }
            Ok(Resultado::NadaDisponible(motivo)) => Err(conflict(motivo)),
            Err(PlaceError::Store(e)) => Err(e.into()),
            Err(_) => Err(conflict("el stock cambió mientras lo pedías; probá de nuevo".into())),
        }
    }

    async fn place(
        &self,
        paquete: &Paquete,
        usuario: &Usuario,
        programada: chrono::NaiveDate,
        origen: Origen,
    ) -> Result<Resultado, PlaceError> {
        let ajustes = self.store.ajustes_entrega().await?;
        let checkout = Checkout {
            cliente: Cliente::from_usuario(usuario),
            direccion: paquete.direccion.clone(),
            direccion_estructurada: paquete.direccion_estructurada.clone(),
            franja_id: None,
            paga_con: None,
            metodo_pago: MetodoPago::Efectivo,
            notas: format!("Paquete «{}» ({})", paquete.nombre, paquete.frecuencia.label().to_lowercase()),
            items: paquete.items.clone(),
            usuario_id: Some(usuario.id),
            tipo_cliente: usuario.tipo_cliente,
            sesion: None,
        };
        let now = self.clock.now();
        let entrega = checkout.entrega(&ajustes, now).map(|e| preferida(e, paquete.franja_id)).map_err(|e| match e {
            EntregaError::Invalid(f) | EntregaError::Conflict(f) => f.message,
        });
        let run = Corrida { paquete, checkout, entrega, programada, hoy: hora::hoy(now), origen };
        let resultado = self.store.ejecutar_paquete(run).await?;
        if matches!(resultado, Resultado::Hecho(_)) {
            self.outbox.wake();
            self.mail.wake();
        }
        Ok(resultado)
    }
}

/// The windows in the order to try: the preferred franja's first; no
/// minimum for a standing order.
fn preferida(mut e: EntregaPedida, franja_id: Option<i64>) -> EntregaPedida {
    e.exige_minimo = false;
    if let Some(f) = franja_id {
        e.turnos.sort_by_key(|t| t.franja.id != f);
    }
    e
}
