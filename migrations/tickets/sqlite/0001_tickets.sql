-- Belgrano Tickets, SQLite. Timestamps are UTC text in RFC 3339 with six
-- fractional digits (written by the application), so they sort as text.

CREATE TABLE users (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    email            TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    nombre           TEXT    NOT NULL,
    telefono         TEXT,
    role             TEXT    NOT NULL CHECK (role IN ('admin', 'flota')),
    password_hash    TEXT,
    activo           INTEGER NOT NULL DEFAULT 1,
    disponible       INTEGER NOT NULL DEFAULT 1,
    -- Tie-break of the assignment strategy: least recently assigned first.
    last_assigned_at TEXT,
    created_at       TEXT    NOT NULL
);

CREATE TABLE tickets (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    numero             TEXT    NOT NULL UNIQUE,
    cliente_nombre     TEXT    NOT NULL,
    cliente_direccion  TEXT,
    cliente_telefono   TEXT,
    cliente_email      TEXT,
    productos          TEXT    NOT NULL,
    productos_count    INTEGER NOT NULL,
    total_centavos     INTEGER NOT NULL CHECK (total_centavos >= 0),
    metodo_pago        TEXT,
    estado             TEXT    NOT NULL,
    prioridad          TEXT    NOT NULL,
    indicaciones       TEXT,
    tipo_cliente       TEXT    NOT NULL,
    repartidor_id      INTEGER REFERENCES users (id),
    notas_repartidor   TEXT,
    motivo_cancelacion TEXT,
    -- SHA-256 of the validated intake body: a repeat with the same numero
    -- is the same order only if this matches.
    payload_hash       TEXT    NOT NULL,
    request_id         TEXT,
    version            INTEGER NOT NULL DEFAULT 1,
    fecha_creacion     TEXT    NOT NULL,
    fecha_asignacion   TEXT,
    fecha_en_camino    TEXT,
    fecha_entrega      TEXT,
    fecha_actualizacion TEXT   NOT NULL
);

CREATE INDEX tickets_by_courier_state ON tickets (repartidor_id, estado);
CREATE INDEX tickets_by_state ON tickets (estado);
CREATE INDEX tickets_by_date ON tickets (fecha_creacion);

-- Every change, in order. `seq` is the sequence number clients catch up by.
CREATE TABLE events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT    NOT NULL,
    ticket_id     INTEGER NOT NULL,
    repartidor_id INTEGER,
    payload       TEXT    NOT NULL,
    created_at    TEXT    NOT NULL
);
