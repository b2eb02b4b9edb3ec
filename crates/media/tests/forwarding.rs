//! The SFU end to end on loopback, with str0m as the browser: it answers an offer, offers
//! the other peer's track, forwards RTP from one client to the other, and stops the track
//! at the subscriber when its publisher leaves; and the court's mute drops a member's
//! audio at the SFU until it is lifted, even for a member who connects while muted; and
//! a client whose UDP is blocked connects over ICE-TCP (RFC 4571 framing) and gets media;
//! a tapped room hands its recorder every track as it arrives.

use media::{PeerEvent, Sfu, SfuConfig, Tap};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::media::{Direction, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive, TcpType};
use str0m::{Candidate, Event, Input, Output, Rtc};

/// How a test client reaches the SFU.
enum Transport {
    Udp(UdpSocket),
    /// An ICE-TCP connection (the client's UDP "blocked") and the bytes read from it
    /// that do not yet make a whole frame.
    Tcp {
        stream: TcpStream,
        server: SocketAddr,
        pending: Vec<u8>,
    },
}

/// A str0m peer standing in for a browser: full ICE (not lite), on UDP or ICE-TCP.
struct Client {
    rtc: Rtc,
    transport: Transport,
    local: SocketAddr,
    connected: bool,
    /// Payloads received, with the stream id of the track they came on.
    received: Vec<(String, Vec<u8>)>,
}

