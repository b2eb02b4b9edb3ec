//! The SFU's event loop: one UDP socket, the peers (one `Rtc` each) and their rooms, on
//! a thread of its own. Lean by construction: a packet finds its peer by source address
//! (a scan of `Rtc::accepts` only for an address never seen, i.e. ICE's first STUN), the
//! timers live in a min-heap so an iteration touches only the peers that are due, and a
//! forwarded payload is shared (`Arc<[u8]>`) rather than copied per subscriber. A muted
//! member's audio is dropped before the subscribers are visited: one flag on the
//! publishing peer, read per packet. ICE-TCP connections ([`crate::tcp`]) feed the same
//! path: a peer's address is a (protocol, socket address) pair.

use crate::layers::{self, Quality, Timeline};
use crate::tcp::{self, Connection, TcpEvent};
use crate::{Command, MediaError, PeerEvent, SfuConfig, Tap, TappedTrack};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use str0m::bwe::{Bitrate, BweKind};
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::crypto::CryptoProvider;
use str0m::media::{Direction, KeyframeRequestKind, MediaData, MediaKind, Mid, Rid};
use str0m::net::{Protocol, Receive, TcpType};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc;

/// One participant connection's media session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerId(u64);

impl std::fmt::Display for PeerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "peer-{}", self.0)
    }
}

/// The shortest interval between two keyframe requests to one published track.
const KEYFRAME_INTERVAL: Duration = Duration::from_millis(250);
/// The longest sleep without a timer due (commands and packets wake the loop anyway).
const IDLE_WAKE: Duration = Duration::from_secs(1);
/// Larger than any datagram WebRTC sends (str0m's MTU is about 1150 bytes).
const RECEIVE_BUFFER: usize = 2048;
/// The bandwidth a new subscriber is assumed to have until its estimator knows better:
/// the low layer of a few videos, so a phone on a poor network starts watchable.
const INITIAL_ESTIMATE: Bitrate = Bitrate::kbps(600);
/// How long a subscriber's estimate must afford no video before it gets audio only.
const AUDIO_ONLY_AFTER: Duration = Duration::from_secs(5);
/// A simulcast layer silent this long is taken as paused by its browser.
const LAYER_PAUSED: Duration = Duration::from_millis(1500);
/// How often idle ICE-TCP connections are looked for.
const SWEEP_INTERVAL: Duration = Duration::from_secs(2);

/// Where a datagram came from or goes to: UDP or an ICE-TCP connection.
type Route = (Protocol, SocketAddr);

/// The addresses the engine announces: the UDP socket and, when on, the ICE-TCP port.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Announced {
    pub(crate) udp: SocketAddr,
    pub(crate) tcp: Option<SocketAddr>,
}

/// How many free ports are tried for a port-0 bind whose number is taken on TCP.
const PORT_ATTEMPTS: usize = 20;

/// The UDP socket and, when ICE-TCP is on, a TCP listener on the same port number, so
/// one firewall rule (UDP and TCP) opens both. With port 0 a free UDP port may be taken
/// on TCP (by any connection's local end): another free port is tried.
fn bind_sockets(
    config: &SfuConfig,
) -> Result<(std::net::UdpSocket, Option<std::net::TcpListener>), MediaError> {
    let bind_error = |addr| move |source| MediaError::Bind { addr, source };
    let mut attempts = 0;
    loop {
        attempts += 1;
        let socket = std::net::UdpSocket::bind(config.bind).map_err(bind_error(config.bind))?;
        socket
            .set_nonblocking(true)
            .map_err(bind_error(config.bind))?;
        if !config.tcp {
            return Ok((socket, None));
        }
        let bound = socket.local_addr().map_err(bind_error(config.bind))?;
        match std::net::TcpListener::bind(bound) {
            Ok(listener) => {
                listener.set_nonblocking(true).map_err(bind_error(bound))?;
                return Ok((socket, Some(listener)));
            }
            Err(err)
                if config.bind.port() == 0
                    && err.kind() == std::io::ErrorKind::AddrInUse
                    && attempts < PORT_ATTEMPTS => {}
            Err(err) => return Err(bind_error(bound)(err)),
        }
    }
}

