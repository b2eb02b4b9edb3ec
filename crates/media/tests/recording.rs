//! The hearing recording end to end on real media: Opus and VP8 made by ffmpeg, read back
//! with the crate's own readers, fed with RTP times into a `Recording`, finished or
//! crashed and recovered, and every file checked with ffprobe (codec, size, duration),
//! against the manifest and against its SHA-256.
//!
//! ffmpeg and ffprobe must be installed (scripts/test installs them); with
//! `CLOUDCOURT_TEST_NO_FFMPEG=1` the tests that need them are skipped and the others run.

use media::recording::{
    CloseReason, FileKind, GapKind, GapNote, IvfReader, OpusReader, Packet, PostProcess,
    RecordedFile, Recording, SenderReport, TrackHandle, TrackInfo, TrackKind, read_gaps, recover,
};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

const ALICE: &str = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
const BOB: &str = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c";

/// Whether ffmpeg is there; panics with what to do when it is not and not excused.
fn have_ffmpeg() -> bool {
    let runs = |program: &str| {
        Command::new(program)
            .arg("-version")
            .output()
            .is_ok_and(|out| out.status.success())
    };
    if runs("ffprobe") && runs("ffmpeg") {
        return true;
    }
    if std::env::var("CLOUDCOURT_TEST_NO_FFMPEG").as_deref() == Ok("1") {
        eprintln!("ffmpeg/ffprobe missing and CLOUDCOURT_TEST_NO_FFMPEG=1: skipping this test");
        return false;
    }
    panic!(
        "ffmpeg and ffprobe are needed by the recording tests: install them (apt-get install \
         ffmpeg; scripts/test does) or set CLOUDCOURT_TEST_NO_FFMPEG=1 to skip these tests"
    );
}

/// Real media, made once: 3 s of Opus (20 ms packets) and 3 s of VP8 320x240 at 15 fps.
struct Sources {
    /// (start in 48 kHz ticks, packet)
    opus: Vec<(u64, Vec<u8>)>,
    /// (pts in 90 kHz ticks, frame)
    vp8: Vec<(u64, Vec<u8>)>,
}

fn sources() -> &'static Sources {
    static SOURCES: OnceLock<Sources> = OnceLock::new();
    SOURCES.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let ffmpeg = |args: &[&str]| {
            let status = Command::new("ffmpeg")
                .args(["-nostdin", "-v", "error", "-y"])
                .args(args)
                .current_dir(dir.path())
                .status()
                .expect("run ffmpeg");
            assert!(status.success(), "ffmpeg {args:?} failed");
        };
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=3",
            "-c:a",
            "libopus",
            "-b:a",
            "32k",
            "-ac",
            "1",
            "a.ogg",
        ]);
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=15:duration=3",
            "-c:v",
            "libvpx",
            "-b:v",
            "300k",
            "-g",
            "30",
            "v.ivf",
        ]);
        let mut reader = OpusReader::open(&dir.path().join("a.ogg")).expect("open the Opus source");
        let mut opus = Vec::new();
        while let Some(packet) = reader.next_packet().expect("read an Opus packet") {
            assert_eq!(packet.samples, 960, "20 ms packets");
            opus.push((packet.start, packet.data));
        }
        let mut reader = IvfReader::open(&dir.path().join("v.ivf")).expect("open the VP8 source");
        let header = *reader.header();
        assert_eq!(&header.fourcc, b"VP80");
        let mut vp8 = Vec::new();
        while let Some(frame) = reader.next_frame().expect("read a VP8 frame") {
            let pts = frame.pts * 90_000 * u64::from(header.timebase_num)
                / u64::from(header.timebase_den);
            vp8.push((pts, frame.data));
        }
        assert!(
            opus.len() >= 150 && vp8.len() == 45,
            "{} {}",
            opus.len(),
            vp8.len()
        );
        Sources { opus, vp8 }
    })
}

fn base_time() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000)
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// How one track is fed.
struct Feed<'a> {
    kind: TrackKind,
    packets: &'a [(u64, Vec<u8>)],
    /// Arrival of the first packet.
    start: SystemTime,
    rtp_base: u64,
    /// (media time in seconds after which, seconds of RTP time missing)
    gap: Option<(f64, f64)>,
    /// The sender's clock minus ours.
    sender_offset: f64,
    /// Feed only the packets before this media time (a crash).
    until: Option<f64>,
}

