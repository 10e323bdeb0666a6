//! Dispatchers manage couriers (`/repartidores`): list, create, edit,
//! deactivate / reactivate, availability. A courier switches their own
//! availability with `POST /repartidor/disponibilidad`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use belgrano_platform::csrf::{CsrfForm, CsrfToken};
use belgrano_platform::password;

use super::AppState;
use super::auth::{CourierUser, DispatcherUser};
use super::page::PageError;
use crate::domain::input::{NewPassword, parse_email, parse_nombre, parse_telefono};
use crate::domain::usuario::{Actor, Role, Usuario};
use crate::live::Motivo;
use crate::store::accounts::{AccountData, AccountError, CourierSummary};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/repartidores", get(list).post(create))
        .route("/repartidores/{id}", get(edit).post(update))
        .route("/repartidores/{id}/activo", post(set_active))
        .route("/repartidores/{id}/disponible", post(set_available))
        .route("/repartidor/disponibilidad", post(toggle_own_availability))
}

/// The courier form as typed, re-shown when something is wrong.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CourierForm {
    nombre: String,
    email: String,
    telefono: String,
    password: String,
}

/// A courier form parsed: the account data, and a password if one was typed.
struct CourierInput {
    data: AccountData,
    password: Option<NewPassword>,
}

impl CourierForm {
    fn parse(&self, password_required: bool) -> Result<CourierInput, &'static str> {
        let nombre = parse_nombre(&self.nombre)?;
        let email = parse_email(&self.email)?;
        let telefono = parse_telefono(&self.telefono)?;
        let password = match (self.password.is_empty(), password_required) {
            (true, true) => return Err("Ingrese una contraseña inicial de al menos 8 caracteres."),
            (true, false) => None,
            (false, _) => Some(NewPassword::parse(&self.password)?),
        };
        Ok(CourierInput { data: AccountData { email: email.into_string(), nombre, telefono }, password })
    }

    fn of(user: &Usuario) -> Self {
        Self {
            nombre: user.nombre.clone(),
            email: user.email.clone(),
            telefono: user.telefono.clone().unwrap_or_default(),
            password: String::new(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "repartidores/list.html")]
struct ListPage {
    csrf: String,
    usuario: Option<Usuario>,
    repartidores: Vec<CourierSummary>,
    form: CourierForm,
    mensaje: Option<&'static str>,
    aviso: Option<String>,
}

#[derive(Deserialize, Default)]
struct Aviso {
    aviso: Option<String>,
    movidos: Option<u32>,
}

impl Aviso {
    /// Only fixed texts: nothing from the URL is echoed.
    fn text(&self) -> Option<String> {
        let text = match self.aviso.as_deref()? {
            "creado" => "Repartidor creado.",
            "guardado" => "Cambios guardados.",
            "reactivado" => "Repartidor reactivado: puede ingresar y recibir tickets.",
            "disponible" => "El repartidor vuelve a recibir tickets nuevos.",
            "pausado" => "El repartidor no recibirá tickets nuevos hasta que se lo habilite.",
            "desactivado" => {
                return Some(format!(
                    "Repartidor desactivado: ya no puede ingresar ni recibe tickets. Tickets abiertos reasignados: {}.",
                    self.movidos.unwrap_or(0)
                ));
            }
            _ => return None,
        };
        Some(text.to_owned())
    }
}

async fn list(
    State(state): State<AppState>,
    DispatcherUser(me): DispatcherUser,
    CsrfToken(csrf): CsrfToken,
    Query(aviso): Query<Aviso>,
) -> Result<ListPage, PageError> {
    let repartidores = state.store.couriers().await?;
    Ok(ListPage {
        csrf,
        usuario: Some(me),
        repartidores,
        form: CourierForm::default(),
        mensaje: None,
        aviso: aviso.text(),
    })
}

async fn create(
    State(state): State<AppState>,
    DispatcherUser(me): DispatcherUser,
    CsrfToken(csrf): CsrfToken,
    CsrfForm(form): CsrfForm<CourierForm>,
) -> Result<Response, PageError> {
    let problem = match form.parse(true) {
        Err(why) => why,
        Ok(input) => {
            let password = input.password.expect("required above");
            let hash = password::hash(password.as_str()).await.map_err(PageError::Unavailable)?;
            match state.store.create_courier(&input.data, &hash).await {
                Ok(id) => {
                    tracing::info!(courier_id = id, by = me.id, "courier created");
                    return Ok(Redirect::to("/repartidores?aviso=creado").into_response());
                }
                Err(AccountError::EmailTaken) => "Ya existe una cuenta con ese email.",
                Err(e) => return Err(e.into()),
            }
        }
    };
    let repartidores = state.store.couriers().await?;
    let form = CourierForm { password: String::new(), ..form };
    let page = ListPage { csrf, usuario: Some(me), repartidores, form, mensaje: Some(problem), aviso: None };
    Ok((StatusCode::BAD_REQUEST, page).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "repartidores/edit.html")]
struct EditPage {
    csrf: String,
    usuario: Option<Usuario>,
    r: Usuario,
    abiertos: i64,
    form: CourierForm,
    mensaje: Option<&'static str>,
}

/// The courier `id` names; anything else (a dispatcher, a bad id) is 404.
async fn courier(state: &AppState, id: &str) -> Result<CourierSummary, PageError> {
    let not_found = || PageError::NotFound("Ese repartidor no existe.".into());
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let user = state.store.usuario(id).await?.filter(|u| u.role == Role::Flota).ok_or_else(not_found)?;
    let abiertos = state.store.open_tickets_of(user.id).await?.len() as i64;
    Ok(CourierSummary { user, abiertos })
}

async fn edit(
    State(state): State<AppState>,
    DispatcherUser(me): DispatcherUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<String>,
) -> Result<EditPage, PageError> {
    let CourierSummary { user, abiertos } = courier(&state, &id).await?;
    Ok(EditPage { csrf, usuario: Some(me), form: CourierForm::of(&user), r: user, abiertos, mensaje: None })
}

async fn update(
    State(state): State<AppState>,
    DispatcherUser(me): DispatcherUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<CourierForm>,
) -> Result<Response, PageError> {
    let CourierSummary { user, abiertos } = courier(&state, &id).await?;
    let problem = match form.parse(false) {
        Err(why) => why,
        Ok(input) => match state.store.update_courier(user.id, &input.data).await {
            Ok(()) => {
                if let Some(password) = input.password {
                    let hash = password::hash(password.as_str()).await.map_err(PageError::Unavailable)?;
                    state.store.set_password_hash(user.id, &hash).await?;
                    // A new password: whoever held the old one is out, live
                    // connections included.
                    state.accounts.end_all_sessions(user.id).await?;
                    state.broadcaster.disconnect_usuario(user.id, Motivo::SesionCerrada);
                }
                tracing::info!(courier_id = user.id, by = me.id, "courier updated");
                return Ok(Redirect::to("/repartidores?aviso=guardado").into_response());
            }
            Err(AccountError::EmailTaken) => "Ya existe otra cuenta con ese email.",
            Err(e) => return Err(e.into()),
        },
    };
    let form = CourierForm { password: String::new(), ..form };
    let page = EditPage { csrf, usuario: Some(me), r: user, abiertos, form, mensaje: Some(problem) };
    Ok((StatusCode::BAD_REQUEST, page).into_response())
}

/// `si` / `no` from the toggle forms.
fn yes_no(raw: &str) -> Result<bool, PageError> {
    match raw {
        "si" | "1" | "true" => Ok(true),
        "no" | "0" | "false" => Ok(false),
        _ => Err(PageError::BadRequest("Valor inválido: se esperaba «si» o «no».".into())),
    }
}

/// The courier a switch form is about, and the switch's value.
async fn switch(state: &AppState, id: &str, raw: &str) -> Result<(Usuario, bool), PageError> {
    let value = yes_no(raw)?;
    Ok((courier(state, id).await?.user, value))
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct ActiveForm {
    activo: String,
}

async fn set_active(
    State(state): State<AppState>,
    DispatcherUser(me): DispatcherUser,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ActiveForm>,
) -> Result<Redirect, PageError> {
    let (target, activo) = switch(&state, &id, &form.activo).await?;
    state.store.set_courier_active(target.id, activo).await?;
    // Deactivated: their live connections end with their sessions, on every
    // instance. Reactivated: they have none, but nothing stale stays either.
    state
        .broadcaster
        .disconnect_usuario(target.id, if activo { Motivo::CuentaModificada } else { Motivo::SesionCerrada });
    if activo {
        tracing::info!(courier_id = target.id, by = me.id, "courier reactivated");
        return Ok(Redirect::to("/repartidores?aviso=reactivado"));
    }
    // Deactivated first (under the write lock, with their sessions ended),
    // so intake can no longer pick them; then their open tickets move on by
    // the intake strategy. If that fails, they stay listed with open
    // tickets and deactivating again retries.
    let movidos = state
        .lifecycle
        .reassign_open_tickets_of(target.id, &Actor::from_user(&me))
        .await
        .map_err(|e| PageError::Unavailable(e.into()))?;
    tracing::info!(courier_id = target.id, by = me.id, movidos, "courier deactivated");
    Ok(Redirect::to(&format!("/repartidores?aviso=desactivado&movidos={movidos}")))
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct AvailableForm {
    disponible: String,
}

async fn set_available(
    State(state): State<AppState>,
    DispatcherUser(me): DispatcherUser,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<AvailableForm>,
) -> Result<Redirect, PageError> {
    let (target, disponible) = switch(&state, &id, &form.disponible).await?;
    state.store.set_courier_available(target.id, disponible).await?;
    // Their live connections reconnect and see the account as it is now.
    state.broadcaster.disconnect_usuario(target.id, Motivo::CuentaModificada);
    tracing::info!(courier_id = target.id, by = me.id, disponible, "courier availability set");
    Ok(Redirect::to(if disponible { "/repartidores?aviso=disponible" } else { "/repartidores?aviso=pausado" }))
}

/// Optional explicit value; without it the switch flips.
#[derive(Default, Deserialize)]
#[serde(default)]
struct OwnAvailability {
    disponible: String,
}

async fn toggle_own_availability(
    State(state): State<AppState>,
    CourierUser(me): CourierUser,
    CsrfForm(form): CsrfForm<OwnAvailability>,
) -> Result<Redirect, PageError> {
    let disponible = if form.disponible.is_empty() { !me.disponible } else { yes_no(&form.disponible)? };
    state.store.set_courier_available(me.id, disponible).await?;
    // Their other pages reconnect and see the account as it is now.
    state.broadcaster.disconnect_usuario(me.id, Motivo::CuentaModificada);
    Ok(Redirect::to("/repartidor"))
}
