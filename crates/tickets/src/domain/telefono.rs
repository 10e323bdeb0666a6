//! A customer's phone as typed ("011 15-5555-1234", "+54 9 11 5555 1234")
//! to links that work from a courier's phone in Argentina: `tel:` in
//! international form and WhatsApp's `wa.me`. A number that does not parse
//! is kept as typed, without links, rather than as a link that dials
//! nothing.

use phonenumber::country::Id as Pais;
use phonenumber::{Mode, PhoneNumber};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Telefono {
    /// As the customer typed it.
    pub texto: String,
    /// `tel:+5491155551234`.
    pub tel: Option<String>,
    /// `https://wa.me/5491155551234`.
    pub whatsapp: Option<String>,
}

/// Reads `typed` as an Argentine number unless it says otherwise (`+598…`).
pub fn telefono(typed: &str) -> Telefono {
    let texto = typed.trim().to_owned();
    let Some(number) = parse(&texto) else {
        return Telefono { texto, tel: None, whatsapp: None };
    };
    let e164 = number.format().mode(Mode::E164).to_string();
    let digits: String = e164.chars().filter(char::is_ascii_digit).collect();
    let whatsapp = if number.code().value() == 54 {
        // WhatsApp knows Argentine mobiles as 54 9 + area + number (no 15);
        // people write mobiles without the 15 as often as with it, so every
        // Argentine number gets the mobile form (a landline just is not on
        // WhatsApp).
        let national = number.national().value().to_string();
        let national = national.strip_prefix('9').unwrap_or(&national);
        format!("549{national}")
    } else {
        digits
    };
    Telefono { texto, tel: Some(format!("tel:{e164}")), whatsapp: Some(format!("https://wa.me/{whatsapp}")) }
}

fn parse(texto: &str) -> Option<PhoneNumber> {
    if texto.is_empty() || !texto.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let number = phonenumber::parse(Some(Pais::AR), texto).ok()?;
    phonenumber::is_valid(&number).then_some(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(typed: &str) -> (Option<String>, Option<String>) {
        let t = telefono(typed);
        assert_eq!(t.texto, typed.trim());
        (t.tel, t.whatsapp)
    }

    #[test]
    fn argentine_mobiles_as_people_type_them() {
        for typed in ["011 15-5555-1234", "+54 9 11 5555 1234", "11 15 5555-1234", "+5491155551234"] {
            assert_eq!(
                links(typed),
                (Some("tel:+5491155551234".into()), Some("https://wa.me/5491155551234".into())),
                "{typed}"
            );
        }
    }

    #[test]
    fn numbers_without_the_15_keep_their_tel_and_get_the_mobile_whatsapp_form() {
        for typed in ["11 5555-1234", "011-5555-1234", "(011) 5555-1234"] {
            assert_eq!(
                links(typed),
                (Some("tel:+541155551234".into()), Some("https://wa.me/5491155551234".into())),
                "{typed}"
            );
        }
    }

    #[test]
    fn other_areas_and_countries() {
        assert_eq!(
            links("0351 15-555-1234"),
            (Some("tel:+5493515551234".into()), Some("https://wa.me/5493515551234".into()))
        );
        assert_eq!(
            links("+598 94 123 456"),
            (Some("tel:+59894123456".into()), Some("https://wa.me/59894123456".into()))
        );
    }

    #[test]
    fn what_does_not_parse_stays_as_typed_without_links() {
        for typed in ["llamar al portero", "123", "", "  ", "15"] {
            assert_eq!(links(typed), (None, None), "{typed}");
        }
    }
}
