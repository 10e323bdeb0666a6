//! The shop's information pages, linked from every page's footer:
//!
//! - `/ayuda`: where and when the shop delivers, what it costs and how to
//!   pay, read from the real settings (the back office's `/admin/entrega`
//!   and `MetodoPago`), so it changes when they do;
//! - `/sobre-nosotros`: the stores and their branches, from the catalogue;
//! - `/terminos` and `/privacidad`: the terms of use and what is kept
//!   about whom and why (Ley 25.326), linked from the registration's
//!   "Acepto los términos".

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use belgrano_contract::{Centavos, MetodoPago};

use super::error::PageError;
use super::extract::Visitor;
use super::layout::Layout;
use super::state::AppState;
use crate::domain::catalogo::{Negocio, Sucursal};
use crate::domain::entrega::Ajustes;
use crate::domain::hora;

pub fn routes() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/ayuda", get(ayuda))
        .route("/sobre-nosotros", get(sobre_nosotros))
        .route("/terminos", get(terminos))
        .route("/privacidad", get(privacidad))
}

/// A barrio as `/ayuda` lists it.
pub struct ZonaVista {
    pub barrio: String,
    pub costo: String,
    pub minimo: String,
}

/// A weekday's windows.
pub struct DiaVista {
    pub dia: &'static str,
    pub franjas: Vec<FranjaVista>,
}

pub struct FranjaVista {
    /// "de 09:00 a 12:00".
    pub horario: String,
    /// "hasta 2 horas antes".
    pub corte: String,
    /// "Envío gratis desde $ 20.000", or empty.
    pub gratis: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "ayuda.html")]
pub struct AyudaPage {
    pub l: Layout,
    pub zonas: Vec<ZonaVista>,
    pub dias: Vec<DiaVista>,
    pub pagos: Vec<(&'static str, &'static str)>,
}

/// "60 minutos", "2 horas", "1 día y 3 horas": a window's cut-off.
fn duracion(minutos: i64) -> String {
    let plural = |n: i64, uno: &str, varios: &str| if n == 1 { format!("1 {uno}") } else { format!("{n} {varios}") };
    let (dias, horas, mins) = (minutos / 1440, minutos % 1440 / 60, minutos % 60);
    let mut partes = Vec::new();
    if dias > 0 {
        partes.push(plural(dias, "día", "días"));
    }
    if horas > 0 {
        partes.push(plural(horas, "hora", "horas"));
    }
    if mins > 0 || partes.is_empty() {
        partes.push(plural(mins, "minuto", "minutos"));
    }
    partes.join(" y ")
}

fn pesos_o(c: Centavos, cero: &str) -> String {
    if c.0 == 0 { cero.to_owned() } else { c.format_ars() }
}

/// What `/ayuda` shows of the settings: zones in their order, weekdays
/// from Monday with their windows by hour.
fn vista(ajustes: &Ajustes) -> (Vec<ZonaVista>, Vec<DiaVista>) {
    let zonas = ajustes
        .zonas
        .iter()
        .map(|z| ZonaVista {
            barrio: z.barrio.clone(),
            costo: pesos_o(z.costo_envio, "Gratis"),
            minimo: pesos_o(z.minimo, "Sin mínimo"),
        })
        .collect();
    let dias = (1..=7u32)
        .filter_map(|dia| {
            let mut franjas: Vec<_> = ajustes.franjas.iter().filter(|f| f.dia == dia).collect();
            franjas.sort_by_key(|f| f.desde);
            (!franjas.is_empty()).then(|| DiaVista {
                dia: hora::DIAS[(dia - 1) as usize],
                franjas: franjas
                    .into_iter()
                    .map(|f| FranjaVista {
                        horario: format!("de {} a {}", f.desde.format("%H:%M"), f.hasta.format("%H:%M")),
                        corte: if f.corte_minutos > 0 {
                            format!("hasta {} antes", duracion(f.corte_minutos))
                        } else {
                            "hasta que empieza".to_owned()
                        },
                        gratis: f
                            .envio_gratis_desde
                            .map(|g| format!("Envío gratis desde {}", g.format_ars()))
                            .unwrap_or_default(),
                    })
                    .collect(),
            })
        })
        .collect();
    (zonas, dias)
}

/// What each payment method means for the customer (nothing is charged
/// online: the courier collects).
fn pago_en_detalle(m: MetodoPago) -> &'static str {
    match m {
        MetodoPago::Efectivo => {
            "Le pagás al repartidor cuando recibís el pedido. Si en la compra nos decís con cuánto pagás, lleva el vuelto."
        }
        MetodoPago::Tarjeta => "Pagás con tarjeta de débito o crédito cuando recibís el pedido.",
        MetodoPago::Transferencia => "Pagás por transferencia cuando recibís el pedido.",
        MetodoPago::Mercadopago => "Pagás con Mercado Pago cuando recibís el pedido.",
    }
}

pub async fn ayuda(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    let (zonas, dias) = vista(&state.store.ajustes_entrega().await?);
    let pagos = MetodoPago::ALL.iter().map(|m| (m.label(), pago_en_detalle(*m))).collect();
    let l = Layout::new(&state, &visitor, "Ayuda: envíos y pagos").await?;
    Ok(AyudaPage { l, zonas, dias, pagos }.into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "sobre_nosotros.html")]
pub struct SobreNosotrosPage {
    pub l: Layout,
    /// Each store with its branches.
    pub negocios: Vec<(Negocio, Vec<Sucursal>)>,
}

pub async fn sobre_nosotros(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    let sucursales = state.store.todas_las_sucursales().await?;
    let negocios = state
        .store
        .negocios()
        .await?
        .into_iter()
        .map(|n| {
            let suyas = sucursales.iter().filter(|s| s.negocio_id == n.id).cloned().collect();
            (n, suyas)
        })
        .collect();
    let l = Layout::new(&state, &visitor, "Sobre nosotros").await?;
    Ok(SobreNosotrosPage { l, negocios }.into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "terminos.html")]
pub struct TerminosPage {
    pub l: Layout,
    pub contacto: String,
}

pub async fn terminos(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    let l = Layout::new(&state, &visitor, "Términos y condiciones").await?;
    Ok(TerminosPage { l, contacto: state.settings.contact_email.clone() }.into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "privacidad.html")]
pub struct PrivacidadPage {
    pub l: Layout,
    pub contacto: String,
}

pub async fn privacidad(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    let l = Layout::new(&state, &visitor, "Política de privacidad").await?;
    Ok(PrivacidadPage { l, contacto: state.settings.contact_email.clone() }.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_offs_read_as_spanish_durations() {
        assert_eq!(duracion(0), "0 minutos");
        assert_eq!(duracion(1), "1 minuto");
        assert_eq!(duracion(60), "1 hora");
        assert_eq!(duracion(150), "2 horas y 30 minutos");
        assert_eq!(duracion(1440 + 180), "1 día y 3 horas");
    }
}
