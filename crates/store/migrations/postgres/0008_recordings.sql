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
    hearing_id   UUID NOT NULL REFERENCES hearings(id),
    segment      INTEGER NOT NULL,
    node         TEXT NOT NULL,
    state        TEXT NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ,
    error        TEXT,
    manifest     TEXT,
    gaps         TEXT,
    PRIMARY KEY (hearing_id, segment)
);

CREATE TABLE recording_files (
    id              UUID PRIMARY KEY,
    hearing_id      UUID NOT NULL,
    segment         INTEGER NOT NULL,
    position        INTEGER NOT NULL,
    file            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    participant_id  TEXT,
    size            BIGINT NOT NULL,
    sha256          TEXT NOT NULL,
    blob_key        TEXT NOT NULL,
    stored_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (hearing_id, segment, file),
    FOREIGN KEY (hearing_id, segment) REFERENCES recording_segments(hearing_id, segment)
);

-- A stored file is the record of what was recorded: never changed or deleted.
CREATE FUNCTION recording_kept() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% keeps its rows', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER recording_files_no_change BEFORE UPDATE OR DELETE ON recording_files
    FOR EACH ROW EXECUTE FUNCTION recording_kept();
CREATE TRIGGER recording_segments_no_delete BEFORE DELETE ON recording_segments
    FOR EACH ROW EXECUTE FUNCTION recording_kept();
