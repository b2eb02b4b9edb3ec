//! The hearing's recording (庭审录音录像), from the moment it goes in session until it is
//! closed: the SFU taps the hearing's room, a writer thread per hearing puts every track
//! on this node's disk as it arrives ([`media::recording`]), a recess is registered as a
//! gap, and closing finishes the files (a WebM per participant and a composed one by
//! ffmpeg). A finished segment is then kept as the court's record in the shared stores:
//! every file put in the blob store (`recordings/{hearing}/{segment}/{file}`), its SHA-256
//! from the upload checked against the manifest's, recorded in the database and audited
//! (`recording.file`), and only then removed from the disk.
//!
//! Segment numbers come from the database (`recording_segments`), so that the node that
//! takes a hearing over after another one died records on in a new segment, never in one
//! the other wrote. A process that stopped mid-hearing leaves its files on its disk; its
//! next start closes them ([`media::recording::recover`], audited `recording.recovered`)
//! and stores them ([`Recorders::recover_unfinished`]). A segment whose files could not be
//! stored (the blob store down, say) is marked `failed`, audited `recording.upload_failed`,
//! keeps its files on the disk, and is stored at the node's next start.
//!
//! On disk while written: `{data_dir}/recordings/{hearing id}/{segment}/`.

use anyhow::Context;
use chrono::Utc;
use court::{AuditActor, Hearing, HearingId, HearingState, NewAuditEvent};
use media::recording::{
    CloseReason, FileKind, GapKind, GapNote, MANIFEST_FILE, Manifest, Packet, PostProcess,
    RecordedFile, Recording, RecordingError, SenderReport, TrackHandle, TrackInfo, TrackKind,
    read_gaps,
};
use media::{Sfu, Tap, TappedTrack};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, SystemTime};
use store::blobs::Blobs;
use store::{Conflict, RecordingFile, SegmentOutcome, SegmentState, Store, StoreError};
use tokio::sync::oneshot;

/// Packets queued between the SFU and a hearing's writer thread: about ten seconds of a
/// large hearing's media, so a slow disk costs nothing until it is very slow.
const TAP_QUEUE: usize = 16 * 1024;

/// The recordings of the hearings in session on this node.
pub struct Recorders {
    root: PathBuf,
    sfu: Sfu,
    post: PostProcess,
    shelf: Shelf,
    active: Mutex<HashMap<HearingId, Active>>,
    /// Hearings whose recording is being started (a segment number being taken).
    starting: Mutex<HashSet<HearingId>>,
}

impl std::fmt::Debug for Recorders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorders")
            .field("root", &self.root)
            .field("node", &self.shelf.node)
            .finish()
    }
}

/// A hearing being recorded.
struct Active {
    control: mpsc::Sender<Control>,
    segment: u32,
}

enum Control {
    Recess(SystemTime),
    Resume(SystemTime),
    Finish(
        SystemTime,
        oneshot::Sender<Result<Vec<RecordedFile>, RecordingError>>,
    ),
}

/// Who a room member is, for the manifest: (id, role, name).
type Roster = HashMap<String, (String, String)>;

/// A segment of a hearing.
type SegmentKey = (HearingId, u32);

/// What keeps finished segments in the shared stores; cloned into the tasks that do.
#[derive(Clone)]
struct Shelf {
    blobs: Blobs,
    node: Arc<str>,
    /// Segments this process writes, finishes or stores now: recovery leaves them alone.
    busy: Arc<Mutex<HashSet<SegmentKey>>>,
}

/// This node's name for the segments it records: the host's name and the data directory
/// (a node's unfinished segments are on that disk).
pub fn default_node(data_dir: &Path) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()))
        .unwrap_or_else(|| "localhost".to_owned());
    let dir = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    format!("{host}:{}", dir.display())
}

/// Where a file of a segment is kept in the blob store.
pub fn blob_key(hearing: HearingId, segment: u32, file: &str) -> String {
    format!("recordings/{hearing}/{segment}/{file}")
}

