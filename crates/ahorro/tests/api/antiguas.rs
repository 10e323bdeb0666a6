//! The old shop's addresses, through real HTTP on both backends: each one
//! answers a redirect to its new place (301 for a GET or HEAD, 303 for a
//! form post), the new place answers, a GET changes nothing (the old
//! `/vaciar_carrito` emptied the cart), old order links by numeric id lead
//! only the order's owner to it, and `/admin` is the back office.

use belgrano_platform::db::sql;
use reqwest::StatusCode;

use crate::admin_acceso::{ADMIN, admin_settings, login};
use crate::checkout::accepting_tickets;
use crate::helpers::*;
use crate::on_both_backends;

/// Old path → new place: this list, not the code's, so a lost row fails.
const MOVIDAS: &[(&str, &str)] = &[
    ("/editar-perfil", "/perfil"),
    ("/cambiar-password", "/perfil"),
    ("/agregar_al_carrito", "/carrito"),
    ("/actualizar_cantidad", "/carrito"),
    ("/vaciar_carrito", "/carrito"),
    ("/procesar_pago", "/checkout"),
    ("/contacto-soporte", "/contacto"),
    ("/recuperar-password", "/password/olvide"),
    ("/verificar-codigo", "/password/olvide"),
    ("/cambiar-password-recuperacion", "/password/olvide"),
];

fn location(response: &reqwest::Response) -> Option<String> {
    response.headers().get("location").map(|l| l.to_str().unwrap().to_owned())
}

async fn old_addresses_redirect_to_their_new_place(backend: Backend) {
    let tickets = accepting_tickets().await;
    let db = TestDb::new(backend).await;
    let app = TestApp::start(admin_settings(&db, &tickets.uri(), ADMIN.1)).await;
    let url = |path: &str| format!("{}{path}", app.address);
    for &(old, new) in MOVIDAS {
        let get = app.client.get(url(old)).send().await.unwrap();
        assert_eq!((get.status(), location(&get).as_deref()), (StatusCode::MOVED_PERMANENTLY, Some(new)), "GET {old}");
        let head = app.client.head(url(old)).send().await.unwrap();
        assert_eq!(
            (head.status(), location(&head).as_deref()),
            (StatusCode::MOVED_PERMANENTLY, Some(new)),
            "HEAD {old}"
        );
        // An old form's post (no CSRF token, old field names) lands on the page.
        let post = app
            .client
            .post(url(old))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("producto_id=1&cantidad=2&password_nuevo=x")
            .send()
            .await
            .unwrap();
        assert_eq!((post.status(), location(&post).as_deref()), (StatusCode::SEE_OTHER, Some(new)), "POST {old}");
        // The new place answers (a page, or the login in front of it).
        let there = app.browser().get(new).await;
        assert!(matches!(there.status.as_u16(), 200 | 303), "{old} → {new}: {}", there.status);
    }

    // The old GET that emptied the cart empties nothing now.
    let mut b = app.browser();
    b.get("/").await;
    b.post_csrf("/carrito/agregar", &[("producto_id", "1"), ("cantidad", "1")]).await;
    assert_eq!(b.get("/vaciar_carrito").await.status, StatusCode::MOVED_PERMANENTLY);
    assert!(b.get("/carrito").await.body.contains("Arroz 1kg"), "the cart is as it was");

    // The confirmation is the order's page; the desk is Tickets' home.
    let page = b.get("/confirmacion/PED-20241201123456").await;
    assert_eq!(
        (page.status, page.location.as_deref()),
        (StatusCode::MOVED_PERMANENTLY, Some("/pedido/PED-20241201123456"))
    );
    let page = b.get("/confirmacion/a%20b").await;
    assert_eq!(page.location.as_deref(), Some("/pedido/a%20b"));
    let page = b.get("/ticketera").await;
    let desk = format!("{}/", tickets.uri());
    assert_eq!((page.status, page.location.as_deref()), (StatusCode::MOVED_PERMANENTLY, Some(desk.as_str())));

    // `/admin` is the back office: the login for strangers, a 403 for
    // customers, the dashboard for staff.
    let page = app.browser().get("/admin").await;
    assert_eq!((page.status, page.location.as_deref()), (StatusCode::SEE_OTHER, Some("/login?next=%2Fadmin")));
    let mut cliente = app.browser();
    cliente.register("cliente@example.com", &[]).await;
    let page = cliente.get("/admin").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("sólo para el personal"), "{}", page.body);
    let mut staff = app.browser();
    assert_eq!(login(&mut staff, ADMIN.0, ADMIN.1).await.status, StatusCode::SEE_OTHER);
    let page = staff.get("/admin").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Panel"), "{}", page.body);
    app.stop().await;
}
on_both_backends!(old_addresses_redirect_to_their_new_place);

