//! `cloudcourt backup` and `cloudcourt restore`: a backup directory that holds the
//! database (SQLite: an online `VACUUM INTO` copy; PostgreSQL: a `pg_dump` custom-format
//! archive), the local evidence blobs (each checked against the SHA-256 the database
//! keeps) or, with S3, an inventory of their keys and hashes, the finished recordings
//! (checked against their own manifests) and the self-made PDF signing key, with a
//! `manifest.json` naming every file's size and SHA-256. A restore checks every file
//! against that manifest before anything is put in place, refuses a data directory
//! that is not empty (unless `--force`, which moves what is there aside, never deletes
//! it), and checks the restored audit chain. See `docs/backup.md`.

use crate::config::Config;
use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;
use store::backup::{BlobRef, Contents};
use store::blobs::BlobConfig;

/// The manifest's format, written in it.
pub const FORMAT: &str = "cloudcourt-backup/1";
/// The manifest's file name in a backup directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The SQLite copy, relative to the backup directory.
pub const SQLITE_COPY: &str = "database/cloudcourt.db";
/// The `pg_dump --format=custom` archive, relative to the backup directory.
pub const PG_DUMP_FILE: &str = "database/cloudcourt.pgdump";
/// Every blob's key, size and SHA-256 (evidence, recorded files), as the database records them.
pub const INVENTORY_FILE: &str = "blob-inventory.json";
const BLOBS: &str = "blobs";
const RECORDINGS: &str = "recordings";
const PDF_KEYS: &str = "pdf-signing";
const UPLOADS: &str = "uploads";
const COPY_CHUNK: usize = 256 * 1024;

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// The directory to write the backup into: a new one, or an empty one.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The backup directory (`cloudcourt backup --out DIR` wrote it).
    #[arg(long)]
    pub from: PathBuf,
    /// Restore into a data directory that is not empty (stop the server first): its
    /// database, blobs, recordings, signing key and uploads are moved into
    /// `restore-replaced-{time}/` inside it, never deleted. (A PostgreSQL database must be
    /// empty all the same.)
    #[arg(long)]
    pub force: bool,
}

/// What a backup holds: `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub cloudcourt_version: String,
    pub created_at: DateTime<Utc>,
    pub database: DatabaseEntry,
    pub blobs: BlobsEntry,
    /// The audit chain's head in the copied database.
    #[serde(default)]
    pub audit: Option<AuditHead>,
    /// Recording segments still being written when the backup ran: not included (the
    /// next backup after 闭庭 has them).
    #[serde(default)]
    pub recordings_in_progress: Vec<String>,
    /// What was found wrong while backing up (a blob that does not match its hash, one
    /// missing): the backup holds what was there, and the command failed to say so.
    #[serde(default)]
    pub problems: Vec<String>,
    /// What is deliberately not in the backup.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Every file of the backup but this manifest.
    pub files: Vec<FileEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseEntry {
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// The copy or the dump, relative to the backup directory.
    pub file: String,
    /// How it was made: `VACUUM INTO` or `pg_dump --format=custom`.
    pub method: String,
    /// The last migration applied (`crates/store/migrations/{backend}/`).
    pub schema_version: i64,
    pub schema_description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BlobsEntry {
    /// The blob directory's files are copied under `blobs/`.
    Local {
        #[serde(alias = "evidence_items")]
        files: usize,
    },
    /// The blobs stay in the bucket (its own versioning or replication keeps them); the
    /// inventory names them.
    S3 {
        bucket: String,
        #[serde(default)]
        endpoint: Option<String>,
        #[serde(alias = "evidence_items")]
        files: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
}

/// One file of a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Relative to the backup directory, `/`-separated.
    pub path: String,
    pub size: u64,
    /// Lowercase hex.
    pub sha256: String,
    /// Unix permission bits (the signing key's 0600 is kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
}

/// One line of `blob-inventory.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryEntry {
    /// The row (an evidence item or a recorded file) the blob belongs to.
    #[serde(alias = "evidence_id")]
    pub id: uuid::Uuid,
    pub key: String,
    pub size: u64,
    pub sha256: String,
}

impl From<&BlobRef> for InventoryEntry {
    fn from(blob: &BlobRef) -> Self {
        Self {
            id: blob.id,
            key: blob.key.clone(),
            size: blob.size,
            sha256: blob.sha256.clone(),
        }
    }
}

