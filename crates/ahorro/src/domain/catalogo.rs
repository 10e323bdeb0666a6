//! The catalogue: stores (negocios), branches (sucursales), categories,
//! products and offers, the search folding and listing pages. Seeded into
//! the database at first start from `catalogo.json` (the old system's
//! catalogue, ids and keys unchanged), then read from the database, where
//! stock lives.

use std::collections::BTreeMap;

use belgrano_contract::{Centavos, FieldError};
use serde::Deserialize;

use super::busqueda::{Busqueda, Coincidencia};
use super::imagen::{self, Foto};

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
    pub descripcion: String,
    pub precio: Centavos,
    pub precio_original: Option<Centavos>,
    pub negocio_id: String,
    pub categoria_id: String,
    pub stock: i64,
    pub destacado: bool,
    pub activo: bool,
    pub sucursales: Vec<String>,
    /// The photo staff uploaded, if any (else an illustration: `domain::imagen`).
    pub foto: Option<Foto>,
    /// What one unit in the cart is.
    pub unidad: Unidad,
    /// For products sold by the unit: the reference price per kg or litre.
    pub precio_por_medida: Option<(Centavos, Unidad)>,
}

#[derive(Debug, Clone)]
pub struct Oferta {
    pub id: String,
    pub negocio_id: String,
    pub titulo: String,
    pub descripcion: String,
    pub descuento: i64,
    /// Shown instead of the percentage when not empty ("2x1").
    pub descuento_texto: String,
    pub fecha_inicio: String,
    pub fecha_fin: String,
    pub productos: Vec<i64>,
}

impl Oferta {
    /// "-20%" or the offer's own words ("2x1").
    pub fn descuento_label(&self) -> String {
        if self.descuento_texto.is_empty() { format!("-{}%", self.descuento) } else { self.descuento_texto.clone() }
    }
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

    /// The card's picture: the photo's small version, else the product's
    /// illustration.
    pub fn imagen_tarjeta_url(&self) -> String {
        self.foto.as_ref().map_or_else(|| imagen::ilustracion_url(self.ilustracion()), Foto::tarjeta_url)
    }

    /// The product page's picture: the photo's large version, else the
    /// illustration.
    pub fn imagen_pagina_url(&self) -> String {
        self.foto.as_ref().map_or_else(|| imagen::ilustracion_url(self.ilustracion()), Foto::pagina_url)
    }

    /// `imagen_url` in JSON: the uploaded photo (page size), none without one.
    pub fn imagen_url(&self) -> Option<String> {
        self.foto.as_ref().map(Foto::pagina_url)
    }

    /// The vendored illustration for this product's name or category.
    pub fn ilustracion(&self) -> &'static str {
        imagen::ilustracion(&fold(&self.nombre), &self.categoria_id)
    }

    pub fn disponible(&self) -> bool {
        self.activo && self.stock > 0
    }

    /// "$ 1.800 / kg" for products sold by weight or volume, the plain
    /// price otherwise.
    pub fn precio_unidad_ars(&self) -> String {
        match self.unidad {
            Unidad::Unidad => self.precio_ars(),
            other => format!("{} / {}", self.precio_ars(), other.as_str()),
        }
    }

    /// The price per kg or litre: the one staff set, else, for products
    /// sold by the unit, the price over the size their name states
    /// ("Aceite 900ml" at $ 1.800: $ 2.000 el litro).
    pub fn precio_de_referencia(&self) -> Option<(Centavos, Unidad)> {
        if self.precio_por_medida.is_some() || self.unidad != Unidad::Unidad {
            return self.precio_por_medida;
        }
        let (base, medida) = medida_del_nombre(&self.nombre)?;
        let precio = (i128::from(self.precio.0) * 1000 + i128::from(base) / 2) / i128::from(base);
        Some((Centavos(i64::try_from(precio).ok()?), medida))
    }

    /// "$ 2.000 el litro", when it has one.
    pub fn precio_por_medida_ars(&self) -> Option<String> {
        self.precio_de_referencia().map(|(precio, medida)| format!("{} el {}", precio.format_ars(), medida.nombre()))
    }

    /// The price with "/ kg" for what is sold by weight or volume.
    pub fn precio_con_unidad(&self) -> String {
        match self.unidad {
            Unidad::Unidad => self.precio_ars(),
            other => format!("{} / {}", self.precio_ars(), other.as_str()),
        }
    }

    /// "45 disponibles", "Últimas 3 unidades" or "Sin stock", for the product page.
    pub fn estado_stock(&self) -> String {
        match self.stock {
            _ if !self.disponible() => "Sin stock".to_owned(),
            1 => "Última unidad".to_owned(),
            n if n <= STOCK_BAJO => format!("Últimas {n} unidades"),
            n => format!("{n} disponibles"),
        }
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

/// `LIKE` pattern over the folded name (the admin's search); `%` and `_`
/// typed by a user match themselves.
pub fn like_pattern(busqueda: &str) -> Option<String> {
    let folded = fold(busqueda.trim());
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

/// How a listing is ordered (`?orden=`); anything unknown is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Orden {
    /// Searches: the best matches first; other lists: the catalogue's order.
    #[default]
    Relevancia,
    Precio,
    PrecioDesc,
    Descuento,
    Nombre,
}

impl Orden {
    pub const ALL: [Orden; 5] = [Orden::Relevancia, Orden::Precio, Orden::PrecioDesc, Orden::Descuento, Orden::Nombre];

    pub fn parse(raw: &str) -> Self {
        Self::ALL.into_iter().find(|o| o.as_str() == raw.trim()).unwrap_or_default()
    }

    /// The `orden` value ("" for the default, which links leave out).
    pub const fn as_str(self) -> &'static str {
        match self {
            Orden::Relevancia => "",
            Orden::Precio => "precio",
            Orden::PrecioDesc => "precio_desc",
            Orden::Descuento => "descuento",
            Orden::Nombre => "nombre",
        }
    }

    pub const fn etiqueta(self) -> &'static str {
        match self {
            Orden::Relevancia => "Relevancia",
            Orden::Precio => "Menor precio",
            Orden::PrecioDesc => "Mayor precio",
            Orden::Descuento => "Mayor descuento",
            Orden::Nombre => "Nombre (A a Z)",
        }
    }
}

/// A listing request: filters, order and a 1-based page.
#[derive(Debug, Clone, Default)]
pub struct ProductoQuery {
    pub negocio: Option<String>,
    pub categoria: Option<String>,
    pub busqueda: Option<String>,
    pub destacados: bool,
    pub orden: Orden,
    pub page: i64,
}

/// One page of products, the total that matched, and for the store
/// filter how many of them each store has.
#[derive(Debug, Clone)]
pub struct ProductoPage {
    pub productos: Vec<Producto>,
    pub total: i64,
    pub page: i64,
    /// (negocio id, products) among the matches before the store filter,
    /// stores without any left out.
    pub por_negocio: Vec<(String, i64)>,
    /// A search that found nothing: what it may have meant ("azúcar").
    pub sugerencia: Option<String>,
}

impl ProductoPage {
    pub fn pages(&self) -> i64 {
        ((self.total + PAGE_SIZE - 1) / PAGE_SIZE).max(1)
    }

    /// The products before the store filter (the "Todos" chip).
    pub fn total_sin_filtro(&self) -> i64 {
        self.por_negocio.iter().map(|(_, n)| n).sum()
    }

    pub fn cantidad_de(&self, negocio_id: &str) -> i64 {
        self.por_negocio.iter().find(|(id, _)| id == negocio_id).map_or(0, |(_, n)| *n)
    }
}

