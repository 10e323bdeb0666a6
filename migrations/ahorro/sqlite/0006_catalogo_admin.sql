-- The catalogue's back office (/admin/productos, /api/admin/...): what a
-- product now says about itself (a description, how it is sold and its
-- reference price per kg or litre), the history of every price change
-- (who, when, old -> new), and offers whose discount may be a text
-- ("2x1") as well as a percentage.

ALTER TABLE productos ADD COLUMN descripcion TEXT NOT NULL DEFAULT '';
-- What one unit in the cart is: a unit, a kilo or a litre.
ALTER TABLE productos ADD COLUMN unidad TEXT NOT NULL DEFAULT 'unidad' CHECK (unidad IN ('unidad', 'kg', 'l'));
-- For products sold by the unit: the reference price per kg or per litre
-- (both set or neither).
ALTER TABLE productos ADD COLUMN medida TEXT CHECK (medida IN ('kg', 'l'));
ALTER TABLE productos ADD COLUMN precio_por_medida INTEGER;
CREATE INDEX productos_stock ON productos(stock);

CREATE TABLE precio_cambios (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    producto_id INTEGER NOT NULL REFERENCES productos(id),
    precio_anterior INTEGER NOT NULL,
    precio_nuevo INTEGER NOT NULL,
    -- the staff account that made it, and its e-mail as it was then
    usuario_id INTEGER REFERENCES usuarios(id) ON DELETE SET NULL,
    quien TEXT NOT NULL,
    -- manual | ajuste | csv
    origen TEXT NOT NULL,
    fecha TEXT NOT NULL
);
CREATE INDEX precio_cambios_producto ON precio_cambios(producto_id, id);

-- '' when the discount is the percentage `descuento`; otherwise the text
-- shown instead (then `descuento` is 0).
ALTER TABLE ofertas ADD COLUMN descuento_texto TEXT NOT NULL DEFAULT '';
