//! The dispatchers' board on a busy day, in headless Chromium: every card
//! shows its delivery window and a late mark (one that appears by itself
//! when a window ends), the window filter and the other filters survive a
//! reload, all six lanes fit at 1280x800, a new ticket rings (and a muted
//! board does not), and cancel and delete go through the board's own
//! dialogs. The screenshot goes to `target/screenshots/board.png`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use belgrano_e2e::browser::{Driver, login_tickets};
use belgrano_e2e::*;
use chrono::{DateTime, Duration as Span, FixedOffset, TimeZone, Utc};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

fn buenos_aires() -> FixedOffset {
    FixedOffset::west_opt(3 * 3600).unwrap()
}

/// Today (Buenos Aires) at `hour`:00, shifted by `days`.
fn at(days: i64, hour: u32) -> DateTime<FixedOffset> {
    let today = Utc::now().with_timezone(&buenos_aires()).date_naive() + Span::days(days);
    buenos_aires().from_local_datetime(&today.and_hms_opt(hour, 0, 0).unwrap()).unwrap()
}

async fn post_ticket(
    tickets: &Tickets,
    numero: &str,
    nombre: &str,
    franja: Option<(DateTime<FixedOffset>, DateTime<FixedOffset>)>,
) -> i64 {
    let mut body = json!({
        "numero": numero,
        "cliente_nombre": nombre,
        "cliente_direccion": "Juramento 2100",
        "productos": [{"nombre": "Yerba 1 kg", "precio": 4500, "cantidad": 2, "subtotal": 9000}],
        "total": 9000.0,
    });
    if let Some((desde, hasta)) = franja {
        body["entrega"] = json!({
            "barrio": "Belgrano",
            "franja": {"desde": desde.to_rfc3339(), "hasta": hasta.to_rfc3339()},
            "costo_envio": 0,
        });
    }
    let response = reqwest::Client::new()
        .post(format!("{}/api/tickets", tickets.url))
        .header("X-API-Key", API_KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let answer: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{numero}: {answer}");
    answer["ticket_id"].as_i64().unwrap()
}

async fn ticket(tickets: &Tickets, id: i64) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(format!("{}/api/tickets/{id}", tickets.url))
        .header("X-API-Key", API_KEY)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn card(numero: &str) -> String {
    format!(".card[data-numero='{numero}']")
}

async fn js(client: &Client, script: &str) -> Value {
    client.execute(script, vec![]).await.unwrap()
}

/// The rendered text of the first element matching `css` ("" when none),
/// read in one step: the board may redraw between a find and a read.
async fn text_of(client: &Client, css: &str) -> String {
    let script = "var n = document.querySelector(arguments[0]); return n ? n.innerText : '';";
    client.execute(script, vec![css.into()]).await.unwrap().as_str().unwrap_or_default().to_owned()
}

async fn has(client: &Client, css: &str) -> bool {
    client.find(Locator::Css(css)).await.is_ok()
}

async fn live(client: &Client) {
    client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id("live-status")).await.unwrap();
    let on = eventually(Duration::from_secs(15), || async { text_of(client, "#live-status").await == "En vivo" }).await;
    assert!(on, "the board is connected: {}", text_of(client, "#live-status").await);
}

async fn choose(client: &Client, select: &str, value: &str) {
    click(client, &format!("{select} option[value='{value}']")).await;
}

/// Clicks the first element matching `css`. The board redraws its lanes on
/// every live event, so an element found may be replaced before the click:
/// find it again then.
async fn click(client: &Client, css: &str) {
    let clicked = eventually(Duration::from_secs(10), || async {
        match client.find(Locator::Css(css)).await {
            Ok(element) => element.click().await.is_ok(),
            Err(_) => false,
        }
    })
    .await;
    assert!(clicked, "{css} clicked");
}

/// Sizes the window so that the page itself (the viewport) is `width` x `height`.
async fn viewport(client: &Client, width: u32, height: u32) {
    client.set_window_size(width, height).await.unwrap();
    let chrome =
        js(client, "return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight];").await;
    let extra = |i: usize| chrome[i].as_u64().unwrap_or(0) as u32;
    client.set_window_size(width + extra(0), height + extra(1)).await.unwrap();
}

