//! The dispatch desk through its pages, the API with a session, and the
//! live feed with a session cookie: who sees and changes what.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ADMIN, Browser, DEMO_PASSWORD, TestApp, TestDb, logged_in, order};
use crate::on_both_backends;
use belgrano_testkit::socket_client::{Connect, SocketClient};

/// Creates tickets until courier `courier_id` has one; returns
/// (a ticket of that courier, a ticket of someone else).
async fn tickets_for(app: &TestApp, courier_id: i64, prefix: &str) -> (Value, Value) {
    let (mut mine, mut other) = (None, None);
    for n in 0..10 {
        let (_, created) = app.post_ticket(&order(&format!("{prefix}-{n}"))).await;
        let (_, t) = app.get(&format!("/api/tickets/{}", created["ticket_id"])).await;
        if t["repartidor_id"] == courier_id {
            mine.get_or_insert(t);
        } else {
            other.get_or_insert(t);
        }
        if mine.is_some() && other.is_some() {
            break;
        }
    }
    (mine.unwrap(), other.unwrap())
}

fn courier_id_of(email_number: i64) -> i64 {
    // Demo couriers are created first, in order: Repartidor1 has id 1.
    email_number
}

on_both_backends!(the_board_is_for_dispatchers_only, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    app.post_ticket(&order("PED-BOARD-1")).await;
    let mut anonymous = Browser::new(&app);
    let page = anonymous.get("/panel").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), Some("/login?next=%2Fpanel"));
    let mut courier = logged_in(&app, "repartidor1@belgrano.local", DEMO_PASSWORD).await;
    // A courier opening the board meant their own page; other desk pages stay closed.
    let board = courier.get("/panel").await;
    assert_eq!(board.status, StatusCode::SEE_OTHER);
    assert_eq!(board.location(), Some("/repartidor"));
    assert_eq!(courier.get("/reportes").await.status, StatusCode::FORBIDDEN);
    let mut dispatcher = logged_in(&app, ADMIN, DEMO_PASSWORD).await;
    let board = dispatcher.get("/panel").await;
    assert_eq!(board.status, StatusCode::OK);
    assert!(board.body.contains("PED-BOARD-1"), "the board carries its tickets");
    assert!(board.body.contains("socket.io.min.js"));
    let start = board.body.find(r#"id="board-data">"#).unwrap() + r#"id="board-data">"#.len();
    let end = board.body[start..].find("</script>").unwrap() + start;
    let data: Value = serde_json::from_str(&board.body[start..end]).unwrap();
    assert_eq!(data["tickets"][0]["numero"], "PED-BOARD-1");
    assert!(data["ultimo_seq"].as_i64().unwrap() >= 1);
    assert_eq!(data["repartidores"].as_array().unwrap().len(), 5);
    let script = dispatcher.get("/static/vendor/socket.io.min.js").await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(script.body.contains("Socket.IO v4"), "the official client, served by the binary");
    app.stop().await;
});