/// `cloudcourt backup --out DIR`.
pub async fn backup(config: Config, args: BackupArgs) -> anyhow::Result<ExitCode> {
    let (out, manifest) = create(&config, &args.out).await?;
    let bytes: u64 = manifest.files.iter().map(|f| f.size).sum();
    println!(
        "备份完成 backup written: {}\n  database: {} (schema {} {}), {}\n  blobs: {} file(s), {}\n  files: {} ({} bytes)",
        out.display(),
        manifest.database.backend,
        manifest.database.schema_version,
        manifest.database.schema_description,
        manifest.database.method,
        match &manifest.blobs {
            BlobsEntry::Local { files } | BlobsEntry::S3 { files, .. } => files,
        },
        match &manifest.blobs {
            BlobsEntry::Local { .. } => "blobs copied".to_owned(),
            BlobsEntry::S3 { bucket, .. } =>
                format!("kept in the S3 bucket {bucket}, listed in {INVENTORY_FILE}"),
        },
        manifest.files.len(),
        bytes,
    );
    for segment in &manifest.recordings_in_progress {
        println!("  not included (still recording): recordings/{segment}");
    }
    for note in &manifest.notes {
        println!("  note: {note}");
    }
    if manifest.problems.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "备份发现问题 the backup was written, but the data has {} problem(s):",
        manifest.problems.len()
    );
    for problem in &manifest.problems {
        eprintln!("  {problem}");
    }
    Ok(ExitCode::FAILURE)
}

/// `cloudcourt restore --from DIR [--force]`.
pub async fn restore(config: Config, args: RestoreArgs) -> anyhow::Result<ExitCode> {
    let report = restore_into(&config, &args.from, args.force).await?;
    println!(
        "恢复完成 restored the backup of {} ({} files) into {}",
        report.manifest.created_at.to_rfc3339(),
        report.manifest.files.len(),
        config.data_dir.display()
    );
    if let Some(aside) = &report.moved_aside {
        println!("  what was there before is kept in {}", aside.display());
    }
    println!(
        "审计日志完整 audit chain intact: {} rows verified",
        report.audit_rows
    );
    if report.problems.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "恢复后发现问题 restored, with {} problem(s):",
        report.problems.len()
    );
    for problem in &report.problems {
        eprintln!("  {problem}");
    }
    Ok(ExitCode::FAILURE)
}

/// Which database a configuration names.
enum Database<'a> {
    Sqlite(PathBuf),
    Postgres(&'a str),
}

fn database(config: &Config) -> anyhow::Result<Database<'_>> {
    match config.database_url() {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Database::Postgres(url))
        }
        url => Ok(Database::Sqlite(
            store::backup::sqlite_path(url, &config.data_dir)
                .context("finding the SQLite database file")?,
        )),
    }
}

/// The local blob directory, when blobs are local.
fn local_blob_dir(config: &Config) -> Option<PathBuf> {
    match &config.blobs {
        BlobConfig::Local { dir } => {
            Some(dir.clone().unwrap_or_else(|| config.data_dir.join(BLOBS)))
        }
        BlobConfig::S3 { .. } => None,
    }
}

