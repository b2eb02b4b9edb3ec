//! cloudcourt's SFU (selective forwarding unit) on str0m: one UDP socket for every peer,
//! ICE-lite, one [`str0m::Rtc`] per participant connection, a room per hearing, and every
//! published audio and video track forwarded to every other peer of the room.
//!
//! The server drives it through a small API: [`Sfu::start`] binds the socket and runs the
//! event loop on its own thread; [`Sfu::join`] takes a browser's SDP offer and returns the
//! answer plus a channel of [`PeerEvent`]s (the SFU's own renegotiation offers when other
//! peers publish, and the end of the peer); [`Sfu::answer`] applies the browser's answer
//! to such an offer; [`Sfu::leave`] ends a peer; [`Sfu::set_muted`] stops (or resumes)
//! forwarding one member's audio to everyone, the court's mute, which holds for the
//! member's later connections to the room too.
//!
//! [`Sfu::tap`] hands every track published in a room, as it arrives, to the room's
//! recorder (see [`recording`]).
//!
//! Browsers reach it over UDP, or where UDP is blocked over ICE-TCP (a passive TCP
//! candidate on the same port number), or through the court's TURN servers (see
//! [`turn`]).

mod engine;
mod layers;
pub mod recording;
mod tcp;
pub mod turn;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use tokio::sync::{mpsc, oneshot};

pub use engine::PeerId;

/// Where the SFU listens and what it tells browsers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SfuConfig {
    /// The UDP socket every peer's media goes through (port 0: any free port).
    pub bind: SocketAddr,
    /// The address browsers send media to (the public address behind NAT). Defaults to
    /// the bound address, or 127.0.0.1 when bound to every interface.
    pub advertise: Option<IpAddr>,
    /// Also listen on TCP at the same port (the passive ICE-TCP candidate).
    pub tcp: bool,
}

impl Default for SfuConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            advertise: None,
            tcp: true,
        }
    }
}

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("cannot bind the media socket {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the media thread: {0}")]
    Thread(std::io::Error),
    #[error("invalid SDP: {0}")]
    Sdp(String),
    #[error("the offer was not accepted: {0}")]
    Negotiation(String),
    #[error("no such peer")]
    UnknownPeer,
    #[error("no offer of ours is waiting for an answer")]
    NoPendingOffer,
    #[error("the media engine has stopped")]
    Stopped,
}

/// What the SFU tells the server about one peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerEvent {
    /// A renegotiation offer (new or ended tracks of other peers) for the browser;
    /// its answer goes to [`Sfu::answer`].
    Offer(String),
    /// The peer is gone (it left, was replaced, or its connection timed out).
    Closed,
}

/// A peer that joined: its id, the SDP answer for the browser, and its events.
#[derive(Debug)]
pub struct Joined {
    pub peer: PeerId,
    pub answer: String,
    pub events: mpsc::UnboundedReceiver<PeerEvent>,
}

/// A track published in a tapped room, as the recorder names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TappedTrack {
    /// The publishing connection (a member who reconnects publishes anew).
    pub peer: PeerId,
    /// The track's media line in that connection.
    pub mid: String,
}

/// What a tapped room's recorder receives, in order, on its channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tap {
    /// A published track (already published when the tap started, or new).
    Opened {
        track: TappedTrack,
        /// The publishing member (the room's member id).
        member: String,
        video: bool,
    },
    /// One Opus packet or VP8 frame as it arrived (the top simulcast layer only).
    Media {
        track: TappedTrack,
        /// The RTP timestamp, extended to 64 bits (48 kHz audio, 90 kHz video).
        rtp_time: u64,
        /// When it arrived.
        wall: std::time::SystemTime,
        /// The payload, shared with the forwarding (no copy).
        data: std::sync::Arc<[u8]>,
        /// `false` after a loss: packets lost on the way, or dropped for the recorder
        /// (its queue full).
        contiguous: bool,
        /// The stream's latest sender report: its NTP time and extended RTP time.
        sender_report: Option<(std::time::SystemTime, u64)>,
    },
    /// The track ended (its publisher left or its connection dropped).
    Closed { track: TappedTrack },
}