on_both_backends!(ticket_pages_move_reassign_cancel_and_delete, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let id = app.create("PED-PAGE-1").await;
    let mut dispatcher = logged_in(&app, ADMIN, DEMO_PASSWORD).await;
    let detail = dispatcher.get(&format!("/panel/tickets/{id}")).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(
        detail.body.contains("Av. Cabildo 1234, Belgrano")
            && detail.body.contains("Arroz 1kg")
            && detail.body.contains("Timbre 3B")
    );
    assert!(detail.body.contains("Pedido recibido; asignado a Repartidor"), "history is shown");

    // Without the CSRF token nothing changes.
    let forged = dispatcher.post_raw(&format!("/panel/tickets/{id}/estado"), &[("estado", "en-preparacion")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&format!("/api/tickets/{id}")).await.1["estado"], "pendiente");

    let moved = dispatcher.post(&format!("/panel/tickets/{id}/estado"), &[("estado", "en-preparacion")]).await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get(&format!("/api/tickets/{id}")).await.1["estado"], "en-preparacion");
    let refused = dispatcher.post(&format!("/panel/tickets/{id}/estado"), &[("estado", "entregado")]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.body.contains("No se puede pasar"), "a Spanish message on the page");

    let reassigned = dispatcher.post(&format!("/panel/tickets/{id}/repartidor"), &[("repartidor_id", "3")]).await;
    assert_eq!(reassigned.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get(&format!("/api/tickets/{id}")).await.1["repartidor"], "Repartidor3");
    let history = dispatcher.get(&format!("/panel/tickets/{id}")).await.body;
    assert!(history.contains("Asignado a Repartidor3"), "the reassignment is in the history");
    assert!(history.contains("(despacho)"), "made by a dispatcher");

    let no_reason =
        dispatcher.post(&format!("/panel/tickets/{id}/estado"), &[("estado", "cancelado"), ("motivo", " ")]).await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST);
    let slip = dispatcher.get(&format!("/panel/tickets/{id}/imprimir")).await;
    assert!(slip.status == StatusCode::OK && slip.body.contains("Comprobante de entrega PED-PAGE-1"));

    let wrong = dispatcher.post(&format!("/panel/tickets/{id}/eliminar"), &[("confirmacion", "PED-PAGE")]).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.get(&format!("/api/tickets/{id}")).await.0, StatusCode::OK, "still there");
    let deleted = dispatcher.post(&format!("/panel/tickets/{id}/eliminar"), &[("confirmacion", "PED-PAGE-1")]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get(&format!("/api/tickets/{id}")).await.0, StatusCode::NOT_FOUND);
    app.stop().await;
});

on_both_backends!(a_courier_sees_and_moves_only_their_own_tickets, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let me = courier_id_of(2);
    let (mine, other) = tickets_for(&app, me, "PED-OWN").await;
    let mut courier = logged_in(&app, "repartidor2@belgrano.local", DEMO_PASSWORD).await;

    let page = courier.get("/repartidor").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(mine["numero"].as_str().unwrap()));
    assert!(!page.body.contains(other["numero"].as_str().unwrap()), "another courier's ticket is not shown");
    assert!(page.body.contains("tel:+541155551234"), "a tel: link");
    assert!(page.body.contains("google.com/maps/search"), "a map link");

    // By page.
    let theirs =
        courier.post(&format!("/repartidor/tickets/{}/estado", other["id"]), &[("estado", "en-preparacion")]).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let step =
        courier.post(&format!("/repartidor/tickets/{}/estado", mine["id"]), &[("estado", "en-preparacion")]).await;
    assert_eq!(step.status, StatusCode::SEE_OTHER);

    // By API, with the session cookie (and the CSRF header for changes).
    let cookie =
        format!("belgrano_sesion={}; belgrano_csrf={}", courier.session().unwrap(), courier.csrf_token().await);
    let csrf = courier.csrf_token().await;
    let client = reqwest::Client::new();
    let list: Value = client
        .get(format!("{}/api/tickets", app.address))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(list["tickets"].as_array().unwrap().iter().all(|t| t["repartidor_id"] == me));
    let hidden = client
        .get(format!("{}/api/tickets/{}", app.address, other["id"]))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
    let patch_other = client
        .patch(format!("{}/api/tickets/{}", app.address, other["id"]))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&json!({"estado": "en-preparacion"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patch_other.status(), StatusCode::NOT_FOUND);
    let without_csrf = client
        .patch(format!("{}/api/tickets/{}", app.address, mine["id"]))
        .header("cookie", &cookie)
        .json(&json!({"estado": "en-camino"}))
        .send()
        .await
        .unwrap();
    assert_eq!(without_csrf.status(), StatusCode::FORBIDDEN);
    let reassign = client
        .patch(format!("{}/api/tickets/{}", app.address, mine["id"]))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&json!({"repartidor_id": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(reassign.status(), StatusCode::FORBIDDEN);
    let on_the_way = client
        .patch(format!("{}/api/tickets/{}", app.address, mine["id"]))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&json!({"estado": "en-camino"}))
        .send()
        .await
        .unwrap();
    assert_eq!(on_the_way.status(), StatusCode::OK);

    // "No se pudo entregar" needs a reason.
    let no_reason =
        courier.post(&format!("/repartidor/tickets/{}/estado", mine["id"]), &[("estado", "cancelado")]).await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST);
    let failed = courier
        .post(
            &format!("/repartidor/tickets/{}/estado", mine["id"]),
            &[("estado", "cancelado"), ("motivo", "No había nadie")],
        )
        .await;
    assert_eq!(failed.status, StatusCode::SEE_OTHER);
    let (_, t) = app.get(&format!("/api/tickets/{}", mine["id"])).await;
    assert_eq!(t["estado"], "cancelado");
    assert_eq!(t["motivo_cancelacion"], "No había nadie");
    assert_eq!(app.get(&format!("/api/tickets/{}", other["id"])).await.1["estado"], "pendiente", "untouched");
    app.stop().await;
});