/// Binds the socket and spawns the thread; returns the command sender and the address
/// announced to browsers.
pub(crate) fn spawn(
    config: &SfuConfig,
) -> Result<(mpsc::UnboundedSender<Command>, Announced), MediaError> {
    let (socket, tcp_listener) = bind_sockets(config)?;
    let bound = socket.local_addr().map_err(|source| MediaError::Bind {
        addr: config.bind,
        source,
    })?;
    let ip = config.advertise.unwrap_or(match bound.ip() {
        ip if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        ip => ip,
    });
    let local = SocketAddr::new(ip, bound.port());
    let announced = Announced {
        udp: local,
        tcp: tcp_listener.as_ref().map(|_| local),
    };
    let (commands, receiver) = mpsc::unbounded_channel();
    std::thread::Builder::new()
        .name("cloudcourt-sfu".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(err) => {
                    tracing::error!(error = %err, "the SFU cannot start its runtime");
                    return;
                }
            };
            runtime.block_on(async move {
                let socket = match UdpSocket::from_std(socket) {
                    Ok(socket) => socket,
                    Err(err) => {
                        tracing::error!(error = %err, "the SFU cannot register its socket");
                        return;
                    }
                };
                let (tcp_events, tcp_receiver) = mpsc::channel(tcp::READ_QUEUE);
                if let Some(listener) = tcp_listener {
                    match TcpListener::from_std(listener) {
                        Ok(listener) => {
                            tokio::spawn(tcp::accept(listener, tcp_events));
                        }
                        Err(err) => {
                            tracing::error!(error = %err, "the SFU cannot register its TCP port");
                            return;
                        }
                    }
                }
                Engine::new(socket, announced)
                    .run(receiver, tcp_receiver)
                    .await;
            });
        })
        .map_err(MediaError::Thread)?;
    tracing::info!(%bound, advertised = %local, tcp = announced.tcp.is_some(), "SFU listening");
    Ok((commands, announced))
}

