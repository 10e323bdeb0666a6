//! The catalogue: stores (negocios), branches (sucursales), categories,
//! products and offers, the search folding and listing pages. Seeded into
//! the database at first start from `catalogo.json` (the old system's
//! catalogue, ids and keys unchanged), then read from the database, where
//! stock lives.

use std::collections::BTreeMap;

use belgrano_contract::Centavos;
use serde::Deserialize;

/// The seed file, compiled into the binary.
pub const SEED_JSON: &str = include_str!("../../catalogo.json");

/// Products per page in listings.
pub const PAGE_SIZE: i64 = 24;

#[derive(Debug, Clone)]
pub struct Negocio {
    pub id: String,
    pub num_id: i64,
    pub nombre: String,
    pub descripcion: String,
    pub color: String,
}

#[derive(Debug, Clone)]
pub struct Sucursal {
    pub id: String,
    pub num_id: i64,
    pub negocio_id: String,
    pub nombre: String,
    pub direccion: String,
    pub telefono: String,
    pub horarios: String,
}

#[derive(Debug, Clone)]
pub struct Categoria {
    pub id: String,
    pub num_id: i64,
    pub nombre: String,
    pub descripcion: String,
    pub icono: String,
}

#[derive(Debug, Clone)]
pub struct Producto {
    pub id: i64,
    pub nombre: String,
    pub precio: Centavos,
    pub precio_original: Option<Centavos>,
    pub negocio_id: String,
    pub categoria_id: String,
    pub stock: i64,
    pub destacado: bool,
    pub activo: bool,
    pub sucursales: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Oferta {
    pub id: String,
    pub negocio_id: String,
    pub titulo: String,
    pub descripcion: String,
    pub descuento: i64,
    pub fecha_inicio: String,
    pub fecha_fin: String,
    pub productos: Vec<i64>,
}

/// Placeholder colours, picked by category so a category looks the same
/// everywhere (no product images ship).
const PALETTE: [&str; 8] = ["#2e7d32", "#1565c0", "#c62828", "#6a1b9a", "#ef6c00", "#00838f", "#ad1457", "#4e342e"];

impl Producto {
    pub fn precio_ars(&self) -> String {
        self.precio.format_ars()
    }

    /// The old price, only when it is really higher.
    pub fn precio_original_ars(&self) -> Option<String> {
        self.precio_original.filter(|o| *o > self.precio).map(Centavos::format_ars)
    }

    /// Whole-percent discount against `precio_original`.
    pub fn descuento(&self) -> Option<i64> {
        let original = self.precio_original.filter(|o| *o > self.precio)?;
        Some(((original.0 - self.precio.0) * 100 + original.0 / 2) / original.0)
    }

    pub fn disponible(&self) -> bool {
        self.activo && self.stock > 0
    }

    /// Up to two initials for the placeholder image.
    pub fn iniciales(&self) -> String {
        self.nombre
            .split_whitespace()
            .filter(|w| w.chars().next().is_some_and(char::is_alphabetic))
            .take(2)
            .filter_map(|w| w.chars().next())
            .flat_map(char::to_uppercase)
            .collect()
    }

    pub fn color(&self) -> &'static str {
        let h = self.categoria_id.bytes().fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize));
        PALETTE[h % PALETTE.len()]
    }
}

/// Lower case without accents, so "azucar" finds "Azúcar 1kg".
pub fn fold(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'ä' | 'â' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            other => other,
        })
        .collect()
}

/// A listing request: filters plus a 1-based page.
#[derive(Debug, Clone, Default)]
pub struct ProductoQuery {
    pub negocio: Option<String>,
    pub categoria: Option<String>,
    pub busqueda: Option<String>,
    pub destacados: bool,
    pub page: i64,
}

impl ProductoQuery {
    pub fn offset(&self) -> i64 {
        (self.page.max(1) - 1) * PAGE_SIZE
    }

    /// `LIKE` pattern over the folded name; `%` and `_` typed by a user match
    /// themselves.
    pub fn like_pattern(&self) -> Option<String> {
        let folded = fold(self.busqueda.as_deref()?.trim());
        if folded.is_empty() {
            return None;
        }
        let escaped: String = folded
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        Some(format!("%{escaped}%"))
    }
}

/// One page of products and the total that matched.
#[derive(Debug, Clone)]
pub struct ProductoPage {
    pub productos: Vec<Producto>,
    pub total: i64,
    pub page: i64,
}

impl ProductoPage {
    pub fn pages(&self) -> i64 {
        ((self.total + PAGE_SIZE - 1) / PAGE_SIZE).max(1)
    }
}

/// The parsed seed file.
#[derive(Debug, Clone)]
pub struct Seed {
    pub negocios: Vec<Negocio>,
    pub sucursales: Vec<Sucursal>,
    pub categorias: Vec<Categoria>,
    pub productos: Vec<Producto>,
    pub ofertas: Vec<Oferta>,
}

