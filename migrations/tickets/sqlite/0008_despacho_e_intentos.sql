-- no-transaction
-- Staff gain a third role, `despacho` (dispatch without managing
-- staff; `admin` manages staff too).
--
-- SQLite cannot change a CHECK in place: `usuarios` is rebuilt as its
-- documented procedure says, with foreign keys off so that dropping the old
-- table neither cascades to sessions nor trips the tickets' references (the
-- ids are kept, so every reference holds again afterwards). Without a
-- transaction of sqlx's own (a pragma on foreign keys is ignored inside
-- one), the rebuild runs in its own; run twice, it leaves the same table.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE usuarios_nueva (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    email            TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    nombre           TEXT    NOT NULL,
    telefono         TEXT,
    role             TEXT    NOT NULL CHECK (role IN ('admin', 'despacho', 'flota')),
    password_hash    TEXT,
    activo           INTEGER NOT NULL DEFAULT 1,
    disponible       INTEGER NOT NULL DEFAULT 1,
    last_assigned_at TEXT,
    created_at       TEXT    NOT NULL,
    open_tickets     INTEGER NOT NULL DEFAULT 0
);
INSERT INTO usuarios_nueva (id, email, nombre, telefono, role, password_hash, activo, disponible,
                            last_assigned_at, created_at, open_tickets)
     SELECT id, email, nombre, telefono, role, password_hash, activo, disponible,
            last_assigned_at, created_at, open_tickets
       FROM usuarios;
DROP TABLE usuarios;
ALTER TABLE usuarios_nueva RENAME TO usuarios;
COMMIT;
PRAGMA foreign_keys = ON;
