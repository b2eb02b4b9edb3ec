//! Delivery receipts: parsing the SMPP 3.4 receipt text (appendix B) and matching
//! receipts to sent messages, whose parts each have their own SMSC message id.
//!
//! Rule for a message of several parts: it is delivered when every part reports
//! `DELIVRD`, and failed as soon as one part reports a final state other than
//! `DELIVRD` (the receipt then carries that part's state). One receipt is reported
//! per message, under the id of its first part (the id `send` returned).

use crate::Receipt;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// The fields of a receipt's text that the driver uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptText {
    pub id: String,
    pub stat: String,
    pub err: Option<String>,
}

/// Parses `id:… sub:… dlvrd:… submit date:… done date:… stat:… err:… text:…`.
///
/// Keys are matched without regard to case and wherever they start a word, since
/// SMSCs differ in case, order and spacing; `text:` runs to the end. Needs `id` and
/// `stat`.
pub fn parse_receipt_text(text: &str) -> Option<ReceiptText> {
    // ASCII lowercasing keeps byte offsets, so positions found in `lower` index `text`.
    let lower = text.to_ascii_lowercase();
    let field = |key: &str| -> Option<String> {
        let pattern = format!("{key}:");
        let mut from = 0;
        while let Some(found) = lower[from..].find(&pattern) {
            let start = from + found;
            let at_word_start =
                start == 0 || lower[..start].ends_with(|c: char| c.is_ascii_whitespace());
            if at_word_start {
                // The value runs to the next space; `id: stat:…` has an empty id.
                let value_start = start + pattern.len();
                let value = text[value_start..]
                    .split(|c: char| c.is_ascii_whitespace())
                    .next()
                    .unwrap_or("");
                return Some(value.to_owned());
            }
            from = start + pattern.len();
        }
        None
    };
    let id = field("id").filter(|id| !id.is_empty())?;
    let stat = field("stat")
        .filter(|stat| !stat.is_empty())?
        .to_ascii_uppercase();
    let err = field("err").filter(|err| !err.is_empty());
    Some(ReceiptText { id, stat, err })
}

/// An intermediate state: the message is still on its way, more will follow.
pub fn is_final(stat: &str) -> bool {
    !matches!(stat, "ENROUTE" | "SCHEDULED")
}

/// The SMPP 5.0 message_state TLV as the receipt text's `stat` word.
pub fn stat_of_message_state(state: u8) -> &'static str {
    match state {
        0 => "SCHEDULED",
        1 => "ENROUTE",
        2 => "DELIVRD",
        3 => "EXPIRED",
        4 => "DELETED",
        5 => "UNDELIV",
        6 => "ACCEPTD",
        8 => "REJECTD",
        9 => "SKIPPED",
        _ => "UNKNOWN",
    }
}

/// How long a sent message waits for its receipts before it is forgotten.
const KEEP_GROUPS: Duration = Duration::from_secs(3 * 24 * 3600);
/// How long a receipt for an unknown id waits for the submit it may belong to.
const HOLD_UNKNOWN: Duration = Duration::from_secs(30);
/// At most this many receipts wait; past that the oldest is reported as it came.
const MAX_HELD: usize = 10_000;

#[derive(Debug)]
struct Group {
    created: Instant,
    /// Each part's id and its final state once known.
    parts: Vec<(String, Option<String>)>,
    /// All parts were submitted.
    sealed: bool,
    /// The message's receipt was reported.
    reported: bool,
}

/// Sent messages waiting for receipts.
#[derive(Debug, Default)]
pub struct Tracker {
    groups: HashMap<u64, Group>,
    /// Part id → group.
    by_part: HashMap<String, u64>,
    order: VecDeque<(Instant, u64)>,
    next_key: u64,
    /// Submits whose ids may not be registered yet.
    in_flight: usize,
    /// Receipts for ids not known yet, held while submits are in flight: the SMSC may
    /// send the receipt right behind submit_sm_resp, before `send` records the id.
    held: VecDeque<(Instant, String, String)>,
}

impl Tracker {
    /// A message is about to be submitted; returns its key.
    pub fn begin(&mut self, now: Instant) -> u64 {
        self.prune(now);
        let key = self.next_key;
        self.next_key = self.next_key.wrapping_add(1);
        self.groups.insert(
            key,
            Group {
                created: now,
                parts: Vec::new(),
                sealed: false,
                reported: false,
            },
        );
        self.order.push_back((now, key));
        self.in_flight += 1;
        key
    }

