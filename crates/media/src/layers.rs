//! Simulcast: which video layer each subscriber receives. A publisher's browser sends a
//! low (`l`) and a high (`h`) layer where it can; each subscriber gets the layer its
//! bandwidth estimate affords, or no video at all (audio only) on a very bad network.
//! A switch happens on a keyframe of the new layer, and the subscriber's timeline is
//! rewritten so the RTP timestamps run on smoothly across it (str0m gives every
//! outgoing track its own SSRC and sequence numbers, so those never jump).

use std::time::Instant;
use str0m::bwe::Bitrate;
use str0m::media::{MediaTime, Rid};

/// The top layer's rid, as web/lib/rtc.js names it.
pub(crate) const HIGH: &str = "h";
/// The low layer's rid.
pub(crate) const LOW: &str = "l";

/// Per video track, what a subscriber can afford to receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quality {
    High,
    Low,
    /// No video: the network carries little more than the voices.
    AudioOnly,
}

/// Bitrate per video track a subscriber needs for the high layer (a phone's high layer
/// is capped at about 700 kbit/s by the client), and to come back up to it.
const HIGH_NEEDS: u64 = 550_000;
const HIGH_RETURNS: u64 = 700_000;
/// For the low layer (capped at about 150 kbit/s), and to come back up from audio only.
const LOW_NEEDS: u64 = 90_000;
const LOW_RETURNS: u64 = 130_000;
/// Kept aside for the audio tracks (Opus at up to ~40 kbit/s each, with headers).
const AUDIO_RESERVE: u64 = 50_000;

/// What a subscriber with `estimate` of bandwidth should get per video track, given
/// `videos` video and `audios` audio tracks to receive and what it gets now (hysteresis:
/// going up needs a margin over the threshold, so a fluctuating estimate does not flap).
pub(crate) fn quality_for(
    estimate: Bitrate,
    videos: usize,
    audios: usize,
    now: Quality,
) -> Quality {
    if videos == 0 {
        return now;
    }
    let reserve = AUDIO_RESERVE.saturating_mul(audios as u64);
    let per_video = (estimate.as_u64().saturating_sub(reserve)) / videos as u64;
    let (high, low) = match now {
        Quality::High => (HIGH_NEEDS, LOW_NEEDS),
        Quality::Low => (HIGH_RETURNS, LOW_NEEDS),
        Quality::AudioOnly => (HIGH_RETURNS, LOW_RETURNS),
    };
    if per_video >= high {
        Quality::High
    } else if per_video >= low {
        Quality::Low
    } else {
        Quality::AudioOnly
    }
}

/// The bitrate a subscriber would use at its best: what the bandwidth estimator probes
/// for.
pub(crate) fn desired_bitrate(videos: usize, audios: usize) -> Bitrate {
    Bitrate::bps(HIGH_RETURNS * videos as u64 + AUDIO_RESERVE * audios as u64)
}

/// The layer to forward among those the publisher sends (`None`: no video).
pub(crate) fn layer_for(quality: Quality, available: &[Rid]) -> Option<Rid> {
    let has = |name: &str| {
        available
            .iter()
            .copied()
            .find(|rid| *rid == Rid::from(name))
    };
    match quality {
        Quality::AudioOnly => None,
        // Without the wanted layer, the other one: some video beats none.
        Quality::High => has(HIGH).or_else(|| has(LOW)),
        Quality::Low => has(LOW).or_else(|| has(HIGH)),
    }
}

/// One subscriber's outgoing timeline for a track: incoming media time plus an offset
/// that is reset at every layer switch (each layer has its own RTP clock origin).
#[derive(Debug, Default)]
pub(crate) struct Timeline {
    offset: i64,
    /// The last time written and when (its network time).
    last: Option<(u64, Instant)>,
}

