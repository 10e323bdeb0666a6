-- Product photos uploaded in the back office. Render's free instances have
-- no disk, so the re-encoded files live here: one row per file, named by
-- the hash of its bytes (the URL /img/{hash}.jpg never changes meaning, so
-- it is cached for a year). A product points at its card-size and its
-- page-size version; a new upload replaces both and the old files go
-- unless another product still uses them.

CREATE TABLE imagenes (
    hash TEXT PRIMARY KEY,
    tipo TEXT NOT NULL,
    ancho INTEGER NOT NULL,
    alto INTEGER NOT NULL,
    datos BLOB NOT NULL,
    fecha TEXT NOT NULL
);

ALTER TABLE productos ADD COLUMN imagen_tarjeta TEXT REFERENCES imagenes(hash);
ALTER TABLE productos ADD COLUMN imagen_pagina TEXT REFERENCES imagenes(hash);