/// What a page number past the last one gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MasAlla {
    /// The last page (a shop page: an old link still shows products).
    UltimaPagina,
    /// No products (an API client pages until an empty page).
    Nada,
}

/// A listing page out of `productos` (by id; only the active ones are
/// listed): the query's filters, the search (every word, tolerating typos),
/// its order and page. Pure, so every backend lists alike.
pub fn listar(productos: &[Producto], q: &ProductoQuery, por_pagina: i64, mas_alla: MasAlla) -> ProductoPage {
    // A search of nothing searchable ("%", "🍎") finds nothing.
    let busqueda = q.busqueda.as_deref().map(Busqueda::new);
    let en_alcance = |p: &Producto| {
        p.activo && (!q.destacados || p.destacado) && q.categoria.as_ref().is_none_or(|c| *c == p.categoria_id)
    };
    let mut encontrados: Vec<(Option<Coincidencia>, Producto)> = productos
        .iter()
        .filter(|p| en_alcance(p))
        .filter_map(|p| match &busqueda {
            None => Some((None, p.clone())),
            Some(None) => None,
            Some(Some(b)) => b.coincide(&p.nombre).map(|c| (Some(c), p.clone())),
        })
        .collect();
    let sugerencia = match &busqueda {
        Some(Some(b)) if encontrados.is_empty() => {
            b.sugerencia(productos.iter().filter(|p| en_alcance(p)).map(|p| p.nombre.as_str()))
        }
        _ => None,
    };
    let mut por_negocio: Vec<(String, i64)> = Vec::new();
    for (_, p) in &encontrados {
        match por_negocio.iter_mut().find(|(id, _)| *id == p.negocio_id) {
            Some((_, n)) => *n += 1,
            None => por_negocio.push((p.negocio_id.clone(), 1)),
        }
    }
    if let Some(negocio) = &q.negocio {
        encontrados.retain(|(_, p)| p.negocio_id == *negocio);
    }
    match q.orden {
        Orden::Relevancia => encontrados.sort_by_key(|(c, p)| (*c, p.id)),
        Orden::Precio => encontrados.sort_by_key(|(_, p)| (p.precio, p.id)),
        Orden::PrecioDesc => encontrados.sort_by_key(|(_, p)| (std::cmp::Reverse(p.precio), p.id)),
        Orden::Descuento => {
            encontrados.sort_by_key(|(_, p)| (std::cmp::Reverse(p.descuento().unwrap_or(0)), p.precio, p.id));
        }
        Orden::Nombre => encontrados.sort_by_cached_key(|(_, p)| (fold(&p.nombre), p.id)),
    }
    let total = encontrados.len() as i64;
    let pages = ((total + por_pagina - 1) / por_pagina).max(1);
    let page = match mas_alla {
        MasAlla::UltimaPagina => q.page.clamp(1, pages),
        MasAlla::Nada => q.page.max(1),
    };
    let productos = encontrados
        .into_iter()
        .skip(((page - 1) * por_pagina) as usize)
        .take(por_pagina as usize)
        .map(|(_, p)| p)
        .collect();
    ProductoPage { productos, total, page, por_negocio, sugerencia }
}

/// Up to `n` products to show beside `p`: in stock first, then its
/// category's (those sharing its first word, "Aceite…", before the rest),
/// then its store's.
pub fn relacionados(p: &Producto, candidatos: &[Producto], n: usize) -> Vec<Producto> {
    let primera = |nombre: &str| fold(nombre).split_whitespace().next().unwrap_or_default().to_owned();
    let suya = primera(&p.nombre);
    let mut out: Vec<&Producto> = candidatos
        .iter()
        .filter(|c| c.id != p.id && c.activo && (c.categoria_id == p.categoria_id || c.negocio_id == p.negocio_id))
        .collect();
    out.sort_by_cached_key(|c| {
        (
            !c.disponible(),
            c.categoria_id != p.categoria_id,
            primera(&c.nombre) != suya,
            c.negocio_id != p.negocio_id,
            c.id,
        )
    });
    out.into_iter().take(n).cloned().collect()
}

/// The size a product's name states, in grams or millilitres: "Arroz 1kg"
/// (1000 g), "Aceite de Girasol 1,5L" (1500 ml), "Leche Larga Vida 1L x12"
/// (12 000 ml). None when it states none ("Huevos x12", "Pan de Centeno").
pub fn medida_del_nombre(nombre: &str) -> Option<(i64, Unidad)> {
    let folded = fold(nombre);
    let words: Vec<&str> = folded.split_whitespace().collect();
    let mut medida = None;
    let mut veces = 1;
    for (i, w) in words.iter().enumerate() {
        if let Some(n) = w.strip_prefix('x').and_then(|n| n.parse::<i64>().ok()) {
            veces = n.clamp(1, 1000);
            continue;
        }
        if medida.is_some() {
            continue;
        }
        let split = w.find(|c: char| !(c.is_ascii_digit() || c == ',' || c == '.')).unwrap_or(w.len());
        let (numero, unidad) = w.split_at(split);
        let unidad = if unidad.is_empty() { words.get(i + 1).copied().unwrap_or("") } else { unidad };
        let (factor, medida_de) = match unidad {
            "kg" | "kilo" | "kilos" => (1000.0, Unidad::Kg),
            "g" | "gr" | "grs" | "gramos" => (1.0, Unidad::Kg),
            "l" | "lt" | "lts" | "litro" | "litros" => (1000.0, Unidad::L),
            "ml" | "cc" => (1.0, Unidad::L),
            _ => continue,
        };
        let Ok(cantidad) = numero.replace(',', ".").parse::<f64>() else { continue };
        let base = (cantidad * factor).round() as i64;
        if base > 0 {
            medida = Some((base, medida_de));
        }
    }
    medida.map(|(base, m)| (base * veces, m))
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
    #[serde(default)]
    descripcion: String,
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
                descripcion: p.descripcion,
                precio: pesos(p.precio)?,
                precio_original: p.precio_original.map(pesos).transpose()?,
                negocio_id: p.negocio,
                categoria_id: p.categoria,
                stock: p.stock.max(0),
                destacado: p.destacado,
                activo: p.activo,
                sucursales: p.sucursales,
                foto: None,
                unidad: Unidad::Unidad,
                precio_por_medida: None,
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
                    descuento_texto: String::new(),
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

// ---------------------------------------------------------------------------
// The back office: what staff type, validated once into the types below
// (pages, the JSON API and the CSV import share these parsers, so they
// refuse the same things with the same field names).

/// How a product is sold: one cart unit is a unit, a kilo or a litre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unidad {
    #[default]
    Unidad,
    Kg,
    L,
}

impl Unidad {
    pub const ALL: [Unidad; 3] = [Unidad::Unidad, Unidad::Kg, Unidad::L];

    pub const fn as_str(self) -> &'static str {
        match self {
            Unidad::Unidad => "unidad",
            Unidad::Kg => "kg",
            Unidad::L => "l",
        }
    }

    /// "kg", "litro", "unidad" (after "por").
    pub const fn nombre(self) -> &'static str {
        match self {
            Unidad::Unidad => "unidad",
            Unidad::Kg => "kg",
            Unidad::L => "litro",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        match fold(raw.trim()).as_str() {
            "" | "unidad" | "u" | "un" => Ok(Unidad::Unidad),
            "kg" | "kilo" => Ok(Unidad::Kg),
            "l" | "litro" | "lt" => Ok(Unidad::L),
            _ => Err(FieldError::new(field, "debe ser unidad, kg o l")),
        }
    }

    /// A stored value; anything unknown reads as a unit.
    pub fn stored(raw: &str) -> Self {
        Unidad::parse("unidad", raw).unwrap_or_default()
    }
}