/// Writes a backup into `out` (new or empty): first into a hidden directory beside it,
/// renamed to `out` only when complete, so `out` never holds half a backup. Returns the
/// directory and the manifest.
pub async fn create(config: &Config, out: &Path) -> anyhow::Result<(PathBuf, Manifest)> {
    let out = std::path::absolute(out)
        .with_context(|| format!("cannot resolve the backup directory {}", out.display()))?;
    if out.exists() && !is_empty_dir(&out)? {
        bail!(
            "the backup directory {} is not empty: name a new (or empty) directory for each backup",
            out.display()
        );
    }
    let parent = out
        .parent()
        .with_context(|| format!("{} has no parent directory", out.display()))?;
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let name = out
        .file_name()
        .with_context(|| format!("{} names no directory", out.display()))?
        .to_string_lossy()
        .into_owned();
    let stage = Staged::dir(parent.join(format!(".{name}.incomplete-{}", std::process::id())))?;
    let root = stage.path.clone();
    let created_at = court::to_storage_precision(Utc::now());
    let mut notes = Vec::new();

    private_dir(&root.join("database"))?;
    let ((backend, file, method), contents) = match database(config)? {
        Database::Sqlite(source) => {
            let copy = root.join(SQLITE_COPY);
            store::backup::sqlite_snapshot(&source, &copy)
                .await
                .with_context(|| format!("copying the database {}", source.display()))?;
            let contents = store::backup::sqlite_contents(&copy)
                .await
                .context("reading the database copy")?;
            (("sqlite", SQLITE_COPY, "VACUUM INTO"), contents)
        }
        Database::Postgres(url) => {
            // One exported snapshot for the dump and for what is read here: the blob
            // list and audit head are exactly the dump's.
            let mut snapshot = store::backup::PostgresSnapshot::begin(url)
                .await
                .context("starting a snapshot of the database")?;
            let contents = snapshot.contents().await.context("reading the database")?;
            let dumped = pg_dump(url, &snapshot.name, &root.join(PG_DUMP_FILE)).await;
            snapshot.end().await.context("ending the snapshot")?;
            dumped?;
            (
                ("postgres", PG_DUMP_FILE, "pg_dump --format=custom"),
                contents,
            )
        }
    };
    let schema = contents.schema.clone().context(
        "the database has no cloudcourt schema (no migration was ever applied): nothing to back up",
    )?;
    let database = DatabaseEntry {
        backend: backend.to_owned(),
        file: file.to_owned(),
        method: method.to_owned(),
        schema_version: schema.version,
        schema_description: schema.description,
    };
    let mut files = vec![hash_entry(&root, &database.file)?];

    let inventory: Vec<InventoryEntry> = contents.blobs.iter().map(Into::into).collect();
    write_json(&root.join(INVENTORY_FILE), &inventory)?;
    files.push(hash_entry(&root, INVENTORY_FILE)?);

    let mut problems = Vec::new();
    let blobs = match (&config.blobs, local_blob_dir(config)) {
        (_, Some(dir)) => {
            let root = root.clone();
            let referenced = contents.blobs.clone();
            let (copied, found) =
                tokio::task::spawn_blocking(move || copy_blobs(&dir, &root, &referenced))
                    .await
                    .context("copying the blobs")??;
            files.extend(copied);
            problems.extend(found);
            BlobsEntry::Local {
                files: contents.blobs.len(),
            }
        }
        (
            BlobConfig::S3 {
                bucket, endpoint, ..
            },
            None,
        ) => {
            problems.extend(check_bucket(config, &contents).await?);
            notes.push(format!(
                "the blobs stay in the S3 bucket {bucket}: only their inventory ({INVENTORY_FILE}) is here; \
                 the bucket needs its own versioning or replication"
            ));
            BlobsEntry::S3 {
                bucket: bucket.clone(),
                endpoint: endpoint.clone(),
                files: contents.blobs.len(),
            }
        }
        (BlobConfig::Local { .. }, None) => bail!("local blobs without a directory"),
    };

    let recordings = {
        let source = config.data_dir.join(RECORDINGS);
        let root = root.clone();
        tokio::task::spawn_blocking(move || copy_recordings(&source, &root))
            .await
            .context("copying the recordings")??
    };
    files.extend(recordings.files);
    problems.extend(recordings.problems);

    match (&config.pdf.certificate, &config.pdf.key) {
        (None, None) => {
            let source = config.data_dir.join(PDF_KEYS);
            if source.is_dir() {
                let mut copied = Vec::new();
                copy_tree(&source, &root, PDF_KEYS, &mut |_| true, &mut copied)?;
                files.extend(copied);
            }
        }
        _ => notes.push(
            "the configured pdf.certificate and pdf.key live outside the data directory: \
             keep them with the configuration"
                .to_owned(),
        ),
    }
    notes.push(format!(
        "uploads in progress ({UPLOADS}/) are not included: a party whose upload was cut uploads the file again"
    ));

    files.sort_by(|a, b| a.path.cmp(&b.path));
    let manifest = Manifest {
        format: FORMAT.to_owned(),
        cloudcourt_version: env!("CARGO_PKG_VERSION").to_owned(),
        created_at,
        database,
        blobs,
        audit: contents
            .audit_head
            .clone()
            .map(|(seq, hash)| AuditHead { seq, hash }),
        recordings_in_progress: recordings.in_progress,
        problems,
        notes,
        files,
    };
    write_json(&root.join(MANIFEST_FILE), &manifest)?;
    sync_dir(&root);
    stage.finish_into(&out)?;
    sync_dir(parent);
    Ok((out, manifest))
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    pub manifest: Manifest,
    /// Where what was in the way went (with `--force`).
    pub moved_aside: Option<PathBuf>,
    /// Rows of the audit chain, verified after the restore.
    pub audit_rows: i64,
    /// Found after restoring: evidence missing from the S3 bucket, say.
    pub problems: Vec<String>,
}

