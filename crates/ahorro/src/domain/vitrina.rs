//! The shop window: all of the catalogue the shop's pages show (stores,
//! categories, offers, every product), read in one go and asked in memory.
//! `store::vitrina` keeps one fresh; the home page, listings and product
//! pages read it instead of the database (issue 17: they made four to
//! seven reads each, and decoding the product rows was most of their CPU).

use super::catalogo::{
    Categoria, MasAlla, Negocio, Oferta, PAGE_SIZE, Producto, ProductoPage, ProductoQuery, listar, relacionados,
};

#[derive(Debug)]
pub struct Vitrina {
    negocios: Vec<Negocio>,
    /// Only those with at least one active product.
    categorias: Vec<Categoria>,
    ofertas: Vec<Oferta>,
    /// Every product, inactive ones too, by id.
    productos: Vec<Producto>,
}

impl Vitrina {
    /// From the stored rows; `categorias` may include empty ones, left out
    /// here as the shop never lists them.
    pub fn new(
        negocios: Vec<Negocio>,
        categorias: Vec<Categoria>,
        ofertas: Vec<Oferta>,
        mut productos: Vec<Producto>,
    ) -> Self {
        productos.sort_by_key(|p| p.id);
        let categorias =
            categorias.into_iter().filter(|c| productos.iter().any(|p| p.activo && p.categoria_id == c.id)).collect();
        Self { negocios, categorias, ofertas, productos }
    }

    pub fn negocios(&self) -> &[Negocio] {
        &self.negocios
    }

    pub fn negocio(&self, id: &str) -> Option<&Negocio> {
        self.negocios.iter().find(|n| n.id == id)
    }

    /// The categories that have active products.
    pub fn categorias(&self) -> &[Categoria] {
        &self.categorias
    }

    pub fn categoria(&self, id: &str) -> Option<&Categoria> {
        self.categorias.iter().find(|c| c.id == id)
    }

    pub fn ofertas(&self) -> &[Oferta] {
        &self.ofertas
    }

    pub fn oferta(&self, id: &str) -> Option<&Oferta> {
        self.ofertas.iter().find(|o| o.id == id)
    }

    /// A product, inactive ones too (callers decide whether to show it).
    pub fn producto(&self, id: i64) -> Option<&Producto> {
        self.productos.binary_search_by_key(&id, |p| p.id).ok().map(|i| &self.productos[i])
    }

    /// The active ones of `ids` that exist, each once, in the order of `ids`.
    pub fn activos(&self, ids: &[i64]) -> Vec<Producto> {
        let mut out: Vec<Producto> = Vec::with_capacity(ids.len());
        for p in ids.iter().filter_map(|id| self.producto(*id)).filter(|p| p.activo) {
            if !out.iter().any(|o| o.id == p.id) {
                out.push(p.clone());
            }
        }
        out
    }

    /// A listing page of the shop (see [`listar`]).
    pub fn pagina(&self, q: &ProductoQuery) -> ProductoPage {
        listar(&self.productos, q, PAGE_SIZE, MasAlla::UltimaPagina)
    }

    /// The same with pages of `por_pagina`, none past the last (the public
    /// API's).
    pub fn pagina_de_a(&self, q: &ProductoQuery, por_pagina: i64) -> ProductoPage {
        listar(&self.productos, q, por_pagina, MasAlla::Nada)
    }

    /// Up to `n` products to show beside `p` (see [`relacionados`]).
    pub fn relacionados(&self, p: &Producto, n: usize) -> Vec<Producto> {
        relacionados(p, &self.productos, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalogo::Seed;

    fn vitrina() -> Vitrina {
        let seed = Seed::bundled();
        let mut productos = seed.productos;
        productos.reverse();
        Vitrina::new(seed.negocios, seed.categorias, seed.ofertas, productos)
    }

    #[test]
    fn products_are_found_by_id_whatever_order_they_came_in() {
        let v = vitrina();
        assert_eq!(v.producto(1).map(|p| p.id), Some(1));
        assert_eq!(v.producto(137).map(|p| p.id), Some(137));
        assert!(v.producto(0).is_none());
        assert!(v.producto(10_000).is_none());
    }

    #[test]
    fn activos_keeps_the_order_asked_and_drops_unknown_and_inactive_ones() {
        let seed = Seed::bundled();
        let mut productos = seed.productos;
        productos.iter_mut().find(|p| p.id == 3).unwrap().activo = false;
        let v = Vitrina::new(seed.negocios, seed.categorias, seed.ofertas, productos);
        let ids: Vec<i64> = v.activos(&[5, 3, 999, 1, 5]).iter().map(|p| p.id).collect();
        assert_eq!(ids, vec![5, 1]);
    }

    #[test]
    fn a_category_without_active_products_is_not_shown() {
        let seed = Seed::bundled();
        let categoria = seed.productos[0].categoria_id.clone();
        let mut productos = seed.productos;
        for p in productos.iter_mut().filter(|p| p.categoria_id == categoria) {
            p.activo = false;
        }
        let v = Vitrina::new(seed.negocios, seed.categorias, seed.ofertas, productos);
        assert!(v.categoria(&categoria).is_none());
        assert!(!v.categorias().is_empty());
    }
}
