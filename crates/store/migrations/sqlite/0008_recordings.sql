-- The hearing's recording (庭审录像) as a court record in the shared stores: its segments
-- (one per run of a recorder; numbered per hearing here, so that two nodes never write
-- the same one) and, once a segment is finished or recovered, its files, kept in the
-- blob store under blob_key with their SHA-256. While a segment is being written its
-- files are on the disk of the node that records it.
--
-- state: recording (being written, or its node stopped and has not recovered it yet),
-- finished, recovered (closed after a crash), failed (finishing or storing it failed:
-- its files wait on its node's disk, which tries again at its next start; see error).
-- manifest and gaps hold the segment's manifest.json and gap register (as JSON) for
-- listing; the files themselves are the record.

CREATE TABLE recording_segments (
    hearing_id   BLOB NOT NULL REFERENCES hearings(id),
    segment      INTEGER NOT NULL,
    node         TEXT NOT NULL,
    state        TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    error        TEXT,
    manifest     TEXT,
    gaps         TEXT,
    PRIMARY KEY (hearing_id, segment)
);

CREATE TABLE recording_files (
    id              BLOB PRIMARY KEY,
    hearing_id      BLOB NOT NULL,
    segment         INTEGER NOT NULL,
    position        INTEGER NOT NULL,
    file            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    participant_id  TEXT,
    size            INTEGER NOT NULL,
    sha256          TEXT NOT NULL,
    blob_key        TEXT NOT NULL,
    stored_at       TEXT NOT NULL,
    UNIQUE (hearing_id, segment, file),
    FOREIGN KEY (hearing_id, segment) REFERENCES recording_segments(hearing_id, segment)
);

-- A stored file is the record of what was recorded: never changed or deleted.
CREATE TRIGGER recording_files_no_update BEFORE UPDATE ON recording_files
BEGIN
    SELECT RAISE(ABORT, 'recording files are append-only');
END;
CREATE TRIGGER recording_files_no_delete BEFORE DELETE ON recording_files
BEGIN
    SELECT RAISE(ABORT, 'recording files are append-only');
END;
CREATE TRIGGER recording_segments_no_delete BEFORE DELETE ON recording_segments
BEGIN
    SELECT RAISE(ABORT, 'recording segments are never deleted');
END;
