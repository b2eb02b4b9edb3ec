//! The recording's manifest (`manifest.json`: the hearing, every track with its RTP to
//! wall-clock mapping, the outputs and their hashes) and its gap register (`gaps.jsonl`).
//!
//! The manifest is small and rewritten whole whenever it changes, atomically (a temporary
//! file, synced, renamed over the old one, the directory synced), so a crash leaves either
//! the old or the new one, never half of one.
//!
//! Gaps go to their own file, one JSON line appended (and synced) per event, rather than
//! into the manifest: an append touches no earlier line, costs the same on the thousandth
//! gap as on the first (a lossy link can cause one a second), and a crash can at worst tear
//! the last line, which readers skip. A gap that ends later (a recess, a disconnection) is
//! written again with its end under the same id; the last line for an id wins.

use super::{RecordingError, io_error};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The manifest's file name in a recording's directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The gap register's file name in a recording's directory.
pub const GAPS_FILE: &str = "gaps.jsonl";
/// The manifest's format, written in it.
pub const FORMAT: &str = "cloudcourt-recording/1";

/// Where a recording is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordingState {
    /// Tracks are being written.
    Recording,
    /// Every track is closed; the WebM files and hashes are being made.
    Finishing,
    /// Finished normally.
    Finished,
    /// Stopped by a crash and closed by recovery.
    Interrupted,
}

/// Audio or video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackKind {
    Audio,
    Video,
}

impl TrackKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Audio => "audio",
            Self::Video => "video",
        }
    }
}

/// Why a track's file was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// The participant stopped the track or left.
    Ended,
    /// The participant's connection was lost (a `disconnection` gap opens).
    Disconnected,
    /// The recording was finished.
    Finished,
    /// The recording process stopped; recovery closed the file.
    Interrupted,
}

/// One sender report's pairing of the sender's wall clock (NTP) with its RTP clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderReportRecord {
    pub wall: DateTime<Utc>,
    /// Extended like the packets' RTP times.
    pub rtp_time: u64,
}

/// One track's file and everything needed to place it on the hearing's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackRecord {
    /// The track's number in this recording (1, 2, …).
    pub id: u32,
    pub participant_id: String,
    pub role: String,
    pub name: String,
    pub kind: TrackKind,
    /// 1 for a participant's first track of this kind, 2 after a reconnection, …
    pub segment: u32,
    /// The file's name in the recording's directory.
    pub file: String,
    /// `opus` or `vp8`.
    pub codec: String,
    /// The RTP clock rate: 48000 (Opus) or 90000 (VP8).
    pub clock_rate: u32,
    #[serde(default)]
    pub channels: Option<u8>,
    #[serde(default)]
    pub pre_skip: Option<u16>,
    #[serde(default)]
    pub width: Option<u16>,
    #[serde(default)]
    pub height: Option<u16>,
    pub opened_at: DateTime<Utc>,
    /// When the first packet written to the file arrived (the fallback mapping to wall
    /// time when no sender report came).
    #[serde(default)]
    pub first_packet_at: Option<DateTime<Utc>>,
    /// The RTP time of that packet: the file's time zero.
    #[serde(default)]
    pub first_rtp_time: Option<u64>,
    /// Sender reports: the first, then one per ~10 s.
    #[serde(default)]
    pub sender_reports: Vec<SenderReportRecord>,
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub close_reason: Option<CloseReason>,
    /// When the last packet written arrived (for a recovered file: its estimate).
    #[serde(default)]
    pub last_packet_at: Option<DateTime<Utc>>,
    /// The RTP time at the end of the last packet written.
    #[serde(default)]
    pub end_rtp_time: Option<u64>,
    /// Packets (Opus) or frames (VP8) written.
    #[serde(default)]
    pub packets: u64,
    /// Packets not written: not valid Opus/VP8, or video before the first keyframe.
    #[serde(default)]
    pub skipped: u64,
    #[serde(default)]
    pub bytes: u64,
    /// Torn bytes recovery cut off the file's end.
    #[serde(default)]
    pub truncated_bytes: Option<u64>,
    /// The write error that stopped the track, if any.
    #[serde(default)]
    pub error: Option<String>,
}

impl TrackRecord {
    /// The arrival wall time of RTP time `rtp` (from the first packet's arrival).
    pub fn arrival_wall(&self, rtp: u64) -> Option<DateTime<Utc>> {
        let first_at = self.first_packet_at?;
        let first_rtp = self.first_rtp_time?;
        first_at.checked_add_signed(rtp_delta(rtp, first_rtp, self.clock_rate)?)
    }

    /// The sender's wall time of RTP time `rtp`, from the latest sender report at or
    /// before it (or the first one).
    pub fn sender_wall(&self, rtp: u64) -> Option<DateTime<Utc>> {
        let report = self
            .sender_reports
            .iter()
            .filter(|sr| sr.rtp_time <= rtp)
            .max_by_key(|sr| sr.rtp_time)
            .or_else(|| self.sender_reports.first())?;
        report
            .wall
            .checked_add_signed(rtp_delta(rtp, report.rtp_time, self.clock_rate)?)
    }

