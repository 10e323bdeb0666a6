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

    /// How the staff pages name the role.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administración",
            Role::Despacho => "Despacho",
            Role::Flota => "Repartidor",
        }
    }

    /// Every role, in the order the staff form offers them.
    pub const ALL: [Role; 3] = [Role::Flota, Role::Despacho, Role::Admin];

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

/// What an admin is about to do to a person's account that could lock
/// them out of staff management.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffChange {
    Deactivate,
    SetRole(Role),
}

/// An admin may not deactivate or demote themselves: they would lose the
/// page they are on (the last active admin is guarded by the store, which
/// sees every account under the lock).
pub fn refuse_own(me: &Usuario, target: &Usuario, change: StaffChange) -> Result<(), &'static str> {
    if me.id != target.id {
        return Ok(());
    }
    match change {
        StaffChange::Deactivate => Err("No puede desactivar su propia cuenta; pídaselo a otro administrador."),
        StaffChange::SetRole(Role::Admin) => Ok(()),
        StaffChange::SetRole(_) => Err("No puede quitarse el rol de administración; pídaselo a otro administrador."),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64, role: Role) -> Usuario {
        Usuario {
            id,
            email: format!("u{id}@belgrano.local"),
            nombre: format!("U{id}"),
            telefono: None,
            role,
            activo: true,
            disponible: true,
        }
    }

    #[test]
    fn roles_round_trip_and_have_spanish_labels() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert!(!role.label().is_empty());
        }
        assert_eq!(Role::parse("Admin"), None);
        assert!(user(1, Role::Despacho).is_dispatcher() && !user(1, Role::Despacho).is_admin());
        assert!(!user(1, Role::Flota).is_dispatcher());
    }

    #[test]
    fn an_admin_cannot_deactivate_or_demote_themselves() {
        let me = user(1, Role::Admin);
        assert!(refuse_own(&me, &me, StaffChange::Deactivate).is_err());
        assert!(refuse_own(&me, &me, StaffChange::SetRole(Role::Despacho)).is_err());
        assert!(refuse_own(&me, &me, StaffChange::SetRole(Role::Flota)).is_err());
        assert!(refuse_own(&me, &me, StaffChange::SetRole(Role::Admin)).is_ok());
        let other = user(2, Role::Admin);
        assert!(refuse_own(&me, &other, StaffChange::Deactivate).is_ok());
        assert!(refuse_own(&me, &other, StaffChange::SetRole(Role::Flota)).is_ok());
    }
}