/// Restores the backup in `from` into the configured data directory (and database):
/// checks every file first, then copies into hidden places beside the targets, and only
/// then moves them into place. Nothing in the target changes when a check fails.
pub async fn restore_into(config: &Config, from: &Path, force: bool) -> anyhow::Result<Restored> {
    let manifest = read_manifest(from)?;
    let database = database(config)?;
    let blob_dir = local_blob_dir(config);

    // The backup must fit this configuration and this build.
    let backend = match (&database, manifest.database.backend.as_str()) {
        (Database::Sqlite(_), "sqlite") => store::Backend::Sqlite,
        (Database::Postgres(_), "postgres") => store::Backend::Postgres,
        (_, backup) => bail!(
            "this backup holds a {backup} database, but the configuration names {}: restore it with the \
             same kind of database (see docs/backup.md)",
            match database {
                Database::Sqlite(_) => "SQLite (no postgres:// database_url)",
                Database::Postgres(_) => "PostgreSQL",
            }
        ),
    };
    let latest = store::backup::latest_migration(backend);
    if manifest.database.schema_version > latest {
        bail!(
            "this backup's database schema is version {} ({}), newer than this cloudcourt {} knows ({latest}): \
             restore it with cloudcourt {} or later",
            manifest.database.schema_version,
            manifest.database.schema_description,
            env!("CARGO_PKG_VERSION"),
            manifest.cloudcourt_version
        );
    }
    match (&manifest.blobs, &blob_dir) {
        (BlobsEntry::Local { .. }, Some(_)) | (BlobsEntry::S3 { .. }, None) => {}
        (BlobsEntry::Local { .. }, None) => bail!(
            "this backup holds local blobs, but the configuration keeps blobs in S3: restore with \
             [blobs] kind = \"local\", or copy its blobs/ directory into the bucket yourself first"
        ),
        (BlobsEntry::S3 { bucket, .. }, Some(_)) => bail!(
            "this backup's evidence is in the S3 bucket {bucket}, but the configuration keeps blobs in a \
             local directory: restore with the same [blobs] configuration"
        ),
    }
    if manifest
        .files
        .iter()
        .all(|f| f.path != manifest.database.file)
    {
        bail!(
            "the backup's manifest does not list its database file {}",
            manifest.database.file
        );
    }

    // Every file, against the manifest, before anything else.
    {
        let from = from.to_path_buf();
        let files = manifest.files.clone();
        tokio::task::spawn_blocking(move || verify_files(&from, &files))
            .await
            .context("checking the backup")??;
    }

    // The targets: empty, or (with --force) what is there moves aside.
    let sqlite_file = match &database {
        Database::Sqlite(path) => Some(path.clone()),
        Database::Postgres(_) => None,
    };
    let data_dir = &config.data_dir;
    let mut in_the_way = Vec::new();
    if data_dir.exists() {
        in_the_way.extend(
            list_dir(data_dir)?
                .into_iter()
                .map(|name| data_dir.join(name)),
        );
    }
    if let Some(dir) = &blob_dir
        && !dir.starts_with(data_dir)
        && dir.exists()
        && !is_empty_dir(dir)?
    {
        in_the_way.push(dir.clone());
    }
    if let Some(file) = &sqlite_file
        && !file.starts_with(data_dir)
        && file.exists()
    {
        in_the_way.push(file.clone());
    }
    if !in_the_way.is_empty() && !force {
        let names: Vec<String> = in_the_way.iter().map(|p| p.display().to_string()).collect();
        bail!(
            "the data directory is not empty ({}): restore into an empty directory, or stop the server and \
             pass --force to move cloudcourt's files there (database, blobs, recordings, signing key, uploads) \
             aside into {}/restore-replaced-TIME/ (nothing is deleted)",
            names.join(", "),
            data_dir.display()
        );
    }
    // What --force moves aside: what the restore replaces, and the state that belongs
    // with it (uploads in progress, the SQLite journals); anything else stays.
    let mut replaced: Vec<PathBuf> = Vec::new();
    if let Some(file) = &sqlite_file {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = file.as_os_str().to_owned();
            name.push(suffix);
            replaced.push(PathBuf::from(name));
        }
    }
    replaced.extend(blob_dir.clone());
    replaced.extend([RECORDINGS, PDF_KEYS, UPLOADS].map(|name| data_dir.join(name)));
    replaced.retain(|path| path.exists());
    if let Database::Postgres(url) = &database
        && !store::backup::postgres_is_empty(url)
            .await
            .context("checking the target database")?
    {
        bail!(
            "the PostgreSQL database {} is not empty: restore into a new database \
             (createdb …, then set database_url to it); cloudcourt never drops tables",
            crate::config::redact_url(url)
        );
    }
    let mut problems = Vec::new();
    if let BlobsEntry::S3 { .. } = &manifest.blobs {
        let inventory: Vec<InventoryEntry> = read_json(&from.join(INVENTORY_FILE))?;
        problems.extend(check_inventory_in_bucket(config, &inventory).await?);
    }

    // Copy into hidden places beside the targets, checking each file again as it is read.
    let mut places: Vec<(PathBuf, PathBuf)> = Vec::new(); // (staged, final)
    let mut staged: Vec<Staged> = Vec::new();
    let stage_name = |target: &Path| -> anyhow::Result<PathBuf> {
        let name = target
            .file_name()
            .with_context(|| format!("{} names no file", target.display()))?
            .to_string_lossy()
            .into_owned();
        let parent = target
            .parent()
            .with_context(|| format!("{} has no parent directory", target.display()))?;
        Ok(parent.join(format!(".{name}.restoring-{}", std::process::id())))
    };
    let mut groups: BTreeMap<&'static str, (PathBuf, Vec<FileEntry>)> = BTreeMap::new();
    for file in &manifest.files {
        let (top, _) = file
            .path
            .split_once('/')
            .unwrap_or((file.path.as_str(), ""));
        let (top, target) = match top {
            BLOBS => (BLOBS, blob_dir.clone()),
            RECORDINGS => (RECORDINGS, Some(data_dir.join(RECORDINGS))),
            PDF_KEYS => (PDF_KEYS, Some(data_dir.join(PDF_KEYS))),
            _ => (BLOBS, None),
        };
        if let Some(target) = target {
            groups
                .entry(top)
                .or_insert_with(|| (target, Vec::new()))
                .1
                .push(file.clone());
        }
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
    for (top, (target, files)) in groups {
        let stage = Staged::dir(stage_name(&target)?)?;
        let (from, stage_path) = (from.to_path_buf(), stage.path.clone());
        tokio::task::spawn_blocking(move || {
            for file in &files {
                let inner = file
                    .path
                    .strip_prefix(top)
                    .unwrap_or(&file.path)
                    .trim_start_matches('/');
                copy_checked(&from, file, &stage_path.join(inner))?;
            }
            anyhow::Ok(())
        })
        .await
        .context("copying the backup")??;
        places.push((stage.path.clone(), target));
        staged.push(stage);
    }
    if let Some(file) = &sqlite_file {
        let stage_path = stage_name(file)?;
        let stage = Staged::file(stage_path.clone());
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        let entry = manifest
            .files
            .iter()
            .find(|f| f.path == manifest.database.file)
            .cloned()
            .context("the database file is not in the manifest")?;
        let from = from.to_path_buf();
        tokio::task::spawn_blocking(move || copy_checked(&from, &entry, &stage_path))
            .await
            .context("copying the database")??;
        places.push((stage.path.clone(), file.clone()));
        staged.push(stage);
    }
    if let Database::Postgres(url) = &database {
        pg_restore(url, &from.join(&manifest.database.file)).await?;
    }

    // Into place: what is in the way first moves aside.
    let moved_aside = if replaced.is_empty() {
        None
    } else {
        Some(move_aside(data_dir, &replaced)?)
    };
    for (stage, target) in &places {
        if target.is_dir() && is_empty_dir(target)? {
            std::fs::remove_dir(target)
                .with_context(|| format!("cannot replace the empty {}", target.display()))?;
        }
        std::fs::rename(stage, target).with_context(|| {
            format!(
                "cannot move {} into place as {}",
                stage.display(),
                target.display()
            )
        })?;
    }
    for stage in &mut staged {
        stage.keep = true;
    }
    sync_dir(data_dir);

    // The restored database answers, its audit chain holds, and it is the one backed up.
    let store = store::open(config.database_url(), data_dir)
        .await
        .context("opening the restored database")?;
    let audit_rows = match store::verify_audit(store.as_ref()).await? {
        store::AuditVerdict::Intact { rows } => rows,
        store::AuditVerdict::Broken(broken) => bail!(
            "the restored audit chain is BROKEN at row {}: {}",
            broken.seq,
            broken.reason
        ),
    };
    let head = store.audit_head().await?;
    let expected = manifest.audit.as_ref().map(|h| (h.seq, h.hash.clone()));
    if head != expected {
        bail!(
            "the restored audit chain ends at {:?}, but the backup's ended at {:?}",
            head.map(|(seq, _)| seq),
            expected.map(|(seq, _)| seq)
        );
    }
    Ok(Restored {
        manifest,
        moved_aside,
        audit_rows,
        problems,
    })
}

