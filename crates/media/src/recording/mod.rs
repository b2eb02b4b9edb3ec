//! The hearing's recording (庭审录音录像): every published track written to a file of its
//! own as it arrives (Opus → Ogg, VP8 → IVF), a manifest that places each file on the
//! hearing's timeline, a register of every gap, and at the end one WebM per participant,
//! a composed WebM of everyone (both made by ffmpeg when it is there) and the SHA-256 of
//! every file.
//!
//! The Supreme People's Court's rules on hearing recordings (最高人民法院关于人民法院庭审录音
//! 录像的若干规定) ask for a recording from opening to closing, every interruption logged and
//! even defective files kept. So the track files are the recording: each page or frame is
//! complete on disk once written, nothing is ever overwritten or fabricated, a gap in time
//! stays a gap in the file, and [`recover`] closes what a crash left behind. The WebM files
//! are conveniences made from them.
//!
//! A pure, synchronous library on `std::fs`, with no str0m types, so that it is testable
//! alone; the SFU feeds it from a dedicated writer thread. A recording's directory:
//!
//! ```text
//! manifest.json                 the hearing, tracks, outputs, hashes (rewritten atomically)
//! gaps.jsonl                    the gap register (appended line by line)
//! {participant}-audio-1.ogg     one file per track and segment (a reconnection opens -2, …)
//! {participant}-video-1.ivf
//! {participant}.webm            per participant, audio and video aligned (ffmpeg)
//! composed.webm                 everyone in a grid, audio mixed (ffmpeg)
//! ```

mod finish;
mod ivf;
mod manifest;
mod ogg;
mod sink;

pub use finish::recover;
pub use ivf::{IvfFrame, IvfHeader, IvfReader, IvfWriter, VIDEO_CLOCK, vp8_keyframe_size};
pub use manifest::{
    CloseReason, FileKind, FileRecord, GAPS_FILE, Gap, GapKind, Interruption, MANIFEST_FILE,
    Manifest, Outputs, ParticipantOutput, RecordingState, SenderReportRecord, TrackKind,
    TrackRecord, read_gaps,
};
pub use ogg::{
    DEFAULT_PRE_SKIP, OPUS_CLOCK, OggOpusWriter, OpusHead, OpusPacket, OpusReader,
    opus_packet_samples,
};

use chrono::{DateTime, Utc};
use manifest::GapLog;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// What went wrong, and with which file.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot {action} {}: {source}", path.display())]
    Json {
        action: &'static str,
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{} already exists (a recording's files are never overwritten)", .0.display())]
    Exists(PathBuf),
    #[error("invalid participant id {0:?}: 1 to 64 letters, digits, '-' or '_'")]
    InvalidParticipantId(String),
    #[error("unsupported Opus channel count {0} (1 or 2)")]
    Channels(u8),
    #[error("no open {0}")]
    UnknownTrack(TrackHandle),
    #[error("{track} stopped after an earlier write error on {}", path.display())]
    TrackFailed { track: TrackHandle, path: PathBuf },
    #[error("no open gap {0}")]
    UnknownGap(GapId),
}

/// Wraps an I/O error with what was being done to which file (allocates only on error).
pub(crate) fn io_error<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> RecordingError + 'a {
    move |source| RecordingError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

/// What a writer did with one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Written,
    Skipped(Skip),
}

/// Why a packet was not written (it is counted in the manifest as `skipped`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Not a valid Opus packet or VP8 frame.
    Invalid,
    /// Larger than any valid one.
    TooLarge,
    /// Video before the first keyframe (it could not be decoded).
    BeforeKeyframe,
}

/// What a writer left on disk when it was closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriterSummary {
    pub path: PathBuf,
    /// Packets (Opus) or frames (VP8) written.
    pub packets: u64,
    pub bytes: u64,
    /// The RTP time of the first packet written: the file's time zero.
    pub first_rtp: Option<u64>,
    /// The RTP time at the end of the last packet written.
    pub end_rtp: Option<u64>,
    /// Video: the picture size of the first keyframe.
    pub size: Option<(u16, u16)>,
}

