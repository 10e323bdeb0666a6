//! The information pages and the contact form, through real HTTP: every
//! page's footer links them; `/ayuda` shows the delivery settings as the
//! back office keeps them (and changes when they change); `/sobre-nosotros`
//! the stores and branches in the database; `/terminos` and `/privacidad`
//! the rights and how to exercise them; each page is small and has one
//! `h1` inside `main`. The contact form mails the shop through a real SMTP
//! server, keeps the message for the back office (`/admin/mensajes`, staff
//! only, marked answered), refuses by field, is limited per address, and
//! erasing an account erases its messages.

use std::time::Duration;

use belgrano_testkit::smtp::SmtpServer;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;
use crate::on_both_backends;

const ADMIN: (&str, &str) = ("duena@tienda.com.ar", "una-clave-de-prueba");
const CONTACTO: &str = "hola@belgrano.test";
const PAGINAS: &[&str] = &["/ayuda", "/sobre-nosotros", "/contacto", "/terminos", "/privacidad"];

/// What the templates make of a text (askama's HTML escaping).
fn html(text: &str) -> String {
    text.replace('&', "&#38;").replace('<', "&#60;").replace('>', "&#62;").replace('"', "&#34;").replace('\'', "&#39;")
}

fn assert_page(path: &str, page: &Page) {
    assert_eq!(page.status, 200, "{path}");
    assert!(page.body.len() < 100 * 1024, "{path} weighs {} bytes", page.body.len());
    assert!(page.body.contains("<html lang=\"es-AR\">"), "{path}");
    assert_eq!(page.body.matches("<h1").count(), 1, "{path}: one h1");
    let main = page.body.find("<main").unwrap();
    assert!(page.body.find("<h1").unwrap() > main, "{path}: the h1 is in main");
}

async fn information_pages_show_what_is_stored(backend: Backend) {
    let db = TestDb::new(backend).await;
    let extra = [("ADMIN_EMAIL", ADMIN.0), ("ADMIN_PASSWORD", ADMIN.1), ("CONTACT_EMAIL", CONTACTO)];
    let app = TestApp::start(settings(&db, "http://127.0.0.1:9", &extra)).await;
    let mut b = app.browser();
    let home = b.get("/").await;
    let footer = &home.body[home.body.find("<footer").unwrap()..];
    for path in PAGINAS {
        assert!(footer.contains(&format!("href=\"{path}\"")), "the footer links {path}");
        assert_page(path, &b.get(path).await);
    }

    // The delivery settings as seeded.
    let ayuda = b.get("/ayuda").await.body;
    for text in [
        "Belgrano",
        "$ 1.500",
        "$ 8.000",
        "Villa Urquiza",
        "lunes",
        "domingo",
        "de 09:00 a 12:00",
        "se puede elegir hasta 1 hora antes",
        "Envío gratis desde $ 40.000",
        "Efectivo",
        "Tarjeta",
        "Transferencia",
        "Mercado Pago",
    ] {
        assert!(ayuda.contains(text), "/ayuda shows {text}");
    }
    // Staff change them: the page follows.
    let (staff, csrf) = staff_login(&app, ADMIN).await;
    let (_, mut ajustes) = api(&staff, Method::GET, "/api/admin/entrega", None, None).await;
    assert_eq!(ajustes["zonas"][0]["barrio"], "Belgrano");
    ajustes["zonas"][0]["costo_envio"] = json!(2345);
    let franjas = ajustes["franjas"].as_array_mut().unwrap();
    franjas.retain(|f| f["dia"] != 7);
    franjas.push(json!({"dia": 7, "desde": "10:30", "hasta": "13:00", "capacidad": 5, "corte_minutos": 150,
        "envio_gratis_desde": 55000}));
    let (status, saved) = api(&staff, Method::PUT, "/api/admin/entrega", Some(ajustes), Some(&csrf)).await;
    assert_eq!(status, 200, "{saved}");
    let ayuda = b.get("/ayuda").await.body;
    assert!(ayuda.contains("$ 2.345") && !ayuda.contains("$ 1.500"), "the new cost, not the old");
    let domingo = &ayuda[ayuda.find("<strong>domingo</strong>").expect("Sunday still has a window")..];
    let domingo = &domingo[..domingo.find("</ul>").unwrap()];
    assert!(domingo.contains("de 10:30 a 13:00 (se puede elegir hasta 2 horas y 30 minutos antes)"), "{domingo}");
    assert!(domingo.contains("Envío gratis desde $ 55.000") && !domingo.contains("09:00"), "{domingo}");

    // The stores and every branch, as the database has them.
    let sobre = b.get("/sobre-nosotros").await.body;
    let (status, negocios) = app.get_json("/api/v1/negocios").await;
    assert_eq!(status, 200);
    let negocios = negocios["negocios"].as_array().unwrap();
    assert_eq!(negocios.len(), 3);
    for n in negocios {
        assert!(sobre.contains(&html(n["nombre"].as_str().unwrap())), "{n}");
        for s in n["sucursales"].as_array().unwrap() {
            assert!(sobre.contains(&html(s["direccion"].as_str().unwrap())), "{s}");
        }
    }

    // The rights, and where to exercise them.
    let privacidad = b.get("/privacidad").await.body;
    for text in [
        "Ley 25.326",
        "href=\"/perfil/datos\"",
        "href=\"/perfil/eliminar\"",
        "href=\"/perfil\"",
        "Agencia de Acceso a la Información Pública",
        "acceso",
        "rectificar",
        "uprimirlos",
        "repartidores",
        "mailto:hola@belgrano.test",
    ] {
        assert!(privacidad.to_lowercase().contains(&text.to_lowercase()), "/privacidad says {text}");
    }
    let terminos = b.get("/terminos").await.body;
    assert!(terminos.contains("href=\"/privacidad\"") && terminos.contains("Ley 24.240"));
    app.stop().await;
}
on_both_backends!(information_pages_show_what_is_stored);

