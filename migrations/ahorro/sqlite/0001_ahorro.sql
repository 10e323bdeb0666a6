-- Belgrano Ahorro on SQLite. Money in integer centavos; timestamps as
-- fixed-width RFC 3339 text (see store/ts.rs) so they sort as text.

CREATE TABLE negocios (
    id TEXT PRIMARY KEY,
    num_id INTEGER NOT NULL,
    nombre TEXT NOT NULL,
    descripcion TEXT NOT NULL,
    color TEXT NOT NULL
);

CREATE TABLE sucursales (
    id TEXT PRIMARY KEY,
    num_id INTEGER NOT NULL,
    negocio_id TEXT NOT NULL REFERENCES negocios(id),
    nombre TEXT NOT NULL,
    direccion TEXT NOT NULL,
    telefono TEXT NOT NULL,
    horarios TEXT NOT NULL
);

CREATE TABLE categorias (
    id TEXT PRIMARY KEY,
    num_id INTEGER NOT NULL,
    nombre TEXT NOT NULL,
    descripcion TEXT NOT NULL,
    icono TEXT NOT NULL
);

CREATE TABLE productos (
    id INTEGER PRIMARY KEY,
    nombre TEXT NOT NULL,
    -- lower case without accents, for search
    nombre_busqueda TEXT NOT NULL,
    precio INTEGER NOT NULL,
    precio_original INTEGER,
    negocio_id TEXT NOT NULL REFERENCES negocios(id),
    categoria_id TEXT NOT NULL REFERENCES categorias(id),
    stock INTEGER NOT NULL CHECK (stock >= 0),
    destacado BOOLEAN NOT NULL,
    activo BOOLEAN NOT NULL,
    sucursales TEXT NOT NULL
);
CREATE INDEX productos_negocio ON productos(negocio_id);
CREATE INDEX productos_categoria ON productos(categoria_id);

CREATE TABLE ofertas (
    id TEXT PRIMARY KEY,
    negocio_id TEXT NOT NULL REFERENCES negocios(id),
    titulo TEXT NOT NULL,
    descripcion TEXT NOT NULL,
    descuento INTEGER NOT NULL,
    fecha_inicio TEXT NOT NULL,
    fecha_fin TEXT NOT NULL,
    productos TEXT NOT NULL
);

CREATE TABLE usuarios (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    nombre TEXT NOT NULL,
    apellido TEXT NOT NULL,
    telefono TEXT NOT NULL,
    direccion TEXT NOT NULL,
    tipo_cliente TEXT NOT NULL DEFAULT 'cliente',
    nombre_negocio TEXT,
    cuit TEXT,
    tipo_negocio TEXT,
    fecha_creacion TEXT NOT NULL
);

-- Logged-in sessions only; a guest's session id lives in its cookie alone.
CREATE TABLE sesiones (
    id TEXT PRIMARY KEY,
    usuario_id INTEGER NOT NULL REFERENCES usuarios(id) ON DELETE CASCADE,
    expira TEXT NOT NULL
);

-- One cart per owner: 's:<session hash>' for a guest, 'u:<id>' for an account.
CREATE TABLE carritos (
    owner TEXT PRIMARY KEY,
    items TEXT NOT NULL,
    fecha_actualizacion TEXT NOT NULL
);

CREATE TABLE pedidos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    numero TEXT NOT NULL UNIQUE,
    usuario_id INTEGER REFERENCES usuarios(id),
    -- a guest order is shown only to the session that placed it
    sesion TEXT,
    cliente_nombre TEXT NOT NULL,
    cliente_apellido TEXT NOT NULL,
    cliente_email TEXT NOT NULL,
    cliente_telefono TEXT NOT NULL,
    direccion TEXT NOT NULL,
    metodo_pago TEXT NOT NULL,
    notas TEXT NOT NULL,
    tipo_cliente TEXT NOT NULL,
    total INTEGER NOT NULL,
    estado TEXT NOT NULL DEFAULT 'pendiente',
    fecha TEXT NOT NULL,
    ticket_id INTEGER,
    ticket_estado TEXT,
    ticket_fecha_creacion TEXT,
    repartidor TEXT,
    ticket_version INTEGER NOT NULL DEFAULT 0,
    fecha_actualizacion TEXT NOT NULL
);
CREATE INDEX pedidos_usuario ON pedidos(usuario_id, id);

CREATE TABLE pedido_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pedido_id INTEGER NOT NULL REFERENCES pedidos(id),
    producto_id INTEGER NOT NULL,
    nombre TEXT NOT NULL,
    cantidad INTEGER NOT NULL,
    precio_unitario INTEGER NOT NULL,
    subtotal INTEGER NOT NULL
);
CREATE INDEX pedido_items_pedido ON pedido_items(pedido_id);

-- The transactional outbox: written in the order's transaction, emptied by
-- the delivery worker. estado: pendiente | entregado | fallido.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pedido_id INTEGER NOT NULL UNIQUE REFERENCES pedidos(id),
    numero TEXT NOT NULL,
    payload TEXT NOT NULL,
    estado TEXT NOT NULL DEFAULT 'pendiente',
    intentos INTEGER NOT NULL DEFAULT 0,
    proximo_intento TEXT NOT NULL,
    bloqueado_hasta TEXT,
    ultimo_error TEXT,
    fecha_creacion TEXT NOT NULL,
    fecha_entrega TEXT
);
CREATE INDEX outbox_due ON outbox(estado, proximo_intento);
