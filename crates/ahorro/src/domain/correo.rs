//! What the shop mails, in Spanish (*vos*): each mail is one function that
//! turns what it needs into a [`Correo`] (a plain-text part and an HTML
//! part). The store queues them in the transaction of what causes them
//! (`store::correos`); nothing here touches the database.
//!
//! - [`confirmacion`]: the order as placed (lines, total, address,
//!   window, delivery cost, payment in words, tracking link);
//! - [`estado`]: "en camino", "entregado", "cancelado" (with the reason);
//! - [`no_entregado`]: a failed delivery attempt (Tickets sends the order
//!   back to pendiente with the attempt counted);
//! - [`paquete`]: a merchant's bundle placed as an order (what was left
//!   out), or why it could not be;
//! - [`restablecer`]: the password reset link;
//! - [`contacto`]: the contact form, to the shop's address.

use belgrano_contract::{Centavos, Estado};
use belgrano_platform::mail::{Correo, html_escape as esc};

const TIENDA: &str = "Belgrano Ahorro";

/// One line of an order, as mailed.
#[derive(Debug, Clone)]
pub struct Linea {
    pub nombre: String,
    pub cantidad: i64,
    pub subtotal: Centavos,
}

/// What the order mails show.
#[derive(Debug, Clone)]
pub struct DatosPedido {
    pub numero: String,
    pub email: String,
    pub nombre: String,
    pub direccion: String,
    /// The payment in words ("Efectivo, pagás con $ 10.000 (vuelto $ 1.250)").
    pub pago: String,
    /// The delivery window in words ("jueves 3/12, de 15:00 a 18:00").
    pub franja: Option<String>,
    /// The delivery cost in words ("$ 1.500", "Envío gratis").
    pub envio: Option<String>,
    pub lineas: Vec<Linea>,
    pub total: Centavos,
    /// The absolute tracking link.
    pub seguimiento: String,
}

/// The HTML around a mail's body.
fn pagina(titulo: &str, cuerpo: &str) -> String {
    format!(
        "<!doctype html><html lang=\"es-AR\"><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body style=\"font-family:Arial,Helvetica,sans-serif;color:#222;max-width:36rem;margin:0 auto;padding:1rem\">\
         <h1 style=\"font-size:1.3rem;color:#0b5\">{t}</h1>{cuerpo}\
         <p style=\"color:#777;font-size:.85rem;margin-top:2rem\">{TIENDA} · Belgrano, Buenos Aires</p></body></html>",
        t = esc(titulo)
    )
}

fn boton(url: &str, texto: &str) -> String {
    format!(
        "<p><a href=\"{u}\" style=\"display:inline-block;background:#0b5;color:#fff;padding:.6rem 1rem;\
         border-radius:4px;text-decoration:none\">{t}</a></p><p style=\"font-size:.85rem\">O copiá este enlace: {u}</p>",
        u = esc(url),
        t = esc(texto)
    )
}

pub fn confirmacion(p: &DatosPedido) -> Correo {
    let asunto = format!("Recibimos tu pedido {}", p.numero);
    let mut texto = format!(
        "Hola {nombre}:\n\n¡Gracias por tu compra! Recibimos tu pedido {numero}.\n\n",
        nombre = p.nombre,
        numero = p.numero
    );
    let mut filas = String::new();
    for l in &p.lineas {
        texto.push_str(&format!("  {} x {}  {}\n", l.cantidad, l.nombre, l.subtotal.format_ars()));
        filas.push_str(&format!(
            "<tr><td>{} × {}</td><td style=\"text-align:right\">{}</td></tr>",
            l.cantidad,
            esc(&l.nombre),
            esc(&l.subtotal.format_ars())
        ));
    }
    let mut entrega = String::new();
    let mut entrega_html = String::new();
    if let Some(envio) = &p.envio {
        texto.push_str(&format!("  Envío  {envio}\n"));
        filas.push_str(&format!("<tr><td>Envío</td><td style=\"text-align:right\">{}</td></tr>", esc(envio)));
    }
    if let Some(franja) = &p.franja {
        entrega = format!("Llega: {franja}\n");
        entrega_html = format!("<strong>Llega:</strong> {}<br>", esc(franja));
    }
    texto.push_str(&format!(
        "\nTotal: {total}\nDirección de entrega: {dir}\n{entrega}Pago: {pago}\n\nSeguí tu pedido en: {url}\n",
        total = p.total.format_ars(),
        dir = p.direccion,
        pago = p.pago,
        url = p.seguimiento
    ));
    let cuerpo = format!(
        "<p>Hola {nombre}:</p><p>¡Gracias por tu compra! Recibimos tu pedido <strong>{numero}</strong>.</p>\
         <table style=\"width:100%;border-collapse:collapse\">{filas}\
         <tr><td><strong>Total</strong></td><td style=\"text-align:right\"><strong>{total}</strong></td></tr></table>\
         <p><strong>Dirección de entrega:</strong> {dir}<br>{entrega_html}<strong>Pago:</strong> {pago}</p>{boton}",
        nombre = esc(&p.nombre),
        numero = esc(&p.numero),
        total = esc(&p.total.format_ars()),
        dir = esc(&p.direccion),
        pago = esc(&p.pago),
        boton = boton(&p.seguimiento, "Seguir mi pedido"),
    );
    Correo { para: p.email.clone(), html: pagina(&asunto, &cuerpo), asunto, texto, responder_a: None }
}

