-- The tables the platform's mechanisms expect, as a service creates them,
-- plus one table of every column type for the statement tests.
CREATE TABLE sessions (
    token_hash TEXT        PRIMARY KEY,
    user_id    BIGINT      NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE login_failures (
    id        BIGSERIAL   PRIMARY KEY,
    email     TEXT        NOT NULL,
    address   TEXT        NOT NULL,
    failed_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE envios (
    id              BIGSERIAL   PRIMARY KEY,
    destino         TEXT        NOT NULL,
    payload         JSONB       NOT NULL,
    status          TEXT        NOT NULL DEFAULT 'pending',
    attempts        INTEGER     NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    claimed_until   TIMESTAMPTZ,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    delivered_at    TIMESTAMPTZ
);
CREATE TABLE recibos (
    envio_id BIGINT PRIMARY KEY,
    nota     TEXT   NOT NULL
);
CREATE TABLE valores (
    id      BIGSERIAL PRIMARY KEY,
    flag    BOOLEAN,
    small   INTEGER,
    big     BIGINT,
    amount  DOUBLE PRECISION,
    label   TEXT UNIQUE,
    at      TIMESTAMPTZ,
    doc     JSONB
);