impl Feed<'_> {
    fn clock(&self) -> u64 {
        match self.kind {
            TrackKind::Audio => 48_000,
            TrackKind::Video => 90_000,
        }
    }

    /// Writes the packets; returns the arrival time of the last one.
    fn run(&self, recording: &mut Recording, track: TrackHandle) -> SystemTime {
        let clock = self.clock();
        let mut last = self.start;
        let mut gap_passed = false;
        for (time, data) in self.packets {
            let mut media = *time;
            let mut contiguous = true;
            if let Some((after, missing)) = self.gap
                && *time as f64 / clock as f64 >= after
            {
                media += (missing * clock as f64) as u64;
                contiguous = gap_passed;
                gap_passed = true;
            }
            if self
                .until
                .is_some_and(|until| *time as f64 / clock as f64 >= until)
            {
                break;
            }
            let offset = media as f64 / clock as f64;
            let wall = self.start + secs(offset);
            let rtp = self.rtp_base + media;
            let sender_wall = if self.sender_offset >= 0.0 {
                wall + secs(self.sender_offset)
            } else {
                wall - secs(-self.sender_offset)
            };
            recording
                .write(
                    track,
                    Packet {
                        rtp_time: rtp,
                        wall,
                        data,
                        contiguous,
                        // Only the low 32 bits, as in the RTCP packet.
                        sender_report: Some(SenderReport {
                            ntp_time: sender_wall,
                            rtp_time: rtp & 0xffff_ffff,
                        }),
                    },
                )
                .expect("write a packet");
            last = wall;
        }
        last
    }
}

fn ffprobe(path: &Path) -> Value {
    let output = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_streams",
            "-show_format",
            "-of",
            "json",
        ])
        .arg(path)
        .output()
        .expect("run ffprobe");
    assert!(
        output.status.success(),
        "ffprobe {}: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("ffprobe's JSON")
}

fn number(value: &Value) -> f64 {
    value
        .as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| value.as_f64())
        .unwrap_or(f64::NAN)
}

fn duration(probe: &Value) -> f64 {
    number(&probe["format"]["duration"])
}

fn stream<'a>(probe: &'a Value, codec_type: &str) -> &'a Value {
    probe["streams"]
        .as_array()
        .and_then(|streams| streams.iter().find(|s| s["codec_type"] == codec_type))
        .unwrap_or_else(|| panic!("no {codec_type} stream in {probe}"))
}

fn assert_near(actual: f64, expected: f64, tolerance: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: {actual} s, expected {expected} ± {tolerance} s"
    );
}

fn check_audio_file(path: &Path, expected: f64) {
    let probe = ffprobe(path);
    let audio = stream(&probe, "audio");
    assert_eq!(audio["codec_name"], "opus", "{}", path.display());
    assert_eq!(audio["sample_rate"], "48000");
    assert_near(duration(&probe), expected, 0.1, &path.display().to_string());
}

fn check_video_file(path: &Path, expected: f64) {
    let probe = ffprobe(path);
    let video = stream(&probe, "video");
    assert_eq!(video["codec_name"], "vp8", "{}", path.display());
    assert_eq!(
        (video["width"].as_u64(), video["height"].as_u64()),
        (Some(320), Some(240))
    );
    assert_near(duration(&probe), expected, 0.1, &path.display().to_string());
}

fn sha256_hex(path: &Path) -> String {
    hex::encode(Sha256::digest(
        std::fs::read(path).expect("read a recorded file"),
    ))
}

/// Every returned file exists with the size and hash claimed; the manifest lists the
/// same hashes for the others, and comes last.
fn check_hashes(files: &[RecordedFile]) -> Value {
    for file in files {
        assert_eq!(
            sha256_hex(&file.path),
            file.sha256,
            "{}",
            file.path.display()
        );
        assert_eq!(
            std::fs::metadata(&file.path).map(|m| m.len()).ok(),
            Some(file.bytes)
        );
    }
    let manifest = files.last().expect("some files");
    assert_eq!(manifest.kind, FileKind::Manifest);
    let json: Value =
        serde_json::from_slice(&std::fs::read(&manifest.path).expect("read the manifest"))
            .expect("the manifest is JSON");
    let listed = json["files"].as_array().expect("files in the manifest");
    assert_eq!(listed.len(), files.len() - 1);
    for (record, file) in listed.iter().zip(files) {
        assert_eq!(record["sha256"], file.sha256.as_str());
        assert_eq!(
            Some(
                file.path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default()
            ),
            record["file"].as_str()
        );
    }
    json
}