/// The mail of a state the customer hears about, or `None` for the others
/// (pending, in preparation).
pub fn estado(p: &DatosPedido, estado: Estado, motivo: Option<&str>) -> Option<Correo> {
    let (asunto, frase) = match estado {
        Estado::EnCamino => (format!("Tu pedido {} está en camino", p.numero), "¡Tu pedido salió! Ya está en camino."),
        Estado::Entregado => {
            (format!("Entregamos tu pedido {}", p.numero), "Tu pedido fue entregado. ¡Que lo disfrutes!")
        }
        Estado::Cancelado => (format!("Cancelamos tu pedido {}", p.numero), "Tu pedido fue cancelado."),
        Estado::Pendiente | Estado::EnPreparacion => return None,
    };
    let motivo = motivo.map(str::trim).filter(|m| !m.is_empty() && estado == Estado::Cancelado);
    let mut texto = format!("Hola {}:\n\n{frase}\n", p.nombre);
    let mut cuerpo = format!("<p>Hola {}:</p><p>{}</p>", esc(&p.nombre), esc(frase));
    if let Some(m) = motivo {
        texto.push_str(&format!("Motivo: {m}\n"));
        cuerpo.push_str(&format!("<p><strong>Motivo:</strong> {}</p>", esc(m)));
    }
    if estado == Estado::Cancelado {
        texto.push_str("Si ya pagaste, te devolvemos el dinero. Si tenés dudas, respondé este correo o escribinos desde la página de contacto.\n");
        cuerpo.push_str(
            "<p>Si ya pagaste, te devolvemos el dinero. Si tenés dudas, escribinos desde la página de contacto.</p>",
        );
    }
    texto.push_str(&format!("\nPedido {}: {}\n", p.numero, p.seguimiento));
    cuerpo.push_str(&boton(&p.seguimiento, "Ver mi pedido"));
    Some(Correo { para: p.email.clone(), html: pagina(&asunto, &cuerpo), asunto, texto, responder_a: None })
}

/// A delivery attempt that failed ("no pudimos entregarlo"), once per attempt.
pub fn no_entregado(p: &DatosPedido, motivo: &str) -> Correo {
    let asunto = format!("No pudimos entregar tu pedido {}", p.numero);
    let texto = format!(
        "Hola {}:\n\nPasamos por {} pero no pudimos entregar tu pedido {}.\nMotivo: {motivo}\n\
         Vamos a intentarlo de nuevo; seguí el pedido en: {}\n",
        p.nombre, p.direccion, p.numero, p.seguimiento
    );
    let cuerpo = format!(
        "<p>Hola {}:</p><p>Pasamos por {} pero no pudimos entregar tu pedido <strong>{}</strong>.</p>\
         <p><strong>Motivo:</strong> {}</p><p>Vamos a intentarlo de nuevo.</p>{}",
        esc(&p.nombre),
        esc(&p.direccion),
        esc(&p.numero),
        esc(motivo),
        boton(&p.seguimiento, "Ver mi pedido")
    );
    Correo { para: p.email.clone(), html: pagina(&asunto, &cuerpo), asunto, texto, responder_a: None }
}

