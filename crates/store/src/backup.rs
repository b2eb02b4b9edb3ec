//! What a backup needs from the database: a consistent online copy of a SQLite file
//! (`VACUUM INTO`, which reads one transaction's snapshot while the server goes on
//! writing), the schema's migration version, the blobs the rows refer to (key,
//! size, SHA-256) and the audit chain's head — on PostgreSQL from an exported snapshot
//! that `pg_dump --snapshot` copies, so both see the same moment; and, for a restore,
//! whether a PostgreSQL database is empty. `pg_dump` and `pg_restore` themselves are run
//! by the binary.

use crate::Backend;
use sqlx::postgres::PgConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection, Row};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// The SQLite file's name in the data directory.
pub const SQLITE_FILE: &str = "cloudcourt.db";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("no SQLite database at {0}")]
    NoDatabase(String),
    #[error("{0} is not a SQLite database file (an in-memory database cannot be backed up)")]
    NotAFile(String),
    #[error("{dest} already exists; a snapshot is written to a new file only")]
    DestinationExists { dest: String },
    #[error("invalid SQLite database URL: {0}")]
    Url(#[source] sqlx::Error),
    #[error("cannot {action} {what}: {source}")]
    Database {
        action: &'static str,
        what: String,
        #[source]
        source: sqlx::Error,
    },
}

/// The last migration applied to a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaVersion {
    pub version: i64,
    pub description: String,
}

/// A blob as the database records it (an evidence item's or a recorded file's; `id` is its row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRef {
    pub id: uuid::Uuid,
    pub key: String,
    pub size: u64,
    /// Lowercase hex.
    pub sha256: String,
}

/// What a database holds that a backup records beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    /// `None` for a database no migration ran on.
    pub schema: Option<SchemaVersion>,
    /// Every blob the database names (evidence items, recorded files), ordered by key.
    pub blobs: Vec<BlobRef>,
    /// The audit chain's last sequence number and hash, if it has an event.
    pub audit_head: Option<(i64, String)>,
}

