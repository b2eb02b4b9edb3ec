//! The audit log (日志): append-only events, each sealed with the SHA-256 of the previous
//! event's hash and its own canonical content, so any change to a stored row shows.

use crate::{CourtId, HearingId, ParticipantId, UserId};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// The hash that the first event of a chain points back to.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditActor {
    Staff {
        id: UserId,
        username: String,
    },
    Participant {
        id: ParticipantId,
        name: String,
    },
    /// The operator at the server's command line (`cloudcourt admin …`).
    Cli,
    /// The server itself (start-up, demo data, scheduled work).
    System,
}

impl AuditActor {
    /// The stable text stored with the event, e.g. `staff:<uuid>:clerk`.
    pub fn label(&self) -> String {
        match self {
            AuditActor::Staff { id, username } => format!("staff:{id}:{username}"),
            AuditActor::Participant { id, name } => format!("participant:{id}:{name}"),
            AuditActor::Cli => "cli".to_owned(),
            AuditActor::System => "system".to_owned(),
        }
    }
}

/// An event about to be appended; the store gives it its place in the chain.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEvent {
    pub actor: AuditActor,
    /// Dotted verb, e.g. `hearing.create`, `participant.update`, `session.login`.
    pub action: &'static str,
    pub court_id: Option<CourtId>,
    pub hearing_id: Option<HearingId>,
    pub details: Value,
}

impl NewAuditEvent {
    pub fn new(actor: AuditActor, action: &'static str, details: Value) -> Self {
        Self {
            actor,
            action,
            court_id: None,
            hearing_id: None,
            details,
        }
    }

    pub fn court(mut self, court_id: CourtId) -> Self {
        self.court_id = Some(court_id);
        self
    }

    pub fn hearing(mut self, hearing_id: HearingId) -> Self {
        self.hearing_id = Some(hearing_id);
        self
    }

    /// Seals the event as number `seq` of the chain, after the event whose hash is
    /// `prev_hash`, at time `at` (kept to the microsecond, as the databases store it).
    pub fn seal(self, seq: i64, prev_hash: &str, at: DateTime<Utc>) -> AuditEvent {
        let mut event = AuditEvent {
            seq,
            at: crate::to_storage_precision(at),
            actor: self.actor.label(),
            action: self.action.to_owned(),
            court_id: self.court_id,
            hearing_id: self.hearing_id,
            details: self.details,
            prev_hash: prev_hash.to_owned(),
            hash: String::new(),
        };
        event.hash = event.computed_hash();
        event
    }
}

/// One stored event of the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEvent {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub court_id: Option<CourtId>,
    pub hearing_id: Option<HearingId>,
    #[schema(value_type = Object)]
    pub details: Value,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEvent {
    /// The canonical content: JSON with sorted keys, no spaces, times in RFC 3339 UTC
    /// with microseconds. Stable across databases and versions of serde_json.
    pub fn canonical_content(&self) -> String {
        let mut out = String::new();
        let content = serde_json::json!({
            "seq": self.seq,
            "at": self.at.to_rfc3339_opts(SecondsFormat::Micros, true),
            "actor": self.actor,
            "action": self.action,
            "court_id": self.court_id.map(|id| id.to_string()),
            "hearing_id": self.hearing_id.map(|id| id.to_string()),
            "details": self.details,
        });
        write_canonical(&content, &mut out);
        out
    }

    /// SHA-256 (hex) of the previous hash, a newline, and the canonical content.
    pub fn computed_hash(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.prev_hash.as_bytes());
        hasher.update(b"\n");
        hasher.update(self.canonical_content().as_bytes());
        hex::encode(hasher.finalize())
    }
}

/// Writes JSON with object keys sorted at every depth.
fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(&Value::String(key.clone()), out);
                out.push(':');
                write_canonical(&map[key.as_str()], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => {
            // Scalars have one JSON form; writing to a String cannot fail.
            let _ = write!(out, "{scalar}");
        }
    }
}

/// Where and why the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit chain broken at row {seq}: {reason}")]
pub struct ChainBreak {
    pub seq: i64,
    pub reason: String,
}

/// Checks a chain read in order of `seq`, one event at a time, so that a long log is
/// verified without holding it in memory.
#[derive(Debug)]
pub struct ChainVerifier {
    next_seq: i64,
    prev_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            next_seq: 1,
            prev_hash: GENESIS_HASH.to_owned(),
        }
    }
}