/// The largest stock a product can have.
pub const MAX_STOCK: i64 = 1_000_000;
/// Below this a product is on the low-stock list unless told otherwise.
pub const STOCK_BAJO: i64 = 5;

/// An amount typed by a person or a spreadsheet: `1800`, `1800.5`,
/// `1.800,50`, `$ 1.800`. With both separators the last one is the decimal
/// one; a comma alone is decimal; several dots are thousands; one dot is
/// decimal unless three digits follow it (`8.900`). At most two decimals.
pub fn parse_pesos(field: &str, raw: &str) -> Result<Centavos, FieldError> {
    let bad = || FieldError::new(field, "debe ser un importe en pesos, p. ej. 1800 o 1.800,50");
    let text: String = raw.trim().trim_start_matches('$').chars().filter(|c| !c.is_whitespace()).collect();
    let normal = decimal_text(&text).ok_or_else(bad)?;
    let (whole, frac) = normal.split_once('.').unwrap_or((&normal, ""));
    if whole.is_empty() || frac.len() > 2 || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if whole.len() > 10 {
        return Err(FieldError::new(field, "es demasiado grande"));
    }
    let cents = whole.parse::<i64>().map_err(|_| bad())? * 100 + format!("{frac:0<2}").parse::<i64>().unwrap_or(0);
    if cents as f64 / 100.0 > belgrano_contract::money::MAX_PESOS {
        return Err(FieldError::new(field, "es demasiado grande"));
    }
    Ok(Centavos(cents))
}

/// The text with `.` as its only (decimal) separator, or None.
fn decimal_text(text: &str) -> Option<String> {
    let (commas, dots) = (text.matches(',').count(), text.matches('.').count());
    let out = match (commas, dots) {
        (0, 0) => text.to_owned(),
        // "8.900" is eight thousand nine hundred (no price has three decimals).
        (0, 1) if text.split_once('.').is_some_and(|(_, f)| f.len() == 3) => text.replace('.', ""),
        (0, 1) => text.to_owned(),
        (1, 0) => text.replace(',', "."),
        (0, _) => text.replace('.', ""),
        (1, _) if text.rfind(',') > text.rfind('.') => text.replace('.', "").replace(',', "."),
        (_, 1) if text.rfind('.') > text.rfind(',') => text.replace(',', ""),
        _ => return None,
    };
    Some(out)
}

/// A signed percentage with up to two decimals (`8`, `-12,5`), in
/// hundredths of a percent.
pub fn parse_porcentaje(field: &str, raw: &str) -> Result<i64, FieldError> {
    let bad = || FieldError::new(field, "debe ser un porcentaje, p. ej. 8 o -12,5");
    let text = raw.trim().trim_end_matches('%').trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let normal = decimal_text(digits).ok_or_else(bad)?;
    let (whole, frac) = normal.split_once('.').unwrap_or((&normal, ""));
    if whole.is_empty()
        || whole.len() > 6
        || frac.len() > 2
        || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let hundredths = whole.parse::<i64>().map_err(|_| bad())? * 100 + format!("{frac:0<2}").parse::<i64>().unwrap_or(0);
    Ok(if negative { -hundredths } else { hundredths })
}

pub fn parse_entero(field: &str, raw: &str) -> Result<i64, FieldError> {
    raw.trim().parse::<i64>().map_err(|_| FieldError::new(field, "debe ser un número entero"))
}

/// `si`/`no` as people and spreadsheets write them.
pub fn parse_bool(field: &str, raw: &str) -> Result<bool, FieldError> {
    match fold(raw.trim()).as_str() {
        "si" | "s" | "true" | "1" | "on" | "x" => Ok(true),
        "no" | "n" | "false" | "0" | "off" | "" => Ok(false),
        _ => Err(FieldError::new(field, "debe ser sí o no")),
    }
}

/// A required one-line text of 1 to `max` characters.
pub fn parse_texto(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let text = parse_texto_opcional(field, raw, max)?;
    if text.is_empty() { Err(FieldError::new(field, "es obligatorio")) } else { Ok(text) }
}

/// Text of up to `max` characters (trimmed; may be empty).
pub fn parse_texto_opcional(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let text = raw.trim();
    belgrano_contract::validation::check_text(field, text)?;
    if text.chars().count() > max {
        return Err(FieldError::new(field, format!("admite hasta {max} caracteres")));
    }
    Ok(text.to_owned())
}

/// What exists in the catalogue, for the checks a product's store,
/// category and branches need.
#[derive(Debug, Clone, Default)]
pub struct Referencias {
    pub negocios: Vec<String>,
    pub categorias: Vec<String>,
    /// (sucursal, its negocio)
    pub sucursales: Vec<(String, String)>,
}

/// A product's fields as staff typed them, each as text (a form, a CSV
/// cell, or a JSON value turned into text): `None` keeps what the product
/// has (or the default, for a new one).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ProductoInput {
    #[serde(deserialize_with = "as_text")]
    pub nombre: Option<String>,
    #[serde(deserialize_with = "as_text")]
    pub descripcion: Option<String>,
    #[serde(deserialize_with = "as_text")]
    pub precio: Option<String>,
    #[serde(deserialize_with = "as_text")]
    pub precio_original: Option<String>,
    #[serde(deserialize_with = "as_text")]
    pub stock: Option<String>,
    #[serde(deserialize_with = "as_text")]
    pub unidad: Option<String>,
    #[serde(deserialize_with = "as_text")]
    pub medida: Option<String>,
    #[serde(deserialize_with = "as_text")]
    pub precio_por_medida: Option<String>,
    #[serde(deserialize_with = "as_text")]
    pub negocio: Option<String>,
    #[serde(deserialize_with = "as_text")]
    pub categoria: Option<String>,
    #[serde(deserialize_with = "as_list")]
    pub sucursales: Option<Vec<String>>,
    #[serde(deserialize_with = "as_text")]
    pub destacado: Option<String>,
    #[serde(deserialize_with = "as_text")]
    pub activo: Option<String>,
}

/// A JSON string, number, boolean or null as text (null: empty).
fn as_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    use serde::de::Error;
    Ok(Some(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s,
        serde_json::Value::Bool(b) => if b { "si" } else { "no" }.to_owned(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return Err(D::Error::custom("se esperaba un texto, un número o un booleano")),
    }))
}

/// A JSON list of strings, or one string of ids separated by `|` or `,`.
fn as_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    use serde::de::Error;
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => Ok(Some(Vec::new())),
        serde_json::Value::String(s) => Ok(Some(split_list(&s))),
        serde_json::Value::Array(items) => items
            .into_iter()
            .map(|v| match v {
                serde_json::Value::String(s) => Ok(s),
                _ => Err(D::Error::custom("se esperaba una lista de textos")),
            })
            .collect::<Result<_, _>>()
            .map(Some),
        _ => Err(D::Error::custom("se esperaba una lista de textos")),
    }
}

