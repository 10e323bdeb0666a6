-- What Ahorro's newer tickets add (optional; old clients send neither):
-- `entrega` {barrio, franja {desde, hasta}, costo_envio} and `cobro`
-- {metodo, monto, paga_con, vuelto}, kept as the JSON text they were
-- validated into and returned as sent.
ALTER TABLE tickets ADD COLUMN entrega TEXT;
ALTER TABLE tickets ADD COLUMN cobro TEXT;
