-- The accounts table takes the name both services use for it (Ahorro's is
-- `usuarios` too), so code and database say the same word. References from
-- tickets and sessions follow the rename.
ALTER TABLE users RENAME TO usuarios;
