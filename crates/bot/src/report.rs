//! What the bots measured, per bot and in total, as JSON (stable field names, parsed by
//! the benchmark) or as text for people. Frame and payload counts are the bot's own,
//! exact to the end of the run, and so are the received side's packets and loss (the
//! sequence numbers of the frames that arrived, and the gaps between them); the sent
//! side's packets and loss (the SFU's receiver reports), RTP byte counts and NACK, PLI
//! and FIR counts come from str0m's stats events, every 500 ms, so up to that much behind.

use crate::latency::{Samples, Summary};
use serde::Serialize;
use std::collections::BTreeMap;

/// The format version of the JSON report: bump it when a field changes meaning.
pub const FORMAT_VERSION: u32 = 1;

/// Counters of one kind (audio or video) in one direction.
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct KindCounters {
    /// Frames (VP8 frames, Opus packets) written or received whole.
    pub frames: u64,
    /// Their bytes (codec payload, without RTP).
    pub payload_bytes: u64,
    /// RTP packets. Sent: str0m's stats (retransmissions included). Received: the
    /// packets of the frames that arrived (by their sequence numbers).
    pub packets: u64,
    /// RTP payload bytes (str0m's stats; retransmissions included).
    pub bytes: u64,
    /// Sent: packets the SFU reported lost (RTCP receiver reports). Received: gaps in
    /// the sequence numbers of the frames that arrived.
    pub packets_lost: u64,
    /// `packets_lost / (packets + packets_lost)`; null before any packet.
    pub loss_fraction: Option<f64>,
    /// NACKs (sent side: received from the SFU; received side: sent to it).
    pub nacks: u64,
    pub plis: u64,
    pub firs: u64,
}

impl KindCounters {
    fn add(&mut self, other: &KindCounters) {
        self.frames += other.frames;
        self.payload_bytes += other.payload_bytes;
        self.packets += other.packets;
        self.bytes += other.bytes;
        self.packets_lost += other.packets_lost;
        self.nacks += other.nacks;
        self.plis += other.plis;
        self.firs += other.firs;
        self.finish();
    }

    /// Computes `loss_fraction` from the counts.
    pub fn finish(&mut self) {
        let total = self.packets + self.packets_lost;
        self.loss_fraction = (total > 0).then(|| self.packets_lost as f64 / total as f64);
    }
}

/// Audio and video counters of one direction.
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct Direction {
    pub audio: KindCounters,
    pub video: KindCounters,
}

impl Direction {
    fn add(&mut self, other: &Direction) {
        self.audio.add(&other.audio);
        self.video.add(&other.video);
    }
}

/// Forwarding latency between bots of this process, by kind.
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct Latency {
    pub audio: Option<Summary>,
    pub video: Option<Summary>,
}

/// What one bot received from one publishing member.
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct Source {
    pub audio_frames: u64,
    pub video_frames: u64,
    pub audio_bytes: u64,
    pub video_bytes: u64,
    /// Frames recognised as a bot's clip frame whose send time was known.
    pub matched_frames: u64,
}

/// How a bot's run ended.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Ran for the whole duration.
    Completed,
    /// Ended early by Ctrl-C or SIGTERM.
    Stopped,
    Failed,
}

/// One bot's report.
#[derive(Debug, Clone, Serialize)]
pub struct BotReport {
    pub phone: String,
    /// The participant's id, which is also the stream id of what the bot publishes.
    pub participant_id: Option<String>,
    pub name: Option<String>,
    pub role: Option<String>,
    pub outcome: Outcome,
    /// The failure, with the step that failed.
    pub error: Option<String>,
    /// From the start of the bot to the SFU's answer, and to ICE+DTLS connected.
    pub joined_ms: Option<f64>,
    pub connected_ms: Option<f64>,
    /// Seconds of media (from connected to the end).
    pub media_seconds: f64,
    pub published: bool,
    pub sent: Direction,
    pub received: Direction,
    /// Received frames no clip frame matched (e.g. a browser's), or whose publisher is
    /// not a bot of this process.
    pub unmatched_frames: u64,
    /// Receive time minus the publisher's send time, for frames from this process' bots.
    pub latency_ms: Latency,
    /// Received, by publishing member id.
    pub sources: BTreeMap<String, Source>,
    pub keyframe_requests: u64,
    pub keyframe_jumps: u64,
    /// Loops of the video clip sent.
    pub video_loops: u64,
    /// Subscription offers the SFU made and the bot answered.
    pub renegotiations: u64,
    /// Round-trip time to the SFU (str0m's last estimate).
    pub rtt_ms: Option<f64>,
    #[serde(skip)]
    pub audio_latency: Samples,
    #[serde(skip)]
    pub video_latency: Samples,
}

