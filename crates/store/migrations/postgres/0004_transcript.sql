-- The transcript (庭审笔录): one head row per hearing (the latest version number, and
-- when the court opened it for confirmation), its versions (append-only), the
-- participants' signatures and their correction requests (申请补正).

CREATE TABLE transcripts (
    hearing_id              UUID PRIMARY KEY REFERENCES hearings(id),
    latest_version          INTEGER NOT NULL,
    confirmation_opened_at  TIMESTAMPTZ,
    confirmation_opened_by  UUID REFERENCES users(id)
);

CREATE TABLE transcript_versions (
    hearing_id   UUID NOT NULL REFERENCES hearings(id),
    version      INTEGER NOT NULL,
    content      TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    entry_count  INTEGER NOT NULL,
    save_id      UUID NOT NULL,
    saved_by     UUID NOT NULL REFERENCES users(id),
    saved_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (hearing_id, version),
    UNIQUE (hearing_id, save_id)
);

CREATE TABLE transcript_signatures (
    id              UUID PRIMARY KEY,
    hearing_id      UUID NOT NULL REFERENCES hearings(id),
    participant_id  UUID NOT NULL REFERENCES participants(id),
    version         INTEGER NOT NULL,
    sha256          TEXT NOT NULL,
    width           DOUBLE PRECISION NOT NULL,
    height          DOUBLE PRECISION NOT NULL,
    strokes         TEXT NOT NULL,
    image           BYTEA NOT NULL,
    image_sha256    TEXT NOT NULL,
    signed_at       TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (hearing_id, version) REFERENCES transcript_versions(hearing_id, version)
);
CREATE INDEX transcript_signatures_hearing ON transcript_signatures(hearing_id, signed_at);

-- Versions and signatures are the record: never changed or deleted.
CREATE FUNCTION transcript_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER transcript_versions_no_change BEFORE UPDATE OR DELETE ON transcript_versions
    FOR EACH ROW EXECUTE FUNCTION transcript_append_only();
CREATE TRIGGER transcript_signatures_no_change BEFORE UPDATE OR DELETE ON transcript_signatures
    FOR EACH ROW EXECUTE FUNCTION transcript_append_only();

CREATE TABLE transcript_corrections (
    id                UUID PRIMARY KEY,
    hearing_id        UUID NOT NULL REFERENCES hearings(id),
    participant_id    UUID NOT NULL REFERENCES participants(id),
    version           INTEGER NOT NULL,
    text              TEXT NOT NULL,
    requested_at      TIMESTAMPTZ NOT NULL,
    status            TEXT NOT NULL,
    reason            TEXT,
    resolved_by       UUID REFERENCES users(id),
    resolved_at       TIMESTAMPTZ,
    resolved_version  INTEGER,
    FOREIGN KEY (hearing_id, version) REFERENCES transcript_versions(hearing_id, version)
);
CREATE INDEX transcript_corrections_hearing ON transcript_corrections(hearing_id, requested_at);
