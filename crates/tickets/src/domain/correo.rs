//! What the desk mails: today only the password reset link (dispatchers
//! and couriers), in the desk's Spanish (*usted*).

use belgrano_platform::mail::{Correo, html_escape as esc};

pub fn restablecer(para: &str, enlace: &str) -> Correo {
    let asunto = "Cambio de contraseña de Belgrano Tickets".to_owned();
    let texto = format!(
        "Hola:\n\nSe pidió cambiar la contraseña de su cuenta de Belgrano Tickets. Entre a este enlace para \
         elegir una nueva (vale una hora y una sola vez):\n\n{enlace}\n\nSi no lo pidió usted, ignore este correo: \
         su contraseña sigue igual.\n"
    );
    let html = format!(
        "<!doctype html><html lang=\"es-AR\"><head><meta charset=\"utf-8\"><title>{a}</title></head>\
         <body style=\"font-family:Arial,Helvetica,sans-serif;max-width:36rem;margin:0 auto;padding:1rem\">\
         <h1 style=\"font-size:1.2rem\">{a}</h1><p>Hola:</p><p>Se pidió cambiar la contraseña de su cuenta de \
         Belgrano Tickets. Entre a este enlace para elegir una nueva (vale una hora y una sola vez):</p>\
         <p><a href=\"{e}\">Elegir una contraseña nueva</a></p><p style=\"font-size:.85rem\">{e}</p>\
         <p>Si no lo pidió usted, ignore este correo: su contraseña sigue igual.</p></body></html>",
        a = esc(&asunto),
        e = esc(enlace)
    );
    Correo { para: para.to_owned(), asunto, texto, html, responder_a: None }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_link_is_in_both_parts() {
        let c = super::restablecer("d@x.com", "http://x/password/nueva/abc");
        assert!(c.texto.contains("http://x/password/nueva/abc") && c.html.contains("http://x/password/nueva/abc"));
    }
}
