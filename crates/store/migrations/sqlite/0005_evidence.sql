-- Evidence (证据): uploads in progress (their bytes are staged on disk; the row keeps
-- who is uploading what), the items themselves (never deleted: withdrawn or decided
-- on, with their bytes in the blob store under blob_key) and the parties' opinions.

CREATE TABLE evidence_uploads (
    id              BLOB PRIMARY KEY,
    hearing_id      BLOB NOT NULL REFERENCES hearings(id),
    uploader_kind   TEXT NOT NULL,
    uploader_id     BLOB NOT NULL,
    file_name       TEXT NOT NULL,
    size            INTEGER NOT NULL,
    title           TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX evidence_uploads_hearing ON evidence_uploads(hearing_id);

CREATE TABLE evidence (
    id                BLOB PRIMARY KEY,
    hearing_id        BLOB NOT NULL REFERENCES hearings(id),
    number            INTEGER NOT NULL,
    title             TEXT NOT NULL,
    purpose           TEXT NOT NULL,
    file_name         TEXT NOT NULL,
    media_type        TEXT NOT NULL,
    kind              TEXT NOT NULL,
    size              INTEGER NOT NULL,
    sha256            TEXT NOT NULL,
    blob_key          TEXT NOT NULL,
    submitter_kind    TEXT NOT NULL,
    submitter_id      BLOB NOT NULL,
    submitter_name    TEXT NOT NULL,
    submitter_role    TEXT NOT NULL,
    submitted_at      TEXT NOT NULL,
    withdrawn_at      TEXT,
    withdraw_reason   TEXT,
    admission         TEXT NOT NULL,
    admission_reason  TEXT,
    UNIQUE (hearing_id, number)
);

CREATE TABLE evidence_opinions (
    id              BLOB PRIMARY KEY,
    evidence_id     BLOB NOT NULL REFERENCES evidence(id),
    hearing_id      BLOB NOT NULL REFERENCES hearings(id),
    participant_id  BLOB NOT NULL REFERENCES participants(id),
    authenticity    TEXT NOT NULL,
    legality        TEXT NOT NULL,
    relevance       TEXT NOT NULL,
    text            TEXT NOT NULL,
    given_at        TEXT NOT NULL
);
CREATE INDEX evidence_opinions_hearing ON evidence_opinions(hearing_id, given_at);

-- Evidence is never deleted; opinions are never changed (a new one supersedes).
CREATE TRIGGER evidence_no_delete BEFORE DELETE ON evidence
BEGIN
    SELECT RAISE(ABORT, 'evidence is never deleted');
END;
CREATE TRIGGER evidence_opinions_no_change BEFORE UPDATE ON evidence_opinions
BEGIN
    SELECT RAISE(ABORT, 'opinions are append-only');
END;
CREATE TRIGGER evidence_opinions_no_delete BEFORE DELETE ON evidence_opinions
BEGIN
    SELECT RAISE(ABORT, 'opinions are append-only');
END;
