-- Belgrano Tickets, PostgreSQL.

CREATE TABLE users (
    id               BIGSERIAL PRIMARY KEY,
    email            TEXT        NOT NULL,
    nombre           TEXT        NOT NULL,
    telefono         TEXT,
    role             TEXT        NOT NULL CHECK (role IN ('admin', 'flota')),
    password_hash    TEXT,
    activo           BOOLEAN     NOT NULL DEFAULT TRUE,
    disponible       BOOLEAN     NOT NULL DEFAULT TRUE,
    -- Tie-break of the assignment strategy: least recently assigned first.
    last_assigned_at TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

CREATE TABLE tickets (
    id                 BIGSERIAL PRIMARY KEY,
    numero             TEXT        NOT NULL UNIQUE,
    cliente_nombre     TEXT        NOT NULL,
    cliente_direccion  TEXT,
    cliente_telefono   TEXT,
    cliente_email      TEXT,
    productos          JSONB       NOT NULL,
    productos_count    INTEGER     NOT NULL,
    total_centavos     BIGINT      NOT NULL CHECK (total_centavos >= 0),
    metodo_pago        TEXT,
    estado             TEXT        NOT NULL,
    prioridad          TEXT        NOT NULL,
    indicaciones       TEXT,
    tipo_cliente       TEXT        NOT NULL,
    repartidor_id      BIGINT REFERENCES users (id),
    notas_repartidor   TEXT,
    motivo_cancelacion TEXT,
    -- SHA-256 of the validated intake body: a repeat with the same numero
    -- is the same order only if this matches.
    payload_hash       TEXT        NOT NULL,
    request_id         TEXT,
    version            BIGINT      NOT NULL DEFAULT 1,
    fecha_creacion     TIMESTAMPTZ NOT NULL,
    fecha_asignacion   TIMESTAMPTZ,
    fecha_en_camino    TIMESTAMPTZ,
    fecha_entrega      TIMESTAMPTZ,
    fecha_actualizacion TIMESTAMPTZ NOT NULL
);

CREATE INDEX tickets_by_courier_state ON tickets (repartidor_id, estado);
CREATE INDEX tickets_by_state ON tickets (estado);
CREATE INDEX tickets_by_date ON tickets (fecha_creacion);

-- Every change, in order. `seq` is the sequence number clients catch up by.
-- Writers take the intake advisory lock, so seq order is commit order.
CREATE TABLE events (
    seq           BIGSERIAL PRIMARY KEY,
    kind          TEXT        NOT NULL,
    ticket_id     BIGINT      NOT NULL,
    repartidor_id BIGINT,
    payload       JSONB       NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