impl Client {
    fn new() -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind a client socket");
        socket.set_nonblocking(true).expect("non-blocking");
        let local = socket.local_addr().expect("local address");
        let mut rtc = Self::rtc();
        rtc.add_local_candidate(Candidate::host(local, "udp").expect("host candidate"));
        Self {
            rtc,
            transport: Transport::Udp(socket),
            local,
            connected: false,
            received: Vec::new(),
        }
    }

    /// A client with no UDP at all: one active ICE-TCP candidate, connected to the
    /// SFU's passive one (as a browser behind a UDP-blocking firewall does).
    fn tcp_only(server: SocketAddr) -> Self {
        let stream = TcpStream::connect(server).expect("connect to the SFU's TCP port");
        stream.set_nonblocking(true).expect("non-blocking");
        stream.set_nodelay(true).expect("no delay");
        let local = stream.local_addr().expect("local address");
        let mut rtc = Self::rtc();
        let candidate = Candidate::builder()
            .tcp()
            .host(local)
            .tcptype(TcpType::Active)
            .build()
            .expect("an active TCP candidate");
        rtc.add_local_candidate(candidate);
        Self {
            rtc,
            transport: Transport::Tcp {
                stream,
                server,
                pending: Vec::new(),
            },
            local,
            connected: false,
            received: Vec::new(),
        }
    }

    fn rtc() -> Rtc {
        Rtc::builder()
            .set_crypto_provider(Arc::new(str0m::crypto::from_feature_flags()))
            .build(Instant::now())
    }

    /// The datagrams that arrived since the last call, with their source.
    fn arrivals(&mut self) -> Vec<(Protocol, SocketAddr, Vec<u8>)> {
        let mut arrived = Vec::new();
        let mut buf = [0u8; 4096];
        match &mut self.transport {
            Transport::Udp(socket) => {
                while let Ok((len, source)) = socket.recv_from(&mut buf) {
                    arrived.push((Protocol::Udp, source, buf[..len].to_vec()));
                }
            }
            Transport::Tcp {
                stream,
                server,
                pending,
            } => {
                loop {
                    match stream.read(&mut buf) {
                        Ok(0) => break,
                        Ok(len) => pending.extend_from_slice(&buf[..len]),
                        Err(err) if err.kind() == ErrorKind::WouldBlock => break,
                        Err(err) => panic!("the ICE-TCP connection failed: {err}"),
                    }
                }
                // RFC 4571: a 16-bit length, then that many bytes.
                while pending.len() >= 2 {
                    let length = usize::from(u16::from_be_bytes([pending[0], pending[1]]));
                    if pending.len() < 2 + length {
                        break;
                    }
                    let frame: Vec<u8> = pending.drain(..2 + length).skip(2).collect();
                    arrived.push((Protocol::Tcp, *server, frame));
                }
            }
        }
        arrived
    }

    fn send(&mut self, proto: Protocol, contents: &[u8], destination: SocketAddr) {
        match &mut self.transport {
            Transport::Udp(socket) => {
                assert_eq!(proto, Protocol::Udp, "a UDP client sends on UDP");
                let _ = socket.send_to(contents, destination);
            }
            Transport::Tcp { stream, server, .. } => {
                assert_eq!(proto, Protocol::Tcp, "a TCP-only client never sends on UDP");
                assert_eq!(destination, *server, "the one TCP connection");
                let length = u16::try_from(contents.len()).expect("a datagram fits a frame");
                let mut framed = length.to_be_bytes().to_vec();
                framed.extend_from_slice(contents);
                // Small writes on loopback: a blocking retry loop is enough for a test.
                let mut written = 0;
                while written < framed.len() {
                    match stream.write(&framed[written..]) {
                        Ok(n) => written += n,
                        Err(err) if err.kind() == ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(1));
                        }
                        Err(err) => panic!("the ICE-TCP connection failed: {err}"),
                    }
                }
            }
        }
    }

    /// Offers one send-only audio track.
    fn offer_audio(&mut self, stream: &str) -> (String, str0m::change::SdpPendingOffer, Mid) {
        let mut change = self.rtc.sdp_api();
        let mid = change.add_media(
            MediaKind::Audio,
            Direction::SendOnly,
            Some(stream.into()),
            None,
            None,
        );
        let (offer, pending) = change.apply().expect("an offer");
        (offer.to_sdp_string(), pending, mid)
    }

    /// Handles what is due and what arrived, without blocking.
    fn drive(&mut self) {
        let now = Instant::now();
        self.rtc
            .handle_input(Input::Timeout(now))
            .expect("timeout handled");
        self.poll();
        for (proto, source, datagram) in self.arrivals() {
            let Ok(contents) = datagram.as_slice().try_into() else {
                continue;
            };
            let input = Input::Receive(
                Instant::now(),
                Receive {
                    proto,
                    source,
                    destination: self.local,
                    contents,
                },
            );
            self.rtc.handle_input(input).expect("input handled");
            self.poll();
        }
    }

    fn poll(&mut self) {
        loop {
            match self.rtc.poll_output().expect("output") {
                Output::Timeout(_) => return,
                Output::Transmit(t) => self.send(t.proto, &t.contents, t.destination),
                Output::Event(Event::Connected) => self.connected = true,
                Output::Event(Event::MediaData(data)) => {
                    let stream = self
                        .rtc
                        .media(data.mid)
                        .map(|m| m.stream_id().to_owned())
                        .unwrap_or_default();
                    self.received.push((stream, data.data.to_vec()));
                }
                Output::Event(_) => {}
            }
        }
    }
}

