//! Product photos: uploaded by staff, served to everyone.
//!
//! - `PUT /api/admin/productos/{id}/imagen`: the file as the raw body with
//!   its `Content-Type` (`image/jpeg`, `image/png`, `image/webp`), staff
//!   session plus `X-CSRF-Token` ([`StaffApi`]).
//! - `GET/POST /admin/productos/{id}/imagen`: the page with the current
//!   picture and a `multipart/form-data` form (CSRF field first, then the
//!   file), for phones and for the product's admin page to link to.
//! - `GET /img/{hash}.jpg`: a stored version, cached for a year
//!   (`immutable`: a new photo has a new hash, hence a new URL).
//!
//! Both uploads go through [`domain::imagen::procesar`] (decode with limits,
//! re-encode two JPEGs, off the async threads) and [`Store::set_foto`];
//! any refusal is a 400 naming the field `imagen` (or `Content-Type`) and
//! changes nothing.
//!
//! [`domain::imagen::procesar`]: crate::domain::imagen::procesar
//! [`Store::set_foto`]: crate::store::Store::set_foto

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use belgrano_contract::FieldError;
use belgrano_platform::csrf::{self, CSRF_FIELD, CSRF_HEADER};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AdminLayout, Staff, StaffApi};
use crate::domain::catalogo::Producto;
use crate::domain::imagen::{self, Foto, ImagenError, MAX_BYTES, Procesada};
use crate::http::error::{ApiError, PageError};
use crate::http::state::AppState;

/// A body longer than [`MAX_BYTES`] is still read (and dropped) up to this
/// much, so the client gets the answer instead of a reset connection; past
/// it, reading stops.
const DRAIN_BYTES: usize = 4 * MAX_BYTES;

/// `Cache-Control` of a stored version: its URL names its bytes.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/admin/productos/{id}/imagen", put(api_upload))
        .route("/admin/productos/{id}/imagen", get(page).post(form_upload))
        // Only these routes take bodies above the shop's usual limit.
        .layer(DefaultBodyLimit::max(DRAIN_BYTES))
        .route("/img/{file}", get(serve))
}

fn not_found() -> ApiError {
    ApiError::NotFound("producto no encontrado")
}

/// The product, or 404.
async fn producto(state: &AppState, id: &str) -> Result<Producto, ApiError> {
    let id: i64 = id.parse().map_err(|_| not_found())?;
    state.store.producto(id).await?.ok_or_else(not_found)
}

/// Why an upload changed nothing: the file's fault (400) or ours.
enum Refused {
    Image(ImagenError),
    Api(ApiError),
}

impl From<ApiError> for Refused {
    fn from(e: ApiError) -> Self {
        Refused::Api(e)
    }
}

impl From<Refused> for ApiError {
    fn from(r: Refused) -> Self {
        match r {
            Refused::Image(e) => ApiError::Validation(e.field_error()),
            Refused::Api(e) => e,
        }
    }
}

/// Decodes, re-encodes and stores; the product is checked first, so a
/// wrong id costs no decoding.
async fn store_photo(state: &AppState, producto: &Producto, bytes: Vec<u8>) -> Result<Foto, Refused> {
    let procesada: Procesada = tokio::task::spawn_blocking(move || imagen::procesar(&bytes))
        .await
        .map_err(|e| Refused::Api(ApiError::Unavailable(e.into())))?
        .map_err(Refused::Image)?;
    let foto = state.store.set_foto(producto.id, &procesada).await.map_err(ApiError::from)?.ok_or_else(not_found)?;
    tracing::info!(
        producto_id = producto.id,
        tarjeta = %foto.tarjeta,
        pagina = %foto.pagina,
        "foto de producto guardada"
    );
    Ok(foto)
}

/// An upload being read: kept up to [`MAX_BYTES`], counted (and dropped)
/// past it.
#[derive(Default)]
struct Upload {
    bytes: Vec<u8>,
    seen: usize,
}

impl Upload {
    /// False once reading should stop ([`DRAIN_BYTES`] seen).
    fn push(&mut self, chunk: &[u8]) -> bool {
        self.seen = self.seen.saturating_add(chunk.len());
        if self.seen <= MAX_BYTES {
            self.bytes.extend_from_slice(chunk);
        } else {
            self.bytes = Vec::new();
        }
        self.seen <= DRAIN_BYTES
    }

    fn finish(self) -> Result<Vec<u8>, ImagenError> {
        if self.seen > MAX_BYTES { Err(ImagenError::DemasiadoGrande) } else { Ok(self.bytes) }
    }
}

fn answer(producto_id: i64, foto: &Foto) -> Json<Value> {
    Json(json!({
        "exito": true,
        "producto_id": producto_id,
        "imagen_url": foto.pagina_url(),
        "imagen_tarjeta_url": foto.tarjeta_url(),
    }))
}

