-- Merchants' standing orders (paquetes): a bundle of products with a
-- rhythm (semanal, quincenal, mensual) that the scheduler places as an
-- order on each due date. proxima_fecha: 'YYYY-MM-DD' (Buenos Aires date,
-- as franja_cupos.fecha); placing a due bundle advances it with a
-- compare-and-set, in the transaction of the order. The address as the
-- checkout takes it: the one-line text always, the structured parts when
-- given (dir_* NULL for a flat text).

CREATE TABLE paquetes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    usuario_id INTEGER NOT NULL REFERENCES usuarios(id) ON DELETE CASCADE,
    nombre TEXT NOT NULL,
    frecuencia TEXT NOT NULL CHECK (frecuencia IN ('semanal', 'quincenal', 'mensual')),
    proxima_fecha TEXT NOT NULL,
    direccion TEXT NOT NULL,
    dir_calle TEXT,
    dir_altura TEXT,
    dir_piso TEXT,
    dir_entre_calles TEXT,
    dir_barrio TEXT,
    dir_codigo_postal TEXT,
    dir_referencias TEXT,
    franja_id INTEGER,
    activo BOOLEAN NOT NULL DEFAULT 1,
    creado TEXT NOT NULL,
    actualizado TEXT NOT NULL
);
CREATE INDEX paquetes_usuario ON paquetes(usuario_id, id);
CREATE INDEX paquetes_vencen ON paquetes(activo, proxima_fecha);

CREATE TABLE paquete_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    paquete_id INTEGER NOT NULL REFERENCES paquetes(id) ON DELETE CASCADE,
    producto_id INTEGER NOT NULL,
    cantidad INTEGER NOT NULL CHECK (cantidad > 0)
);
CREATE INDEX paquete_items_paquete ON paquete_items(paquete_id, id);

-- The execution log and the exactly-once key: one row per bundle, date and
-- origen ('programado': the scheduler, for the date it was due;
-- 'manual': "Pedir ahora", at most once a day). pedido_numero NULL when
-- nothing could be sent; omitidos: JSON [{"nombre", "motivo"}].
CREATE TABLE paquete_pedidos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    paquete_id INTEGER NOT NULL REFERENCES paquetes(id) ON DELETE CASCADE,
    fecha_programada TEXT NOT NULL,
    origen TEXT NOT NULL CHECK (origen IN ('programado', 'manual')),
    pedido_numero TEXT,
    omitidos TEXT NOT NULL,
    motivo TEXT,
    creado TEXT NOT NULL,
    UNIQUE (paquete_id, fecha_programada, origen)
);
