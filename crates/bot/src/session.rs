//! One bot's media session on str0m, driven the sans-IO way: a UDP socket, the `Rtc`,
//! the clip pacers and the signalling, in one `select!` loop that drains `poll_output`
//! after every mutation. The bot is an ordinary (not ICE-lite) controlling agent with
//! one host candidate; it offers what the browser client offers (web/lib/rtc.js): a
//! send-only Opus and a send-only VP8 line (or, subscribing only, one receive-only audio
//! line), and answers every subscription offer of the SFU. It sends its clips at their
//! real pace from the moment ICE and DTLS are up, answers keyframe requests by jumping to
//! the clip's next keyframe, and measures what arrives. When the SFU offers first (a
//! Janus subscription), the session makes no offer and only answers.
//!
//! With a [`Window`], what arrives (and what is sent) between two instants shared by
//! every bot of the process is also counted apart, for the benchmark's fixed measuring
//! window.

use crate::api::masked;
use crate::clip::{Clip, Kind};
use crate::latency::{FrameIndex, Registry, Samples, SendLog};
use crate::pacing::Pacer;
use crate::report::{BotReport, Direction as Counts, KindCounters, Outcome};
use crate::signalling::{Signal, Signalling};
use anyhow::{Context, bail};
use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaData, MediaKind, MediaTime, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::stats::{MediaEgressStats, MediaIngressStats};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::watch;

/// How long ICE and DTLS may take once the SFU answered.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// A stream this far behind its schedule (the process stalled) starts its schedule
/// again from now instead of sending the backlog in a burst.
const STALL: Duration = Duration::from_millis(500);
/// After the duration, the bot listens this long without sending: frames in flight
/// arrive, and str0m's counters (every [`STATS_INTERVAL`]) catch up with the last sends.
const TAIL: Duration = Duration::from_millis(700);
/// How often str0m reports its counters.
const STATS_INTERVAL: Duration = Duration::from_millis(500);
/// Larger than any datagram WebRTC sends.
const RECEIVE_BUFFER: usize = 2048;

/// What every bot of the process shares: the clips, how to recognise their frames, and
/// who sent what when.
#[derive(Debug)]
pub struct Media {
    pub audio: Arc<Clip>,
    pub video: Arc<Clip>,
    pub index: FrameIndex,
    pub registry: Registry,
    /// The measuring window, if the run has one.
    pub window: Option<Window>,
}

impl Media {
    pub fn new(audio: Clip, video: Clip) -> Self {
        let index = FrameIndex::new(&[&audio, &video]);
        Self {
            audio: Arc::new(audio),
            video: Arc::new(video),
            index,
            registry: Registry::default(),
            window: None,
        }
    }

    /// A send log sized for the clips.
    pub fn new_log(&self) -> SendLog {
        SendLog::new(self.audio.frames.len(), self.video.frames.len())
    }
}

/// A fixed measuring window shared by every bot of the process: frames, packets, gaps
/// and latency of what arrives within it, and the frames sent within it. The benchmark
/// reads the server's CPU time over the same window.
#[derive(Debug)]
pub struct Window {
    pub start: Instant,
    pub end: Instant,
    counts: Mutex<WindowCounts>,
}

#[derive(Debug, Default)]
struct WindowCounts {
    sent: Counts,
    received: Counts,
    audio_latency: Samples,
    video_latency: Samples,
    /// Latency histograms (bucket's lower bound in µs → samples), which the benchmark
    /// merges over several bot processes.
    audio_histogram: BTreeMap<u64, u64>,
    video_histogram: BTreeMap<u64, u64>,
    /// Media sessions that connected before the window started, and during it.
    connected_before: u64,
    connected_during: u64,
}

/// The histogram bucket of a latency: 10 µs wide below 10 ms, 100 µs below 100 ms, 1 ms
/// above.
fn bucket(micros: u64) -> u64 {
    match micros {
        0..10_000 => micros / 10 * 10,
        10_000..100_000 => micros / 100 * 100,
        _ => micros / 1_000 * 1_000,
    }
}

impl Window {
    pub fn new(start: Instant, length: Duration) -> Self {
        Self {
            start,
            end: start + length,
            counts: Mutex::default(),
        }
    }