impl BotReport {
    pub fn new(phone: &str) -> Self {
        Self {
            phone: phone.to_owned(),
            participant_id: None,
            name: None,
            role: None,
            outcome: Outcome::Failed,
            error: None,
            joined_ms: None,
            connected_ms: None,
            media_seconds: 0.0,
            published: false,
            sent: Direction::default(),
            received: Direction::default(),
            unmatched_frames: 0,
            latency_ms: Latency::default(),
            sources: BTreeMap::new(),
            keyframe_requests: 0,
            keyframe_jumps: 0,
            video_loops: 0,
            renegotiations: 0,
            rtt_ms: None,
            audio_latency: Samples::default(),
            video_latency: Samples::default(),
        }
    }

    /// Fills the derived fields (loss fractions, latency summaries).
    pub fn finish(&mut self) {
        for counters in [
            &mut self.sent.audio,
            &mut self.sent.video,
            &mut self.received.audio,
            &mut self.received.video,
        ] {
            counters.finish();
        }
        self.latency_ms = Latency {
            audio: self.audio_latency.summary(),
            video: self.video_latency.summary(),
        };
    }
}

/// All bots together.
#[derive(Debug, Clone, Serialize)]
pub struct Total {
    pub bots: usize,
    pub completed: usize,
    pub stopped: usize,
    pub failed: usize,
    pub sent: Direction,
    pub received: Direction,
    pub unmatched_frames: u64,
    /// Over every sample of every bot.
    pub latency_ms: Latency,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub format_version: u32,
    pub server: String,
    pub meeting: String,
    pub duration_seconds: f64,
    pub bots: Vec<BotReport>,
    pub total: Total,
}