fn file_of<'a>(files: &'a [RecordedFile], name: &str) -> &'a Path {
    files
        .iter()
        .find(|f| f.path.file_name().and_then(|n| n.to_str()) == Some(name))
        .map(|f| f.path.as_path())
        .unwrap_or_else(|| {
            let manifest = files
                .last()
                .map(|m| std::fs::read_to_string(&m.path).unwrap_or_default());
            panic!("no {name} among {files:?}; manifest: {manifest:?}")
        })
}

#[test]
fn records_tracks_and_makes_aligned_webm_files() {
    if !have_ffmpeg() {
        return;
    }
    let src = sources();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let rec_dir = dir.path().join("hearing");
    let t0 = base_time();
    let mut recording = Recording::create(&rec_dir, "hearing-42", t0).expect("create");

    // Alice: audio at +0.2 s (its RTP clock wraps 1 s in), video at +0.7 s; her clock is
    // 3 s behind ours. Bob joins at +1 s with both.
    let alice_audio = recording
        .open_track(
            TrackInfo::new(ALICE, "plaintiff", "张三", TrackKind::Audio),
            t0,
        )
        .expect("open");
    let alice_video = recording
        .open_track(
            TrackInfo::new(ALICE, "plaintiff", "张三", TrackKind::Video),
            t0,
        )
        .expect("open");
    let bob_audio = recording
        .open_track(
            TrackInfo::new(BOB, "defendant", "李四", TrackKind::Audio),
            t0 + secs(1.0),
        )
        .expect("open");
    let bob_video = recording
        .open_track(
            TrackInfo::new(BOB, "defendant", "李四", TrackKind::Video),
            t0 + secs(1.0),
        )
        .expect("open");
    let feed = |kind, start: f64, rtp_base, sender_offset| Feed {
        kind,
        packets: match kind {
            TrackKind::Audio => &src.opus,
            TrackKind::Video => &src.vp8,
        },
        start: t0 + secs(start),
        rtp_base,
        gap: None,
        sender_offset,
        until: None,
    };
    feed(TrackKind::Audio, 0.2, (1 << 32) - 48_000, -3.0).run(&mut recording, alice_audio);
    feed(TrackKind::Video, 0.7, 1_000, -3.0).run(&mut recording, alice_video);
    feed(TrackKind::Audio, 1.0, 5, 2.0).run(&mut recording, bob_audio);
    feed(TrackKind::Video, 1.0, 7, 2.0).run(&mut recording, bob_video);
    recording
        .close_track(bob_video, CloseReason::Ended, t0 + secs(4.1))
        .expect("close");
    let files = recording.finish(t0 + secs(4.5)).expect("finish");

    let manifest = check_hashes(&files);
    for name in [ALICE, BOB] {
        check_audio_file(file_of(&files, &format!("{name}-audio-1.ogg")), 3.0);
        check_video_file(file_of(&files, &format!("{name}-video-1.ivf")), 3.0);
    }
    // Alice's WebM: audio from 0, video from 0.5 s, so 3.5 s long.
    let webm = ffprobe(file_of(&files, &format!("{ALICE}.webm")));
    assert_eq!(stream(&webm, "audio")["codec_name"], "opus");
    assert_eq!(stream(&webm, "video")["codec_name"], "vp8");
    assert_near(duration(&webm), 3.5, 1.0, "Alice's WebM");
    let video_start = number(&stream(&webm, "video")["start_time"]);
    let audio_start = number(&stream(&webm, "audio")["start_time"]);
    assert_near(
        video_start - audio_start,
        0.5,
        0.05,
        "video after audio in the WebM",
    );
    let bob = ffprobe(file_of(&files, &format!("{BOB}.webm")));
    assert_near(duration(&bob), 3.0, 1.0, "Bob's WebM");
    // The composed file: both tiles side by side, the mixed audio, the hearing's length.
    let composed = ffprobe(file_of(&files, "composed.webm"));
    let video = stream(&composed, "video");
    assert_eq!(
        (video["codec_name"].as_str(), video["width"].as_u64()),
        (Some("vp8"), Some(640))
    );
    assert_eq!(stream(&composed, "audio")["codec_name"], "opus");
    assert_near(duration(&composed), 4.5, 1.0, "composed");

    assert_eq!(manifest["hearing_id"], "hearing-42");
    assert_eq!(manifest["state"], "finished");
    assert_eq!(manifest["started_at"], "2025-06-15T15:06:40Z");
    assert_eq!(manifest["ended_at"], "2025-06-15T15:06:44.500Z");
    let tracks = manifest["tracks"].as_array().expect("tracks");
    assert_eq!(tracks.len(), 4);
    let alice_audio = &tracks[0];
    for field in [
        "participant_id",
        "role",
        "name",
        "kind",
        "file",
        "codec",
        "first_packet_at",
        "sender_reports",
        "segment",
        "first_rtp_time",
        "clock_rate",
    ] {
        assert!(!alice_audio[field].is_null(), "track field {field}");
    }
    assert_eq!(alice_audio["name"], "张三");
    assert_eq!(alice_audio["role"], "plaintiff");
    assert_eq!(alice_audio["kind"], "audio");
    assert_eq!(alice_audio["codec"], "opus");
    assert_eq!(alice_audio["segment"], 1);
    assert_eq!(alice_audio["first_packet_at"], "2025-06-15T15:06:40.200Z");
    assert_eq!(tracks[1]["codec"], "vp8");
    assert_eq!(
        (tracks[1]["width"].as_u64(), tracks[1]["height"].as_u64()),
        (Some(320), Some(240))
    );
    // Sender reports: the first, then one per 10 s (none more in 3 s), extended past the
    // 32-bit wrap like the packets.
    let reports = alice_audio["sender_reports"].as_array().expect("reports");
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0]["rtp_time"], (1u64 << 32) - 48_000);
    assert_eq!(reports[0]["wall"], "2025-06-15T15:06:37.200Z");
    assert_eq!(tracks[3]["close_reason"], "ended");
    assert_eq!(tracks[0]["close_reason"], "finished");
    assert!(
        manifest["outputs"]["notes"]
            .as_array()
            .is_some_and(|n| n.is_empty()),
        "{manifest}"
    );
    // No gap happened.
    assert!(read_gaps(&rec_dir).expect("gaps").is_empty());
}

