//! The hearing's recording (庭审录音录像), from the moment it goes in session until it is
//! closed: the SFU taps the hearing's room, a writer thread per hearing puts every track
//! on disk as it arrives ([`media::recording`]), a recess is registered as a gap, and
//! closing finishes the files (a WebM per participant and a composed one by ffmpeg) and
//! audits every file's SHA-256. A process that stopped mid-hearing leaves its files as
//! they were; the next start closes them ([`media::recording::recover`], audited) and,
//! for a hearing still in session, records on in a new segment.
//!
//! On disk: `{data_dir}/recordings/{hearing id}/{segment}/`, segments numbered from 1.

use chrono::Utc;
use court::{AuditActor, Hearing, HearingId, HearingState, NewAuditEvent};
use media::recording::{
    CloseReason, GapKind, GapNote, Packet, PostProcess, RecordedFile, Recording, RecordingError,
    SenderReport, TrackHandle, TrackInfo, TrackKind,
};
use media::{Sfu, Tap, TappedTrack};
use serde_json::json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, SystemTime};
use store::Store;
use tokio::sync::oneshot;

/// Packets queued between the SFU and a hearing's writer thread: about ten seconds of a
/// large hearing's media, so a slow disk costs nothing until it is very slow.
const TAP_QUEUE: usize = 16 * 1024;

/// The recordings of the hearings in session on this node.
pub struct Recorders {
    root: PathBuf,
    sfu: Sfu,
    post: PostProcess,
    active: Mutex<HashMap<HearingId, Active>>,
}

impl std::fmt::Debug for Recorders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorders")
            .field("root", &self.root)
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

impl Recorders {
    pub fn new(data_dir: &Path, sfu: Sfu) -> Self {
        Self {
            root: data_dir.join("recordings"),
            sfu,
            post: PostProcess::default(),
            active: Mutex::new(HashMap::new()),
        }
    }

    /// Where a hearing's segments live.
    pub fn hearing_dir(&self, hearing: HearingId) -> PathBuf {
        self.root.join(hearing.to_string())
    }