    /// Whether the file holds media (it may not: a video that never got a keyframe).
    pub fn has_media(&self) -> bool {
        self.packets > 0
    }
}

/// `to - from` RTP ticks at `clock` Hz as a signed duration (`None` past what it holds).
pub(crate) fn rtp_delta(to: u64, from: u64, clock: u32) -> Option<TimeDelta> {
    let ticks = i128::from(to) - i128::from(from);
    let micros = ticks * 1_000_000 / i128::from(clock.max(1));
    Some(TimeDelta::microseconds(i64::try_from(micros).ok()?))
}

/// What kind of file a recording holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// One audio track (Opus in Ogg).
    Audio,
    /// One video track (VP8 in IVF).
    Video,
    /// One participant's audio and video, aligned (WebM).
    ParticipantWebm,
    /// Every participant in a grid with the audio mixed (WebM).
    Composed,
    /// The gap register.
    Gaps,
    /// The manifest.
    Manifest,
}

/// A file of the recording with its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    pub file: String,
    pub kind: FileKind,
    #[serde(default)]
    pub participant_id: Option<String>,
    pub sha256: String,
    pub bytes: u64,
}

/// One participant's WebM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantOutput {
    pub participant_id: String,
    pub file: String,
}

/// The files made from the tracks when the recording ended, and why any is missing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Outputs {
    #[serde(default)]
    pub participants: Vec<ParticipantOutput>,
    #[serde(default)]
    pub composed: Option<String>,
    /// Why an output is missing (no ffmpeg, an ffmpeg error, no media).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// How a recording that a crash stopped was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interruption {
    /// The last moment the files hold.
    pub last_written_at: DateTime<Utc>,
    pub recovered_at: DateTime<Utc>,
}

/// One hearing's recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub hearing_id: String,
    pub state: RecordingState,
    pub started_at: DateTime<Utc>,
    #[serde(default)]
    pub ended_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub interruption: Option<Interruption>,
    /// The gap register's file name.
    pub gaps_file: String,
    #[serde(default)]
    pub tracks: Vec<TrackRecord>,
    #[serde(default)]
    pub outputs: Outputs,
    /// Every file but the manifest, with its SHA-256 (filled when the recording ends).
    #[serde(default)]
    pub files: Vec<FileRecord>,
}

impl Manifest {
    pub(crate) fn new(hearing_id: &str, started_at: DateTime<Utc>) -> Self {
        Self {
            format: FORMAT.to_owned(),
            hearing_id: hearing_id.to_owned(),
            state: RecordingState::Recording,
            started_at,
            ended_at: None,
            interruption: None,
            gaps_file: GAPS_FILE.to_owned(),
            tracks: Vec::new(),
            outputs: Outputs::default(),
            files: Vec::new(),
        }
    }

    /// Reads `dir/manifest.json`.
    pub fn load(dir: &Path) -> Result<Self, RecordingError> {
        let path = dir.join(MANIFEST_FILE);
        let bytes = std::fs::read(&path).map_err(io_error("read", &path))?;
        serde_json::from_slice(&bytes).map_err(|source| RecordingError::Json {
            action: "parse",
            path,
            source,
        })
    }

    /// Replaces `dir/manifest.json` atomically.
    pub(crate) fn save(&self, dir: &Path) -> Result<(), RecordingError> {
        let path = dir.join(MANIFEST_FILE);
        let temp = dir.join(format!("{MANIFEST_FILE}.tmp"));
        let json = serde_json::to_vec_pretty(self).map_err(|source| RecordingError::Json {
            action: "serialise",
            path: path.clone(),
            source,
        })?;
        let mut file = File::create(&temp).map_err(io_error("create", &temp))?;
        file.write_all(&json)
            .and_then(|()| file.write_all(b"\n"))
            .and_then(|()| file.sync_all())
            .map_err(io_error("write", &temp))?;
        drop(file);
        std::fs::rename(&temp, &path).map_err(io_error("replace", &path))?;
        sync_dir(dir)
    }
}

/// Makes a rename or a new file in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), RecordingError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error("sync", dir))
}

/// Why there is a hole in the recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GapKind {
    /// The hearing was in recess.
    Recess,
    /// A participant's tracks stopped (connection lost) until they came back.
    Disconnection,
    /// A burst of lost packets, seen from RTP discontinuities.
    Loss,
    /// The recording process stopped (a crash) until recovery.
    Interruption,
}

/// One entry of the gap register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    pub id: u64,
    pub kind: GapKind,
    pub from: DateTime<Utc>,
    /// `None` while the gap lasts.
    #[serde(default)]
    pub to: Option<DateTime<Utc>>,
    #[serde(default)]
    pub participant_id: Option<String>,
    /// The track (its id in the manifest), for a loss.
    #[serde(default)]
    pub track: Option<u32>,
    /// For a loss: the estimated duration of media lost, in milliseconds.
    #[serde(default)]
    pub lost_ms: Option<u64>,
    #[serde(default)]
    pub note: Option<String>,
}

/// The append-only gap register of one recording.
pub(crate) struct GapLog {
    path: PathBuf,
    file: File,
    next_id: u64,
}

