//! Staff at `/usuarios`, through real HTTP and Socket.IO: an admin adds a
//! second dispatcher who logs in and sees the board, dispatchers cannot
//! manage staff, deactivating asks first and then ends the person's
//! sessions and sockets and hands a courier's open tickets on, an admin
//! cannot lock themselves (or everyone) out, a new account can get its
//! password by a mailed link; the old `/repartidores` addresses still work.

use std::time::Duration;

use belgrano_testkit::smtp::SmtpServer;
use reqwest::StatusCode;

use crate::helpers::logged_in;
use crate::helpers::{Browser, TestApp, TestDb, settings};
use crate::live::{assert_disconnected, assert_live, socket_of};
use crate::on_both_backends;

const DEMO_ADMIN: &str = "admin@belgrano.local";
const DEMO_PASSWORD: &str = "demo1234";

/// The id of the account with `email` in the staff list.
fn id_of(list: &str, email: &str) -> String {
    let row = list.split("<tr").skip(1).find(|r| r.contains(email)).unwrap_or_else(|| panic!("{email} listed"));
    let start = row.find("data-id=\"").unwrap() + "data-id=\"".len();
    row[start..start + row[start..].find('"').unwrap()].to_owned()
}

fn row<'a>(list: &'a str, email: &str) -> &'a str {
    list.split("<tr").skip(1).find(|r| r.contains(email)).unwrap_or_else(|| panic!("{email} listed"))
}

