//! Admins manage staff (`/usuarios`): list everyone, create (with an
//! initial password or a mailed link), edit, change role, deactivate (after
//! a confirmation page) and reactivate, reset a password, and a courier's
//! availability. The old courier pages (`/repartidores...`) are aliases of
//! these, so bookmarks keep working; their one-click deactivation now leads
//! to the confirmation. A courier switches their own availability with
//! `POST /repartidor/disponibilidad`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use belgrano_platform::csrf::{CsrfForm, CsrfToken};
use belgrano_platform::password;

use super::AppState;
use super::auth::{AuthRejection, CourierUser, CurrentUser};
use super::page::PageError;
use crate::domain::input::{NewPassword, parse_email, parse_nombre, parse_telefono};
use crate::domain::usuario::{Actor, Role, StaffChange, Usuario, refuse_own};
use crate::live::Motivo;
use crate::store::accounts::{AccountData, AccountError, StaffSummary};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/usuarios", get(list).post(create))
        .route("/usuarios/{id}", get(edit).post(update))
        .route("/usuarios/{id}/rol", post(set_role))
        .route("/usuarios/{id}/desactivar", get(confirm_deactivate).post(deactivate))
        .route("/usuarios/{id}/reactivar", post(reactivate))
        .route("/usuarios/{id}/password", post(reset_password))
        .route("/usuarios/{id}/disponible", post(set_available))
        // The old courier pages: same handlers, so bookmarks and old forms work.
        .route("/repartidores", get(list).post(create))
        .route("/repartidores/{id}", get(edit).post(update))
        .route("/repartidores/{id}/activo", post(old_set_active))
        .route("/repartidores/{id}/disponible", post(set_available))
        .route("/repartidor/disponibilidad", post(toggle_own_availability))
}

/// A logged-in admin; dispatchers and couriers get a 403 page saying who
/// can help, anonymous visitors the login page.
pub struct AdminUser(pub Usuario);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AuthRejection> {
        let CurrentUser(user) = CurrentUser::from_request_parts(parts, state).await?;
        if user.is_admin() {
            Ok(AdminUser(user))
        } else {
            Err(AuthRejection::Forbidden(
                "Esta página es sólo para administración: pida a un administrador que gestione el personal.",
            ))
        }
    }
}

/// A problem with one field of a form, shown beside it.
#[derive(Debug, Clone, Copy)]
struct Problem {
    campo: &'static str,
    mensaje: &'static str,
}

impl Problem {
    fn at(campo: &'static str) -> impl Fn(&'static str) -> Problem {
        move |mensaje| Problem { campo, mensaje }
    }
}

/// The staff form as typed, re-shown when something is wrong.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StaffForm {
    nombre: String,
    email: String,
    telefono: String,
    /// Only on creation; empty (the old courier form) means courier.
    rol: String,
    password: String,
    /// `enlace`: mail a link to choose the password instead of typing one.
    acceso: String,
}

/// A staff form parsed.
struct StaffInput {
    data: AccountData,
    role: Role,
    password: Option<NewPassword>,
}

impl StaffForm {
    fn parse(&self, creating: bool) -> Result<StaffInput, Problem> {
        let nombre = parse_nombre(&self.nombre).map_err(Problem::at("nombre"))?;
        let email = parse_email(&self.email).map_err(Problem::at("email"))?;
        let telefono = parse_telefono(&self.telefono).map_err(Problem::at("telefono"))?;
        let role = match self.rol.as_str() {
            "" => Role::Flota,
            raw => Role::parse(raw).ok_or(Problem { campo: "rol", mensaje: "Elija un rol de la lista." })?,
        };
        // A mailed link: whatever was typed as a password is not used.
        let link = creating && self.acceso == "enlace";
        let password = match (self.password.is_empty() || link, creating && !link) {
            (true, true) => {
                return Err(Problem {
                    campo: "password",
                    mensaje: "Ingrese una contraseña inicial de al menos 8 caracteres, o elija enviarle un enlace.",
                });
            }
            (true, false) => None,
            (false, _) => Some(NewPassword::parse(&self.password).map_err(Problem::at("password"))?),
        };
        Ok(StaffInput { data: AccountData { email: email.into_string(), nombre, telefono }, role, password })
    }