impl GapLog {
    /// Opens (or creates) `dir/gaps.jsonl` for appending, after a line a crash tore.
    pub(crate) fn open(dir: &Path) -> Result<Self, RecordingError> {
        let path = dir.join(GAPS_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(io_error("open", &path))?;
        let next_id = read_gap_lines(&path)?
            .keys()
            .max()
            .map_or(1, |id| id.saturating_add(1));
        // A torn last line gets its end, so that the next line starts on a line of its own.
        let len = file.metadata().map_err(io_error("read", &path))?.len();
        if len > 0 {
            let mut last = [0u8; 1];
            file.seek(SeekFrom::End(-1))
                .and_then(|_| file.read_exact(&mut last))
                .map_err(io_error("read", &path))?;
            if last[0] != b'\n' {
                file.write_all(b"\n").map_err(io_error("write", &path))?;
            }
        }
        Ok(Self {
            path,
            file,
            next_id,
        })
    }

    pub(crate) fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Appends one gap as one line, in one write, and syncs it.
    pub(crate) fn append(&mut self, gap: &Gap) -> Result<(), RecordingError> {
        let mut line = serde_json::to_vec(gap).map_err(|source| RecordingError::Json {
            action: "serialise a gap for",
            path: self.path.clone(),
            source,
        })?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .and_then(|()| self.file.sync_data())
            .map_err(io_error("append to", &self.path))
    }
}

fn read_gap_lines(path: &Path) -> Result<BTreeMap<u64, Gap>, RecordingError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(err) => return Err(io_error("read", path)(err)),
    };
    let mut gaps = BTreeMap::new();
    for line in BufReader::new(file).split(b'\n') {
        let line = line.map_err(io_error("read", path))?;
        // A line a crash tore is not valid JSON: skipped.
        if let Ok(gap) = serde_json::from_slice::<Gap>(&line) {
            gaps.insert(gap.id, gap);
        }
    }
    Ok(gaps)
}

/// The gaps of the recording in `dir`, by id, each as its last line says.
pub fn read_gaps(dir: &Path) -> Result<Vec<Gap>, RecordingError> {
    Ok(read_gap_lines(&dir.join(GAPS_FILE))?
        .into_values()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap_or_default()
    }

    #[test]
    fn manifest_round_trips_and_leaves_no_temp_file() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let manifest = Manifest::new("h-1", at(0));
        manifest.save(dir.path())?;
        assert_eq!(Manifest::load(dir.path())?, manifest);
        assert!(!dir.path().join("manifest.json.tmp").exists());
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join(MANIFEST_FILE))?)?;
        assert_eq!(json["state"], "recording");
        assert_eq!(json["gaps_file"], GAPS_FILE);
        Ok(())
    }

    #[test]
    fn gap_log_survives_a_torn_line_and_last_line_wins() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let mut log = GapLog::open(dir.path())?;
        let id = log.next_id();
        let mut gap = Gap {
            id,
            kind: GapKind::Recess,
            from: at(10),
            to: None,
            participant_id: None,
            track: None,
            lost_ms: None,
            note: None,
        };
        log.append(&gap)?;
        gap.to = Some(at(70));
        log.append(&gap)?;
        drop(log);
        // A crash tears a third line.
        let mut file = OpenOptions::new()
            .append(true)
            .open(dir.path().join(GAPS_FILE))?;
        file.write_all(br#"{"id":2,"kind":"lo"#)?;
        drop(file);
        let mut log = GapLog::open(dir.path())?;
        assert_eq!(log.next_id(), 2);
        let second = Gap {
            id: 2,
            kind: GapKind::Loss,
            from: at(80),
            to: Some(at(81)),
            participant_id: Some("p".into()),
            track: Some(1),
            lost_ms: Some(900),
            note: None,
        };
        log.append(&second)?;
        assert_eq!(read_gaps(dir.path())?, vec![gap, second]);
        Ok(())
    }

    #[test]
    fn wall_clock_mapping() {
        let mut track = TrackRecord {
            id: 1,
            participant_id: "p".into(),
            role: "plaintiff".into(),
            name: "n".into(),
            kind: TrackKind::Audio,
            segment: 1,
            file: "p-audio-1.ogg".into(),
            codec: "opus".into(),
            clock_rate: 48_000,
            channels: Some(2),
            pre_skip: Some(312),
            width: None,
            height: None,
            opened_at: at(0),
            first_packet_at: Some(at(1)),
            first_rtp_time: Some(48_000),
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
        };
        assert_eq!(track.arrival_wall(96_000), Some(at(2)));
        assert_eq!(track.arrival_wall(0), Some(at(0)));
        assert_eq!(track.sender_wall(96_000), None);
        track.sender_reports = vec![
            SenderReportRecord {
                wall: at(100),
                rtp_time: 48_000,
            },
            SenderReportRecord {
                wall: at(111),
                rtp_time: 48_000 * 11,
            },
        ];
        assert_eq!(track.sender_wall(0), Some(at(99)));
        assert_eq!(track.sender_wall(48_000 * 12), Some(at(112)));
    }
}