    /// Follows a hearing's new state: in session starts (or resumes) the recording,
    /// recess registers a gap, and an ended hearing finishes it.
    pub async fn follow(&self, store: &Arc<dyn Store>, hearing: &Hearing) {
        match hearing.state {
            HearingState::InSession => {
                if self.send(hearing.id, Control::Resume(SystemTime::now())) {
                    return;
                }
                if let Err(err) = self.start(store, hearing).await {
                    // The hearing goes on; the court sees the fault in the log and audit.
                    tracing::error!(hearing = %hearing.id, error = %err, "the recording cannot start");
                    audit(
                        store,
                        hearing,
                        "recording.failed",
                        json!({"error": err.to_string()}),
                    )
                    .await;
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

    async fn start(&self, store: &Arc<dyn Store>, hearing: &Hearing) -> anyhow::Result<()> {
        let roster = roster(store, hearing).await?;
        let dir = self.hearing_dir(hearing.id);
        let segment = next_segment(&dir)?;
        let segment_dir = dir.join(segment.to_string());
        let mut recording =
            Recording::create(&segment_dir, &hearing.id.to_string(), SystemTime::now())?;
        recording.set_post_process(self.post.clone());
        let (sink, taps) = mpsc::sync_channel(TAP_QUEUE);
        let (control, controls) = mpsc::channel();
        {
            let mut active = self.active.lock().unwrap_or_else(|e| e.into_inner());
            if active.contains_key(&hearing.id) {
                // Another request started it meanwhile: this segment stays empty.
                return Ok(());
            }
            active.insert(hearing.id, Active { control, segment });
        }
        let hearing_id = hearing.id;
        std::thread::Builder::new()
            .name(format!("recording-{hearing_id}"))
            .spawn(move || write(recording, roster, &taps, &controls))?;
        self.sfu.tap(&hearing.id.to_string(), Some(sink))?;
        tracing::info!(hearing = %hearing.id, segment, "recording");
        audit(
            store,
            hearing,
            "recording.start",
            json!({"segment": segment, "dir": segment_dir.display().to_string()}),
        )
        .await;
        Ok(())
    }

    /// Stops the tap, lets the writer finish the files, and audits each one.
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
        let (done, finished) = oneshot::channel();
        if active
            .control
            .send(Control::Finish(SystemTime::now(), done))
            .is_err()
        {
            tracing::error!(hearing = %hearing.id, "the recording's writer is gone");
            return;
        }
        // ffmpeg may take a while: the state change does not wait for it.
        let store = store.clone();
        let hearing = hearing.clone();
        tokio::spawn(async move {
            match finished.await {
                Ok(Ok(files)) => {
                    audit_files(&store, &hearing, active.segment, "recording.file", &files).await;
                    let details = json!({"segment": active.segment, "files": files.len()});
                    audit(&store, &hearing, "recording.finish", details).await;
                }
                Ok(Err(err)) => {
                    tracing::error!(hearing = %hearing.id, error = %err, "the recording did not finish");
                    let details = json!({"segment": active.segment, "error": err.to_string()});
                    audit(&store, &hearing, "recording.failed", details).await;
                }
                Err(_) => tracing::error!(hearing = %hearing.id, "the recording's writer stopped"),
            }
        });
    }

    /// At start: closes the recordings a stopped process left open (audited with their
    /// files), then records on the hearings still in session, each in a new segment.
    pub async fn resume(&self, store: &Arc<dyn Store>) {
        for (hearing_id, segment, dir) in self.unfinished() {
            let post = self.post.clone();
            let recovered = tokio::task::spawn_blocking(move || {
                media::recording::recover(&dir, SystemTime::now(), &post)
            })
            .await;
            let Ok(hearing) = store.hearing(hearing_id).await else {
                continue;
            };
            match recovered {
                Ok(Ok(files)) => {
                    audit_files(store, &hearing, segment, "recording.file", &files).await;
                    audit(
                        store,
                        &hearing,
                        "recording.recovered",
                        json!({"segment": segment, "files": files.len()}),
                    )
                    .await;
                }
                Ok(Err(err)) => {
                    tracing::error!(hearing = %hearing_id, segment, error = %err, "recovery failed");
                    audit(
                        store,
                        &hearing,
                        "recording.failed",
                        json!({"segment": segment, "error": err.to_string()}),
                    )
                    .await;
                }
                Err(err) => tracing::error!(error = %err, "recovery panicked"),
            }
        }
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

    /// Segments whose manifest says they are still being written.
    fn unfinished(&self) -> Vec<(HearingId, u32, PathBuf)> {
        let mut found = Vec::new();
        let Ok(hearings) = std::fs::read_dir(&self.root) else {
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
                let open = media::recording::Manifest::load(&segment.path()).is_ok_and(|m| {
                    matches!(
                        m.state,
                        media::recording::RecordingState::Recording
                            | media::recording::RecordingState::Finishing
                    )
                });
                if open {
                    found.push((hearing, number, segment.path()));
                }
            }
        }
        found
    }
}

/// The next free segment number of a hearing.
fn next_segment(dir: &Path) -> std::io::Result<u32> {
    std::fs::create_dir_all(dir)?;
    let mut last = 0;
    for entry in std::fs::read_dir(dir)?.flatten() {
        if let Some(n) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        {
            last = last.max(n);
        }
    }
    Ok(last + 1)
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
    let event = NewAuditEvent::new(AuditActor::System, action, details)
        .court(hearing.court_id)
        .hearing(hearing.id);
    if let Err(err) = store.append_audit(event).await {
        tracing::error!(hearing = %hearing.id, error = %err, action, "cannot audit the recording");
    }
}

/// One audit row per file with its SHA-256: the court's proof of what was recorded.
async fn audit_files(
    store: &Arc<dyn Store>,
    hearing: &Hearing,
    segment: u32,
    action: &'static str,
    files: &[RecordedFile],
) {
    for file in files {
        let name = file
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        audit(
            store,
            hearing,
            action,
            json!({
                "segment": segment,
                "file": name,
                "kind": file.kind,
                "participant": file.participant_id,
                "sha256": file.sha256,
                "bytes": file.bytes,
                "at": Utc::now(),
            }),
        )
        .await;
    }
}
