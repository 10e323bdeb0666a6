-- Belgrano Ahorro on PostgreSQL. Money in integer centavos; timestamps as TIMESTAMPTZ.

CREATE TABLE negocios (
    id TEXT PRIMARY KEY,
    num_id BIGINT NOT NULL,
    nombre TEXT NOT NULL,
    descripcion TEXT NOT NULL,
    color TEXT NOT NULL
);

CREATE TABLE sucursales (
    id TEXT PRIMARY KEY,
    num_id BIGINT NOT NULL,
    negocio_id TEXT NOT NULL REFERENCES negocios(id),
    nombre TEXT NOT NULL,
    direccion TEXT NOT NULL,
    telefono TEXT NOT NULL,
    horarios TEXT NOT NULL
);

CREATE TABLE categorias (
    id TEXT PRIMARY KEY,
    num_id BIGINT NOT NULL,
    nombre TEXT NOT NULL,
    descripcion TEXT NOT NULL,
    icono TEXT NOT NULL
);

CREATE TABLE productos (
    id BIGINT PRIMARY KEY,
    nombre TEXT NOT NULL,
    -- lower case without accents, for search
    nombre_busqueda TEXT NOT NULL,
    precio BIGINT NOT NULL,
    precio_original BIGINT,
    negocio_id TEXT NOT NULL REFERENCES negocios(id),
    categoria_id TEXT NOT NULL REFERENCES categorias(id),
    stock BIGINT NOT NULL CHECK (stock >= 0),
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
    descuento BIGINT NOT NULL,
    fecha_inicio TEXT NOT NULL,
    fecha_fin TEXT NOT NULL,
    productos TEXT NOT NULL
);

CREATE TABLE usuarios (
    id BIGSERIAL PRIMARY KEY,
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
    fecha_creacion TIMESTAMPTZ NOT NULL
);

-- Logged-in sessions only; a guest's session id lives in its cookie alone.
CREATE TABLE sesiones (
    id TEXT PRIMARY KEY,
    usuario_id BIGINT NOT NULL REFERENCES usuarios(id) ON DELETE CASCADE,
    expira TIMESTAMPTZ NOT NULL
);

-- One cart per owner: 's:<session hash>' for a guest, 'u:<id>' for an account.
CREATE TABLE carritos (
    owner TEXT PRIMARY KEY,
    items TEXT NOT NULL,
    fecha_actualizacion TIMESTAMPTZ NOT NULL
);

CREATE TABLE pedidos (
    id BIGSERIAL PRIMARY KEY,
    numero TEXT NOT NULL UNIQUE,
    usuario_id BIGINT REFERENCES usuarios(id),
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
    total BIGINT NOT NULL,
    estado TEXT NOT NULL DEFAULT 'pendiente',
    fecha TIMESTAMPTZ NOT NULL,
    ticket_id BIGINT,
    ticket_estado TEXT,
    ticket_fecha_creacion TIMESTAMPTZ,
    repartidor TEXT,
    ticket_version BIGINT NOT NULL DEFAULT 0,
    fecha_actualizacion TIMESTAMPTZ NOT NULL
);
CREATE INDEX pedidos_usuario ON pedidos(usuario_id, id);

CREATE TABLE pedido_items (
    id BIGSERIAL PRIMARY KEY,
    pedido_id BIGINT NOT NULL REFERENCES pedidos(id),
    producto_id BIGINT NOT NULL,
    nombre TEXT NOT NULL,
    cantidad BIGINT NOT NULL,
    precio_unitario BIGINT NOT NULL,
    subtotal BIGINT NOT NULL
);
CREATE INDEX pedido_items_pedido ON pedido_items(pedido_id);

-- The transactional outbox: written in the order's transaction, emptied by
-- the delivery worker. estado: pendiente | entregado | fallido.
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    pedido_id BIGINT NOT NULL UNIQUE REFERENCES pedidos(id),
    numero TEXT NOT NULL,
    payload TEXT NOT NULL,
    estado TEXT NOT NULL DEFAULT 'pendiente',
    intentos BIGINT NOT NULL DEFAULT 0,
    proximo_intento TIMESTAMPTZ NOT NULL,
    bloqueado_hasta TIMESTAMPTZ,
    ultimo_error TEXT,
    fecha_creacion TIMESTAMPTZ NOT NULL,
    fecha_entrega TIMESTAMPTZ
);
CREATE INDEX outbox_due ON outbox(estado, proximo_intento);