#[tokio::test]
async fn the_sfu_forwards_audio_between_two_peers() {
    let sfu = Sfu::start(&SfuConfig::default()).expect("the SFU starts");
    let mut pair = Pair::join(sfu.clone(), "hearing-1").await;
    pair.run(Duration::from_secs(15), 20).await;
    assert!(
        pair.alice.connected && pair.bob.connected,
        "both peers connect"
    );
    assert!(
        pair.bob.received.len() >= 20,
        "bob receives alice's audio ({} of {} frames)",
        pair.bob.received.len(),
        pair.sent
    );
    for (stream, payload) in &pair.bob.received {
        assert_eq!(stream, "alice", "the stream id names the publishing member");
        let n = u32::from_be_bytes(payload[..4].try_into().expect("a counter"));
        assert!(n < pair.sent, "the payload is one alice sent");
    }
    assert!(
        pair.alice.received.is_empty(),
        "alice receives nothing: bob's track carries no media"
    );

    // Alice leaves: bob is offered her track stopped (its m-line rejected, port 0).
    sfu.leave(pair.alice_joined.peer);
    let bob = &mut pair.bob;
    let bob_events = &mut pair.bob_joined.events;
    let offer = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            bob.drive();
            if let Ok(event) = bob_events.try_recv() {
                return event;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .expect("bob hears of alice leaving");
    let PeerEvent::Offer(sdp) = offer else {
        panic!("an offer for bob, not {offer:?}");
    };
    assert!(
        sdp.lines().any(|line| line.starts_with("m=audio 0 ")),
        "alice's track is stopped in bob's offer:\n{sdp}"
    );

    sfu.leave(pair.bob_joined.peer);
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match pair.bob_joined.events.recv().await {
                Some(PeerEvent::Offer(_)) => continue,
                other => return other,
            }
        }
    })
    .await
    .expect("bob's events end");
    assert_eq!(closed, Some(PeerEvent::Closed));
}

/// Two clients in one room: alice publishes audio (a frame every 20 ms once connected),
/// bob receives it; both answer the SFU's renegotiation offers as browsers would.
struct Pair {
    sfu: Sfu,
    alice: Client,
    alice_joined: media::Joined,
    alice_mid: Mid,
    bob: Client,
    bob_joined: media::Joined,
    sent: u32,
    next_frame: Instant,
}

impl Pair {
    async fn join(sfu: Sfu, room: &str) -> Self {
        Self::join_with(sfu, room, Client::new()).await
    }

    /// Alice on UDP, and `bob` as given.
    async fn join_with(sfu: Sfu, room: &str, mut bob: Client) -> Self {
        let mut alice = Client::new();
        let (offer, pending, alice_mid) = alice.offer_audio("alice-local");
        let alice_joined = sfu.join(room, "alice", &offer).await.expect("alice joins");
        let answer = SdpAnswer::from_sdp_string(&alice_joined.answer).expect("an SDP answer");
        alice
            .rtc
            .sdp_api()
            .accept_answer(pending, answer)
            .expect("alice accepts the answer");
        let (offer, pending, _) = bob.offer_audio("bob-local");
        let bob_joined = sfu.join(room, "bob", &offer).await.expect("bob joins");
        let answer = SdpAnswer::from_sdp_string(&bob_joined.answer).expect("an SDP answer");
        bob.rtc
            .sdp_api()
            .accept_answer(pending, answer)
            .expect("bob accepts the answer");
        Self {
            sfu,
            alice,
            alice_joined,
            alice_mid,
            bob,
            bob_joined,
            sent: 0,
            next_frame: Instant::now(),
        }
    }