impl Recorders {
    /// The recorders of node `node` (free text naming it in the database, e.g. its
    /// instance id or [`default_node`]), writing under `{data_dir}/recordings` and keeping
    /// finished segments in `blobs`.
    pub fn new(data_dir: &Path, sfu: Sfu, blobs: Blobs, node: impl Into<String>) -> Self {
        Self {
            root: data_dir.join("recordings"),
            sfu,
            post: PostProcess::default(),
            shelf: Shelf {
                blobs,
                node: Arc::from(node.into()),
                busy: Arc::default(),
            },
            active: Mutex::new(HashMap::new()),
            starting: Mutex::new(HashSet::new()),
        }
    }

    /// This node's name in the database.
    pub fn node(&self) -> &str {
        &self.shelf.node
    }

    /// Where a segment is written on this node's disk.
    pub fn segment_dir(&self, hearing: HearingId, segment: u32) -> PathBuf {
        self.root
            .join(hearing.to_string())
            .join(segment.to_string())
    }

    /// The segment this node records of a hearing now, if any.
    pub fn recording_segment(&self, hearing: HearingId) -> Option<u32> {
        let active = self.active.lock().unwrap_or_else(|e| e.into_inner());
        active.get(&hearing).map(|a| a.segment)
    }

    /// Follows a hearing's new state: in session starts (or resumes) the recording,
    /// recess registers a gap, and an ended hearing finishes it.
    pub async fn follow(&self, store: &Arc<dyn Store>, hearing: &Hearing) {
        match hearing.state {
            HearingState::InSession => {
                if self.send(hearing.id, Control::Resume(SystemTime::now())) {
                    return;
                }
                if let Err(failure) = self.start(store, hearing).await {
                    // The hearing goes on; the court sees the fault in the log and audit.
                    let error = format!("{:#}", failure.error);
                    tracing::error!(hearing = %hearing.id, segment = ?failure.segment, %error, "the recording cannot start");
                    match failure.segment {
                        Some(segment) => {
                            self.shelf
                                .fail(
                                    store,
                                    hearing,
                                    segment,
                                    "recording.failed",
                                    &error,
                                    json!({}),
                                )
                                .await;
                        }
                        None => {
                            let details = json!({"error": error, "node": self.node()});
                            audit(store, hearing, "recording.failed", details).await;
                        }
                    }
                }
            }
            HearingState::Recess => {
                self.send(hearing.id, Control::Recess(SystemTime::now()));
            }
            HearingState::Closed | HearingState::Archived | HearingState::Cancelled => {
                self.finish(store, hearing).await;
            }
            HearingState::Scheduled | HearingState::Open => {}
        }
    }

    fn send(&self, hearing: HearingId, control: Control) -> bool {
        let active = self.active.lock().unwrap_or_else(|e| e.into_inner());
        active
            .get(&hearing)
            .is_some_and(|a| a.control.send(control).is_ok())
    }