impl ChainVerifier {
    pub fn check(&mut self, event: &AuditEvent) -> Result<(), ChainBreak> {
        let broken = |reason: String| ChainBreak {
            seq: event.seq,
            reason,
        };
        if event.seq != self.next_seq {
            return Err(ChainBreak {
                seq: self.next_seq,
                reason: format!(
                    "row {} is missing (next row found is {})",
                    self.next_seq, event.seq
                ),
            });
        }
        if event.prev_hash != self.prev_hash {
            return Err(broken(
                "its previous-hash does not match the row before it".into(),
            ));
        }
        if event.computed_hash() != event.hash {
            return Err(broken(
                "its content does not match its hash (the row was altered)".into(),
            ));
        }
        self.next_seq += 1;
        self.prev_hash = event.hash.clone();
        Ok(())
    }

    /// Ends the check against the chain's head (the last sequence number and hash the
    /// store recorded), which reveals rows removed from the end. Returns the row count.
    pub fn finish(self, head: Option<(i64, &str)>) -> Result<i64, ChainBreak> {
        let last = self.next_seq - 1;
        match head {
            None if last == 0 => Ok(0),
            Some((seq, hash)) if seq == last && hash == self.prev_hash => Ok(last),
            Some((seq, _)) if seq > last => Err(ChainBreak {
                seq: last + 1,
                reason: format!("rows {} to {seq} are missing", last + 1),
            }),
            _ => Err(ChainBreak {
                seq: last,
                reason: "the chain head does not match the last row".into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn chain(n: i64) -> Vec<AuditEvent> {
        let mut prev = GENESIS_HASH.to_owned();
        let start = Utc
            .with_ymd_and_hms(2026, 11, 28, 9, 0, 0)
            .single()
            .expect("valid");
        (1..=n)
            .map(|seq| {
                let event = NewAuditEvent::new(
                    AuditActor::System,
                    "test.event",
                    json!({"n": seq, "名": "贾1"}),
                )
                .court(CourtId::new())
                .seal(
                    seq,
                    &prev,
                    start + chrono::Duration::nanoseconds(seq * 1_234_567),
                );
                prev = event.hash.clone();
                event
            })
            .collect()
    }

    fn verify(events: &[AuditEvent], head: Option<(i64, &str)>) -> Result<i64, ChainBreak> {
        let mut verifier = ChainVerifier::default();
        for event in events {
            verifier.check(event)?;
        }
        verifier.finish(head)
    }

    #[test]
    fn an_intact_chain_verifies() {
        let events = chain(5);
        let last = events.last().expect("five events");
        assert_eq!(verify(&events, Some((5, &last.hash))), Ok(5));
        assert_eq!(verify(&[], None), Ok(0));
    }

    #[test]
    fn canonical_content_sorts_keys_and_keeps_microseconds() {
        let events = chain(1);
        let content = events[0].canonical_content();
        assert!(content.starts_with("{\"action\":\"test.event\",\"actor\":\"system\",\"at\":\"2026-11-28T09:00:00.001234Z\""), "{content}");
        assert!(content.contains("\"details\":{\"n\":1,\"名\":\"贾1\"}"));
    }

    #[test]
    fn an_altered_row_is_named() {
        let mut events = chain(4);
        events[2].details = json!({"n": 99});
        let head = events[3].hash.clone();
        let err = verify(&events, Some((4, &head))).expect_err("altered");
        assert_eq!(err.seq, 3);
        assert!(err.reason.contains("altered"));
    }

    #[test]
    fn a_rehashed_row_breaks_the_next_link() {
        let mut events = chain(4);
        events[1].actor = "staff:forged".into();
        events[1].hash = events[1].computed_hash();
        let head = events[3].hash.clone();
        let err = verify(&events, Some((4, &head))).expect_err("relinked");
        assert_eq!(err.seq, 3);
    }

    #[test]
    fn removed_rows_are_found() {
        let events = chain(4);
        let head = events[3].hash.clone();
        let mut middle_gone = events.clone();
        middle_gone.remove(1);
        assert_eq!(
            verify(&middle_gone, Some((4, &head))).map_err(|e| e.seq),
            Err(2)
        );
        let tail_gone = &events[..2];
        assert_eq!(
            verify(tail_gone, Some((4, &head))).map_err(|e| e.seq),
            Err(3)
        );
    }
}
