//! The binary's command line: `--help` and `--version` print and exit 0
//! without starting anything; anything else is refused.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_ahorro");

#[test]
fn help_lists_every_variable_and_starts_nothing() {
    // A port no server may take: if --help started the service it would fail loudly.
    let output = Command::new(BIN).arg("--help").env("PORT", "1").output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for var in [
        "PORT",
        "DATABASE_URL",
        "BELGRANO_AHORRO_API_KEY",
        "TICKETERA_URL",
        "SECRET_KEY",
        "CHECKOUT_WAIT_MS",
        "OUTBOX_LEASE_SECS",
        "PAQUETES_INTERVALO_SEGUNDOS",
        "CLOCK_FILE",
        "RENDER_ENVIRONMENT",
        "HOST",
    ] {
        assert!(help.contains(var), "{var} missing from --help:\n{help}");
    }
    let version = Command::new(BIN).arg("--version").output().unwrap();
    assert!(version.status.success());
    assert_eq!(String::from_utf8(version.stdout).unwrap(), format!("ahorro {}\n", env!("CARGO_PKG_VERSION")));
    let wrong = Command::new(BIN).arg("--puerto=80").output().unwrap();
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("--puerto=80"));
}