/// `a|b|c` or `a, b` into its trimmed, non-empty parts.
pub fn split_list(raw: &str) -> Vec<String> {
    raw.split(['|', ',']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// A product as it will be stored: every field valid together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductoDatos {
    pub nombre: String,
    pub descripcion: String,
    pub precio: Centavos,
    pub precio_original: Option<Centavos>,
    pub stock: i64,
    pub unidad: Unidad,
    pub precio_por_medida: Option<(Centavos, Unidad)>,
    pub negocio_id: String,
    pub categoria_id: String,
    pub sucursales: Vec<String>,
    pub destacado: bool,
    pub activo: bool,
}

impl From<&Producto> for ProductoDatos {
    fn from(p: &Producto) -> Self {
        ProductoDatos {
            nombre: p.nombre.clone(),
            descripcion: p.descripcion.clone(),
            precio: p.precio,
            precio_original: p.precio_original,
            stock: p.stock,
            unidad: p.unidad,
            precio_por_medida: p.precio_por_medida,
            negocio_id: p.negocio_id.clone(),
            categoria_id: p.categoria_id.clone(),
            sucursales: p.sucursales.clone(),
            destacado: p.destacado,
            activo: p.activo,
        }
    }
}

impl ProductoInput {
    /// The product these fields make: over `base` (an edit), or a new one
    /// (then nombre, precio, negocio and categoría are required).
    pub fn parse(&self, base: Option<&ProductoDatos>, refs: &Referencias) -> Result<ProductoDatos, FieldError> {
        let required = |field: &str, value: &Option<String>| match value {
            Some(v) if !v.trim().is_empty() => Ok(v.clone()),
            _ => Err(FieldError::new(field, "es obligatorio")),
        };
        let nombre = match (&self.nombre, base) {
            (None, Some(b)) => b.nombre.clone(),
            (value, _) => parse_texto("nombre", &required("nombre", value)?, 120)?,
        };
        let descripcion = match (&self.descripcion, base) {
            (None, Some(b)) => b.descripcion.clone(),
            (value, _) => parse_texto_opcional("descripcion", value.as_deref().unwrap_or(""), 2000)?,
        };
        let precio = match (&self.precio, base) {
            (None, Some(b)) => b.precio,
            (value, _) => parse_pesos("precio", &required("precio", value)?)?,
        };
        if precio.0 <= 0 {
            return Err(FieldError::new("precio", "debe ser mayor que cero"));
        }
        let precio_original = match (&self.precio_original, base) {
            (None, Some(b)) => b.precio_original,
            (None, None) => None,
            (Some(v), _) if v.trim().is_empty() => None,
            (Some(v), _) => Some(parse_pesos("precio_original", v)?),
        };
        if precio_original.is_some_and(|o| o.0 <= 0) {
            return Err(FieldError::new("precio_original", "debe ser mayor que cero"));
        }
        let stock = match (&self.stock, base) {
            (None, Some(b)) => b.stock,
            (None, None) => 0,
            (Some(v), _) if v.trim().is_empty() => 0,
            (Some(v), _) => parse_entero("stock", v)?,
        };
        if !(0..=MAX_STOCK).contains(&stock) {
            return Err(FieldError::new("stock", format!("debe estar entre 0 y {MAX_STOCK}")));
        }
        let unidad = match (&self.unidad, base) {
            (None, Some(b)) => b.unidad,
            (value, _) => Unidad::parse("unidad", value.as_deref().unwrap_or(""))?,
        };
        let base_medida = base.and_then(|b| b.precio_por_medida);
        let medida = match (&self.medida, base_medida) {
            (None, kept) => kept.map(|(_, m)| m),
            (Some(v), _) if v.trim().is_empty() => None,
            (Some(v), _) => match Unidad::parse("medida", v)? {
                Unidad::Unidad => return Err(FieldError::new("medida", "debe ser kg o l")),
                m => Some(m),
            },
        };
        let por_medida = match (&self.precio_por_medida, base_medida) {
            (None, kept) => kept.map(|(p, _)| p),
            (Some(v), _) if v.trim().is_empty() => None,
            (Some(v), _) => Some(parse_pesos("precio_por_medida", v)?),
        };
        let precio_por_medida = match (por_medida, medida) {
            (None, None) => None,
            (Some(_), None) => {
                return Err(FieldError::new("medida", "indicá si el precio de referencia es por kg o por l"));
            }
            (None, Some(_)) => return Err(FieldError::new("precio_por_medida", "falta el precio por kg o por l")),
            (Some(p), Some(_)) if p.0 <= 0 => {
                return Err(FieldError::new("precio_por_medida", "debe ser mayor que cero"));
            }
            (Some(_), Some(_)) if unidad != Unidad::Unidad => {
                return Err(FieldError::new(
                    "precio_por_medida",
                    "sólo para productos que se venden por unidad (el precio ya es por kg o por l)",
                ));
            }
            (Some(p), Some(m)) => Some((p, m)),
        };
        let negocio_id = match (&self.negocio, base) {
            (None, Some(b)) => b.negocio_id.clone(),
            (value, _) => required("negocio", value)?.trim().to_owned(),
        };
        if !refs.negocios.contains(&negocio_id) {
            return Err(FieldError::new("negocio", format!("no existe el negocio «{negocio_id}»")));
        }
        let categoria_id = match (&self.categoria, base) {
            (None, Some(b)) => b.categoria_id.clone(),
            (value, _) => required("categoria", value)?.trim().to_owned(),
        };
        if !refs.categorias.contains(&categoria_id) {
            return Err(FieldError::new("categoria", format!("no existe la categoría «{categoria_id}»")));
        }
        let sucursales = match (&self.sucursales, base) {
            (None, Some(b)) if b.negocio_id == negocio_id => b.sucursales.clone(),
            (None, _) => Vec::new(),
            (Some(list), _) => {
                let mut out: Vec<String> = Vec::new();
                for s in list.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
                    match refs.sucursales.iter().find(|(id, _)| id == s) {
                        None => return Err(FieldError::new("sucursales", format!("no existe la sucursal «{s}»"))),
                        Some((_, n)) if *n != negocio_id => {
                            return Err(FieldError::new("sucursales", format!("la sucursal «{s}» es de otro negocio")));
                        }
                        Some(_) if out.iter().any(|o| o == s) => {}
                        Some(_) => out.push(s.to_owned()),
                    }
                }
                out
            }
        };
        let flag = |field: &str, value: &Option<String>, kept: Option<bool>, default: bool| match (value, kept) {
            (None, Some(k)) => Ok(k),
            (None, None) => Ok(default),
            (Some(v), _) => parse_bool(field, v),
        };
        let destacado = flag("destacado", &self.destacado, base.map(|b| b.destacado), false)?;
        let activo = flag("activo", &self.activo, base.map(|b| b.activo), true)?;
        Ok(ProductoDatos {
            nombre,
            descripcion,
            precio,
            precio_original,
            stock,
            unidad,
            precio_por_medida,
            negocio_id,
            categoria_id,
            sucursales,
            destacado,
            activo,
        })
    }
}

/// The admin's product list: every filter optional, inactive products too.
#[derive(Debug, Clone, Default)]
pub struct AdminProductoQuery {
    pub busqueda: Option<String>,
    pub negocio: Option<String>,
    pub categoria: Option<String>,
    pub activo: Option<bool>,
    pub sin_stock: bool,
    pub destacado: Option<bool>,
    /// Only products with at most this stock (the low-stock list).
    pub stock_max: Option<i64>,
    pub page: i64,
}

impl AdminProductoQuery {
    pub fn like_pattern(&self) -> Option<String> {
        like_pattern(self.busqueda.as_deref()?)
    }