    async fn start(&self, store: &Arc<dyn Store>, hearing: &Hearing) -> Result<(), StartFailure> {
        {
            let active = self.active.lock().unwrap_or_else(|e| e.into_inner());
            let mut starting = self.starting.lock().unwrap_or_else(|e| e.into_inner());
            // Another request started it, or is starting it, meanwhile.
            if active.contains_key(&hearing.id) || !starting.insert(hearing.id) {
                return Ok(());
            }
        }
        let started = self.begin(store, hearing).await;
        self.starting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&hearing.id);
        started
    }

    async fn begin(&self, store: &Arc<dyn Store>, hearing: &Hearing) -> Result<(), StartFailure> {
        let roster = roster(store, hearing).await.map_err(StartFailure::early)?;
        let now = SystemTime::now();
        let row = store
            .begin_segment(hearing.id, self.node(), now.into())
            .await
            .context("taking the hearing's next segment number")
            .map_err(StartFailure::early)?;
        let segment = u32::try_from(row.segment)
            .context("a negative segment number")
            .map_err(StartFailure::early)?;
        let key = (hearing.id, segment);
        self.shelf.claim(key);
        let segment_dir = self.segment_dir(hearing.id, segment);
        let failed = |error: anyhow::Error| {
            self.shelf.release(key);
            StartFailure {
                segment: Some(segment),
                error,
            }
        };
        let mut recording = Recording::create(&segment_dir, &hearing.id.to_string(), now)
            .map_err(|e| failed(e.into()))?;
        recording.set_post_process(self.post.clone());
        let (sink, taps) = mpsc::sync_channel(TAP_QUEUE);
        let (control, controls) = mpsc::channel();
        let hearing_id = hearing.id;
        std::thread::Builder::new()
            .name(format!("recording-{hearing_id}"))
            .spawn(move || write(recording, roster, &taps, &controls))
            .map_err(|e| failed(e.into()))?;
        self.active
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(hearing.id, Active { control, segment });
        tracing::info!(hearing = %hearing.id, segment, node = self.node(), "recording");
        audit(
            store,
            hearing,
            "recording.start",
            json!({"segment": segment, "node": self.node(), "dir": segment_dir.display().to_string()}),
        )
        .await;
        // Without the tap the segment records nothing, yet it is finished and kept.
        self.sfu
            .tap(&hearing.id.to_string(), Some(sink))
            .map_err(|e| StartFailure {
                segment: Some(segment),
                error: e.into(),
            })?;
        Ok(())
    }

    /// Stops the tap, lets the writer finish the files, and keeps them in the shared
    /// stores (in the background: ffmpeg and the upload may take a while).
    async fn finish(&self, store: &Arc<dyn Store>, hearing: &Hearing) {
        let Some(active) = self
            .active
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&hearing.id)
        else {
            return;
        };
        if let Err(err) = self.sfu.tap(&hearing.id.to_string(), None) {
            tracing::warn!(hearing = %hearing.id, error = %err, "cannot stop the tap");
        }
        let segment = active.segment;
        let key = (hearing.id, segment);
        let (done, finished) = oneshot::channel();
        if active
            .control
            .send(Control::Finish(SystemTime::now(), done))
            .is_err()
        {
            // Its files stay on the disk; the next start recovers them.
            tracing::error!(hearing = %hearing.id, segment, "the recording's writer is gone");
            self.shelf.release(key);
            return;
        }
        let store = store.clone();
        let hearing = hearing.clone();
        let shelf = self.shelf.clone();
        let dir = self.segment_dir(hearing.id, segment);
        tokio::spawn(async move {
            match finished.await {
                Ok(Ok(files)) => shelf.keep(&store, &hearing, segment, &dir, files).await,
                Ok(Err(err)) => {
                    tracing::error!(hearing = %hearing.id, segment, error = %err, "the recording did not finish");
                    let error = err.to_string();
                    shelf
                        .fail(
                            &store,
                            &hearing,
                            segment,
                            "recording.failed",
                            &error,
                            json!({}),
                        )
                        .await;
                }
                Err(_) => {
                    tracing::error!(hearing = %hearing.id, segment, "the recording's writer stopped");
                }
            }
            shelf.release(key);
        });
    }

    /// Closes the segments a stopped process of this node left on its disk (audited
    /// `recording.recovered`, with an `interruption` gap), and stores them and those whose
    /// storing failed before in the shared stores. Segments this process is writing or
    /// storing now are left alone.
    pub async fn recover_unfinished(&self, store: &Arc<dyn Store>) {
        let root = self.root.clone();
        let local = tokio::task::spawn_blocking(move || local_segments(&root))
            .await
            .unwrap_or_default();
        for (hearing_id, segment, dir) in local {
            let key = (hearing_id, segment);
            if !self.shelf.claim(key) {
                continue;
            }
            self.recover_one(store, hearing_id, segment, &dir).await;
            self.shelf.release(key);
        }
    }

    /// At start: [`recover_unfinished`](Self::recover_unfinished), then records on the
    /// hearings still in session, each in a new segment.
    pub async fn resume(&self, store: &Arc<dyn Store>) {
        self.recover_unfinished(store).await;
        let Ok(courts) = store.courts().await else {
            return;
        };
        for court in courts {
            let Ok(hearings) = store.hearings(court.id).await else {
                continue;
            };
            for hearing in hearings {
                if hearing.state == HearingState::InSession {
                    self.follow(store, &hearing).await;
                }
            }
        }
    }

    async fn recover_one(
        &self,
        store: &Arc<dyn Store>,
        hearing_id: HearingId,
        segment: u32,
        dir: &Path,
    ) {
        let hearing = match store.hearing(hearing_id).await {
            Ok(hearing) => hearing,
            Err(err) => {
                tracing::warn!(hearing = %hearing_id, segment, error = %err, dir = %dir.display(), "a recording on disk of no known hearing: left there");
                return;
            }
        };
        let Ok(number) = i32::try_from(segment) else {
            return;
        };
        let row = match store.recording_segment(hearing_id, number).await {
            Ok(Some(row)) => row,
            Ok(None) => {
                // Recorded by an earlier version, which numbered segments from the disk.
                let started_at = Manifest::load(dir).map_or_else(|_| Utc::now(), |m| m.started_at);
                match store
                    .adopt_segment(hearing_id, number, self.node(), started_at)
                    .await
                {
                    Ok(row) => row,
                    Err(err) => {
                        tracing::error!(hearing = %hearing_id, segment, error = %err, "cannot register a recording found on disk");
                        return;
                    }
                }
            }
            Err(err) => {
                tracing::error!(hearing = %hearing_id, segment, error = %err, "cannot read the recording's segment");
                return;
            }
        };
        if row.node != self.node() {
            tracing::warn!(hearing = %hearing_id, segment, recorded_by = %row.node, node = self.node(),
                "recovering from this disk a segment recorded under another node name");
        }
        let post = self.post.clone();
        let owned = dir.to_owned();
        let recovered = tokio::task::spawn_blocking(move || {
            media::recording::recover(&owned, SystemTime::now(), &post)
        })
        .await;
        let files = match recovered {
            Ok(Ok(files)) => files,
            Ok(Err(err)) => {
                tracing::error!(hearing = %hearing_id, segment, error = %err, "recovery failed");
                let error = err.to_string();
                self.shelf
                    .fail(
                        store,
                        &hearing,
                        segment,
                        "recording.failed",
                        &error,
                        json!({}),
                    )
                    .await;
                return;
            }
            Err(err) => {
                tracing::error!(hearing = %hearing_id, segment, error = %err, "recovery panicked");
                return;
            }
        };
        if row.state.is_stored() {
            // Stored before this node stopped, not yet removed from its disk.
            self.shelf
                .forget_stored(store, &hearing, segment, dir, &files)
                .await;
        } else {
            self.shelf.keep(store, &hearing, segment, dir, files).await;
        }
    }
}