/// Reads and checks `manifest.json`.
pub fn read_manifest(from: &Path) -> anyhow::Result<Manifest> {
    let path = from.join(MANIFEST_FILE);
    if !path.is_file() {
        bail!(
            "{} is not a cloudcourt backup: it has no {MANIFEST_FILE} (an interrupted backup leaves none)",
            from.display()
        );
    }
    let manifest: Manifest = read_json(&path)?;
    if manifest.format != FORMAT {
        bail!(
            "{} is in the format {:?}; this cloudcourt reads {FORMAT:?}",
            path.display(),
            manifest.format
        );
    }
    for file in &manifest.files {
        relative_path(&file.path)?;
    }
    Ok(manifest)
}

/// Checks every file of a backup against its size and SHA-256; names each one that
/// differs (or is missing).
pub fn verify_files(from: &Path, files: &[FileEntry]) -> anyhow::Result<()> {
    let mut damaged = Vec::new();
    for file in files {
        let path = from.join(relative_path(&file.path)?);
        match hash_file(&path) {
            Ok((size, sha256)) if size == file.size && sha256 == file.sha256 => {}
            Ok((size, sha256)) => damaged.push(format!(
                "{}: {size} bytes with SHA-256 {sha256}, the manifest says {} bytes with {}",
                file.path, file.size, file.sha256
            )),
            Err(err) => damaged.push(format!("{}: {err}", file.path)),
        }
    }
    if damaged.is_empty() {
        return Ok(());
    }
    let shown = damaged.len().min(20);
    bail!(
        "the backup in {} is damaged, nothing was restored; {} file(s) do not match its manifest:\n  {}{}",
        from.display(),
        damaged.len(),
        damaged[..shown].join("\n  "),
        if damaged.len() > shown { "\n  …" } else { "" }
    )
}

/// A manifest path as a relative path with plain components only (no `..`, no root).
fn relative_path(path: &str) -> anyhow::Result<PathBuf> {
    let relative = PathBuf::from(path);
    let plain = !path.is_empty()
        && relative
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
    if !plain {
        bail!("the manifest names an unsafe path {path:?}");
    }
    Ok(relative)
}

/// Copies one file of the backup to `dest`, checking it against the manifest as it goes.
fn copy_checked(from: &Path, file: &FileEntry, dest: &Path) -> anyhow::Result<()> {
    let source = from.join(relative_path(&file.path)?);
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let (size, sha256) = copy_hashed(&source, dest, file.mode)
        .with_context(|| format!("cannot copy {} to {}", source.display(), dest.display()))?;
    if size != file.size || sha256 != file.sha256 {
        bail!(
            "{} changed while it was restored (now {size} bytes with SHA-256 {sha256}); nothing was restored",
            file.path
        );
    }
    Ok(())
}

