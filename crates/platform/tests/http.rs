//! The shared outer layers, over real HTTP: a handler that panics answers
//! a 500 in the service's words (JSON for the API, a page for people)
//! instead of resetting the connection, and every answer carries a request
//! id.

use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use belgrano_platform::http::{Limits, with_standard_layers};

fn on_panic(json: bool) -> Response {
    if json {
        (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(serde_json::json!({"error": "Error interno"}))).into_response()
    } else {
        (StatusCode::INTERNAL_SERVER_ERROR, Html("<h1>Error interno</h1>")).into_response()
    }
}

async fn boom() -> &'static str {
    panic!("un error de programación con datos internos: SELECT * FROM usuarios")
}

#[tokio::test]
async fn a_panic_answers_500_in_the_services_words_and_hides_the_panic() {
    let router =
        Router::new().route("/api/boom", get(boom)).route("/boom", get(boom)).route("/ok", get(|| async { "ok" }));
    let app =
        with_standard_layers(router, Limits { body_bytes: 1024, timeout: std::time::Duration::from_secs(5) }, on_panic);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = reqwest::Client::new();

    let api = client.get(format!("{base}/api/boom")).send().await.expect("an answer, not a reset connection");
    assert_eq!(api.status(), 500);
    assert!(api.headers().contains_key("x-request-id"));
    let body: serde_json::Value = api.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"error": "Error interno"}));

    let page = client.get(format!("{base}/boom")).send().await.unwrap();
    assert_eq!(page.status(), 500);
    let text = page.text().await.unwrap();
    assert!(text.contains("Error interno") && !text.contains("SELECT"), "{text}");

    let ok = client.get(format!("{base}/ok")).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(ok.headers()["x-request-id"], "abc-123", "a given request id is kept and echoed");
}
