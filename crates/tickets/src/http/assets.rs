//! The desk's static files (`assets/`, embedded in the binary) at
//! `/static/{path}`, served by the platform (content-hash URLs, ETags).

use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Assets;

/// `/static/{path}?v={hash}` for templates: `{{ crate::http::assets::url("app.css") }}`.
pub fn url(path: &str) -> String {
    belgrano_platform::assets::url::<Assets>(path)
}

pub async fn serve(Path(path): Path<String>, RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    belgrano_platform::assets::serve::<Assets>(&path, query.as_deref(), &headers)
        .unwrap_or_else(|| (StatusCode::NOT_FOUND, "no existe").into_response())
}

/// Where browsers look for the icon when a page names none.
pub async fn favicon(headers: HeaderMap) -> Response {
    belgrano_platform::assets::serve::<Assets>("favicon.ico", None, &headers).expect("assets/favicon.ico is embedded")
}
