-- Each courier's open tickets (pendiente, en-preparacion, en-camino), kept
-- up to date in the same transactions that change tickets. Intake used to
-- count them for every batch, which cost time proportional to the backlog.
ALTER TABLE users ADD COLUMN open_tickets INTEGER NOT NULL DEFAULT 0;
UPDATE users SET open_tickets = (
    SELECT COUNT(*) FROM tickets t
     WHERE t.repartidor_id = users.id AND t.estado IN ('pendiente', 'en-preparacion', 'en-camino')
);
