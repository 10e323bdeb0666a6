//! What people expect of any web service: a Spanish 404 page (JSON under
//! `/api`), a favicon, and answers compressed for clients that accept it
//! (the vendored socket.io client goes to couriers on mobile data).

use std::io::Read;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Backend, TestApp, TestDb};

const SOCKET_IO: &[u8] = include_bytes!("../../assets/vendor/socket.io.min.js");

#[tokio::test]
async fn an_unknown_address_answers_a_spanish_404_page_and_json_under_api() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::with_couriers(&db).await;
    let page = app.client.get(format!("{}/panel/no-existe", app.address)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = page.text().await.unwrap();
    assert!(html.contains("<html lang=\"es-AR\">") && html.contains("La página que buscaba no existe"), "{html}");
    assert!(html.contains("Belgrano Tickets"), "the desk's own layout");

    let api = app.client.get(format!("{}/api/no-existe", app.address)).send().await.unwrap();
    assert_eq!(api.status(), StatusCode::NOT_FOUND);
    let body: Value = api.json().await.unwrap();
    assert_eq!(body["exito"], false);
    assert_eq!(body["error"], "ruta no encontrada");

    let asked_json =
        app.client.get(format!("{}/otra", app.address)).header("accept", "application/json").send().await.unwrap();
    assert_eq!(asked_json.status(), StatusCode::NOT_FOUND);
    assert!(asked_json.json::<Value>().await.is_ok(), "a client that asks for JSON gets JSON");
    app.stop().await;
}

#[tokio::test]
async fn the_desk_has_a_favicon() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::with_couriers(&db).await;
    let icon = app.client.get(format!("{}/favicon.ico", app.address)).send().await.unwrap();
    assert_eq!(icon.status(), StatusCode::OK);
    assert_eq!(icon.headers()["content-type"], "image/x-icon");
    let bytes = icon.bytes().await.unwrap();
    assert_eq!(&bytes[..4], b"\0\0\x01\0", "an ICO file");
    let login = app.client.get(format!("{}/login", app.address)).send().await.unwrap().text().await.unwrap();
    let svg = login.split("href=\"").find(|s| s.starts_with("/static/favicon.svg")).expect("the pages name the icon");
    let svg = svg.split('"').next().unwrap();
    let answer = app.client.get(format!("{}{svg}", app.address)).send().await.unwrap();
    assert_eq!(answer.headers()["content-type"], "image/svg+xml");
    app.stop().await;
}

#[tokio::test]
async fn the_socket_io_client_goes_out_compressed_with_brotli_or_gzip() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::with_couriers(&db).await;
    let url = format!("{}/static/vendor/socket.io.min.js", app.address);
    let fetch = |encoding: &'static str| {
        let request = app.client.get(&url).header("accept-encoding", encoding);
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let used = response.headers().get("content-encoding").map(|v| v.to_str().unwrap().to_owned());
            (used, response.bytes().await.unwrap().to_vec())
        }
    };
    let (used, brotli) = fetch("gzip, deflate, br").await;
    assert_eq!(used.as_deref(), Some("br"));
    let mut decoded = Vec::new();
    brotli_decompressor::Decompressor::new(brotli.as_slice(), 4096).read_to_end(&mut decoded).unwrap();
    assert_eq!(decoded, SOCKET_IO);
    let (used, gzipped) = fetch("gzip").await;
    assert_eq!(used.as_deref(), Some("gzip"));
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(gzipped.as_slice()).read_to_end(&mut unzipped).unwrap();
    assert_eq!(unzipped, SOCKET_IO);
    eprintln!("socket.io.min.js: {} bytes, {} with gzip, {} with brotli", SOCKET_IO.len(), gzipped.len(), brotli.len());
    assert!(brotli.len() * 3 < SOCKET_IO.len(), "{} → {}", SOCKET_IO.len(), brotli.len());
    app.stop().await;
}
