//! What several cloudcourt nodes on one PostgreSQL database share (SQLite serves one
//! node and has none of it): the nodes and their heartbeats, the node each hearing's
//! media runs on, each hearing's numbered live messages with the NOTIFY that wakes the
//! other nodes, who is connected through which node, and whom the court muted.
//!
//! A node counts as alive while its heartbeat is younger than [`NODE_TIMEOUT`]; the
//! SQL below writes the same span as `interval '2500 milliseconds'`.

use crate::Result;
use court::HearingId;
use sqlx::Row;
use sqlx::postgres::{PgListener, PgPool};
use std::time::Duration;
use uuid::Uuid;

/// How often a node says it is alive.
pub const HEARTBEAT: Duration = Duration::from_millis(500);
/// How long a silent node is still taken for alive (five heartbeats).
pub const NODE_TIMEOUT: Duration = Duration::from_millis(2500);
/// The NOTIFY channel of the live messages; the payload is `"{hearing id} {seq}"`.
pub const LIVE_CHANNEL: &str = "cloudcourt_live";

/// The shared tables of a PostgreSQL store.
#[derive(Clone, Debug)]
pub struct ClusterDb {
    pool: PgPool,
}

/// Where a hearing's media runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub node_id: Uuid,
    /// The node's internal address (`[cluster] node_url`).
    pub url: String,
    /// Whether this call placed the hearing there (it had no live node before).
    pub placed_now: bool,
}