    fn contains(&self, at: Instant) -> bool {
        at >= self.start && at < self.end
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, WindowCounts> {
        self.counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn connected(&self, at: Instant) {
        let mut counts = self.counts();
        if at < self.start {
            counts.connected_before += 1;
        } else if at < self.end {
            counts.connected_during += 1;
        }
    }

    fn sent(&self, kind: Kind, at: Instant, payload: u64) {
        if !self.contains(at) {
            return;
        }
        let mut counts = self.counts();
        let counters = match kind {
            Kind::Audio => &mut counts.sent.audio,
            Kind::Video => &mut counts.sent.video,
        };
        counters.frames += 1;
        counters.payload_bytes += payload;
    }

    fn received(
        &self,
        kind: Kind,
        at: Instant,
        packets: u64,
        lost: u64,
        payload: u64,
        latency: Option<Duration>,
    ) {
        if !self.contains(at) {
            return;
        }
        let mut guard = self.counts();
        let counts = &mut *guard;
        let counters = match kind {
            Kind::Audio => &mut counts.received.audio,
            Kind::Video => &mut counts.received.video,
        };
        counters.frames += 1;
        counters.packets += packets;
        counters.packets_lost += lost;
        counters.payload_bytes += payload;
        if let Some(latency) = latency {
            let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
            let (samples, histogram) = match kind {
                Kind::Audio => (&mut counts.audio_latency, &mut counts.audio_histogram),
                Kind::Video => (&mut counts.video_latency, &mut counts.video_histogram),
            };
            samples.push(latency);
            *histogram.entry(bucket(micros)).or_default() += 1;
        }
    }

    /// The window's figures, as the `window` object of the JSON report.
    pub fn json(&self) -> serde_json::Value {
        let counts = self.counts();
        let finished = |c: &KindCounters| {
            let mut c = c.clone();
            c.finish();
            serde_json::json!({
                "frames": c.frames,
                "payload_bytes": c.payload_bytes,
                "packets": c.packets,
                "packets_lost": c.packets_lost,
                "loss_fraction": c.loss_fraction,
            })
        };
        let histogram =
            |h: &BTreeMap<u64, u64>| h.iter().map(|(us, n)| [*us, *n]).collect::<Vec<_>>();
        serde_json::json!({
            "seconds": (self.end - self.start).as_secs_f64(),
            "sessions_connected_before": counts.connected_before,
            "sessions_connected_during": counts.connected_during,
            "sent": {
                "audio": {"frames": counts.sent.audio.frames, "payload_bytes": counts.sent.audio.payload_bytes},
                "video": {"frames": counts.sent.video.frames, "payload_bytes": counts.sent.video.payload_bytes},
            },
            "received": {
                "audio": finished(&counts.received.audio),
                "video": finished(&counts.received.video),
            },
            "latency_ms": {
                "audio": counts.audio_latency.summary(),
                "video": counts.video_latency.summary(),
            },
            "latency_histogram_us": {
                "audio": histogram(&counts.audio_histogram),
                "video": histogram(&counts.video_histogram),
            },
        })
    }

    /// A line for the text report.
    pub fn text(&self) -> String {
        let counts = self.counts();
        let r = &counts.received;
        let p = |s: &Samples| {
            s.summary().map_or_else(
                || "-".to_owned(),
                |s| format!("p50 {:.1} ms, p99 {:.1} ms", s.p50_ms, s.p99_ms),
            )
        };
        format!(
            "window {:.0} s: received {} audio + {} video packets, lost {} + {}; latency audio {}, video {}",
            (self.end - self.start).as_secs_f64(),
            r.audio.packets,
            r.video.packets,
            r.audio.packets_lost,
            r.video.packets_lost,
            p(&counts.audio_latency),
            p(&counts.video_latency),
        )
    }
}

/// One bot's session settings.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    pub publish: bool,
    /// Media time, counted from ICE+DTLS connected.
    pub duration: Duration,
    /// The address the UDP socket binds (port 0).
    pub bind: IpAddr,
    /// The address of the host candidate (the bound one, or the one that reaches the
    /// server when bound to every interface).
    pub candidate_ip: IpAddr,
}

/// A track the bot publishes.
struct Track {
    kind: Kind,
    mid: Mid,
    codec: Codec,
    frequency: Frequency,
    pacer: Pacer,
    /// The negotiated payload type, found at the first write.
    pt: Option<Pt>,
    /// When media time 0 of the track is (moved on after a stall).
    start: Option<Instant>,
}

impl Track {
    fn due(&self) -> Option<Instant> {
        self.start.map(|start| start + self.pacer.next_due())
    }
}

/// A track the SFU sends the bot.
struct Subscription {
    kind: Kind,
    /// The publishing member (the stream id the SFU gives the track).
    source: String,
    last_seq: Option<u64>,
}

struct Session<'a> {
    rtc: Rtc,
    socket: UdpSocket,
    local: SocketAddr,
    media: &'a Media,
    log: Arc<SendLog>,
    report: &'a mut BotReport,
    started: Instant,
    tracks: Vec<Track>,
    subscriptions: HashMap<Mid, Subscription>,
    /// Publishers of media lines as the signalling names them ([`Signalling::source_of`]).
    named_sources: HashMap<Mid, String>,
    egress: HashMap<Mid, MediaEgressStats>,
    ingress: HashMap<Mid, MediaIngressStats>,
    connected_at: Option<Instant>,
    /// When the first SDP answer was applied (ours or the SFU's).
    answered: Option<Instant>,
    /// A fatal event seen while draining.
    failed: Option<String>,
    send_errors: u64,
}