    /// The SMSC took one part under `id`.
    pub fn add_part(&mut self, key: u64, id: &str) {
        if let Some(group) = self.groups.get_mut(&key) {
            group.parts.push((id.to_owned(), None));
            self.by_part.insert(id.to_owned(), key);
        }
    }

    /// Submitting the message ended: `sent` when every part was taken. A message that
    /// was not sent is forgotten (the outbox sends it again, under new ids).
    pub fn finish(&mut self, key: u64, sent: bool, now: Instant) -> Vec<Receipt> {
        self.in_flight = self.in_flight.saturating_sub(1);
        let mut out = Vec::new();
        if sent {
            if let Some(group) = self.groups.get_mut(&key) {
                group.sealed = true;
            }
            out.extend(self.settle(key));
        } else {
            self.forget(key);
        }
        out.extend(self.release_held(now));
        out
    }

    /// A receipt came for the part `id` with state `stat`; returns what to report.
    pub fn on_receipt(&mut self, id: &str, stat: &str, now: Instant) -> Vec<Receipt> {
        let mut out = self.release_held(now);
        if !is_final(stat) {
            return out;
        }
        match self.find(id) {
            Some((key, part_id)) => {
                self.record(key, &part_id, stat);
                out.extend(self.settle(key));
            }
            None if self.in_flight > 0 => {
                if self.held.len() >= MAX_HELD
                    && let Some((_, id, stat)) = self.held.pop_front()
                {
                    out.push(unmatched(&id, &stat));
                }
                self.held.push_back((now, id.to_owned(), stat.to_owned()));
            }
            // Not one of ours since this process started (sent before a restart, or its
            // group expired): report it under its own id for the outbox to match.
            None => out.push(unmatched(id, stat)),
        }
        out
    }

    /// Messages still waiting for receipts.
    #[cfg(test)]
    pub fn pending(&self) -> usize {
        self.groups.len()
    }

    /// The group and the part id as registered, trying the id as sent and its other
    /// spelling: some SMSCs answer submit_sm in hex and write receipts in decimal.
    fn find(&self, id: &str) -> Option<(u64, String)> {
        id_variants(id)
            .into_iter()
            .find_map(|variant| self.by_part.get(&variant).map(|key| (*key, variant)))
    }

    fn record(&mut self, key: u64, part_id: &str, stat: &str) {
        if let Some(group) = self.groups.get_mut(&key)
            && let Some(part) = group.parts.iter_mut().find(|(id, _)| id == part_id)
        {
            // The first final state counts; SMSCs may repeat a receipt.
            part.1.get_or_insert_with(|| stat.to_owned());
        }
    }

    /// Reports the message's outcome once it is known, and forgets it once every part
    /// has answered.
    fn settle(&mut self, key: u64) -> Vec<Receipt> {
        let Some(group) = self.groups.get_mut(&key) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if group.sealed && !group.reported && !group.parts.is_empty() {
            let failed = group
                .parts
                .iter()
                .find_map(|(_, stat)| stat.as_deref().filter(|stat| *stat != "DELIVRD"));
            let all_delivered = group
                .parts
                .iter()
                .all(|(_, stat)| stat.as_deref() == Some("DELIVRD"));
            let provider_id = group.parts[0].0.clone();
            if let Some(stat) = failed {
                out.push(Receipt {
                    provider_id,
                    delivered: false,
                    detail: stat.to_owned(),
                });
                group.reported = true;
            } else if all_delivered {
                out.push(Receipt {
                    provider_id,
                    delivered: true,
                    detail: "DELIVRD".to_owned(),
                });
                group.reported = true;
            }
        }
        // Keep a reported group until its last part answers, so a late part's receipt is
        // absorbed instead of reported on its own.
        if group.reported && group.parts.iter().all(|(_, stat)| stat.is_some()) {
            self.forget(key);
        }
        out
    }

    fn forget(&mut self, key: u64) {
        if let Some(group) = self.groups.remove(&key) {
            for (id, _) in group.parts {
                self.by_part.remove(&id);
            }
        }
    }