/// Moves a ticket's last change `days` back, as if it had been finished then.
async fn finished_days_ago(db: &TestDb, id: i64, days: i64) {
    let when = Utc::now() - Span::days(days);
    let update = "UPDATE tickets SET fecha_actualizacion = $1 WHERE id = $2";
    match db.backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            // The store's text form of a timestamp.
            let text = when.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
            sqlx::query(update).bind(text).bind(id).execute(&pool).await.unwrap();
            pool.close().await;
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            // Tickets keeps its tables in its own schema.
            let update = "UPDATE tickets.tickets SET fecha_actualizacion = $1 WHERE id = $2";
            sqlx::query(update).bind(when).bind(id).execute(&pool).await.unwrap();
            pool.close().await;
        }
    }
}

fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Counts the tones the page starts, from here on (the beep is WebAudio).
const COUNT_TONES: &str = "window.__tonos = 0; var start = OscillatorNode.prototype.start; \
    OscillatorNode.prototype.start = function () { window.__tonos += 1; return start.apply(this, arguments); }; \
    return true;";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_on_a_busy_day() {
    for backend in Backend::available() {
        busy_day(backend).await;
    }
}

async fn busy_day(backend: Backend) {
    let db = TestDb::new(backend).await;
    let tickets =
        Tickets::start_with(&db, 0, &format!("http://127.0.0.1:{}", free_port()), &[("TICKET_DEMORA_MINUTOS", "90")])
            .await;
    // Yesterday's morning window (over: late), tomorrow's noon window, none at all.
    let ayer = post_ticket(&tickets, "PED-AYER", "Marta Suárez", Some((at(-1, 9), at(-1, 12)))).await;
    let manana = post_ticket(&tickets, "PED-MANANA", "Luis Díaz", Some((at(1, 12), at(1, 15)))).await;
    let sin = post_ticket(&tickets, "PED-SIN", "Rosa Gil", None).await;

    let driver = Driver::start().await;
    let (desk, _profile) = driver.browser().await;
    viewport(&desk, 1280, 800).await;
    login_tickets(&desk, &tickets.url, "admin@belgrano.local", "demo1234").await;
    live(&desk).await;

    // All six lanes side by side inside the viewport.
    let lanes = js(
        &desk,
        "var w = document.documentElement.clientWidth; return Array.from(document.querySelectorAll('section.lane')).map(function (l) { \
           var r = l.getBoundingClientRect(); return [l.getAttribute('data-lane'), r.left >= 0 && r.right <= w && r.width > 40, w]; });",
    )
    .await;
    let lanes = lanes.as_array().unwrap();
    assert_eq!(lanes.len(), 6, "{lanes:?}");
    for lane in lanes {
        assert_eq!(lane[1], true, "lane within the 1280 px viewport: {lane:?}");
        assert!(lane[2].as_f64().unwrap() >= 1200.0, "the viewport is 1280 px wide: {lane:?}");
    }

    // Windows on the cards (Buenos Aires time, the day when not today), barrio, late marks.
    let ayer_text = text_of(&desk, &card("PED-AYER")).await;
    assert!(ayer_text.contains("09:00–12:00") && ayer_text.contains("Belgrano"), "{ayer_text}");
    assert!(has(&desk, &format!("{} .demora", card("PED-AYER"))).await, "yesterday's window is over: late");
    assert!(text_of(&desk, &format!("{} .demora", card("PED-AYER"))).await.contains("Demorado"));
    let manana_text = text_of(&desk, &card("PED-MANANA")).await;
    assert!(manana_text.contains("12:00–15:00"), "{manana_text}");
    assert!(!has(&desk, &format!("{} .demora", card("PED-MANANA"))).await, "tomorrow's is not late");
    assert!(text_of(&desk, &card("PED-SIN")).await.contains("Sin franja"));
    assert!(!has(&desk, &format!("{} .demora", card("PED-SIN"))).await, "a new ticket without window is not late");

    // The window filter offers the windows present; picking one leaves its tickets.
    choose(&desk, "select[name=franja]", "12:00-15:00").await;
    let only =
        eventually(Duration::from_secs(5), || async { desk.find_all(Locator::Css(".card")).await.unwrap().len() == 1 })
            .await;
    assert!(only, "one ticket has the 12–15 window");
    assert!(has(&desk, &card("PED-MANANA")).await);
    choose(&desk, "select[name=franja]", "sin").await;
    let sin_only = eventually(Duration::from_secs(5), || async {
        has(&desk, &card("PED-SIN")).await && desk.find_all(Locator::Css(".card")).await.unwrap().len() == 1
    })
    .await;
    assert!(sin_only, "“sin franja” leaves the ticket without a window");
    choose(&desk, "select[name=franja]", "12:00-15:00").await;
    choose(&desk, "select[name=orden]", "total").await;
    let url = desk.current_url().await.unwrap();
    assert!(url.query().unwrap_or_default().contains("franja=12%3A00-15%3A00"), "{url}");

    // A reload (or the shared link) keeps the filters.
    desk.refresh().await.unwrap();
    live(&desk).await;
    assert_eq!(js(&desk, "return document.querySelector('select[name=franja]').value;").await, "12:00-15:00");
    assert_eq!(js(&desk, "return document.querySelector('select[name=orden]').value;").await, "total");
    assert_eq!(desk.find_all(Locator::Css(".card")).await.unwrap().len(), 1, "still filtered after the reload");
    assert!(has(&desk, &card("PED-MANANA")).await);

    // Filters that leave nothing say so and offer to clear them.
    desk.find(Locator::Css("input[name=q]")).await.unwrap().send_keys("nadie se llama así").await.unwrap();
    let empty = eventually(Duration::from_secs(5), || async {
        text_of(&desk, "#board-empty").await.contains("Ningún ticket")
    })
    .await;
    assert!(empty, "the empty result says so");
    let lane = "section[data-lane=en-camino] .lane-empty";
    assert!(text_of(&desk, lane).await.contains("Ningún ticket con estos filtros"), "so does each empty lane");
    assert!(has(&desk, &format!("{lane} button[data-action=quitar-filtros]")).await, "with a way out");
    click(&desk, "#board-empty button[data-action=quitar-filtros]").await;
    let back =
        eventually(Duration::from_secs(5), || async { desk.find_all(Locator::Css(".card")).await.unwrap().len() == 3 })
            .await;
    assert!(back, "every ticket is back");
    let url = desk.current_url().await.unwrap();
    assert!(!url.query().unwrap_or_default().contains("franja"), "{url}");

    // A new ticket rings: the first click unlocks audio, then a tone per ticket.
    click(&desk, "h1").await;
    js(&desk, COUNT_TONES).await;
    assert_eq!(js(&desk, "return document.getElementById('board').getAttribute('data-avisos');").await, "0");
    let nuevo = post_ticket(&tickets, "PED-NUEVO", "Iván Ríos", Some((at(0, 18), at(0, 21)))).await;
    let rang = eventually(Duration::from_secs(10), || async {
        js(&desk, "return document.getElementById('board').getAttribute('data-sonidos');").await == "1"
    })
    .await;
    assert!(rang, "the board played its sound");
    assert!(js(&desk, "return window.__tonos;").await.as_i64().unwrap() >= 1, "a tone really started");
    assert!(has(&desk, &card("PED-NUEVO")).await);
    assert!(has(&desk, "#avisos-escritorio").await, "desktop notifications can be allowed");

    // Muted (and remembered across a reload): the next ticket is shown, not heard.
    click(&desk, "#avisos-sonido").await;
    desk.refresh().await.unwrap();
    live(&desk).await;
    let sound = text_of(&desk, "#avisos-sonido").await;
    assert!(sound.contains("silenciado"), "the mute is remembered: {sound:?}");
    assert!(desk.current_url().await.unwrap().query().unwrap_or_default().contains("orden=total"), "the order too");
    click(&desk, "h1").await;
    js(&desk, COUNT_TONES).await;
    let callado = post_ticket(&tickets, "PED-CALLADO", "Eva Luna", None).await;
    let announced = eventually(Duration::from_secs(10), || async {
        js(&desk, "return document.getElementById('board').getAttribute('data-avisos');").await == "1"
    })
    .await;
    assert!(announced, "the new ticket is announced");
    assert_eq!(js(&desk, "return document.getElementById('board').getAttribute('data-sonidos');").await, "0");
    assert_eq!(js(&desk, "return window.__tonos;").await, 0, "muted: no tone");
    click(&desk, "#avisos-sonido").await;

    // Cancel through the dialog: the reason is required, Esc backs out.
    click(&desk, &format!("{} button[data-action=cancel]", card("PED-MANANA"))).await;
    assert!(has(&desk, "#dialogo-cancelar[open]").await, "the cancel dialog opens");
    assert_eq!(js(&desk, "return document.activeElement.id;").await, "cancelar-motivo", "focus on the reason");
    assert!(text_of(&desk, "#dialogo-cancelar").await.contains("PED-MANANA"));
    desk.find(Locator::Id("cancelar-motivo")).await.unwrap().send_keys(&Key::Escape.to_string()).await.unwrap();
    let closed = eventually(Duration::from_secs(5), || async { !has(&desk, "#dialogo-cancelar[open]").await }).await;
    assert!(closed, "Esc closes the dialog");
    assert_eq!(ticket(&tickets, manana).await.1["estado"], "pendiente", "nothing was cancelled");

    click(&desk, &format!("{} button[data-action=cancel]", card("PED-SIN"))).await;
    click(&desk, "#dialogo-cancelar button[type=submit]").await;
    assert!(text_of(&desk, "#cancelar-error").await.contains("motivo"), "a reason is required");
    assert!(has(&desk, "#dialogo-cancelar[open]").await, "the dialog stays open");
    desk.find(Locator::Id("cancelar-motivo")).await.unwrap().send_keys("El cliente se mudó").await.unwrap();
    click(&desk, "#dialogo-cancelar button[type=submit]").await;
    let cancelled =
        eventually(Duration::from_secs(10), || async { ticket(&tickets, sin).await.1["estado"] == "cancelado" }).await;
    assert!(cancelled, "the ticket was cancelled: {}", ticket(&tickets, sin).await.1);
    let moved = eventually(Duration::from_secs(10), || async {
        has(&desk, &format!("section[data-lane=cancelado] {}", card("PED-SIN"))).await
    })
    .await;
    assert!(moved, "today's cancellation is in the Cancelado lane");

    // The screenshot, with a ticket in preparation and one without a courier.
    patch_ticket(&tickets.url, &json!(nuevo), json!({"estado": "en-preparacion"})).await;
    patch_ticket(&tickets.url, &json!(callado), json!({"repartidor_id": null})).await;
    let moved = eventually(Duration::from_secs(10), || async {
        has(&desk, &format!("section[data-lane=sin-asignar] {}", card("PED-CALLADO"))).await
            && has(&desk, &format!("section[data-lane=en-preparacion] {}", card("PED-NUEVO"))).await
    })
    .await;
    assert!(moved, "the board follows the changes");
    assert_eq!(js(&desk, "return [window.innerWidth, window.innerHeight];").await, json!([1280, 800]));
    js(&desk, "window.scrollTo(0, 0); document.activeElement.blur(); return true;").await;
    std::fs::write(screenshots().join("board.png"), desk.screenshot().await.unwrap()).unwrap();

    // Final lanes fold, and the fold survives a reload.
    click(&desk, "button[data-action=plegar][data-lane=cancelado]").await;
    assert!(has(&desk, "section.lane-cancelado.plegada").await);
    desk.refresh().await.unwrap();
    live(&desk).await;
    assert!(has(&desk, "section.lane-cancelado.plegada").await, "still folded after the reload");
    let hidden = js(
        &desk,
        "var c = document.querySelector(\".card[data-numero='PED-SIN']\"); return !!c && c.offsetParent === null;",
    )
    .await;
    assert_eq!(hidden, true, "its cards are out of sight");

    // Delete: the typed number must match.
    click(&desk, &format!("{} button[data-action=delete]", card("PED-AYER"))).await;
    assert!(has(&desk, "#dialogo-eliminar[open]").await);
    assert_eq!(js(&desk, "return document.activeElement.id;").await, "eliminar-numero");
    desk.find(Locator::Id("eliminar-numero")).await.unwrap().send_keys("PED-OTRO").await.unwrap();
    click(&desk, "#dialogo-eliminar button[type=submit]").await;
    assert!(text_of(&desk, "#eliminar-error").await.contains("no coincide"));
    assert_eq!(ticket(&tickets, ayer).await.0, 200, "not deleted");
    let input = desk.find(Locator::Id("eliminar-numero")).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys("PED-AYER").await.unwrap();
    click(&desk, "#dialogo-eliminar button[type=submit]").await;
    let gone = eventually(Duration::from_secs(10), || async { ticket(&tickets, ayer).await.0 == 404 }).await;
    assert!(gone, "deleted");
    let off = eventually(Duration::from_secs(10), || async { !has(&desk, &card("PED-AYER")).await }).await;
    assert!(off, "and off the board");

    // Final lanes show today's: a delivery of two days ago waits behind "Ver todos".
    patch_ticket(&tickets.url, &json!(nuevo), json!({"estado": "en-camino"})).await;
    patch_ticket(&tickets.url, &json!(nuevo), json!({"estado": "entregado"})).await;
    finished_days_ago(&db, nuevo, 2).await;
    desk.refresh().await.unwrap();
    live(&desk).await;
    assert!(!has(&desk, &card("PED-NUEVO")).await, "an old delivery is not on today's board");
    let lane = text_of(&desk, "section[data-lane=entregado]").await;
    assert!(lane.contains("1 más de días anteriores"), "{lane:?} {}", ticket(&tickets, nuevo).await.1);
    click(&desk, "section[data-lane=entregado] button[data-action=ver-anteriores]").await;
    assert!(has(&desk, &format!("section[data-lane=entregado] {}", card("PED-NUEVO"))).await, "shown on request");
    assert!(desk.current_url().await.unwrap().query().unwrap_or_default().contains("finales=todos"));

    // A ticket whose window ends while the board is open becomes late
    // without a reload (the board's timer, not a new event).
    desk.execute("window.__sin_recargar = 'si'; return true;", vec![]).await.unwrap();
    let now = Utc::now().with_timezone(&buenos_aires());
    let pronto =
        post_ticket(&tickets, "PED-PRONTO", "Ana Paz", Some((now - Span::hours(2), now + Span::seconds(40)))).await;
    let shown = eventually(Duration::from_secs(10), || async { has(&desk, &card("PED-PRONTO")).await }).await;
    assert!(shown, "the new ticket is on the board");
    assert!(!has(&desk, &format!("{} .demora", card("PED-PRONTO"))).await, "not late yet");
    let late =
        eventually(Duration::from_secs(90), || async { has(&desk, &format!("{} .demora", card("PED-PRONTO"))).await })
            .await;
    assert!(late, "the late mark appears when the window ends");
    assert_eq!(js(&desk, "return window.__sin_recargar;").await, "si", "no reload");
    assert_eq!(ticket(&tickets, pronto).await.1["estado"], "pendiente");

    // A failed attempt brings the ticket back to "Sin asignar", marked with
    // the reason, live.
    for estado in ["en-preparacion", "en-camino"] {
        patch_ticket(&tickets.url, &json!(pronto), json!({"estado": estado})).await;
    }
    let response = reqwest::Client::new()
        .post(format!("{}/api/tickets/{pronto}/intento-fallido", tickets.url))
        .header("X-API-Key", API_KEY)
        .json(&json!({"motivo": "No atendía nadie"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mark = format!("section[data-lane=sin-asignar] {} .intento", card("PED-PRONTO"));
    let back = eventually(Duration::from_secs(10), || async { has(&desk, &mark).await }).await;
    assert!(back, "the ticket is back unassigned with its mark: {}", text_of(&desk, &card("PED-PRONTO")).await);
    assert_eq!(text_of(&desk, &mark).await, "Intento fallido ×1: No atendía nadie");
    assert_eq!(js(&desk, "return window.__sin_recargar;").await, "si", "still no reload");

    desk.close().await.unwrap();
    tickets.stop().await;
}