/// A participant's published track to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackInfo {
    /// The participant's id (a UUID). It names the files, so it may hold only ASCII
    /// letters, digits, '-' and '_' (1 to 64 of them).
    pub participant_id: String,
    /// The participant's role as the court names it (`plaintiff`, `clerk`, …).
    pub role: String,
    /// The participant's name: written in the manifest, never in a file name.
    pub name: String,
    pub kind: TrackKind,
    /// Audio: the Ogg header's channel count, 1 or 2. Defaults to 2: WebRTC negotiates
    /// `opus/48000/2`, a stereo sender keeps its stereo, and a mono stream decodes to two
    /// equal channels.
    pub channels: u8,
}

impl TrackInfo {
    pub fn new(
        participant_id: impl Into<String>,
        role: impl Into<String>,
        name: impl Into<String>,
        kind: TrackKind,
    ) -> Self {
        Self {
            participant_id: participant_id.into(),
            role: role.into(),
            name: name.into(),
            kind,
            channels: 2,
        }
    }
}

/// An open track of a [`Recording`]: a small copyable number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackHandle(u32);

impl std::fmt::Display for TrackHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "track {}", self.0)
    }
}

/// A sender report's pairing of the sender's wall clock with its RTP clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderReport {
    /// The report's NTP timestamp as a wall time (str0m's `SenderInfo::ntp_time`).
    pub ntp_time: SystemTime,
    /// The report's RTP timestamp: either the 32-bit value or one extended like the
    /// packets'; it is extended to the value nearest the packet's RTP time.
    pub rtp_time: u64,
}

/// One depacketized Opus packet or VP8 frame to record. Borrowed and `Copy`: build it on
/// the writer thread from whatever owns the bytes.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// The RTP timestamp extended to 64 bits (48 kHz for Opus, 90 kHz for VP8).
    pub rtp_time: u64,
    /// When it arrived (the SFU's clock).
    pub wall: SystemTime,
    pub data: &'a [u8],
    /// `false` when packets were lost just before this one (str0m's
    /// `MediaData::contiguous`): the recording registers a `loss` gap.
    pub contiguous: bool,
    /// The latest sender report of the stream, if any (every packet may carry the same
    /// one; a new pairing is kept about every 10 s).
    pub sender_report: Option<SenderReport>,
}

/// A gap to register (see [`Recording::gap`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GapNote {
    pub kind: GapKind,
    pub from: SystemTime,
    /// `None` for a gap that has begun and not ended (end it with [`Recording::end_gap`]).
    pub to: Option<SystemTime>,
    pub participant_id: Option<String>,
    pub note: Option<String>,
}

/// A registered gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GapId(u64);

impl std::fmt::Display for GapId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A file of a finished recording, for the blob store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedFile {
    pub path: PathBuf,
    pub kind: FileKind,
    pub participant_id: Option<String>,
    /// SHA-256, lowercase hex.
    pub sha256: String,
    pub bytes: u64,
}

/// What is made from the track files when a recording ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostProcess {
    /// The ffmpeg program (a name looked up in `PATH`, or an absolute path); `None`: no
    /// WebM files, and the manifest says so.
    pub ffmpeg: Option<PathBuf>,
    /// Also make the composed file (a grid of everyone's video and the mixed audio).
    pub composed: bool,
}

impl Default for PostProcess {
    fn default() -> Self {
        Self {
            ffmpeg: Some(PathBuf::from("ffmpeg")),
            composed: true,
        }
    }
}

/// A new sender report is kept when the last one kept is this old.
const SENDER_REPORT_EVERY: Duration = Duration::from_secs(10);
/// Discontinuities this close to a loss burst extend it.
const BURST_MERGE: Duration = Duration::from_secs(1);
/// A burst this long is registered, and a new one begins.
const BURST_MAX: Duration = Duration::from_secs(10);
/// New sender reports alone make the manifest be saved at most this often (structural
/// changes save it at once): a long hearing's manifest is rewritten whole each time.
const LAZY_SAVE: Duration = Duration::from_secs(30);

