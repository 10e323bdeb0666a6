-- A failed delivery attempt sends the ticket back to dispatch: the ticket
-- counts them and keeps the reason of the last one (the history has all).
ALTER TABLE tickets ADD COLUMN intentos_fallidos INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN motivo_intento TEXT;
