-- The SMS outbox: every notice is a row, written with the action that causes it and
-- sent by the worker; the idempotency key keeps a notice from being queued twice.

ALTER TABLE hearings ADD COLUMN notices_sent_at TIMESTAMPTZ;

CREATE TABLE sms_outbox (
    id               UUID PRIMARY KEY,
    court_id         UUID NOT NULL REFERENCES courts(id),
    hearing_id       UUID REFERENCES hearings(id),
    participant_id   UUID,
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
    next_attempt_at  TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    sent_at          TIMESTAMPTZ,
    delivered_at     TIMESTAMPTZ
);
CREATE INDEX sms_outbox_due ON sms_outbox(status, next_attempt_at);
CREATE INDEX sms_outbox_hearing ON sms_outbox(hearing_id, participant_id, created_at);
CREATE INDEX sms_outbox_court ON sms_outbox(court_id, created_at);
CREATE INDEX sms_outbox_provider ON sms_outbox(provider_id);
