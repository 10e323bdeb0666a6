//! Reports for dispatchers (`/reportes?desde=&hasta=`, Buenos Aires days,
//! the last 7 by default) and the same period's tickets as CSV
//! (`/reportes.csv` with the same parameters, or `/reportes?formato=csv`).

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDate, Utc};

use super::AppState;
use super::auth::DispatcherUser;
use super::charts;
use super::page::PageError;
use super::views::pesos;
use crate::domain::reports::{self, Puntualidad};
use crate::domain::usuario::Usuario;
use belgrano_platform::csrf::CsrfToken;

#[derive(Template, WebTemplate)]
#[template(path = "panel/reports.html")]
pub struct ReportsPage {
    csrf: String,
    usuario: Option<Usuario>,
    desde: String,
    hasta: String,
    mensaje: Option<String>,
    total: usize,
    entregados: usize,
    promedio: String,
    ingresos: String,
    ticket_promedio: String,
    intentos_fallidos: u64,
    por_estado_svg: String,
    por_repartidor_svg: String,
    por_repartidor: Vec<(String, reports::CourierCounts)>,
    por_franja: Vec<(String, Puntualidad)>,
    por_dia_svg: String,
}

/// The period asked for, or the last 7 days with a message saying why.
struct Period {
    desde: NaiveDate,
    hasta: NaiveDate,
    mensaje: Option<String>,
}

fn period(params: &HashMap<String, String>) -> Period {
    let today = Utc::now().with_timezone(&reports::buenos_aires()).date_naive();
    let parse = |key: &str| params.get(key).filter(|v| !v.is_empty()).map(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d"));
    let mut mensaje = None;
    let (mut desde, mut hasta) = (today - Duration::days(6), today);
    match (parse("desde").transpose(), parse("hasta").transpose()) {
        (Ok(d), Ok(h)) => {
            desde = d.unwrap_or(desde);
            hasta = h.unwrap_or(hasta);
        }
        _ => mensaje = Some("Las fechas deben tener el formato AAAA-MM-DD; se muestran los últimos 7 días.".to_owned()),
    }
    if desde > hasta || (hasta - desde).num_days() > 366 {
        mensaje = Some(
            "El período debe ir de una fecha a otra posterior, de hasta un año; se muestran los últimos 7 días."
                .to_owned(),
        );
        (desde, hasta) = (today - Duration::days(6), today);
    }
    Period { desde, hasta, mensaje }
}

/// `GET /reportes`: the page, or the CSV with `formato=csv`.
pub async fn page(
    State(state): State<AppState>,
    DispatcherUser(user): DispatcherUser,
    CsrfToken(csrf): CsrfToken,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    if params.get("formato").map(String::as_str) == Some("csv") {
        return csv_of(&state, &params).await;
    }
    let Period { desde, hasta, mensaje } = period(&params);
    let (from, to) = reports::utc_bounds(desde, hasta);
    let report = reports::build(&state.store.report_tickets(from, to).await?, desde, hasta);
    let por_estado: Vec<(String, usize)> = report.por_estado.iter().map(|(e, n)| (e.label().to_owned(), *n)).collect();
    let por_repartidor_totals: Vec<(String, usize)> =
        report.por_repartidor.iter().map(|(name, c)| (name.clone(), c.total())).collect();
    let por_dia: Vec<(String, usize)> =
        report.por_dia.iter().map(|(d, n)| (d.format("%d/%m").to_string(), *n)).collect();
    Ok(ReportsPage {
        csrf,
        usuario: Some(user),
        desde: desde.to_string(),
        hasta: hasta.to_string(),
        mensaje,
        total: report.total,
        entregados: report.entregados,
        promedio: match report.entrega_promedio_minutos {
            Some(minutes) if minutes >= 90.0 => format!("{:.1} h", minutes / 60.0),
            Some(minutes) => format!("{minutes:.0} min"),
            None => "sin entregas en el período".to_owned(),
        },
        ingresos: pesos(report.ingresos.pesos()),
        ticket_promedio: report.ticket_promedio.map(|c| pesos(c.pesos())).unwrap_or_else(|| "—".to_owned()),
        intentos_fallidos: report.intentos_fallidos,
        por_estado_svg: charts::horizontal_bars("Tickets por estado", &por_estado, "#2f7d4f"),
        por_repartidor_svg: charts::horizontal_bars("Tickets por repartidor", &por_repartidor_totals, "#1f5f99"),
        por_repartidor: report.por_repartidor,
        por_franja: report.puntualidad_por_franja,
        por_dia_svg: charts::columns("Tickets por día", &por_dia, "#2f7d4f"),
    }
    .into_response())
}

/// `GET /reportes.csv?desde=&hasta=`: one row per ticket of the period.
pub async fn csv(
    State(state): State<AppState>,
    DispatcherUser(_): DispatcherUser,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    csv_of(&state, &params).await
}

async fn csv_of(state: &AppState, params: &HashMap<String, String>) -> Result<Response, PageError> {
    // A bad period is the default one, as on the page: a download cannot
    // show the message, the file name says which days it holds.
    let Period { desde, hasta, .. } = period(params);
    let (from, to) = reports::utc_bounds(desde, hasta);
    let body = reports::csv(&state.store.report_tickets(from, to).await?);
    let disposition = format!("attachment; filename=\"tickets_{desde}_{hasta}.csv\"");
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)],
        body,
    )
        .into_response())
}
