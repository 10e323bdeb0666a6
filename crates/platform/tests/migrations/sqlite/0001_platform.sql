-- The tables the platform's mechanisms expect, as a service creates them,
-- plus one table of every column type for the statement tests.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL,
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL
);
CREATE TABLE login_failures (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    email     TEXT NOT NULL,
    address   TEXT NOT NULL,
    failed_at TEXT NOT NULL
);
CREATE TABLE envios (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    destino         TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    claimed_until   TEXT,
    last_error      TEXT,
    created_at      TEXT    NOT NULL,
    delivered_at    TEXT
);
CREATE TABLE recibos (
    envio_id INTEGER PRIMARY KEY,
    nota     TEXT NOT NULL
);
CREATE TABLE valores (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    flag    BOOLEAN,
    small   INTEGER,
    big     INTEGER,
    amount  REAL,
    label   TEXT UNIQUE,
    at      TEXT,
    doc     TEXT
);