#[derive(Deserialize)]
struct RawSeed {
    negocios: BTreeMap<String, RawNegocio>,
    sucursales: BTreeMap<String, BTreeMap<String, RawSucursal>>,
    categorias: BTreeMap<String, RawCategoria>,
    ofertas: BTreeMap<String, Vec<RawOferta>>,
    productos: Vec<RawProducto>,
}
#[derive(Deserialize)]
struct RawNegocio {
    id: i64,
    nombre: String,
    descripcion: String,
    color: String,
}
#[derive(Deserialize)]
struct RawSucursal {
    id: i64,
    nombre: String,
    direccion: String,
    telefono: String,
    horarios: String,
}
#[derive(Deserialize)]
struct RawCategoria {
    id: i64,
    nombre: String,
    descripcion: String,
    icono: String,
}
#[derive(Deserialize)]
struct RawOferta {
    id: String,
    titulo: String,
    descripcion: String,
    descuento: i64,
    fecha_inicio: String,
    fecha_fin: String,
    productos: Vec<i64>,
}
#[derive(Deserialize)]
struct RawProducto {
    id: i64,
    nombre: String,
    precio: f64,
    precio_original: Option<f64>,
    negocio: String,
    categoria: String,
    stock: i64,
    destacado: bool,
    activo: bool,
    #[serde(default)]
    sucursales: Vec<String>,
}

impl Seed {
    pub fn parse(json: &str) -> anyhow::Result<Self> {
        let raw: RawSeed = serde_json::from_str(json)?;
        let pesos = |p: f64| Centavos::from_pesos(p).ok_or_else(|| anyhow::anyhow!("precio inválido {p}"));
        let mut productos = Vec::with_capacity(raw.productos.len());
        for p in raw.productos {
            productos.push(Producto {
                id: p.id,
                nombre: p.nombre,
                precio: pesos(p.precio)?,
                precio_original: p.precio_original.map(pesos).transpose()?,
                negocio_id: p.negocio,
                categoria_id: p.categoria,
                stock: p.stock.max(0),
                destacado: p.destacado,
                activo: p.activo,
                sucursales: p.sucursales,
            });
        }
        let mut negocios: Vec<Negocio> = raw
            .negocios
            .into_iter()
            .map(|(id, n)| Negocio { id, num_id: n.id, nombre: n.nombre, descripcion: n.descripcion, color: n.color })
            .collect();
        negocios.sort_by_key(|n| n.num_id);
        let mut categorias: Vec<Categoria> = raw
            .categorias
            .into_iter()
            .map(|(id, c)| Categoria { id, num_id: c.id, nombre: c.nombre, descripcion: c.descripcion, icono: c.icono })
            .collect();
        categorias.sort_by_key(|c| c.num_id);
        let mut sucursales = Vec::new();
        for (negocio_id, branches) in raw.sucursales {
            for (id, s) in branches {
                sucursales.push(Sucursal {
                    id,
                    num_id: s.id,
                    negocio_id: negocio_id.clone(),
                    nombre: s.nombre,
                    direccion: s.direccion,
                    telefono: s.telefono,
                    horarios: s.horarios,
                });
            }
        }
        sucursales.sort_by_key(|s| s.num_id);
        let mut ofertas = Vec::new();
        for (negocio_id, list) in raw.ofertas {
            for o in list {
                ofertas.push(Oferta {
                    id: o.id,
                    negocio_id: negocio_id.clone(),
                    titulo: o.titulo,
                    descripcion: o.descripcion,
                    descuento: o.descuento,
                    fecha_inicio: o.fecha_inicio,
                    fecha_fin: o.fecha_fin,
                    productos: o.productos,
                });
            }
        }
        ofertas.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Self { negocios, sucursales, categorias, productos, ofertas })
    }

    pub fn bundled() -> Self {
        Self::parse(SEED_JSON).expect("the bundled catalogue parses")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_catalogue_keeps_the_old_data() {
        let seed = Seed::bundled();
        assert_eq!(seed.productos.len(), 137);
        assert_eq!(seed.negocios.len(), 3);
        assert_eq!(seed.sucursales.len(), 6);
        assert_eq!(seed.categorias.len(), 25);
        let arroz = seed.productos.iter().find(|p| p.id == 1).unwrap();
        assert_eq!(arroz.nombre, "Arroz 1kg");
        assert_eq!(arroz.precio_ars(), "$ 950");
        assert_eq!(arroz.descuento(), Some(21));
    }

    #[test]
    fn folds_case_and_accents() {
        assert_eq!(fold("Azúcar 1KG"), "azucar 1kg");
        assert_eq!(fold("Ñandú"), "nandu");
        let q = ProductoQuery { busqueda: Some(" AZUCAR_% ".into()), ..Default::default() };
        assert_eq!(q.like_pattern().unwrap(), "%azucar\\_\\%%");
    }
}
