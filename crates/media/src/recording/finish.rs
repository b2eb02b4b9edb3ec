//! The end of a recording, normal or after a crash: the WebM files made with ffmpeg (one
//! per participant, copied not re-encoded, and a composed grid), the SHA-256 of every
//! file, the final manifest; and [`recover`], which first closes what a crash left.

use super::ivf::repair;
use super::manifest::{GapLog, rtp_delta};
use super::ogg::scan_pages;
use super::{
    CloseReason, FileKind, FileRecord, Gap, GapKind, Interruption, MANIFEST_FILE, Manifest,
    ParticipantOutput, PostProcess, RecordedFile, RecordingError, RecordingState, TrackKind,
    TrackRecord, io_error, read_gaps,
};
use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::SystemTime;

/// The composed file: each participant's tile, frame rate, and bitrates.
const TILE_WIDTH: u32 = 320;
const TILE_HEIGHT: u32 = 240;
const COMPOSED_FPS: u32 = 15;
const TILE_KBPS: u32 = 150;
/// Beyond this difference from the arrival time, a sender-report mapping is not trusted
/// for placing a track (the sender's clock or reports are wrong).
const MAX_SENDER_SKEW: TimeDelta = TimeDelta::seconds(5);

/// Closes the recording in `dir` that a crash (or a dropped [`super::Recording`]) left
/// unfinished, and returns its files as [`super::Recording::finish`] does: cuts torn
/// bytes off the files' ends, patches the IVF headers, marks the manifest `interrupted`,
/// ends the open gaps and registers an `interruption` gap from the last packet written to
/// `recovered_at`. A recording that was finished is only hashed again; one that crashed
/// while finishing is finished. The server runs this at start on every recording whose
/// manifest is not `finished` or `interrupted`.
pub fn recover(
    dir: &Path,
    recovered_at: SystemTime,
    post: &PostProcess,
) -> Result<Vec<RecordedFile>, RecordingError> {
    let mut manifest = Manifest::load(dir)?;
    match manifest.state {
        RecordingState::Finished | RecordingState::Interrupted => {
            return listed_files(dir, &manifest);
        }
        RecordingState::Finishing => {}
        RecordingState::Recording => close_interrupted(dir, &mut manifest, recovered_at.into())?,
    }
    finalize(dir, &mut manifest, post)
}

/// Closes the tracks a crash left open, from what their files hold.
fn close_interrupted(
    dir: &Path,
    manifest: &mut Manifest,
    recovered_at: DateTime<Utc>,
) -> Result<(), RecordingError> {
    // Leftovers of an interrupted save or ffmpeg run are not part of the recording.
    remove_leftovers(dir);
    for track in manifest.tracks.iter_mut().filter(|t| t.closed_at.is_none()) {
        let path = dir.join(&track.file);
        if path.exists() {
            let end = match track.kind {
                TrackKind::Audio => repair_ogg(&path, track)?,
                TrackKind::Video => repair_ivf(&path, track)?,
            };
            if let Some(end) = end.filter(|_| track.packets > 0) {
                let base = track.first_packet_at.unwrap_or(track.opened_at);
                track.last_packet_at =
                    rtp_delta(end, 0, track.clock_rate).and_then(|d| base.checked_add_signed(d));
                track.end_rtp_time = track.first_rtp_time.map(|first| first.saturating_add(end));
            }
        } else {
            // A video that never got a keyframe has no file.
            track.packets = 0;
        }
        track.closed_at = Some(track.last_packet_at.unwrap_or(track.opened_at));
        track.close_reason = Some(CloseReason::Interrupted);
    }
    let crash_at = manifest
        .tracks
        .iter()
        .map(|t| t.last_packet_at.unwrap_or(t.opened_at))
        .chain([manifest.started_at])
        .max()
        .unwrap_or(manifest.started_at);
    let mut log = GapLog::open(dir)?;
    let gaps = read_gaps(dir)?;
    for gap in gaps.iter().filter(|g| g.to.is_none()) {
        let mut ended = gap.clone();
        ended.to = Some(crash_at.max(gap.from));
        log.append(&ended)?;
    }
    // Registered once, even when recovery itself is interrupted and run again.
    if !gaps
        .iter()
        .any(|g| g.kind == GapKind::Interruption && g.from == crash_at)
    {
        let gap = Gap {
            id: log.next_id(),
            kind: GapKind::Interruption,
            from: crash_at,
            to: Some(recovered_at.max(crash_at)),
            participant_id: None,
            track: None,
            lost_ms: None,
            note: Some(
                "the recording stopped unexpectedly; nothing was recorded from the last packet \
                 written until recovery"
                    .to_owned(),
            ),
        };
        log.append(&gap)?;
    }
    manifest.ended_at = Some(crash_at);
    manifest.interruption = Some(Interruption {
        last_written_at: crash_at,
        recovered_at,
    });
    manifest.state = RecordingState::Finishing;
    manifest.save(dir)
}