#[test]
fn a_gap_in_rtp_time_stays_a_gap_and_is_registered() {
    if !have_ffmpeg() {
        return;
    }
    let src = sources();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let t0 = base_time();
    let mut recording = Recording::create(dir.path(), "hearing-gap", t0).expect("create");
    let audio = recording
        .open_track(
            TrackInfo::new(ALICE, "witness", "王五", TrackKind::Audio),
            t0,
        )
        .expect("open");
    let video = recording
        .open_track(
            TrackInfo::new(ALICE, "witness", "王五", TrackKind::Video),
            t0,
        )
        .expect("open");
    // 2 s of RTP time missing 1.5 s in, the first packet after it not contiguous.
    for (kind, track, packets) in [
        (TrackKind::Audio, audio, &src.opus),
        (TrackKind::Video, video, &src.vp8),
    ] {
        Feed {
            kind,
            packets,
            start: t0,
            rtp_base: 77,
            gap: Some((1.5, 2.0)),
            sender_offset: 0.0,
            until: None,
        }
        .run(&mut recording, track);
    }
    let files = recording.finish(t0 + secs(5.2)).expect("finish");
    check_hashes(&files);
    check_audio_file(file_of(&files, &format!("{ALICE}-audio-1.ogg")), 5.0);
    check_video_file(file_of(&files, &format!("{ALICE}-video-1.ivf")), 5.0);
    assert_near(
        duration(&ffprobe(file_of(&files, &format!("{ALICE}.webm")))),
        5.0,
        1.0,
        "WebM",
    );

    let gaps = read_gaps(dir.path()).expect("gaps");
    assert_eq!(gaps.len(), 2, "{gaps:?}");
    for (gap, track) in gaps.iter().zip([1, 2]) {
        assert_eq!(gap.kind, GapKind::Loss);
        assert_eq!(gap.track, Some(track));
        assert_eq!(gap.participant_id.as_deref(), Some(ALICE));
        let lost = gap.lost_ms.expect("an estimate of the loss");
        assert!((1_900..=2_100).contains(&lost), "lost {lost} ms");
        let span = gap.to.expect("ended") - gap.from;
        assert!((1_900..=2_200).contains(&span.num_milliseconds()), "{span}");
    }
}

