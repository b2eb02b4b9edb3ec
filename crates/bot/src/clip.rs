//! The pre-encoded media the bot publishes: a VP8 clip read from IVF and an Opus clip
//! read from Ogg, each a list of frames with their durations in RTP clock ticks (90 kHz
//! video, 48 kHz audio). Both readers take untrusted bytes and return errors, never
//! panic; the default clips are embedded from `assets/` (see its README).

use anyhow::{Context, ensure};
use media::recording::{IvfReader, OpusReader};
use std::sync::Arc;

/// The embedded default video: 4 s of ffmpeg's `testsrc`, 640x360 at 20 fps, VP8.
pub const DEFAULT_VIDEO: &[u8] = include_bytes!("../assets/testsrc-640x360-20fps.ivf");
/// The embedded default audio: 4 s of a speech-like tone, Opus in Ogg, 20 ms frames.
pub const DEFAULT_AUDIO: &[u8] = include_bytes!("../assets/speech-like-48k.opus.ogg");

/// RTP clock of video (every video codec of WebRTC).
pub const VIDEO_CLOCK: u32 = 90_000;
/// RTP clock of Opus.
pub const AUDIO_CLOCK: u32 = 48_000;

/// Audio or video, as the report and the clips name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Audio,
    Video,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Audio => "audio",
            Kind::Video => "video",
        }
    }
}

/// One encoded frame (a VP8 frame or an Opus packet).
#[derive(Debug, Clone)]
pub struct Frame {
    pub data: Arc<[u8]>,
    /// How long the frame lasts, in ticks of the clip's clock: the step to the next one.
    pub duration: u64,
    /// A VP8 keyframe (always false for audio).
    pub keyframe: bool,
}

/// A clip of frames played in a loop.
#[derive(Debug, Clone)]
pub struct Clip {
    pub kind: Kind,
    /// Ticks per second of the frames' durations.
    pub clock_rate: u32,
    pub frames: Vec<Frame>,
}

impl Clip {
    /// The length of one loop, in clock ticks.
    pub fn duration_ticks(&self) -> u64 {
        self.frames.iter().map(|f| f.duration).sum()
    }

    /// The first keyframe at or after `index`, wrapping around the loop.
    pub fn next_keyframe(&self, index: usize) -> Option<usize> {
        let n = self.frames.len();
        (0..n)
            .map(|step| (index + step) % n)
            .find(|&i| self.frames.get(i).is_some_and(|f| f.keyframe))
    }
}

/// Whether a VP8 frame is a keyframe: bit 0 of its frame tag is 0 (RFC 6386, 9.1).
pub fn vp8_is_keyframe(frame: &[u8]) -> bool {
    frame.first().is_some_and(|b| b & 1 == 0)
}

/// Reads a VP8 clip from an IVF file (with the recording's reader: one parser of the
/// format in the workspace). Durations come from the pts steps; the last frame lasts as
/// long as the one before it.
pub fn read_ivf(bytes: &[u8]) -> anyhow::Result<Clip> {
    let mut reader = IvfReader::new(bytes).context("reading the IVF header")?;
    let header = *reader.header();
    ensure!(
        &header.fourcc == b"VP80",
        "IVF codec {:?} (only VP8 is supported)",
        String::from_utf8_lossy(&header.fourcc)
    );
    // The time base is numerator/denominator seconds per pts unit.
    let (rate, scale) = (
        u64::from(header.timebase_den),
        u64::from(header.timebase_num),
    );
    ensure!(
        rate > 0 && scale > 0,
        "IVF time base {scale}/{rate} is invalid"
    );
    let mut raw = Vec::new();
    while let Some(frame) = reader
        .next_frame()
        .with_context(|| format!("reading IVF frame {}", raw.len()))?
    {
        raw.push((frame.pts, frame.data));
    }
    ensure!(!raw.is_empty(), "the IVF file has no frames");
    ensure!(
        raw.windows(2).all(|w| w[1].0 > w[0].0),
        "IVF frame timestamps do not increase"
    );
    ensure!(
        vp8_is_keyframe(&raw[0].1),
        "the clip must start with a keyframe"
    );
    // In u128: pts come from the file and may be anything.
    let to_ticks = |units: u64| {
        let ticks =
            u128::from(units) * u128::from(VIDEO_CLOCK) * u128::from(scale) / u128::from(rate);
        u64::try_from(ticks).unwrap_or(u64::MAX)
    };
    let mut frames = Vec::with_capacity(raw.len());
    let mut last_step = to_ticks(1).max(1);
    for (i, (pts, data)) in raw.iter().enumerate() {
        let duration = match raw.get(i + 1) {
            Some((next, _)) => to_ticks(next - pts).max(1),
            None => last_step,
        };
        last_step = duration;
        frames.push(Frame {
            keyframe: vp8_is_keyframe(data),
            data: Arc::from(data.as_slice()),
            duration,
        });
    }
    Ok(Clip {
        kind: Kind::Video,
        clock_rate: VIDEO_CLOCK,
        frames,
    })
}