/// Cuts a torn last page; returns the end of the audio (48 kHz ticks from the first).
fn repair_ogg(path: &Path, track: &mut TrackRecord) -> Result<Option<u64>, RecordingError> {
    let file = File::open(path).map_err(io_error("read", path))?;
    let total = file.metadata().map_err(io_error("read", path))?.len();
    let scan = scan_pages(BufReader::new(file)).map_err(io_error("read", path))?;
    if scan.valid_len < total {
        OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|file| {
                file.set_len(scan.valid_len)?;
                file.sync_all()
            })
            .map_err(io_error("truncate", path))?;
        track.truncated_bytes = Some(total - scan.valid_len);
    }
    // Two header packets (OpusHead, OpusTags), then one packet per page.
    track.packets = scan.packets.saturating_sub(2);
    track.bytes = scan.valid_len;
    Ok(scan.last_granule)
}

/// Cuts a torn last frame and patches the header; returns the end of the video (90 kHz
/// ticks from the first frame).
fn repair_ivf(path: &Path, track: &mut TrackRecord) -> Result<Option<u64>, RecordingError> {
    match repair(path).map_err(io_error("repair", path))? {
        Some(repaired) => {
            track.packets = repaired.frames;
            track.bytes = repaired.bytes;
            if repaired.truncated > 0 {
                track.truncated_bytes = Some(repaired.truncated);
            }
            track.width = Some(repaired.size.0);
            track.height = Some(repaired.size.1);
            Ok(repaired.end)
        }
        None => {
            track.packets = 0;
            Ok(None)
        }
    }
}

fn remove_leftovers(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name == format!("{MANIFEST_FILE}.tmp")
            || name.ends_with(".webm.part")
            || (name.starts_with('.') && name.ends_with(".ffconcat"))
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Makes the outputs, hashes every file, writes the final manifest.
pub(crate) fn finalize(
    dir: &Path,
    manifest: &mut Manifest,
    post: &PostProcess,
) -> Result<Vec<RecordedFile>, RecordingError> {
    manifest.outputs = Default::default();
    make_outputs(dir, manifest, post);
    let mut files = Vec::new();
    for track in &manifest.tracks {
        let path = dir.join(&track.file);
        if !path.exists() {
            if track.has_media() {
                manifest
                    .outputs
                    .notes
                    .push(format!("{} is missing", track.file));
            }
            continue;
        }
        let kind = match track.kind {
            TrackKind::Audio => FileKind::Audio,
            TrackKind::Video => FileKind::Video,
        };
        files.push(file_record(
            dir,
            &track.file,
            kind,
            Some(&track.participant_id),
        )?);
    }
    for output in &manifest.outputs.participants {
        files.push(file_record(
            dir,
            &output.file,
            FileKind::ParticipantWebm,
            Some(&output.participant_id),
        )?);
    }
    if let Some(composed) = &manifest.outputs.composed {
        files.push(file_record(dir, composed, FileKind::Composed, None)?);
    }
    if dir.join(&manifest.gaps_file).exists() {
        files.push(file_record(dir, &manifest.gaps_file, FileKind::Gaps, None)?);
    }
    manifest.files = files;
    manifest.state = if manifest.interruption.is_some() {
        RecordingState::Interrupted
    } else {
        RecordingState::Finished
    };
    manifest.save(dir)?;
    listed_files(dir, manifest)
}

/// The files the manifest lists, hashed now, then the manifest itself.
fn listed_files(dir: &Path, manifest: &Manifest) -> Result<Vec<RecordedFile>, RecordingError> {
    let mut files = Vec::with_capacity(manifest.files.len() + 1);
    for record in &manifest.files {
        let path = dir.join(&record.file);
        let (sha256, bytes) = sha256_file(&path)?;
        files.push(RecordedFile {
            path,
            kind: record.kind,
            participant_id: record.participant_id.clone(),
            sha256,
            bytes,
        });
    }
    let path = dir.join(MANIFEST_FILE);
    let (sha256, bytes) = sha256_file(&path)?;
    files.push(RecordedFile {
        path,
        kind: FileKind::Manifest,
        participant_id: None,
        sha256,
        bytes,
    });
    Ok(files)
}

fn file_record(
    dir: &Path,
    file: &str,
    kind: FileKind,
    participant_id: Option<&str>,
) -> Result<FileRecord, RecordingError> {
    let (sha256, bytes) = sha256_file(&dir.join(file))?;
    Ok(FileRecord {
        file: file.to_owned(),
        kind,
        participant_id: participant_id.map(str::to_owned),
        sha256,
        bytes,
    })
}

/// The SHA-256 (hex) and length of a file, read in chunks (never whole in memory).
pub(crate) fn sha256_file(path: &Path) -> Result<(String, u64), RecordingError> {
    let mut file = File::open(path).map_err(io_error("hash", path))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut bytes = 0u64;
    loop {
        let n = match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(io_error("hash", path)(err)),
        };
        hasher.update(&buffer[..n]);
        bytes += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), bytes))
}