#[test]
fn a_crash_leaves_files_that_recover_closes() {
    if !have_ffmpeg() {
        return;
    }
    let src = sources();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let t0 = base_time();
    let mut recording = Recording::create(dir.path(), "hearing-crash", t0).expect("create");
    let audio = recording
        .open_track(TrackInfo::new(ALICE, "judge", "赵六", TrackKind::Audio), t0)
        .expect("open");
    let video = recording
        .open_track(TrackInfo::new(ALICE, "judge", "赵六", TrackKind::Video), t0)
        .expect("open");
    let recess = recording
        .gap(GapNote {
            kind: GapKind::Recess,
            from: t0 + secs(2.5),
            to: None,
            participant_id: None,
            note: Some("休庭".into()),
        })
        .expect("a recess");
    let _ = recess;
    for (kind, track, packets) in [
        (TrackKind::Audio, audio, &src.opus),
        (TrackKind::Video, video, &src.vp8),
    ] {
        Feed {
            kind,
            packets,
            start: t0,
            rtp_base: 1234,
            gap: None,
            sender_offset: 0.0,
            until: Some(2.0),
        }
        .run(&mut recording, track);
    }
    // The crash: no finish.
    drop(recording);
    let ogg = dir.path().join(format!("{ALICE}-audio-1.ogg"));
    let ivf = dir.path().join(format!("{ALICE}-video-1.ivf"));
    // What the crash left is readable as it is (the IVF's length field still 0).
    let probe = ffprobe(&ivf);
    assert_eq!(stream(&probe, "video")["codec_name"], "vp8");
    assert_eq!(stream(&probe, "video")["width"], 320);
    assert_eq!(stream(&ffprobe(&ogg), "audio")["codec_name"], "opus");
    // A power cut also tore the last page and frame.
    for path in [&ogg, &ivf] {
        let mut bytes = std::fs::read(path).expect("read");
        let keep = bytes.len() - 7;
        bytes.truncate(keep);
        std::fs::write(path, bytes).expect("tear");
    }

    let recovered_at = t0 + secs(60.0);
    let files = recover(dir.path(), recovered_at, &PostProcess::default()).expect("recover");
    let manifest = check_hashes(&files);
    assert_eq!(manifest["state"], "interrupted");
    // 2 s fed, the torn last packet/frame lost (20 ms of audio, 1/15 s of video).
    check_audio_file(&ogg, 1.98);
    check_video_file(&ivf, 1.93);
    assert_near(
        duration(&ffprobe(file_of(&files, &format!("{ALICE}.webm")))),
        2.0,
        1.0,
        "WebM",
    );
    assert!(files.iter().any(|f| f.kind == FileKind::Composed));
    let tracks = manifest["tracks"].as_array().expect("tracks");
    assert!(tracks.iter().all(|t| t["close_reason"] == "interrupted"));
    assert!(
        tracks
            .iter()
            .all(|t| t["truncated_bytes"].as_u64().is_some_and(|b| b > 0))
    );
    assert_eq!(tracks[1]["packets"], 29);

    let gaps = read_gaps(dir.path()).expect("gaps");
    let recess = gaps
        .iter()
        .find(|g| g.kind == GapKind::Recess)
        .expect("the recess");
    // The recess began after the last packet; it ends where the recording does.
    assert_eq!(recess.to, Some(recess.from));
    let interruption = gaps
        .iter()
        .find(|g| g.kind == GapKind::Interruption)
        .expect("the interruption");
    let last_written = interruption.from - chrono::DateTime::<chrono::Utc>::from(t0);
    assert!(
        (1_900..=2_000).contains(&last_written.num_milliseconds()),
        "{last_written}"
    );
    assert_eq!(interruption.to, Some(recovered_at.into()));
    assert_eq!(
        manifest["interruption"]["recovered_at"],
        "2025-06-15T15:07:40Z"
    );

    // Recovering again changes nothing.
    let again = recover(
        dir.path(),
        recovered_at + secs(5.0),
        &PostProcess::default(),
    )
    .expect("recover again");
    assert_eq!(again, files);
    assert_eq!(read_gaps(dir.path()).expect("gaps"), gaps);
}