/// One hearing's recording, written as it goes. Not finished on drop: a dropped
/// recording is left as a crash would leave it, for [`recover`].
pub struct Recording {
    dir: PathBuf,
    manifest: Manifest,
    gaps: GapLog,
    tracks: HashMap<u32, OpenTrack>,
    /// Gaps begun and not yet ended, by id.
    open_gaps: HashMap<u64, Gap>,
    /// The open disconnection gap of each participant whose tracks were lost.
    disconnections: HashMap<String, u64>,
    post: PostProcess,
    /// Sender reports kept since the manifest was last saved.
    dirty: bool,
    last_save: Instant,
    done: bool,
}

enum TrackWriter {
    Audio(OggOpusWriter),
    Video(IvfWriter),
}

impl TrackWriter {
    fn accepts(&self, data: &[u8]) -> bool {
        match self {
            Self::Audio(writer) => writer.check(data).is_ok(),
            Self::Video(writer) => writer.check(data).is_ok(),
        }
    }

    fn write(&mut self, rtp_time: u64, data: &[u8]) -> Result<Outcome, RecordingError> {
        match self {
            Self::Audio(writer) => writer.write(rtp_time, data),
            Self::Video(writer) => writer.write(rtp_time, data),
        }
    }

    fn close(self) -> Result<WriterSummary, RecordingError> {
        match self {
            Self::Audio(writer) => writer.close(),
            Self::Video(writer) => writer.close(),
        }
    }
}

struct OpenTrack {
    /// Its record in the manifest.
    index: usize,
    writer: TrackWriter,
    failed: bool,
    last: Option<Last>,
    burst: Option<Burst>,
    last_sender_report: Option<SystemTime>,
    last_written_at: Option<SystemTime>,
}

/// The newest packet seen: where the next one is expected.
#[derive(Clone, Copy)]
struct Last {
    rtp: u64,
    /// Its duration (audio) or the latest frame interval (video), in RTP ticks.
    step: u64,
    wall: SystemTime,
}

/// Discontinuities close together, registered as one `loss` gap.
struct Burst {
    from: SystemTime,
    to: SystemTime,
    /// RTP ticks missing.
    lost: u64,
    discontinuities: u32,
}

/// `later - earlier`, or zero.
fn since(later: SystemTime, earlier: SystemTime) -> Duration {
    later.duration_since(earlier).unwrap_or_default()
}

/// `a - b` or `b - a`, whichever is positive.
fn apart(a: SystemTime, b: SystemTime) -> Duration {
    a.duration_since(b).unwrap_or_else(|err| err.duration())
}

/// The 64-bit RTP time nearest `near` whose low 32 bits are those of `rtp`.
fn extend_near(rtp: u64, near: u64) -> u64 {
    let low = rtp & 0xffff_ffff;
    let base = near & !0xffff_ffff;
    [
        base.checked_sub(1 << 32),
        Some(base),
        base.checked_add(1 << 32),
    ]
    .into_iter()
    .flatten()
    .map(|base| base + low)
    .min_by_key(|candidate| candidate.abs_diff(near))
    .unwrap_or(low)
}