fn seconds(delta: TimeDelta) -> f64 {
    delta.num_microseconds().unwrap_or(0) as f64 / 1e6
}

/// Each track's start on the server's clock. A sender's tracks are placed by their
/// sender-report mapping (one clock for the sender's audio and video: lip sync), shifted
/// by the smallest difference between arrival and sender time among the sender's tracks
/// (its clock offset plus the least network delay); a track with no sender report, or one
/// whose mapping strays far from the arrival time, is placed by its first packet's arrival.
fn aligned_starts(manifest: &Manifest) -> HashMap<u32, DateTime<Utc>> {
    let media = || manifest.tracks.iter().filter(|t| t.has_media());
    let sender_start = |t: &TrackRecord| t.first_rtp_time.and_then(|rtp| t.sender_wall(rtp));
    let mut offsets: HashMap<&str, TimeDelta> = HashMap::new();
    for track in media() {
        if let (Some(arrival), Some(sender)) = (track.first_packet_at, sender_start(track)) {
            let offset = arrival - sender;
            offsets
                .entry(&track.participant_id)
                .and_modify(|o| *o = (*o).min(offset))
                .or_insert(offset);
        }
    }
    media()
        .map(|track| {
            let arrival = track.first_packet_at.unwrap_or(track.opened_at);
            let aligned = sender_start(track)
                .zip(offsets.get(track.participant_id.as_str()))
                .and_then(|(sender, offset)| sender.checked_add_signed(*offset))
                .filter(|start| (*start - arrival).abs() <= MAX_SENDER_SKEW);
            (track.id, aligned.unwrap_or(arrival))
        })
        .collect()
}

fn make_outputs(dir: &Path, manifest: &mut Manifest, post: &PostProcess) {
    let Some(ffmpeg) = &post.ffmpeg else {
        manifest.outputs.notes.push(
            "no ffmpeg configured: no WebM files were made; the track files are the recording"
                .to_owned(),
        );
        return;
    };
    let runs = Command::new(ffmpeg)
        .arg("-version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if let Err(reason) = runs
        .map_err(|err| err.to_string())
        .and_then(|status| status.success().then_some(()).ok_or(status.to_string()))
    {
        manifest.outputs.notes.push(format!(
            "ffmpeg ({}) cannot run ({reason}): no WebM files were made; the track files are \
             the recording",
            ffmpeg.display()
        ));
        return;
    }
    let starts = aligned_starts(manifest);
    let mut participants: Vec<&str> = Vec::new();
    for track in &manifest.tracks {
        if !participants.contains(&track.participant_id.as_str()) {
            participants.push(&track.participant_id);
        }
    }
    let mut outputs = Vec::new();
    let mut notes = Vec::new();
    for participant in participants {
        let tracks: Vec<&TrackRecord> = manifest
            .tracks
            .iter()
            .filter(|t| t.participant_id == participant && t.has_media())
            .filter(|t| dir.join(&t.file).exists())
            .collect();
        match participant_webm(ffmpeg, dir, participant, &tracks, &starts) {
            Ok(Some(file)) => outputs.push(ParticipantOutput {
                participant_id: participant.to_owned(),
                file,
            }),
            Ok(None) => notes.push(format!("no WebM for participant {participant}: no media")),
            Err(err) => notes.push(format!("no WebM for participant {participant}: {err}")),
        }
    }
    let composed = if post.composed {
        match compose(ffmpeg, dir, manifest, &starts) {
            Ok(Some(file)) => Some(file),
            Ok(None) => {
                notes.push("no composed file: no media".to_owned());
                None
            }
            Err(err) => {
                notes.push(format!("no composed file: {err}"));
                None
            }
        }
    } else {
        None
    };
    manifest.outputs.participants = outputs;
    manifest.outputs.composed = composed;
    manifest.outputs.notes.extend(notes);
}

fn base_args() -> Vec<String> {
    ["-nostdin", "-hide_banner", "-v", "error", "-y"]
        .map(str::to_owned)
        .to_vec()
}

/// Runs ffmpeg in the recording's directory (every file name is relative and safe).
fn run_ffmpeg(ffmpeg: &Path, dir: &Path, args: &[String]) -> Result<(), String> {
    let output = Command::new(ffmpeg)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|err| format!("cannot run {}: {err}", ffmpeg.display()))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: String = stderr
        .chars()
        .rev()
        .take(600)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    Err(format!(
        "ffmpeg failed ({}): {}",
        output.status,
        tail.trim()
    ))
}