    pub fn offset(&self) -> i64 {
        (self.page.max(1) - 1) * ADMIN_PAGE_SIZE
    }
}

/// Products per page in the admin's list.
pub const ADMIN_PAGE_SIZE: i64 = 50;

/// A change of stock: set it, or add/remove units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockCambio {
    Fijar(i64),
    Ajustar(i64),
}

impl StockCambio {
    /// From `stock` (the new value) or `ajuste` (+/- units): exactly one.
    pub fn parse(stock: Option<&str>, ajuste: Option<&str>) -> Result<Self, FieldError> {
        fn present(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|v| !v.is_empty())
        }
        match (present(stock), present(ajuste)) {
            (Some(s), None) => {
                let n = parse_entero("stock", s)?;
                if !(0..=MAX_STOCK).contains(&n) {
                    return Err(FieldError::new("stock", format!("debe estar entre 0 y {MAX_STOCK}")));
                }
                Ok(StockCambio::Fijar(n))
            }
            (None, Some(a)) => {
                let n = parse_entero("ajuste", a.trim_start_matches('+'))?;
                if n == 0 || n.abs() > MAX_STOCK {
                    return Err(FieldError::new("ajuste", format!("debe ser distinto de 0 y hasta ±{MAX_STOCK}")));
                }
                Ok(StockCambio::Ajustar(n))
            }
            (Some(_), Some(_)) => Err(FieldError::new("stock", "indicá el stock nuevo o el ajuste, no los dos")),
            (None, None) => Err(FieldError::new("stock", "indicá el stock nuevo o el ajuste (+/-)")),
        }
    }

    /// The stock after the change, or why it cannot be.
    pub fn apply(self, stock: i64) -> Result<i64, FieldError> {
        match self {
            StockCambio::Fijar(n) => Ok(n),
            StockCambio::Ajustar(n) => {
                let next = stock + n;
                if next < 0 {
                    Err(FieldError::new("ajuste", format!("el stock quedaría negativo (hay {stock})")))
                } else if next > MAX_STOCK {
                    Err(FieldError::new("ajuste", format!("el stock superaría {MAX_STOCK}")))
                } else {
                    Ok(next)
                }
            }
        }
    }
}

/// A bulk price change: a percentage over a store's products, a
/// category's, or those in both, rounded to a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AjustePrecios {
    /// Hundredths of a percent: 800 is +8 %.
    pub porcentaje: i64,
    pub negocio: Option<String>,
    pub categoria: Option<String>,
    /// Round each new price to a multiple of this (centavos).
    pub redondeo: Option<Centavos>,
}

impl AjustePrecios {
    pub fn parse(
        porcentaje: &str,
        negocio: Option<&str>,
        categoria: Option<&str>,
        redondeo: Option<&str>,
        refs: &Referencias,
    ) -> Result<Self, FieldError> {
        let porcentaje = parse_porcentaje("porcentaje", porcentaje)?;
        if porcentaje == 0 || !(-9000..=100_000).contains(&porcentaje) {
            return Err(FieldError::new("porcentaje", "debe ser distinto de 0, entre -90 y +1000"));
        }
        let present = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        let (negocio, categoria) = (present(negocio), present(categoria));
        if let Some(n) = negocio.as_ref().filter(|n| !refs.negocios.contains(n)) {
            return Err(FieldError::new("negocio", format!("no existe el negocio «{n}»")));
        }
        if let Some(c) = categoria.as_ref().filter(|c| !refs.categorias.contains(c)) {
            return Err(FieldError::new("categoria", format!("no existe la categoría «{c}»")));
        }
        if negocio.is_none() && categoria.is_none() {
            return Err(FieldError::new("negocio", "elegí un negocio, una categoría o los dos"));
        }
        let redondeo = match present(redondeo) {
            None => None,
            Some(r) => {
                let step = parse_pesos("redondeo", &r)?;
                if step.0 <= 0 || step.0 > 10_000_000 {
                    return Err(FieldError::new("redondeo", "debe estar entre $ 0,01 y $ 100.000"));
                }
                Some(step)
            }
        };
        Ok(AjustePrecios { porcentaje, negocio, categoria, redondeo })
    }

    /// The new price: the percentage applied to the centavo, then rounded
    /// to the nearest step (never below one step).
    pub fn nuevo_precio(&self, precio: Centavos) -> Centavos {
        let raw = (i128::from(precio.0) * i128::from(10_000 + self.porcentaje) + 5_000) / 10_000;
        let raw = i64::try_from(raw).unwrap_or(i64::MAX).max(1);
        match self.redondeo {
            None => Centavos(raw),
            Some(Centavos(step)) => Centavos((((raw + step / 2) / step) * step).max(step)),
        }
    }

    pub fn applies_to(&self, p: &Producto) -> bool {
        self.negocio.as_ref().is_none_or(|n| *n == p.negocio_id)
            && self.categoria.as_ref().is_none_or(|c| *c == p.categoria_id)
    }
}

/// One price change (single or bulk), as the history keeps it.
#[derive(Debug, Clone)]
pub struct PrecioCambio {
    pub producto_id: i64,
    pub precio_anterior: Centavos,
    pub precio_nuevo: Centavos,
    pub quien: String,
    pub origen: String,
    pub fecha: chrono::DateTime<chrono::Utc>,
}

impl PrecioCambio {
    pub fn fecha_local(&self) -> String {
        super::hora::local(self.fecha)
    }
}

/// What a back-office write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cambio<T> {
    Hecho(T),
    /// No such product, offer, store or branch.
    NoExiste,
    /// Refused against what is stored now (e.g. stock below zero).
    Invalido(FieldError),
}

/// What a bulk change or an import changed (or would change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrecioNuevo {
    pub id: i64,
    pub nombre: String,
    pub precio_anterior: Centavos,
    pub precio_nuevo: Centavos,
}

/// An import's outcome: the ids updated and created.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Importado {
    pub actualizados: Vec<i64>,
    pub creados: Vec<i64>,
}

/// Who changed something in the back office.
#[derive(Debug, Clone)]
pub struct Autor {
    pub usuario_id: i64,
    pub email: String,
}

/// An offer's discount: a percentage or its own words ("2x1").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Descuento {
    Porcentaje(i64),
    Texto(String),
}

impl Descuento {
    /// `20`, `20%` or `-20 %` is a percentage (1 to 99); anything else is
    /// text of up to 40 characters.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let text = parse_texto(field, raw, 40)?;
        let digits = text.trim_start_matches('-').trim_end_matches('%').trim();
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            let n: i64 = digits.parse().map_err(|_| FieldError::new(field, "porcentaje inválido"))?;
            if !(1..=99).contains(&n) {
                return Err(FieldError::new(field, "el porcentaje debe estar entre 1 y 99"));
            }
            return Ok(Descuento::Porcentaje(n));
        }
        Ok(Descuento::Texto(text))
    }

    /// (descuento, descuento_texto) as stored.
    pub fn stored(&self) -> (i64, &str) {
        match self {
            Descuento::Porcentaje(n) => (*n, ""),
            Descuento::Texto(t) => (0, t.as_str()),
        }
    }
}

/// An offer as staff set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfertaDatos {
    pub titulo: String,
    pub descripcion: String,
    pub descuento: Descuento,
    pub negocio_id: String,
    pub desde: chrono::NaiveDate,
    pub hasta: chrono::NaiveDate,
    pub productos: Vec<i64>,
}