/// What a bundle's mail says: the order it became (or why there is none),
/// what was left out, and, after a long sleep, when it was due.
#[derive(Debug, Clone)]
pub struct DatosPaquete {
    pub email: String,
    pub nombre: String,
    pub paquete: String,
    /// "estaba programado para el …", when it went later than its date.
    pub programado_para: Option<String>,
    /// The order, `None` when nothing could go.
    pub pedido: Option<DatosPedido>,
    pub omitidos: Vec<crate::domain::paquete::Omitido>,
    /// Why nothing went.
    pub motivo: Option<String>,
    /// The bundle's next date in words, for scheduled runs.
    pub proxima: Option<String>,
}

/// The merchant's mail for a bundle placed (or not).
pub fn paquete(d: &DatosPaquete) -> Correo {
    let asunto = match &d.pedido {
        Some(p) => format!("Tu paquete «{}» ya es el pedido {}", d.paquete, p.numero),
        None => format!("Tu paquete «{}» no se pudo pedir", d.paquete),
    };
    let mut texto = format!("Hola {}:\n\n", d.nombre);
    let mut cuerpo = format!("<p>Hola {}:</p>", esc(&d.nombre));
    if let Some(cuando) = &d.programado_para {
        let frase = format!("Tu paquete «{}» estaba programado para el {cuando}; lo pedimos ahora.", d.paquete);
        texto.push_str(&format!("{frase}\n"));
        cuerpo.push_str(&format!("<p>{}</p>", esc(&frase)));
    }
    match &d.pedido {
        Some(p) => {
            texto.push_str(&format!("Hicimos el pedido {} con tu paquete «{}»:\n\n", p.numero, d.paquete));
            cuerpo.push_str(&format!(
                "<p>Hicimos el pedido <strong>{}</strong> con tu paquete «{}»:</p>",
                esc(&p.numero),
                esc(&d.paquete)
            ));
            let mut filas = String::new();
            for l in &p.lineas {
                texto.push_str(&format!("  {} x {}  {}\n", l.cantidad, l.nombre, l.subtotal.format_ars()));
                filas.push_str(&format!(
                    "<tr><td>{} × {}</td><td style=\"text-align:right\">{}</td></tr>",
                    l.cantidad,
                    esc(&l.nombre),
                    esc(&l.subtotal.format_ars())
                ));
            }
            if let Some(envio) = &p.envio {
                texto.push_str(&format!("  Envío  {envio}\n"));
                filas.push_str(&format!("<tr><td>Envío</td><td style=\"text-align:right\">{}</td></tr>", esc(envio)));
            }
            texto.push_str(&format!("\nTotal: {}\nDirección de entrega: {}\n", p.total.format_ars(), p.direccion));
            cuerpo.push_str(&format!(
                "<table style=\"width:100%;border-collapse:collapse\">{filas}<tr><td><strong>Total</strong></td>\
                 <td style=\"text-align:right\"><strong>{}</strong></td></tr></table><p><strong>Dirección de entrega:</strong> {}",
                esc(&p.total.format_ars()),
                esc(&p.direccion)
            ));
            if let Some(franja) = &p.franja {
                texto.push_str(&format!("Llega: {franja}\n"));
                cuerpo.push_str(&format!("<br><strong>Llega:</strong> {}", esc(franja)));
            }
            texto.push_str(&format!("Pago: {}\n", p.pago));
            cuerpo.push_str(&format!("<br><strong>Pago:</strong> {}</p>", esc(&p.pago)));
        }
        None => {
            let motivo = d.motivo.as_deref().unwrap_or("ningún producto estaba disponible");
            texto.push_str(&format!("No pudimos hacer el pedido de tu paquete «{}»: {motivo}.\n", d.paquete));
            cuerpo.push_str(&format!(
                "<p>No pudimos hacer el pedido de tu paquete «{}»: {}.</p>",
                esc(&d.paquete),
                esc(motivo)
            ));
        }
    }
    if !d.omitidos.is_empty() {
        texto.push_str("\nQuedaron afuera:\n");
        cuerpo.push_str("<p><strong>Quedaron afuera:</strong></p><ul>");
        for o in &d.omitidos {
            texto.push_str(&format!("  - {}: {}\n", o.nombre, o.motivo));
            cuerpo.push_str(&format!("<li>{}: {}</li>", esc(&o.nombre), esc(&o.motivo)));
        }
        cuerpo.push_str("</ul>");
    }
    if let Some(proxima) = &d.proxima {
        texto.push_str(&format!("\nEl próximo pedido de este paquete sale el {proxima}.\n"));
        cuerpo.push_str(&format!("<p>El próximo pedido de este paquete sale el {}.</p>", esc(proxima)));
    }
    if let Some(p) = &d.pedido {
        texto.push_str(&format!("\nSeguí tu pedido en: {}\n", p.seguimiento));
        cuerpo.push_str(&boton(&p.seguimiento, "Seguir mi pedido"));
    }
    Correo { para: d.email.clone(), html: pagina(&asunto, &cuerpo), asunto, texto, responder_a: None }
}