/// Runs ffmpeg into `{name}.part` and renames it to `name` once complete, so that a
/// half-made file never looks like an output.
fn run_into(ffmpeg: &Path, dir: &Path, mut args: Vec<String>, name: &str) -> Result<(), String> {
    let part = format!("{name}.part");
    args.extend(["-f".to_owned(), "webm".to_owned(), part.clone()]);
    let result = run_ffmpeg(ffmpeg, dir, &args).and_then(|()| {
        std::fs::rename(dir.join(&part), dir.join(name))
            .map_err(|err| format!("cannot rename {part}: {err}"))
    });
    if result.is_err() {
        let _ = std::fs::remove_file(dir.join(&part));
    }
    result
}

/// One participant's tracks in one WebM, streams copied, audio and video placed by their
/// start times; several segments of a kind (reconnections) are joined with ffmpeg's concat
/// demuxer, each starting at its own time, so the time between them stays.
fn participant_webm(
    ffmpeg: &Path,
    dir: &Path,
    participant: &str,
    tracks: &[&TrackRecord],
    starts: &HashMap<u32, DateTime<Utc>>,
) -> Result<Option<String>, String> {
    let start = |t: &TrackRecord| starts.get(&t.id).copied().unwrap_or(t.opened_at);
    let segments = |kind: TrackKind| {
        let mut segments: Vec<&TrackRecord> =
            tracks.iter().copied().filter(|t| t.kind == kind).collect();
        segments.sort_by_key(|t| (start(t), t.id));
        segments
    };
    let (audio, video) = (segments(TrackKind::Audio), segments(TrackKind::Video));
    let Some(zero) = audio.iter().chain(&video).map(|t| start(t)).min() else {
        return Ok(None);
    };
    let mut args = base_args();
    let mut maps = Vec::new();
    let mut lists = Vec::new();
    for (input, (kind, segments)) in [(TrackKind::Audio, &audio), (TrackKind::Video, &video)]
        .into_iter()
        .filter(|(_, segments)| !segments.is_empty())
        .enumerate()
    {
        let offset = seconds(start(segments[0]) - zero);
        args.extend(["-itsoffset".to_owned(), format!("{offset:.6}")]);
        if let [only] = segments.as_slice() {
            args.extend(["-i".to_owned(), only.file.clone()]);
        } else {
            let list = format!(".{participant}-{}.ffconcat", kind.as_str());
            let mut text = String::from("ffconcat version 1.0\n");
            for (i, segment) in segments.iter().enumerate() {
                text.push_str(&format!("file '{}'\n", segment.file));
                if let Some(next) = segments.get(i + 1) {
                    // The next segment starts at its own time: the gap stays, an overlap
                    // is cut from this one (its own file keeps everything).
                    let length = seconds(start(next) - start(segment)).max(0.001);
                    text.push_str(&format!("duration {length:.6}\noutpoint {length:.6}\n"));
                }
            }
            std::fs::write(dir.join(&list), text)
                .map_err(|err| format!("cannot write {list}: {err}"))?;
            args.extend([
                "-f".to_owned(),
                "concat".to_owned(),
                "-i".to_owned(),
                list.clone(),
            ]);
            lists.push(list);
        }
        let stream = if kind == TrackKind::Audio { "a" } else { "v" };
        maps.extend(["-map".to_owned(), format!("{input}:{stream}")]);
    }
    args.extend(maps);
    args.extend(["-c".to_owned(), "copy".to_owned()]);
    let name = format!("{participant}.webm");
    let result = run_into(ffmpeg, dir, args, &name);
    for list in lists {
        let _ = std::fs::remove_file(dir.join(list));
    }
    result.map(|()| Some(name))
}

