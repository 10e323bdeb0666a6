-- The outbox in the platform's shape (belgrano_platform::outbox): English
-- mechanical columns and statuses pending | delivered | failed, the order's
-- pedido_id and numero beside them. SQLite cannot rename its way there
-- cleanly, so the table is rebuilt with every row kept.

CREATE TABLE outbox_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pedido_id INTEGER NOT NULL UNIQUE REFERENCES pedidos(id),
    numero TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_until TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    delivered_at TEXT
);

INSERT INTO outbox_new (id, pedido_id, numero, payload, status, attempts, next_attempt_at, claimed_until,
                        last_error, created_at, delivered_at)
SELECT id, pedido_id, numero, payload,
       CASE estado WHEN 'pendiente' THEN 'pending'
                   WHEN 'entregado' THEN 'delivered'
                   WHEN 'fallido' THEN 'failed'
                   ELSE estado END,
       intentos, proximo_intento, bloqueado_hasta, ultimo_error, fecha_creacion, fecha_entrega
  FROM outbox;

DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