/// An offer's fields as typed (a form or JSON turned into text).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct OfertaInput {
    #[serde(deserialize_with = "as_text")]
    pub titulo: Option<String>,
    #[serde(deserialize_with = "as_text")]
    pub descripcion: Option<String>,
    #[serde(deserialize_with = "as_text")]
    pub descuento: Option<String>,
    #[serde(deserialize_with = "as_text")]
    pub negocio: Option<String>,
    #[serde(deserialize_with = "as_text")]
    pub desde: Option<String>,
    #[serde(deserialize_with = "as_text")]
    pub hasta: Option<String>,
    #[serde(deserialize_with = "as_ids")]
    pub productos: Option<Vec<String>>,
}

/// A JSON list of ids (numbers or strings) or one string of them.
fn as_ids<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    use serde::de::Error;
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => Ok(Some(Vec::new())),
        serde_json::Value::String(s) => Ok(Some(split_list(&s))),
        serde_json::Value::Array(items) => items
            .into_iter()
            .map(|v| match v {
                serde_json::Value::String(s) => Ok(s),
                serde_json::Value::Number(n) => Ok(n.to_string()),
                _ => Err(D::Error::custom("se esperaba una lista de ids")),
            })
            .collect::<Result<_, _>>()
            .map(Some),
        _ => Err(D::Error::custom("se esperaba una lista de ids")),
    }
}

impl OfertaInput {
    /// Over `base` (an edit) or new (every field but descripción required);
    /// `existentes` are the product ids that exist.
    pub fn parse(
        &self,
        base: Option<&OfertaDatos>,
        refs: &Referencias,
        existentes: &[i64],
    ) -> Result<OfertaDatos, FieldError> {
        fn field<T: Clone>(name: &str, value: &Option<T>, edit: bool) -> Result<Option<T>, FieldError> {
            match value {
                Some(v) => Ok(Some(v.clone())),
                None if edit => Ok(None),
                None => Err(FieldError::new(name, "es obligatorio")),
            }
        }
        let edit = base.is_some();
        let titulo = match field("titulo", &self.titulo, edit)? {
            Some(v) => parse_texto("titulo", &v, 80)?,
            None => base.map(|b| b.titulo.clone()).unwrap_or_default(),
        };
        let descripcion = match &self.descripcion {
            Some(v) => parse_texto_opcional("descripcion", v, 300)?,
            None => base.map(|b| b.descripcion.clone()).unwrap_or_default(),
        };
        let descuento = match field("descuento", &self.descuento, edit)? {
            Some(v) => Descuento::parse("descuento", &v)?,
            None => base.map(|b| b.descuento.clone()).unwrap_or(Descuento::Porcentaje(1)),
        };
        let negocio_id = match field("negocio", &self.negocio, edit)? {
            Some(v) => v.trim().to_owned(),
            None => base.map(|b| b.negocio_id.clone()).unwrap_or_default(),
        };
        if !refs.negocios.contains(&negocio_id) {
            return Err(FieldError::new("negocio", format!("no existe el negocio «{negocio_id}»")));
        }
        let date = |name: &str, v: &str| {
            chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
                .map_err(|_| FieldError::new(name, "debe ser una fecha AAAA-MM-DD"))
        };
        let desde = match field("desde", &self.desde, edit)? {
            Some(v) => date("desde", &v)?,
            None => base.map(|b| b.desde).unwrap_or_default(),
        };
        let hasta = match field("hasta", &self.hasta, edit)? {
            Some(v) => date("hasta", &v)?,
            None => base.map(|b| b.hasta).unwrap_or_default(),
        };
        if hasta < desde {
            return Err(FieldError::new("hasta", "no puede ser anterior a «desde»"));
        }
        let productos = match field("productos", &self.productos, edit)? {
            None => base.map(|b| b.productos.clone()).unwrap_or_default(),
            Some(list) => {
                let mut out = Vec::new();
                for raw in list {
                    let id = parse_entero("productos", &raw)?;
                    if !existentes.contains(&id) {
                        return Err(FieldError::new("productos", format!("no existe el producto {id}")));
                    }
                    if !out.contains(&id) {
                        out.push(id);
                    }
                }
                out
            }
        };
        if productos.is_empty() {
            return Err(FieldError::new("productos", "elegí al menos un producto"));
        }
        if productos.len() > 500 {
            return Err(FieldError::new("productos", "hasta 500 productos por oferta"));
        }
        Ok(OfertaDatos { titulo, descripcion, descuento, negocio_id, desde, hasta, productos })
    }
}

impl OfertaDatos {
    /// From a stored offer (its dates as stored; unreadable ones as today).
    pub fn of(o: &Oferta) -> Self {
        let date = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        OfertaDatos {
            titulo: o.titulo.clone(),
            descripcion: o.descripcion.clone(),
            descuento: if o.descuento_texto.is_empty() {
                Descuento::Porcentaje(o.descuento)
            } else {
                Descuento::Texto(o.descuento_texto.clone())
            },
            negocio_id: o.negocio_id.clone(),
            desde: date(&o.fecha_inicio),
            hasta: date(&o.fecha_fin),
            productos: o.productos.clone(),
        }
    }
}

/// A store's editable fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegocioDatos {
    pub nombre: String,
    pub descripcion: String,
    /// `#rrggbb`
    pub color: String,
}

impl NegocioDatos {
    pub fn parse(nombre: &str, descripcion: &str, color: &str) -> Result<Self, FieldError> {
        let color = color.trim().to_lowercase();
        let hex = color.strip_prefix('#').unwrap_or("");
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(FieldError::new("color", "debe ser un color #rrggbb"));
        }
        Ok(NegocioDatos {
            nombre: parse_texto("nombre", nombre, 80)?,
            descripcion: parse_texto_opcional("descripcion", descripcion, 300)?,
            color,
        })
    }
}

/// A branch's editable fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SucursalDatos {
    pub nombre: String,
    pub direccion: String,
    pub telefono: String,
    pub horarios: String,
}

impl SucursalDatos {
    pub fn parse(nombre: &str, direccion: &str, telefono: &str, horarios: &str) -> Result<Self, FieldError> {
        let telefono = parse_texto_opcional("telefono", telefono, 40)?;
        if !telefono.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c)) {
            return Err(FieldError::new("telefono", "sólo números, espacios, +, - y paréntesis"));
        }
        Ok(SucursalDatos {
            nombre: parse_texto("nombre", nombre, 80)?,
            direccion: parse_texto("direccion", direccion, 200)?,
            telefono,
            horarios: parse_texto_opcional("horarios", horarios, 200)?,
        })
    }
}

// ---------------------------------------------------------------------------
// The catalogue as a spreadsheet: export and all-or-nothing import.

/// The CSV's columns, in order (Spanish, as the JSON fields are named).
pub const CSV_COLUMNAS: [&str; 14] = [
    "id",
    "nombre",
    "descripcion",
    "precio",
    "precio_original",
    "stock",
    "unidad",
    "medida",
    "precio_por_medida",
    "negocio",
    "categoria",
    "sucursales",
    "destacado",
    "activo",
];

/// Most data lines an import takes.
pub const CSV_MAX_FILAS: usize = 5000;

/// An amount as a spreadsheet in Argentina writes it: `1800` or `1800,50`.
pub fn csv_pesos(c: Centavos) -> String {
    if c.0 % 100 == 0 { format!("{}", c.0 / 100) } else { format!("{},{:02}", c.0 / 100, c.0 % 100) }
}

