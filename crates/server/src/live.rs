//! The live channel of each hearing: who is connected, and the numbered messages
//! (state, roster) every client of the hearing receives. A client that reconnects says
//! the last number it saw and gets what it missed, or a fresh snapshot when too much
//! has passed. Messages are serialised once and shared by every connection. The hub also
//! keeps who the court muted (shown in the roster; the SFU enforces it), in memory like
//! the media sessions themselves.

use court::{HearingId, ParticipantId, UserId};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{broadcast, oneshot};

/// How many past messages a hearing keeps for clients that reconnect.
const HISTORY: usize = 512;

/// Someone connected to a hearing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Member {
    Staff(UserId),
    Participant(ParticipantId),
}

/// One numbered message, as sent.
#[derive(Debug)]
pub struct Numbered {
    pub seq: u64,
    pub json: String,
}

/// What a new connection starts from.
pub enum Catchup {
    /// The messages after the client's last one, in order.
    Replay(Vec<Arc<Numbered>>),
    /// Too old or unknown: send a snapshot numbered `seq` (the current number).
    Snapshot { seq: u64 },
}

/// A registered connection; dropping it does not unregister (call [`LiveHub::leave`]).
pub struct Joined {
    pub connection: u64,
    pub events: broadcast::Receiver<Arc<Numbered>>,
    pub catchup: Catchup,
    /// Fires when the same member connects again elsewhere (this one is replaced).
    pub replaced: oneshot::Receiver<()>,
}

struct Channel {
    seq: u64,
    history: VecDeque<Arc<Numbered>>,
    sender: broadcast::Sender<Arc<Numbered>>,
    /// Member → (connection number, the signal that replaces it).
    present: HashMap<Member, (u64, oneshot::Sender<()>)>,
    /// Members the court muted.
    muted: HashSet<Member>,
}

impl Channel {
    fn new() -> Self {
        Self {
            seq: 0,
            history: VecDeque::with_capacity(HISTORY),
            sender: broadcast::channel(HISTORY).0,
            present: HashMap::new(),
            muted: HashSet::new(),
        }
    }
}

#[derive(Default)]
pub struct LiveHub {
    channels: Mutex<HashMap<HearingId, Channel>>,
    next_connection: std::sync::atomic::AtomicU64,
}

impl LiveHub {
    fn channels(&self) -> MutexGuard<'_, HashMap<HearingId, Channel>> {
        self.channels
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Numbers `body` (a JSON object without `seq`) and sends it to the hearing's clients.
    pub fn publish(&self, hearing: HearingId, body: serde_json::Value) {
        let mut channels = self.channels();
        let channel = channels.entry(hearing).or_insert_with(Channel::new);
        channel.seq += 1;
        let mut body = body;
        if let Some(object) = body.as_object_mut() {
            object.insert("seq".into(), channel.seq.into());
        }
        let message = Arc::new(Numbered {
            seq: channel.seq,
            json: body.to_string(),
        });
        if channel.history.len() == HISTORY {
            channel.history.pop_front();
        }
        channel.history.push_back(message.clone());
        // No receivers is fine: nobody is connected.
        let _ = channel.sender.send(message);
    }

    /// Registers `member`'s connection and says where it starts: after `since` when
    /// the history still holds it, else from a snapshot. A previous connection of the
    /// same member is told it was replaced.
    pub fn join(&self, hearing: HearingId, member: Member, since: Option<u64>) -> Joined {
        let connection = self
            .next_connection
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut channels = self.channels();
        let channel = channels.entry(hearing).or_insert_with(Channel::new);
        let (replace, replaced) = oneshot::channel();
        if let Some((_, previous)) = channel.present.insert(member, (connection, replace)) {
            let _ = previous.send(());
        }
        let events = channel.sender.subscribe();
        let oldest = channel.history.front().map_or(channel.seq + 1, |m| m.seq);
        let catchup = match since {
            Some(seen) if seen <= channel.seq && seen + 1 >= oldest => Catchup::Replay(
                channel
                    .history
                    .iter()
                    .filter(|m| m.seq > seen)
                    .cloned()
                    .collect(),
            ),
            _ => Catchup::Snapshot { seq: channel.seq },
        };
        Joined {
            connection,
            events,
            catchup,
            replaced,
        }
    }

