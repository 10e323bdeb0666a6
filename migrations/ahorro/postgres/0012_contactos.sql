-- Messages from the contact form (/contacto), kept for the back office
-- (/admin/mensajes) in the transaction that queues their mail to
-- CONTACT_EMAIL, so a message is never mailed without being kept nor kept
-- without being mailed. `direccion` is the client's address (abuse only).
-- `respondido_at` is set by staff once answered.
CREATE TABLE contactos (
    id            BIGSERIAL   PRIMARY KEY,
    nombre        TEXT        NOT NULL,
    email         TEXT        NOT NULL,
    mensaje       TEXT        NOT NULL,
    usuario_id    BIGINT      REFERENCES usuarios (id) ON DELETE SET NULL,
    direccion     TEXT        NOT NULL,
    creado_at     TIMESTAMPTZ NOT NULL,
    respondido_at TIMESTAMPTZ,
    respondido_por TEXT
);
CREATE INDEX contactos_por_email ON contactos (email);
