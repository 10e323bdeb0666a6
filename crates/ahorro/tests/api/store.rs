//! The outbox claim on both backends: two instances never hold the same row
//! at once, and a claim that is never settled (a crashed instance) comes
//! back when its lease expires.

use std::time::Duration;

use belgrano_ahorro::store::{NewOrder, Store};

use crate::helpers::*;
use crate::on_both_backends;

fn order(numero: &str) -> NewOrder {
    NewOrder {
        numero: numero.into(),
        usuario_id: None,
        sesion: None,
        cliente_nombre: "Ana".into(),
        cliente_apellido: "Paz".into(),
        cliente_email: "ana@example.com".into(),
        cliente_telefono: String::new(),
        direccion: "Calle 1".into(),
        metodo_pago: "efectivo".into(),
        notas: String::new(),
        tipo_cliente: "cliente".into(),
        items: vec![(1, 1)],
    }
}

async fn claims_are_exclusive_and_leases_expire(backend: Backend) {
    let db = TestDb::new(backend).await;
    let a = Store::connect(&db.url).await.unwrap();
    let b = Store::connect(&db.url).await.unwrap();
    a.seed_catalog_if_empty(&belgrano_ahorro::catalog::Seed::bundled()).await.unwrap();
    for i in 0..20 {
        a.place_order(&order(&format!("PED-T-{i}")), |_| "{}".into()).await.unwrap();
    }
    // A repeated number is refused and nothing else is written.
    assert!(matches!(
        a.place_order(&order("PED-T-0"), |_| "{}".into()).await,
        Err(belgrano_ahorro::store::PlaceError::DuplicateNumero)
    ));

    let lease = Duration::from_secs(1);
    let (x, y) = tokio::join!(a.claim_due(15, lease), b.claim_due(15, lease));
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_eq!(x.len() + y.len(), 20, "every row claimed once");
    let mut ids: Vec<i64> = x.iter().chain(&y).map(|i| i.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20, "no row claimed by both");
    assert!(a.claim_due(50, lease).await.unwrap().is_empty(), "claimed rows are not handed out again");

    // Settle some; the rest belong to a "crashed" instance.
    for item in &x {
        a.mark_delivered(item.id).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let back = b.claim_due(50, lease).await.unwrap();
    assert_eq!(back.len(), y.len(), "expired claims come back, delivered rows do not");
    a.close().await;
    b.close().await;
}
on_both_backends!(claims_are_exclusive_and_leases_expire);