#[test]
fn a_reconnection_opens_a_new_segment_and_a_disconnection_gap() {
    if !have_ffmpeg() {
        return;
    }
    let src = sources();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let t0 = base_time();
    let mut recording = Recording::create(dir.path(), "hearing-reconnect", t0).expect("create");
    let info = |kind| TrackInfo::new(BOB, "agent", "钱七", kind);
    let feed = |kind, start: f64, until| Feed {
        kind,
        packets: match kind {
            TrackKind::Audio => &src.opus,
            TrackKind::Video => &src.vp8,
        },
        start: t0 + secs(start),
        rtp_base: 99,
        gap: None,
        sender_offset: 0.0,
        until,
    };
    // Bob's first connection lasts 2 s; he is back at 5 s for 3 s.
    let mut first = Vec::new();
    for kind in [TrackKind::Audio, TrackKind::Video] {
        let track = recording.open_track(info(kind), t0).expect("open");
        feed(kind, 0.0, Some(2.0)).run(&mut recording, track);
        first.push(track);
    }
    for track in first {
        recording
            .close_track(track, CloseReason::Disconnected, t0 + secs(4.0))
            .expect("close");
    }
    for kind in [TrackKind::Audio, TrackKind::Video] {
        let track = recording
            .open_track(info(kind), t0 + secs(5.0))
            .expect("reopen");
        feed(kind, 5.0, None).run(&mut recording, track);
    }
    let files = recording.finish(t0 + secs(8.0)).expect("finish");
    check_hashes(&files);
    check_audio_file(file_of(&files, &format!("{BOB}-audio-2.ogg")), 3.0);
    check_video_file(file_of(&files, &format!("{BOB}-video-2.ivf")), 3.0);
    // One WebM across both connections, the time between them kept.
    let webm = ffprobe(file_of(&files, &format!("{BOB}.webm")));
    assert_near(duration(&webm), 8.0, 1.0, "the WebM of both segments");

    let gaps = read_gaps(dir.path()).expect("gaps");
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    let gap = &gaps[0];
    assert_eq!(gap.kind, GapKind::Disconnection);
    assert_eq!(gap.participant_id.as_deref(), Some(BOB));
    let from = (gap.from - chrono::DateTime::<chrono::Utc>::from(t0)).num_milliseconds();
    assert!((1_900..=2_000).contains(&from), "from {from} ms");
    assert_eq!(gap.to, Some((t0 + secs(5.0)).into()));
}

/// A synthetic VP8 keyframe header (320x240) followed by filler: enough for the writer.
fn fake_keyframe() -> Vec<u8> {
    let mut frame = vec![0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00];
    frame.extend_from_slice(&[0x55; 200]);
    frame
}

