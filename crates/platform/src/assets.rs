//! Static files embedded in the binary with rust-embed (no CDN, nothing
//! fetched at run time), served at `/static/{path}` by both services.
//!
//! [`url`] adds the file's content hash (`?v=...`): such URLs change
//! whenever the file does, so browsers may keep them for a year; plain URLs
//! are kept an hour and revalidated by ETag.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

/// `/static/{path}?v={hash}` for templates.
pub fn url<A: RustEmbed>(path: &str) -> String {
    match A::get(path) {
        Some(file) => format!("/static/{path}?v={}", &hex::encode(file.metadata.sha256_hash())[..12]),
        None => format!("/static/{path}"),
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The file at `path` with its caching headers; `None` when there is no
/// such file (each service answers its own 404).
pub fn serve<A: RustEmbed>(path: &str, query: Option<&str>, headers: &HeaderMap) -> Option<Response> {
    let file = A::get(path)?;
    let etag = format!("\"{}\"", hex::encode(file.metadata.sha256_hash()));
    let versioned = query.is_some_and(|q| q.split('&').any(|p| p.starts_with("v=")));
    let cache = if versioned { "public, max-age=31536000, immutable" } else { "public, max-age=3600" };
    let mut response = if headers.get(header::IF_NONE_MATCH).is_some_and(|v| v.as_bytes() == etag.as_bytes()) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, content_type(path))], file.data.into_owned()).into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Some(response)
}