/// A track a peer publishes.
struct TrackIn {
    mid: Mid,
    kind: MediaKind,
    /// Simulcast layers seen, with when each last arrived (empty without simulcast).
    layers: Vec<(Rid, Instant)>,
    /// The simulcast layer the recording takes now, and its timeline (continuous across
    /// the recorded layer's switches).
    tap_layer: Option<Rid>,
    tap_timeline: Timeline,
    /// The room's recorder knows this track (its `Tap::Opened` went through).
    tap_announced: bool,
    /// The recorder has had a keyframe of this (video) track since it was announced:
    /// until then, its file cannot start and a keyframe is asked for.
    tap_keyframed: bool,
    /// A packet for the room's recorder was dropped since the last one handed over.
    tap_dropped: bool,
    /// When a keyframe was last asked for, per layer (`None`: no simulcast).
    keyframe_requests: Vec<(Option<Rid>, Instant)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutState {
    /// To be added at the next negotiation.
    ToOpen,
    /// In an offer awaiting its answer.
    Negotiating(Mid),
    Open(Mid),
    /// Its publisher left: to be stopped at the next negotiation.
    ToStop(Mid),
    NegotiatingStop(Mid),
}

/// Another peer's track, as this peer receives it.
struct TrackOut {
    origin: PeerId,
    origin_mid: Mid,
    kind: MediaKind,
    /// The publishing member's id: the browser's MediaStream id for the track.
    stream_id: String,
    state: OutState,
    /// Video: the simulcast layer forwarded now (`None` before the first frame, or
    /// without simulcast).
    layer: Option<Rid>,
    /// The subscriber's timeline for this track (rewritten at layer switches).
    timeline: Timeline,
}

impl TrackOut {
    fn new(origin: PeerId, origin_mid: Mid, kind: MediaKind, stream_id: String) -> Self {
        Self {
            origin,
            origin_mid,
            kind,
            stream_id,
            state: OutState::ToOpen,
            layer: None,
            timeline: Timeline::default(),
        }
    }
}

struct Peer {
    room: u64,
    member: String,
    rtc: Rtc,
    events: mpsc::UnboundedSender<PeerEvent>,
    /// The deadline last put on the timer heap.
    deadline: Option<Instant>,
    connected: bool,
    /// Tracks were added or ended since the last offer: negotiate when possible.
    renegotiate: bool,
    pending: Option<SdpPendingOffer>,
    tracks_in: Vec<TrackIn>,
    tracks_out: Vec<TrackOut>,
    /// Source routes mapped to this peer.
    addrs: Vec<Route>,
    /// The court muted this member: its audio is not forwarded.
    muted: bool,
    /// What this peer's downlink affords per video track (from its bandwidth estimate).
    quality: Quality,
    /// Its latest bandwidth estimate.
    estimate: Bitrate,
    /// Since when the estimate has afforded no video at all (audio only waits for this to
    /// last, so a passing dip of the estimate does not cut the pictures).
    starved_since: Option<Instant>,
}

impl Peer {
    /// Offers the browser the tracks to open and to stop, once connected and unless an
    /// offer is pending (checked on every poll, so it must cost nothing when idle).
    fn negotiate(&mut self) {
        if !self.renegotiate || !self.connected || self.pending.is_some() {
            return;
        }
        self.renegotiate = false;
        let mut change = self.rtc.sdp_api();
        for track in &mut self.tracks_out {
            match track.state {
                OutState::ToOpen => {
                    // The stream id names the publishing member: browsers group the
                    // member's audio and video in one MediaStream with that id.
                    let mid = change.add_media(
                        track.kind,
                        Direction::SendOnly,
                        Some(track.stream_id.clone()),
                        None,
                        None,
                    );
                    track.state = OutState::Negotiating(mid);
                }
                OutState::ToStop(mid) => {
                    change.stop_media(mid);
                    track.state = OutState::NegotiatingStop(mid);
                }
                _ => {}
            }
        }
        if !change.has_changes() {
            return;
        }
        let Some((offer, pending)) = change.apply() else {
            return;
        };
        self.pending = Some(pending);
        let _ = self.events.send(PeerEvent::Offer(offer.to_sdp_string()));
    }
}

struct Engine {
    socket: UdpSocket,
    announced: Announced,
    crypto: Arc<CryptoProvider>,
    peers: HashMap<PeerId, Peer>,
    by_addr: HashMap<Route, PeerId>,
    /// Open ICE-TCP connections by remote address.
    tcp: HashMap<SocketAddr, Connection>,
    room_ids: HashMap<String, u64>,
    rooms: HashMap<u64, Vec<PeerId>>,
    /// Each peer's member id, for stream ids.
    members: HashMap<PeerId, String>,
    /// (room, member) pairs the court muted, kept while nobody is connected so that a
    /// later peer of the member starts muted.
    muted: HashSet<(String, String)>,
    /// Rooms whose tracks go to a recorder, by room id.
    taps: HashMap<u64, std::sync::mpsc::SyncSender<Tap>>,
    timers: BinaryHeap<Reverse<(Instant, PeerId)>>,
    /// Peers with output to poll.
    dirty: Vec<PeerId>,
    next_peer: u64,
    next_room: u64,
}

impl Engine {
    fn new(socket: UdpSocket, announced: Announced) -> Self {
        Self {
            socket,
            announced,
            crypto: Arc::new(str0m::crypto::from_feature_flags()),
            peers: HashMap::new(),
            by_addr: HashMap::new(),
            tcp: HashMap::new(),
            room_ids: HashMap::new(),
            rooms: HashMap::new(),
            members: HashMap::new(),
            muted: HashSet::new(),
            taps: HashMap::new(),
            timers: BinaryHeap::new(),
            dirty: Vec::new(),
            next_peer: 1,
            next_room: 1,
        }
    }

    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut tcp_events: mpsc::Receiver<TcpEvent>,
    ) {
        let mut buf = vec![0u8; RECEIVE_BUFFER];
        let mut sweep = tokio::time::interval(SWEEP_INTERVAL);
        sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let wake = self
                .timers
                .peek()
                .map_or_else(|| Instant::now() + IDLE_WAKE, |Reverse((at, _))| *at);
            tokio::select! {
                command = commands.recv() => match command {
                    Some(command) => self.command(command),
                    None => break,
                },
                received = self.socket.recv_from(&mut buf) => match received {
                    Ok((len, source)) => self.receive(&buf[..len], (Protocol::Udp, source)),
                    // ICMP errors surface here (port unreachable): nothing to do.
                    Err(err) => tracing::debug!(error = %err, "SFU receive"),
                },
                Some(event) = tcp_events.recv() => self.tcp_event(event),
                _ = sweep.tick() => self.sweep_tcp(),
                () = tokio::time::sleep_until(wake.into()) => self.expire(),
            }
            self.drain();
        }
        for (_, peer) in self.peers.drain() {
            let _ = peer.events.send(PeerEvent::Closed);
        }
        tracing::info!("SFU stopped");
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Join {
                room,
                member,
                offer,
                events,
                reply,
            } => {
                let _ = reply.send(self.join(room, member, &offer, events));
            }
            Command::Answer {
                peer,
                answer,
                reply,
            } => {
                let _ = reply.send(self.answer(peer, &answer));
            }
            Command::Leave { peer } => self.remove(peer),
            Command::SetMuted {
                room,
                member,
                muted,
            } => self.set_muted(room, member, muted),
            Command::Tap { room, sink } => self.set_tap(room, sink),
        }
    }

    fn join(
        &mut self,
        room: String,
        member: String,
        offer: &str,
        events: mpsc::UnboundedSender<PeerEvent>,
    ) -> Result<(PeerId, String), MediaError> {
        let offer = SdpOffer::from_sdp_string(offer).map_err(|e| MediaError::Sdp(e.to_string()))?;
        let mut rtc = Rtc::builder()
            .set_ice_lite(true)
            .set_crypto_provider(self.crypto.clone())
            .enable_bwe(Some(INITIAL_ESTIMATE))
            .build(Instant::now());
        let candidate = Candidate::host(self.announced.udp, "udp")
            .map_err(|e| MediaError::Negotiation(format!("host candidate: {e}")))?;
        rtc.add_local_candidate(candidate);
        if let Some(tcp) = self.announced.tcp {
            let candidate = Candidate::builder()
                .tcp()
                .host(tcp)
                .tcptype(TcpType::Passive)
                .build()
                .map_err(|e| MediaError::Negotiation(format!("TCP candidate: {e}")))?;
            rtc.add_local_candidate(candidate);
        }
        let answer = rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| MediaError::Negotiation(e.to_string()))?;

        let muted = self.muted.contains(&(room.clone(), member.clone()));
        let next_room = &mut self.next_room;
        let room_id = *self.room_ids.entry(room).or_insert_with(|| {
            *next_room += 1;
            *next_room
        });
        // The same member again (a new page, a reconnection): the old peer goes.
        let previous: Vec<PeerId> = self
            .rooms
            .get(&room_id)
            .into_iter()
            .flatten()
            .copied()
            .filter(|p| self.members.get(p) == Some(&member))
            .collect();
        for peer in previous {
            self.remove(peer);
        }

        let id = PeerId(self.next_peer);
        self.next_peer += 1;
        // Everything already published in the room, to be offered once connected.
        let members = self.rooms.entry(room_id).or_default();
        let mut tracks_out = Vec::new();
        for other in members.iter() {
            if let Some(peer) = self.peers.get(other) {
                tracks_out.extend(
                    peer.tracks_in
                        .iter()
                        .map(|t| TrackOut::new(*other, t.mid, t.kind, peer.member.clone())),
                );
            }
        }
        members.push(id);
        self.members.insert(id, member.clone());
        self.peers.insert(
            id,
            Peer {
                room: room_id,
                member,
                rtc,
                events,
                deadline: None,
                connected: false,
                renegotiate: true,
                pending: None,
                tracks_in: Vec::new(),
                tracks_out,
                addrs: Vec::new(),
                muted,
                quality: Quality::Low,
                estimate: INITIAL_ESTIMATE,
                starved_since: None,
            },
        );
        self.dirty.push(id);
        tracing::debug!(peer = %id, "SFU peer joined");
        Ok((id, answer.to_sdp_string()))
    }

    /// Starts (or stops) handing `room`'s tracks to a recorder.
    fn set_tap(&mut self, room: String, sink: Option<std::sync::mpsc::SyncSender<Tap>>) {
        let next_room = &mut self.next_room;
        let room_id = *self.room_ids.entry(room.clone()).or_insert_with(|| {
            *next_room += 1;
            *next_room
        });
        let Some(sink) = sink else {
            self.taps.remove(&room_id);
            if self.rooms.get(&room_id).is_none_or(Vec::is_empty) {
                self.rooms.remove(&room_id);
                self.room_ids.remove(&room);
            }
            tracing::debug!(%room, "SFU tap stopped");
            return;
        };
        // Each track is announced to the new recorder with its next packet.
        for id in self.rooms.entry(room_id).or_default().iter() {
            if let Some(peer) = self.peers.get_mut(id) {
                for track in &mut peer.tracks_in {
                    track.tap_announced = false;
                    track.tap_keyframed = false;
                    track.tap_dropped = false;
                }
            }
        }
        self.taps.insert(room_id, sink);
        tracing::debug!(%room, "SFU tap started");
    }

    /// Records the court's mute of `member` in `room` and applies it to the member's peer.
    fn set_muted(&mut self, room: String, member: String, muted: bool) {
        if let Some(room_id) = self.room_ids.get(&room)
            && let Some(members) = self.rooms.get(room_id)
        {
            for id in members {
                if let Some(peer) = self.peers.get_mut(id)
                    && peer.member == member
                {
                    peer.muted = muted;
                }
            }
        }
        tracing::debug!(%room, %member, muted, "SFU mute");
        if muted {
            self.muted.insert((room, member));
        } else {
            self.muted.remove(&(room, member));
        }
    }

    fn answer(&mut self, id: PeerId, answer: &str) -> Result<(), MediaError> {
        let answer =
            SdpAnswer::from_sdp_string(answer).map_err(|e| MediaError::Sdp(e.to_string()))?;
        let peer = self.peers.get_mut(&id).ok_or(MediaError::UnknownPeer)?;
        let pending = peer.pending.take().ok_or(MediaError::NoPendingOffer)?;
        peer.rtc
            .sdp_api()
            .accept_answer(pending, answer)
            .map_err(|e| MediaError::Negotiation(e.to_string()))?;
        let mut opened = Vec::new();
        for track in &mut peer.tracks_out {
            if let OutState::Negotiating(mid) = track.state {
                track.state = OutState::Open(mid);
                opened.push((track.origin, track.origin_mid, track.kind));
            }
        }
        let quality = peer.quality;
        peer.tracks_out
            .retain(|t| !matches!(t.state, OutState::NegotiatingStop(_)));
        // Publishers that left while the offer was out: stop their tracks next time.
        for track in &mut peer.tracks_out {
            if let OutState::Open(mid) = track.state
                && !self.members.contains_key(&track.origin)
            {
                track.state = OutState::ToStop(mid);
            }
        }
        // Whatever changed while the offer was out is offered next.
        peer.renegotiate = peer
            .tracks_out
            .iter()
            .any(|t| matches!(t.state, OutState::ToOpen | OutState::ToStop(_)));
        self.dirty.push(id);
        self.allocate(id);
        // A new subscriber needs a keyframe of the layer it is to get to start decoding.
        for (origin, mid, kind) in opened {
            if kind == MediaKind::Video {
                let layer = self
                    .available_layers(origin, mid)
                    .and_then(|available| layers::layer_for(quality, &available));
                self.request_keyframe(origin, mid, layer, KeyframeRequestKind::Pli);
            }
        }
        Ok(())
    }

    fn receive(&mut self, datagram: &[u8], route: Route) {
        let (proto, source) = route;
        let Ok(contents) = datagram.try_into() else {
            // Not STUN, DTLS or RTP: a TCP connection that opens with such is no
            // browser of ours.
            if proto == Protocol::Tcp && self.tcp.get(&source).is_some_and(|c| !c.known) {
                self.tcp.remove(&source);
            }
            return;
        };
        let destination = match proto {
            Protocol::Tcp => match self.announced.tcp {
                Some(tcp) => tcp,
                None => return,
            },
            _ => self.announced.udp,
        };
        let input = Input::Receive(
            Instant::now(),
            Receive {
                proto,
                source,
                destination,
                contents,
            },
        );
        let id = match self.by_addr.get(&route) {
            Some(id) => *id,
            None => {
                // A new address: only a STUN request naming a peer's ICE username can
                // introduce it.
                let Some(id) = self
                    .peers
                    .iter()
                    .find(|(_, peer)| peer.rtc.accepts(&input))
                    .map(|(id, _)| *id)
                else {
                    tracing::trace!(%source, ?proto, "SFU: datagram from an unknown address");
                    if proto == Protocol::Tcp {
                        // A TCP connection's first word must be an ICE check of ours.
                        self.tcp.remove(&source);
                    }
                    return;
                };
                self.by_addr.insert(route, id);
                if let Some(peer) = self.peers.get_mut(&id) {
                    peer.addrs.push(route);
                }
                if let Some(connection) = self.tcp.get_mut(&source)
                    && proto == Protocol::Tcp
                {
                    connection.known = true;
                }
                id
            }
        };
        let Some(peer) = self.peers.get_mut(&id) else {
            self.by_addr.remove(&route);
            return;
        };
        if let Err(err) = peer.rtc.handle_input(input) {
            tracing::debug!(peer = %id, error = %err, "SFU input rejected; disconnecting");
            peer.rtc.disconnect();
        }
        self.dirty.push(id);
    }

    /// Drives the peers whose timers are due.
    fn expire(&mut self) {
        let now = Instant::now();
        while let Some(Reverse((at, id))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            let Some(peer) = self.peers.get_mut(&id) else {
                continue;
            };
            // A stale entry: the peer's deadline moved since.
            if peer.deadline != Some(at) {
                continue;
            }
            peer.deadline = None;
            if let Err(err) = peer.rtc.handle_input(Input::Timeout(now)) {
                tracing::debug!(peer = %id, error = %err, "SFU timeout failed; disconnecting");
                peer.rtc.disconnect();
            }
            self.dirty.push(id);
        }
    }

    fn drain(&mut self) {
        while let Some(id) = self.dirty.pop() {
            self.poll(id);
        }
    }

    /// Polls a peer until it has nothing more to say but its next deadline.
    fn poll(&mut self, id: PeerId) {
        loop {
            let Some(peer) = self.peers.get_mut(&id) else {
                return;
            };
            if !peer.rtc.is_alive() {
                self.remove(id);
                return;
            }
            peer.negotiate();
            let output = match peer.rtc.poll_output() {
                Ok(output) => output,
                Err(err) => {
                    tracing::debug!(peer = %id, error = %err, "SFU poll failed; disconnecting");
                    self.remove(id);
                    return;
                }
            };
            match output {
                Output::Transmit(transmit) => match transmit.proto {
                    Protocol::Tcp => {
                        let sent = self
                            .tcp
                            .get(&transmit.destination)
                            .is_some_and(|connection| connection.send(&transmit.contents));
                        if !sent {
                            tracing::debug!(to = %transmit.destination, "SFU TCP send dropped");
                        }
                    }
                    _ => {
                        if let Err(err) = self
                            .socket
                            .try_send_to(&transmit.contents, transmit.destination)
                        {
                            tracing::debug!(error = %err, to = %transmit.destination, "SFU send dropped");
                        }
                    }
                },
                Output::Timeout(at) => {
                    if peer.deadline != Some(at) {
                        peer.deadline = Some(at);
                        self.timers.push(Reverse((at, id)));
                    }
                    return;
                }
                Output::Event(event) => self.event(id, event),
            }
        }
    }

    fn event(&mut self, id: PeerId, event: Event) {
        match event {
            Event::Connected => {
                if let Some(peer) = self.peers.get_mut(&id) {
                    peer.connected = true;
                }
            }
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                if let Some(peer) = self.peers.get_mut(&id) {
                    peer.rtc.disconnect();
                }
            }
            Event::MediaAdded(added) => {
                // Only what the browser publishes; our own send-only lines come here too.
                if matches!(added.direction, Direction::RecvOnly | Direction::SendRecv) {
                    self.publish(id, added.mid, added.kind);
                }
            }
            Event::MediaData(data) => self.forward(id, &data),
            Event::KeyframeRequest(request) => {
                // A subscriber lost its picture: ask the publisher for a keyframe of the
                // layer this subscriber receives.
                let origin = self.peers.get(&id).and_then(|peer| {
                    peer.tracks_out
                        .iter()
                        .find(|t| t.state == OutState::Open(request.mid))
                        .map(|t| (t.origin, t.origin_mid, t.layer))
                });
                if let Some((origin, mid, layer)) = origin {
                    self.request_keyframe(origin, mid, layer, request.kind);
                }
            }
            Event::EgressBitrateEstimate(
                BweKind::Twcc { estimate, .. } | BweKind::Remb { estimate, .. },
            ) => {
                if let Some(peer) = self.peers.get_mut(&id) {
                    peer.estimate = estimate;
                }
                self.allocate(id);
            }
            Event::Closed => {
                if let Some(peer) = self.peers.get_mut(&id) {
                    peer.rtc.disconnect();
                }
            }
            _ => {}
        }
    }

    /// A peer publishes a new track: every other peer of the room is to receive it.
    fn publish(&mut self, id: PeerId, mid: Mid, kind: MediaKind) {
        let Some(peer) = self.peers.get_mut(&id) else {
            return;
        };
        peer.tracks_in.push(TrackIn {
            mid,
            kind,
            layers: Vec::new(),
            tap_layer: None,
            tap_timeline: Timeline::default(),
            tap_announced: false,
            tap_keyframed: false,
            tap_dropped: false,
            keyframe_requests: Vec::new(),
        });
        let room = peer.room;
        let stream_id = peer.member.clone();
        for other in self.rooms.get(&room).into_iter().flatten() {
            if *other == id {
                continue;
            }
            if let Some(subscriber) = self.peers.get_mut(other) {
                subscriber
                    .tracks_out
                    .push(TrackOut::new(id, mid, kind, stream_id.clone()));
                subscriber.renegotiate = true;
                self.dirty.push(*other);
            }
        }
    }

    /// Sends one frame of `origin` to every peer of its room that receives that track:
    /// audio to all (unless the court muted the member), video in the simulcast layer
    /// each subscriber's bandwidth affords, switching layers on keyframes.
    fn forward(&mut self, origin: PeerId, data: &MediaData) {
        let Some(publisher) = self.peers.get_mut(&origin) else {
            return;
        };
        let Some(track) = publisher.tracks_in.iter_mut().find(|t| t.mid == data.mid) else {
            return;
        };
        let kind = track.kind;
        // The court's mute: the audio goes nowhere.
        if publisher.muted && kind == MediaKind::Audio {
            return;
        }
        if let Some(rid) = data.rid {
            match track.layers.iter_mut().find(|(seen, _)| *seen == rid) {
                Some(seen) => seen.1 = data.network_time,
                None => track.layers.push((rid, data.network_time)),
            }
        }
        let available = live_layers(&track.layers, data.network_time);
        let room = publisher.room;
        let keyframe = kind == MediaKind::Video && data.is_keyframe();
        // The recording keeps the best layer the publisher sends now (switching on a
        // keyframe when it changes, like a subscriber on a perfect network). Nothing here
        // may wait for the recorder: a full queue costs the recording a packet, never
        // the room.
        let mut recorder_needs_keyframe: Option<Option<Rid>> = None;
        let recorded = match data.rid {
            None => Some(false),
            Some(_) => {
                let target = layers::layer_for(Quality::High, &available);
                if data.rid == track.tap_layer {
                    if target != track.tap_layer {
                        recorder_needs_keyframe = Some(target);
                    }
                    Some(false)
                } else if data.rid == target && keyframe {
                    let switched = track.tap_layer.is_some();
                    track.tap_layer = target;
                    Some(switched)
                } else {
                    if data.rid == target {
                        recorder_needs_keyframe = Some(target);
                    }
                    None
                }
            }
        };
        if let Some(sink) = self.taps.get(&room)
            && let Some(switched) = recorded
        {
            if !track.tap_announced {
                let opened = Tap::Opened {
                    track: TappedTrack {
                        peer: origin,
                        mid: data.mid.to_string(),
                    },
                    member: publisher.member.clone(),
                    video: kind == MediaKind::Video,
                };
                track.tap_announced = sink.try_send(opened).is_ok();
                track.tap_keyframed = false;
            }
            // A video file starts with a keyframe: ask for one (again, past the request
            // interval) rather than wait for the browser's next.
            if kind == MediaKind::Video && track.tap_announced && !track.tap_keyframed {
                if keyframe {
                    track.tap_keyframed = true;
                } else {
                    recorder_needs_keyframe = Some(data.rid);
                }
            }
            let time = track
                .tap_timeline
                .map(data.time, data.network_time, switched);
            let shift = time.numer().wrapping_sub(data.time.numer());
            let tapped = Tap::Media {
                track: TappedTrack {
                    peer: origin,
                    mid: data.mid.to_string(),
                },
                rtp_time: time.numer(),
                wall: wall_time(data.network_time),
                data: data.data.clone(),
                contiguous: data.contiguous && !track.tap_dropped,
                // The report's RTP time on the recorded timeline, as the packets'.
                sender_report: data
                    .last_sender_info
                    .map(|info| (info.ntp_time, info.rtp_time.numer().wrapping_add(shift))),
            };
            let sent = if track.tap_announced {
                sink.try_send(tapped)
            } else {
                Err(std::sync::mpsc::TrySendError::Full(tapped))
            };
            match sent {
                Ok(()) => track.tap_dropped = false,
                Err(std::sync::mpsc::TrySendError::Full(_)) => track.tap_dropped = true,
                Err(std::sync::mpsc::TrySendError::Disconnected(_)) => {
                    self.taps.remove(&room);
                }
            }
        }
        if !data.contiguous {
            self.request_keyframe(origin, data.mid, data.rid, KeyframeRequestKind::Fir);
        }
        if let Some(layer) = recorder_needs_keyframe
            && self.taps.contains_key(&room)
        {
            self.request_keyframe(origin, data.mid, layer, KeyframeRequestKind::Fir);
        }
        let Some(members) = self.rooms.get(&room) else {
            return;
        };
        let mut wanted_keyframes: Vec<Option<Rid>> = Vec::new();
        for subscriber_id in members {
            if *subscriber_id == origin {
                continue;
            }
            let Some(subscriber) = self.peers.get_mut(subscriber_id) else {
                continue;
            };
            let quality = subscriber.quality;
            let Some(track) = subscriber.tracks_out.iter_mut().find(|t| {
                t.origin == origin
                    && t.origin_mid == data.mid
                    && matches!(t.state, OutState::Open(_))
            }) else {
                continue;
            };
            let OutState::Open(mid) = track.state else {
                continue;
            };
            let mut switched = false;
            if kind == MediaKind::Video && data.rid.is_some() {
                let target = layers::layer_for(quality, &available);
                if data.rid != track.layer {
                    if data.rid != target {
                        continue;
                    }
                    // The wanted layer: join it on a keyframe, the picture stays whole.
                    if !keyframe {
                        wanted_keyframes.push(target);
                        continue;
                    }
                    switched = track.layer.is_some();
                    track.layer = data.rid;
                } else if target.is_none() {
                    // Audio only now: the video stops here.
                    track.layer = None;
                    continue;
                } else if target != track.layer {
                    wanted_keyframes.push(target);
                }
            } else if kind == MediaKind::Video && quality == Quality::AudioOnly {
                continue;
            }
            let time = track.timeline.map(data.time, data.network_time, switched);
            let Some(writer) = subscriber.rtc.writer(mid) else {
                continue;
            };
            let Some(pt) = writer.match_params(data.params) else {
                continue;
            };
            if let Err(err) = writer.write(pt, data.network_time, time, data.data.clone()) {
                tracing::debug!(peer = %subscriber_id, error = %err, "SFU write failed; disconnecting");
                subscriber.rtc.disconnect();
            }
            self.dirty.push(*subscriber_id);
        }
        // One request per layer however many subscribers want it (the interval check
        // would drop the repeats anyway; this spares the lookups).
        wanted_keyframes.dedup();
        for layer in wanted_keyframes {
            self.request_keyframe(origin, data.mid, layer, KeyframeRequestKind::Fir);
        }
    }

    /// The simulcast layers a publisher's track is sending now.
    fn available_layers(&self, origin: PeerId, mid: Mid) -> Option<Vec<Rid>> {
        let peer = self.peers.get(&origin)?;
        let track = peer.tracks_in.iter().find(|t| t.mid == mid)?;
        Some(live_layers(&track.layers, Instant::now()))
    }

    /// Re-decides what a subscriber's downlink affords from its bandwidth estimate, and
    /// tells its estimator how far to probe.
    fn allocate(&mut self, id: PeerId) {
        let Some(peer) = self.peers.get_mut(&id) else {
            return;
        };
        let open = |kind: MediaKind| {
            peer.tracks_out
                .iter()
                .filter(|t| t.kind == kind && matches!(t.state, OutState::Open(_)))
                .count()
        };
        let (videos, audios) = (open(MediaKind::Video), open(MediaKind::Audio));
        let mut quality = layers::quality_for(peer.estimate, videos, audios, peer.quality);
        if quality == Quality::AudioOnly && peer.quality != Quality::AudioOnly {
            let now = Instant::now();
            let since = *peer.starved_since.get_or_insert(now);
            if now.saturating_duration_since(since) < AUDIO_ONLY_AFTER {
                quality = Quality::Low;
            }
        } else if quality != Quality::AudioOnly {
            peer.starved_since = None;
        }
        if quality != peer.quality {
            tracing::debug!(peer = %id, estimate = %peer.estimate, ?quality, "SFU layer choice");
            peer.quality = quality;
        }
        peer.rtc
            .bwe()
            .set_bitrate(Bitrate::ZERO, layers::desired_bitrate(videos, audios));
        self.dirty.push(id);
    }

    fn tcp_event(&mut self, event: TcpEvent) {
        match event {
            TcpEvent::Opened {
                remote,
                writer,
                reader,
            } => {
                if self.tcp.len() >= tcp::MAX_CONNECTIONS {
                    tracing::warn!(%remote, "SFU: too many TCP connections; refused");
                    reader.abort();
                    return;
                }
                self.tcp.insert(remote, Connection::new(writer, reader));
            }
            TcpEvent::Datagram { remote, contents } => {
                if self.tcp.contains_key(&remote) {
                    self.receive(&contents, (Protocol::Tcp, remote));
                }
            }
            TcpEvent::Closed { remote } => {
                self.tcp.remove(&remote);
                if let Some(id) = self.by_addr.remove(&(Protocol::Tcp, remote))
                    && let Some(peer) = self.peers.get_mut(&id)
                {
                    peer.addrs.retain(|route| *route != (Protocol::Tcp, remote));
                }
            }
        }
    }

    /// Closes ICE-TCP connections that never carried a valid ICE check.
    fn sweep_tcp(&mut self) {
        let now = tokio::time::Instant::now();
        self.tcp.retain(|remote, connection| {
            let keep = connection.known
                || now.duration_since(connection.opened) < tcp::FIRST_PACKET_TIMEOUT;
            if !keep {
                tracing::debug!(%remote, "SFU: idle TCP connection closed");
            }
            keep
        });
    }

    /// Asks a publisher for a keyframe of one track (of one simulcast layer), at most
    /// every [`KEYFRAME_INTERVAL`] per layer.
    fn request_keyframe(
        &mut self,
        origin: PeerId,
        mid: Mid,
        layer: Option<Rid>,
        kind: KeyframeRequestKind,
    ) {
        let Some(peer) = self.peers.get_mut(&origin) else {
            return;
        };
        let Some(track) = peer.tracks_in.iter_mut().find(|t| t.mid == mid) else {
            return;
        };
        // Without simulcast the layer is `None` whatever a subscriber holds.
        let layer = if track.layers.is_empty() { None } else { layer };
        let now = Instant::now();
        if track
            .keyframe_requests
            .iter()
            .any(|(l, at)| *l == layer && now.duration_since(*at) < KEYFRAME_INTERVAL)
        {
            return;
        }
        let Some(mut writer) = peer.rtc.writer(mid) else {
            return;
        };
        match writer.request_keyframe(layer, kind) {
            Ok(()) => {
                track.keyframe_requests.retain(|(l, _)| *l != layer);
                track.keyframe_requests.push((layer, now));
            }
            Err(err) => tracing::debug!(peer = %origin, error = %err, "keyframe request failed"),
        }
        self.dirty.push(origin);
    }

    /// Ends a peer: its addresses, its room seat, and its tracks at every subscriber.
    fn remove(&mut self, id: PeerId) {
        let Some(mut peer) = self.peers.remove(&id) else {
            return;
        };
        peer.rtc.disconnect();
        self.members.remove(&id);
        for route in &peer.addrs {
            if self.by_addr.get(route) == Some(&id) {
                self.by_addr.remove(route);
                if route.0 == Protocol::Tcp {
                    // The connection served only this peer.
                    self.tcp.remove(&route.1);
                }
            }
        }
        if let Some(sink) = self.taps.get(&peer.room) {
            for track in &peer.tracks_in {
                let closed = Tap::Closed {
                    track: TappedTrack {
                        peer: id,
                        mid: track.mid.to_string(),
                    },
                };
                if track.tap_announced && sink.try_send(closed).is_err() {
                    tracing::warn!(peer = %id, "recorder queue full: a track's end is not recorded");
                }
            }
        }
        if let Some(members) = self.rooms.get_mut(&peer.room) {
            members.retain(|p| *p != id);
            for other in members.iter() {
                let Some(subscriber) = self.peers.get_mut(other) else {
                    continue;
                };
                subscriber
                    .tracks_out
                    .retain(|t| !(t.origin == id && t.state == OutState::ToOpen));
                for track in &mut subscriber.tracks_out {
                    if track.origin == id
                        && let OutState::Open(mid) = track.state
                    {
                        track.state = OutState::ToStop(mid);
                        subscriber.renegotiate = true;
                    }
                }
                self.dirty.push(*other);
            }
            // An empty room is forgotten, unless it is being recorded (the tap is kept
            // for whoever comes back).
            if members.is_empty() && !self.taps.contains_key(&peer.room) {
                self.rooms.remove(&peer.room);
                self.room_ids.retain(|_, room| *room != peer.room);
            }
        }
        let _ = peer.events.send(PeerEvent::Closed);
        tracing::debug!(peer = %id, member = %peer.member, "SFU peer left");
    }
}

/// The layers that arrived lately: a browser pauses its top layer when its uplink
/// cannot carry it, and nobody should wait for a layer that is not coming.
fn live_layers(layers: &[(Rid, Instant)], now: Instant) -> Vec<Rid> {
    layers
        .iter()
        .filter(|(_, seen)| now.saturating_duration_since(*seen) < LAYER_PAUSED)
        .map(|(rid, _)| *rid)
        .collect()
}

/// The wall-clock time of an instant of the engine's clock (a packet's arrival).
fn wall_time(at: Instant) -> SystemTime {
    let now = Instant::now();
    let wall = SystemTime::now();
    if at <= now {
        wall.checked_sub(now.duration_since(at)).unwrap_or(wall)
    } else {
        wall.checked_add(at.duration_since(now)).unwrap_or(wall)
    }
}