impl Report {
    pub fn new(
        server: &str,
        meeting: &str,
        duration_seconds: f64,
        mut bots: Vec<BotReport>,
    ) -> Self {
        let mut total = Total {
            bots: bots.len(),
            completed: 0,
            stopped: 0,
            failed: 0,
            sent: Direction::default(),
            received: Direction::default(),
            unmatched_frames: 0,
            latency_ms: Latency::default(),
        };
        let mut audio = Samples::default();
        let mut video = Samples::default();
        for bot in &mut bots {
            bot.finish();
            match bot.outcome {
                Outcome::Completed => total.completed += 1,
                Outcome::Stopped => total.stopped += 1,
                Outcome::Failed => total.failed += 1,
            }
            total.sent.add(&bot.sent);
            total.received.add(&bot.received);
            total.unmatched_frames += bot.unmatched_frames;
            audio.extend(&bot.audio_latency);
            video.extend(&bot.video_latency);
        }
        total.latency_ms = Latency {
            audio: audio.summary(),
            video: video.summary(),
        };
        Self {
            format_version: FORMAT_VERSION,
            server: server.to_owned(),
            meeting: meeting.to_owned(),
            duration_seconds,
            bots,
            total,
        }
    }

    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|err| format!("{{\"error\": \"{err}\"}}"))
    }

    pub fn text(&self) -> String {
        let mut out = String::new();
        let line = |out: &mut String, s: String| {
            out.push_str(&s);
            out.push('\n');
        };
        let counters = |c: &KindCounters| {
            let loss = c
                .loss_fraction
                .map_or_else(|| "-".to_owned(), |f| format!("{:.2}%", f * 100.0));
            format!(
                "{} frames, {} packets, {} KB, lost {} ({loss})",
                c.frames,
                c.packets,
                c.bytes / 1_000,
                c.packets_lost
            )
        };
        let latency = |s: &Option<Summary>| match s {
            Some(s) => format!(
                "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} frames)",
                s.p50_ms, s.p99_ms, s.max_ms, s.count
            ),
            None => "-".to_owned(),
        };
        line(
            &mut out,
            format!(
                "cloudcourt-bot: meeting {} on {}, {:.0} s",
                self.meeting, self.server, self.duration_seconds
            ),
        );
        for bot in &self.bots {
            line(
                &mut out,
                format!(
                    "bot {} ({}): {:?}{}",
                    bot.phone,
                    bot.participant_id.as_deref().unwrap_or("-"),
                    bot.outcome,
                    bot.error
                        .as_ref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default()
                ),
            );
            line(
                &mut out,
                format!("  sent audio:     {}", counters(&bot.sent.audio)),
            );
            line(
                &mut out,
                format!("  sent video:     {}", counters(&bot.sent.video)),
            );
            line(
                &mut out,
                format!("  received audio: {}", counters(&bot.received.audio)),
            );
            line(
                &mut out,
                format!("  received video: {}", counters(&bot.received.video)),
            );
            line(
                &mut out,
                format!("  latency audio:  {}", latency(&bot.latency_ms.audio)),
            );
            line(
                &mut out,
                format!("  latency video:  {}", latency(&bot.latency_ms.video)),
            );
            for (member, source) in &bot.sources {
                line(
                    &mut out,
                    format!(
                        "  from {member}: {} audio, {} video frames",
                        source.audio_frames, source.video_frames
                    ),
                );
            }
        }
        let t = &self.total;
        line(
            &mut out,
            format!(
                "total: {} bots ({} completed, {} stopped, {} failed)",
                t.bots, t.completed, t.stopped, t.failed
            ),
        );
        line(
            &mut out,
            format!("  sent audio:     {}", counters(&t.sent.audio)),
        );
        line(
            &mut out,
            format!("  sent video:     {}", counters(&t.sent.video)),
        );
        line(
            &mut out,
            format!("  received audio: {}", counters(&t.received.audio)),
        );
        line(
            &mut out,
            format!("  received video: {}", counters(&t.received.video)),
        );
        line(
            &mut out,
            format!("  latency audio:  {}", latency(&t.latency_ms.audio)),
        );
        line(
            &mut out,
            format!("  latency video:  {}", latency(&t.latency_ms.video)),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn totals_add_up_and_latency_merges_every_sample() {
        let mut a = BotReport::new("13800000001");
        a.outcome = Outcome::Completed;
        a.sent.video = KindCounters {
            frames: 10,
            packets: 30,
            packets_lost: 0,
            ..Default::default()
        };
        a.received.audio.packets = 99;
        a.received.audio.packets_lost = 1;
        a.video_latency.push(Duration::from_millis(2));
        let mut b = BotReport::new("13800000002");
        b.error = Some("verify join code for 138****0002: 401 invalid_code: wrong".into());
        b.video_latency.push(Duration::from_millis(4));
        let report = Report::new("http://127.0.0.1:1", "12345678", 30.0, vec![a, b]);
        assert_eq!((report.total.completed, report.total.failed), (1, 1));
        assert_eq!(report.total.sent.video.frames, 10);
        assert_eq!(report.bots[0].received.audio.loss_fraction, Some(0.01));
        assert_eq!(report.total.sent.audio.loss_fraction, None, "nothing sent");
        let video = report.total.latency_ms.video.as_ref().expect("samples");
        assert_eq!((video.count, video.max_ms), (2, 4.0));

        // The field names the benchmark reads.
        let json: serde_json::Value = serde_json::from_str(&report.json()).expect("json");
        assert_eq!(json["format_version"], 1);
        assert_eq!(json["bots"][0]["outcome"], "completed");
        assert_eq!(json["bots"][1]["outcome"], "failed");
        assert_eq!(json["bots"][0]["sent"]["video"]["frames"], 10);
        assert_eq!(json["bots"][0]["latency_ms"]["video"]["p50_ms"], 2.0);
        assert_eq!(json["total"]["latency_ms"]["video"]["p99_ms"], 4.0);
        assert!(json["total"]["latency_ms"]["audio"].is_null());
        assert!(
            json["bots"][0].get("audio_latency").is_none(),
            "raw samples stay out"
        );
        assert!(report.text().contains("1 completed"));
    }
}