/// Reads an Opus clip from an Ogg file (the recording's reader): one frame per Opus
/// packet, lasting as its TOC byte says.
pub fn read_ogg_opus(bytes: &[u8]) -> anyhow::Result<Clip> {
    let mut reader = OpusReader::new(std::io::Cursor::new(bytes)).context("reading Ogg Opus")?;
    let mut frames = Vec::new();
    while let Some(packet) = reader
        .next_packet()
        .with_context(|| format!("reading Opus packet {}", frames.len()))?
    {
        ensure!(
            packet.samples > 0,
            "Opus packet {} has no valid TOC",
            frames.len()
        );
        frames.push(Frame {
            data: Arc::from(packet.data),
            duration: u64::from(packet.samples),
            keyframe: false,
        });
    }
    ensure!(!frames.is_empty(), "the Ogg Opus file has no audio packets");
    Ok(Clip {
        kind: Kind::Audio,
        clock_rate: AUDIO_CLOCK,
        frames,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_video_is_4_s_of_vp8_at_20_fps_with_a_keyframe_every_2_s() {
        let clip = read_ivf(DEFAULT_VIDEO).expect("the embedded IVF reads");
        assert_eq!(clip.frames.len(), 80);
        assert!(clip.frames.iter().all(|f| f.duration == 4_500));
        assert_eq!(clip.duration_ticks(), 4 * u64::from(VIDEO_CLOCK));
        let keyframes: Vec<usize> = (0..clip.frames.len())
            .filter(|&i| clip.frames[i].keyframe)
            .collect();
        assert_eq!(keyframes, vec![0, 40]);
        assert_eq!(clip.next_keyframe(1), Some(40));
        assert_eq!(clip.next_keyframe(40), Some(40));
        assert_eq!(clip.next_keyframe(41), Some(0), "wraps to the loop's start");
    }

    #[test]
    fn the_embedded_audio_is_about_4_s_of_20_ms_opus_packets() {
        let clip = read_ogg_opus(DEFAULT_AUDIO).expect("the embedded Ogg reads");
        assert!(clip.frames.iter().all(|f| f.duration == 960), "20 ms each");
        let seconds = clip.duration_ticks() as f64 / f64::from(AUDIO_CLOCK);
        assert!((4.0..4.1).contains(&seconds), "{seconds} s");
    }

    #[test]
    fn every_frame_of_the_embedded_clips_is_unique_so_a_receiver_can_name_it() {
        for clip in [
            read_ivf(DEFAULT_VIDEO).expect("video"),
            read_ogg_opus(DEFAULT_AUDIO).expect("audio"),
        ] {
            let mut seen = std::collections::HashSet::new();
            for frame in &clip.frames {
                assert!(
                    seen.insert(frame.data.clone()),
                    "a repeated {:?} frame",
                    clip.kind
                );
            }
        }
    }

    #[test]
    fn bad_files_are_errors_not_panics() {
        assert!(read_ivf(b"").is_err());
        assert!(read_ivf(b"DKIF").is_err());
        let mut truncated = DEFAULT_VIDEO[..DEFAULT_VIDEO.len() - 10].to_vec();
        assert!(read_ivf(&truncated).is_err());
        truncated[8..12].copy_from_slice(b"VP90");
        assert!(
            read_ivf(&truncated)
                .expect_err("VP9")
                .to_string()
                .contains("VP8")
        );
        assert!(read_ogg_opus(b"").is_err());
        assert!(read_ogg_opus(&DEFAULT_AUDIO[..100]).is_err());
        assert!(read_ogg_opus(DEFAULT_VIDEO).is_err());
        // Every prefix is refused or read, never a panic.
        for len in (0..DEFAULT_AUDIO.len()).step_by(97) {
            let _ = read_ogg_opus(&DEFAULT_AUDIO[..len]);
        }
        for len in (0..2_000).step_by(7) {
            let _ = read_ivf(&DEFAULT_VIDEO[..len]);
        }
    }
}
