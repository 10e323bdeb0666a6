-- E-mail (belgrano_platform::mail): an outbox of mails, written in the
-- transaction of what causes each, emptied by the platform's worker over
-- SMTP. `clave` names the event (one mail per event, even when the event
-- is reported twice); `para` is the recipient.
CREATE TABLE correos (
    id              BIGSERIAL   PRIMARY KEY,
    para            TEXT        NOT NULL,
    clave           TEXT        NOT NULL UNIQUE,
    payload         TEXT        NOT NULL,
    -- pending: to send; delivered; failed: refused for good (5xx), kept for a person.
    status          TEXT        NOT NULL DEFAULT 'pending',
    attempts        INTEGER     NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    claimed_until   TIMESTAMPTZ,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    delivered_at    TIMESTAMPTZ
);
CREATE INDEX correos_due ON correos (status, next_attempt_at);

-- Password reset links (belgrano_platform::reset): only the SHA-256 of the
-- mailed token is kept; a link works once, for an hour.
CREATE TABLE password_resets (
    token_hash TEXT        PRIMARY KEY,
    user_id    BIGINT      NOT NULL REFERENCES usuarios (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX password_resets_by_user ON password_resets (user_id);

-- Reset requests, to limit them per typed e-mail and per client address.
CREATE TABLE password_reset_requests (
    id           BIGSERIAL   PRIMARY KEY,
    email        TEXT        NOT NULL,
    address      TEXT        NOT NULL,
    requested_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX password_reset_requests_by_email ON password_reset_requests (email, requested_at);
CREATE INDEX password_reset_requests_by_address ON password_reset_requests (address, requested_at);
