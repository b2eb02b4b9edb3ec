//! Plays a clip in a loop at its real pace: the next frame, its media time and when it
//! is due, as offsets from the start of the stream. Media time runs on across loops
//! (the receiver sees one continuous stream), and a keyframe request makes the clip
//! jump ahead to its next keyframe, sent at the next frame's slot, so a new subscriber
//! starts decoding at once instead of waiting up to the clip's keyframe interval.
//! Pure: the bot's loop owns the clock.

use crate::clip::{Clip, Frame};
use std::sync::Arc;
use std::time::Duration;

/// One frame to send now.
#[derive(Debug, Clone)]
pub struct Next {
    /// The frame's position in the clip (what a receiver recognises it by).
    pub index: usize,
    /// Media time of the frame in ticks of the clip's clock, continuous across loops.
    pub media_ticks: u64,
    pub frame: Frame,
}

/// A looping cursor over a clip.
#[derive(Debug)]
pub struct Pacer {
    clip: Arc<Clip>,
    next: usize,
    /// Media time of the next frame, in clock ticks since the start.
    ticks: u64,
    /// Loops completed.
    loops: u64,
    jumps: u64,
}

impl Pacer {
    /// A cursor at the clip's first frame. The clip must have frames (the readers
    /// guarantee it).
    pub fn new(clip: Arc<Clip>) -> Self {
        Self {
            clip,
            next: 0,
            ticks: 0,
            loops: 0,
            jumps: 0,
        }
    }

    /// When the next frame is due, counted from the start of the stream.
    pub fn next_due(&self) -> Duration {
        ticks_to_duration(self.ticks, self.clip.clock_rate)
    }

    /// Takes the next frame and moves on; `None` only for an empty clip.
    pub fn advance(&mut self) -> Option<Next> {
        let frame = self.clip.frames.get(self.next)?.clone();
        let next = Next {
            index: self.next,
            media_ticks: self.ticks,
            frame,
        };
        self.ticks = self.ticks.saturating_add(next.frame.duration);
        self.next += 1;
        if self.next >= self.clip.frames.len() {
            self.next = 0;
            self.loops += 1;
        }
        Some(next)
    }

    /// Answers a keyframe request: the next frame sent becomes the clip's next keyframe
    /// (the frames in between are skipped; the timing goes on unchanged). Returns whether
    /// the cursor moved.
    pub fn jump_to_keyframe(&mut self) -> bool {
        let Some(target) = self.clip.next_keyframe(self.next) else {
            return false;
        };
        if target == self.next {
            return false;
        }
        if target < self.next {
            self.loops += 1;
        }
        self.next = target;
        self.jumps += 1;
        true
    }

    pub fn loops(&self) -> u64 {
        self.loops
    }

    #[cfg(test)]
    pub fn jumps(&self) -> u64 {
        self.jumps
    }
}

/// `ticks` of a `clock_rate` Hz clock as a duration (exact to the nanosecond).
pub fn ticks_to_duration(ticks: u64, clock_rate: u32) -> Duration {
    let rate = u64::from(clock_rate.max(1));
    let secs = ticks / rate;
    let nanos = (ticks % rate) * 1_000_000_000 / rate;
    // nanos < 1e9 since (ticks % rate) < rate.
    Duration::new(secs, u32::try_from(nanos).unwrap_or(999_999_999))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clip::Kind;

    fn clip(keyframes: &[bool]) -> Arc<Clip> {
        Arc::new(Clip {
            kind: Kind::Video,
            clock_rate: 90_000,
            frames: keyframes
                .iter()
                .enumerate()
                .map(|(i, &keyframe)| Frame {
                    data: Arc::from(vec![i as u8]),
                    duration: 4_500,
                    keyframe,
                })
                .collect(),
        })
    }

    #[test]
    fn frames_come_at_their_pace_and_media_time_runs_on_across_loops() {
        let mut pacer = Pacer::new(clip(&[true, false, false]));
        let mut seen = Vec::new();
        for _ in 0..7 {
            let due = pacer.next_due();
            let next = pacer.advance().expect("a frame");
            seen.push((next.index, next.media_ticks, due));
        }
        let expected: Vec<(usize, u64, Duration)> = (0..7u64)
            .map(|n| ((n % 3) as usize, n * 4_500, Duration::from_millis(50 * n)))
            .collect();
        assert_eq!(seen, expected);
        assert_eq!(pacer.loops(), 2);
    }

    #[test]
    fn a_keyframe_request_jumps_to_the_next_keyframe_without_a_gap_in_time() {
        let mut pacer = Pacer::new(clip(&[true, false, false, true, false]));
        pacer.advance();
        assert!(pacer.jump_to_keyframe());
        let next = pacer.advance().expect("a frame");
        assert_eq!(
            (next.index, next.media_ticks),
            (3, 4_500),
            "keyframe 3 in slot 1"
        );
        assert!(next.frame.keyframe);
        // At a keyframe already: nothing to do.
        let mut at_key = Pacer::new(clip(&[true, false]));
        assert!(!at_key.jump_to_keyframe());
        // Past the last keyframe (at 4): wraps to the loop's start.
        assert!(pacer.jump_to_keyframe());
        assert_eq!(pacer.advance().map(|n| n.index), Some(0));
        assert_eq!(pacer.jumps(), 2);
        assert_eq!(pacer.loops(), 1);
    }

    #[test]
    fn a_clip_without_keyframes_never_jumps() {
        let mut pacer = Pacer::new(clip(&[false, false]));
        assert!(!pacer.jump_to_keyframe());
    }

    #[test]
    fn ticks_become_exact_durations() {
        assert_eq!(ticks_to_duration(90_000, 90_000), Duration::from_secs(1));
        assert_eq!(ticks_to_duration(960, 48_000), Duration::from_millis(20));
        assert_eq!(ticks_to_duration(1, 3), Duration::from_nanos(333_333_333));
        assert_eq!(
            ticks_to_duration(5, 0),
            Duration::from_secs(5),
            "no division by zero"
        );
    }
}
