//! The live channel of each hearing: who is connected, and the numbered messages
//! (state, roster) every client of the hearing receives. A client that reconnects says
//! the last number it saw and gets what it missed, or a fresh snapshot when too much
//! has passed. Messages are serialised once and shared by every connection. The hub also
//! keeps who the court muted (shown in the roster; the SFU enforces it).
//!
//! On one node (SQLite) all of it is in this process. With several nodes on PostgreSQL
//! the hub is [`LiveHub::clustered`]: a message is appended to the hearing's numbered
//! log in the database, whose NOTIFY wakes every node; each node reads the new messages
//! ([`LiveHub::catch_up`]) and sends them to its own clients, so the numbers are the
//! same on every node and a client may reconnect to any of them. Presence and mutes are
//! then kept in the database too.

use court::{HearingId, ParticipantId, UserId};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use store::cluster::ClusterDb;
use tokio::sync::{broadcast, mpsc, oneshot};
use uuid::Uuid;

/// How many past messages a hearing keeps for clients that reconnect.
const HISTORY: usize = 512;

/// A message waiting to be appended to a hearing's log (cluster mode).
pub type Outgoing = (HearingId, String);

/// Someone connected to a hearing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Member {
    Staff(UserId),
    Participant(ParticipantId),
}

impl Member {
    /// The id the roster shows (a user's or a participant's).
    pub fn uuid(&self) -> Uuid {
        match self {
            Member::Staff(id) => id.0,
            Member::Participant(id) => id.0,
        }
    }
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
    /// Cluster mode: the shared log, presence and mutes.
    shared: Option<Shared>,
}

struct Shared {
    db: ClusterDb,
    node: Uuid,
    /// Messages to append, in the order this node published them.
    outgoing: mpsc::UnboundedSender<Outgoing>,
    /// One catch-up at a time, so that messages are delivered once and in order.
    catching_up: tokio::sync::Mutex<()>,
}

impl LiveHub {
    fn channels(&self) -> MutexGuard<'_, HashMap<HearingId, Channel>> {
        self.channels
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A hub whose messages, presence and mutes live in the shared database; the
    /// receiver yields the messages to append ([`append_outgoing`]).
    pub fn clustered(db: ClusterDb, node: Uuid) -> (Self, mpsc::UnboundedReceiver<Outgoing>) {
        let (outgoing, receiver) = mpsc::unbounded_channel();
        let hub = Self {
            shared: Some(Shared {
                db,
                node,
                outgoing,
                catching_up: tokio::sync::Mutex::new(()),
            }),
            ..Self::default()
        };
        (hub, receiver)
    }

    /// Numbers `body` (a JSON object without `seq`) and sends it to the hearing's clients
    /// (in cluster mode: to every node's, through the hearing's log).
    pub fn publish(&self, hearing: HearingId, body: serde_json::Value) {
        if let Some(shared) = &self.shared {
            if shared.outgoing.send((hearing, body.to_string())).is_err() {
                tracing::error!(hearing = %hearing, "the live log writer stopped: message lost");
            }
            return;
        }
        let mut channels = self.channels();
        let channel = channels.entry(hearing).or_insert_with(Channel::new);
        let seq = channel.seq + 1;
        deliver(channel, seq, body);
    }

    /// Cluster mode: reads `hearing`'s messages this node has not delivered yet from the
    /// log and sends them to its clients, in order; returns them. A hearing nobody
    /// follows here is skipped unless `open` (then its channel is made).
    pub async fn catch_up(&self, hearing: HearingId, open: bool) -> Vec<Arc<Numbered>> {
        let Some(shared) = &self.shared else {
            return Vec::new();
        };
        let _one_at_a_time = shared.catching_up.lock().await;
        self.catch_up_now(shared, hearing, open).await
    }

    /// Registers a connection as [`LiveHub::join`] does, on a channel caught up with the
    /// log first (cluster mode), with no catch-up or clean-up in between.
    pub async fn join_following(
        &self,
        hearing: HearingId,
        member: Member,
        since: Option<u64>,
    ) -> Joined {
        let Some(shared) = &self.shared else {
            return self.join(hearing, member, since);
        };
        let _one_at_a_time = shared.catching_up.lock().await;
        self.catch_up_now(shared, hearing, true).await;
        self.join(hearing, member, since)
    }

    async fn catch_up_now(
        &self,
        shared: &Shared,
        hearing: HearingId,
        open: bool,
    ) -> Vec<Arc<Numbered>> {
        let after = {
            let mut channels = self.channels();
            match channels.get(&hearing) {
                Some(channel) => channel.seq,
                None if open => channels.entry(hearing).or_insert_with(Channel::new).seq,
                None => return Vec::new(),
            }
        };
        let events = match shared
            .db
            .events_after(hearing, after as i64, HISTORY as i64)
            .await
        {
            Ok(events) => events,
            Err(err) => {
                tracing::warn!(hearing = %hearing, error = %err, "live log unreadable");
                return Vec::new();
            }
        };
        let mut channels = self.channels();
        let Some(channel) = channels.get_mut(&hearing) else {
            return Vec::new();
        };
        let mut delivered = Vec::new();
        for (seq, body) in events {
            let seq = seq as u64;
            if seq <= channel.seq {
                continue;
            }
            match serde_json::from_str(&body) {
                Ok(body) => delivered.push(deliver(channel, seq, body)),
                Err(err) => {
                    tracing::warn!(hearing = %hearing, seq, error = %err, "live log entry unreadable");
                    channel.seq = seq;
                }
            }
        }
        delivered
    }