    /// Runs both clients for `duration`, or until bob holds `enough` payloads.
    async fn run(&mut self, duration: Duration, enough: usize) {
        let started = Instant::now();
        while started.elapsed() < duration && self.bob.received.len() < enough {
            self.alice.drive();
            self.bob.drive();
            for (client, joined) in [
                (&mut self.alice, &mut self.alice_joined),
                (&mut self.bob, &mut self.bob_joined),
            ] {
                while let Ok(event) = joined.events.try_recv() {
                    let PeerEvent::Offer(sdp) = event else {
                        panic!("peer closed unexpectedly");
                    };
                    let offer = SdpOffer::from_sdp_string(&sdp).expect("an SDP offer");
                    let answer = client
                        .rtc
                        .sdp_api()
                        .accept_offer(offer)
                        .expect("the SFU's offer is accepted");
                    self.sfu
                        .answer(joined.peer, &answer.to_sdp_string())
                        .await
                        .expect("the SFU takes the answer");
                }
            }
            if self.alice.connected && Instant::now() >= self.next_frame {
                self.next_frame = Instant::now() + Duration::from_millis(20);
                let writer = self
                    .alice
                    .rtc
                    .writer(self.alice_mid)
                    .expect("alice's writer");
                let pt = writer
                    .payload_params()
                    .find(|p| p.spec().codec == str0m::format::Codec::Opus)
                    .map(|p| p.pt())
                    .expect("opus negotiated");
                writer
                    .write(
                        pt,
                        Instant::now(),
                        MediaTime::new(
                            u64::from(self.sent) * 960,
                            str0m::media::Frequency::FORTY_EIGHT_KHZ,
                        ),
                        self.sent.to_be_bytes().to_vec(),
                    )
                    .expect("alice writes a frame");
                self.sent += 1;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

#[tokio::test]
async fn a_muted_member_is_heard_by_nobody_until_unmuted() {
    let sfu = Sfu::start(&SfuConfig::default()).expect("the SFU starts");
    // Muted before connecting: the mute belongs to the member in the room, not to a peer.
    sfu.set_muted("hearing-2", "alice", true)
        .expect("mute alice");
    let mut pair = Pair::join(sfu.clone(), "hearing-2").await;

    // Connected, negotiated and sending for two seconds: bob gets nothing of alice.
    pair.run(Duration::from_secs(3), 1).await;
    assert!(
        pair.alice.connected && pair.bob.connected,
        "both peers connect"
    );
    assert!(
        pair.bob.received.is_empty(),
        "nothing arrives before the offer is answered"
    );
    pair.run(Duration::from_secs(2), 1).await;
    assert!(
        pair.sent >= 50,
        "alice has been sending ({} frames)",
        pair.sent
    );
    assert!(
        pair.bob.received.is_empty(),
        "a muted member's audio reaches nobody ({} frames arrived)",
        pair.bob.received.len()
    );

    // Unmuted: alice's audio flows to bob.
    sfu.set_muted("hearing-2", "alice", false)
        .expect("unmute alice");
    pair.run(Duration::from_secs(10), 20).await;
    assert!(
        pair.bob.received.len() >= 20,
        "bob hears alice once she is unmuted ({} frames)",
        pair.bob.received.len()
    );

    // Muted mid-stream: after the packets in flight, nothing more arrives.
    sfu.set_muted("hearing-2", "alice", true)
        .expect("mute alice again");
    pair.run(Duration::from_millis(300), usize::MAX).await;
    let at_mute = pair.bob.received.len();
    let sent_at_mute = pair.sent;
    pair.run(Duration::from_secs(2), usize::MAX).await;
    assert!(pair.sent >= sent_at_mute + 50, "alice kept sending");
    assert_eq!(
        pair.bob.received.len(),
        at_mute,
        "no audio of a muted member is forwarded"
    );

    // And unmuted again: it flows again.
    sfu.set_muted("hearing-2", "alice", false)
        .expect("unmute alice again");
    pair.run(Duration::from_secs(10), at_mute + 20).await;
    assert!(
        pair.bob.received.len() >= at_mute + 20,
        "bob hears alice again ({} new frames)",
        pair.bob.received.len() - at_mute
    );
}

#[tokio::test]
async fn a_client_without_udp_connects_over_ice_tcp() {
    let sfu = Sfu::start(&SfuConfig::default()).expect("the SFU starts");
    let tcp = sfu.tcp_addr().expect("ICE-TCP is on by default");
    assert_eq!(
        tcp.port(),
        sfu.local_addr().port(),
        "TCP listens on the UDP port's number"
    );
    let bob = Client::tcp_only(tcp);
    let mut pair = Pair::join_with(sfu.clone(), "hearing-3", bob).await;
    assert!(
        pair.bob_joined
            .answer
            .lines()
            .any(|line| line.contains(" tcp ") && line.contains("tcptype passive")),
        "the answer carries a passive TCP candidate:\n{}",
        pair.bob_joined.answer
    );
    pair.run(Duration::from_secs(15), 20).await;
    assert!(pair.bob.connected, "bob connects over TCP");
    assert!(
        pair.bob.received.len() >= 20,
        "bob receives alice's audio over TCP ({} of {} frames)",
        pair.bob.received.len(),
        pair.sent
    );
}

#[tokio::test]
async fn a_tcp_connection_that_is_not_ice_is_closed() {
    let sfu = Sfu::start(&SfuConfig::default()).expect("the SFU starts");
    let tcp = sfu.tcp_addr().expect("ICE-TCP is on");
    let mut stream = TcpStream::connect(tcp).expect("connect");
    // A well-framed datagram that is no ICE check of any peer.
    stream
        .write_all(&[0, 4, b'n', b'o', b'p', b'e'])
        .expect("write");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut buf = [0u8; 16];
    let read = stream.read(&mut buf);
    assert!(
        matches!(read, Ok(0)) || read.is_err_and(|e| e.kind() == ErrorKind::ConnectionReset),
        "the SFU hangs up"
    );
}

#[tokio::test]
async fn a_tapped_room_hands_every_packet_to_its_recorder() {
    let sfu = Sfu::start(&SfuConfig::default()).expect("the SFU starts");
    let (sink, recorder) = std::sync::mpsc::sync_channel(1024);
    // Tapped before anyone comes: the tap waits for the room's members.
    sfu.tap("hearing-4", Some(sink)).expect("tap");
    let mut pair = Pair::join(sfu.clone(), "hearing-4").await;
    pair.run(Duration::from_secs(15), 20).await;
    assert!(pair.bob.received.len() >= 20, "forwarding goes on as usual");
    let before_leaving = pair.sent;
    sfu.leave(pair.alice_joined.peer);

    let mut taps = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        match recorder.recv_timeout(Duration::from_millis(100)) {
            Ok(tap) => {
                let closed = matches!(tap, Tap::Closed { .. });
                taps.push(tap);
                if closed {
                    break;
                }
            }
            Err(_) => continue,
        }
    }
    let Some(Tap::Opened {
        track,
        member,
        video,
    }) = taps.first()
    else {
        panic!("the track is announced first: {:?}", taps.first());
    };
    assert_eq!(member, "alice");
    assert!(!video, "an audio track");
    let media: Vec<(u64, Vec<u8>, bool)> = taps
        .iter()
        .filter_map(|tap| match tap {
            Tap::Media {
                track: t,
                rtp_time,
                data,
                contiguous,
                ..
            } if t == track => Some((*rtp_time, data.to_vec(), *contiguous)),
            _ => None,
        })
        .collect();
    assert!(
        media.len() as u32 + 5 >= before_leaving,
        "every packet alice sent reaches the recorder ({} of {before_leaving})",
        media.len()
    );
    for pair in media.windows(2) {
        assert_eq!(
            pair[1].0 - pair[0].0,
            960,
            "20 ms apart on the 48 kHz clock"
        );
        let n = u32::from_be_bytes(pair[0].1[..4].try_into().expect("4 bytes"));
        let next = u32::from_be_bytes(pair[1].1[..4].try_into().expect("4 bytes"));
        assert_eq!(next, n + 1, "in order, none lost");
    }
    assert!(media.iter().skip(1).all(|m| m.2), "no loss on loopback");
    assert!(
        matches!(taps.last(), Some(Tap::Closed { track: t }) if t == track),
        "the track's end is told when alice leaves"
    );
    // Untapped: nothing more arrives, and the channel is let go.
    sfu.tap("hearing-4", None).expect("untap");
    let gone = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if matches!(
                recorder.try_recv(),
                Err(std::sync::mpsc::TryRecvError::Disconnected)
            ) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(
        gone.is_ok(),
        "the SFU drops its end of the recorder's channel"
    );
}