async fn old_order_links_lead_only_the_owner_to_the_order(backend: Backend) {
    let tickets = accepting_tickets().await;
    let db = TestDb::new(backend).await;
    let app = TestApp::start(settings(&db, &tickets.uri(), &[])).await;
    let mut ana = app.browser();
    ana.get("/").await;
    assert_eq!(ana.register("ana@example.com", &[]).await.status, StatusCode::SEE_OTHER);
    ana.post_csrf("/carrito/agregar", &[("producto_id", "1"), ("cantidad", "2")]).await;
    let done = ana
        .post_csrf(
            "/checkout",
            &[
                ("nombre", "Ana"),
                ("apellido", "Gómez"),
                ("email", "ana@example.com"),
                ("telefono", "1"),
                ("direccion", "Juramento 2000"),
                ("metodo_pago", "efectivo"),
                ("notas", ""),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let numero = done.location.unwrap().trim_start_matches("/pedido/").to_owned();
    let store = belgrano_ahorro::store::Store::connect(&db.url).await.unwrap();
    let (id,): (i64,) = sql("SELECT id FROM pedidos WHERE numero = $1")
        .bind(numero.as_str())
        .fetch_one(store.db().read())
        .await
        .unwrap();
    store.db().close().await;

    let page = ana.get(&format!("/ver_pedido/{id}")).await;
    let order = format!("/pedido/{numero}");
    assert_eq!((page.status, page.location.as_deref()), (StatusCode::MOVED_PERMANENTLY, Some(order.as_str())));
    assert!(ana.get(&order).await.body.contains(&numero));
    // A repeat by GET lands on the order in the list, by its button; the
    // cart stays empty.
    let page = ana.get(&format!("/repetir_pedido/{id}")).await;
    let listed = format!("/mis_pedidos#pedido-{numero}");
    assert_eq!((page.status, page.location.as_deref()), (StatusCode::MOVED_PERMANENTLY, Some(listed.as_str())));
    assert!(ana.get("/carrito").await.body.contains("Tu carrito está vacío"), "a GET repeated nothing");
    assert!(ana.get("/mis_pedidos").await.body.contains(&format!("id=\"pedido-{numero}\"")));

    // Someone else's order says nothing (not even its number); a guest
    // logs in first; an id that is no order is a 404.
    let mut otro = app.browser();
    otro.register("otro@example.com", &[]).await;
    for path in [format!("/ver_pedido/{id}"), format!("/repetir_pedido/{id}")] {
        let page = otro.get(&path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!page.body.contains(&numero));
        let page = app.browser().get(&path).await;
        let login = format!("/login?next={}", urlencode(&[("x", path.as_str())]).trim_start_matches("x="));
        assert_eq!((page.status, page.location.as_deref()), (StatusCode::SEE_OTHER, Some(login.as_str())), "{path}");
    }
    for path in ["/ver_pedido/999999", "/repetir_pedido/999999", "/ver_pedido/abc"] {
        assert_eq!(ana.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    app.stop().await;
}
on_both_backends!(old_order_links_lead_only_the_owner_to_the_order);
