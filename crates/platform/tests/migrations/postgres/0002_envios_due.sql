-- The due index every outbox table has in the services (correos_due, outbox_due, ...),
-- so the claim's plan can be checked here as it runs there.
CREATE INDEX envios_due ON envios (status, next_attempt_at);
