-- Logins on the platform's tables (belgrano_platform::session and
-- ::throttle), as Tickets has them: server-side sessions keyed by the
-- SHA-256 of the cookie's token, and failed logins counted in the database
-- so every instance sees the same ones.

CREATE TABLE sessions (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES usuarios (id) ON DELETE CASCADE,
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- Live sessions carry over (their tokens were already stored hashed).
-- `sesiones` kept no creation time: sessions lasted 30 days, so each began
-- 30 days before it expires.
INSERT INTO sessions (token_hash, user_id, created_at, expires_at)
SELECT id, usuario_id, strftime('%Y-%m-%dT%H:%M:%S', expira, '-30 days') || '.000000Z', expira
  FROM sesiones
 WHERE expira > strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z';

DROP TABLE sesiones;

-- One row per failed login. `email` is lower-cased as typed (it may name
-- no account).
CREATE TABLE login_failures (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    email     TEXT NOT NULL,
    address   TEXT NOT NULL,
    failed_at TEXT NOT NULL
);
CREATE INDEX login_failures_by_email ON login_failures (email, failed_at);
CREATE INDEX login_failures_by_address ON login_failures (address, failed_at);