impl ClusterDb {
    pub(crate) fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Registers a starting node.
    pub async fn register_node(&self, node: Uuid, url: &str) -> Result<()> {
        sqlx::query("INSERT INTO cluster_nodes (id, url) VALUES ($1, $2)")
            .bind(node)
            .bind(url)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Says the node is alive.
    pub async fn heartbeat(&self, node: Uuid) -> Result<()> {
        sqlx::query("UPDATE cluster_nodes SET seen_at = now() WHERE id = $1")
            .bind(node)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Says the node is stopping: the others take its hearings over at once instead of
    /// waiting for its heartbeat to age.
    pub async fn retire(&self, node: Uuid) -> Result<()> {
        sqlx::query("UPDATE cluster_nodes SET seen_at = 'epoch' WHERE id = $1")
            .bind(node)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forgets what dead nodes left: their presence at once, their rows after an hour,
    /// live messages after a day (clients that were away longer get a snapshot).
    pub async fn prune(&self) -> Result<()> {
        sqlx::query(
            "DELETE FROM live_presence WHERE node_id NOT IN \
             (SELECT id FROM cluster_nodes WHERE seen_at > now() - interval '2500 milliseconds')",
        )
        .execute(&self.pool)
        .await?;
        sqlx::query("DELETE FROM cluster_nodes WHERE seen_at < now() - interval '1 hour'")
            .execute(&self.pool)
            .await?;
        sqlx::query("DELETE FROM live_events WHERE created_at < now() - interval '1 day'")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The node of `hearing`'s media: the one recorded if it is alive, else `node`,
    /// which this call records (two nodes asking at once get the same answer).
    pub async fn place(&self, hearing: HearingId, node: Uuid) -> Result<Placement> {
        let placed = sqlx::query(
            "INSERT INTO hearing_placements (hearing_id, node_id) VALUES ($1, $2) \
             ON CONFLICT (hearing_id) DO UPDATE SET node_id = EXCLUDED.node_id, placed_at = now() \
             WHERE hearing_placements.node_id <> EXCLUDED.node_id \
               AND hearing_placements.node_id NOT IN \
                 (SELECT id FROM cluster_nodes WHERE seen_at > now() - interval '2500 milliseconds') \
             RETURNING node_id",
        )
        .bind(hearing.0)
        .bind(node)
        .fetch_optional(&self.pool)
        .await?
        .is_some();
        let row = sqlx::query(
            "SELECT p.node_id, n.url FROM hearing_placements p \
             JOIN cluster_nodes n ON n.id = p.node_id WHERE p.hearing_id = $1",
        )
        .bind(hearing.0)
        .fetch_one(&self.pool)
        .await?;
        Ok(Placement {
            node_id: row.try_get("node_id")?,
            url: row.try_get("url")?,
            placed_now: placed,
        })
    }

    /// Whether `node` is alive (its heartbeat is recent).
    pub async fn is_alive(&self, node: Uuid) -> Result<bool> {
        let alive: Option<bool> = sqlx::query_scalar(
            "SELECT seen_at > now() - interval '2500 milliseconds' FROM cluster_nodes WHERE id = $1",
        )
        .bind(node)
        .fetch_optional(&self.pool)
        .await?;
        Ok(alive.unwrap_or(false))
    }

    /// Appends a message to `hearing`'s live log and tells every node; returns its
    /// number. The head row's lock orders concurrent appends, so numbers and
    /// notifications follow the order of the commits.
    pub async fn append_event(&self, hearing: HearingId, body: &str) -> Result<i64> {
        let seq: i64 = sqlx::query_scalar(
            "WITH head AS ( \
                 INSERT INTO live_heads (hearing_id, seq) VALUES ($1, 1) \
                 ON CONFLICT (hearing_id) DO UPDATE SET seq = live_heads.seq + 1 \
                 RETURNING seq), \
             event AS ( \
                 INSERT INTO live_events (hearing_id, seq, body) \
                 SELECT $1, seq, $2 FROM head RETURNING seq) \
             SELECT seq FROM event, \
                 LATERAL (SELECT pg_notify('cloudcourt_live', $1::text || ' ' || event.seq::text)) AS told",
        )
        .bind(hearing.0)
        .bind(body)
        .fetch_one(&self.pool)
        .await?;
        Ok(seq)
    }

    /// The newest `limit` messages of `hearing` numbered above `after`, in order.
    pub async fn events_after(
        &self,
        hearing: HearingId,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String)>> {
        let rows = sqlx::query(
            "SELECT seq, body FROM live_events WHERE hearing_id = $1 AND seq > $2 \
             ORDER BY seq DESC LIMIT $3",
        )
        .bind(hearing.0)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut events = rows
            .iter()
            .map(|row| Ok((row.try_get("seq")?, row.try_get("body")?)))
            .collect::<Result<Vec<_>>>()?;
        events.reverse();
        Ok(events)
    }

    /// The number of `hearing`'s latest message (0: none yet).
    pub async fn head(&self, hearing: HearingId) -> Result<i64> {
        let seq: Option<i64> =
            sqlx::query_scalar("SELECT seq FROM live_heads WHERE hearing_id = $1")
                .bind(hearing.0)
                .fetch_optional(&self.pool)
                .await?;
        Ok(seq.unwrap_or(0))
    }

    /// Records that `member` is connected to `hearing` through `node`.
    pub async fn set_present(
        &self,
        hearing: HearingId,
        member: Uuid,
        node: Uuid,
        connection: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO live_presence (hearing_id, member_id, node_id, connection) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (hearing_id, member_id) \
             DO UPDATE SET node_id = EXCLUDED.node_id, connection = EXCLUDED.connection, since = now()",
        )
        .bind(hearing.0)
        .bind(member)
        .bind(node)
        .bind(connection)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets `member`'s connection, unless a newer one (here or on another node)
    /// replaced it.
    pub async fn set_absent(
        &self,
        hearing: HearingId,
        member: Uuid,
        node: Uuid,
        connection: i64,
    ) -> Result<()> {
        sqlx::query(
            "DELETE FROM live_presence WHERE hearing_id = $1 AND member_id = $2 \
             AND node_id = $3 AND connection = $4",
        )
        .bind(hearing.0)
        .bind(member)
        .bind(node)
        .bind(connection)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Who is connected to `hearing` through a live node.
    pub async fn present_members(&self, hearing: HearingId) -> Result<Vec<Uuid>> {
        Ok(sqlx::query_scalar(
            "SELECT p.member_id FROM live_presence p JOIN cluster_nodes n ON n.id = p.node_id \
             WHERE p.hearing_id = $1 AND n.seen_at > now() - interval '2500 milliseconds'",
        )
        .bind(hearing.0)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Mutes or unmutes `member` in `hearing`; returns whether that changed anything.
    pub async fn set_muted(&self, hearing: HearingId, member: Uuid, muted: bool) -> Result<bool> {
        let changed = if muted {
            sqlx::query(
                "INSERT INTO live_mutes (hearing_id, member_id) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(hearing.0)
            .bind(member)
            .execute(&self.pool)
            .await?
        } else {
            sqlx::query("DELETE FROM live_mutes WHERE hearing_id = $1 AND member_id = $2")
                .bind(hearing.0)
                .bind(member)
                .execute(&self.pool)
                .await?
        };
        Ok(changed.rows_affected() > 0)
    }

    /// Whom the court muted in `hearing`.
    pub async fn muted_members(&self, hearing: HearingId) -> Result<Vec<Uuid>> {
        Ok(
            sqlx::query_scalar("SELECT member_id FROM live_mutes WHERE hearing_id = $1")
                .bind(hearing.0)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Records that an evidence upload is staged on `node`.
    pub async fn set_upload_node(&self, upload: Uuid, node: Uuid) -> Result<()> {
        sqlx::query("INSERT INTO upload_nodes (upload_id, node_id) VALUES ($1, $2)")
            .bind(upload)
            .bind(node)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The node an upload is staged on: its id, address and whether it is alive.
    pub async fn upload_node(&self, upload: Uuid) -> Result<Option<(Uuid, String, bool)>> {
        let row = sqlx::query(
            "SELECT u.node_id, n.url, n.seen_at > now() - interval '2500 milliseconds' AS alive              FROM upload_nodes u JOIN cluster_nodes n ON n.id = u.node_id WHERE u.upload_id = $1",
        )
        .bind(upload)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok((
                row.try_get("node_id")?,
                row.try_get("url")?,
                row.try_get("alive")?,
            ))
        })
        .transpose()
    }

    /// A connection listening for live messages of every hearing.
    pub async fn listener(&self) -> Result<PgListener> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(LIVE_CHANNEL).await?;
        Ok(listener)
    }
}