/// Moves what a restore replaces into `restore-replaced-{time}/` in the data directory
/// (or, outside it, beside itself).
fn move_aside(data_dir: &Path, replaced: &[PathBuf]) -> anyhow::Result<PathBuf> {
    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
    let aside = data_dir.join(format!("restore-replaced-{stamp}"));
    private_dir(&aside)?;
    for path in replaced {
        let Some(name) = path.file_name() else {
            continue;
        };
        let dest = if path.parent() == Some(data_dir) {
            aside.join(name)
        } else {
            let mut sibling = path.as_os_str().to_owned();
            sibling.push(format!(".restore-replaced-{stamp}"));
            PathBuf::from(sibling)
        };
        std::fs::rename(path, &dest).with_context(|| {
            format!("cannot move {} aside to {}", path.display(), dest.display())
        })?;
    }
    Ok(aside)
}

/// Copies the blob directory (every finished file; `#`-suffixed files are writes in
/// progress) and checks each blob against the database's size and SHA-256.
fn copy_blobs(
    dir: &Path,
    root: &Path,
    referenced: &[BlobRef],
) -> anyhow::Result<(Vec<FileEntry>, Vec<String>)> {
    let mut copied = Vec::new();
    if dir.is_dir() {
        copy_tree(
            dir,
            root,
            BLOBS,
            &mut |rel| !is_partial_write(rel),
            &mut copied,
        )?;
    }
    let prefix = format!("{BLOBS}/");
    let by_key: HashMap<&str, &FileEntry> = copied
        .iter()
        .filter_map(|f| f.path.strip_prefix(&prefix).map(|key| (key, f)))
        .collect();
    let mut problems = Vec::new();
    for blob in referenced {
        match by_key.get(blob.key.as_str()) {
            None => problems.push(format!(
                "row {}: the blob {} is missing (not in {})",
                blob.id,
                blob.key,
                dir.display()
            )),
            Some(file) if file.sha256 != blob.sha256 || file.size != blob.size => {
                problems.push(format!(
                    "row {}: the blob {} has {} bytes with SHA-256 {}, the database recorded {} bytes with {} \
                     (altered at rest: an earlier backup holds the original)",
                    blob.id, blob.key, file.size, file.sha256, blob.size, blob.sha256
                ))
            }
            Some(_) => {}
        }
    }
    Ok((copied, problems))
}