/// The password reset link (valid one hour, once).
pub fn restablecer(para: &str, enlace: &str) -> Correo {
    let asunto = "Cambiá tu contraseña de Belgrano Ahorro".to_owned();
    let texto = format!(
        "Hola:\n\nPediste cambiar tu contraseña. Entrá a este enlace para elegir una nueva (vale una hora y una sola vez):\n\n\
         {enlace}\n\nSi no lo pediste vos, ignorá este correo: tu contraseña sigue igual.\n"
    );
    let cuerpo = format!(
        "<p>Hola:</p><p>Pediste cambiar tu contraseña. Entrá a este enlace para elegir una nueva \
         (vale una hora y una sola vez):</p>{}<p>Si no lo pediste vos, ignorá este correo: tu contraseña sigue igual.</p>",
        boton(enlace, "Elegir una contraseña nueva")
    );
    Correo { para: para.to_owned(), html: pagina(&asunto, &cuerpo), asunto, texto, responder_a: None }
}

/// A contact form message, to the shop's address, answerable to the visitor.
pub fn contacto(para: &str, nombre: &str, email: &str, mensaje: &str) -> Correo {
    let asunto = format!("Consulta de {nombre} desde la web");
    let texto = format!("{nombre} <{email}> escribió desde /contacto:\n\n{mensaje}\n");
    let cuerpo = format!(
        "<p><strong>{}</strong> &lt;{}&gt; escribió desde la página de contacto:</p>\
         <blockquote style=\"white-space:pre-wrap;border-left:3px solid #ccc;padding-left:.8rem\">{}</blockquote>",
        esc(nombre),
        esc(email),
        esc(mensaje)
    );
    Correo { para: para.to_owned(), html: pagina(&asunto, &cuerpo), asunto, texto, responder_a: Some(email.to_owned()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn datos() -> DatosPedido {
        DatosPedido {
            numero: "PED-20261202-ABCDEFGHJK".into(),
            email: "ana@example.com".into(),
            nombre: "Ana <b>".into(),
            direccion: "Av. Cabildo 1234".into(),
            pago: "Efectivo".into(),
            franja: Some("jueves 3/12, de 15:00 a 18:00".into()),
            envio: Some("$ 1.500".into()),
            lineas: vec![Linea { nombre: "Yerba".into(), cantidad: 2, subtotal: Centavos(300_000) }],
            total: Centavos(300_000),
            seguimiento: "http://localhost:5000/seguimiento/x".into(),
        }
    }

    #[test]
    fn the_confirmation_has_lines_total_address_window_envio_payment_and_link() {
        let c = confirmacion(&datos());
        for part in [&c.texto, &c.html] {
            let needles = [
                "PED-20261202-ABCDEFGHJK",
                "Yerba",
                "Av. Cabildo 1234",
                "Efectivo",
                "jueves 3/12, de 15:00 a 18:00",
                "$ 1.500",
                "/seguimiento/x",
            ];
            for needle in needles {
                assert!(part.contains(needle), "{needle} in {part}");
            }
        }
        assert!(c.html.contains("Ana &lt;b&gt;") && !c.html.contains("Ana <b>"));
    }

    #[test]
    fn only_three_states_are_mailed_and_a_cancellation_says_why() {
        let p = datos();
        assert!(estado(&p, Estado::EnPreparacion, None).is_none());
        assert!(estado(&p, Estado::EnCamino, None).unwrap().asunto.contains("en camino"));
        assert!(estado(&p, Estado::Entregado, None).is_some());
        let c = estado(&p, Estado::Cancelado, Some("sin stock")).unwrap();
        assert!(c.texto.contains("Motivo: sin stock") && c.html.contains("sin stock"));
    }
}