impl Timeline {
    /// The outgoing time of a frame that arrived with `time` at `at`; `switched` when it
    /// is the first frame of another layer, which continues from the last one written.
    pub(crate) fn map(&mut self, time: MediaTime, at: Instant, switched: bool) -> MediaTime {
        let incoming = i64::try_from(time.numer()).unwrap_or(i64::MAX);
        if switched && let Some((last, last_at)) = self.last {
            let rate = u128::from(time.frequency().get());
            let elapsed = at.saturating_duration_since(last_at).as_micros() * rate / 1_000_000;
            // At least one tick on: a timestamp must never repeat across a switch.
            let next = last.saturating_add(u64::try_from(elapsed).unwrap_or(u64::MAX).max(1));
            self.offset = i64::try_from(next)
                .unwrap_or(i64::MAX)
                .saturating_sub(incoming);
        }
        let out = u64::try_from(incoming.saturating_add(self.offset).max(0)).unwrap_or(0);
        if self.last.is_none_or(|(last, _)| out >= last) {
            self.last = Some((out, at));
        }
        MediaTime::new(out, time.frequency())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use str0m::media::Frequency;

    #[test]
    fn the_estimate_picks_the_layer_with_hysteresis() {
        let kbps = |k: u64| Bitrate::kbps(k);
        // Two videos, two audios: 100 kbit/s reserved for the voices.
        assert_eq!(quality_for(kbps(2000), 2, 2, Quality::Low), Quality::High);
        assert_eq!(quality_for(kbps(1300), 2, 2, Quality::Low), Quality::Low);
        assert_eq!(quality_for(kbps(1300), 2, 2, Quality::High), Quality::High);
        assert_eq!(quality_for(kbps(1100), 2, 2, Quality::High), Quality::Low);
        assert_eq!(quality_for(kbps(300), 2, 2, Quality::Low), Quality::Low);
        // 100 kbit/s a video is enough to keep the low layer, not to come back to it.
        let back = quality_for(kbps(300), 2, 2, Quality::AudioOnly);
        assert_eq!(back, Quality::AudioOnly);
        assert_eq!(
            quality_for(kbps(400), 2, 2, Quality::AudioOnly),
            Quality::Low
        );
        assert_eq!(
            quality_for(kbps(250), 2, 2, Quality::Low),
            Quality::AudioOnly
        );
        // Nothing to watch: nothing changes.
        assert_eq!(quality_for(kbps(10), 0, 2, Quality::High), Quality::High);
    }

    #[test]
    fn the_layer_falls_back_to_what_is_sent() {
        let both = [Rid::from(LOW), Rid::from(HIGH)];
        assert_eq!(layer_for(Quality::High, &both), Some(Rid::from(HIGH)));
        assert_eq!(layer_for(Quality::Low, &both), Some(Rid::from(LOW)));
        assert_eq!(layer_for(Quality::AudioOnly, &both), None);
        assert_eq!(
            layer_for(Quality::Low, &[Rid::from(HIGH)]),
            Some(Rid::from(HIGH))
        );
        assert_eq!(
            layer_for(Quality::High, &[Rid::from(LOW)]),
            Some(Rid::from(LOW))
        );
        assert_eq!(layer_for(Quality::High, &[]), None);
    }

    #[test]
    fn timestamps_run_on_across_a_switch() {
        let start = Instant::now();
        let hz = Frequency::NINETY_KHZ;
        let mut timeline = Timeline::default();
        // Layer h from 1_000_000; then layer l, whose clock starts elsewhere, 100 ms on.
        assert_eq!(
            timeline
                .map(MediaTime::new(1_000_000, hz), start, false)
                .numer(),
            1_000_000
        );
        let later = start + Duration::from_millis(33);
        assert_eq!(
            timeline
                .map(MediaTime::new(1_002_970, hz), later, false)
                .numer(),
            1_002_970
        );
        let switch = start + Duration::from_millis(133);
        let first = timeline
            .map(MediaTime::new(5_000, hz), switch, true)
            .numer();
        assert_eq!(first, 1_002_970 + 9_000, "100 ms on at 90 kHz");
        let next = timeline.map(
            MediaTime::new(8_000, hz),
            switch + Duration::from_millis(33),
            false,
        );
        assert_eq!(
            next.numer(),
            first + 3_000,
            "the new layer's own steps are kept"
        );
        // A switch with no time elapsed still moves on.
        let same = timeline.map(
            MediaTime::new(77, hz),
            switch + Duration::from_millis(33),
            true,
        );
        assert!(same.numer() > next.numer());
    }
}
