//! Staff management, admins only (an encargado gets 403): the page
//! `/admin/personal` (list; create with email, nombre, rol and password;
//! change a role; deactivate or reactivate; set a new password) and its
//! JSON mirror `/api/admin/personal`. Deactivating an account or giving it
//! a new password ends its sessions; no change may leave the shop without
//! an active admin (409). The rules are `crate::accounts`'.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, patch, post};
use belgrano_contract::FieldError;
use belgrano_platform::csrf::CsrfForm;
use belgrano_platform::http::Json;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{AdminLayout, Staff, StaffApi};
use crate::domain::usuario::{self, CambioStaff, NuevoStaff, Rol, Usuario};
use crate::http::error::{ApiError, PageError};
use crate::http::state::AppState;
use crate::store::StaffRefusal;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/personal", get(page).post(create_form))
        .route("/admin/personal/{id}/rol", post(rol_form))
        .route("/admin/personal/{id}/activo", post(activo_form))
        .route("/admin/personal/{id}/password", post(password_form))
        .route("/api/admin/personal", get(api_list).post(api_create))
        .route("/api/admin/personal/{id}", patch(api_change))
}

const EMAIL_TAKEN: &str = "ya existe una cuenta con ese email";
const LAST_ADMIN: &str = "es el último administrador activo: primero nombrá a otro";

/// A staff account as the JSON API shows it.
#[derive(Serialize)]
struct Miembro {
    id: i64,
    email: String,
    nombre: String,
    rol: Rol,
    activo: bool,
}

impl From<&Usuario> for Miembro {
    fn from(u: &Usuario) -> Self {
        Miembro { id: u.id, email: u.email.clone(), nombre: u.nombre_completo(), rol: u.rol, activo: u.activo }
    }
}

/// A Spanish sentence for a refused field.
fn message(e: &FieldError) -> String {
    match e.field.as_str() {
        "rol" => format!("El rol: {}.", e.message),
        "activo" => format!("El estado: {}.", e.message),
        _ => crate::http::layout::message(e),
    }
}

fn parse_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound("no hay personal con ese id"))
}

/// A refused change in the API's terms: the field it is about.
fn refusal(r: StaffRefusal, cambio: &CambioStaff<String>) -> ApiError {
    match r {
        StaffRefusal::NotFound => ApiError::NotFound("no hay personal con ese id"),
        StaffRefusal::LastAdmin => {
            let campo = if cambio.activo == Some(false) { "activo" } else { "rol" };
            ApiError::Conflict(FieldError::new(campo, LAST_ADMIN))
        }
    }
}

// ---- JSON ----

