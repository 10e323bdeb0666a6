//! What the courier collects at the door, as the action they take:
//! "Cobrar $ 6.120 en efectivo · paga con $ 10.000 · llevar $ 3.880 de
//! vuelto". Nothing is charged online: every method is collected on
//! delivery (card on the posnet, transfer, Mercado Pago's QR).

use belgrano_contract::ticket::Cobro;
use belgrano_contract::{Centavos, MetodoPago};

/// The phrase for a ticket: its `cobro` when it came with one, else its
/// total and `metodo_pago` (old clients send only those).
pub fn frase_cobro(cobro: Option<&Cobro>, total: Centavos, metodo_pago: Option<MetodoPago>) -> String {
    let (metodo, monto, paga_con, vuelto) = match cobro {
        Some(c) => (Some(c.metodo), c.monto, c.paga_con, c.vuelto),
        None => (metodo_pago, total, None, None),
    };
    let monto_texto = monto.format_ars();
    let Some(metodo) = metodo else {
        return format!("Cobrar {monto_texto} (medio de pago sin indicar)");
    };
    match metodo {
        MetodoPago::Efectivo => {
            let mut frase = format!("Cobrar {monto_texto} en efectivo");
            if let Some(paga_con) = paga_con {
                frase.push_str(&format!(" · paga con {}", paga_con.format_ars()));
                // Ahorro sends the change; an older client may send only what
                // the customer pays with, and the courier still needs it.
                let vuelto = vuelto.or_else(|| (paga_con >= monto).then(|| Centavos(paga_con.0 - monto.0)));
                match vuelto {
                    Some(Centavos(0)) => frase.push_str(" · sin vuelto"),
                    Some(v) => frase.push_str(&format!(" · llevar {} de vuelto", v.format_ars())),
                    None => {}
                }
            }
            frase
        }
        MetodoPago::Tarjeta => format!("Cobrar {monto_texto} con tarjeta (posnet)"),
        MetodoPago::Transferencia => format!("Cobrar {monto_texto} por transferencia"),
        MetodoPago::Mercadopago => format!("Cobrar {monto_texto} con QR de Mercado Pago"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cobro(metodo: MetodoPago, monto: i64, paga_con: Option<i64>, vuelto: Option<i64>) -> Cobro {
        Cobro {
            metodo,
            monto: Centavos(monto * 100),
            paga_con: paga_con.map(|p| Centavos(p * 100)),
            vuelto: vuelto.map(|v| Centavos(v * 100)),
        }
    }

    #[test]
    fn cash_with_what_the_customer_pays_and_the_change() {
        let c = cobro(MetodoPago::Efectivo, 6120, Some(10000), Some(3880));
        assert_eq!(
            frase_cobro(Some(&c), Centavos(0), None),
            "Cobrar $ 6.120 en efectivo · paga con $ 10.000 · llevar $ 3.880 de vuelto"
        );
    }

    #[test]
    fn the_change_is_worked_out_when_only_paga_con_came() {
        let c = cobro(MetodoPago::Efectivo, 6120, Some(10000), None);
        assert_eq!(
            frase_cobro(Some(&c), Centavos(0), None),
            "Cobrar $ 6.120 en efectivo · paga con $ 10.000 · llevar $ 3.880 de vuelto"
        );
        let exacto = cobro(MetodoPago::Efectivo, 6120, Some(6120), None);
        assert_eq!(
            frase_cobro(Some(&exacto), Centavos(0), None),
            "Cobrar $ 6.120 en efectivo · paga con $ 6.120 · sin vuelto"
        );
        let sin_dato = cobro(MetodoPago::Efectivo, 6120, None, None);
        assert_eq!(frase_cobro(Some(&sin_dato), Centavos(0), None), "Cobrar $ 6.120 en efectivo");
    }

    #[test]
    fn card_transfer_and_mercado_pago_are_collected_at_the_door() {
        let f = |m| frase_cobro(Some(&cobro(m, 6120, None, None)), Centavos(0), None);
        assert_eq!(f(MetodoPago::Tarjeta), "Cobrar $ 6.120 con tarjeta (posnet)");
        assert_eq!(f(MetodoPago::Transferencia), "Cobrar $ 6.120 por transferencia");
        assert_eq!(f(MetodoPago::Mercadopago), "Cobrar $ 6.120 con QR de Mercado Pago");
    }

    #[test]
    fn without_cobro_the_total_and_metodo_pago() {
        assert_eq!(
            frase_cobro(None, Centavos(180050), Some(MetodoPago::Tarjeta)),
            "Cobrar $ 1.800,50 con tarjeta (posnet)"
        );
        assert_eq!(frase_cobro(None, Centavos(13000), None), "Cobrar $ 130 (medio de pago sin indicar)");
    }
}