/// The catalogue as CSV: `;`-separated, decimal comma, UTF-8 with a BOM
/// (so spreadsheets open the accents right).
pub fn exportar_csv(productos: &[Producto]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer(Vec::from("\u{feff}".as_bytes()));
    w.write_record(CSV_COLUMNAS)?;
    for p in productos {
        let (por_medida, medida) = match p.precio_por_medida {
            Some((precio, m)) => (csv_pesos(precio), m.as_str()),
            None => (String::new(), ""),
        };
        w.write_record([
            p.id.to_string(),
            p.nombre.clone(),
            p.descripcion.clone(),
            csv_pesos(p.precio),
            p.precio_original.map(csv_pesos).unwrap_or_default(),
            p.stock.to_string(),
            p.unidad.as_str().to_owned(),
            medida.to_owned(),
            por_medida,
            p.negocio_id.clone(),
            p.categoria_id.clone(),
            p.sucursales.join("|"),
            if p.destacado { "si" } else { "no" }.to_owned(),
            if p.activo { "si" } else { "no" }.to_owned(),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// One bad line of an import: its number in the file (the header is line
/// 1), the column and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CsvError {
    pub linea: u64,
    pub campo: String,
    pub motivo: String,
}

/// One good line: an update (`id`) or a new product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvFila {
    pub linea: u64,
    pub id: Option<i64>,
    pub datos: ProductoDatos,
}

/// Reads a whole import: every line valid, or every bad line's reason.
/// The separator is `;` or `,` (whichever the header uses); amounts take a
/// decimal comma or point; `existentes` are the products an `id` may name.
pub fn importar_csv(
    bytes: &[u8],
    refs: &Referencias,
    existentes: &[ProductoDatosConId],
) -> Result<Vec<CsvFila>, Vec<CsvError>> {
    let error = |linea: u64, campo: &str, motivo: String| CsvError { linea, campo: campo.to_owned(), motivo };
    // Spreadsheets may save in Latin-1: read it rather than refuse it.
    let text: String = match std::str::from_utf8(bytes) {
        Ok(t) => t.to_owned(),
        Err(_) => bytes.iter().map(|b| char::from(*b)).collect(),
    };
    let text = text.trim_start_matches('\u{feff}');
    let header_line = text.lines().next().unwrap_or("");
    let delimiter = if header_line.matches(';').count() >= header_line.matches(',').count() { b';' } else { b',' };
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|h| fold(h.trim())).collect(),
        Err(e) => return Err(vec![error(1, "encabezado", format!("no se pudo leer: {e}"))]),
    };
    if headers.iter().all(|h| h.is_empty()) {
        return Err(vec![error(1, "encabezado", "el archivo está vacío".into())]);
    }
    let mut errors = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        if !CSV_COLUMNAS.contains(&h.as_str()) {
            errors.push(error(
                1,
                h,
                format!("columna desconocida «{h}»; las columnas son {}", CSV_COLUMNAS.join(", ")),
            ));
        } else if headers[..i].contains(h) {
            errors.push(error(1, h, format!("la columna «{h}» está repetida")));
        }
    }
    if !headers.iter().any(|h| h == "id") {
        errors.push(error(1, "id", "falta la columna «id» (vacía para los productos nuevos)".into()));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut filas = Vec::new();
    let mut ids_vistos: Vec<(i64, u64)> = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let linea = e.position().map_or(0, |p| p.line());
                errors.push(error(linea, "linea", format!("no se pudo leer: {e}")));
                continue;
            }
        };
        let linea = record.position().map_or(0, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        if filas.len() + errors.len() >= CSV_MAX_FILAS {
            errors.push(error(linea, "linea", format!("el archivo admite hasta {CSV_MAX_FILAS} líneas")));
            break;
        }
        if record.len() > headers.len() {
            errors.push(error(
                linea,
                "linea",
                format!("tiene {} columnas y el encabezado {}", record.len(), headers.len()),
            ));
            continue;
        }
        let cell = |name: &str| headers.iter().position(|h| h == name).map(|i| record.get(i).unwrap_or("").to_owned());
        let id = match cell("id").filter(|v| !v.trim().is_empty()) {
            None => None,
            Some(raw) => match raw.trim().parse::<i64>() {
                Ok(id) if id > 0 => Some(id),
                _ => {
                    errors.push(error(linea, "id", "debe ser un número entero positivo o quedar vacío".into()));
                    continue;
                }
            },
        };
        let base = match id {
            None => None,
            Some(id) => match existentes.iter().find(|e| e.id == id) {
                Some(e) => Some(&e.datos),
                None => {
                    errors.push(error(
                        linea,
                        "id",
                        format!("no existe el producto {id} (dejá el id vacío para crearlo)"),
                    ));
                    continue;
                }
            },
        };
        if let Some(id) = id {
            if let Some((_, first)) = ids_vistos.iter().find(|(seen, _)| *seen == id) {
                errors.push(error(linea, "id", format!("el producto {id} ya está en la línea {first}")));
                continue;
            }
            ids_vistos.push((id, linea));
        }
        let input = ProductoInput {
            nombre: cell("nombre"),
            descripcion: cell("descripcion"),
            precio: cell("precio"),
            precio_original: cell("precio_original"),
            stock: cell("stock"),
            unidad: cell("unidad"),
            medida: cell("medida"),
            precio_por_medida: cell("precio_por_medida"),
            negocio: cell("negocio"),
            categoria: cell("categoria"),
            sucursales: cell("sucursales").map(|s| split_list(&s)),
            destacado: cell("destacado"),
            activo: cell("activo"),
        };
        match input.parse(base, refs) {
            Ok(datos) => filas.push(CsvFila { linea, id, datos }),
            Err(e) => errors.push(error(linea, &e.field, e.message)),
        }
    }
    if filas.is_empty() && errors.is_empty() {
        errors.push(error(2, "linea", "el archivo no tiene productos".into()));
    }
    if errors.is_empty() { Ok(filas) } else { Err(errors) }
}

/// A stored product's id and fields, for an import to update.
#[derive(Debug, Clone)]
pub struct ProductoDatosConId {
    pub id: i64,
    pub datos: ProductoDatos,
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
    fn amounts_as_people_and_spreadsheets_write_them() {
        let ok = |raw: &str| parse_pesos("precio", raw).unwrap().0;
        assert_eq!(ok("1800"), 180_000);
        assert_eq!(ok("1800,5"), 180_050);
        assert_eq!(ok("1800.50"), 180_050);
        assert_eq!(ok("8.900"), 890_000);
        assert_eq!(ok("$ 1.234.567,89"), 123_456_789);
        assert_eq!(ok("1,234.5"), 123_450);
        for bad in ["", "mil", "1,2,3.4.5", "1.2345", "12,345", "-5", "1e3"] {
            assert!(parse_pesos("precio", bad).is_err(), "{bad}");
        }
        assert_eq!(parse_porcentaje("p", "-12,5").unwrap(), -1250);
        assert_eq!(parse_porcentaje("p", "+8%").unwrap(), 800);
    }

    #[test]
    fn a_bulk_change_rounds_to_its_step() {
        let refs = Referencias { negocios: vec!["n".into()], ..Default::default() };
        let a = AjustePrecios::parse("8", Some("n"), None, Some("10"), &refs).unwrap();
        assert_eq!(a.nuevo_precio(Centavos(95_000)), Centavos(103_000)); // 1026 → 1030
        assert_eq!(a.nuevo_precio(Centavos(100)), Centavos(1_000), "never below one step");
        let down = AjustePrecios::parse("-10", Some("n"), None, None, &refs).unwrap();
        assert_eq!(down.nuevo_precio(Centavos(1_999)), Centavos(1_799));
        assert!(AjustePrecios::parse("8", None, None, None, &refs).is_err());
        assert!(AjustePrecios::parse("0", Some("n"), None, None, &refs).is_err());
    }

