-- Evidence (证据): uploads in progress (their bytes are staged on disk; the row keeps
-- who is uploading what), the items themselves (never deleted: withdrawn or decided
-- on, with their bytes in the blob store under blob_key) and the parties' opinions.

CREATE TABLE evidence_uploads (
    id              UUID PRIMARY KEY,
    hearing_id      UUID NOT NULL REFERENCES hearings(id),
    uploader_kind   TEXT NOT NULL,
    uploader_id     UUID NOT NULL,
    file_name       TEXT NOT NULL,
    size            BIGINT NOT NULL,
    title           TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX evidence_uploads_hearing ON evidence_uploads(hearing_id);

CREATE TABLE evidence (
    id                UUID PRIMARY KEY,
    hearing_id        UUID NOT NULL REFERENCES hearings(id),
    number            INTEGER NOT NULL,
    title             TEXT NOT NULL,
    purpose           TEXT NOT NULL,
    file_name         TEXT NOT NULL,
    media_type        TEXT NOT NULL,
    kind              TEXT NOT NULL,
    size              BIGINT NOT NULL,
    sha256            TEXT NOT NULL,
    blob_key          TEXT NOT NULL,
    submitter_kind    TEXT NOT NULL,
    submitter_id      UUID NOT NULL,
    submitter_name    TEXT NOT NULL,
    submitter_role    TEXT NOT NULL,
    submitted_at      TIMESTAMPTZ NOT NULL,
    withdrawn_at      TIMESTAMPTZ,
    withdraw_reason   TEXT,
    admission         TEXT NOT NULL,
    admission_reason  TEXT,
    UNIQUE (hearing_id, number)
);

CREATE TABLE evidence_opinions (
    id              UUID PRIMARY KEY,
    evidence_id     UUID NOT NULL REFERENCES evidence(id),
    hearing_id      UUID NOT NULL REFERENCES hearings(id),
    participant_id  UUID NOT NULL REFERENCES participants(id),
    authenticity    TEXT NOT NULL,
    legality        TEXT NOT NULL,
    relevance       TEXT NOT NULL,
    text            TEXT NOT NULL,
    given_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX evidence_opinions_hearing ON evidence_opinions(hearing_id, given_at);

-- Evidence is never deleted; opinions are never changed (a new one supersedes).
CREATE FUNCTION evidence_kept() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% keeps its rows', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER evidence_no_delete BEFORE DELETE ON evidence
    FOR EACH ROW EXECUTE FUNCTION evidence_kept();
CREATE TRIGGER evidence_opinions_no_change BEFORE UPDATE OR DELETE ON evidence_opinions
    FOR EACH ROW EXECUTE FUNCTION evidence_kept();
