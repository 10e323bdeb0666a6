-- What the tracking page shows beyond the ticket's state: the moments
-- Tickets reported and a cancellation's reason (from ticket_actualizado).
ALTER TABLE pedidos ADD COLUMN fecha_en_camino TEXT;
ALTER TABLE pedidos ADD COLUMN fecha_entrega TEXT;
ALTER TABLE pedidos ADD COLUMN motivo_cancelacion TEXT;
