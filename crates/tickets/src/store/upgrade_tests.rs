//! Upgrading a desk that already holds data: migration 0008 rebuilds
//! SQLite's `usuarios` (to widen the role CHECK), and nothing that points
//! at an account may be lost on the way.

use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

use belgrano_platform::db::sql;

use super::{SQLITE_MIGRATIONS, Store};

const NOW: &str = "2026-12-01T12:00:00.000000Z";

#[tokio::test]
async fn rebuilding_usuarios_keeps_sessions_assignments_and_reset_links() {
    let dir = std::env::temp_dir().join(format!("belgrano-upgrade-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tickets.db");
    let _ = std::fs::remove_file(&path);
    let url = format!("sqlite://{}", path.display());

    // A desk as migration 0007 left it, with foreign keys on as the store runs.
    let options = SqliteConnectOptions::from_str(&url).unwrap().create_if_missing(true).foreign_keys(true);
    let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await.unwrap();
    SQLITE_MIGRATIONS.run_to(7, &pool).await.unwrap();
    for statement in [
        "INSERT INTO usuarios (id, email, nombre, role, created_at, open_tickets) VALUES (7, 'r@x.ar', 'Rita', 'flota', '2026-01-01', 1)",
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ('h', 7, '2026-01-01', '2099-01-01')",
        "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ('p', 7, '2026-01-01', '2099-01-01')",
    ] {
        sqlx::query(statement).execute(&pool).await.unwrap();
    }
    sqlx::query(
        "INSERT INTO tickets (numero, cliente_nombre, productos, productos_count, total_centavos, estado, prioridad,
                              tipo_cliente, repartidor_id, payload_hash, fecha_creacion, fecha_actualizacion)
         VALUES ('PED-1', 'Ana', '[]', 0, 100, 'pendiente', 'normal', 'cliente', 7, 'x', $1, $1)",
    )
    .bind(NOW)
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    // The service starts on it and migrates the rest.
    let store = Store::connect(&url).await.unwrap();
    let read = |q: &'static str| {
        let store = store.clone();
        async move {
            let (n,): (i64,) = sql(q).fetch_one(store.db().read()).await.unwrap();
            n
        }
    };
    assert_eq!(read("SELECT COUNT(*) FROM sessions WHERE user_id = 7").await, 1, "the session survived");
    assert_eq!(read("SELECT COUNT(*) FROM password_resets WHERE user_id = 7").await, 1, "the reset link survived");
    assert_eq!(read("SELECT repartidor_id FROM tickets WHERE numero = 'PED-1'").await, 7);
    assert_eq!(read("SELECT open_tickets FROM usuarios WHERE id = 7").await, 1);
    assert_eq!(read("SELECT COUNT(*) FROM pragma_foreign_key_check").await, 0);
    let ticket = store.ticket(1).await.unwrap().expect("the ticket reads back");
    assert_eq!((ticket.repartidor.as_deref(), ticket.intentos_fallidos), (Some("Rita"), 0));

    // The new role is allowed, and only the three roles are.
    let insert = |role: &'static str| {
        let store = store.clone();
        async move {
            sql("INSERT INTO usuarios (email, nombre, role, created_at) VALUES ($1, 'D', $2, '2026-01-01')")
                .bind(format!("{role}@x.ar"))
                .bind(role)
                .execute(store.db().write())
                .await
        }
    };
    assert!(insert("despacho").await.is_ok());
    assert!(insert("jefe").await.is_err());
    // Foreign keys are on again: a session for nobody is refused.
    let orphan = sql("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ('o', 999, 'a', 'b')")
        .execute(store.db().write())
        .await;
    assert!(orphan.is_err(), "foreign keys are enforced after the upgrade");
    let _ = std::fs::remove_dir_all(&dir);
}