    #[test]
    fn stock_changes_never_go_below_zero() {
        assert_eq!(StockCambio::parse(None, Some("+5")).unwrap().apply(2), Ok(7));
        assert!(StockCambio::parse(None, Some("-3")).unwrap().apply(2).is_err());
        assert!(StockCambio::parse(Some("1"), Some("1")).is_err());
        assert!(StockCambio::parse(Some("-1"), None).is_err());
        assert_eq!(Descuento::parse("d", "20%").unwrap(), Descuento::Porcentaje(20));
        assert_eq!(Descuento::parse("d", "2x1").unwrap(), Descuento::Texto("2x1".into()));
        assert!(Descuento::parse("d", "150%").is_err());
    }

    #[test]
    fn folds_case_and_accents() {
        assert_eq!(fold("Azúcar 1KG"), "azucar 1kg");
        assert_eq!(fold("Ñandú"), "nandu");
        assert_eq!(like_pattern(" AZUCAR_% ").unwrap(), "%azucar\\_\\%%");
    }

    fn listado(q: ProductoQuery) -> ProductoPage {
        listar(&Seed::bundled().productos, &q, PAGE_SIZE, MasAlla::UltimaPagina)
    }

    fn nombres(page: &ProductoPage) -> Vec<&str> {
        page.productos.iter().map(|p| p.nombre.as_str()).collect()
    }

    #[test]
    fn searches_tolerate_typos_and_rank_exact_matches_first() {
        let q = |b: &str| ProductoQuery { busqueda: Some(b.into()), page: 1, ..Default::default() };
        assert_eq!(nombres(&listado(q("asucar"))), ["Azúcar 1kg", "Azúcar Rubia 1kg"]);
        assert_eq!(nombres(&listado(q("yerva"))), ["Yerba Mate 1kg", "Yerba Mate Suave 500g"]);
        let leche = listado(q("leche"));
        assert_eq!(leche.productos[0].nombre, "Leche Entera 1L", "names that begin with it first");
        let first_other = leche.productos.iter().position(|p| !fold(&p.nombre).starts_with("leche")).unwrap();
        assert!(leche.productos[first_other..].iter().all(|p| !fold(&p.nombre).starts_with("leche")));
        let nada = listado(q("dtrgnte"));
        assert_eq!((nada.total, nada.sugerencia.as_deref()), (0, Some("detergente")));
        assert_eq!(listado(q("zzzz")).sugerencia, None);
    }

    #[test]
    fn listings_sort_filter_and_count_by_store() {
        let lacteos = |orden, negocio: Option<&str>| ProductoQuery {
            categoria: Some("lacteos".into()),
            negocio: negocio.map(Into::into),
            orden,
            page: 1,
            ..Default::default()
        };
        let all = |q: ProductoQuery| listar(&Seed::bundled().productos, &q, PAGE_SIZE, MasAlla::UltimaPagina);
        let mut q = lacteos(Orden::Precio, None);
        let barato = all(q.clone());
        assert_eq!(barato.total, 30);
        assert!(barato.productos.windows(2).all(|w| w[0].precio <= w[1].precio));
        assert_eq!(barato.por_negocio.iter().map(|(_, n)| n).sum::<i64>(), 30);
        q.page = 2;
        let segunda = all(q);
        assert!(barato.productos.last().unwrap().precio <= segunda.productos[0].precio, "across pages too");
        let caro = all(lacteos(Orden::PrecioDesc, None));
        assert!(caro.productos.windows(2).all(|w| w[0].precio >= w[1].precio));
        let descuento = all(lacteos(Orden::Descuento, None));
        assert!(descuento.productos.windows(2).all(|w| w[0].descuento() >= w[1].descuento()));
        assert!(descuento.productos[0].descuento().unwrap() > 0);
        let nombre = all(lacteos(Orden::Nombre, None));
        assert!(nombre.productos.windows(2).all(|w| fold(&w[0].nombre) <= fold(&w[1].nombre)));
        let maxi = all(lacteos(Orden::Relevancia, Some("maxi_descuento")));
        assert!(maxi.productos.iter().all(|p| p.negocio_id == "maxi_descuento"));
        assert_eq!(maxi.total, maxi.cantidad_de("maxi_descuento"));
        assert_eq!(maxi.total_sin_filtro(), 30, "the counts ignore the store filter");
        let lejos = all(ProductoQuery { page: 99, ..lacteos(Orden::Relevancia, None) });
        assert_eq!(lejos.page, 2, "a page past the end shows the last");
        assert_eq!(Orden::parse("descuento"), Orden::Descuento);
        assert_eq!(Orden::parse("'; DROP"), Orden::Relevancia);
    }

    #[test]
    fn prices_per_kg_or_litre_from_the_name() {
        assert_eq!(medida_del_nombre("Arroz 1kg"), Some((1000, Unidad::Kg)));
        assert_eq!(medida_del_nombre("Aceite de Girasol 1,5L"), Some((1500, Unidad::L)));
        assert_eq!(medida_del_nombre("Leche Larga Vida 1L x12"), Some((12_000, Unidad::L)));
        assert_eq!(medida_del_nombre("Harina 000 1kg"), Some((1000, Unidad::Kg)));
        assert_eq!(medida_del_nombre("Chocolate Amargo 70% 100g"), Some((100, Unidad::Kg)));
        assert_eq!(medida_del_nombre("Yogur 500 g"), Some((500, Unidad::Kg)));
        for none in ["Huevos Blancos x12", "Pan de Centeno", "Té Negro 25 saquitos", "Lechuga Criolla 1 unidad"] {
            assert_eq!(medida_del_nombre(none), None, "{none}");
        }
        let seed = Seed::bundled();
        let by_id = |id: i64| seed.productos.iter().find(|p| p.id == id).unwrap();
        assert_eq!(by_id(2).precio_por_medida_ars().as_deref(), Some("$ 2.000 el litro"), "Aceite 900ml");
        assert_eq!(by_id(8).precio_por_medida_ars().as_deref(), Some("$ 4.200 el kg"), "Queso Cremoso 500g");
        assert_eq!(by_id(67).precio_de_referencia(), Some((Centavos(173_333), Unidad::L)), "$ 2.600 / 1,5 L");
        assert_eq!(by_id(7).precio_por_medida_ars(), None, "Huevos x12");
        let mut staff = by_id(7).clone();
        staff.precio_por_medida = Some((Centavos(10_000), Unidad::Kg));
        assert_eq!(staff.precio_por_medida_ars().as_deref(), Some("$ 100 el kg"), "what staff set wins");
    }

    #[test]
    fn related_products_share_the_category_first() {
        let seed = Seed::bundled();
        let aceite = seed.productos.iter().find(|p| p.id == 2).unwrap().clone();
        let mut todos = seed.productos;
        todos.iter_mut().find(|p| p.id == 115).unwrap().stock = 0;
        let rel = relacionados(&aceite, &todos, 4);
        assert_eq!(rel.len(), 4);
        assert!(rel.iter().all(|p| p.id != 2 && p.categoria_id == "condimentos" && p.disponible()));
        assert!(rel[0].nombre.starts_with("Aceite"), "{:?}", rel[0].nombre);
        assert!(!rel.iter().any(|p| p.id == 115), "out of stock goes last");
    }
}
