//! The login limit holds across instances: two Tickets instances on one
//! PostgreSQL database, fifty wrong passwords for one account sent to both
//! at once, at most ten password checks in all. (The limit within one
//! instance, on both backends, is in Tickets' and Ahorro's own tests.)

use belgrano_e2e::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_check_at_most_the_limit_of_passwords_between_them() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("TEST_DATABASE_URL is not set: the several-instances login test is skipped");
        return;
    };
    let production = [
        ("RENDER_ENVIRONMENT", "production"),
        ("ADMIN_EMAIL", "jefa@belgrano.com"),
        ("ADMIN_PASSWORD", "clave-de-jefa"),
    ];
    let a = Tickets::start_with(&db, 0, "http://127.0.0.1:9", &production).await;
    let b = Tickets::start_with(&db, 0, "http://127.0.0.1:9", &production).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let login_page = client.get(format!("{}/login", a.url)).send().await.unwrap();
    let cookie = login_page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("belgrano_csrf="))
        .and_then(|c| c.split(';').next())
        .expect("the login page sets the CSRF cookie")
        .to_owned();
    let csrf = cookie.trim_start_matches("belgrano_csrf=").to_owned();
    let guesses = (0..50).map(|n| {
        let instance = if n % 2 == 0 { &a } else { &b };
        let body = belgrano_testkit::urlencode(&[
            ("csrf", csrf.as_str()),
            ("email", "jefa@belgrano.com"),
            ("password", &format!("adivinando-{n}")),
        ]);
        client
            .post(format!("{}/login", instance.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", &cookie)
            .header("x-forwarded-for", format!("203.0.113.{n}"))
            .body(body)
            .send()
    });
    let statuses: Vec<u16> =
        futures_util::future::join_all(guesses).await.into_iter().map(|r| r.unwrap().status().as_u16()).collect();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert!(checked <= 10, "{checked} password checks between two instances for a limit of 10: {statuses:?}");
    assert_eq!(checked + refused, 50, "{statuses:?}");
    a.stop().await;
    b.stop().await;
}
