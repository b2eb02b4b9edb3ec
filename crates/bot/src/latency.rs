//! Forwarding latency between bots of one process: a publisher logs when it sent each
//! frame of its clip; a receiver recognises a frame by a hash of its bytes (every frame
//! of the clips is unique), finds the publisher by the stream id the SFU gives the track
//! (the publishing member's id), and takes receive time minus the latest send of that
//! frame before it (same process, same monotonic clock). The latest send is the right
//! one as long as the latency is shorter than a loop of the clip (4 s).

use crate::clip::{Clip, Kind};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::hash::{DefaultHasher, Hasher};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// Sends remembered per frame: a few loops, more than any sane latency spans.
const KEEP: usize = 4;

/// A hash of a frame's bytes (SipHash with fixed keys: the same in every bot).
pub fn frame_hash(data: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    hasher.write(data);
    hasher.finish()
}

/// Which clip frame a payload is: hash → (kind, index). Hashes seen twice are dropped,
/// so a match is never ambiguous.
#[derive(Debug, Default)]
pub struct FrameIndex {
    frames: HashMap<u64, Option<(Kind, usize)>>,
}

impl FrameIndex {
    pub fn new(clips: &[&Clip]) -> Self {
        let mut frames = HashMap::new();
        for clip in clips {
            for (index, frame) in clip.frames.iter().enumerate() {
                frames
                    .entry(frame_hash(&frame.data))
                    .and_modify(|seen| *seen = None)
                    .or_insert(Some((clip.kind, index)));
            }
        }
        Self { frames }
    }

    pub fn lookup(&self, data: &[u8]) -> Option<(Kind, usize)> {
        self.frames.get(&frame_hash(data)).copied().flatten()
    }
}

/// When one publisher sent each frame of its clips.
#[derive(Debug)]
pub struct SendLog {
    audio: Mutex<Vec<VecDeque<Instant>>>,
    video: Mutex<Vec<VecDeque<Instant>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere leaves the log usable: it holds only instants.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SendLog {
    pub fn new(audio_frames: usize, video_frames: usize) -> Self {
        Self {
            audio: Mutex::new(vec![VecDeque::new(); audio_frames]),
            video: Mutex::new(vec![VecDeque::new(); video_frames]),
        }
    }

    fn table(&self, kind: Kind) -> &Mutex<Vec<VecDeque<Instant>>> {
        match kind {
            Kind::Audio => &self.audio,
            Kind::Video => &self.video,
        }
    }

    pub fn record(&self, kind: Kind, index: usize, at: Instant) {
        let mut table = lock(self.table(kind));
        if let Some(sends) = table.get_mut(index) {
            if sends.len() == KEEP {
                sends.pop_front();
            }
            sends.push_back(at);
        }
    }

    /// The latest send of the frame at or before `received`.
    pub fn sent_before(&self, kind: Kind, index: usize, received: Instant) -> Option<Instant> {
        let table = lock(self.table(kind));
        table
            .get(index)?
            .iter()
            .rev()
            .find(|at| **at <= received)
            .copied()
    }
}

/// The publishers of this process, by member id.
#[derive(Debug, Default)]
pub struct Registry {
    logs: RwLock<HashMap<String, Arc<SendLog>>>,
}

impl Registry {
    pub fn register(&self, member: &str, log: Arc<SendLog>) {
        let mut logs = self
            .logs
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        logs.insert(member.to_owned(), log);
    }

    pub fn get(&self, member: &str) -> Option<Arc<SendLog>> {
        let logs = self
            .logs
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        logs.get(member).cloned()
    }
}

/// Latency samples, in microseconds.
#[derive(Debug, Default, Clone)]
pub struct Samples {
    micros: Vec<u64>,
}

/// A summary of latency samples, in milliseconds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    pub count: usize,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

impl Samples {
    pub fn push(&mut self, latency: Duration) {
        self.micros
            .push(u64::try_from(latency.as_micros()).unwrap_or(u64::MAX));
    }

    pub fn extend(&mut self, other: &Samples) {
        self.micros.extend_from_slice(&other.micros);
    }

