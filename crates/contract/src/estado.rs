//! The closed vocabularies of the contract: ticket state, priority, customer
//! kind and payment method. Each parses from exactly its wire spelling.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Generates `as_str`, `ALL`, `Display`, `FromStr` and serde for a wire enum.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $wire)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// The accepted spellings, for error messages.
            pub fn expected() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    other => Err(format!(
                        "{} desconocido '{}': se espera uno de {}",
                        $what, other, Self::expected()
                    )),
                }
            }
        }
    };
}

wire_enum!(
    /// Where a delivery is in its life.
    Estado, "estado" {
        Pendiente => "pendiente",
        EnPreparacion => "en-preparacion",
        EnCamino => "en-camino",
        Entregado => "entregado",
        Cancelado => "cancelado",
    }
);

wire_enum!(
    Prioridad, "prioridad" {
        Alta => "alta",
        Normal => "normal",
        Baja => "baja",
    }
);

wire_enum!(
    TipoCliente, "tipo_cliente" {
        Cliente => "cliente",
        Comerciante => "comerciante",
    }
);

wire_enum!(
    /// Nothing is charged: the method only tells the courier what to expect.
    MetodoPago, "metodo_pago" {
        Efectivo => "efectivo",
        Tarjeta => "tarjeta",
        Transferencia => "transferencia",
        Mercadopago => "mercadopago",
    }
);

impl Estado {
    /// States in which a ticket still counts towards a courier's load.
    pub const OPEN: &'static [Estado] = &[Estado::Pendiente, Estado::EnPreparacion, Estado::EnCamino];

    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }

    pub fn is_final(self) -> bool {
        matches!(self, Estado::Entregado | Estado::Cancelado)
    }

    /// The next step forward, if any:
    /// `pendiente → en-preparacion → en-camino → entregado`.
    pub fn next(self) -> Option<Estado> {
        match self {
            Estado::Pendiente => Some(Estado::EnPreparacion),
            Estado::EnPreparacion => Some(Estado::EnCamino),
            Estado::EnCamino => Some(Estado::Entregado),
            Estado::Entregado | Estado::Cancelado => None,
        }
    }

    /// Whether `self → to` is allowed: one step forward, or any non-final
    /// state to `cancelado`.
    pub fn can_become(self, to: Estado) -> bool {
        if self.is_final() {
            return false;
        }
        to == Estado::Cancelado || self.next() == Some(to)
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Estado::Pendiente => "Pendiente",
            Estado::EnPreparacion => "En preparación",
            Estado::EnCamino => "En camino",
            Estado::Entregado => "Entregado",
            Estado::Cancelado => "Cancelado",
        }
    }
}

impl TipoCliente {
    /// A merchant's order is always urgent, as in the old system.
    pub fn forced_prioridad(self) -> Option<Prioridad> {
        match self {
            TipoCliente::Comerciante => Some(Prioridad::Alta),
            TipoCliente::Cliente => None,
        }
    }
}

impl MetodoPago {
    pub fn label(self) -> &'static str {
        match self {
            MetodoPago::Efectivo => "Efectivo",
            MetodoPago::Tarjeta => "Tarjeta",
            MetodoPago::Transferencia => "Transferencia",
            MetodoPago::Mercadopago => "Mercado Pago",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_wire_spellings() {
        assert_eq!("en-camino".parse::<Estado>(), Ok(Estado::EnCamino));
        assert!("en_camino".parse::<Estado>().is_err());
        assert!("Pendiente".parse::<Estado>().is_err());
        assert_eq!(serde_json::to_string(&Estado::EnPreparacion).unwrap(), "\"en-preparacion\"");
        assert_eq!("mercadopago".parse::<MetodoPago>(), Ok(MetodoPago::Mercadopago));
    }

    #[test]
    fn transitions_follow_the_lifecycle() {
        use Estado::*;
        assert!(Pendiente.can_become(EnPreparacion));
        assert!(EnPreparacion.can_become(EnCamino));
        assert!(EnCamino.can_become(Entregado));
        assert!(Pendiente.can_become(Cancelado));
        assert!(EnCamino.can_become(Cancelado));
        assert!(!Pendiente.can_become(Entregado));
        assert!(!EnCamino.can_become(Pendiente));
        assert!(!Entregado.can_become(Cancelado));
        assert!(!Cancelado.can_become(Pendiente));
        assert!(!Pendiente.can_become(Pendiente));
    }
}
