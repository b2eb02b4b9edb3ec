-- Several cloudcourt nodes on one database (PostgreSQL only: SQLite serves one node).
--
-- cluster_nodes: every running process, with a heartbeat; a node whose heartbeat is
-- older than a few seconds counts as dead (its id is new at each start).
-- hearing_placements: the node each hearing's media (SFU room and recorder) runs on.
-- live_heads / live_events: each hearing's live messages, numbered per hearing; every
-- node delivers them to its own clients in that order (NOTIFY says only "hearing h has
-- message n"; the body is read from here, so a listener that reconnects misses nothing).
-- live_presence: who is connected to a hearing, through which node.
-- live_mutes: whom the court muted (静音), kept across restarts and shared by all nodes.
-- upload_nodes: the node an evidence upload in progress is staged on (its chunks are
-- forwarded there from whichever node they reach).

CREATE TABLE cluster_nodes (
    id          UUID PRIMARY KEY,
    url         TEXT NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    seen_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE hearing_placements (
    hearing_id  UUID PRIMARY KEY REFERENCES hearings (id),
    node_id     UUID NOT NULL,
    placed_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE live_heads (
    hearing_id  UUID PRIMARY KEY REFERENCES hearings (id),
    seq         BIGINT NOT NULL
);

CREATE TABLE live_events (
    hearing_id  UUID NOT NULL REFERENCES hearings (id),
    seq         BIGINT NOT NULL,
    body        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (hearing_id, seq)
);
CREATE INDEX live_events_created_at ON live_events (created_at);

CREATE TABLE live_presence (
    hearing_id  UUID NOT NULL REFERENCES hearings (id),
    member_id   UUID NOT NULL,
    node_id     UUID NOT NULL,
    connection  BIGINT NOT NULL,
    since       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (hearing_id, member_id)
);

CREATE TABLE upload_nodes (
    upload_id   UUID PRIMARY KEY,
    node_id     UUID NOT NULL
);

CREATE TABLE live_mutes (
    hearing_id  UUID NOT NULL REFERENCES hearings (id),
    member_id   UUID NOT NULL,
    muted_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (hearing_id, member_id)
);
