//! A failed delivery attempt end to end, both real services over real HTTP
//! and a real SMTP server (aiosmtpd): dispatch reports it at Tickets, the
//! customer's tracking link says "No pudimos entregarlo: <motivo>. Lo
//! reprogramamos." while the order waits to go out again, and each attempt
//! mails the customer once. On SQLite and on PostgreSQL (when
//! `TEST_DATABASE_URL` is set).

use std::time::Duration;

use belgrano_e2e::*;
use belgrano_testkit::smtp::SmtpServer;
use serde_json::{Value, json};

async fn intento(tickets_url: &str, id: &Value, motivo: &str) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{tickets_url}/api/tickets/{id}/intento-fallido"))
        .header("X-API-Key", API_KEY)
        .json(&json!({"motivo": motivo}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_attempt_shows_on_the_tracking_link_and_mails_once_per_attempt() {
    for backend in Backend::available() {
        let mut smtp = SmtpServer::start().await;
        let tickets_db = TestDb::new(backend).await;
        let ahorro_db = TestDb::new(backend).await;
        let port = free_port().to_string();
        let tickets = Tickets::start(&tickets_db, 0, &format!("http://127.0.0.1:{port}")).await;
        let smtp_url = smtp.url();
        let extra = [("PORT", port.as_str()), ("SMTP_URL", smtp_url.as_str()), ("MAIL_FROM", "pedidos@ahorro.test")];
        let ahorro = Ahorro::start(&ahorro_db, &tickets.url, &extra).await;

        let (status, answer) = checkout(&ahorro.url, &checkout_body(7, &[(3, 1)])).await;
        assert_eq!(status, 200, "{answer}");
        let email = "c7@example.com";
        let numero = answer["pedido"]["numero"].as_str().unwrap().to_owned();
        let seguimiento = tracking_link(&ahorro.url, &answer);
        let ticket = tickets.tickets().await.into_iter().find(|t| t["numero"] == numero).expect("the ticket");
        let id = ticket["id"].clone();

        for motivo in ["No había nadie", "Portón cerrado"] {
            if ticket["repartidor_id"].is_null() || motivo != "No había nadie" {
                patch_ticket(&tickets.url, &id, json!({"repartidor_id": 1})).await;
            }
            for estado in ["en-preparacion", "en-camino"] {
                patch_ticket(&tickets.url, &id, json!({"estado": estado})).await;
            }
            let on_the_way = eventually(Duration::from_secs(20), || async {
                tracking_json(&seguimiento).await.1["estado"] == "en-camino"
            })
            .await;
            assert!(on_the_way, "{backend:?}: {}", tracking_json(&seguimiento).await.1);
            let t = intento(&tickets.url, &id, motivo).await;
            assert_eq!(t["estado"], "pendiente");
            let shown = eventually(Duration::from_secs(20), || async {
                tracking_json(&seguimiento).await.1["no_entregado"] == motivo
            })
            .await;
            let (_, tracked) = tracking_json(&seguimiento).await;
            assert!(shown, "{backend:?}: {tracked}");
            assert_eq!(tracked["estado"], "pendiente");
            let page = reqwest::get(&seguimiento).await.unwrap().text().await.unwrap();
            assert!(
                page.contains(&format!(
                    "No pudimos entregarlo: <span id=\"motivo-intento\">{motivo}</span>. Lo reprogramamos."
                )),
                "{backend:?}: the page for people says so"
            );
        }

        // Delivered at last: the notice goes away.
        patch_ticket(&tickets.url, &id, json!({"repartidor_id": 2})).await;
        for estado in ["en-preparacion", "en-camino", "entregado"] {
            patch_ticket(&tickets.url, &id, json!({"estado": estado})).await;
        }
        let delivered = eventually(Duration::from_secs(20), || async {
            tracking_json(&seguimiento).await.1["estado"] == "entregado"
        })
        .await;
        assert!(delivered, "{backend:?}");
        assert_eq!(tracking_json(&seguimiento).await.1["no_entregado"], Value::Null);
        let page = reqwest::get(&seguimiento).await.unwrap().text().await.unwrap();
        assert!(page.contains("id=\"no-entregado\" class=\"no-entregado\" role=\"status\" hidden"), "{backend:?}");

        // Confirmation, en camino (once: its key), two failed attempts, entregado.
        let mails = smtp.wait_for(email, 5, Duration::from_secs(30)).await;
        let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
        assert_eq!(mails.len(), 5, "{backend:?}: {subjects:?}");
        let fallidos: Vec<_> = mails.iter().filter(|m| m.subject.starts_with("No pudimos entregar")).collect();
        assert_eq!(fallidos.len(), 2, "{backend:?}: one per attempt: {subjects:?}");
        assert!(fallidos.iter().any(|m| m.text.contains("Motivo: No había nadie")), "{subjects:?}");
        assert!(fallidos.iter().any(|m| m.text.contains("Motivo: Portón cerrado")), "{subjects:?}");

        ahorro.stop().await;
        tickets.stop().await;
        smtp.stop().await;
    }
}