    fn prune(&mut self, now: Instant) {
        while let Some((created, key)) = self.order.front().copied() {
            if now.duration_since(created) < KEEP_GROUPS {
                break;
            }
            self.order.pop_front();
            // A key still in `order` may have been forgotten already; only drop the
            // group if it is the one created then.
            if self
                .groups
                .get(&key)
                .is_some_and(|group| group.created == created)
            {
                self.forget(key);
            }
        }
    }

    /// Held receipts that now match, or that waited long enough or need not wait.
    fn release_held(&mut self, now: Instant) -> Vec<Receipt> {
        let mut out = Vec::new();
        let held = std::mem::take(&mut self.held);
        for (since, id, stat) in held {
            if let Some((key, part_id)) = self.find(&id) {
                self.record(key, &part_id, &stat);
                out.extend(self.settle(key));
            } else if self.in_flight == 0 || now.duration_since(since) >= HOLD_UNKNOWN {
                out.push(unmatched(&id, &stat));
            } else {
                self.held.push_back((since, id, stat));
            }
        }
        out
    }
}

fn unmatched(id: &str, stat: &str) -> Receipt {
    Receipt {
        provider_id: id.to_owned(),
        delivered: stat == "DELIVRD",
        detail: stat.to_owned(),
    }
}

/// `id`, then its other spellings: the hex spelling of a decimal id and the decimal
/// spelling of a hex id (an all-digit id may be either).
fn id_variants(id: &str) -> Vec<String> {
    let mut variants = vec![id.to_owned()];
    if id.is_empty() {
        return variants;
    }
    if id.bytes().all(|b| b.is_ascii_digit())
        && let Ok(number) = id.parse::<u64>()
    {
        variants.push(format!("{number:X}"));
        variants.push(format!("{number:x}"));
    }
    if id.bytes().all(|b| b.is_ascii_hexdigit())
        && let Ok(number) = u64::from_str_radix(id, 16)
    {
        variants.push(number.to_string());
    }
    variants
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_standard_receipt_text() {
        let text = "id:5F3A0001 sub:001 dlvrd:001 submit date:2611281700 done date:2611281701 stat:DELIVRD err:000 text:【北京云法庭】贾1";
        let receipt = parse_receipt_text(text).expect("a receipt");
        assert_eq!(
            receipt,
            ReceiptText {
                id: "5F3A0001".into(),
                stat: "DELIVRD".into(),
                err: Some("000".into())
            }
        );
    }

    #[test]
    fn parses_other_cases_and_orders() {
        let text = "ID:12345 Stat:undeliv Err:012 Sub:001 Dlvrd:000 Submit Date:2611281700 Done Date:2611281701 Text:x";
        let receipt = parse_receipt_text(text).expect("a receipt");
        assert_eq!(receipt.id, "12345");
        assert_eq!(receipt.stat, "UNDELIV");
        assert_eq!(receipt.err.as_deref(), Some("012"));
        // `id:` inside another word does not count.
        let text = "msgid:9 id:10 stat:DELIVRD";
        assert_eq!(parse_receipt_text(text).expect("a receipt").id, "10");
    }

    #[test]
    fn refuses_text_that_is_no_receipt() {
        assert_eq!(parse_receipt_text("您好，我已收到开庭通知"), None);
        assert_eq!(parse_receipt_text("id:1 sub:001"), None);
        assert_eq!(parse_receipt_text("id: stat:DELIVRD"), None);
    }

    #[test]
    fn a_single_part_is_reported_when_its_receipt_comes() {
        let now = Instant::now();
        let mut tracker = Tracker::default();
        let key = tracker.begin(now);
        tracker.add_part(key, "A1");
        assert!(tracker.finish(key, true, now).is_empty());
        let out = tracker.on_receipt("A1", "DELIVRD", now);
        assert_eq!(
            out,
            vec![Receipt {
                provider_id: "A1".into(),
                delivered: true,
                detail: "DELIVRD".into()
            }]
        );
        assert_eq!(tracker.pending(), 0);
    }

    #[test]
    fn a_message_of_parts_is_delivered_when_all_parts_are() {
        let now = Instant::now();
        let mut tracker = Tracker::default();
        let key = tracker.begin(now);
        for id in ["P1", "P2", "P3"] {
            tracker.add_part(key, id);
        }
        tracker.finish(key, true, now);
        assert!(tracker.on_receipt("P2", "DELIVRD", now).is_empty());
        assert!(tracker.on_receipt("P1", "ENROUTE", now).is_empty());
        assert!(tracker.on_receipt("P1", "DELIVRD", now).is_empty());
        let out = tracker.on_receipt("P3", "DELIVRD", now);
        assert_eq!(
            out,
            vec![Receipt {
                provider_id: "P1".into(),
                delivered: true,
                detail: "DELIVRD".into()
            }]
        );
        assert_eq!(tracker.pending(), 0);
    }

    #[test]
    fn a_message_fails_when_one_part_fails_and_later_parts_are_absorbed() {
        let now = Instant::now();
        let mut tracker = Tracker::default();
        let key = tracker.begin(now);
        tracker.add_part(key, "P1");
        tracker.add_part(key, "P2");
        tracker.finish(key, true, now);
        let out = tracker.on_receipt("P2", "UNDELIV", now);
        assert_eq!(
            out,
            vec![Receipt {
                provider_id: "P1".into(),
                delivered: false,
                detail: "UNDELIV".into()
            }]
        );
        assert!(tracker.on_receipt("P1", "DELIVRD", now).is_empty());
        assert_eq!(tracker.pending(), 0);
    }

    #[test]
    fn a_receipt_ahead_of_its_submit_is_held_until_the_id_is_known() {
        let now = Instant::now();
        let mut tracker = Tracker::default();
        let key = tracker.begin(now);
        // The SMSC's receipt overtakes the driver's bookkeeping of submit_sm_resp.
        assert!(tracker.on_receipt("B7", "DELIVRD", now).is_empty());
        tracker.add_part(key, "B7");
        let out = tracker.finish(key, true, now);
        assert_eq!(
            out,
            vec![Receipt {
                provider_id: "B7".into(),
                delivered: true,
                detail: "DELIVRD".into()
            }]
        );
    }

    #[test]
    fn an_unknown_id_is_reported_as_it_came() {
        let now = Instant::now();
        let mut tracker = Tracker::default();
        let out = tracker.on_receipt("OLD9", "EXPIRED", now);
        assert_eq!(
            out,
            vec![Receipt {
                provider_id: "OLD9".into(),
                delivered: false,
                detail: "EXPIRED".into()
            }]
        );
        // Held while a submit is in flight, released once it ends without that id.
        let key = tracker.begin(now);
        assert!(tracker.on_receipt("OLD10", "DELIVRD", now).is_empty());
        tracker.add_part(key, "NEW1");
        let out = tracker.finish(key, true, now);
        assert_eq!(
            out,
            vec![Receipt {
                provider_id: "OLD10".into(),
                delivered: true,
                detail: "DELIVRD".into()
            }]
        );
        // A long wait releases a held receipt even under steady traffic.
        let busy = tracker.begin(now);
        assert!(tracker.on_receipt("OLD11", "UNDELIV", now).is_empty());
        let later = now + HOLD_UNKNOWN;
        assert_eq!(tracker.on_receipt("NEW1", "DELIVRD", later).len(), 2);
        tracker.finish(busy, false, later);
    }

    #[test]
    fn a_decimal_receipt_id_matches_a_hex_message_id() {
        let now = Instant::now();
        let mut tracker = Tracker::default();
        let key = tracker.begin(now);
        tracker.add_part(key, "5F3A0001");
        tracker.finish(key, true, now);
        let decimal = u64::from_str_radix("5F3A0001", 16)
            .expect("hex")
            .to_string();
        let out = tracker.on_receipt(&decimal, "DELIVRD", now);
        assert_eq!(
            out,
            vec![Receipt {
                provider_id: "5F3A0001".into(),
                delivered: true,
                detail: "DELIVRD".into()
            }]
        );
    }

    #[test]
    fn a_message_that_was_not_sent_is_forgotten() {
        let now = Instant::now();
        let mut tracker = Tracker::default();
        let key = tracker.begin(now);
        tracker.add_part(key, "P1");
        tracker.finish(key, false, now);
        assert_eq!(tracker.pending(), 0);
        let out = tracker.on_receipt("P1", "DELIVRD", now);
        assert_eq!(out.len(), 1, "reported as unmatched");
    }

    #[test]
    fn message_state_maps_to_stat_words() {
        assert_eq!(stat_of_message_state(2), "DELIVRD");
        assert_eq!(stat_of_message_state(5), "UNDELIV");
        assert!(!is_final(stat_of_message_state(1)));
        assert_eq!(stat_of_message_state(42), "UNKNOWN");
    }
}
