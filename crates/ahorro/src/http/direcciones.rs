//! A customer's saved delivery addresses, managed from `/perfil` (add,
//! delete) and picked in the checkout.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use belgrano_platform::csrf::CsrfForm;
use serde::Deserialize;

use super::accounts::profile_page;
use super::error::PageError;
use super::extract::Visitor;
use super::layout::{FormError, login_to};
use super::state::AppState;
use crate::domain::entrega::{Direccion, MAX_DIRECCIONES};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DireccionForm {
    calle: String,
    altura: String,
    piso: String,
    entre_calles: String,
    barrio: String,
    codigo_postal: String,
    referencias: String,
}

/// `POST /perfil/direcciones`.
pub async fn add(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(f): CsrfForm<DireccionForm>,
) -> Result<Response, PageError> {
    let Some(u) = visitor.usuario.clone() else { return Ok(login_to("/perfil")) };
    let raw = Direccion {
        calle: f.calle,
        altura: f.altura,
        piso: f.piso,
        entre_calles: f.entre_calles,
        barrio: f.barrio,
        codigo_postal: f.codigo_postal,
        referencias: f.referencias,
    };
    let mut d = match Direccion::parse(raw, "direccion") {
        Ok(d) => d,
        Err(e) => {
            return profile_page(&state, &visitor, String::new(), FormError::field(&e).in_form("direccion")).await;
        }
    };
    let ajustes = state.store.ajustes_entrega().await?;
    let Some(zona) = ajustes.zona(&d.barrio) else {
        let error =
            FormError { field: "direccion.barrio".into(), message: "Todavía no hacemos envíos a ese barrio.".into() };
        return profile_page(&state, &visitor, String::new(), error).await;
    };
    d.barrio = zona.barrio.clone();
    match state.store.agregar_direccion(u.id, &d).await? {
        Some(_) => profile_page(&state, &visitor, "Dirección guardada.".into(), FormError::default()).await,
        None => {
            let error = format!("Podés guardar hasta {MAX_DIRECCIONES} direcciones distintas.");
            profile_page(&state, &visitor, String::new(), FormError::general(error)).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Vacio {}

/// `POST /perfil/direcciones/{id}/borrar`.
pub async fn delete(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Vacio>,
) -> Result<Response, PageError> {
    let Some(u) = visitor.usuario.clone() else { return Ok(login_to("/perfil")) };
    if let Ok(id) = id.parse::<i64>() {
        state.store.borrar_direccion(u.id, id).await?;
    }
    Ok(Redirect::to("/perfil").into_response())
}