impl OpenTrack {
    /// Follows the RTP timeline; returns a loss burst that is over.
    fn observe(&mut self, kind: TrackKind, packet: &Packet<'_>) -> Option<Burst> {
        let mut over = None;
        if let Some(last) = self.last {
            if !packet.contiguous {
                let lost = packet
                    .rtp_time
                    .saturating_sub(last.rtp.saturating_add(last.step));
                let (from, to) = (last.wall, packet.wall.max(last.wall));
                match &mut self.burst {
                    Some(burst)
                        if since(from, burst.to) <= BURST_MERGE
                            && since(burst.to, burst.from) < BURST_MAX =>
                    {
                        burst.to = to;
                        burst.lost = burst.lost.saturating_add(lost);
                        burst.discontinuities = burst.discontinuities.saturating_add(1);
                    }
                    _ => {
                        over = self.burst.replace(Burst {
                            from,
                            to,
                            lost,
                            discontinuities: 1,
                        });
                    }
                }
            } else if self
                .burst
                .as_ref()
                .is_some_and(|burst| since(packet.wall, burst.to) > BURST_MERGE)
            {
                over = self.burst.take();
            }
        }
        let previous = self.last;
        let step = match kind {
            TrackKind::Audio => opus_packet_samples(packet.data)
                .map(u64::from)
                .or(previous.map(|last| last.step))
                .unwrap_or(960),
            TrackKind::Video => match previous {
                Some(last)
                    if packet.contiguous
                        && packet.rtp_time > last.rtp
                        && packet.rtp_time - last.rtp <= u64::from(VIDEO_CLOCK) =>
                {
                    packet.rtp_time - last.rtp
                }
                Some(last) => last.step,
                None => 3_000,
            },
        };
        // A reordered packet must not pull the expectation back.
        if previous.is_none_or(|last| packet.rtp_time >= last.rtp) {
            self.last = Some(Last {
                rtp: packet.rtp_time,
                step,
                wall: packet.wall,
            });
        }
        over
    }

    /// Keeps a sender report when it is the first or 10 s after the last one kept.
    fn note_sender_report(
        &mut self,
        record: &mut TrackRecord,
        report: SenderReport,
        near: u64,
    ) -> bool {
        if self
            .last_sender_report
            .is_some_and(|last| apart(report.ntp_time, last) < SENDER_REPORT_EVERY)
        {
            return false;
        }
        record.sender_reports.push(SenderReportRecord {
            wall: report.ntp_time.into(),
            rtp_time: extend_near(report.rtp_time, near),
        });
        self.last_sender_report = Some(report.ntp_time);
        true
    }
}

fn burst_gap(burst: Burst, record: &TrackRecord) -> Gap {
    Gap {
        id: 0,
        kind: GapKind::Loss,
        from: burst.from.into(),
        to: Some(burst.to.into()),
        participant_id: Some(record.participant_id.clone()),
        track: Some(record.id),
        lost_ms: Some(burst.lost.saturating_mul(1000) / u64::from(record.clock_rate.max(1))),
        note: Some(format!(
            "{} discontinuit{} in {}",
            burst.discontinuities,
            if burst.discontinuities == 1 {
                "y"
            } else {
                "ies"
            },
            record.file
        )),
    }
}

fn validate_participant_id(id: &str) -> Result<(), RecordingError> {
    let valid = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(RecordingError::InvalidParticipantId(id.to_owned()))
    }
}

