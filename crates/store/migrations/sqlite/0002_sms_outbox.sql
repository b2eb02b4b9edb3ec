-- The SMS outbox: every notice is a row, written with the action that causes it and
-- sent by the worker; the idempotency key keeps a notice from being queued twice.

ALTER TABLE hearings ADD COLUMN notices_sent_at TEXT;

CREATE TABLE sms_outbox (
    id               BLOB PRIMARY KEY,
    court_id         BLOB NOT NULL REFERENCES courts(id),
    hearing_id       BLOB REFERENCES hearings(id),
    participant_id   BLOB,
    recipient_name   TEXT NOT NULL,
    phone            TEXT NOT NULL,
    text             TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('invitation', 'reminder', 'reschedule', 'cancellation', 'join_code')),
    params           TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL UNIQUE,
    status           TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    provider_id      TEXT,
    next_attempt_at  TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    sent_at          TEXT,
    delivered_at     TEXT
);
CREATE INDEX sms_outbox_due ON sms_outbox(status, next_attempt_at);
CREATE INDEX sms_outbox_hearing ON sms_outbox(hearing_id, participant_id, created_at);
CREATE INDEX sms_outbox_court ON sms_outbox(court_id, created_at);
CREATE INDEX sms_outbox_provider ON sms_outbox(provider_id);
