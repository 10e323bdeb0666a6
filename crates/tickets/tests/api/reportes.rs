//! Reports through real HTTP: orders taken by the real intake (with and
//! without a delivery window), delivered through the API; the page's
//! revenue, average ticket, failed attempts and on-time rates, and the CSV
//! of the same period, match them.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ADMIN, DEMO_PASSWORD, logged_in};
use crate::helpers::{TestApp, TestDb, order};
use crate::on_both_backends;

/// An order of `total` pesos (one line) with an optional window.
fn order_of(numero: &str, total: f64, franja: Option<(&str, &str)>) -> Value {
    let mut body = order(numero);
    body["productos"] = json!([{"id": 1, "nombre": "Caja", "precio": total, "cantidad": 1, "subtotal": total}]);
    body["total"] = json!(total);
    if let Some((desde, hasta)) = franja {
        body["entrega"] = json!({"barrio": "Belgrano", "costo_envio": 0.0, "franja": {"desde": desde, "hasta": hasta}});
    }
    body
}

async fn deliver(app: &TestApp, id: &Value) {
    for estado in ["en-preparacion", "en-camino", "entregado"] {
        let (status, body) = app.patch_ticket(id, &json!({"estado": estado})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

on_both_backends!(report_figures_and_csv_match_the_tickets_taken_in, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    // Delivered now: long after a 2020 window (late), well before a 2099 one.
    let late = order_of("PED-RPT-TARDE", 3700.0, Some(("2020-01-06T09:00:00-03:00", "2020-01-06T12:00:00-03:00")));
    let on_time = order_of("PED-RPT-BIEN", 6120.5, Some(("2099-01-05T12:00:00-03:00", "2099-01-05T15:00:00-03:00")));
    let mut ids = Vec::new();
    for body in [&late, &on_time, &order_of("PED-RPT-ABIERTO", 1000.0, None)] {
        let (status, created) = app.post_ticket(body).await;
        assert_eq!(status, StatusCode::OK, "{created}");
        ids.push(created["ticket_id"].clone());
    }
    deliver(&app, &ids[0]).await;
    deliver(&app, &ids[1]).await;

    let mut dispatcher = logged_in(&app, ADMIN, DEMO_PASSWORD).await;
    let page = dispatcher.get("/reportes").await;
    assert_eq!(page.status, StatusCode::OK);
    let body = page.body;
    assert!(body.contains("<strong>3</strong> tickets"), "{body}");
    // 3700 + 6120,50 delivered; the open ticket counts for nothing.
    assert!(body.contains(r#"<strong id="ingresos">$ 9.820,50</strong>"#), "{body}");
    assert!(body.contains(r#"<strong id="ticket-promedio">$ 4.910,25</strong>"#), "{body}");
    assert!(body.contains(r#"<strong id="intentos-fallidos">0</strong>"#), "{body}");
    let franjas = body.split("id=\"por-franja\"").nth(1).unwrap();
    assert!(franjas.contains("<td>09:00–12:00</td><td>1</td><td>0</td><td>0 %</td>"), "{franjas}");
    assert!(franjas.contains("<td>12:00–15:00</td><td>1</td><td>1</td><td>100 %</td>"), "{franjas}");
    assert!(body.contains("href=\"/reportes.csv?desde="), "the page links its CSV");

    let csv = dispatcher.get("/reportes.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    assert!(csv.headers["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"tickets_"));
    let text = csv.body.trim_start_matches('\u{feff}');
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "Número;Creado;Estado;Repartidor;Total;Franja;Entregado;A tiempo;Intentos fallidos;Día");
    assert_eq!(lines.len(), 4, "{text}");
    let of = |numero: &str| -> Vec<&str> {
        lines
            .iter()
            .find(|l| l.starts_with(&format!("{numero};")))
            .unwrap_or_else(|| panic!("{numero}"))
            .split(';')
            .collect()
    };
    let tarde = of("PED-RPT-TARDE");
    assert_eq!((tarde[2], tarde[4], tarde[5], tarde[7], tarde[8]), ("Entregado", "3700,00", "09:00–12:00", "no", "0"));
    let bien = of("PED-RPT-BIEN");
    assert_eq!((bien[2], bien[4], bien[5], bien[7]), ("Entregado", "6120,50", "12:00–15:00", "sí"));
    let abierto = of("PED-RPT-ABIERTO");
    assert_eq!((abierto[2], abierto[4], abierto[5], abierto[6], abierto[7]), ("Pendiente", "1000,00", "", "", ""));
    // The CSV's delivered totals add up to the page's revenue.
    let centavos: i64 = lines[1..]
        .iter()
        .map(|l| l.split(';').collect::<Vec<_>>())
        .filter(|cells| cells[2] == "Entregado")
        .map(|cells| cells[4].replace(',', "").parse::<i64>().unwrap())
        .sum();
    assert_eq!(centavos, 982_050);
    // The same file by the page's address and parameters.
    let (desde, hasta) = {
        let start = body.find("name=\"desde\" value=\"").unwrap() + "name=\"desde\" value=\"".len();
        let d = &body[start..start + 10];
        let start = body.find("name=\"hasta\" value=\"").unwrap() + "name=\"hasta\" value=\"".len();
        (d.to_owned(), body[start..start + 10].to_owned())
    };
    let same = dispatcher.get(&format!("/reportes?formato=csv&desde={desde}&hasta={hasta}")).await;
    assert_eq!(same.body, csv.body);
    // A period without these tickets is only the header.
    let empty = dispatcher.get("/reportes.csv?desde=2020-01-01&hasta=2020-01-31").await;
    assert_eq!(empty.body.trim_start_matches('\u{feff}').lines().count(), 1);

    let tickets = app.all_tickets().await;
    let courier = tickets.iter().find(|t| t["numero"] == "PED-RPT-BIEN").unwrap()["repartidor"].as_str().unwrap();
    let courier_email = format!("{}@belgrano.local", courier.to_lowercase());
    let mut courier_browser = logged_in(&app, &courier_email, DEMO_PASSWORD).await;
    assert_eq!(courier_browser.get("/reportes.csv").await.status, StatusCode::FORBIDDEN);
    app.stop().await;
});