#[derive(Deserialize, Default)]
#[serde(default)]
struct NuevoBody {
    email: String,
    nombre: String,
    rol: String,
    password: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CambioBody {
    rol: Option<String>,
    activo: Option<bool>,
    password: Option<String>,
}

impl CambioBody {
    fn parse(self) -> Result<CambioStaff<String>, FieldError> {
        let cambio = CambioStaff {
            rol: self.rol.as_deref().map(|r| Rol::parse_staff("rol", r)).transpose()?,
            activo: self.activo,
            password: self.password.as_deref().map(|p| usuario::new_password(p, p)).transpose()?,
        };
        if cambio.is_empty() {
            return Err(FieldError::new("body", "indicá rol, activo o password"));
        }
        Ok(cambio)
    }
}

async fn api_list(State(state): State<AppState>, staff: StaffApi) -> Result<axum::Json<Value>, ApiError> {
    staff.admin()?;
    let personal: Vec<Miembro> = state.store.staff().await?.iter().map(Miembro::from).collect();
    Ok(axum::Json(json!({"count": personal.len(), "personal": personal})))
}

async fn api_create(
    State(state): State<AppState>,
    staff: StaffApi,
    Json(body): Json<NuevoBody>,
) -> Result<Response, ApiError> {
    staff.admin()?;
    let nuevo = NuevoStaff::parse(&body.email, &body.nombre, &body.rol, &body.password)?;
    let Some(id) = state.accounts.create_staff(nuevo).await? else {
        return Err(ApiError::Conflict(FieldError::new("email", EMAIL_TAKEN)));
    };
    let u = state.store.usuario(id).await?.ok_or(ApiError::NotFound("no hay personal con ese id"))?;
    Ok((StatusCode::CREATED, axum::Json(json!(Miembro::from(&u)))).into_response())
}

async fn api_change(
    State(state): State<AppState>,
    staff: StaffApi,
    Path(id): Path<String>,
    Json(body): Json<CambioBody>,
) -> Result<axum::Json<Value>, ApiError> {
    staff.admin()?;
    let id = parse_id(&id)?;
    let cambio = body.parse()?;
    match state.accounts.change_staff(id, cambio.clone(), &staff.usuario).await? {
        Ok(u) => Ok(axum::Json(json!(Miembro::from(&u)))),
        Err(r) => Err(refusal(r, &cambio)),
    }
}

// ---- Pages ----

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct NuevoForm {
    email: String,
    nombre: String,
    rol: String,
    password: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/personal.html")]
struct PersonalPage {
    l: AdminLayout,
    personal: Vec<Usuario>,
    /// This admin's id (their own row says "vos").
    yo: i64,
    roles: [Rol; 2],
    f: NuevoForm,
    error: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Hecho {
    hecho: String,
}

async fn render(
    state: &AppState,
    staff: &Staff,
    status: StatusCode,
    aviso: &str,
    f: NuevoForm,
    error: String,
) -> Result<Response, PageError> {
    let page = PersonalPage {
        l: AdminLayout::new(staff, "Personal").with_aviso(aviso),
        personal: state.store.staff().await?,
        yo: staff.usuario.id,
        roles: Rol::STAFF,
        f: NuevoForm { password: String::new(), ..f },
        error,
    };
    Ok((status, page).into_response())
}

async fn page(State(state): State<AppState>, staff: Staff, Query(q): Query<Hecho>) -> Result<Response, PageError> {
    staff.admin()?;
    let aviso = match q.hecho.as_str() {
        "creado" => "Cuenta creada: ya puede ingresar.",
        "rol" => "Rol cambiado.",
        "desactivado" => "Cuenta desactivada: sus sesiones se cerraron.",
        "activado" => "Cuenta reactivada.",
        "password" => "Contraseña nueva guardada: sus sesiones se cerraron.",
        _ => "",
    };
    render(&state, &staff, StatusCode::OK, aviso, NuevoForm::default(), String::new()).await
}

async fn create_form(
    State(state): State<AppState>,
    staff: Staff,
    CsrfForm(f): CsrfForm<NuevoForm>,
) -> Result<Response, PageError> {
    staff.admin()?;
    let nuevo = match NuevoStaff::parse(&f.email, &f.nombre, &f.rol, &f.password) {
        Ok(n) => n,
        Err(e) => return render(&state, &staff, StatusCode::BAD_REQUEST, "", f, message(&e)).await,
    };
    match state.accounts.create_staff(nuevo).await? {
        Some(_) => Ok(Redirect::to("/admin/personal?hecho=creado").into_response()),
        None => render(&state, &staff, StatusCode::CONFLICT, "", f, format!("El email: {EMAIL_TAKEN}.")).await,
    }
}

/// Applies a change from a row's form: back to the list, or the list with
/// the reason it was refused.
async fn apply(
    state: &AppState,
    staff: &Staff,
    id: &str,
    cambio: Result<CambioStaff<String>, FieldError>,
    hecho: &str,
) -> Result<Response, PageError> {
    staff.admin()?;
    let id = parse_id(id)?;
    let cambio = match cambio {
        Ok(c) => c,
        Err(e) => return render(state, staff, StatusCode::BAD_REQUEST, "", NuevoForm::default(), message(&e)).await,
    };
    match state.accounts.change_staff(id, cambio.clone(), &staff.usuario).await? {
        // Who deactivated themself has no session left: to the login.
        Ok(u) if u.id == staff.usuario.id && cambio.ends_sessions() => Ok(Redirect::to("/login").into_response()),
        Ok(_) => Ok(Redirect::to(&format!("/admin/personal?hecho={hecho}")).into_response()),
        Err(StaffRefusal::NotFound) => Err(ApiError::NotFound("no hay personal con ese id").into()),
        Err(StaffRefusal::LastAdmin) => {
            let error = format!("No se puede: {LAST_ADMIN}.");
            render(state, staff, StatusCode::CONFLICT, "", NuevoForm::default(), error).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RolForm {
    rol: String,
}

async fn rol_form(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<RolForm>,
) -> Result<Response, PageError> {
    let cambio = Rol::parse_staff("rol", &f.rol).map(|rol| CambioStaff { rol: Some(rol), ..Default::default() });
    apply(&state, &staff, &id, cambio, "rol").await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ActivoForm {
    /// `si` or `no`.
    activo: String,
}

async fn activo_form(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<ActivoForm>,
) -> Result<Response, PageError> {
    let activo = match f.activo.as_str() {
        "si" => Ok(true),
        "no" => Ok(false),
        _ => Err(FieldError::new("activo", "debe ser si o no")),
    };
    let hecho = if activo == Ok(true) { "activado" } else { "desactivado" };
    let cambio = activo.map(|a| CambioStaff { activo: Some(a), ..Default::default() });
    apply(&state, &staff, &id, cambio, hecho).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    password: String,
}

async fn password_form(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<PasswordForm>,
) -> Result<Response, PageError> {
    let cambio = usuario::new_password(&f.password, &f.password)
        .map(|p| CambioStaff { password: Some(p), ..Default::default() });
    apply(&state, &staff, &id, cambio, "password").await
}