pub(crate) enum Command {
    Join {
        room: String,
        member: String,
        offer: String,
        events: mpsc::UnboundedSender<PeerEvent>,
        reply: oneshot::Sender<Result<(PeerId, String), MediaError>>,
    },
    Answer {
        peer: PeerId,
        answer: String,
        reply: oneshot::Sender<Result<(), MediaError>>,
    },
    Leave {
        peer: PeerId,
    },
    SetMuted {
        room: String,
        member: String,
        muted: bool,
    },
    Tap {
        room: String,
        sink: Option<std::sync::mpsc::SyncSender<Tap>>,
    },
}

/// A handle on the running SFU; cheap to clone. The engine stops when every handle is
/// dropped.
#[derive(Clone)]
pub struct Sfu {
    commands: mpsc::UnboundedSender<Command>,
    announced: engine::Announced,
}

impl std::fmt::Debug for Sfu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sfu")
            .field("udp", &self.announced.udp)
            .field("tcp", &self.announced.tcp)
            .finish()
    }
}

impl Sfu {
    /// Binds the sockets and starts the event loop on its own thread.
    pub fn start(config: &SfuConfig) -> Result<Self, MediaError> {
        let (commands, announced) = engine::spawn(config)?;
        Ok(Self {
            commands,
            announced,
        })
    }

    /// The address announced in every answer's UDP host candidate.
    pub fn local_addr(&self) -> SocketAddr {
        self.announced.udp
    }

    /// The address of the passive ICE-TCP candidate, when TCP is on.
    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        self.announced.tcp
    }

    /// Connects `member` to `room` with the browser's SDP `offer`. A peer of the same
    /// member already in the room is replaced.
    pub async fn join(&self, room: &str, member: &str, offer: &str) -> Result<Joined, MediaError> {
        let (events_tx, events) = mpsc::unbounded_channel();
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Join {
                room: room.to_owned(),
                member: member.to_owned(),
                offer: offer.to_owned(),
                events: events_tx,
                reply,
            })
            .map_err(|_| MediaError::Stopped)?;
        let (peer, answer) = answer.await.map_err(|_| MediaError::Stopped)??;
        Ok(Joined {
            peer,
            answer,
            events,
        })
    }

    /// Applies the browser's answer to the SFU's last [`PeerEvent::Offer`].
    pub async fn answer(&self, peer: PeerId, answer: &str) -> Result<(), MediaError> {
        let (reply, done) = oneshot::channel();
        self.commands
            .send(Command::Answer {
                peer,
                answer: answer.to_owned(),
                reply,
            })
            .map_err(|_| MediaError::Stopped)?;
        done.await.map_err(|_| MediaError::Stopped)?
    }

    /// Ends a peer; the others stop receiving its tracks.
    pub fn leave(&self, peer: PeerId) {
        // A stopped engine has no peers left to end.
        let _ = self.commands.send(Command::Leave { peer });
    }

    /// Hands every track published in `room` to `sink` from now on (`None`: stop; the
    /// sink's channel also ends when its receiver is dropped). A full channel drops
    /// packets for the recorder only, which sees the loss (`contiguous: false`) — the
    /// forwarding never waits for a disk.
    pub fn tap(
        &self,
        room: &str,
        sink: Option<std::sync::mpsc::SyncSender<Tap>>,
    ) -> Result<(), MediaError> {
        self.commands
            .send(Command::Tap {
                room: room.to_owned(),
                sink,
            })
            .map_err(|_| MediaError::Stopped)
    }

    /// Mutes (or unmutes) `member` in `room`: while muted, no subscriber receives the
    /// member's audio (video goes on). The mute is kept per room and member, so it holds
    /// for a peer that joins later, and until it is lifted.
    pub fn set_muted(&self, room: &str, member: &str, muted: bool) -> Result<(), MediaError> {
        self.commands
            .send(Command::SetMuted {
                room: room.to_owned(),
                member: member.to_owned(),
                muted,
            })
            .map_err(|_| MediaError::Stopped)
    }
}