on_both_backends!(an_admin_adds_a_second_dispatcher_who_sees_the_board, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let mut admin = logged_in(&app, DEMO_ADMIN, DEMO_PASSWORD).await;
    let list = admin.get("/usuarios").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("href=\"/usuarios\""), "the admin's nav links Personal");
    assert!(row(&list.body, DEMO_ADMIN).contains("Administración"));
    assert!(row(&list.body, "repartidor1@belgrano.local").contains("Repartidor"));

    // Bad input: a Spanish message beside the field, nothing created.
    let page = admin
        .post(
            "/usuarios",
            &[("nombre", "Marta"), ("email", "no-es-email"), ("rol", "despacho"), ("password", "clave-de-marta")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("id=\"email-error\""), "{}", page.body);
    assert!(page.body.contains("Ingrese un email válido"));
    assert!(page.body.contains("value=\"Marta\""), "the form keeps what was typed");
    let page = admin
        .post(
            "/usuarios",
            &[("nombre", "Marta"), ("email", "marta@belgrano.local"), ("rol", "jefe"), ("password", "x")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(!admin.get("/usuarios").await.body.contains("marta@belgrano.local"));

    let page = admin
        .post(
            "/usuarios",
            &[
                ("nombre", "Marta"),
                ("email", "Marta@Belgrano.local"),
                ("telefono", "11-4444-0001"),
                ("rol", "despacho"),
                ("acceso", "password"),
                ("password", "clave-de-marta"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let list = admin.get("/usuarios?aviso=creado").await.body;
    assert!(list.contains("Cuenta creada."));
    assert!(row(&list, "marta@belgrano.local").contains("Despacho"));

    let mut marta = Browser::new(&app);
    assert_eq!(marta.login("marta@belgrano.local", "clave-de-marta").await.location(), Some("/panel"));
    let board = marta.get("/panel").await;
    assert_eq!(board.status, StatusCode::OK);
    assert!(!board.body.contains("href=\"/usuarios\""), "no Personal link for a dispatcher");
    // A dispatcher cannot manage staff, by any address.
    for path in ["/usuarios", "/repartidores", &format!("/usuarios/{}", id_of(&list, DEMO_ADMIN))] {
        let page = marta.get(path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        assert!(page.body.contains("sólo para administración"), "{}", page.body);
    }
    let page = marta
        .post(
            "/usuarios",
            &[("nombre", "X"), ("email", "x@belgrano.local"), ("rol", "admin"), ("password", "12345678")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(!admin.get("/usuarios").await.body.contains("x@belgrano.local"));

    // Promoted, Marta manages staff; her open page reconnects as admin.
    let marta_id = id_of(&list, "marta@belgrano.local");
    let page = admin.post(&format!("/usuarios/{marta_id}/rol"), &[("rol", "admin")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(marta.get("/usuarios").await.status, StatusCode::OK);
    app.stop().await;
});

on_both_backends!(deactivating_asks_first_then_ends_sessions_sockets_and_hands_tickets_on, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    for n in 0..10 {
        app.create(&format!("PED-PER-{n}")).await;
    }
    let tickets = app.all_tickets().await;
    let victim_id = tickets[0]["repartidor_id"].as_i64().expect("assigned");
    let victim_email = format!("{}@belgrano.local", tickets[0]["repartidor"].as_str().unwrap().to_lowercase());
    let had = tickets.iter().filter(|t| t["repartidor_id"].as_i64() == Some(victim_id)).count();
    assert!(had > 0);

    let courier = logged_in(&app, &victim_email, DEMO_PASSWORD).await;
    let mut courier_page = courier;
    let mut socket = socket_of(&app, &courier_page).await;
    assert_live(&mut socket).await;
    let mut admin = logged_in(&app, DEMO_ADMIN, DEMO_PASSWORD).await;
    let mut admin_socket = socket_of(&app, &admin).await;

    // The old one-click switch and the list's link both lead to the question.
    let page = admin.post(&format!("/repartidores/{victim_id}/activo"), &[("activo", "no")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), Some(format!("/usuarios/{victim_id}/desactivar").as_str()));
    let list = admin.get("/usuarios").await.body;
    assert!(row(&list, &victim_email).contains(&format!("href=\"/usuarios/{victim_id}/desactivar\"")));
    let confirm = admin.get(&format!("/usuarios/{victim_id}/desactivar")).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.body.contains(&format!("Tiene {had} tickets abiertos")), "{}", confirm.body);
    assert!(confirm.body.contains("name=\"confirmar\" value=\"si\""));
    // Nothing happened yet: the courier is still in, their tickets theirs.
    assert_eq!(courier_page.get("/repartidor").await.status, StatusCode::OK);
    assert_live(&mut socket).await;
    // A post without the confirmation changes nothing.
    let page = admin.post(&format!("/usuarios/{victim_id}/desactivar"), &[]).await;
    assert_eq!(page.location(), Some(format!("/usuarios/{victim_id}/desactivar").as_str()));
    assert_eq!(courier_page.get("/repartidor").await.status, StatusCode::OK);
    let still = app.all_tickets().await;
    assert_eq!(still.iter().filter(|t| t["repartidor_id"].as_i64() == Some(victim_id)).count(), had);

    let page = admin.post(&format!("/usuarios/{victim_id}/desactivar"), &[("confirmar", "si")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), Some(format!("/usuarios?aviso=desactivado&movidos={had}").as_str()));
    assert_disconnected(&mut socket, "sesion-cerrada").await;
    assert_live(&mut admin_socket).await;
    let next = courier_page.get("/repartidor").await;
    assert_eq!(next.status, StatusCode::SEE_OTHER, "their next request is logged out");
    assert!(next.location().unwrap().starts_with("/login"));
    let tickets = app.all_tickets().await;
    assert!(tickets.iter().all(|t| t["repartidor_id"].as_i64() != Some(victim_id)), "every open ticket moved");
    assert!(tickets.iter().all(|t| t["repartidor_id"].is_i64()), "to other couriers");
    assert_eq!(Browser::new(&app).login(&victim_email, DEMO_PASSWORD).await.status, StatusCode::FORBIDDEN);
    let list = admin.get("/usuarios").await.body;
    assert!(row(&list, &victim_email).contains("Desactivado"));

    // Reactivated: they can log in again.
    let page = admin.post(&format!("/usuarios/{victim_id}/reactivar"), &[]).await;
    assert_eq!(page.location(), Some("/usuarios?aviso=reactivado"));
    assert_eq!(Browser::new(&app).login(&victim_email, DEMO_PASSWORD).await.location(), Some("/repartidor"));
    app.stop().await;
});

on_both_backends!(a_deactivated_dispatcher_is_logged_out_and_disconnected, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let mut admin = logged_in(&app, DEMO_ADMIN, DEMO_PASSWORD).await;
    let fields =
        [("nombre", "Pablo"), ("email", "pablo@belgrano.local"), ("rol", "despacho"), ("password", "clave-pablo")];
    assert_eq!(admin.post("/usuarios", &fields).await.status, StatusCode::SEE_OTHER);
    let id = id_of(&admin.get("/usuarios").await.body, "pablo@belgrano.local");
    let mut pablo = logged_in(&app, "pablo@belgrano.local", "clave-pablo").await;
    let mut board = socket_of(&app, &pablo).await;
    assert_eq!(pablo.get("/panel").await.status, StatusCode::OK);
    let page = admin.post(&format!("/usuarios/{id}/desactivar"), &[("confirmar", "si")]).await;
    assert_eq!(page.location(), Some("/usuarios?aviso=desactivado&movidos=0"));
    assert_disconnected(&mut board, "sesion-cerrada").await;
    assert_eq!(pablo.get("/panel").await.status, StatusCode::SEE_OTHER);
    app.stop().await;
});

on_both_backends!(an_admin_cannot_deactivate_or_demote_themselves_nor_the_last_admin, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let mut admin = logged_in(&app, DEMO_ADMIN, DEMO_PASSWORD).await;
    let list = admin.get("/usuarios").await.body;
    let me = id_of(&list, DEMO_ADMIN);
    let confirm = admin.get(&format!("/usuarios/{me}/desactivar")).await;
    assert!(confirm.body.contains("No puede desactivar su propia cuenta"), "{}", confirm.body);
    assert!(!confirm.body.contains("name=\"confirmar\""), "no button to do it");
    let page = admin.post(&format!("/usuarios/{me}/desactivar"), &[("confirmar", "si")]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    let page = admin.post(&format!("/usuarios/{me}/rol"), &[("rol", "despacho")]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("No puede quitarse el rol de administración"), "{}", page.body);
    assert_eq!(admin.get("/usuarios").await.status, StatusCode::OK, "still an admin");

    // A second admin may demote the first, but then not themselves: the
    // last active admin stays.
    let fields =
        [("nombre", "Sofía"), ("email", "sofia@belgrano.local"), ("rol", "admin"), ("password", "clave-sofia")];
    assert_eq!(admin.post("/usuarios", &fields).await.status, StatusCode::SEE_OTHER);
    let mut sofia = logged_in(&app, "sofia@belgrano.local", "clave-sofia").await;
    let sofia_id = id_of(&admin.get("/usuarios").await.body, "sofia@belgrano.local");
    assert_eq!(sofia.post(&format!("/usuarios/{me}/rol"), &[("rol", "despacho")]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(admin.get("/usuarios").await.status, StatusCode::FORBIDDEN, "demoted");
    assert_eq!(admin.get("/panel").await.status, StatusCode::OK, "but still dispatching");
    let page = sofia.post(&format!("/usuarios/{sofia_id}/desactivar"), &[("confirmar", "si")]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert_eq!(sofia.get("/usuarios").await.status, StatusCode::OK);
    app.stop().await;
});

on_both_backends!(a_new_account_can_choose_its_password_from_a_mailed_link, |db: TestDb| async move {
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    let app = TestApp::start(settings(&db, &[("SMTP_URL", &url), ("MAIL_FROM", "despacho@belgrano.test")])).await;
    let mut admin = logged_in(&app, DEMO_ADMIN, DEMO_PASSWORD).await;
    let fields = [("nombre", "Raúl"), ("email", "raul@belgrano.local"), ("rol", "flota"), ("acceso", "enlace")];
    let page = admin.post("/usuarios", &fields).await;
    assert_eq!(page.location(), Some("/usuarios?aviso=enlace"), "{}", page.body);
    let mails = smtp.wait_for("raul@belgrano.local", 1, Duration::from_secs(10)).await;
    let link = mails[0].link("/password/nueva/").expect("a link to choose the password");
    let path = link.split_once("://").map(|(_, r)| &r[r.find('/').unwrap()..]).unwrap().to_owned();
    let mut raul = Browser::new(&app);
    let done = raul.post(&path, &[("nueva", "clave-de-raul"), ("confirmacion", "clave-de-raul")]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(raul.login("raul@belgrano.local", "clave-de-raul").await.location(), Some("/repartidor"));

    // An admin sets a password: every session of the account ends.
    let id = id_of(&admin.get("/usuarios").await.body, "raul@belgrano.local");
    let short = admin.post(&format!("/usuarios/{id}/password"), &[("modo", "fijar"), ("password", "corta")]).await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    assert!(short.body.contains("id=\"reset-error\""));
    let page =
        admin.post(&format!("/usuarios/{id}/password"), &[("modo", "fijar"), ("password", "otra-clave-9")]).await;
    assert_eq!(page.location(), Some("/usuarios?aviso=password"));
    assert_eq!(raul.get("/repartidor").await.status, StatusCode::SEE_OTHER);
    assert_eq!(Browser::new(&app).login("raul@belgrano.local", "otra-clave-9").await.status, StatusCode::SEE_OTHER);
    // Or sends a new link.
    let page = admin.post(&format!("/usuarios/{id}/password"), &[("modo", "enlace")]).await;
    assert_eq!(page.location(), Some("/usuarios?aviso=reset"));
    assert_eq!(smtp.wait_for("raul@belgrano.local", 2, Duration::from_secs(10)).await.len(), 2);
    app.stop().await;
});

/// Migrations up to `last` only, as a database deployed before a release.
fn migrations_up_to(backend: crate::helpers::Backend, last: i64) -> &'static sqlx::migrate::Migrator {
    let all = match backend {
        crate::helpers::Backend::Sqlite => sqlx::migrate!("../../migrations/tickets/sqlite"),
        crate::helpers::Backend::Postgres => sqlx::migrate!("../../migrations/tickets/postgres"),
    };
    let some = all.iter().filter(|m| m.version <= last).cloned().collect();
    Box::leak(Box::new(sqlx::migrate::Migrator::with_migrations(some)))
}

on_both_backends!(a_session_and_an_assigned_ticket_survive_the_role_migration, |db: TestDb| async move {
    use belgrano_platform::db::{Db, Migrations, Options, Ts, sql};
    use belgrano_platform::session::{Sessions, Token};

    // A database as release 0007 left it: a courier logged in, with a ticket.
    let old = migrations_up_to(db.backend, 7);
    let options = Options {
        migrations: Migrations { sqlite: old, postgres: old },
        postgres_schema: "tickets",
        postgres_connections: 2,
    };
    let before = Db::connect(&db.url, options).await.unwrap();
    let mut tx = before.begin_write().await.unwrap();
    let (courier,): (i64,) = sql("INSERT INTO usuarios (email, nombre, role, password_hash, created_at)
         VALUES ('vieja@belgrano.local', 'Vieja', 'flota', NULL, $1) RETURNING id")
    .bind(Ts::now())
    .fetch_one(&mut tx)
    .await
    .unwrap();
    let (ticket,): (i64,) =
        sql("INSERT INTO tickets (numero, cliente_nombre, productos, productos_count, total_centavos,
             estado, prioridad, tipo_cliente, payload_hash, repartidor_id, fecha_creacion, fecha_actualizacion)
         VALUES ('PED-MIGRA-1', 'Ana', '[]', 0, 100, 'pendiente', 'normal', 'cliente', 'x', $1, $2, $2) RETURNING id")
        .bind(courier)
        .bind(Ts::now())
        .fetch_one(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let token = Token::generate();
    Sessions::new(before.clone())
        .create(&token, courier, chrono::Utc::now() + chrono::Duration::hours(1))
        .await
        .unwrap();
    before.close().await;

    // The new release migrates at start (0008 rebuilds `usuarios` on SQLite).
    let app = TestApp::with_couriers(&db).await;
    let mut phone = Browser::new(&app);
    phone.cookies.insert("belgrano_sesion".into(), token.as_str().to_owned());
    let page = phone.get("/repartidor").await;
    assert_eq!(page.status, StatusCode::OK, "the session survived: {:?}", page.location());
    assert!(page.body.contains("PED-MIGRA-1"), "and so did the assignment");
    let (_, stored) = app.get(&format!("/api/tickets/{ticket}")).await;
    assert_eq!(stored["repartidor_id"], courier, "{stored}");
    app.stop().await;
});

on_both_backends!(a_courier_made_dispatcher_hands_their_open_tickets_on, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    for n in 0..5 {
        app.create(&format!("PED-ROL-{n}")).await;
    }
    let tickets = app.all_tickets().await;
    let courier_id = tickets[0]["repartidor_id"].as_i64().expect("assigned");
    let email = format!("{}@belgrano.local", tickets[0]["repartidor"].as_str().unwrap().to_lowercase());
    let mut courier = logged_in(&app, &email, DEMO_PASSWORD).await;
    let mut phone = socket_of(&app, &courier).await;
    let mut admin = logged_in(&app, DEMO_ADMIN, DEMO_PASSWORD).await;
    let page = admin.post(&format!("/usuarios/{courier_id}/rol"), &[("rol", "despacho")]).await;
    assert_eq!(page.location(), Some("/usuarios?aviso=rol"), "{}", page.body);
    // Their phone reconnects to see the account as it is now.
    assert_disconnected(&mut phone, "cuenta-modificada").await;
    let tickets = app.all_tickets().await;
    assert!(tickets.iter().all(|t| t["repartidor_id"].as_i64() != Some(courier_id)), "no tickets left on them");
    assert!(row(&admin.get("/usuarios").await.body, &email).contains("Despacho"));
    assert_eq!(courier.get("/panel").await.status, StatusCode::OK, "the same session now dispatches");
    assert_eq!(
        admin.post(&format!("/usuarios/{courier_id}/rol"), &[("rol", "jefe")]).await.status,
        StatusCode::BAD_REQUEST
    );
    app.stop().await;
});