/// object_store's local store writes `{key}#{n}` and renames it when complete.
fn is_partial_write(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    matches!(name.split_once('#'), Some((_, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// With S3: checks that every blob is in the bucket with its size.
async fn check_bucket(config: &Config, contents: &Contents) -> anyhow::Result<Vec<String>> {
    let inventory: Vec<InventoryEntry> = contents.blobs.iter().map(Into::into).collect();
    check_inventory_in_bucket(config, &inventory).await
}

async fn check_inventory_in_bucket(
    config: &Config,
    inventory: &[InventoryEntry],
) -> anyhow::Result<Vec<String>> {
    let blobs = store::blobs::Blobs::open(&config.blobs, &config.data_dir.join(BLOBS))
        .context("opening the blob store")?;
    let mut problems = Vec::new();
    for blob in inventory {
        match blobs.head(&blob.key).await {
            Ok(meta) if meta.size == blob.size => {}
            Ok(meta) => problems.push(format!(
                "row {}: the object {} has {} bytes in the bucket, the database recorded {}",
                blob.id, blob.key, meta.size, blob.size
            )),
            Err(store::BlobError::NotFound(_)) => problems.push(format!(
                "row {}: the object {} is missing from the bucket",
                blob.id, blob.key
            )),
            Err(err) => return Err(err).context("checking the blobs in the bucket"),
        }
    }
    Ok(problems)
}

struct RecordingsCopy {
    files: Vec<FileEntry>,
    in_progress: Vec<String>,
    problems: Vec<String>,
}

/// Copies the finished recording segments (`recordings/{hearing}/{segment}/`, their
/// manifest `finished` or `interrupted`), each file checked against the hash its
/// manifest recorded; segments still being written are named, not copied.
fn copy_recordings(source: &Path, root: &Path) -> anyhow::Result<RecordingsCopy> {
    use media::recording::{Manifest as RecordingManifest, RecordingState};
    let mut result = RecordingsCopy {
        files: Vec::new(),
        in_progress: Vec::new(),
        problems: Vec::new(),
    };
    if !source.is_dir() {
        return Ok(result);
    }
    let mut segments: BTreeMap<String, Option<RecordingManifest>> = BTreeMap::new();
    for hearing in list_dir(source)? {
        let hearing_dir = source.join(&hearing);
        if !hearing_dir.is_dir() {
            continue;
        }
        for segment in list_dir(&hearing_dir)? {
            let dir = hearing_dir.join(&segment);
            if dir.is_dir() {
                let manifest = RecordingManifest::load(&dir).ok();
                segments.insert(format!("{hearing}/{segment}"), manifest);
            }
        }
    }
    let finished = |segment: &str| {
        segments
            .get(segment)
            .and_then(Option::as_ref)
            .is_some_and(|m| {
                matches!(
                    m.state,
                    RecordingState::Finished | RecordingState::Interrupted
                )
            })
    };
    copy_tree(
        source,
        root,
        RECORDINGS,
        &mut |rel| {
            let parts: Vec<&str> = rel.splitn(3, '/').collect();
            parts.len() < 3 || finished(&format!("{}/{}", parts[0], parts[1]))
        },
        &mut result.files,
    )?;
    let copied: HashMap<&str, &FileEntry> =
        result.files.iter().map(|f| (f.path.as_str(), f)).collect();
    for (segment, manifest) in &segments {
        if !finished(segment) {
            result.in_progress.push(segment.clone());
            continue;
        }
        let Some(manifest) = manifest else { continue };
        for file in &manifest.files {
            let path = format!("{RECORDINGS}/{segment}/{}", file.file);
            match copied.get(path.as_str()) {
                None => result
                    .problems
                    .push(format!("{path} is in the recording's manifest but not on disk")),
                Some(entry) if entry.sha256 != file.sha256 || entry.size != file.bytes => {
                    result.problems.push(format!(
                        "{path} has {} bytes with SHA-256 {}, the recording's manifest says {} bytes with {}",
                        entry.size, entry.sha256, file.bytes, file.sha256
                    ))
                }
                Some(_) => {}
            }
        }
    }
    Ok(result)
}

/// Copies the files under `source` to `root/{prefix}/…` (those `keep` accepts by their
/// `/`-separated path below `source`), hashing each as it is copied. Symbolic links and
/// other non-files are skipped.
fn copy_tree(
    source: &Path,
    root: &Path,
    prefix: &str,
    keep: &mut dyn FnMut(&str) -> bool,
    out: &mut Vec<FileEntry>,
) -> anyhow::Result<()> {
    let mut pending = vec![(source.to_path_buf(), String::new())];
    while let Some((dir, rel)) = pending.pop() {
        for name in list_dir(&dir)? {
            let path = dir.join(&name);
            let rel_path = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let meta = match std::fs::symlink_metadata(&path) {
                Ok(meta) => meta,
                // Gone meanwhile (a write in progress renamed): nothing to keep.
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
                Err(err) => {
                    return Err(err).with_context(|| format!("cannot read {}", path.display()));
                }
            };
            if meta.is_dir() {
                pending.push((path, rel_path));
            } else if meta.is_file() && keep(&rel_path) {
                let dest_rel = format!("{prefix}/{rel_path}");
                let dest = root.join(&dest_rel);
                if let Some(parent) = dest.parent() {
                    private_dir(parent)?;
                }
                let mode = file_mode(&meta);
                match copy_hashed(&path, &dest, mode) {
                    Ok((size, sha256)) => out.push(FileEntry {
                        path: dest_rel,
                        size,
                        sha256,
                        mode,
                    }),
                    Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(err) => {
                        return Err(err).with_context(|| {
                            format!("cannot copy {} to {}", path.display(), dest.display())
                        });
                    }
                }
            }
        }
    }
    Ok(())
}

/// The names in a directory, as UTF-8 (cloudcourt names every file in UTF-8).
fn list_dir(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
        let name = entry.file_name();
        let name = name
            .to_str()
            .with_context(|| format!("{} is not a UTF-8 name", entry.path().display()))?;
        names.push(name.to_owned());
    }
    names.sort();
    Ok(names)
}

fn is_empty_dir(dir: &Path) -> anyhow::Result<bool> {
    if !dir.is_dir() {
        bail!("{} exists and is not a directory", dir.display());
    }
    Ok(std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .next()
        .is_none())
}

/// Copies `source` to the new file `dest` through SHA-256, synced; returns size and hash.
fn copy_hashed(source: &Path, dest: &Path, mode: Option<u32>) -> std::io::Result<(u64, String)> {
    let mut input = std::fs::File::open(source)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Private until complete; then the source's own bits.
        options.mode(0o600);
    }
    let mut output = options.open(dest)?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; COPY_CHUNK];
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        output.write_all(&buf[..n])?;
        size += n as u64;
    }
    output.sync_all()?;
    set_mode(dest, mode)?;
    Ok((size, hex::encode(hasher.finalize())))
}

fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut input = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; COPY_CHUNK];
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((size, hex::encode(hasher.finalize())))
}

fn hash_entry(root: &Path, rel: &str) -> anyhow::Result<FileEntry> {
    let path = root.join(rel);
    let (size, sha256) =
        hash_file(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let meta =
        std::fs::metadata(&path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(FileEntry {
        path: rel.to_owned(),
        size,
        sha256,
        mode: file_mode(&meta),
    })
}

#[cfg(unix)]
fn file_mode(meta: &std::fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    Some(meta.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn file_mode(_meta: &std::fs::Metadata) -> Option<u32> {
    None
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: Option<u32>) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    match mode {
        Some(mode) => std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)),
        None => Ok(()),
    }
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: Option<u32>) -> std::io::Result<()> {
    Ok(())
}

/// Creates a directory (and its parents) only its owner may enter: a backup holds
/// personal data and the signing key.
fn private_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))
}