fn kind_of(kind: MediaKind) -> Kind {
    match kind {
        MediaKind::Audio => Kind::Audio,
        MediaKind::Video => Kind::Video,
    }
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

/// Runs the media session until the duration is over (after connecting), `stop` fires,
/// or something fails. The report is filled as it goes, also on failure.
pub async fn run<S: Signalling>(
    signalling: &mut S,
    media: &Media,
    config: &SessionConfig,
    log: Arc<SendLog>,
    report: &mut BotReport,
    started: Instant,
    stop: &mut watch::Receiver<bool>,
) -> anyhow::Result<Outcome> {
    let socket = UdpSocket::bind((config.bind, 0))
        .await
        .with_context(|| format!("bind a UDP socket on {}", config.bind))?;
    let port = socket
        .local_addr()
        .context("read the media socket's address")?
        .port();
    let local = SocketAddr::new(config.candidate_ip, port);
    let mut rtc = Rtc::builder()
        .set_stats_interval(Some(STATS_INTERVAL))
        .build(Instant::now());
    let candidate =
        Candidate::host(local, "udp").with_context(|| format!("host candidate {local}"))?;
    rtc.add_local_candidate(candidate);
    report.published = config.publish;
    let mut session = Session {
        rtc,
        socket,
        local,
        media,
        log,
        report,
        started,
        tracks: Vec::new(),
        subscriptions: HashMap::new(),
        named_sources: HashMap::new(),
        egress: HashMap::new(),
        ingress: HashMap::new(),
        connected_at: None,
        answered: None,
        failed: None,
        send_errors: 0,
    };
    let outcome = session.run(signalling, config, stop).await;
    session.fold_stats();
    outcome
}

impl Session<'_> {
    async fn run<S: Signalling>(
        &mut self,
        signalling: &mut S,
        config: &SessionConfig,
        stop: &mut watch::Receiver<bool>,
    ) -> anyhow::Result<Outcome> {
        self.drain()?;
        if !signalling.offers_first() {
            tokio::select! {
                offered = self.offer(signalling, config.publish) => offered?,
                _ = stop.changed() => return Ok(Outcome::Stopped),
            }
            self.answered = Some(Instant::now());
        }
        let waiting = Instant::now();
        let mut buf = vec![0u8; RECEIVE_BUFFER];
        let mut tail_until = None;
        loop {
            let timeout = self.drain()?;
            if let Some(why) = self.failed.take() {
                bail!(why);
            }
            if *stop.borrow() {
                return Ok(Outcome::Stopped);
            }
            let now = Instant::now();
            let end = match (self.connected_at, self.answered) {
                (Some(at), _) => at + config.duration,
                (None, Some(answered)) => answered + CONNECT_TIMEOUT,
                // The SFU offers first and has offered nothing (nobody publishes).
                (None, None) => waiting + config.duration,
            };
            if now >= end {
                let Some(connected) = self.connected_at else {
                    if self.answered.is_none() {
                        tracing::info!(phone = %masked(&self.report.phone), "nothing was offered to receive");
                        return Ok(Outcome::Completed);
                    }
                    bail!(
                        "ICE/DTLS to the SFU did not connect within {} s (is UDP to the server's media port open?)",
                        CONNECT_TIMEOUT.as_secs()
                    );
                };
                if tail_until.is_none() {
                    self.report.media_seconds = (now - connected).as_secs_f64();
                    // No more frames: the tracks have no schedule now.
                    for track in &mut self.tracks {
                        track.start = None;
                    }
                }
                let tail = *tail_until.get_or_insert(now + TAIL);
                if now >= tail {
                    return Ok(Outcome::Completed);
                }
            }
            let wake = self
                .tracks
                .iter()
                .filter_map(Track::due)
                .fold(timeout.min(tail_until.unwrap_or(end)), Instant::min);
            tokio::select! {
                _ = stop.changed() => return Ok(Outcome::Stopped),
                received = self.socket.recv_from(&mut buf) => match received {
                    Ok((len, source)) => self.receive(&buf[..len], source)?,
                    // ICMP errors (port unreachable) surface here: str0m's timers decide.
                    Err(err) => tracing::debug!(error = %err, "UDP receive"),
                },
                signal = signalling.subscribe() => self.signal(signal?, signalling).await?,
                () = tokio::time::sleep_until(wake.into()) => {
                    self.rtc
                        .handle_input(Input::Timeout(Instant::now()))
                        .context("str0m timeout")?;
                }
            }
            self.drain()?;
            if tail_until.is_none() {
                self.send_due_frames()?;
            }
        }
    }

    /// Our offer, like the browser's: send-only audio and video, or one receive-only
    /// audio line when only subscribing.
    async fn offer<S: Signalling>(
        &mut self,
        signalling: &mut S,
        publish: bool,
    ) -> anyhow::Result<()> {
        let mut change = self.rtc.sdp_api();
        let mut tracks = Vec::new();
        if publish {
            for (kind, clip) in [
                (MediaKind::Audio, &self.media.audio),
                (MediaKind::Video, &self.media.video),
            ] {
                let mid = change.add_media(kind, Direction::SendOnly, None, None, None);
                tracks.push(Track {
                    kind: kind_of(kind),
                    mid,
                    codec: if kind == MediaKind::Audio {
                        Codec::Opus
                    } else {
                        Codec::Vp8
                    },
                    frequency: if kind == MediaKind::Audio {
                        Frequency::FORTY_EIGHT_KHZ
                    } else {
                        Frequency::NINETY_KHZ
                    },
                    pacer: Pacer::new(clip.clone()),
                    pt: None,
                    start: None,
                });
            }
        } else {
            change.add_media(MediaKind::Audio, Direction::RecvOnly, None, None, None);
        }
        let (offer, pending) = change.apply().context("str0m made no offer")?;
        self.tracks = tracks;
        self.drain()?;
        let answer = signalling
            .publish(&offer.to_sdp_string())
            .await
            .context("start the media session")?;
        let answer = SdpAnswer::from_sdp_string(&answer).context("parse the SFU's SDP answer")?;
        self.rtc
            .sdp_api()
            .accept_answer(pending, answer)
            .context("apply the SFU's SDP answer")?;
        self.kick()?;
        self.report.joined_ms = Some(millis(self.started.elapsed()));
        Ok(())
    }

    async fn signal<S: Signalling>(
        &mut self,
        signal: Signal,
        signalling: &mut S,
    ) -> anyhow::Result<()> {
        match signal {
            Signal::Offer(sdp) => {
                // Publishers the signalling names beside the offer, by media line.
                for mid in sdp.lines().filter_map(|l| l.trim().strip_prefix("a=mid:")) {
                    if let Some(source) = signalling.source_of(mid) {
                        let mid = Mid::from(mid);
                        if let Some(sub) = self.subscriptions.get_mut(&mid) {
                            sub.source.clone_from(&source);
                        }
                        self.named_sources.insert(mid, source);
                    }
                }
                let offer = SdpOffer::from_sdp_string(&sdp)
                    .context("parse the SFU's subscription offer")?;
                let answer = self
                    .rtc
                    .sdp_api()
                    .accept_offer(offer)
                    .context("accept the SFU's subscription offer")?;
                self.kick()?;
                self.drain()?;
                signalling
                    .answer(&answer.to_sdp_string())
                    .await
                    .context("answer the SFU's subscription offer")?;
                self.report.renegotiations += 1;
                if self.answered.is_none() {
                    self.answered = Some(Instant::now());
                    self.report.joined_ms = Some(millis(self.started.elapsed()));
                }
                Ok(())
            }
            Signal::Closed(why) => bail!("media session ended: {why}"),
            Signal::Error { code, message } => {
                bail!("the server refused our signalling: {code}: {message}")
            }
        }
    }

    /// Gives str0m the time after a negotiation: its ICE agent computes no deadline
    /// before its first timeout, so a session that is the DTLS server (the SFU's answer
    /// says `setup:active`, as Janus's does) would otherwise sleep until its own
    /// connect deadline without ever sending a connectivity check.
    fn kick(&mut self) -> anyhow::Result<()> {
        self.rtc
            .handle_input(Input::Timeout(Instant::now()))
            .context("str0m timeout")
    }

    fn receive(&mut self, datagram: &[u8], source: SocketAddr) -> anyhow::Result<()> {
        // Not STUN, DTLS, RTP or RTCP: nothing of ours.
        let Ok(contents) = datagram.try_into() else {
            return Ok(());
        };
        let input = Input::Receive(
            Instant::now(),
            Receive {
                proto: Protocol::Udp,
                source,
                destination: self.local,
                contents,
            },
        );
        // A datagram str0m refuses is dropped; one that kills the session shows in
        // `drain` (the Rtc is no longer alive).
        if let Err(err) = self.rtc.handle_input(input) {
            tracing::debug!(error = %err, %source, "datagram refused");
        }
        Ok(())
    }

    /// Polls str0m until it has nothing more but its next deadline.
    fn drain(&mut self) -> anyhow::Result<Instant> {
        loop {
            if !self.rtc.is_alive() {
                bail!("the WebRTC session to the SFU is closed");
            }
            match self.rtc.poll_output().context("str0m poll")? {
                Output::Timeout(at) => return Ok(at),
                Output::Transmit(transmit) => {
                    if let Err(err) = self
                        .socket
                        .try_send_to(&transmit.contents, transmit.destination)
                    {
                        // A full socket buffer drops the datagram, as the network would.
                        self.send_errors += 1;
                        tracing::debug!(error = %err, to = %transmit.destination, "UDP send dropped");
                    }
                }
                Output::Event(event) => self.event(event),
            }
        }
    }

    fn event(&mut self, event: Event) {
        match event {
            Event::Connected => {
                let now = Instant::now();
                self.connected_at = Some(now);
                self.report.connected_ms = Some(millis(now - self.started));
                for track in &mut self.tracks {
                    track.start = Some(now);
                }
                if let Some(window) = &self.media.window {
                    window.connected(now);
                }
                tracing::info!(phone = %masked(&self.report.phone), "connected to the SFU");
            }
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                self.failed = Some("ICE disconnected from the SFU".into());
            }
            Event::MediaAdded(added) => {
                if matches!(added.direction, Direction::RecvOnly | Direction::SendRecv) {
                    let source = match self.named_sources.get(&added.mid) {
                        Some(source) => source.clone(),
                        None => self
                            .rtc
                            .media(added.mid)
                            .map(|m| m.stream_id().to_owned())
                            .unwrap_or_default(),
                    };
                    tracing::debug!(mid = %added.mid, kind = ?added.kind, %source, "subscribed");
                    self.subscriptions.insert(
                        added.mid,
                        Subscription {
                            kind: kind_of(added.kind),
                            source,
                            last_seq: None,
                        },
                    );
                }
            }
            Event::MediaData(data) => self.received(&data),
            Event::KeyframeRequest(request) => {
                self.report.keyframe_requests += 1;
                if let Some(track) = self
                    .tracks
                    .iter_mut()
                    .find(|t| t.mid == request.mid && t.kind == Kind::Video)
                    && track.pacer.jump_to_keyframe()
                {
                    self.report.keyframe_jumps += 1;
                }
            }
            Event::PeerStats(stats) => {
                if let Some(rtt) = stats.rtt {
                    self.report.rtt_ms = Some(millis(rtt));
                }
            }
            Event::MediaEgressStats(stats) => {
                self.egress.insert(stats.mid, stats);
            }
            Event::MediaIngressStats(stats) => {
                self.ingress.insert(stats.mid, stats);
            }
            Event::Closed => {
                self.failed = Some("the SFU closed the connection".into());
            }
            _ => {}
        }
    }

    /// A frame arrived: count it, look for gaps, and time it if a bot of ours sent it.
    fn received(&mut self, data: &MediaData) {
        let now = Instant::now();
        let (kind, source, packets, lost) = match self.subscriptions.get_mut(&data.mid) {
            Some(sub) => {
                let first: u64 = **data.seq_range.start();
                let last: u64 = **data.seq_range.end();
                let counters = match sub.kind {
                    Kind::Audio => &mut self.report.received.audio,
                    Kind::Video => &mut self.report.received.video,
                };
                let lost = match sub.last_seq {
                    Some(previous) if first > previous + 1 => first - previous - 1,
                    _ => 0,
                };
                let packets = last.saturating_sub(first) + 1;
                counters.packets_lost += lost;
                sub.last_seq = Some(sub.last_seq.map_or(last, |p| p.max(last)));
                counters.frames += 1;
                counters.payload_bytes += data.data.len() as u64;
                counters.packets += packets;
                (sub.kind, sub.source.clone(), packets, lost)
            }
            // Media the SFU did not announce: nothing to attribute it to.
            None => return,
        };
        let entry = self.report.sources.entry(source.clone()).or_default();
        match kind {
            Kind::Audio => {
                entry.audio_frames += 1;
                entry.audio_bytes += data.data.len() as u64;
            }
            Kind::Video => {
                entry.video_frames += 1;
                entry.video_bytes += data.data.len() as u64;
            }
        }
        let sent = self
            .media
            .index
            .lookup(&data.data)
            .filter(|(k, _)| *k == kind)
            .and_then(|(k, index)| self.media.registry.get(&source)?.sent_before(k, index, now));
        if let Some(window) = &self.media.window {
            let payload = data.data.len() as u64;
            window.received(
                kind,
                now,
                packets,
                lost,
                payload,
                sent.map(|sent| now - sent),
            );
        }
        match sent {
            Some(sent) => {
                entry.matched_frames += 1;
                let samples = match kind {
                    Kind::Audio => &mut self.report.audio_latency,
                    Kind::Video => &mut self.report.video_latency,
                };
                samples.push(now - sent);
            }
            None => self.report.unmatched_frames += 1,
        }
    }

    /// Writes every frame that is due, draining after each write.
    fn send_due_frames(&mut self) -> anyhow::Result<()> {
        if self.connected_at.is_none() {
            return Ok(());
        }
        loop {
            let now = Instant::now();
            let Some(i) = (0..self.tracks.len())
                .filter(|&i| self.tracks[i].due().is_some_and(|due| due <= now))
                .min_by_key(|&i| self.tracks[i].due())
            else {
                return Ok(());
            };
            self.write(i, now)?;
            self.drain()?;
        }
    }

    fn write(&mut self, i: usize, now: Instant) -> anyhow::Result<()> {
        let Some(track) = self.tracks.get_mut(i) else {
            return Ok(());
        };
        if let Some(due) = track.due()
            && now.duration_since(due) > STALL
        {
            // Behind schedule (the process stalled): start over from now.
            track.start = track.start.map(|start| start + now.duration_since(due));
        }
        let Some(next) = track.pacer.advance() else {
            return Ok(());
        };
        let Some(writer) = self.rtc.writer(track.mid) else {
            bail!("the SFU's answer has no {} line", track.kind.as_str());
        };
        let pt = match track.pt {
            Some(pt) => pt,
            None => {
                let pt = writer
                    .payload_params()
                    .find(|p| p.spec().codec == track.codec)
                    .map(|p| p.pt())
                    .with_context(|| {
                        format!(
                            "the SFU did not accept {:?} for the {}",
                            track.codec,
                            track.kind.as_str()
                        )
                    })?;
                track.pt = Some(pt);
                pt
            }
        };
        let len = next.frame.data.len() as u64;
        writer
            .write(
                pt,
                now,
                MediaTime::new(next.media_ticks, track.frequency),
                next.frame.data.clone(),
            )
            .with_context(|| format!("write a {} frame", track.kind.as_str()))?;
        self.log.record(track.kind, next.index, now);
        if let Some(window) = &self.media.window {
            window.sent(track.kind, now, len);
        }
        let counters = match track.kind {
            Kind::Audio => &mut self.report.sent.audio,
            Kind::Video => &mut self.report.sent.video,
        };
        counters.frames += 1;
        counters.payload_bytes += len;
        Ok(())
    }

    /// Adds str0m's last counters per media line to the report.
    fn fold_stats(&mut self) {
        for (mid, stats) in &self.egress {
            let Some(track) = self.tracks.iter().find(|t| t.mid == *mid) else {
                continue;
            };
            let counters = match track.kind {
                Kind::Audio => &mut self.report.sent.audio,
                Kind::Video => &mut self.report.sent.video,
            };
            counters.packets += stats.packets;
            counters.bytes += stats.bytes;
            counters.nacks += stats.nacks;
            counters.plis += stats.plis;
            counters.firs += stats.firs;
            counters.packets_lost += stats.remote.as_ref().map_or(0, |r| r.packets_lost);
        }
        for (mid, stats) in &self.ingress {
            let Some(sub) = self.subscriptions.get(mid) else {
                continue;
            };
            let counters = match sub.kind {
                Kind::Audio => &mut self.report.received.audio,
                Kind::Video => &mut self.report.received.video,
            };
            counters.bytes += stats.bytes;
            counters.nacks += stats.nacks;
            counters.plis += stats.plis;
            counters.firs += stats.firs;
        }
        if let Some(video) = self.tracks.iter().find(|t| t.kind == Kind::Video) {
            self.report.video_loops = video.pacer.loops();
        }
        if self.report.media_seconds == 0.0
            && let Some(at) = self.connected_at
        {
            self.report.media_seconds = at.elapsed().as_secs_f64();
        }
        if self.send_errors > 0 {
            tracing::warn!(phone = %masked(&self.report.phone), dropped = self.send_errors, "UDP sends dropped");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_window_counts_only_what_happens_within_it() {
        let start = Instant::now() + Duration::from_secs(10);
        let at = |ms: u64| start + Duration::from_millis(ms);
        let window = Window::new(start, Duration::from_secs(30));
        window.connected(start - Duration::from_secs(1));
        window.connected(at(5));
        let before = start - Duration::from_millis(1);
        window.received(
            Kind::Audio,
            before,
            1,
            0,
            80,
            Some(Duration::from_millis(2)),
        );
        window.received(
            Kind::Audio,
            at(0),
            1,
            2,
            80,
            Some(Duration::from_micros(1_234)),
        );
        window.received(Kind::Video, at(29_999), 5, 0, 4_000, None);
        window.received(Kind::Video, at(30_000), 5, 0, 4_000, None);
        window.sent(Kind::Video, at(1_000), 4_000);
        window.sent(Kind::Audio, before, 80);
        let figures = window.json();
        assert_eq!(figures["seconds"], 30.0);
        assert_eq!(figures["sessions_connected_before"], 1);
        assert_eq!(figures["sessions_connected_during"], 1);
        assert_eq!(figures["received"]["audio"]["packets"], 1);
        assert_eq!(figures["received"]["audio"]["packets_lost"], 2);
        assert_eq!(figures["received"]["audio"]["loss_fraction"], 2.0 / 3.0);
        assert_eq!(figures["received"]["video"]["packets"], 5, "the end is out");
        assert_eq!(figures["sent"]["video"]["frames"], 1);
        assert_eq!(figures["sent"]["audio"]["frames"], 0, "before the window");
        assert_eq!(
            figures["latency_histogram_us"]["audio"],
            json!([[1_230, 1]])
        );
        assert_eq!(figures["latency_ms"]["audio"]["count"], 1);
        assert!(figures["latency_ms"]["video"].is_null());
        assert!(window.text().contains("received 1 audio + 5 video packets"));
    }

    #[test]
    fn latency_buckets_widen_with_the_latency() {
        assert_eq!(bucket(0), 0);
        assert_eq!(bucket(9_999), 9_990);
        assert_eq!(bucket(12_345), 12_300);
        assert_eq!(bucket(123_456), 123_000);
    }
}
