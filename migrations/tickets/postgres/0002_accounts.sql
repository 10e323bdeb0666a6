-- Logins: server-side sessions and failed attempts (rate limiting).

-- Only a SHA-256 of the cookie's token is kept: a leaked table opens no session.
CREATE TABLE sessions (
    token_hash TEXT        PRIMARY KEY,
    user_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- One row per failed login, kept in the database so every instance counts
-- the same attempts. `email` is lower-cased as typed (it may name no account).
CREATE TABLE login_failures (
    id        BIGSERIAL   PRIMARY KEY,
    email     TEXT        NOT NULL,
    address   TEXT        NOT NULL,
    failed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_failures_by_email ON login_failures (email, failed_at);
CREATE INDEX login_failures_by_address ON login_failures (address, failed_at);
