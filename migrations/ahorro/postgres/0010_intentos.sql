-- Failed delivery attempts as Tickets reports them (its ticket goes back to
-- pendiente): how many so far and the last one's reason, for the order and
-- tracking pages; the count also keys the "no pudimos entregarlo" mail.
ALTER TABLE pedidos ADD COLUMN intentos_fallidos BIGINT NOT NULL DEFAULT 0;
ALTER TABLE pedidos ADD COLUMN motivo_intento TEXT;