fn mensaje_id(page: &str, marker: &str) -> String {
    let at = page.find(marker).unwrap_or_else(|| panic!("{marker} in {page}"));
    let row = &page[..at];
    let start = row.rfind("id=\"mensaje-").unwrap() + "id=\"mensaje-".len();
    row[start..].split('"').next().unwrap().to_owned()
}

async fn contact_messages_reach_the_shop_and_the_back_office(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let db = TestDb::new(backend).await;
    let url = smtp.url();
    let extra = [
        ("SMTP_URL", url.as_str()),
        ("MAIL_FROM", "Belgrano Ahorro <pedidos@belgrano.test>"),
        ("CONTACT_EMAIL", CONTACTO),
        ("ADMIN_EMAIL", ADMIN.0),
        ("ADMIN_PASSWORD", ADMIN.1),
    ];
    let app = TestApp::start(settings(&db, "http://127.0.0.1:9", &extra)).await;
    let mut b = app.browser();
    b.get("/contacto").await;

    // Refused beside the field, what was typed kept.
    let bad = b.post_csrf("/contacto", &[("nombre", "Ana"), ("email", "no-es-email"), ("mensaje", "Hola")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("id=\"error-email\"") && bad.body.contains("aria-describedby=\"error-email\""));
    assert!(!bad.body.contains("id=\"error-nombre\"") && bad.body.contains("value=\"no-es-email\""));
    let bad = b.post_csrf("/contacto", &[("nombre", "Ana"), ("email", "ana@example.com"), ("mensaje", "  ")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("id=\"error-mensaje\"") && bad.body.contains("Escribí tu mensaje"));

    let texto = "¿Tienen yerba <b>sin palo</b>?\nGracias";
    let ok = b.post_csrf("/contacto", &[("nombre", "Ana"), ("email", "Ana@Example.com"), ("mensaje", texto)]).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(ok.body.contains("contacto-enviado"));
    let got = smtp.wait_for(CONTACTO, 1, Duration::from_secs(20)).await;
    assert_eq!(got.len(), 1);
    assert!(got[0].reply_to.contains("ana@example.com") && got[0].text.contains("yerba <b>sin palo</b>"));

    // Kept for staff only.
    assert_eq!(app.browser().get("/admin/mensajes").await.location.as_deref(), Some("/login?next=%2Fadmin%2Fmensajes"));
    let mut cliente = app.browser();
    cliente.register("cliente@example.com", &[]).await;
    assert_eq!(cliente.get("/admin/mensajes").await.status, StatusCode::FORBIDDEN);
    let (mut staff, _) = staff_login(&app, ADMIN).await;
    let page = staff.get("/admin/mensajes").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("href=\"/admin/mensajes\""), "in the back office's nav");
    assert!(
        page.body.contains("ana@example.com") && page.body.contains(&html("yerba <b>sin palo</b>?")),
        "{}",
        page.body
    );
    assert!(page.body.contains("href=\"mailto:ana@example.com?subject=") && page.body.contains("sin responder"));
    assert!(page.body.contains("Hay 1 mensaje sin responder."));
    let id = mensaje_id(&page.body, &html("yerba <b>"));

    // Marked answered, with who; the pending list empties.
    let done = staff.post_csrf(&format!("/admin/mensajes/{id}/respondido"), &[("respondido", "si")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let page = staff.get(done.location.as_deref().unwrap()).await;
    assert!(page.body.contains("Marcado como respondido.") && page.body.contains("respondido el"), "{}", page.body);
    assert!(page.body.contains("No hay mensajes sin responder."));
    assert!(staff.get("/admin/mensajes?pendientes=si").await.body.contains("id=\"sin-mensajes\""));
    assert_eq!(
        cliente.post_csrf(&format!("/admin/mensajes/{id}/respondido"), &[("respondido", "no")]).await.status,
        403
    );
    assert_eq!(staff.post_csrf("/admin/mensajes/999999/respondido", &[("respondido", "si")]).await.status, 404);

    // A customer's messages go with their account.
    let mut carla = app.browser();
    carla.register("carla@example.com", &[]).await;
    let sent = carla
        .post_csrf("/contacto", &[("nombre", "Carla"), ("email", "carla@example.com"), ("mensaje", "Soy Carla")])
        .await;
    assert_eq!(sent.status, 200);
    assert!(staff.get("/admin/mensajes").await.body.contains("Soy Carla"));
    let erased = carla.post_csrf("/perfil/eliminar", &[("password", "secreto123")]).await;
    assert_eq!(erased.status, 200, "{}", erased.body);
    assert!(!staff.get("/admin/mensajes").await.body.contains("Soy Carla"), "erased with the account");
    // Not a spam cannon: five from one address in a while (Ana's, Carla's
    // and three more), then 429 and nothing kept or mailed.
    for i in 3..=5 {
        let m = format!("Mensaje número {i}");
        let ok = b
            .post_csrf("/contacto", &[("nombre", "Beto"), ("email", &format!("beto{i}@example.com")), ("mensaje", &m)])
            .await;
        assert_eq!(ok.status, 200, "message {i}");
    }
    let limited =
        b.post_csrf("/contacto", &[("nombre", "Beto"), ("email", "beto6@example.com"), ("mensaje", "Sexto")]).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.body.contains("id=\"error-mensaje\"") && limited.body.contains("Esperá un rato"));
    assert_eq!(smtp.wait_for(CONTACTO, 5, Duration::from_secs(20)).await.len(), 5);
    let page = staff.get("/admin/mensajes").await.body;
    assert!(page.contains("Mensaje número 5") && !page.contains("Sexto"));

    app.stop().await;
}
on_both_backends!(contact_messages_reach_the_shop_and_the_back_office);