on_both_backends!(sessions_open_the_live_feed_and_couriers_hear_only_their_own, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let dispatcher = logged_in(&app, ADMIN, DEMO_PASSWORD).await;
    let courier = logged_in(&app, "repartidor3@belgrano.local", DEMO_PASSWORD).await;
    let cookie = |b: &Browser| format!("belgrano_sesion={}", b.session().unwrap());
    let Connect::Accepted(mut desk) = SocketClient::connect(app.port, None, &[("cookie", &cookie(&dispatcher))]).await
    else {
        panic!("a dispatcher's session connects")
    };
    let Connect::Accepted(mut phone) = SocketClient::connect(app.port, None, &[("cookie", &cookie(&courier))]).await
    else {
        panic!("a courier's session connects")
    };
    assert!(matches!(
        SocketClient::connect(app.port, None, &[("cookie", "belgrano_sesion=forged")]).await,
        Connect::Refused(..)
    ));

    let (mine, other) = tickets_for(&app, courier_id_of(3), "PED-FEED").await;
    let heard_by_desk: Vec<Value> = desk.drain(Duration::from_millis(700)).await.into_iter().map(|(_, e)| e).collect();
    let heard_by_phone: Vec<Value> =
        phone.drain(Duration::from_millis(700)).await.into_iter().map(|(_, e)| e).collect();
    assert!(
        heard_by_desk.iter().any(|e| e["ticket_id"] == mine["id"])
            && heard_by_desk.iter().any(|e| e["ticket_id"] == other["id"])
    );
    assert!(heard_by_phone.iter().any(|e| e["ticket_id"] == mine["id"]), "the courier hears their ticket");
    assert!(
        heard_by_phone.iter().all(|e| e["repartidor_id"] == courier_id_of(3)),
        "and nobody else's: {heard_by_phone:?}"
    );

    // Reassigned away: the courier hears it (to drop it); then hears no more.
    app.patch_ticket(&mine["id"], &json!({"repartidor_id": 1})).await;
    let (name, event) = phone.next_event(Duration::from_secs(3)).await.unwrap();
    assert_eq!(name, "ticket_asignado");
    assert_eq!(event["anterior_repartidor_id"], courier_id_of(3));
    app.patch_ticket(&mine["id"], &json!({"estado": "en-preparacion"})).await;
    assert!(phone.drain(Duration::from_millis(500)).await.is_empty());

    // Catch-up is filtered the same way.
    let answer = phone.emit_with_ack("sincronizar", json!({"desde_seq": 0}), Duration::from_secs(3)).await.unwrap();
    let events = answer["eventos"].as_array().unwrap();
    assert!(!events.is_empty());
    assert!(
        events.iter().all(|e| e["datos"]["repartidor_id"] == courier_id_of(3)
            || e["datos"]["anterior_repartidor_id"] == courier_id_of(3))
    );
    app.stop().await;
});

