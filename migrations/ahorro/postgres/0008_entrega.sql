-- Delivery: the barrios served (cost and minimum order, in centavos), the
-- weekly windows (dia: ISO weekday 1 = lunes .. 7 = domingo; desde/hasta
-- 'HH:MM' Buenos Aires time), one counter row per window and date (the
-- checkout takes a place with a conditional UPDATE, so a window never
-- overfills), saved addresses of accounts, and what an order stores of
-- its delivery. Demo settings seeded here; staff change them at
-- /admin/entrega.

CREATE TABLE zonas (
    barrio TEXT PRIMARY KEY,
    costo_envio BIGINT NOT NULL CHECK (costo_envio >= 0),
    minimo BIGINT NOT NULL CHECK (minimo >= 0),
    orden BIGINT NOT NULL
);

CREATE TABLE franjas (
    id BIGSERIAL PRIMARY KEY,
    dia BIGINT NOT NULL CHECK (dia BETWEEN 1 AND 7),
    desde TEXT NOT NULL,
    hasta TEXT NOT NULL,
    capacidad BIGINT NOT NULL CHECK (capacidad >= 0),
    corte_minutos BIGINT NOT NULL CHECK (corte_minutos >= 0),
    envio_gratis_desde BIGINT
);

-- fecha: 'YYYY-MM-DD' (Buenos Aires date). No foreign key: a franja staff
-- delete takes its counters with it (store/entrega.rs).
CREATE TABLE franja_cupos (
    franja_id BIGINT NOT NULL,
    fecha TEXT NOT NULL,
    usados BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (franja_id, fecha)
);

CREATE TABLE direcciones (
    id BIGSERIAL PRIMARY KEY,
    usuario_id BIGINT NOT NULL REFERENCES usuarios(id) ON DELETE CASCADE,
    calle TEXT NOT NULL,
    altura TEXT NOT NULL,
    piso TEXT NOT NULL,
    entre_calles TEXT NOT NULL,
    barrio TEXT NOT NULL,
    codigo_postal TEXT NOT NULL,
    referencias TEXT NOT NULL,
    fecha TIMESTAMPTZ NOT NULL
);
CREATE INDEX direcciones_usuario ON direcciones(usuario_id, id);

-- NULL on orders from before delivery windows (their total has no envío).
ALTER TABLE pedidos ADD COLUMN subtotal BIGINT;
ALTER TABLE pedidos ADD COLUMN costo_envio BIGINT;
ALTER TABLE pedidos ADD COLUMN barrio TEXT;
ALTER TABLE pedidos ADD COLUMN franja_desde TIMESTAMPTZ;
ALTER TABLE pedidos ADD COLUMN franja_hasta TIMESTAMPTZ;
ALTER TABLE pedidos ADD COLUMN paga_con BIGINT;
-- The structured address (NULL when the order came with a flat text; the
-- flat direccion column always holds its one-line rendering).
ALTER TABLE pedidos ADD COLUMN dir_calle TEXT;
ALTER TABLE pedidos ADD COLUMN dir_altura TEXT;
ALTER TABLE pedidos ADD COLUMN dir_piso TEXT;
ALTER TABLE pedidos ADD COLUMN dir_entre_calles TEXT;
ALTER TABLE pedidos ADD COLUMN dir_codigo_postal TEXT;
ALTER TABLE pedidos ADD COLUMN dir_referencias TEXT;

INSERT INTO zonas (barrio, costo_envio, minimo, orden) VALUES
    ('Belgrano', 150000, 800000, 1),
    ('Núñez', 200000, 1000000, 2),
    ('Colegiales', 200000, 1000000, 3),
    ('Coghlan', 250000, 1200000, 4),
    ('Saavedra', 300000, 1200000, 5),
    ('Villa Urquiza', 300000, 1500000, 6),
    ('Palermo', 350000, 1500000, 7);

-- Four windows every day: 12 orders each, closing an hour before, free
-- delivery from $ 40.000.
INSERT INTO franjas (dia, desde, hasta, capacidad, corte_minutos, envio_gratis_desde) VALUES
    (1, '09:00', '12:00', 12, 60, 4000000),
    (1, '12:00', '15:00', 12, 60, 4000000),
    (1, '15:00', '18:00', 12, 60, 4000000),
    (1, '18:00', '21:00', 12, 60, 4000000),
    (2, '09:00', '12:00', 12, 60, 4000000),
    (2, '12:00', '15:00', 12, 60, 4000000),
    (2, '15:00', '18:00', 12, 60, 4000000),
    (2, '18:00', '21:00', 12, 60, 4000000),
    (3, '09:00', '12:00', 12, 60, 4000000),
    (3, '12:00', '15:00', 12, 60, 4000000),
    (3, '15:00', '18:00', 12, 60, 4000000),
    (3, '18:00', '21:00', 12, 60, 4000000),
    (4, '09:00', '12:00', 12, 60, 4000000),
    (4, '12:00', '15:00', 12, 60, 4000000),
    (4, '15:00', '18:00', 12, 60, 4000000),
    (4, '18:00', '21:00', 12, 60, 4000000),
    (5, '09:00', '12:00', 12, 60, 4000000),
    (5, '12:00', '15:00', 12, 60, 4000000),
    (5, '15:00', '18:00', 12, 60, 4000000),
    (5, '18:00', '21:00', 12, 60, 4000000),
    (6, '09:00', '12:00', 12, 60, 4000000),
    (6, '12:00', '15:00', 12, 60, 4000000),
    (6, '15:00', '18:00', 12, 60, 4000000),
    (6, '18:00', '21:00', 12, 60, 4000000),
    (7, '09:00', '12:00', 12, 60, 4000000),
    (7, '12:00', '15:00', 12, 60, 4000000),
    (7, '15:00', '18:00', 12, 60, 4000000),
    (7, '18:00', '21:00', 12, 60, 4000000);