/// The newest migration this build knows for a backend: a database whose schema is newer
/// was written by a newer cloudcourt and cannot be served by this one.
pub fn latest_migration(backend: Backend) -> i64 {
    let migrator = match backend {
        Backend::Sqlite => sqlx::migrate!("migrations/sqlite"),
        Backend::Postgres => sqlx::migrate!("migrations/postgres"),
    };
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

/// The SQLite file a configuration uses: the one a `sqlite:` URL names, or
/// `cloudcourt.db` in the data directory.
pub fn sqlite_path(database_url: Option<&str>, data_dir: &Path) -> Result<PathBuf, BackupError> {
    match database_url {
        None => Ok(data_dir.join(SQLITE_FILE)),
        Some(url) => {
            let options = SqliteConnectOptions::from_str(url).map_err(BackupError::Url)?;
            let path = options.get_filename();
            // sqlx names an in-memory database `file:sqlx-in-memory-…`.
            let memory = url.contains(":memory:")
                || url.contains("mode=memory")
                || path.to_string_lossy().starts_with("file:");
            if memory || path.as_os_str().is_empty() {
                return Err(BackupError::NotAFile(url.to_owned()));
            }
            Ok(path.to_path_buf())
        }
    }
}

/// Writes a consistent copy of the SQLite database at `source` to the new file `dest`
/// with `VACUUM INTO`: one read transaction, so the copy is the database as one moment
/// saw it, while the server keeps reading and writing (WAL mode lets it).
pub async fn sqlite_snapshot(source: &Path, dest: &Path) -> Result<(), BackupError> {
    if !source.is_file() {
        return Err(BackupError::NoDatabase(source.display().to_string()));
    }
    if dest.exists() {
        return Err(BackupError::DestinationExists {
            dest: dest.display().to_string(),
        });
    }
    let dest_text = dest
        .to_str()
        .ok_or_else(|| BackupError::NotAFile(dest.display().to_string()))?
        .to_owned();
    let what = source.display().to_string();
    let mut conn = SqliteConnectOptions::new()
        .filename(source)
        .create_if_missing(false)
        .read_only(true)
        .busy_timeout(Duration::from_secs(30))
        .connect()
        .await
        .map_err(|source| BackupError::Database {
            action: "open",
            what: what.clone(),
            source,
        })?;
    let copied = sqlx::query("VACUUM INTO $1")
        .bind(dest_text)
        .execute(&mut conn)
        .await
        .map_err(|source| BackupError::Database {
            action: "copy (VACUUM INTO)",
            what: what.clone(),
            source,
        });
    let closed = conn.close().await.map_err(|source| BackupError::Database {
        action: "close",
        what,
        source,
    });
    copied?;
    closed
}

/// Reads a SQLite file that nothing writes to (a snapshot, a backup's copy) without
/// locking it or creating journal files beside it.
pub async fn sqlite_contents(file: &Path) -> Result<Contents, BackupError> {
    if !file.is_file() {
        return Err(BackupError::NoDatabase(file.display().to_string()));
    }
    let what = file.display().to_string();
    let mut conn = SqliteConnectOptions::new()
        .filename(file)
        .create_if_missing(false)
        .read_only(true)
        .immutable(true)
        .connect()
        .await
        .map_err(|source| BackupError::Database {
            action: "open",
            what: what.clone(),
            source,
        })?;
    let contents = read_sqlite(&mut conn)
        .await
        .map_err(|source| BackupError::Database {
            action: "read",
            what: what.clone(),
            source,
        });
    let _ = conn.close().await;
    contents
}

/// One moment of a PostgreSQL database, held open while `pg_dump --snapshot={name}`
/// copies it: what [`PostgresSnapshot::contents`] reads is exactly what the dump holds.
pub struct PostgresSnapshot {
    conn: PgConnection,
    /// The exported snapshot's name, for `pg_dump --snapshot`.
    pub name: String,
}

impl PostgresSnapshot {
    /// Opens a repeatable-read transaction and exports its snapshot.
    pub async fn begin(url: &str) -> Result<Self, BackupError> {
        let fail = |action: &'static str| {
            move |source| BackupError::Database {
                action,
                what: "the PostgreSQL database".to_owned(),
                source,
            }
        };
        let mut conn = PgConnection::connect(url)
            .await
            .map_err(fail("connect to"))?;
        sqlx::query("BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut conn)
            .await
            .map_err(fail("begin a snapshot of"))?;
        let name: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
            .fetch_one(&mut conn)
            .await
            .map_err(fail("export a snapshot of"))?;
        Ok(Self { conn, name })
    }

    /// The schema version, blobs and audit head as of the snapshot.
    pub async fn contents(&mut self) -> Result<Contents, BackupError> {
        read_postgres(&mut self.conn)
            .await
            .map_err(|source| BackupError::Database {
                action: "read",
                what: "the PostgreSQL database".to_owned(),
                source,
            })
    }

    /// Ends the snapshot's transaction (after the dump finished).
    pub async fn end(mut self) -> Result<(), BackupError> {
        let ended = sqlx::query("ROLLBACK").execute(&mut self.conn).await;
        let _ = self.conn.close().await;
        ended.map(drop).map_err(|source| BackupError::Database {
            action: "end the snapshot of",
            what: "the PostgreSQL database".to_owned(),
            source,
        })
    }
}

/// Whether a PostgreSQL database has no table of its own (a restore's target must not).
pub async fn postgres_is_empty(url: &str) -> Result<bool, BackupError> {
    let what = "the PostgreSQL database".to_owned();
    let mut conn = PgConnection::connect(url)
        .await
        .map_err(|source| BackupError::Database {
            action: "connect to",
            what: what.clone(),
            source,
        })?;
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') \
           AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
           AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'",
    )
    .fetch_one(&mut conn)
    .await
    .map_err(|source| BackupError::Database {
        action: "list the tables of",
        what,
        source,
    })?;
    let _ = conn.close().await;
    Ok(tables == 0)
}

async fn read_sqlite(conn: &mut SqliteConnection) -> Result<Contents, sqlx::Error> {
    let mut tx = conn.begin().await?;
    let has_migrations: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(&mut *tx)
    .await?;
    if has_migrations == 0 {
        tx.rollback().await?;
        return Ok(Contents {
            schema: None,
            blobs: Vec::new(),
            audit_head: None,
        });
    }
    let schema = sqlx::query(SCHEMA_QUERY)
        .fetch_optional(&mut *tx)
        .await?
        .map(|row| schema_from(&row))
        .transpose()?;
    let mut blobs = Vec::new();
    for row in sqlx::query(BLOBS_QUERY).fetch_all(&mut *tx).await? {
        blobs.push(blob_from(&row)?);
    }
    let audit_head = sqlx::query(AUDIT_HEAD_QUERY)
        .fetch_optional(&mut *tx)
        .await?
        .map(|row| audit_head_from(&row))
        .transpose()?
        .flatten();
    tx.rollback().await?;
    Ok(Contents {
        schema,
        blobs,
        audit_head,
    })
}

