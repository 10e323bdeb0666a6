//! The shared outer layers, over real HTTP: a handler that panics answers
//! a 500 in the service's words (JSON for the API, a page for people)
//! instead of resetting the connection, and every answer carries a request
//! id.

use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use belgrano_platform::http::{Standard, with_standard_layers};

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
    let standard =
        Standard { body_bytes: 1024, timeout: std::time::Duration::from_secs(5), https_only: false, on_panic };
    let app = with_standard_layers(router, standard);
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

#[tokio::test]
async fn every_answer_carries_the_browser_protections_and_hsts_only_over_https() {
    let serve = |https_only: bool| async move {
        let router = Router::new()
            .route("/", get(|| async { Html("<p>hola</p>") }))
            .route("/propia", get(|| async { ([("referrer-policy", "no-referrer")], "x") }));
        let standard = Standard { body_bytes: 1024, timeout: std::time::Duration::from_secs(5), https_only, on_panic };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, with_standard_layers(router, standard)).await.unwrap() });
        base
    };
    let base = serve(false).await;
    let page = reqwest::get(format!("{base}/")).await.unwrap();
    let h = page.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin");
    assert!(!h.contains_key("strict-transport-security"), "no HSTS over plain HTTP in development");
    let own = reqwest::get(format!("{base}/propia")).await.unwrap();
    assert_eq!(own.headers()["referrer-policy"], "no-referrer", "a handler's own policy wins");

    let production = serve(true).await;
    let page = reqwest::get(format!("{production}/")).await.unwrap();
    assert!(page.headers()["strict-transport-security"].to_str().unwrap().starts_with("max-age=31536000"));
}

/// Answers are compressed when the client accepts it (gzip or brotli) and
/// decompress to the same bytes; event streams are never compressed (a
/// compressor would hold events back), nor answers to clients that did not
/// ask.
#[tokio::test]
async fn answers_are_compressed_when_accepted_but_never_event_streams() {
    use std::io::Read;
    let big: String = (0..2000).map(|i| format!("línea {i} del catálogo\n")).collect();
    let body = big.clone();
    let router = Router::new().route("/grande", get(move || async move { body })).route(
        "/eventos",
        get(|| async { ([("content-type", "text/event-stream")], "data: uno\n\ndata: dos\n\n".repeat(50)) }),
    );
    let standard =
        Standard { body_bytes: 1024, timeout: std::time::Duration::from_secs(5), https_only: false, on_panic };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, with_standard_layers(router, standard)).await.unwrap() });
    let client = reqwest::Client::new();
    let get = |path: &'static str, accept: Option<&'static str>| {
        let mut request = client.get(format!("{base}{path}"));
        if let Some(accept) = accept {
            request = request.header("accept-encoding", accept);
        }
        async move {
            let response = request.send().await.unwrap();
            let encoding = response.headers().get("content-encoding").map(|v| v.to_str().unwrap().to_owned());
            (encoding, response.bytes().await.unwrap().to_vec())
        }
    };

    let (encoding, plain) = get("/grande", None).await;
    assert_eq!((encoding, plain.as_slice()), (None, big.as_bytes()), "no Accept-Encoding, no compression");

    let (encoding, gzipped) = get("/grande", Some("gzip")).await;
    assert_eq!(encoding.as_deref(), Some("gzip"));
    let mut unzipped = String::new();
    flate2::read::GzDecoder::new(gzipped.as_slice()).read_to_string(&mut unzipped).unwrap();
    assert_eq!(unzipped, big);
    assert!(gzipped.len() * 4 < big.len(), "{} → {}", big.len(), gzipped.len());

    let (encoding, brotli) = get("/grande", Some("gzip, deflate, br")).await;
    assert_eq!(encoding.as_deref(), Some("br"), "brotli preferred when offered");
    let mut decoded = String::new();
    brotli_decompressor::Decompressor::new(brotli.as_slice(), 4096).read_to_string(&mut decoded).unwrap();
    assert_eq!(decoded, big);

    let (encoding, events) = get("/eventos", Some("gzip, br")).await;
    assert_eq!(encoding, None, "an event stream goes out as it is written");
    assert!(events.starts_with(b"data: uno"));
}
