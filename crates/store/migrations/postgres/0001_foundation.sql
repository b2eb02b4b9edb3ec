-- cloudcourt foundation schema for PostgreSQL: courts, staff, sessions, cases, hearings,
-- participants and the hash-chained audit log.

CREATE TABLE courts (
    id          UUID PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    time_zone   TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    id            UUID PRIMARY KEY,
    court_id      UUID NOT NULL REFERENCES courts(id),
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'judge', 'clerk')),
    password_hash TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX users_court ON users(court_id);

CREATE TABLE staff_sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX staff_sessions_user ON staff_sessions(user_id);

CREATE TABLE cases (
    id           UUID PRIMARY KEY,
    court_id     UUID NOT NULL REFERENCES courts(id),
    case_number  TEXT NOT NULL,
    cause        TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (court_id, case_number)
);

CREATE TABLE hearings (
    id              UUID PRIMARY KEY,
    court_id        UUID NOT NULL REFERENCES courts(id),
    case_id         UUID NOT NULL REFERENCES cases(id),
    meeting_number  TEXT NOT NULL,
    scheduled_at    TIMESTAMPTZ NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('scheduled', 'open', 'in_session', 'recess', 'closed', 'archived', 'cancelled')),
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
-- A meeting number identifies one hearing until that hearing is archived.
CREATE UNIQUE INDEX hearings_meeting_number_live ON hearings(meeting_number) WHERE state <> 'archived';
CREATE INDEX hearings_court_time ON hearings(court_id, scheduled_at);

CREATE TABLE hearing_bench (
    hearing_id  UUID NOT NULL REFERENCES hearings(id),
    user_id     UUID NOT NULL REFERENCES users(id),
    role        TEXT NOT NULL CHECK (role IN ('presiding_judge', 'judge', 'clerk')),
    seat        INTEGER NOT NULL,
    PRIMARY KEY (hearing_id, user_id)
);

CREATE TABLE participants (
    id          UUID PRIMARY KEY,
    hearing_id  UUID NOT NULL REFERENCES hearings(id),
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    phone       TEXT,
    id_number   TEXT,
    created_at  TIMESTAMPTZ NOT NULL
);
-- A phone identifies one participant of a hearing when they join.
CREATE UNIQUE INDEX participants_phone_per_hearing ON participants(hearing_id, phone) WHERE phone IS NOT NULL;

CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_events (
    seq         BIGINT PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    court_id    UUID,
    hearing_id  UUID,
    details     TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_events_hearing ON audit_events(hearing_id, seq);

CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
