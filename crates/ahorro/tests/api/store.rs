//! The outbox claim on both backends: two instances never hold the same row
//! at once, and a claim that is never settled (a crashed instance) comes
//! back when its lease expires.

use std::time::Duration;

use belgrano_ahorro::domain::pedido::{Cliente, EntregaPedida, NuevoPedido};
use belgrano_ahorro::store::Store;
use belgrano_contract::ticket::Numero;
use belgrano_contract::{MetodoPago, TipoCliente};

use crate::helpers::*;
use crate::on_both_backends;

/// Delivered at Belgrano, in any window of the week (12 places each).
async fn entrega(store: &Store) -> EntregaPedida {
    let ajustes = store.ajustes_entrega().await.unwrap();
    EntregaPedida {
        zona: ajustes.zonas[0].clone(),
        turnos: ajustes.turnos(chrono::Utc::now() + chrono::Duration::days(1), 5),
        exige_minimo: false,
        direccion: None,
    }
}

fn order(numero: &str, entrega: &EntregaPedida) -> NuevoPedido {
    NuevoPedido {
        entrega: entrega.clone(),
        paga_con: None,
        numero: Numero::parse(numero).unwrap(),
        usuario_id: None,
        sesion: None,
        cliente: Cliente {
            nombre: "Ana".into(),
            apellido: "Paz".into(),
            email: "ana@example.com".into(),
            telefono: String::new(),
        },
        direccion: "Calle 1".into(),
        metodo_pago: MetodoPago::Efectivo,
        notas: String::new(),
        tipo_cliente: TipoCliente::Cliente,
        items: vec![(1, 1)],
    }
}

async fn claims_are_exclusive_and_leases_expire(backend: Backend) {
    let db = TestDb::new(backend).await;
    let a = Store::connect(&db.url).await.unwrap();
    let b = Store::connect(&db.url).await.unwrap();
    a.seed_catalogo_if_empty(&belgrano_ahorro::domain::catalogo::Seed::bundled()).await.unwrap();
    let entrega = entrega(&a).await;
    for i in 0..20 {
        a.place_pedido(&order(&format!("PED-T-{i}"), &entrega), |_| "{}".into()).await.unwrap();
    }
    // A repeated number is refused and nothing else is written.
    assert!(matches!(
        a.place_pedido(&order("PED-T-0", &entrega), |_| "{}".into()).await,
        Err(belgrano_ahorro::store::PlaceError::DuplicateNumero)
    ));

    let lease = Duration::from_secs(1);
    let (x, y) = tokio::join!(a.outbox().claim_due(15, lease), b.outbox().claim_due(15, lease));
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_eq!(x.len() + y.len(), 20, "every row claimed once");
    let mut ids: Vec<i64> = x.iter().chain(&y).map(|i| i.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20, "no row claimed by both");
    assert!(a.outbox().claim_due(50, lease).await.unwrap().is_empty(), "claimed rows are not handed out again");

    // Settle some; the rest belong to a "crashed" instance.
    for item in &x {
        a.outbox().mark_delivered(None, item.id).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let back = b.outbox().claim_due(50, lease).await.unwrap();
    assert_eq!(back.len(), y.len(), "expired claims come back, delivered rows do not");
    a.db().close().await;
    b.db().close().await;
}
on_both_backends!(claims_are_exclusive_and_leases_expire);