on_both_backends!(reports_count_states_couriers_days_and_delivery_time, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let delivered = app.create("PED-REP-A").await;
    for estado in ["en-preparacion", "en-camino", "entregado"] {
        app.patch_ticket(&delivered, &json!({"estado": estado})).await;
    }
    app.create("PED-REP-B").await;
    let mut dispatcher = logged_in(&app, ADMIN, DEMO_PASSWORD).await;
    let page = dispatcher.get("/reportes").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<strong>2</strong> tickets"), "{}", page.body);
    assert!(page.body.contains("<strong>1</strong> entregados"));
    assert!(page.body.contains(r#"<strong id="promedio-entrega">0 min</strong>"#));
    assert!(page.body.matches("<svg").count() >= 3, "three charts");
    let bad = dispatcher.get("/reportes?desde=ayer").await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.body.contains("formato AAAA-MM-DD"));
    app.stop().await;
});

/// What a shopper typed, chosen to end a `<script>` element early (`</script>`,
/// `<!--<script>`), to run code, or to confuse older JavaScript (U+2028).
pub const HOSTILE_NAME: &str = "</script><script>alert(1)</script>\u{2028}&<b>";
const HOSTILE_ADDRESS: &str = "<!--<script>window.__roto=1</script>\u{2029}Cabildo 1234";
const HOSTILE_PRODUCT: &str = "<img src=x onerror=alert(2)>";
const HOSTILE_NOTE: &str = "</SCRIPT ><script>alert(3)</script>";

/// An order whose customer-controlled text is all hostile.
pub fn hostile_order(numero: &str) -> Value {
    let mut body = order(numero);
    body["cliente_nombre"] = json!(HOSTILE_NAME);
    body["cliente_direccion"] = json!(HOSTILE_ADDRESS);
    body["indicaciones"] = json!(HOSTILE_NOTE);
    body["productos"][0]["nombre"] = json!(HOSTILE_PRODUCT);
    body
}

/// The tags of an HTML page, as the parser sees them: `(name, attributes
/// text, content)` where content is the raw text up to the element's end tag
/// for `<script>` (what a browser treats as script data), empty otherwise.
/// Text between tags is skipped; askama escapes `<` there, so customer text
/// never starts a tag.
fn tags(html: &str) -> Vec<(String, String, String)> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        if name.is_empty() {
            continue;
        }
        let end = rest.find('>').expect("a tag ends");
        let attributes = rest[name.len()..end].to_owned();
        rest = &rest[end + 1..];
        let mut content = String::new();
        if name.eq_ignore_ascii_case("script") {
            let close = rest.to_ascii_lowercase().find("</script").expect("a script ends");
            content = rest[..close].to_owned();
            rest = &rest[close..];
        }
        found.push((name.to_ascii_lowercase(), attributes, content));
    }
    found
}

/// Asserts a page has no inline script code (what `script-src 'self'`
/// blocks): every `<script>` has a `src` and no content, or is a JSON data
/// block with nothing the HTML parser could take for markup; no tag has an
/// `on…=` handler; no `javascript:` URL.
fn assert_no_inline_code(path: &str, html: &str) {
    for (name, attributes, content) in tags(html) {
        let lower = attributes.to_ascii_lowercase();
        let handler = lower.split_whitespace().find(|a| a.starts_with("on") && a.contains('='));
        assert!(handler.is_none(), "{path}: <{name}{attributes}> has an inline handler");
        assert!(!lower.contains("javascript:"), "{path}: <{name}{attributes}>");
        if name == "script" {
            if lower.contains("type=\"application/json\"") {
                for c in ['<', '>', '&', '\u{2028}', '\u{2029}'] {
                    assert!(!content.contains(c), "{path}: the data block holds a raw {c:?}: {content}");
                }
                serde_json::from_str::<Value>(&content).unwrap_or_else(|e| panic!("{path}: data block: {e}"));
            } else {
                assert!(lower.contains("src="), "{path}: an inline <script{attributes}>");
                assert!(content.trim().is_empty(), "{path}: inline code in <script{attributes}>: {content}");
            }
        }
    }
}

