//! The command line of a service's binary, the same in all three: settings
//! come from the environment, so the only arguments are `--help` (what the
//! binary does and every variable it reads, with its default and meaning)
//! and `--version`. Either prints and exits 0 without binding a port; any
//! other argument is an error (exit status 2), so a typo never starts a
//! server that ignores it.

use std::fmt::Write;

/// One environment variable a binary reads.
#[derive(Debug, Clone, Copy)]
pub struct Var {
    pub name: &'static str,
    /// What happens when it is unset ("—" when nothing does).
    pub default: &'static str,
    pub meaning: &'static str,
}

/// What `--help` says about a binary.
#[derive(Debug, Clone, Copy)]
pub struct About {
    /// The binary's name (`tickets`).
    pub binary: &'static str,
    pub version: &'static str,
    /// One paragraph: what it is and does.
    pub summary: &'static str,
    /// Groups of variables (the service's own, then [`COMMON_VARS`]).
    pub vars: &'static [&'static [Var]],
}

/// What the arguments ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// No arguments: run the service.
    Serve,
    /// Print this and exit 0.
    Print(String),
    /// Print this to stderr and exit 2.
    Refuse(String),
}

impl About {
    pub fn help(&self) -> String {
        let mut out = format!("{} {}\n\n{}\n\n", self.binary, self.version, self.summary);
        let _ = writeln!(out, "Uso: {} [--help | --version]\n", self.binary);
        out.push_str("Se configura con variables de entorno:\n");
        let width = self.vars.iter().flat_map(|g| g.iter()).map(|v| v.name.len()).max().unwrap_or(0);
        for var in self.vars.iter().flat_map(|g| g.iter()) {
            let _ = writeln!(out, "  {:width$}  {}", var.name, var.meaning);
            let _ = writeln!(out, "  {:width$}  (por defecto: {})", "", var.default);
        }
        out
    }

    /// Reads the arguments (without the program name).
    pub fn parse(&self, args: impl IntoIterator<Item = String>) -> Command {
        let args: Vec<String> = args.into_iter().collect();
        match args.as_slice() {
            [] => Command::Serve,
            [one] if one == "--help" || one == "-h" => Command::Print(self.help()),
            [one] if one == "--version" || one == "-V" => Command::Print(format!("{} {}\n", self.binary, self.version)),
            _ => Command::Refuse(format!(
                "{}: argumento no reconocido: {}\nLa configuración va en variables de entorno: {} --help\n",
                self.binary,
                args.join(" "),
                self.binary
            )),
        }
    }

    /// For `main`: returns when the service should run; otherwise prints
    /// and exits.
    pub fn handle_process_args(&self) {
        match self.parse(std::env::args().skip(1)) {
            Command::Serve => {}
            Command::Print(text) => {
                print!("{text}");
                std::process::exit(0);
            }
            Command::Refuse(text) => {
                eprint!("{text}");
                std::process::exit(2);
            }
        }
    }
}

/// The variables both services read through `crate::config::Vars`.
pub const COMMON_VARS: &[Var] = &[
    Var { name: "HOST", default: "0.0.0.0", meaning: "dirección en la que escucha (127.0.0.1: sólo esta máquina)" },
    Var {
        name: "RENDER_ENVIRONMENT",
        default: "development",
        meaning: "production o development; production exige secretos propios y no deja entrar cuentas de demostración",
    },
    Var {
        name: "BELGRANO_AHORRO_API_KEY",
        default: "en desarrollo, la clave pública del sistema anterior; en producción es obligatoria",
        meaning: "clave compartida entre los servicios (X-API-Key), de 32 caracteres o más; varias separadas por comas",
    },
    Var { name: "RUST_LOG", default: "info,sqlx=warn", meaning: "filtro de los registros (JSON en producción)" },
];

#[cfg(test)]
mod tests {
    use super::*;

    const ABOUT: About = About {
        binary: "prueba",
        version: "1.2.3",
        summary: "Un servicio de prueba.",
        vars: &[&[Var { name: "PORT", default: "5000", meaning: "puerto HTTP" }]],
    };

    #[test]
    fn help_version_and_nothing_else() {
        assert_eq!(ABOUT.parse(Vec::<String>::new()), Command::Serve);
        let Command::Print(help) = ABOUT.parse(["--help".to_owned()]) else { panic!() };
        assert!(help.contains("PORT") && help.contains("5000") && help.contains("puerto HTTP"), "{help}");
        assert_eq!(ABOUT.parse(["--version".to_owned()]), Command::Print("prueba 1.2.3\n".into()));
        assert!(matches!(ABOUT.parse(["--port=1".to_owned()]), Command::Refuse(e) if e.contains("--port=1")));
        assert!(matches!(ABOUT.parse(["--help".to_owned(), "x".to_owned()]), Command::Refuse(_)));
    }
}
