//! A forgotten password, through real HTTP and a real SMTP server
//! (`belgrano_testkit::smtp`): the login page links it; the answer is the
//! same for an unknown address and nothing is mailed to it; the mailed link
//! works once and only once, ends every session of the account, expires;
//! requests are rate limited; the dev mailbox exists only in development.

use std::time::Duration;

use belgrano_platform::db::{Ts, sql};
use belgrano_testkit::smtp::SmtpServer;
use reqwest::StatusCode;

use crate::helpers::{Browser, TestApp, TestDb, settings};
use crate::on_both_backends;

const DEMO_ADMIN: &str = "admin@belgrano.local";
const DEMO_PASSWORD: &str = "demo1234";

fn path_of(link: &str) -> String {
    let rest = link.split_once("://").map_or(link, |(_, r)| r);
    rest.find('/').map_or("/".to_owned(), |i| rest[i..].to_owned())
}

on_both_backends!(a_reset_link_works_once_and_ends_every_session, |db: TestDb| async move {
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    let app = TestApp::start(settings(&db, &[("SMTP_URL", &url), ("MAIL_FROM", "despacho@belgrano.test")])).await;
    let mut a = Browser::new(&app);
    assert_eq!(a.login(DEMO_ADMIN, DEMO_PASSWORD).await.status, StatusCode::SEE_OTHER);
    let mut b = Browser::new(&app);
    assert_eq!(b.login(DEMO_ADMIN, DEMO_PASSWORD).await.status, StatusCode::SEE_OTHER);
    assert_eq!(a.get("/panel").await.status, StatusCode::OK);

    let mut c = Browser::new(&app);
    assert!(c.get("/login").await.body.contains("href=\"/password/olvide\""));
    assert_eq!(c.get("/password/olvide").await.status, StatusCode::OK);
    let known = c.post("/password/olvide", &[("email", DEMO_ADMIN)]).await;
    let unknown = c.post("/password/olvide", &[("email", "nadie@belgrano.local")]).await;
    assert_eq!((known.status, unknown.status), (StatusCode::OK, StatusCode::OK));
    assert_eq!(
        known.body.replace(DEMO_ADMIN, "X"),
        unknown.body.replace("nadie@belgrano.local", "X"),
        "the same answer whether the account exists or not"
    );
    let mails = smtp.wait_for(DEMO_ADMIN, 1, Duration::from_secs(10)).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].content_type, "multipart/alternative");
    let link = mails[0].link("/password/nueva/").expect("a reset link");
    let path = path_of(&link);
    assert_eq!(c.get(&path).await.status, StatusCode::OK);
    let short = c.post(&path, &[("nueva", "corta"), ("confirmacion", "corta")]).await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    let done = c.post(&path, &[("nueva", "otra-clave-123"), ("confirmacion", "otra-clave-123")]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("password-cambiada"));
    // Every session of the account ended.
    assert_eq!(a.get("/panel").await.status, StatusCode::SEE_OTHER);
    assert_eq!(b.get("/panel").await.status, StatusCode::SEE_OTHER);
    // Once only.
    let again = c.post(&path, &[("nueva", "tercera-clave-1"), ("confirmacion", "tercera-clave-1")]).await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(again.body.contains("ya se usó"), "{}", again.body);
    let mut d = Browser::new(&app);
    assert_eq!(d.login(DEMO_ADMIN, DEMO_PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(d.login(DEMO_ADMIN, "otra-clave-123").await.status, StatusCode::SEE_OTHER);
    assert!(smtp.messages_to("nadie@belgrano.local").await.is_empty());

    // Expired: refused with a clear message.
    c.post("/password/olvide", &[("email", "Repartidor1@belgrano.local")]).await;
    let mails = smtp.wait_for("repartidor1@belgrano.local", 1, Duration::from_secs(10)).await;
    let link = mails[0].link("/password/nueva/").unwrap();
    let store = belgrano_tickets::store::Store::connect(&db.url).await.unwrap();
    sql("UPDATE password_resets SET expires_at = $1 WHERE used_at IS NULL")
        .bind(Ts(chrono::Utc::now() - chrono::Duration::minutes(1)))
        .execute(store.db().write())
        .await
        .unwrap();
    store.db().close().await;
    let expired = c.get(&path_of(&link)).await;
    assert_eq!(expired.status, StatusCode::GONE);
    assert!(expired.body.contains("venció"), "{}", expired.body);
    app.stop().await;
});

on_both_backends!(reset_requests_are_limited_and_the_mailbox_is_for_development, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let mut c = Browser::new(&app);
    for _ in 0..3 {
        assert_eq!(c.post("/password/olvide", &[("email", DEMO_ADMIN)]).await.status, StatusCode::OK);
    }
    let limited = c.post("/password/olvide", &[("email", DEMO_ADMIN)]).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.body.contains("Espere una hora"), "{}", limited.body);
    // Without SMTP_URL, development keeps the mails at /dev/correo.
    let mailbox = c.get("/dev/correo").await;
    assert_eq!(mailbox.status, StatusCode::OK);
    assert!(mailbox.body.contains(DEMO_ADMIN) && mailbox.body.contains("/password/nueva/"));
    app.stop().await;

    let prod = TestDb::new(db.backend).await;
    let app = TestApp::start(settings(&prod, &[("RENDER_ENVIRONMENT", "production")])).await;
    let response = app
        .client
        .get(format!("{}/dev/correo", app.address))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    app.stop().await;
});