    fn of(user: &Usuario) -> Self {
        Self {
            nombre: user.nombre.clone(),
            email: user.email.clone(),
            telefono: user.telefono.clone().unwrap_or_default(),
            rol: user.role.as_str().to_owned(),
            ..Self::default()
        }
    }
}

/// The message for `campo`, if the form's problem is there.
fn problem_at(problem: &Option<Problem>, campo: &str) -> Option<&'static str> {
    problem.filter(|p| p.campo == campo).map(|p| p.mensaje)
}

#[derive(Template, WebTemplate)]
#[template(path = "usuarios/list.html")]
struct ListPage {
    csrf: String,
    usuario: Option<Usuario>,
    personal: Vec<StaffSummary>,
    form: StaffForm,
    problema: Option<Problem>,
    aviso: Option<String>,
}

impl ListPage {
    fn error(&self, campo: &str) -> Option<&'static str> {
        problem_at(&self.problema, campo)
    }

    fn roles(&self) -> [Role; 3] {
        Role::ALL
    }
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
            "creado" => "Cuenta creada.",
            "enlace" => "Cuenta creada: le enviamos por email un enlace para elegir su contraseña.",
            "guardado" => "Cambios guardados.",
            "rol" => "Rol cambiado: la persona vuelve a ingresar con sus nuevos permisos.",
            "password" => "Contraseña cambiada: sus sesiones abiertas terminaron.",
            "reset" => "Le enviamos por email un enlace para elegir una contraseña nueva (vale una hora).",
            "reactivado" => "Cuenta reactivada: puede ingresar de nuevo.",
            "disponible" => "El repartidor vuelve a recibir tickets nuevos.",
            "pausado" => "El repartidor no recibirá tickets nuevos hasta que se lo habilite.",
            "desactivado" => {
                return Some(format!(
                    "Cuenta desactivada: ya no puede ingresar y sus sesiones terminaron. Tickets abiertos reasignados: {}.",
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
    AdminUser(me): AdminUser,
    CsrfToken(csrf): CsrfToken,
    Query(aviso): Query<Aviso>,
) -> Result<ListPage, PageError> {
    let personal = state.store.staff().await?;
    Ok(ListPage { csrf, usuario: Some(me), personal, form: StaffForm::default(), problema: None, aviso: aviso.text() })
}

/// The absolute reset link of a token.
fn reset_link(state: &AppState) -> impl Fn(&str) -> String {
    let base = state.settings.public_url.clone();
    move |token: &str| format!("{base}/password/nueva/{token}")
}

async fn create(
    State(state): State<AppState>,
    AdminUser(me): AdminUser,
    CsrfToken(csrf): CsrfToken,
    CsrfForm(form): CsrfForm<StaffForm>,
) -> Result<Response, PageError> {
    let problem = match form.parse(true) {
        Err(problem) => problem,
        Ok(input) => {
            let hash = match &input.password {
                Some(p) => Some(password::hash(p.as_str()).await.map_err(PageError::Unavailable)?),
                None => None,
            };
            match state.store.create_usuario(&input.data, input.role, hash.as_deref()).await {
                Ok(id) => {
                    tracing::info!(usuario_id = id, role = input.role.as_str(), by = me.id, "staff account created");
                    if hash.is_some() {
                        return Ok(Redirect::to("/usuarios?aviso=creado").into_response());
                    }
                    let user = state.store.usuario(id).await?.ok_or(PageError::Internal)?;
                    state.accounts.send_reset(&user, reset_link(&state)).await?;
                    state.mail_worker.wake();
                    return Ok(Redirect::to("/usuarios?aviso=enlace").into_response());
                }
                Err(AccountError::EmailTaken) => {
                    Problem { campo: "email", mensaje: "Ya existe una cuenta con ese email." }
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    let personal = state.store.staff().await?;
    let form = StaffForm { password: String::new(), ..form };
    let page = ListPage { csrf, usuario: Some(me), personal, form, problema: Some(problem), aviso: None };
    Ok((StatusCode::BAD_REQUEST, page).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "usuarios/edit.html")]
struct EditPage {
    csrf: String,
    usuario: Option<Usuario>,
    r: Usuario,
    abiertos: i64,
    form: StaffForm,
    problema: Option<Problem>,
    /// Why a role change or a password reset was refused.
    aviso_error: Option<&'static str>,
    propia: bool,
}

impl EditPage {
    fn error(&self, campo: &str) -> Option<&'static str> {
        problem_at(&self.problema, campo)
    }

    fn roles(&self) -> [Role; 3] {
        Role::ALL
    }
}

/// The account `id` names; a bad id or none is 404.
async fn member(state: &AppState, id: &str) -> Result<StaffSummary, PageError> {
    let not_found = || PageError::NotFound("Esa cuenta no existe.".into());
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let user = state.store.usuario(id).await?.ok_or_else(not_found)?;
    let abiertos = state.store.open_tickets_of(user.id).await?.len() as i64;
    Ok(StaffSummary { user, abiertos })
}

/// The edit page again, with a refusal above the forms (a 400).
fn refused_edit(csrf: String, me: Usuario, member: StaffSummary, why: &'static str) -> Response {
    let mut page = edit_page(csrf, me, member);
    page.aviso_error = Some(why);
    (StatusCode::BAD_REQUEST, page).into_response()
}

fn edit_page(csrf: String, me: Usuario, member: StaffSummary) -> EditPage {
    let StaffSummary { user, abiertos } = member;
    EditPage {
        csrf,
        propia: me.id == user.id,
        usuario: Some(me),
        form: StaffForm::of(&user),
        r: user,
        abiertos,
        problema: None,
        aviso_error: None,
    }
}

async fn edit(
    State(state): State<AppState>,
    AdminUser(me): AdminUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<String>,
) -> Result<EditPage, PageError> {
    Ok(edit_page(csrf, me, member(&state, &id).await?))
}

/// Ends every session and live connection of an account, on every instance.
async fn sign_out_everywhere(state: &AppState, user_id: i64) -> Result<(), PageError> {
    state.accounts.end_all_sessions(user_id).await?;
    state.broadcaster.disconnect_usuario(user_id, Motivo::SesionCerrada);
    Ok(())
}

async fn update(
    State(state): State<AppState>,
    AdminUser(me): AdminUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<StaffForm>,
) -> Result<Response, PageError> {
    let target = member(&state, &id).await?;
    let problem = match form.parse(false) {
        Err(problem) => problem,
        Ok(input) => match state.store.update_usuario(target.user.id, &input.data).await {
            Ok(()) => {
                if let Some(password) = input.password {
                    let hash = password::hash(password.as_str()).await.map_err(PageError::Unavailable)?;
                    state.store.set_password_hash(target.user.id, &hash).await?;
                    // A new password: whoever held the old one is out.
                    sign_out_everywhere(&state, target.user.id).await?;
                }
                tracing::info!(usuario_id = target.user.id, by = me.id, "staff account updated");
                return Ok(Redirect::to("/usuarios?aviso=guardado").into_response());
            }
            Err(AccountError::EmailTaken) => {
                Problem { campo: "email", mensaje: "Ya existe otra cuenta con ese email." }
            }
            Err(e) => return Err(e.into()),
        },
    };
    let mut page = edit_page(csrf, me, target);
    page.form = StaffForm { password: String::new(), rol: page.form.rol.clone(), ..form };
    page.problema = Some(problem);
    Ok((StatusCode::BAD_REQUEST, page).into_response())
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct RoleForm {
    rol: String,
}

async fn set_role(
    State(state): State<AppState>,
    AdminUser(me): AdminUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<RoleForm>,
) -> Result<Response, PageError> {
    let target = member(&state, &id).await?;
    let refused = |target: StaffSummary, why: &'static str| refused_edit(csrf.clone(), me.clone(), target, why);
    let Some(role) = Role::parse(&form.rol) else { return Ok(refused(target, "Elija un rol de la lista.")) };
    if role == target.user.role {
        return Ok(Redirect::to("/usuarios?aviso=guardado").into_response());
    }
    if let Err(why) = refuse_own(&me, &target.user, StaffChange::SetRole(role)) {
        return Ok(refused(target, why));
    }
    match state.store.set_role(target.user.id, role).await {
        Ok(()) => {}
        Err(AccountError::LastAdmin) => {
            return Ok(refused(target, "Debe quedar al menos un administrador activo."));
        }
        Err(e) => return Err(e.into()),
    }
    // Their pages reconnect and see the account as it is now.
    state.broadcaster.disconnect_usuario(target.user.id, Motivo::CuentaModificada);
    // A courier no longer: their open tickets go to the couriers there are.
    let movidos = if target.user.role == Role::Flota {
        state
            .lifecycle
            .reassign_open_tickets_of(target.user.id, &Actor::from_user(&me))
            .await
            .map_err(|e| PageError::Unavailable(e.into()))?
    } else {
        0
    };
    tracing::info!(usuario_id = target.user.id, role = role.as_str(), by = me.id, movidos, "staff role changed");
    Ok(Redirect::to("/usuarios?aviso=rol").into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "usuarios/confirm.html")]
struct ConfirmPage {
    csrf: String,
    usuario: Option<Usuario>,
    r: Usuario,
    abiertos: i64,
    /// Why it cannot be done (their own account, the last admin).
    mensaje: Option<&'static str>,
}

/// Deactivating asks first: the page says what will happen.
async fn confirm_deactivate(
    State(state): State<AppState>,
    AdminUser(me): AdminUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<String>,
) -> Result<ConfirmPage, PageError> {
    let StaffSummary { user, abiertos } = member(&state, &id).await?;
    let mensaje = refuse_own(&me, &user, StaffChange::Deactivate).err();
    Ok(ConfirmPage { csrf, usuario: Some(me), r: user, abiertos, mensaje })
}

/// The confirmation's answer; anything but `si` deactivates nothing.
#[derive(Default, Deserialize)]
#[serde(default)]
struct ConfirmForm {
    confirmar: String,
}

async fn deactivate(
    State(state): State<AppState>,
    AdminUser(me): AdminUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ConfirmForm>,
) -> Result<Response, PageError> {
    let StaffSummary { user, abiertos } = member(&state, &id).await?;
    if form.confirmar != "si" {
        return Ok(Redirect::to(&format!("/usuarios/{}/desactivar", user.id)).into_response());
    }
    let refused = |user: Usuario, why: &'static str| {
        let page = ConfirmPage { csrf: csrf.clone(), usuario: Some(me.clone()), r: user, abiertos, mensaje: Some(why) };
        (StatusCode::BAD_REQUEST, page).into_response()
    };
    if let Err(why) = refuse_own(&me, &user, StaffChange::Deactivate) {
        return Ok(refused(user, why));
    }
    // Deactivated first (under the write lock, with their sessions ended),
    // so intake can no longer pick them; then their open tickets move on by
    // the intake strategy. If that fails, they stay listed with open
    // tickets and deactivating again retries.
    match state.store.set_active(user.id, false).await {
        Ok(()) => {}
        Err(AccountError::LastAdmin) => return Ok(refused(user, "Debe quedar al menos un administrador activo.")),
        Err(e) => return Err(e.into()),
    }
    // Their live connections end with their sessions, on every instance.
    state.broadcaster.disconnect_usuario(user.id, Motivo::SesionCerrada);
    let movidos = state
        .lifecycle
        .reassign_open_tickets_of(user.id, &Actor::from_user(&me))
        .await
        .map_err(|e| PageError::Unavailable(e.into()))?;
    tracing::info!(usuario_id = user.id, by = me.id, movidos, "staff account deactivated");
    Ok(Redirect::to(&format!("/usuarios?aviso=desactivado&movidos={movidos}")).into_response())
}

async fn reactivate(
    State(state): State<AppState>,
    AdminUser(me): AdminUser,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<ConfirmForm>,
) -> Result<Redirect, PageError> {
    let target = member(&state, &id).await?;
    state.store.set_active(target.user.id, true).await?;
    // Nothing stale stays connected.
    state.broadcaster.disconnect_usuario(target.user.id, Motivo::CuentaModificada);
    tracing::info!(usuario_id = target.user.id, by = me.id, "staff account reactivated");
    Ok(Redirect::to("/usuarios?aviso=reactivado"))
}

/// The old courier switch: reactivating works as before, deactivating now
/// goes to the confirmation page.
#[derive(Default, Deserialize)]
#[serde(default)]
struct ActiveForm {
    activo: String,
}

async fn old_set_active(
    state: State<AppState>,
    admin: AdminUser,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ActiveForm>,
) -> Result<Redirect, PageError> {
    if yes_no(&form.activo)? {
        return reactivate(state, admin, Path(id), CsrfForm(ConfirmForm::default())).await;
    }
    let target = member(&state, &id).await?;
    Ok(Redirect::to(&format!("/usuarios/{}/desactivar", target.user.id)))
}

/// An admin's password reset: `modo=enlace` mails the link, otherwise the
/// typed password is set.
#[derive(Default, Deserialize)]
#[serde(default)]
struct ResetForm {
    modo: String,
    password: String,
}

async fn reset_password(
    State(state): State<AppState>,
    AdminUser(me): AdminUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ResetForm>,
) -> Result<Response, PageError> {
    let target = member(&state, &id).await?;
    if form.modo == "enlace" {
        if !target.user.activo {
            return Ok(refused_edit(csrf, me, target, "Reactive la cuenta antes de enviarle un enlace."));
        }
        state.accounts.send_reset(&target.user, reset_link(&state)).await?;
        state.mail_worker.wake();
        tracing::info!(usuario_id = target.user.id, by = me.id, "password reset link sent by an admin");
        return Ok(Redirect::to("/usuarios?aviso=reset").into_response());
    }
    let password = match NewPassword::parse(&form.password) {
        Ok(p) => p,
        Err(why) => {
            let mut page = edit_page(csrf, me, target);
            page.problema = Some(Problem { campo: "reset", mensaje: why });
            return Ok((StatusCode::BAD_REQUEST, page).into_response());
        }
    };
    let hash = password::hash(password.as_str()).await.map_err(PageError::Unavailable)?;
    state.store.set_password_hash(target.user.id, &hash).await?;
    sign_out_everywhere(&state, target.user.id).await?;
    tracing::info!(usuario_id = target.user.id, by = me.id, "password set by an admin");
    Ok(Redirect::to("/usuarios?aviso=password").into_response())
}

/// `si` / `no` from the toggle forms.
fn yes_no(raw: &str) -> Result<bool, PageError> {
    match raw {
        "si" | "1" | "true" => Ok(true),
        "no" | "0" | "false" => Ok(false),
        _ => Err(PageError::BadRequest("Valor inválido: se esperaba «si» o «no».".into())),
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct AvailableForm {
    disponible: String,
}

async fn set_available(
    State(state): State<AppState>,
    AdminUser(me): AdminUser,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<AvailableForm>,
) -> Result<Redirect, PageError> {
    let disponible = yes_no(&form.disponible)?;
    let target = member(&state, &id).await?;
    if target.user.role != Role::Flota {
        return Err(PageError::NotFound("Ese repartidor no existe.".into()));
    }
    state.store.set_courier_available(target.user.id, disponible).await?;
    // Their live connections reconnect and see the account as it is now.
    state.broadcaster.disconnect_usuario(target.user.id, Motivo::CuentaModificada);
    tracing::info!(courier_id = target.user.id, by = me.id, disponible, "courier availability set");
    Ok(Redirect::to(if disponible { "/usuarios?aviso=disponible" } else { "/usuarios?aviso=pausado" }))
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