/// Why a recording did not start: with the segment it had taken, if it had one.
struct StartFailure {
    segment: Option<u32>,
    error: anyhow::Error,
}

impl StartFailure {
    fn early(error: anyhow::Error) -> Self {
        Self {
            segment: None,
            error,
        }
    }
}

impl Shelf {
    /// Marks a segment busy in this process; false if it was already.
    fn claim(&self, key: SegmentKey) -> bool {
        self.busy
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key)
    }

    fn release(&self, key: SegmentKey) {
        self.busy
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key);
    }

    /// Keeps a finished or recovered segment in the shared stores, or marks it `failed`
    /// (its files stay on this disk for the next start) and says so in the audit log.
    async fn keep(
        &self,
        store: &Arc<dyn Store>,
        hearing: &Hearing,
        segment: u32,
        dir: &Path,
        files: Vec<RecordedFile>,
    ) {
        match self.store_files(store, hearing, segment, dir, &files).await {
            Ok(state) => {
                tracing::info!(hearing = %hearing.id, segment, state = state.as_str(), files = files.len(), "the recording is kept in the shared stores");
                // Only now may the local copy go.
                if let Err(err) = tokio::fs::remove_dir_all(dir).await {
                    tracing::warn!(dir = %dir.display(), error = %err, "cannot remove a stored recording's local copy");
                }
                if let Some(parent) = dir.parent() {
                    // Only when empty: other segments of the hearing may be there.
                    let _ = tokio::fs::remove_dir(parent).await;
                }
            }
            Err(err) => {
                let error = format!("{err:#}");
                tracing::error!(hearing = %hearing.id, segment, node = %self.node, dir = %dir.display(), %error,
                    "the recording's files could not be stored: they stay on this node's disk and are stored at its next start");
                let listed: Vec<_> = files
                    .iter()
                    .map(|f| json!({"file": file_name(f), "sha256": f.sha256, "bytes": f.bytes}))
                    .collect();
                let details = json!({"dir": dir.display().to_string(), "files": listed});
                self.fail(
                    store,
                    hearing,
                    segment,
                    "recording.upload_failed",
                    &error,
                    details,
                )
                .await;
            }
        }
    }

    /// Puts every file in the blob store, checks it, and records the segment and its
    /// files in the database with their audits; returns the segment's new state.
    async fn store_files(
        &self,
        store: &Arc<dyn Store>,
        hearing: &Hearing,
        segment: u32,
        dir: &Path,
        files: &[RecordedFile],
    ) -> anyhow::Result<SegmentState> {
        let manifest_path = dir.join(MANIFEST_FILE);
        let manifest_text = tokio::fs::read_to_string(&manifest_path)
            .await
            .with_context(|| format!("reading {}", manifest_path.display()))?;
        let manifest: Manifest = serde_json::from_str(&manifest_text)
            .with_context(|| format!("parsing {}", manifest_path.display()))?;
        let gaps = {
            let dir = dir.to_owned();
            tokio::task::spawn_blocking(move || read_gaps(&dir))
                .await
                .context("reading the gap register")??
        };
        let state = if manifest.interruption.is_some() {
            SegmentState::Recovered
        } else {
            SegmentState::Finished
        };
        // The manifest first, as the list shows it.
        let ordered = files
            .iter()
            .filter(|f| f.kind == FileKind::Manifest)
            .chain(files.iter().filter(|f| f.kind != FileKind::Manifest));
        let mut rows = Vec::with_capacity(files.len());
        for (position, file) in ordered.enumerate() {
            let name = file_name(file);
            let (sha256, bytes) = if file.kind == FileKind::Manifest {
                (file.sha256.as_str(), file.bytes)
            } else {
                let record = manifest
                    .files
                    .iter()
                    .find(|r| r.file == name)
                    .with_context(|| format!("{name} is not in the manifest"))?;
                (record.sha256.as_str(), record.bytes)
            };
            let key = blob_key(hearing.id, segment, &name);
            let reader = tokio::fs::File::open(&file.path)
                .await
                .with_context(|| format!("opening {}", file.path.display()))?;
            let stored = self
                .blobs
                .put_stream(&key, reader, u64::MAX)
                .await
                .with_context(|| format!("storing {name} as {key}"))?;
            if stored.sha256 != sha256 || stored.size != bytes {
                anyhow::bail!(
                    "{name} is not what the manifest recorded: SHA-256 {sha256} ({bytes} bytes) \
                     recorded, {} ({} bytes) stored",
                    stored.sha256,
                    stored.size
                );
            }
            let meta = self
                .blobs
                .head(&key)
                .await
                .with_context(|| format!("checking {key}"))?;
            if meta.size != stored.size {
                anyhow::bail!(
                    "the blob store holds {} bytes of {key}, not {}",
                    meta.size,
                    stored.size
                );
            }
            rows.push(RecordingFile {
                id: uuid::Uuid::now_v7(),
                hearing_id: hearing.id,
                segment: i32::try_from(segment).context("segment number")?,
                position: i32::try_from(position).context("too many files")?,
                file: name,
                kind: kind_name(file.kind),
                participant_id: file.participant_id.clone(),
                size: i64::try_from(stored.size).context("file size")?,
                sha256: stored.sha256,
                blob_key: key,
                stored_at: Utc::now(),
            });
        }
        let mut audits: Vec<NewAuditEvent> = rows
            .iter()
            .map(|row| {
                event(
                    hearing,
                    "recording.file",
                    json!({
                        "segment": segment,
                        "file": row.file,
                        "kind": row.kind,
                        "participant": row.participant_id,
                        "sha256": row.sha256,
                        "bytes": row.size,
                        "blob_key": row.blob_key,
                        "node": &*self.node,
                        "at": row.stored_at,
                    }),
                )
            })
            .collect();
        let action = match state {
            SegmentState::Recovered => "recording.recovered",
            _ => "recording.finish",
        };
        audits.push(event(
            hearing,
            action,
            json!({"segment": segment, "files": rows.len(), "node": &*self.node}),
        ));
        let outcome = SegmentOutcome {
            state,
            finished_at: manifest.ended_at.unwrap_or_else(Utc::now),
            manifest: manifest_text,
            gaps: serde_json::to_string(&gaps).context("the gap register as JSON")?,
        };
        let number = i32::try_from(segment).context("segment number")?;
        store
            .store_segment(hearing.id, number, &outcome, &rows, audits)
            .await
            .context("recording the stored files in the database")?;
        Ok(state)
    }

    /// A segment stored already, found again on this disk (the node stopped before it
    /// removed it): removed when its files are the stored ones, else left with an error.
    async fn forget_stored(
        &self,
        store: &Arc<dyn Store>,
        hearing: &Hearing,
        segment: u32,
        dir: &Path,
        files: &[RecordedFile],
    ) {
        let stored = match store.recording_files(hearing.id).await {
            Ok(stored) => stored,
            Err(err) => {
                tracing::error!(hearing = %hearing.id, segment, error = %err, "cannot read the stored recording files");
                return;
            }
        };
        let same = files.iter().all(|f| {
            let name = file_name(f);
            stored.iter().any(|s| {
                i64::from(s.segment) == i64::from(segment) && s.file == name && s.sha256 == f.sha256
            })
        });
        if same {
            tracing::info!(hearing = %hearing.id, segment, dir = %dir.display(), "removing the local copy of a stored recording");
            if let Err(err) = tokio::fs::remove_dir_all(dir).await {
                tracing::warn!(dir = %dir.display(), error = %err, "cannot remove a stored recording's local copy");
            }
            if let Some(parent) = dir.parent() {
                let _ = tokio::fs::remove_dir(parent).await;
            }
        } else {
            tracing::error!(hearing = %hearing.id, segment, dir = %dir.display(),
                "a segment on this disk differs from the one stored under its number: left on the disk, not stored");
        }
    }

    /// Marks a segment `failed` with `action` audited (details get segment, node, error).
    async fn fail(
        &self,
        store: &Arc<dyn Store>,
        hearing: &Hearing,
        segment: u32,
        action: &'static str,
        error: &str,
        mut details: serde_json::Value,
    ) {
        if let Some(map) = details.as_object_mut() {
            map.insert("segment".into(), segment.into());
            map.insert("node".into(), (*self.node).into());
            map.insert("error".into(), error.into());
        }
        let event = event(hearing, action, details);
        let Ok(number) = i32::try_from(segment) else {
            return;
        };
        match store
            .fail_segment(hearing.id, number, error, event.clone())
            .await
        {
            Ok(()) => {}
            Err(StoreError::Conflict(Conflict::StateChanged)) => {
                tracing::warn!(hearing = %hearing.id, segment, "the segment is stored already");
            }
            Err(err) => {
                tracing::error!(hearing = %hearing.id, segment, error = %err, "cannot record the recording's failure");
                // The audit log has it at least, if the database takes that.
                if let Err(err) = store.append_audit(event).await {
                    tracing::error!(hearing = %hearing.id, error = %err, action, "cannot audit the recording");
                }
            }
        }
    }
}

