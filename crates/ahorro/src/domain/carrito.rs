//! The cart (carrito): product ids and quantities only. Prices are never
//! stored in a cart nor taken from a client; every view and the checkout
//! reprice from the catalogue ([`PricedCarrito`]). A guest's cart belongs to
//! their visitor token; at login it is merged into the account's cart.

use belgrano_contract::Centavos;
use serde::{Deserialize, Serialize};

use super::catalogo::Producto;

/// Most units of one product in one cart (stock is the usual limit).
pub const MAX_CANTIDAD: i64 = 999;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarritoItem {
    pub producto_id: i64,
    pub cantidad: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Carrito {
    pub items: Vec<CarritoItem>,
}

/// Who a cart belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CarritoOwner {
    /// A guest, by the hash of their visitor token (`s:<hash>`).
    Guest(String),
    Account(i64),
}

impl CarritoOwner {
    pub fn key(&self) -> String {
        match self {
            CarritoOwner::Guest(hash) => format!("s:{hash}"),
            CarritoOwner::Account(id) => format!("u:{id}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CarritoError {
    #[error("el producto no existe")]
    UnknownProduct,
    #[error("el producto no tiene stock")]
    OutOfStock,
    #[error("la cantidad tiene que ser un número entero positivo")]
    BadQuantity,
}

impl Carrito {
    pub fn cantidad_de(&self, producto_id: i64) -> i64 {
        self.items.iter().find(|i| i.producto_id == producto_id).map_or(0, |i| i.cantidad)
    }

    /// Units in the cart, for the header badge.
    pub fn unidades(&self) -> i64 {
        self.items.iter().map(|i| i.cantidad).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Adds `cantidad` units, clamped to the stock. Returns the new quantity.
    pub fn add(&mut self, producto: &Producto, cantidad: i64) -> Result<i64, CarritoError> {
        if cantidad < 1 {
            return Err(CarritoError::BadQuantity);
        }
        let current = self.cantidad_de(producto.id);
        self.set(producto, current.saturating_add(cantidad))
    }

    /// Sets the quantity (0 removes), clamped to the stock.
    pub fn set(&mut self, producto: &Producto, cantidad: i64) -> Result<i64, CarritoError> {
        if cantidad < 0 {
            return Err(CarritoError::BadQuantity);
        }
        if cantidad == 0 {
            self.remove(producto.id);
            return Ok(0);
        }
        if !producto.disponible() {
            return Err(CarritoError::OutOfStock);
        }
        let cantidad = cantidad.min(producto.stock).min(MAX_CANTIDAD);
        match self.items.iter_mut().find(|i| i.producto_id == producto.id) {
            Some(item) => item.cantidad = cantidad,
            None => self.items.push(CarritoItem { producto_id: producto.id, cantidad }),
        }
        Ok(cantidad)
    }

    pub fn remove(&mut self, producto_id: i64) {
        self.items.retain(|i| i.producto_id != producto_id);
    }

    /// Adds another cart's lines (a guest cart at login); quantities of the
    /// same product add up and are clamped again when repriced.
    pub fn merge(&mut self, other: &Carrito) {
        for item in &other.items {
            match self.items.iter_mut().find(|i| i.producto_id == item.producto_id) {
                Some(mine) => mine.cantidad = (mine.cantidad + item.cantidad).min(MAX_CANTIDAD),
                None => self.items.push(*item),
            }
        }
    }
}

/// A cart line priced from the catalogue.
#[derive(Debug, Clone)]
pub struct PricedLine {
    pub producto: Producto,
    pub cantidad: i64,
}

impl PricedLine {
    pub fn subtotal(&self) -> Centavos {
        self.producto.precio * self.cantidad
    }
    pub fn subtotal_ars(&self) -> String {
        self.subtotal().format_ars()
    }
    /// What the line saves against the product's old price (on offer), or 0.
    pub fn ahorro(&self) -> Centavos {
        match self.producto.precio_original {
            Some(original) if original > self.producto.precio => {
                Centavos(original.0 - self.producto.precio.0) * self.cantidad
            }
            _ => Centavos(0),
        }
    }
}

/// A cart as shown: lines with current prices, quantities clamped to the
/// current stock, vanished products dropped.
#[derive(Debug, Clone, Default)]
pub struct PricedCarrito {
    pub lines: Vec<PricedLine>,
}

impl PricedCarrito {
    pub fn price(cart: &Carrito, productos: &[Producto]) -> Self {
        let lines = cart
            .items
            .iter()
            .filter_map(|item| {
                let producto = productos.iter().find(|p| p.id == item.producto_id)?;
                let cantidad = item.cantidad.min(producto.stock);
                (producto.activo && cantidad > 0).then(|| PricedLine { producto: producto.clone(), cantidad })
            })
            .collect();
        Self { lines }
    }

    pub fn total(&self) -> Centavos {
        self.lines.iter().map(PricedLine::subtotal).sum()
    }
    pub fn total_ars(&self) -> String {
        self.total().format_ars()
    }
    /// "Ahorrás $ X": the offers' savings over the whole cart.
    pub fn ahorro(&self) -> Centavos {
        self.lines.iter().map(PricedLine::ahorro).sum()
    }
    pub fn unidades(&self) -> i64 {
        self.lines.iter().map(|l| l.cantidad).sum()
    }
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn producto(id: i64, stock: i64) -> Producto {
        Producto {
            id,
            nombre: format!("P{id}"),
            descripcion: String::new(),
            precio: Centavos(10_000),
            precio_original: None,
            negocio_id: "n".into(),
            categoria_id: "c".into(),
            stock,
            destacado: false,
            activo: true,
            sucursales: vec![],
            foto: None,
            unidad: crate::domain::catalogo::Unidad::Unidad,
            precio_por_medida: None,
        }
    }

    #[test]
    fn never_above_stock() {
        let p = producto(1, 3);
        let mut cart = Carrito::default();
        assert_eq!(cart.add(&p, 2).unwrap(), 2);
        assert_eq!(cart.add(&p, 5).unwrap(), 3);
        assert_eq!(cart.set(&p, 0).unwrap(), 0);
        assert!(cart.is_empty());
        assert_eq!(cart.add(&p, 0), Err(CarritoError::BadQuantity));
        assert_eq!(cart.add(&producto(2, 0), 1), Err(CarritoError::OutOfStock));
    }

    #[test]
    fn merges_and_reprices() {
        let mut mine = Carrito::default();
        mine.add(&producto(1, 10), 2).unwrap();
        let mut guest = Carrito::default();
        guest.add(&producto(1, 10), 3).unwrap();
        guest.add(&producto(2, 10), 1).unwrap();
        mine.merge(&guest);
        assert_eq!(mine.cantidad_de(1), 5);
        let priced = PricedCarrito::price(&mine, &[producto(1, 4), producto(2, 10)]);
        assert_eq!(priced.unidades(), 5);
        assert_eq!(priced.total(), Centavos(50_000));
        assert_eq!(priced.ahorro(), Centavos(0), "no offers");
    }

    #[test]
    fn savings_count_only_real_offers() {
        let mut oferta = producto(1, 10);
        oferta.precio_original = Some(Centavos(12_000));
        let mut subida = producto(2, 10);
        subida.precio_original = Some(Centavos(9_000));
        let mut cart = Carrito::default();
        cart.add(&oferta, 3).unwrap();
        cart.add(&subida, 1).unwrap();
        let priced = PricedCarrito::price(&cart, &[oferta, subida]);
        assert_eq!(priced.ahorro(), Centavos(6_000), "3 × $ 20, an old price below today's saves nothing");
    }
}
