//! People who use the desk: admins (who also manage staff), dispatchers
//! (`despacho`) and couriers (`flota`), and who a change to a ticket is
//! attributed to.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A dispatcher who also manages staff (`/usuarios`); the account of
    /// `ADMIN_EMAIL` is one.
    Admin,
    /// A dispatcher: sees and changes every ticket.
    Despacho,
    /// A courier: sees and moves only their own tickets.
    Flota,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Despacho => "despacho",
            Role::Flota => "flota",
        }
    }

    pub fn parse(raw: &str) -> Option<Role> {
        match raw {
            "admin" => Some(Role::Admin),
            "despacho" => Some(Role::Despacho),
            "flota" => Some(Role::Flota),
            _ => None,
        }
    }
}

/// An account as the rest of the service sees it (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Usuario {
    pub id: i64,
    pub email: String,
    pub nombre: String,
    pub telefono: Option<String>,
    pub role: Role,
    pub activo: bool,
    /// Couriers only: takes new tickets.
    pub disponible: bool,
}

impl Usuario {
    /// Dispatchers see the whole desk; pages and the layout ask this.
    pub fn is_dispatcher(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Despacho)
    }

    /// Admins manage staff.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// Who is making a change to a ticket: recorded in its history and used for
/// permission checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// Another service or script holding the API key.
    Service,
    Dispatcher {
        id: i64,
        nombre: String,
    },
    Courier {
        id: i64,
        nombre: String,
    },
}

impl Actor {
    pub fn from_user(user: &Usuario) -> Self {
        match user.role {
            Role::Admin | Role::Despacho => Actor::Dispatcher { id: user.id, nombre: user.nombre.clone() },
            Role::Flota => Actor::Courier { id: user.id, nombre: user.nombre.clone() },
        }
    }

    /// How the history names this actor.
    pub fn label(&self) -> String {
        match self {
            Actor::Service => "sistema (API)".to_owned(),
            Actor::Dispatcher { nombre, .. } => format!("{nombre} (despacho)"),
            Actor::Courier { nombre, .. } => format!("{nombre} (repartidor)"),
        }
    }
}