/// `PUT /api/admin/productos/{id}/imagen`.
pub async fn api_upload(
    State(state): State<AppState>,
    _staff: StaffApi,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let producto = producto(&state, &id).await?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !imagen::tipo_admitido(content_type) {
        return Err(FieldError::new("Content-Type", "debe ser image/jpeg, image/png o image/webp").into());
    }
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > DRAIN_BYTES as u64) {
        return Err(ImagenError::DemasiadoGrande.field_error().into());
    }
    let mut file = Upload::default();
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        // A body cut short is not a whole picture.
        let chunk = chunk.map_err(|_| ImagenError::Danada.field_error())?;
        if !file.push(&chunk) {
            break;
        }
    }
    let bytes = file.finish().map_err(|e| e.field_error())?;
    let foto = store_photo(&state, &producto, bytes).await?;
    Ok(answer(producto.id, &foto))
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/imagen.html")]
pub struct ImagenPage {
    pub l: AdminLayout,
    pub p: Producto,
    /// Beside the file field.
    pub error: String,
}

#[derive(Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    guardada: Option<String>,
}

/// `GET /admin/productos/{id}/imagen`: the current picture and the form.
pub async fn page(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let p = producto(&state, &id).await?;
    let mut l = AdminLayout::new(&staff, format!("Foto de {}", p.nombre));
    if q.guardada.is_some() {
        l.aviso = "Foto guardada: ya se ve en la tienda.".into();
    }
    Ok(ImagenPage { l, p, error: String::new() }.into_response())
}

/// `POST /admin/productos/{id}/imagen` (multipart): stores the photo and
/// goes back to the page, or shows the page again with the reason.
pub async fn form_upload(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response, PageError> {
    let p = producto(&state, &id).await?;
    let (parts, body) = request.into_parts();
    let mut multipart = Multipart::from_request(Request::from_parts(parts.clone(), body), &state)
        .await
        .map_err(|_| ApiError::BadForm)?;
    let (mut token, mut file) = (String::new(), None::<Upload>);
    // Past DRAIN_BYTES (the routes' body limit) the form stops being read.
    let mut too_big = false;
    'fields: loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                too_big = true;
                break;
            }
            Err(_) => return Err(ApiError::BadForm.into()),
        };
        match field.name() {
            Some(CSRF_FIELD) => token = field.text().await.map_err(|_| ApiError::BadForm)?,
            Some(imagen::CAMPO) => {
                let upload = file.insert(Upload::default());
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            if !upload.push(&chunk) {
                                too_big = true;
                                break 'fields;
                            }
                        }
                        Ok(None) => break,
                        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                            too_big = true;
                            break 'fields;
                        }
                        Err(_) => return Err(ApiError::BadForm.into()),
                    }
                }
            }
            _ => {}
        }
    }
    // The platform's check, with the form's token in the header's place.
    let mut checked = parts;
    checked.headers.remove(CSRF_HEADER);
    if let Ok(value) = HeaderValue::from_str(&token) {
        checked.headers.insert(CSRF_HEADER, value);
    }
    csrf::verify_header(&checked).map_err(|_| ApiError::Csrf)?;
    let result = match (too_big, file.map(Upload::finish)) {
        (true, _) => Err(Refused::Image(ImagenError::DemasiadoGrande)),
        (false, None) => Err(Refused::Image(ImagenError::Vacia)),
        (false, Some(Err(e))) => Err(Refused::Image(e)),
        (false, Some(Ok(bytes))) => store_photo(&state, &p, bytes).await,
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/admin/productos/{}/imagen?guardada=1", p.id)).into_response()),
        Err(Refused::Image(e)) => {
            let l = AdminLayout::new(&staff, format!("Foto de {}", p.nombre));
            Ok((StatusCode::BAD_REQUEST, ImagenPage { l, p, error: format!("La foto: {e}.") }).into_response())
        }
        Err(Refused::Api(e)) => Err(e.into()),
    }
}

/// `GET /img/{hash}.jpg`: a stored version, with its hash as ETag.
pub async fn serve(State(state): State<AppState>, Path(file): Path<String>, headers: HeaderMap) -> Response {
    let Some(hash) = imagen::hash_of_file(&file) else {
        return ApiError::NotFound("imagen no encontrada").page();
    };
    let etag = format!("\"{hash}\"");
    if headers.get(header::IF_NONE_MATCH).is_some_and(|v| v.as_bytes() == etag.as_bytes()) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag), (header::CACHE_CONTROL, IMMUTABLE.into())])
            .into_response();
    }
    match state.store.imagen(hash).await {
        Ok(Some((tipo, datos))) => {
            ([(header::CONTENT_TYPE, tipo), (header::CACHE_CONTROL, IMMUTABLE.into()), (header::ETAG, etag)], datos)
                .into_response()
        }
        Ok(None) => ApiError::NotFound("imagen no encontrada").page(),
        Err(e) => ApiError::from(e).page(),
    }
}
