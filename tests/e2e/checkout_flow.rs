//! A checkout in Ahorro yields exactly one ticket in the real Tickets, with
//! the same number, total and products, and the order learns its ticket.

use belgrano_e2e::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkout_becomes_one_ticket() {
    for backend in Backend::available() {
        let tickets_db = TestDb::new(backend).await;
        let ahorro_db = TestDb::new(backend).await;
        // Each knows the other's address: Tickets posts status updates back.
        let ahorro_port = free_port().to_string();
        let tickets = Tickets::start(&tickets_db, 0, &format!("http://127.0.0.1:{ahorro_port}")).await;
        let ahorro = Ahorro::start(&ahorro_db, &tickets.url, &[("PORT", ahorro_port.as_str())]).await;

        // A guest with a session cookie, so they may see their order page.
        let client = reqwest::Client::new();
        let home = client.get(&ahorro.url).send().await.unwrap();
        let cookie = home.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
        let response = client
            .post(format!("{}/api/checkout", ahorro.url))
            .header("Cookie", &cookie)
            .json(&checkout_body(1, &[(1, 2), (25, 1), (2, 3)]))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let answer: serde_json::Value = response.json().await.unwrap();
        assert_eq!(status, 200, "{answer}");
        let numero = answer["pedido"]["numero"].as_str().unwrap().to_owned();
        let total = answer["pedido"]["total"].as_f64().unwrap();
        // A flat address is delivered at Belgrano's cost ($ 1.500).
        assert_eq!(total, 950.0 * 2.0 + 1800.0 * 3.0 + answer_price(&ahorro.url, 25).await + 1500.0);
        // Tickets answered within the checkout's wait: the ticket is known.
        assert_eq!(answer["ticket"]["numero"], numero.as_str(), "{answer}");

        let all = tickets.tickets().await;
        assert_exactly_once(&all, std::slice::from_ref(&numero));
        let ticket = &all[0];
        assert_eq!(answer["ticket"]["id"], ticket["id"]);
        assert_eq!(answer["ticket"]["repartidor"], ticket["repartidor"]);
        assert_eq!(ticket["total"].as_f64().unwrap(), total);
        assert_eq!(ticket["cliente_nombre"], "Cliente Número 1");
        assert_eq!(ticket["cliente_direccion"], "Av. Cabildo 1");
        assert_eq!(ticket["metodo_pago"], "efectivo");
        // Tickets keeps and returns the delivery and what to collect.
        assert_eq!(ticket["entrega"]["barrio"], "Belgrano", "{ticket}");
        assert_eq!(ticket["entrega"]["costo_envio"], 1500.0);
        assert!(ticket["entrega"]["franja"]["desde"].as_str().unwrap().ends_with("-03:00"), "{ticket}");
        assert_eq!(ticket["cobro"]["metodo"], "efectivo");
        assert_eq!(ticket["cobro"]["monto"].as_f64(), Some(total));
        let productos: Vec<(i64, String, u64, f64)> = ticket["productos"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["id"].as_i64().unwrap(),
                    p["nombre"].as_str().unwrap().to_owned(),
                    p["cantidad"].as_u64().unwrap(),
                    p["precio"].as_f64().unwrap(),
                )
            })
            .collect();
        assert_eq!(productos[0], (1, "Arroz 1kg".to_owned(), 2, 950.0));
        assert_eq!(productos[2], (2, "Aceite 900ml".to_owned(), 3, 1800.0));
        assert_eq!(productos.len(), 3);

        // The dispatcher moves the ticket on; the customer's page follows.
        patch_ticket(&tickets.url, &ticket["id"], serde_json::json!({"estado": "en-preparacion"})).await;
        let page_url = format!("{}/pedido/{numero}", ahorro.url);
        let followed = eventually(std::time::Duration::from_secs(10), || async {
            let page = client.get(&page_url).header("Cookie", &cookie).send().await.unwrap().text().await.unwrap();
            page.contains("En preparación")
        })
        .await;
        assert!(followed, "the order page never showed the new state");
        assert_eq!(client.get(&page_url).send().await.unwrap().status(), 404, "another visitor cannot see it");

        ahorro.stop().await;
        tickets.stop().await;
    }
}

/// A product's current price, read from its page (`$ 1.234` → 1234).
async fn answer_price(ahorro_url: &str, id: i64) -> f64 {
    let html = reqwest::get(format!("{ahorro_url}/producto/{id}")).await.unwrap().text().await.unwrap();
    // The page writes `$` and the amount with a non-breaking space between.
    let start = html.find("class=\"price big\">$\u{a0}").unwrap() + "class=\"price big\">$\u{a0}".len();
    let digits: String =
        html[start..].chars().take_while(|c| c.is_ascii_digit() || *c == '.').filter(char::is_ascii_digit).collect();
    digits.parse().unwrap()
}