/// Reads within the transaction the connection is in.
async fn read_postgres(conn: &mut PgConnection) -> Result<Contents, sqlx::Error> {
    let has_migrations: bool =
        sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
            .fetch_one(&mut *conn)
            .await?;
    if !has_migrations {
        return Ok(Contents {
            schema: None,
            blobs: Vec::new(),
            audit_head: None,
        });
    }
    let schema = sqlx::query(SCHEMA_QUERY)
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| schema_from(&row))
        .transpose()?;
    let mut blobs = Vec::new();
    for row in sqlx::query(BLOBS_QUERY).fetch_all(&mut *conn).await? {
        blobs.push(blob_from(&row)?);
    }
    let audit_head = sqlx::query(AUDIT_HEAD_QUERY)
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| audit_head_from(&row))
        .transpose()?
        .flatten();
    Ok(Contents {
        schema,
        blobs,
        audit_head,
    })
}

const SCHEMA_QUERY: &str = "SELECT version, description FROM _sqlx_migrations \
     WHERE success ORDER BY version DESC LIMIT 1";
// Evidence and the recorded files of finished segments: every blob the database names.
const BLOBS_QUERY: &str = "SELECT id, blob_key, size, sha256 FROM evidence \
    UNION ALL SELECT id, blob_key, size, sha256 FROM recording_files ORDER BY blob_key";
const AUDIT_HEAD_QUERY: &str = "SELECT seq, hash FROM audit_head WHERE id = 1";

fn schema_from<R: Row>(row: &R) -> Result<SchemaVersion, sqlx::Error>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
{
    Ok(SchemaVersion {
        version: row.try_get("version")?,
        description: row.try_get("description")?,
    })
}

fn blob_from<R: Row>(row: &R) -> Result<BlobRef, sqlx::Error>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> uuid::Uuid: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
{
    let size: i64 = row.try_get("size")?;
    Ok(BlobRef {
        id: row.try_get("id")?,
        key: row.try_get("blob_key")?,
        size: u64::try_from(size).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        sha256: row.try_get("sha256")?,
    })
}

fn audit_head_from<R: Row>(row: &R) -> Result<Option<(i64, String)>, sqlx::Error>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
{
    let seq: i64 = row.try_get("seq")?;
    if seq <= 0 {
        return Ok(None);
    }
    Ok(Some((seq, row.try_get("hash")?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_snapshot_of_a_live_database_holds_its_rows() {
        let dir = tempfile::tempdir().expect("temp dir");
        let source = dir.path().join(SQLITE_FILE);
        let store = crate::SqliteStore::open_file(&source).await.expect("open");
        let snapshot = dir.path().join("copy.db");
        sqlite_snapshot(&source, &snapshot).await.expect("snapshot");
        let contents = sqlite_contents(&snapshot).await.expect("contents");
        assert_eq!(
            contents.schema.map(|s| s.version),
            Some(latest_migration(Backend::Sqlite))
        );
        assert!(contents.blobs.is_empty());
        assert_eq!(contents.audit_head, None);
        // A second snapshot never overwrites the first.
        assert!(matches!(
            sqlite_snapshot(&source, &snapshot).await,
            Err(BackupError::DestinationExists { .. })
        ));
        drop(store);
    }

    #[test]
    fn the_database_file_comes_from_the_url_or_the_data_dir() {
        let dir = Path::new("/srv/cc");
        assert_eq!(sqlite_path(None, dir).expect("path"), dir.join(SQLITE_FILE));
        assert_eq!(
            sqlite_path(Some("sqlite:///var/lib/cc/court.db"), dir).expect("path"),
            Path::new("/var/lib/cc/court.db")
        );
        assert!(sqlite_path(Some("sqlite::memory:"), dir).is_err());
    }
}
