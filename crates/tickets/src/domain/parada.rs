//! A ticket's lines as pick-up stops: one per store and branch, with its
//! address and a map link, each line with its quantity.
//!
//! Order: the order the lines first mention each stop. Ahorro lists a
//! ticket's lines as the customer's cart groups them (by store), and the
//! desk has no coordinates to plan a route with, so the first mention is
//! the one order the shop, the slip and the courier all see the same way;
//! a dispatcher who knows better says so in `indicaciones`. Lines without
//! any store data go last, under one plain "Sin datos de retiro" stop.

use belgrano_contract::ticket::Producto;
use serde_json::Value;

use belgrano_platform::http::url_encode;

pub const SIN_DATOS: &str = "Sin datos de retiro";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parada {
    /// "Almacén Don Pepe · Sucursal Centro", or [`SIN_DATOS`].
    pub titulo: String,
    pub direccion: Option<String>,
    /// Google Maps search for the address (in Buenos Aires).
    pub mapa_url: Option<String>,
    pub lineas: Vec<LineaParada>,
    /// The stop for lines that name no store.
    pub sin_datos: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineaParada {
    /// Where the line sits in the ticket's `productos` (views add its price).
    pub indice: usize,
    pub nombre: String,
    pub cantidad: u32,
}

/// The link a courier opens to find `direccion`.
pub fn mapa_url(direccion: &str) -> String {
    format!("https://www.google.com/maps/search/?api=1&query={}", url_encode(&format!("{direccion}, Buenos Aires")))
}

/// Where one line is picked up, as the line's extra keys say. Ahorro sends
/// `negocio_nombre` and `sucursal: {id, nombre, direccion}`; old clients
/// send `negocio: "belgrano_ahorro"` and `sucursal: "centro"`.
#[derive(PartialEq, Eq)]
struct Lugar {
    negocio: Option<String>,
    sucursal: Option<String>,
    direccion: Option<String>,
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn lugar(p: &Producto) -> Option<Lugar> {
    let negocio = text(p.extra.get("negocio_nombre")).or_else(|| text(p.extra.get("negocio")));
    let (sucursal, direccion) = match p.extra.get("sucursal") {
        Some(Value::Object(s)) => (text(s.get("nombre")).or_else(|| text(s.get("id"))), text(s.get("direccion"))),
        other => (text(other), None),
    };
    let direccion = direccion.or_else(|| text(p.extra.get("sucursal_direccion")));
    (negocio.is_some() || sucursal.is_some() || direccion.is_some()).then_some(Lugar { negocio, sucursal, direccion })
}

fn titulo(l: &Lugar) -> String {
    match (&l.negocio, &l.sucursal) {
        (Some(n), Some(s)) => format!("{n} · {s}"),
        (Some(n), None) => n.clone(),
        (None, Some(s)) => format!("Sucursal {s}"),
        (None, None) => l.direccion.clone().unwrap_or_else(|| SIN_DATOS.to_owned()),
    }
}

/// The stops of `productos`, in the order the lines first mention them.
pub fn paradas(productos: &[Producto]) -> Vec<Parada> {
    let mut lugares: Vec<(Lugar, Parada)> = Vec::new();
    let mut sin_datos: Vec<LineaParada> = Vec::new();
    for (indice, p) in productos.iter().enumerate() {
        let linea = LineaParada { indice, nombre: p.nombre.clone(), cantidad: p.cantidad };
        let Some(l) = lugar(p) else {
            sin_datos.push(linea);
            continue;
        };
        // One stop per store and branch; a line that omits the address the
        // others give still joins them.
        let same = |o: &Lugar| o.negocio == l.negocio && o.sucursal == l.sucursal;
        match lugares.iter_mut().find(|(o, _)| same(o)) {
            Some((o, parada)) => {
                if o.direccion.is_none() && l.direccion.is_some() {
                    o.direccion.clone_from(&l.direccion);
                    parada.mapa_url = l.direccion.as_deref().map(mapa_url);
                    parada.direccion.clone_from(&l.direccion);
                }
                parada.lineas.push(linea);
            }
            None => {
                let parada = Parada {
                    titulo: titulo(&l),
                    direccion: l.direccion.clone(),
                    mapa_url: l.direccion.as_deref().map(mapa_url),
                    lineas: vec![linea],
                    sin_datos: false,
                };
                lugares.push((l, parada));
            }
        }
    }
    let mut out: Vec<Parada> = lugares.into_iter().map(|(_, p)| p).collect();
    if !sin_datos.is_empty() {
        out.push(Parada {
            titulo: SIN_DATOS.to_owned(),
            direccion: None,
            mapa_url: None,
            lineas: sin_datos,
            sin_datos: true,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn linea(nombre: &str, cantidad: u32, extra: Value) -> Producto {
        let mut v = json!({"nombre": nombre, "cantidad": cantidad});
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        serde_json::from_value(v).unwrap()
    }

    fn ahorro(nombre: &str, cantidad: u32, negocio: &str, sucursal: &str, direccion: &str) -> Producto {
        linea(
            nombre,
            cantidad,
            json!({"negocio": "x", "negocio_nombre": negocio, "categoria": "Almacén",
                   "sucursal": {"id": "s1", "nombre": sucursal, "direccion": direccion}}),
        )
    }

    /// (title, address, [(line, quantity)]) per stop.
    type Resumen = Vec<(String, Option<String>, Vec<(String, u32)>)>;

    fn resumen(ps: &[Parada]) -> Resumen {
        ps.iter()
            .map(|p| {
                (
                    p.titulo.clone(),
                    p.direccion.clone(),
                    p.lineas.iter().map(|l| (l.nombre.clone(), l.cantidad)).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn two_stores_in_the_order_the_lines_first_mention_them() {
        let ps = paradas(&[
            ahorro("Yerba", 2, "Almacén Don Pepe", "Centro", "Av. Cabildo 1500"),
            ahorro("Pan", 1, "Panadería La Espiga", "Belgrano", "Juramento 2100"),
            ahorro("Azúcar", 3, "Almacén Don Pepe", "Centro", "Av. Cabildo 1500"),
        ]);
        assert_eq!(
            resumen(&ps),
            vec![
                (
                    "Almacén Don Pepe · Centro".into(),
                    Some("Av. Cabildo 1500".into()),
                    vec![("Yerba".into(), 2), ("Azúcar".into(), 3)]
                ),
                ("Panadería La Espiga · Belgrano".into(), Some("Juramento 2100".into()), vec![("Pan".into(), 1)]),
            ]
        );
        assert_eq!(
            ps[0].mapa_url.as_deref(),
            Some("https://www.google.com/maps/search/?api=1&query=Av.+Cabildo+1500%2C+Buenos+Aires")
        );
    }

    #[test]
    fn two_branches_of_one_store_are_two_stops() {
        let ps = paradas(&[
            ahorro("Yerba", 1, "Don Pepe", "Centro", "Cabildo 1500"),
            ahorro("Pan", 1, "Don Pepe", "Norte", "Monroe 3000"),
        ]);
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[1].titulo, "Don Pepe · Norte");
    }

    #[test]
    fn old_clients_strings_and_lines_without_store_data() {
        let ps = paradas(&[
            serde_json::from_value(json!({"nombre": "Suelto", "cantidad": 4})).unwrap(),
            linea("Producto A", 2, json!({"sucursal": "centro", "negocio": "belgrano_ahorro"})),
            linea("Producto B", 1, json!({"sucursal": "centro", "negocio": "belgrano_ahorro"})),
        ]);
        assert_eq!(
            resumen(&ps),
            vec![
                ("belgrano_ahorro · centro".into(), None, vec![("Producto A".into(), 2), ("Producto B".into(), 1)]),
                (SIN_DATOS.into(), None, vec![("Suelto".into(), 4)]),
            ]
        );
        assert!(ps[1].sin_datos && ps[0].mapa_url.is_none());
    }

    #[test]
    fn a_branch_address_sent_flat_or_only_on_a_later_line() {
        let ps = paradas(&[
            linea("A", 1, json!({"negocio_nombre": "Kiosco", "sucursal": "Once"})),
            linea(
                "B",
                1,
                json!({"negocio_nombre": "Kiosco", "sucursal": "Once", "sucursal_direccion": "Pueyrredón 100"}),
            ),
        ]);
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].direccion.as_deref(), Some("Pueyrredón 100"));
        assert!(ps[0].mapa_url.is_some());
    }

    #[test]
    fn no_lines_no_stops() {
        assert!(paradas(&[]).is_empty());
    }
}