    /// Unregisters a connection (unless a newer one of the same member replaced it).
    /// Returns whether the member is gone.
    pub fn leave(&self, hearing: HearingId, member: Member, connection: u64) -> bool {
        let mut channels = self.channels();
        let Some(channel) = channels.get_mut(&hearing) else {
            return false;
        };
        if channel
            .present
            .get(&member)
            .is_some_and(|(current, _)| *current == connection)
        {
            channel.present.remove(&member);
            return true;
        }
        false
    }

    /// Records that the court muted (or unmuted) `member`; returns whether that changed.
    pub fn set_muted(&self, hearing: HearingId, member: Member, muted: bool) -> bool {
        let mut channels = self.channels();
        let channel = channels.entry(hearing).or_insert_with(Channel::new);
        if muted {
            channel.muted.insert(member)
        } else {
            channel.muted.remove(&member)
        }
    }

    pub fn is_muted(&self, hearing: HearingId, member: Member) -> bool {
        self.channels()
            .get(&hearing)
            .is_some_and(|channel| channel.muted.contains(&member))
    }

    pub fn is_present(&self, hearing: HearingId, member: Member) -> bool {
        self.channels()
            .get(&hearing)
            .is_some_and(|channel| channel.present.contains_key(&member))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn seqs(catchup: &Catchup) -> Vec<u64> {
        match catchup {
            Catchup::Replay(messages) => messages.iter().map(|m| m.seq).collect(),
            Catchup::Snapshot { seq } => vec![1_000_000 + seq],
        }
    }

    #[test]
    fn a_reconnecting_client_gets_what_it_missed() {
        let hub = LiveHub::default();
        let hearing = HearingId::new();
        let member = Member::Participant(ParticipantId::new());
        let first = hub.join(hearing, member, None);
        assert_eq!(
            seqs(&first.catchup),
            vec![1_000_000],
            "a new client starts from a snapshot"
        );
        hub.publish(hearing, json!({"type": "state"}));
        hub.publish(hearing, json!({"type": "roster"}));
        assert!(hub.leave(hearing, member, first.connection));
        hub.publish(hearing, json!({"type": "state"}));
        let again = hub.join(hearing, member, Some(1));
        assert_eq!(seqs(&again.catchup), vec![2, 3]);
        let Catchup::Replay(missed) = &again.catchup else {
            panic!("replay")
        };
        assert_eq!(missed[0].json, r#"{"seq":2,"type":"roster"}"#);
        // A number from the future, or one too old, gets a snapshot.
        assert_eq!(
            seqs(&hub.join(hearing, member, Some(9)).catchup),
            vec![1_000_003]
        );
    }

    #[test]
    fn history_is_bounded() {
        let hub = LiveHub::default();
        let hearing = HearingId::new();
        for _ in 0..(HISTORY + 10) {
            hub.publish(hearing, json!({"type": "state"}));
        }
        let member = Member::Staff(UserId::new());
        assert!(matches!(
            hub.join(hearing, member, Some(5)).catchup,
            Catchup::Snapshot { .. }
        ));
        let recent = hub
            .join(hearing, member, Some((HISTORY + 5) as u64))
            .catchup;
        assert_eq!(
            seqs(&recent),
            vec![
                (HISTORY + 6) as u64,
                (HISTORY + 7) as u64,
                (HISTORY + 8) as u64,
                (HISTORY + 9) as u64,
                (HISTORY + 10) as u64
            ]
        );
    }

    #[test]
    fn a_second_connection_replaces_the_first() {
        let hub = LiveHub::default();
        let hearing = HearingId::new();
        let member = Member::Participant(ParticipantId::new());
        let mut first = hub.join(hearing, member, None);
        let second = hub.join(hearing, member, None);
        assert!(first.replaced.try_recv().is_ok(), "the first is told");
        assert!(
            !hub.leave(hearing, member, first.connection),
            "the old one leaving changes nothing"
        );
        assert!(hub.is_present(hearing, member));
        assert!(hub.leave(hearing, member, second.connection));
        assert!(!hub.is_present(hearing, member));
    }
}