/// Every segment on this node's disk with a manifest: unfinished, or finished and not
/// yet stored.
fn local_segments(root: &Path) -> Vec<(HearingId, u32, PathBuf)> {
    let mut found = Vec::new();
    let Ok(hearings) = std::fs::read_dir(root) else {
        return found;
    };
    for entry in hearings.flatten() {
        let Some(hearing) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<uuid::Uuid>().ok())
            .map(HearingId)
        else {
            continue;
        };
        let Ok(segments) = std::fs::read_dir(entry.path()) else {
            continue;
        };
        for segment in segments.flatten() {
            let Some(number) = segment
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            if segment.path().join(MANIFEST_FILE).is_file() {
                found.push((hearing, number, segment.path()));
            }
        }
    }
    found.sort();
    found
}

fn file_name(file: &RecordedFile) -> String {
    file.path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A file kind as the manifest names it.
fn kind_name(kind: FileKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "file".to_owned())
}

fn event(hearing: &Hearing, action: &'static str, details: serde_json::Value) -> NewAuditEvent {
    NewAuditEvent::new(AuditActor::System, action, details)
        .court(hearing.court_id)
        .hearing(hearing.id)
}

/// The hearing's people by room member id: its participants and its bench.
async fn roster(store: &Arc<dyn Store>, hearing: &Hearing) -> anyhow::Result<Roster> {
    let mut roster = Roster::new();
    for participant in store.participants(hearing.id).await? {
        roster.insert(
            participant.id.to_string(),
            (
                participant.role.as_str().to_owned(),
                participant.name.to_string(),
            ),
        );
    }
    for seat in store.bench(hearing.id).await? {
        roster.insert(
            seat.user.id.to_string(),
            (
                seat.role.as_str().to_owned(),
                seat.user.display_name.to_string(),
            ),
        );
    }
    Ok(roster)
}