impl Recording {
    /// Starts the recording of hearing `hearing_id` in `dir` (created if needed; it must
    /// not hold a recording already).
    pub fn create(
        dir: impl Into<PathBuf>,
        hearing_id: &str,
        started_at: SystemTime,
    ) -> Result<Self, RecordingError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(io_error("create", &dir))?;
        let manifest_path = dir.join(MANIFEST_FILE);
        if manifest_path.exists() {
            return Err(RecordingError::Exists(manifest_path));
        }
        let manifest = Manifest::new(hearing_id, started_at.into());
        manifest.save(&dir)?;
        let gaps = GapLog::open(&dir)?;
        Ok(Self {
            dir,
            manifest,
            gaps,
            tracks: HashMap::new(),
            open_gaps: HashMap::new(),
            disconnections: HashMap::new(),
            post: PostProcess::default(),
            dirty: false,
            last_save: Instant::now(),
            done: false,
        })
    }

    /// Chooses what [`finish`](Self::finish) makes besides the track files.
    pub fn set_post_process(&mut self, post: PostProcess) {
        self.post = post;
    }

    /// The recording's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The manifest as it stands.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn save(&mut self) -> Result<(), RecordingError> {
        self.manifest.save(&self.dir)?;
        self.dirty = false;
        self.last_save = Instant::now();
        Ok(())
    }

    /// Opens a file for a participant's track: `{participant}-{kind}-{segment}` with
    /// `.ogg` (Opus) or `.ivf` (VP8), the segment counting that participant's tracks of
    /// that kind. A participant coming back ends their `disconnection` gap at `at`.
    pub fn open_track(
        &mut self,
        info: TrackInfo,
        at: SystemTime,
    ) -> Result<TrackHandle, RecordingError> {
        validate_participant_id(&info.participant_id)?;
        let audio = info.kind == TrackKind::Audio;
        if audio && !(1..=2).contains(&info.channels) {
            return Err(RecordingError::Channels(info.channels));
        }
        let segment = 1 + self
            .manifest
            .tracks
            .iter()
            .filter(|t| t.participant_id == info.participant_id && t.kind == info.kind)
            .count() as u32;
        let stem = format!("{}-{}-{segment}", info.participant_id, info.kind.as_str());
        let (file, codec, clock_rate) = if audio {
            (format!("{stem}.ogg"), "opus", OPUS_CLOCK)
        } else {
            (format!("{stem}.ivf"), "vp8", VIDEO_CLOCK)
        };
        let id = self.manifest.tracks.len() as u32 + 1;
        self.manifest.tracks.push(TrackRecord {
            id,
            participant_id: info.participant_id.clone(),
            role: info.role,
            name: info.name,
            kind: info.kind,
            segment,
            file,
            codec: codec.to_owned(),
            clock_rate,
            channels: audio.then_some(info.channels),
            pre_skip: audio.then_some(DEFAULT_PRE_SKIP),
            width: None,
            height: None,
            opened_at: at.into(),
            first_packet_at: None,
            first_rtp_time: None,
            sender_reports: Vec::new(),
            closed_at: None,
            close_reason: None,
            last_packet_at: None,
            end_rtp_time: None,
            packets: 0,
            skipped: 0,
            bytes: 0,
            truncated_bytes: None,
            error: None,
        });
        // The manifest names the file before it exists: a file on disk is always listed.
        if let Err(err) = self.save() {
            self.manifest.tracks.pop();
            return Err(err);
        }
        let index = self.manifest.tracks.len() - 1;
        let writer = match info.kind {
            TrackKind::Audio => {
                OggOpusWriter::create(&self.dir, &stem, info.channels, DEFAULT_PRE_SKIP)
                    .map(TrackWriter::Audio)
            }
            TrackKind::Video => IvfWriter::create(&self.dir, &stem).map(TrackWriter::Video),
        };
        let writer = match writer {
            Ok(writer) => writer,
            Err(err) => {
                let record = &mut self.manifest.tracks[index];
                record.error = Some(err.to_string());
                record.closed_at = Some(at.into());
                record.close_reason = Some(CloseReason::Ended);
                // The error is what matters to the caller; the next save records it.
                let _ = self.save();
                return Err(err);
            }
        };
        self.tracks.insert(
            id,
            OpenTrack {
                index,
                writer,
                failed: false,
                last: None,
                burst: None,
                last_sender_report: None,
                last_written_at: None,
            },
        );
        // A participant coming back ends their disconnection.
        if let Some(gap) = self.disconnections.remove(&info.participant_id)
            && let Err(err) = self.end_gap(GapId(gap), at)
        {
            tracing::warn!(error = %err, "ending a disconnection gap");
        }
        Ok(TrackHandle(id))
    }

    /// Writes one packet of an open track. Packets that are not valid media are skipped
    /// (and counted); after a write error the track takes no more packets.
    pub fn write(&mut self, track: TrackHandle, packet: Packet<'_>) -> Result<(), RecordingError> {
        let open = self
            .tracks
            .get_mut(&track.0)
            .ok_or(RecordingError::UnknownTrack(track))?;
        let record = &mut self.manifest.tracks[open.index];
        if open.failed {
            return Err(RecordingError::TrackFailed {
                track,
                path: self.dir.join(&record.file),
            });
        }
        if let Some(report) = packet.sender_report
            && open.note_sender_report(record, report, packet.rtp_time)
        {
            self.dirty = true;
        }
        let burst = open
            .observe(record.kind, &packet)
            .map(|burst| burst_gap(burst, record));
        // The file's time zero reaches the manifest before the packet reaches the file,
        // so that a file with media always has its place on the timeline.
        let first = record.first_packet_at.is_none() && open.writer.accepts(packet.data);
        if first {
            record.first_packet_at = Some(packet.wall.into());
            record.first_rtp_time = Some(packet.rtp_time);
            if record.kind == TrackKind::Video
                && let Some((width, height)) = vp8_keyframe_size(packet.data)
            {
                record.width = Some(width);
                record.height = Some(height);
            }
        }
        let index = open.index;
        if (first || (self.dirty && self.last_save.elapsed() >= LAZY_SAVE))
            && let Err(err) = self.save()
        {
            if first {
                // Not written, so not the file's time zero: the next packet tries again.
                let record = &mut self.manifest.tracks[index];
                record.first_packet_at = None;
                record.first_rtp_time = None;
            }
            return Err(err);
        }
        let (open, record) = match self.tracks.get_mut(&track.0) {
            Some(open) => (open, &mut self.manifest.tracks[index]),
            None => return Err(RecordingError::UnknownTrack(track)),
        };
        let written = match open.writer.write(packet.rtp_time, packet.data) {
            Ok(Outcome::Written) => {
                record.packets += 1;
                open.last_written_at = Some(packet.wall);
                Ok(())
            }
            Ok(Outcome::Skipped(_)) => {
                record.skipped += 1;
                Ok(())
            }
            Err(err) => {
                open.failed = true;
                record.error = Some(err.to_string());
                tracing::error!(error = %err, file = %record.file, "a recorded track stopped");
                // The error is what matters to the caller; the manifest is saved again later.
                let _ = self.save();
                Err(err)
            }
        };
        // The loss is registered even when the packet after it could not be written.
        let registered = burst.map_or(Ok(()), |gap| self.append_gap(gap).map(|_| ()));
        written.and(registered)
    }

    fn append_gap(&mut self, mut gap: Gap) -> Result<GapId, RecordingError> {
        gap.id = self.gaps.next_id();
        self.gaps.append(&gap)?;
        let id = GapId(gap.id);
        if gap.to.is_none() {
            self.open_gaps.insert(gap.id, gap);
        }
        Ok(id)
    }

    /// Closes a track's file. [`CloseReason::Disconnected`] opens a `disconnection` gap
    /// for the participant from their last packet, ended when they open a track again.
    pub fn close_track(
        &mut self,
        track: TrackHandle,
        reason: CloseReason,
        at: SystemTime,
    ) -> Result<(), RecordingError> {
        let open = self
            .tracks
            .remove(&track.0)
            .ok_or(RecordingError::UnknownTrack(track))?;
        let closed = open.writer.close();
        let record = &mut self.manifest.tracks[open.index];
        record.closed_at = Some(at.into());
        record.close_reason = Some(reason);
        record.last_packet_at = open.last_written_at.map(Into::into);
        match &closed {
            Ok(summary) => {
                record.bytes = summary.bytes;
                record.end_rtp_time = summary.end_rtp;
                if let Some((width, height)) = summary.size {
                    record.width = Some(width);
                    record.height = Some(height);
                }
            }
            Err(err) => {
                record.error.get_or_insert_with(|| err.to_string());
            }
        }
        let burst = open.burst.map(|burst| burst_gap(burst, record));
        let participant_id = record.participant_id.clone();
        let mut result = closed.map(|_| ());
        if let Some(gap) = burst {
            result = result.and(self.append_gap(gap).map(|_| ()));
        }
        if reason == CloseReason::Disconnected && !self.disconnections.contains_key(&participant_id)
        {
            let gap = Gap {
                id: 0,
                kind: GapKind::Disconnection,
                from: open.last_written_at.unwrap_or(at).into(),
                to: None,
                participant_id: Some(participant_id.clone()),
                track: None,
                lost_ms: None,
                note: None,
            };
            match self.append_gap(gap) {
                Ok(id) => {
                    self.disconnections.insert(participant_id, id.0);
                }
                Err(err) => result = result.and(Err(err)),
            }
        }
        let saved = self.save();
        result.and(saved)
    }

    /// Registers a gap (a recess, typically): complete when `to` is given, else open until
    /// [`end_gap`](Self::end_gap) (or the end of the recording).
    pub fn gap(&mut self, gap: GapNote) -> Result<GapId, RecordingError> {
        self.append_gap(Gap {
            id: 0,
            kind: gap.kind,
            from: gap.from.into(),
            to: gap.to.map(Into::into),
            participant_id: gap.participant_id,
            track: None,
            lost_ms: None,
            note: gap.note,
        })
    }

    /// Ends an open gap at `to`.
    pub fn end_gap(&mut self, id: GapId, to: SystemTime) -> Result<(), RecordingError> {
        let mut gap = self
            .open_gaps
            .remove(&id.0)
            .ok_or(RecordingError::UnknownGap(id))?;
        let to: DateTime<Utc> = to.into();
        gap.to = Some(to.max(gap.from));
        if let Err(err) = self.gaps.append(&gap) {
            gap.to = None;
            self.open_gaps.insert(id.0, gap);
            return Err(err);
        }
        self.disconnections.retain(|_, open| *open != id.0);
        Ok(())
    }

    /// Ends the recording at `ended_at`: closes every track and open gap, makes the WebM
    /// files (see [`PostProcess`]), hashes every file and writes the final manifest.
    /// Returns the files, the manifest last.
    pub fn finish(mut self, ended_at: SystemTime) -> Result<Vec<RecordedFile>, RecordingError> {
        let mut open: Vec<u32> = self.tracks.keys().copied().collect();
        open.sort_unstable();
        for track in open {
            // A track that fails to close keeps its error in the manifest; the others and
            // the rest of the recording are finished all the same.
            if let Err(err) = self.close_track(TrackHandle(track), CloseReason::Finished, ended_at)
            {
                tracing::warn!(error = %err, "closing a recorded track");
            }
        }
        let mut gaps: Vec<u64> = self.open_gaps.keys().copied().collect();
        gaps.sort_unstable();
        for gap in gaps {
            if let Err(err) = self.end_gap(GapId(gap), ended_at) {
                tracing::warn!(error = %err, "ending a gap of the recording");
            }
        }
        self.manifest.ended_at = Some(ended_at.into());
        self.manifest.state = RecordingState::Finishing;
        self.save()?;
        self.done = true;
        finish::finalize(&self.dir, &mut self.manifest, &self.post)
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        // No finishing here: that runs ffmpeg for minutes and may fail, and a drop may come
        // from a panic. Every page and frame already went to the OS when it was written,
        // so what is on disk is what a crash leaves, which `recover` closes.
        if !self.done {
            tracing::warn!(
                dir = %self.dir.display(),
                hearing = %self.manifest.hearing_id,
                "a recording was dropped before it was finished; recover() will close it"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtp_extension_picks_the_nearest_wrap() {
        assert_eq!(extend_near(100, 200), 100);
        assert_eq!(extend_near(0xffff_fff0, (1 << 32) + 5), 0xffff_fff0);
        assert_eq!(extend_near(5, 0xffff_fff0), (1 << 32) + 5);
        assert_eq!(extend_near((3 << 32) + 7, (3 << 32) + 9), (3 << 32) + 7);
    }

    #[test]
    fn participant_ids_are_safe_file_names() {
        assert!(validate_participant_id("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b").is_ok());
        for bad in ["", "../x", "a/b", "a b", "名字", ".hidden", &"a".repeat(65)] {
            assert!(validate_participant_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn recording_is_send() {
        fn send<T: Send>() {}
        send::<Recording>();
        send::<Packet<'static>>();
        send::<RecordingError>();
    }
}
