//! Page templates (askama, checked at compile time) and what they show.

use askama::Template;
use askama_web::WebTemplate;
use belgrano_shared::Centavos;

use super::AppState;
use super::extract::Visitor;
use crate::accounts::Usuario;
use crate::cart::PricedCart;
use crate::catalog::{Categoria, Negocio, Oferta, ProductPage, Producto, Sucursal};
use crate::error::ApiError;
use crate::store::{Pedido, PedidoItem};

/// What the layout needs on every page.
pub struct Layout {
    pub title: String,
    pub usuario: Option<String>,
    pub unidades: i64,
    pub csrf: String,
    pub busqueda: String,
    pub aviso: String,
}

impl Layout {
    pub async fn new(state: &AppState, visitor: &Visitor, title: impl Into<String>) -> Result<Self, ApiError> {
        let cart = state.store.cart(&visitor.cart_owner().key()).await?;
        Ok(Self {
            title: title.into(),
            usuario: visitor.usuario.as_ref().map(|u| u.nombre.clone()),
            unidades: cart.unidades(),
            csrf: visitor.csrf(state),
            busqueda: String::new(),
            aviso: String::new(),
        })
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct Home {
    pub l: Layout,
    pub destacados: Vec<Producto>,
    pub negocios: Vec<Negocio>,
    pub categorias: Vec<Categoria>,
    pub ofertas: Vec<Oferta>,
}

#[derive(Template, WebTemplate)]
#[template(path = "listado.html")]
pub struct Listado {
    pub l: Layout,
    pub titulo: String,
    pub descripcion: String,
    pub sucursales: Vec<Sucursal>,
    pub pagina: ProductPage,
    /// Path and query up to where `pagina=N` is appended.
    pub base_url: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "producto.html")]
pub struct ProductoPage {
    pub l: Layout,
    pub p: Producto,
    pub negocio: String,
    pub categoria: String,
    pub en_carrito: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "carrito.html")]
pub struct Carrito {
    pub l: Layout,
    pub carrito: PricedCart,
    pub error: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct Login {
    pub l: Layout,
    pub email: String,
    pub next: String,
    pub error: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "register.html")]
pub struct Register {
    pub l: Layout,
    pub f: super::account::RegisterForm,
    pub error: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "logout.html")]
pub struct Logout {
    pub l: Layout,
}

#[derive(Template, WebTemplate)]
#[template(path = "perfil.html")]
pub struct Perfil {
    pub l: Layout,
    pub u: Usuario,
    pub pedidos: i64,
    pub gastado: String,
    pub mensaje: String,
    pub error: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "checkout.html")]
pub struct CheckoutPage {
    pub l: Layout,
    pub f: super::checkout::CheckoutForm,
    pub carrito: PricedCart,
    pub metodos: Vec<(&'static str, &'static str)>,
    pub error: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pedido.html")]
pub struct PedidoPage {
    pub l: Layout,
    pub p: Pedido,
}

#[derive(Template, WebTemplate)]
#[template(path = "seguimiento.html")]
pub struct SeguimientoPage {
    pub l: Layout,
    pub p: Pedido,
    pub s: crate::tracking::EstadoPedido,
    pub pasos: Vec<crate::tracking::Paso>,
    /// The page's event stream.
    pub eventos: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "mis_pedidos.html")]
pub struct MisPedidos {
    pub l: Layout,
    pub pedidos: Vec<Pedido>,
}

/// The payment methods as offered in the form.
pub const METODOS: [(&str, &str); 4] = [
    ("efectivo", "Efectivo"),
    ("tarjeta", "Tarjeta"),
    ("transferencia", "Transferencia"),
    ("mercadopago", "Mercado Pago"),
];

impl Pedido {
    pub fn total_ars(&self) -> String {
        Centavos(self.total).format_ars()
    }

    /// The order date in Buenos Aires time (UTC−3, no daylight saving).
    pub fn fecha_local(&self) -> String {
        let offset = chrono::FixedOffset::west_opt(3 * 3600).expect("valid offset");
        self.fecha.0.with_timezone(&offset).format("%d/%m/%Y %H:%M").to_string()
    }

    pub fn estado_label(&self) -> String {
        let estado = self.ticket_estado.as_deref().unwrap_or("pendiente");
        estado.parse::<belgrano_shared::Estado>().map(|e| e.label().to_owned()).unwrap_or_else(|_| estado.to_owned())
    }

    pub fn envio_fallido(&self) -> bool {
        self.envio.as_deref() == Some("fallido")
    }
}

impl PedidoItem {
    pub fn subtotal_ars(&self) -> String {
        Centavos(self.subtotal).format_ars()
    }
}