/// The writer thread: the tap's packets into the files, until told to finish.
fn write(
    mut recording: Recording,
    roster: Roster,
    taps: &mpsc::Receiver<Tap>,
    controls: &mpsc::Receiver<Control>,
) {
    let mut tracks: HashMap<TappedTrack, TrackHandle> = HashMap::new();
    let mut recess = None;
    loop {
        while let Ok(control) = controls.try_recv() {
            match control {
                Control::Recess(at) => {
                    if recess.is_none() {
                        let note = GapNote {
                            kind: GapKind::Recess,
                            from: at,
                            to: None,
                            participant_id: None,
                            note: Some("休庭".into()),
                        };
                        recess = recording.gap(note).map_err(log).ok();
                    }
                }
                Control::Resume(at) => {
                    if let Some(gap) = recess.take() {
                        let _ = recording.end_gap(gap, at).map_err(log);
                    }
                }
                Control::Finish(at, done) => {
                    // What is still queued arrived before the end: write it first.
                    while let Ok(tap) = taps.try_recv() {
                        take(&mut recording, &roster, &mut tracks, tap);
                    }
                    if let Some(gap) = recess.take() {
                        let _ = recording.end_gap(gap, at).map_err(log);
                    }
                    let _ = done.send(recording.finish(at));
                    return;
                }
            }
        }
        match taps.recv_timeout(Duration::from_millis(50)) {
            Ok(tap) => take(&mut recording, &roster, &mut tracks, tap),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            // The SFU let go (stopped): wait for the finish.
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

fn take(
    recording: &mut Recording,
    roster: &Roster,
    tracks: &mut HashMap<TappedTrack, TrackHandle>,
    tap: Tap,
) {
    match tap {
        Tap::Opened {
            track,
            member,
            video,
        } => {
            let (role, name) = roster
                .get(&member)
                .cloned()
                .unwrap_or_else(|| ("unknown".into(), member.clone()));
            let kind = if video {
                TrackKind::Video
            } else {
                TrackKind::Audio
            };
            let info = TrackInfo::new(member, role, name, kind);
            if let Ok(handle) = recording.open_track(info, SystemTime::now()).map_err(log) {
                tracks.insert(track, handle);
            }
        }
        Tap::Media {
            track,
            rtp_time,
            wall,
            data,
            contiguous,
            sender_report,
        } => {
            let Some(handle) = tracks.get(&track) else {
                return;
            };
            let packet = Packet {
                rtp_time,
                wall,
                data: &data,
                contiguous,
                sender_report: sender_report
                    .map(|(ntp_time, rtp_time)| SenderReport { ntp_time, rtp_time }),
            };
            let _ = recording.write(*handle, packet).map_err(log);
        }
        Tap::Closed { track } => {
            if let Some(handle) = tracks.remove(&track) {
                let _ = recording
                    .close_track(handle, CloseReason::Disconnected, SystemTime::now())
                    .map_err(log);
            }
        }
    }
}

fn log(err: RecordingError) {
    tracing::warn!(error = %err, "recording");
}

async fn audit(
    store: &Arc<dyn Store>,
    hearing: &Hearing,
    action: &'static str,
    details: serde_json::Value,
) {
    if let Err(err) = store.append_audit(event(hearing, action, details)).await {
        tracing::error!(hearing = %hearing.id, error = %err, action, "cannot audit the recording");
    }
}