    /// The hearings this node has a channel for (cluster mode: to catch up after the
    /// listener reconnected).
    pub fn hearings(&self) -> Vec<HearingId> {
        self.channels().keys().copied().collect()
    }

    /// Forgets a hearing's channel when nobody here follows it any more.
    pub async fn forget_if_idle(&self, hearing: HearingId) {
        // Never between a connection's catch-up and its joining.
        let _one_at_a_time = match &self.shared {
            Some(shared) => Some(shared.catching_up.lock().await),
            None => None,
        };
        let mut channels = self.channels();
        if channels
            .get(&hearing)
            .is_some_and(|c| c.present.is_empty() && c.sender.receiver_count() == 0)
        {
            channels.remove(&hearing);
        }
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

    /// Cluster mode: records in the database that `member` is connected here (or no
    /// longer is: `connection` none), for every node's rosters.
    pub async fn share_presence(
        &self,
        hearing: HearingId,
        member: Member,
        connection: u64,
        here: bool,
    ) {
        let Some(shared) = &self.shared else { return };
        let connection = connection as i64;
        let result = if here {
            shared
                .db
                .set_present(hearing, member.uuid(), shared.node, connection)
                .await
        } else {
            shared
                .db
                .set_absent(hearing, member.uuid(), shared.node, connection)
                .await
        };
        if let Err(err) = result {
            tracing::warn!(hearing = %hearing, error = %err, "presence not shared");
        }
    }

    /// Who is connected to the hearing (through any live node).
    pub async fn present(&self, hearing: HearingId) -> store::Result<HashSet<Uuid>> {
        if let Some(shared) = &self.shared {
            return Ok(shared
                .db
                .present_members(hearing)
                .await?
                .into_iter()
                .collect());
        }
        Ok(self
            .channels()
            .get(&hearing)
            .map(|channel| channel.present.keys().map(Member::uuid).collect())
            .unwrap_or_default())
    }

    /// Whom the court muted in the hearing.
    pub async fn muted(&self, hearing: HearingId) -> store::Result<HashSet<Uuid>> {
        if let Some(shared) = &self.shared {
            return Ok(shared
                .db
                .muted_members(hearing)
                .await?
                .into_iter()
                .collect());
        }
        Ok(self
            .channels()
            .get(&hearing)
            .map(|channel| channel.muted.iter().map(Member::uuid).collect())
            .unwrap_or_default())
    }

    /// Records that the court muted (or unmuted) `member`; returns whether that changed.
    pub async fn set_muted(
        &self,
        hearing: HearingId,
        member: Member,
        muted: bool,
    ) -> store::Result<bool> {
        if let Some(shared) = &self.shared {
            return shared.db.set_muted(hearing, member.uuid(), muted).await;
        }
        Ok(self.set_muted_here(hearing, member, muted))
    }

    fn set_muted_here(&self, hearing: HearingId, member: Member, muted: bool) -> bool {
        let mut channels = self.channels();
        let channel = channels.entry(hearing).or_insert_with(Channel::new);
        if muted {
            channel.muted.insert(member)
        } else {
            channel.muted.remove(&member)
        }
    }

    pub fn is_present(&self, hearing: HearingId, member: Member) -> bool {
        self.channels()
            .get(&hearing)
            .is_some_and(|channel| channel.present.contains_key(&member))
    }
}

/// Numbers `body` as message `seq` of the channel, keeps it for reconnecting clients and
/// sends it to the connected ones.
fn deliver(channel: &mut Channel, seq: u64, mut body: serde_json::Value) -> Arc<Numbered> {
    channel.seq = seq;
    if let Some(object) = body.as_object_mut() {
        object.insert("seq".into(), seq.into());
    }
    let message = Arc::new(Numbered {
        seq,
        json: body.to_string(),
    });
    if channel.history.len() == HISTORY {
        channel.history.pop_front();
    }
    channel.history.push_back(message.clone());
    // No receivers is fine: nobody is connected.
    let _ = channel.sender.send(message.clone());
    message
}

/// Cluster mode: appends this node's messages to the hearings' logs, in order, until
/// the hub is gone. A message that cannot be written is retried for a while: the
/// database may be restarting.
pub async fn append_outgoing(db: ClusterDb, mut outgoing: mpsc::UnboundedReceiver<Outgoing>) {
    while let Some((hearing, body)) = outgoing.recv().await {
        let mut attempt = 0u32;
        loop {
            match db.append_event(hearing, &body).await {
                Ok(_) => break,
                Err(err) if attempt < 20 => {
                    attempt += 1;
                    tracing::warn!(hearing = %hearing, error = %err, attempt, "live message not appended yet");
                    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                }
                Err(err) => {
                    tracing::error!(hearing = %hearing, error = %err, "live message lost");
                    break;
                }
            }
        }
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
