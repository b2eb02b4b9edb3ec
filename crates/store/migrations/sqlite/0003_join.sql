-- Joining: one-time codes sent by SMS, participant sessions, and a participant's
-- confirmation of the court rules and check-in (签到).

ALTER TABLE participants ADD COLUMN rules_confirmed_at TEXT;
ALTER TABLE participants ADD COLUMN checked_in_at TEXT;

CREATE TABLE join_codes (
    id              BLOB PRIMARY KEY,
    hearing_id      BLOB NOT NULL REFERENCES hearings(id),
    participant_id  BLOB NOT NULL,
    code_hash       TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    used_at         TEXT
);
CREATE INDEX join_codes_participant ON join_codes(participant_id, created_at);

CREATE TABLE participant_sessions (
    token_hash      TEXT PRIMARY KEY,
    participant_id  BLOB NOT NULL,
    hearing_id      BLOB NOT NULL REFERENCES hearings(id),
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL
);
CREATE INDEX participant_sessions_participant ON participant_sessions(participant_id);
