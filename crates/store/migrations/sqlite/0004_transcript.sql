-- The transcript (庭审笔录): one head row per hearing (the latest version number, and
-- when the court opened it for confirmation), its versions (append-only), the
-- participants' signatures and their correction requests (申请补正).

CREATE TABLE transcripts (
    hearing_id              BLOB PRIMARY KEY REFERENCES hearings(id),
    latest_version          INTEGER NOT NULL,
    confirmation_opened_at  TEXT,
    confirmation_opened_by  BLOB REFERENCES users(id)
);

CREATE TABLE transcript_versions (
    hearing_id   BLOB NOT NULL REFERENCES hearings(id),
    version      INTEGER NOT NULL,
    content      TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    entry_count  INTEGER NOT NULL,
    save_id      BLOB NOT NULL,
    saved_by     BLOB NOT NULL REFERENCES users(id),
    saved_at     TEXT NOT NULL,
    PRIMARY KEY (hearing_id, version),
    UNIQUE (hearing_id, save_id)
);

-- A version is the record of what was said: it is never changed or deleted.
CREATE TRIGGER transcript_versions_no_update BEFORE UPDATE ON transcript_versions
BEGIN
    SELECT RAISE(ABORT, 'transcript versions are append-only');
END;
CREATE TRIGGER transcript_versions_no_delete BEFORE DELETE ON transcript_versions
BEGIN
    SELECT RAISE(ABORT, 'transcript versions are append-only');
END;

CREATE TABLE transcript_signatures (
    id              BLOB PRIMARY KEY,
    hearing_id      BLOB NOT NULL REFERENCES hearings(id),
    participant_id  BLOB NOT NULL REFERENCES participants(id),
    version         INTEGER NOT NULL,
    sha256          TEXT NOT NULL,
    width           REAL NOT NULL,
    height          REAL NOT NULL,
    strokes         TEXT NOT NULL,
    image           BLOB NOT NULL,
    image_sha256    TEXT NOT NULL,
    signed_at       TEXT NOT NULL,
    FOREIGN KEY (hearing_id, version) REFERENCES transcript_versions(hearing_id, version)
);
CREATE INDEX transcript_signatures_hearing ON transcript_signatures(hearing_id, signed_at);

CREATE TRIGGER transcript_signatures_no_update BEFORE UPDATE ON transcript_signatures
BEGIN
    SELECT RAISE(ABORT, 'signatures are append-only');
END;
CREATE TRIGGER transcript_signatures_no_delete BEFORE DELETE ON transcript_signatures
BEGIN
    SELECT RAISE(ABORT, 'signatures are append-only');
END;

CREATE TABLE transcript_corrections (
    id                BLOB PRIMARY KEY,
    hearing_id        BLOB NOT NULL REFERENCES hearings(id),
    participant_id    BLOB NOT NULL REFERENCES participants(id),
    version           INTEGER NOT NULL,
    text              TEXT NOT NULL,
    requested_at      TEXT NOT NULL,
    status            TEXT NOT NULL,
    reason            TEXT,
    resolved_by       BLOB REFERENCES users(id),
    resolved_at       TEXT,
    resolved_version  INTEGER,
    FOREIGN KEY (hearing_id, version) REFERENCES transcript_versions(hearing_id, version)
);
CREATE INDEX transcript_corrections_hearing ON transcript_corrections(hearing_id, requested_at);