#[test]
fn hostile_input_does_not_panic() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let t0 = base_time();
    let mut recording = Recording::create(dir.path(), "hearing-hostile", t0).expect("create");
    recording.set_post_process(PostProcess {
        ffmpeg: None,
        composed: false,
    });
    // Unsafe participant ids never name a file.
    for id in ["../../etc/passwd", "a/b", "", "名字"] {
        assert!(
            recording
                .open_track(TrackInfo::new(id, "witness", "x", TrackKind::Audio), t0)
                .is_err()
        );
    }
    let audio = recording
        .open_track(
            TrackInfo::new(ALICE, "witness", "../../名字", TrackKind::Audio),
            t0,
        )
        .expect("open");
    let video = recording
        .open_track(TrackInfo::new(ALICE, "witness", "x", TrackKind::Video), t0)
        .expect("open");
    let mut noise = 0x1234_5678u32;
    let mut next = move || {
        noise ^= noise << 13;
        noise ^= noise >> 17;
        noise ^= noise << 5;
        noise
    };
    let mut big_keyframe = fake_keyframe();
    big_keyframe[6..10].copy_from_slice(&[0xff, 0xff, 0xff, 0xff]);
    let mut wrong_code = fake_keyframe();
    wrong_code[3] = 0;
    let specials: Vec<Vec<u8>> = vec![
        Vec::new(),
        vec![0],
        vec![0x03],
        vec![0xff; 70_000],
        big_keyframe,
        wrong_code,
    ];
    for i in 0..400u64 {
        let random: Vec<u8> = (0..(next() % 300)).map(|_| next() as u8).collect();
        let data = specials.get(i as usize % 40).cloned().unwrap_or(random);
        for track in [audio, video] {
            // Wild timestamps too: backwards, huge jumps.
            let rtp = match i % 7 {
                0 => u64::from(next()),
                1 => u64::MAX - u64::from(next()),
                _ => i * 960,
            };
            recording
                .write(
                    track,
                    Packet {
                        rtp_time: rtp,
                        wall: t0 + secs(i as f64 * 0.02),
                        data: &data,
                        contiguous: next() % 3 != 0,
                        sender_report: (i % 5 == 0).then(|| SenderReport {
                            ntp_time: SystemTime::UNIX_EPOCH
                                + Duration::from_secs(u64::from(next())),
                            rtp_time: u64::from(next()),
                        }),
                    },
                )
                .expect("garbage is skipped, not an error");
        }
    }
    let files = recording.finish(t0 + secs(9.0)).expect("finish");
    let manifest = check_hashes(&files);
    let tracks = manifest["tracks"].as_array().expect("tracks");
    assert!(tracks[0]["skipped"].as_u64().is_some_and(|n| n > 0));
    assert_eq!(tracks[0]["name"], "../../名字");
    // The only well-formed keyframe was the 16383x16383 one (VP8's largest size); the
    // frames before it were not written.
    assert_eq!(tracks[1]["width"], 16383);
    assert!(tracks[1]["skipped"].as_u64().is_some_and(|n| n > 0));
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    assert!(
        names
            .iter()
            .all(|n| !n.contains("..") && !n.contains("名字")),
        "{names:?}"
    );
}

#[test]
fn without_ffmpeg_the_recording_is_complete_and_says_why_there_is_no_webm() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let t0 = base_time();
    let mut recording = Recording::create(dir.path(), "hearing-noffmpeg", t0).expect("create");
    recording.set_post_process(PostProcess {
        ffmpeg: Some(PathBuf::from("/nonexistent/ffmpeg")),
        composed: true,
    });
    let audio = recording
        .open_track(
            TrackInfo::new(ALICE, "clerk", "书记员", TrackKind::Audio),
            t0,
        )
        .expect("open");
    let video = recording
        .open_track(
            TrackInfo::new(ALICE, "clerk", "书记员", TrackKind::Video),
            t0,
        )
        .expect("open");
    let keyframe = fake_keyframe();
    for i in 0..50u64 {
        let wall = t0 + secs(i as f64 * 0.02);
        let opus = [0xf8, 0xff, 0xfe];
        for (track, rtp, data) in [
            (audio, i * 960, &opus[..]),
            (video, i * 1_800, &keyframe[..]),
        ] {
            recording
                .write(
                    track,
                    Packet {
                        rtp_time: rtp,
                        wall,
                        data,
                        contiguous: true,
                        sender_report: None,
                    },
                )
                .expect("write");
        }
    }
    let files = recording.finish(t0 + secs(1.0)).expect("finish");
    let manifest = check_hashes(&files);
    assert_eq!(manifest["state"], "finished");
    let kinds: Vec<FileKind> = files.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [
            FileKind::Audio,
            FileKind::Video,
            FileKind::Gaps,
            FileKind::Manifest
        ]
    );
    let notes = manifest["outputs"]["notes"].to_string();
    assert!(
        notes.contains("cannot run") && notes.contains("no WebM"),
        "{notes}"
    );
    assert_eq!(manifest["tracks"][0]["packets"], 50);
    assert_eq!(manifest["tracks"][1]["packets"], 50);
    // Without any sender report the mapping falls back on the first packet's arrival.
    assert_eq!(
        manifest["tracks"][0]["first_packet_at"],
        "2025-06-15T15:06:40Z"
    );
}