    /// Percentiles by nearest rank; `None` without samples.
    pub fn summary(&self) -> Option<Summary> {
        let mut sorted = self.micros.clone();
        sorted.sort_unstable();
        let max = *sorted.last()?;
        let ms = |micros: u64| micros as f64 / 1_000.0;
        let sum: u128 = sorted.iter().map(|m| u128::from(*m)).sum();
        Some(Summary {
            count: sorted.len(),
            p50_ms: ms(percentile(&sorted, 50.0)),
            p90_ms: ms(percentile(&sorted, 90.0)),
            p99_ms: ms(percentile(&sorted, 99.0)),
            max_ms: ms(max),
            mean_ms: (sum as f64 / sorted.len() as f64) / 1_000.0,
        })
    }
}

/// The nearest-rank percentile `p` (0–100) of sorted values; 0 when empty.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clip::Frame;

    fn clip(kind: Kind, payloads: &[&[u8]]) -> Clip {
        Clip {
            kind,
            clock_rate: 90_000,
            frames: payloads
                .iter()
                .map(|p| Frame {
                    data: Arc::from(*p),
                    duration: 1,
                    keyframe: false,
                })
                .collect(),
        }
    }

    #[test]
    fn a_payload_names_its_clip_frame_unless_ambiguous() {
        let video = clip(Kind::Video, &[b"a", b"b", b"c"]);
        let audio = clip(Kind::Audio, &[b"x", b"b"]);
        let index = FrameIndex::new(&[&video, &audio]);
        assert_eq!(index.lookup(b"c"), Some((Kind::Video, 2)));
        assert_eq!(index.lookup(b"x"), Some((Kind::Audio, 0)));
        assert_eq!(index.lookup(b"b"), None, "in both clips: ambiguous");
        assert_eq!(index.lookup(b"from a browser"), None);
    }

    #[test]
    fn a_receive_matches_the_latest_send_before_it() {
        let log = SendLog::new(2, 3);
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        log.record(Kind::Video, 1, at(50));
        log.record(Kind::Video, 1, at(4_050)); // the next loop
        assert_eq!(log.sent_before(Kind::Video, 1, at(62)), Some(at(50)));
        assert_eq!(log.sent_before(Kind::Video, 1, at(4_061)), Some(at(4_050)));
        assert_eq!(
            log.sent_before(Kind::Video, 1, at(10)),
            None,
            "not sent yet"
        );
        assert_eq!(log.sent_before(Kind::Audio, 1, at(62)), None, "other kind");
        assert_eq!(
            log.sent_before(Kind::Video, 7, at(62)),
            None,
            "no such frame"
        );
        log.record(Kind::Video, 9, at(1)); // out of range: ignored
        for n in 0..10 {
            log.record(Kind::Audio, 0, at(n * 1_000));
        }
        assert_eq!(log.sent_before(Kind::Audio, 0, at(100)), None, "forgotten");
        assert_eq!(log.sent_before(Kind::Audio, 0, at(9_500)), Some(at(9_000)));
    }

    #[test]
    fn the_registry_finds_publishers_by_member() {
        let registry = Registry::default();
        let log = Arc::new(SendLog::new(1, 1));
        registry.register("member-1", log.clone());
        assert!(
            registry
                .get("member-1")
                .is_some_and(|l| Arc::ptr_eq(&l, &log))
        );
        assert!(registry.get("member-2").is_none());
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let sorted: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&sorted, 50.0), 50);
        assert_eq!(percentile(&sorted, 99.0), 99);
        assert_eq!(percentile(&sorted, 100.0), 100);
        assert_eq!(percentile(&sorted, 0.0), 1);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 50.0), 0);

        let mut samples = Samples::default();
        assert_eq!(samples.summary(), None);
        for ms in [4, 1, 3, 2] {
            samples.push(Duration::from_millis(ms));
        }
        let summary = samples.summary().expect("samples");
        assert_eq!(summary.count, 4);
        assert_eq!(summary.p50_ms, 2.0);
        assert_eq!(summary.p99_ms, 4.0);
        assert_eq!(summary.max_ms, 4.0);
        assert_eq!(summary.mean_ms, 2.5);
    }
}
