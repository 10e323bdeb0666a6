//! The dashboard (`/admin`): today's orders and revenue (the Buenos Aires
//! day, cancelled orders left out), orders per hour and the best sellers
//! of the last 30 days as inline SVG (the platform's charts), products
//! with little stock left, and how many deliveries to Tickets are parked.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use belgrano_platform::charts;
use chrono::{Days, Duration, Timelike, Utc};

use super::pedidos::ba_midnight;
use super::{AdminLayout, Staff};
use crate::domain::hora;
use crate::http::error::PageError;
use crate::http::state::AppState;

/// A product with this many units or fewer counts as low on stock.
pub const LOW_STOCK: i64 = 5;
/// Best sellers over this many days.
pub const BEST_SELLER_DAYS: i64 = 30;

#[derive(Template, WebTemplate)]
#[template(path = "admin/panel.html")]
struct PanelPage {
    l: AdminLayout,
    pedidos_hoy: i64,
    recaudado_hoy: String,
    fallidos: usize,
    por_hora_svg: String,
    mas_vendidos_svg: String,
    hay_ventas: bool,
    stock_bajo: Vec<(i64, String, i64)>,
    low_stock: i64,
    best_seller_days: i64,
}

pub async fn page(State(state): State<AppState>, staff: Staff) -> Result<Response, PageError> {
    let now = Utc::now();
    let today = hora::hoy(now);
    let desde = ba_midnight(today);
    let hasta = ba_midnight(today.checked_add_days(Days::new(1)).unwrap_or(today));
    let hoy = state.store.pedidos_entre(desde, hasta).await?;
    let mut por_hora = [0usize; 24];
    for t in &hoy.momentos {
        por_hora[hora::ba(*t).hour() as usize] += 1;
    }
    let por_hora: Vec<(String, usize)> = por_hora.iter().enumerate().map(|(h, n)| (format!("{h}"), *n)).collect();
    let vendidos = state.store.mas_vendidos(now - Duration::days(BEST_SELLER_DAYS), 10).await?;
    let vendidos: Vec<(String, usize)> =
        vendidos.into_iter().map(|(_, nombre, n)| (nombre, usize::try_from(n).unwrap_or(0))).collect();
    let page = PanelPage {
        l: AdminLayout::new(&staff, "Panel"),
        pedidos_hoy: hoy.pedidos,
        recaudado_hoy: hoy.recaudado.format_ars(),
        fallidos: state.store.outbox().parked().await?.len(),
        por_hora_svg: charts::columns("Pedidos de hoy por hora", &por_hora, "#1b7f3b"),
        hay_ventas: !vendidos.is_empty(),
        mas_vendidos_svg: charts::horizontal_bars("Más vendidos", &vendidos, "#1f5f99"),
        stock_bajo: state.store.stock_bajo(LOW_STOCK, 20).await?,
        low_stock: LOW_STOCK,
        best_seller_days: BEST_SELLER_DAYS,
    };
    Ok(page.into_response())
}