/// Makes renames and new files in a directory durable (best effort: not every file
/// system syncs directories).
fn sync_dir(dir: &Path) {
    if let Ok(handle) = std::fs::File::open(dir) {
        let _ = handle.sync_all();
    }
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    let mut json = serde_json::to_vec_pretty(value).context("serialising JSON")?;
    json.push(b'\n');
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(&json)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("{} is not valid", path.display()))
}

/// A directory or file being written; removed when dropped unless kept.
struct Staged {
    path: PathBuf,
    is_dir: bool,
    keep: bool,
}

impl Staged {
    fn dir(path: PathBuf) -> anyhow::Result<Self> {
        if path.exists() {
            bail!(
                "{} is in the way (left by an interrupted run?): remove it and try again",
                path.display()
            );
        }
        private_dir(&path)?;
        Ok(Self {
            path,
            is_dir: true,
            keep: false,
        })
    }

    fn file(path: PathBuf) -> Self {
        Self {
            path,
            is_dir: false,
            keep: false,
        }
    }

    /// Renames the directory to `dest` (absent, or an empty directory).
    fn finish_into(mut self, dest: &Path) -> anyhow::Result<()> {
        if dest.exists() {
            std::fs::remove_dir(dest)
                .with_context(|| format!("cannot replace the empty {}", dest.display()))?;
        }
        std::fs::rename(&self.path, dest).with_context(|| {
            format!(
                "cannot rename {} to {}",
                self.path.display(),
                dest.display()
            )
        })?;
        self.keep = true;
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if self.keep || !self.path.exists() {
            return;
        }
        let removed = if self.is_dir {
            std::fs::remove_dir_all(&self.path)
        } else {
            std::fs::remove_file(&self.path)
        };
        if let Err(err) = removed {
            tracing::warn!(path = %self.path.display(), error = %err, "cannot remove an unfinished copy");
        }
    }
}

/// The PostgreSQL tools get the URL without its password, which goes in `PGPASSWORD`
/// (a command line is visible to every user of the machine).
fn libpq_target(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, password)) => (
                format!("{scheme}://{user}@{host}{tail}"),
                Some(percent_decode(password)),
            ),
            None => (url.to_owned(), None),
        },
        None => (url.to_owned(), None),
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = bytes
                .get(i + 1..i + 3)
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Runs a PostgreSQL client tool with the URL's password in its environment.
async fn pg_tool(tool: &str, url: &str, args: &[&std::ffi::OsStr]) -> anyhow::Result<()> {
    let (target, password) = libpq_target(url);
    let mut command = tokio::process::Command::new(tool);
    command
        .arg("--dbname")
        .arg(&target)
        .args(args)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let output = match command.output().await {
        Ok(output) => output,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => bail!(
            "{tool} was not found on PATH: install the PostgreSQL client tools of the server's major version \
             (Debian: apt install postgresql-client) and try again, or see docs/backup.md"
        ),
        Err(err) => return Err(err).with_context(|| format!("cannot run {tool}")),
    };
    if !output.status.success() {
        bail!(
            "{tool} failed ({}) on {}: {}",
            output.status,
            crate::config::redact_url(url),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// Dumps the database as the exported `snapshot` sees it.
async fn pg_dump(url: &str, snapshot: &str, file: &Path) -> anyhow::Result<()> {
    let snapshot = format!("--snapshot={snapshot}");
    pg_tool(
        "pg_dump",
        url,
        &[
            "--format=custom".as_ref(),
            snapshot.as_ref(),
            "--file".as_ref(),
            file.as_os_str(),
        ],
    )
    .await
}

/// Restores a dump into an empty database, in one transaction (all or nothing), with
/// the connecting user as the owner of everything.
async fn pg_restore(url: &str, file: &Path) -> anyhow::Result<()> {
    pg_tool(
        "pg_restore",
        url,
        &[
            "--no-owner".as_ref(),
            "--no-privileges".as_ref(),
            "--single-transaction".as_ref(),
            "--exit-on-error".as_ref(),
            file.as_os_str(),
        ],
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_command_line() {
        assert_eq!(
            libpq_target("postgres://court:s%40cret@db.example:5432/cloudcourt?sslmode=require"),
            (
                "postgres://court@db.example:5432/cloudcourt?sslmode=require".to_owned(),
                Some("s@cret".to_owned())
            )
        );
        assert_eq!(
            libpq_target("postgres://postgres@127.0.0.1/cc"),
            ("postgres://postgres@127.0.0.1/cc".to_owned(), None)
        );
    }

    #[test]
    fn manifest_paths_stay_inside_the_backup() {
        assert!(relative_path("blobs/evidence/a/b").is_ok());
        for bad in ["", "/etc/passwd", "../x", "blobs/../../x"] {
            assert!(relative_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn writes_in_progress_are_not_blobs() {
        assert!(is_partial_write("evidence/h/e#17"));
        assert!(!is_partial_write("evidence/h/e"));
        assert!(!is_partial_write("evidence/h/e#x1"));
    }
}