/// Everyone in one WebM from the hearing's start to its end: a grid with a tile per
/// participant with video (black where there is none) over the mixed audio, re-encoded
/// small and fast (VP8 realtime, Opus).
fn compose(
    ffmpeg: &Path,
    dir: &Path,
    manifest: &Manifest,
    starts: &HashMap<u32, DateTime<Utc>>,
) -> Result<Option<String>, String> {
    let started = manifest.started_at;
    let total = seconds(manifest.ended_at.ok_or("the recording has no end")? - started);
    if total <= 0.0 {
        return Err("the recording has no length".to_owned());
    }
    let media: Vec<&TrackRecord> = manifest
        .tracks
        .iter()
        .filter(|t| t.has_media() && dir.join(&t.file).exists())
        .collect();
    if media.is_empty() {
        return Ok(None);
    }
    let mut tiles: Vec<&str> = Vec::new();
    for track in media.iter().filter(|t| t.kind == TrackKind::Video) {
        if !tiles.contains(&track.participant_id.as_str()) {
            tiles.push(&track.participant_id);
        }
    }
    let tile_count = tiles.len() as u32;
    let columns = (1..).find(|c| c * c >= tile_count).unwrap_or(1).max(1);
    let rows = tile_count.div_ceil(columns).max(1);
    let mut args = base_args();
    let mut filters = Vec::new();
    let mut mixed = String::new();
    let mut audio_inputs = 0;
    let mut overlays = Vec::new();
    for (input, track) in media.iter().enumerate() {
        let start = starts.get(&track.id).copied().unwrap_or(track.opened_at);
        let offset = seconds(start - started).max(0.0);
        args.extend([
            "-itsoffset".to_owned(),
            format!("{offset:.6}"),
            "-i".to_owned(),
            track.file.clone(),
        ]);
        match track.kind {
            TrackKind::Audio => {
                // Silence before the first packet and in every gap, so the mix keeps time.
                filters.push(format!(
                    "[{input}:a]aresample=async=1:first_pts=0[a{input}]"
                ));
                mixed.push_str(&format!("[a{input}]"));
                audio_inputs += 1;
            }
            TrackKind::Video => {
                let tile = tiles
                    .iter()
                    .position(|p| *p == track.participant_id)
                    .unwrap_or(0) as u32;
                overlays.push((input, tile));
            }
        }
    }
    let mut maps = Vec::new();
    let mut codecs = Vec::new();
    if !overlays.is_empty() {
        filters.push(format!(
            "color=c=black:s={}x{}:r={COMPOSED_FPS}:d={total:.3}[base0]",
            columns * TILE_WIDTH,
            rows * TILE_HEIGHT
        ));
        for (k, (input, tile)) in overlays.iter().enumerate() {
            let (x, y) = (
                (tile % columns) * TILE_WIDTH,
                (tile / columns) * TILE_HEIGHT,
            );
            filters.push(format!(
                "[{input}:v]scale={TILE_WIDTH}:{TILE_HEIGHT}:force_original_aspect_ratio=decrease,\
                 pad={TILE_WIDTH}:{TILE_HEIGHT}:(ow-iw)/2:(oh-ih)/2,setsar=1[t{k}]"
            ));
            // Before a segment starts and after it ends, its tile stays black.
            filters.push(format!(
                "[base{k}][t{k}]overlay=x={x}:y={y}:eof_action=pass[base{}]",
                k + 1
            ));
        }
        // Plain 4:2:0 for the encoder (the overlays would otherwise ask it for alpha).
        filters.push(format!("[base{}]format=yuv420p[grid]", overlays.len()));
        maps.extend(["-map".to_owned(), "[grid]".to_owned()]);
        let kbps = (TILE_KBPS * tile_count).min(1_500);
        codecs.extend(
            [
                "-c:v",
                "libvpx",
                "-deadline",
                "realtime",
                "-cpu-used",
                "8",
                "-g",
                "150",
            ]
            .map(str::to_owned),
        );
        codecs.extend(["-b:v".to_owned(), format!("{kbps}k")]);
    }
    if audio_inputs > 0 {
        filters.push(format!(
            "{mixed}amix=inputs={audio_inputs}:duration=longest:normalize=0[mix]"
        ));
        maps.extend(["-map".to_owned(), "[mix]".to_owned()]);
        codecs.extend(["-c:a", "libopus", "-b:a", "48k"].map(str::to_owned));
    }
    args.extend(["-filter_complex".to_owned(), filters.join(";")]);
    args.extend(maps);
    args.extend(codecs);
    args.extend(["-t".to_owned(), format!("{total:.3}")]);
    let name = "composed.webm";
    run_into(ffmpeg, dir, args, name)?;
    Ok(Some(name.to_owned()))
}
