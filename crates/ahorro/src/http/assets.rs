//! The shop's static files (`assets/`, embedded in the binary: no CDN,
//! nothing fetched at run time) at `/static/{path}`, served by the platform
//! (content types, ETags, caching), and the favicon at `/favicon.ico`.

use axum::extract::{Path, RawQuery};
use axum::http::HeaderMap;
use axum::response::Response;
use rust_embed::RustEmbed;

use super::error::ApiError;

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Assets;

pub async fn serve(Path(path): Path<String>, RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    belgrano_platform::assets::serve::<Assets>(&path, query.as_deref(), &headers)
        .unwrap_or_else(|| ApiError::NotFound("archivo no encontrado").page())
}

/// Where browsers look for the icon when a page names none.
pub async fn favicon(headers: HeaderMap) -> Response {
    belgrano_platform::assets::serve::<Assets>("favicon.ico", None, &headers).expect("assets/favicon.ico is embedded")
}
