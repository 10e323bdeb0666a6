-- Staff of the back office (/admin): every account has a role
-- (`cliente` for the shop's customers and merchants, `encargado` and
-- `admin` for the staff), and an account can be deactivated (it cannot log
-- in; its sessions are ended when that happens).

ALTER TABLE usuarios ADD COLUMN rol TEXT NOT NULL DEFAULT 'cliente'
    CHECK (rol IN ('cliente', 'encargado', 'admin'));
ALTER TABLE usuarios ADD COLUMN activo BOOLEAN NOT NULL DEFAULT 1;
CREATE INDEX usuarios_staff ON usuarios (rol) WHERE rol <> 'cliente';

-- What Tickets reported about each order, one row per report received
-- (the ticket's creation, then every status update, applied or not: a
-- late or repeated one is kept with aplicado false), for the back office.
CREATE TABLE pedido_historial (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    pedido_id  INTEGER NOT NULL REFERENCES pedidos (id),
    evento     TEXT    NOT NULL,
    estado     TEXT    NOT NULL,
    repartidor TEXT,
    version    INTEGER,
    aplicado   BOOLEAN NOT NULL,
    recibido   TEXT    NOT NULL
);
CREATE INDEX pedido_historial_pedido ON pedido_historial (pedido_id, id);
-- The dashboard and the order filters read orders by date.
CREATE INDEX pedidos_fecha ON pedidos (fecha);
