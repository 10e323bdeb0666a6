-- What the tracking page shows beyond the ticket's state: the moments
-- Tickets reported and a cancellation's reason (from ticket_actualizado).
ALTER TABLE pedidos ADD COLUMN fecha_en_camino TIMESTAMPTZ;
ALTER TABLE pedidos ADD COLUMN fecha_entrega TIMESTAMPTZ;
ALTER TABLE pedidos ADD COLUMN motivo_cancelacion TEXT;
