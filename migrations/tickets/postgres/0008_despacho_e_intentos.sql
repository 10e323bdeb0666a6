-- Staff gain a third role, `despacho` (dispatch without managing staff;
-- `admin` manages staff too). The CHECK kept the name it got when the
-- table was still `users`.
ALTER TABLE usuarios DROP CONSTRAINT IF EXISTS users_role_check;
ALTER TABLE usuarios DROP CONSTRAINT IF EXISTS usuarios_role_check;
ALTER TABLE usuarios ADD CONSTRAINT usuarios_role_check CHECK (role IN ('admin', 'despacho', 'flota'));
