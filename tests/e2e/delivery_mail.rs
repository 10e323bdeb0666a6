//! Issue 14 end to end: a guest buys in headless Chromium for a served
//! barrio, in a window they chose, paying cash with change; the real SMTP
//! server (aiosmtpd) receives the confirmation, whose tracking link shows
//! the order live while dispatch moves it; "en camino" and "entregado"
//! each produce one mail; `/buscar-pedido` finds the order again. On
//! SQLite and on PostgreSQL (when `TEST_DATABASE_URL` is set).
//!
//! The refusals by field, the race for a window's last place, SMTP down
//! during 20 checkouts and the single-use reset link are proved through
//! HTTP in `crates/ahorro/tests/api/{entrega,correo}.rs` on both backends.

use std::time::Duration;

use belgrano_e2e::browser::{Driver, set_first_quantity, text_of};
use belgrano_e2e::*;
use belgrano_testkit::smtp::SmtpServer;
use fantoccini::{Client, Locator};

const EMAIL: &str = "rocio.invitada@example.com";

async fn type_into(client: &Client, name: &str, value: &str) {
    let input = client.find(Locator::Css(&format!("[name={name}]"))).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys(value).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_orders_for_a_window_pays_cash_and_hears_of_every_step() {
    for backend in Backend::available() {
        let mut smtp = SmtpServer::start().await;
        let tickets_db = TestDb::new(backend).await;
        let ahorro_db = TestDb::new(backend).await;
        // A known port for Ahorro: Tickets reports back to it, and the mailed
        // links (PUBLIC_URL's default, http://localhost:PORT) lead to it.
        let port = free_port().to_string();
        let tickets = Tickets::start(&tickets_db, 0, &format!("http://127.0.0.1:{port}")).await;
        let smtp_url = smtp.url();
        let extra = [("PORT", port.as_str()), ("SMTP_URL", smtp_url.as_str()), ("MAIL_FROM", "pedidos@ahorro.test")];
        let ahorro = Ahorro::start(&ahorro_db, &tickets.url, &extra).await;

        let driver = Driver::start().await;
        let (client, _profile) = driver.browser().await;

        // Ten packs of sugar (10 × $ 1.020 = $ 10.200: over Núñez's minimum
        // of $ 10.000, under free delivery).
        client.goto(&format!("{}/?busqueda=azucar", ahorro.url)).await.unwrap();
        client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("form.add button")).await.unwrap();
        client.find(Locator::Css("form.add button")).await.unwrap().click().await.unwrap();
        let added =
            eventually(Duration::from_secs(10), || async { text_of(&client, "#cart-count").await == "1" }).await;
        assert!(added, "{backend:?}: the product is in the cart");
        set_first_quantity(&client, &ahorro.url, 10).await;
        client.find(Locator::Id("ir-checkout")).await.unwrap().click().await.unwrap();
        client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("input[name=calle]")).await.unwrap();

        // A guest: contact, a structured address in Núñez, the second window
        // that can be chosen, cash with a $ 20.000 bill.
        for (name, value) in [
            ("nombre", "Rocío"),
            ("apellido", "Benítez"),
            ("email", EMAIL),
            ("telefono", "011-4702-1234"),
            ("calle", "Av. del Libertador"),
            ("altura", "7400"),
            ("piso", "5° A"),
            ("entre_calles", "Congreso y Quesada"),
            ("codigo_postal", "1429"),
        ] {
            type_into(&client, name, value).await;
        }
        client.find(Locator::Css("select[name=barrio] option[value='Núñez']")).await.unwrap().click().await.unwrap();
        // The summary follows the barrio before the order is placed.
        assert_eq!(text_of(&client, "#envio").await, "Envío a Núñez: $ 2.000", "{backend:?}");
        assert_eq!(text_of(&client, "#total").await, "Total $ 12.200", "{backend:?}");
        assert!(text_of(&client, "#confirmar").await.ends_with("$ 12.200"));
        let windows = client.find_all(Locator::Css("input[name=franja_id]:not([disabled])")).await.unwrap();
        assert!(windows.len() >= 2, "{backend:?}: windows to choose from");
        let franja = windows[1].attr("value").await.unwrap().unwrap();
        windows[1].click().await.unwrap();
        client
            .find(Locator::Css("select[name=metodo_pago] option[value=efectivo]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        type_into(&client, "paga_con", "20000").await;
        client.find(Locator::Id("confirmar")).await.unwrap().click().await.unwrap();

        // The confirmation: the window, the address and the payment in words.
        client.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css(".numero")).await.unwrap();
        let numero = text_of(&client, ".numero").await;
        assert!(numero.starts_with("PED-"), "{backend:?}: {numero}");
        let ventana = text_of(&client, ".entrega .franja").await;
        // The window chosen ("<franja>@YYYY-MM-DD"), said as "jueves 3/12, de 15:00 a 18:00".
        let fecha = franja.split_once('@').unwrap().1;
        let (mes, dia) = (fecha[5..7].trim_start_matches('0'), fecha[8..10].trim_start_matches('0'));
        assert!(ventana.contains(&format!(" {dia}/{mes}, de ")), "{backend:?}: {franja} in words: {ventana}");
        assert!(text_of(&client, ".entrega .direccion").await.contains("Av. del Libertador 7400"));
        // $ 10.200 + Núñez's $ 2.000 = $ 12.200; change from $ 20.000: $ 7.800.
        assert_eq!(
            text_of(&client, ".entrega .pago").await,
            "Efectivo, pagás con $ 20.000 (vuelto $ 7.800)",
            "{backend:?}: the payment in words"
        );
        let page = client.source().await.unwrap();
        assert!(!page.contains("Ticket #") && !page.contains(">efectivo<"), "{backend:?}: no internal names");

        // Dispatch got where, when and what to collect.
        let ticket = tickets.tickets().await.into_iter().find(|t| t["numero"] == numero.as_str()).expect("a ticket");
        assert_eq!(ticket["entrega"]["barrio"], "Núñez", "{backend:?}: {ticket}");
        assert_eq!(ticket["entrega"]["costo_envio"], 2000.0);
        assert!(ticket["entrega"]["franja"]["desde"].as_str().unwrap().ends_with("-03:00"), "{ticket}");
        assert_eq!(ticket["cobro"]["metodo"], "efectivo");
        assert_eq!(ticket["cobro"]["monto"], 12200.0);
        assert_eq!(ticket["cobro"]["paga_con"], 20000.0);
        assert_eq!(ticket["cobro"]["vuelto"], 7800.0);
        assert_eq!(ticket["total"], 12200.0);
        assert!(ticket["productos"][0]["sucursal"]["direccion"].is_string(), "where to pick it up: {ticket}");
        assert!(ticket["productos"][0]["negocio_nombre"].is_string());

        // The confirmation mail, with the window and the payment.
        let mails = smtp.wait_for(EMAIL, 1, Duration::from_secs(20)).await;
        assert_eq!(mails.len(), 1, "{backend:?}: one confirmation");
        let confirmacion = &mails[0];
        assert!(confirmacion.subject.contains(&numero), "{}", confirmacion.subject);
        assert_eq!(confirmacion.content_type, "multipart/alternative");
        for needle in [ventana.as_str(), "Av. del Libertador 7400", "vuelto $ 7.800", "$ 12.200"] {
            assert!(confirmacion.text.contains(needle), "{backend:?}: {needle} in {}", confirmacion.text);
        }
        let link = confirmacion.link("/seguimiento/").expect("a tracking link in the mail");
        assert!(link.starts_with(&format!("http://localhost:{port}/")), "{link}");

        // The link shows the order, live: dispatch moves it and the page
        // follows without a reload.
        client.goto(&link).await.unwrap();
        client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id("estado")).await.unwrap();
        assert!(client.source().await.unwrap().contains(&numero));
        assert_eq!(text_of(&client, "#estado").await, "Pendiente");
        client.execute("window.__sin_recargar = true", vec![]).await.unwrap();
        for (estado, label) in
            [("en-preparacion", "En preparación"), ("en-camino", "En camino"), ("entregado", "Entregado")]
        {
            patch_ticket(&tickets.url, &ticket["id"], serde_json::json!({"estado": estado})).await;
            let shown =
                eventually(Duration::from_secs(15), || async { text_of(&client, "#estado").await == label }).await;
            assert!(shown, "{backend:?}: the tracking page shows {label}: {}", text_of(&client, "#estado").await);
        }
        let kept = client.execute("return window.__sin_recargar === true", vec![]).await.unwrap();
        assert_eq!(kept, serde_json::json!(true), "{backend:?}: live, without a reload");

        // One mail for "en camino", one for "entregado", none for "en preparación".
        let mails = smtp.wait_for(EMAIL, 3, Duration::from_secs(20)).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let mails = if mails.len() == 3 { smtp.messages_to(EMAIL).await } else { mails };
        let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
        assert_eq!(mails.len(), 3, "{backend:?}: {subjects:?}");
        assert_eq!(subjects.iter().filter(|s| s.contains("en camino")).count(), 1, "{subjects:?}");
        assert_eq!(subjects.iter().filter(|s| s.starts_with("Entregamos")).count(), 1, "{subjects:?}");

        // A guest who closed the tab finds the order with its number and e-mail.
        client.goto(&format!("{}/buscar-pedido", ahorro.url)).await.unwrap();
        type_into(&client, "numero", &format!(" {numero} ")).await;
        type_into(&client, "email", &EMAIL.to_uppercase()).await;
        client
            .find(Locator::Css("form[action='/buscar-pedido'] button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id("estado")).await.unwrap();
        assert!(client.current_url().await.unwrap().path().starts_with("/seguimiento/"));
        assert_eq!(text_of(&client, "#estado").await, "Entregado");
        assert!(client.source().await.unwrap().contains(&numero));

        client.close().await.unwrap();
        ahorro.stop().await;
        tickets.stop().await;
        smtp.stop().await;
    }
}
