-- The outbox in the platform's shape (belgrano_platform::outbox): English
-- mechanical columns and statuses pending | delivered | failed, the order's
-- pedido_id and numero beside them. Every row is kept; the due index
-- (outbox_due) follows the renamed columns.

ALTER TABLE outbox RENAME COLUMN estado TO status;
ALTER TABLE outbox RENAME COLUMN intentos TO attempts;
ALTER TABLE outbox RENAME COLUMN proximo_intento TO next_attempt_at;
ALTER TABLE outbox RENAME COLUMN bloqueado_hasta TO claimed_until;
ALTER TABLE outbox RENAME COLUMN ultimo_error TO last_error;
ALTER TABLE outbox RENAME COLUMN fecha_creacion TO created_at;
ALTER TABLE outbox RENAME COLUMN fecha_entrega TO delivered_at;

UPDATE outbox SET status = CASE status WHEN 'pendiente' THEN 'pending'
                                       WHEN 'entregado' THEN 'delivered'
                                       WHEN 'fallido' THEN 'failed'
                                       ELSE status END;
ALTER TABLE outbox ALTER COLUMN status SET DEFAULT 'pending';
