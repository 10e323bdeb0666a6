-- The events table doubles as each ticket's history: who did what, when.
ALTER TABLE events ADD COLUMN anterior_repartidor_id INTEGER;
ALTER TABLE events ADD COLUMN actor TEXT NOT NULL DEFAULT 'sistema';
ALTER TABLE events ADD COLUMN detail TEXT NOT NULL DEFAULT '';
CREATE INDEX events_by_ticket ON events (ticket_id, seq);

-- Status updates waiting to reach Ahorro (transactional outbox).
CREATE TABLE notify_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id       INTEGER NOT NULL,
    numero          TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    payload         TEXT    NOT NULL,
    -- pending: to deliver; delivered; failed: refused for good (4xx), kept for a person.
    status          TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    -- A worker's claim; an expired claim (crashed worker) is claimable again.
    claimed_until   TEXT,
    last_error      TEXT,
    created_at      TEXT    NOT NULL,
    delivered_at    TEXT
);
CREATE INDEX notify_outbox_due ON notify_outbox (status, next_attempt_at);