on_both_backends!(customer_text_cannot_break_out_of_the_board_or_any_page, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    app.create("PED-NICE-1").await;
    let (status, created) = app.post_ticket(&hostile_order("PED-HOSTILE-1")).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let id = created["ticket_id"].clone();
    app.create("PED-NICE-2").await;
    let mut dispatcher = logged_in(&app, ADMIN, DEMO_PASSWORD).await;

    let board = dispatcher.get("/panel").await;
    assert_eq!(board.status, StatusCode::OK);
    assert_no_inline_code("/panel", &board.body);
    let scripts: Vec<_> = tags(&board.body).into_iter().filter(|(name, ..)| name == "script").collect();
    assert_eq!(scripts.len(), 3, "the data block, socket.io and board.js, nothing more: {scripts:?}");
    assert!(scripts[1].1.contains("socket.io.min.js") && scripts[2].1.contains("js/board.js"));
    // The data parses back to exactly what the shopper typed.
    let data: Value = serde_json::from_str(&scripts[0].2).unwrap();
    let card = data["tickets"].as_array().unwrap().iter().find(|t| t["numero"] == "PED-HOSTILE-1").unwrap().clone();
    assert_eq!(card["cliente_nombre"], HOSTILE_NAME);
    assert_eq!(card["cliente_direccion"], HOSTILE_ADDRESS);
    assert_eq!(data["tickets"].as_array().unwrap().len(), 3, "the other tickets are there too");

    // Every other page of the desk: escaped text, no inline code.
    let courier_email = format!("{}@belgrano.local", created["repartidor_asignado"].as_str().unwrap().to_lowercase());
    let mut courier = logged_in(&app, &courier_email, DEMO_PASSWORD).await;
    let courier_page = courier.get("/repartidor").await;
    assert_eq!(courier_page.status, StatusCode::OK);
    assert!(courier_page.body.contains("PED-HOSTILE-1"));
    assert_no_inline_code("/repartidor", &courier_page.body);
    assert!(courier_page.body.contains("data-ultimo-seq=\""), "courier.js catches up from the page's seq");
    let mut anonymous = Browser::new(&app);
    assert_no_inline_code("/login", &anonymous.get("/login").await.body);
    for path in [
        "/panel/tickets".to_owned(),
        format!("/panel/tickets/{id}"),
        format!("/panel/tickets/{id}/imprimir"),
        "/reportes".to_owned(),
        "/repartidores".to_owned(),
        "/repartidores/1".to_owned(),
        "/cuenta/password".to_owned(),
        "/panel/tickets/999999".to_owned(),
    ] {
        let page = dispatcher.get(&path).await;
        assert!(page.status == StatusCode::OK || page.status == StatusCode::NOT_FOUND, "{path}: {}", page.status);
        assert_no_inline_code(&path, &page.body);
        for raw in ["<script>alert", "<img src=x", "<!--<script>", "<b>"] {
            assert!(!page.body.contains(raw), "{path} carries {raw:?} unescaped");
        }
    }
    let detail = dispatcher.get(&format!("/panel/tickets/{id}")).await.body;
    assert!(detail.contains("&#60;/script&#62;&#60;script&#62;alert(1)&#60;/script&#62;"), "shown as text: {detail}");
    let slip = dispatcher.get(&format!("/panel/tickets/{id}/imprimir")).await.body;
    assert!(slip.contains("id=\"imprimir\"") && slip.contains("js/slip.js"), "printing is wired from a file");
    assert_eq!(dispatcher.get("/static/js/slip.js").await.status, StatusCode::OK);
    assert_eq!(dispatcher.get("/static/slip.css").await.status, StatusCode::OK);
    app.stop().await;
});
