//! Old habits: `GET /logout` (the old link), `GET /` (the login page or
//! one's own home; JSON clients still get an index).

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Browser, TestApp, TestDb};
use crate::on_both_backends;

on_both_backends!(old_links_go_where_people_meant, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let mut visitor = Browser::new(&app);
    let home = visitor.get("/").await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert_eq!(home.location(), Some("/login"));

    let json = app.client.get(format!("{}/", app.address)).header("Accept", "application/json").send().await.unwrap();
    assert_eq!(json.status(), StatusCode::OK);
    let index: Value = json.json().await.unwrap();
    assert_eq!(index["service"], "belgrano-tickets");
    assert_eq!(index["health"], "/health");

    for (email, home) in [("admin@belgrano.local", "/panel"), ("repartidor1@belgrano.local", "/repartidor")] {
        let mut person = Browser::new(&app);
        assert_eq!(person.login(email, "demo1234").await.status, StatusCode::SEE_OTHER);
        let page = person.get("/").await;
        assert_eq!(page.location(), Some(home), "{email}");
        // The old plain link logs out and leads to the login page.
        let out = person.get("/logout").await;
        assert_eq!(out.status, StatusCode::SEE_OTHER, "{email}");
        assert_eq!(out.location(), Some("/login"));
        let after = person.get(home).await;
        assert_eq!(after.status, StatusCode::SEE_OTHER, "{email}: logged out");
        assert!(after.location().unwrap().starts_with("/login"), "{email}");
    }
    app.stop().await;
});
