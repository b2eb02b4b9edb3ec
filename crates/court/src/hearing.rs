//! Hearings (庭审): the meeting number parties dial in with, the bench, and the state
//! machine scheduled → open → in_session ⇄ recess → closed → archived, plus cancelled.

use crate::{CaseId, CourtId, HearingId, Invalid, ParticipantRole, UserId};
use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The 8-digit number (会议号) a participant enters to join. Random, never starting with
/// 0 (people drop a leading zero), unique among hearings not yet archived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "91951413")]
pub struct MeetingNumber(u32);

impl MeetingNumber {
    const LOWEST: u32 = 10_000_000;
    const HIGHEST: u32 = 99_999_999;

    pub fn generate<R: Rng + ?Sized>(rng: &mut R) -> Self {
        Self(rng.random_range(Self::LOWEST..=Self::HIGHEST))
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let digits = raw.trim();
        let invalid = || {
            Invalid::new(
                "meeting_number",
                "会议号应为8位数字",
                "The meeting number has 8 digits",
            )
        };
        if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let value: u32 = digits.parse().map_err(|_| invalid())?;
        if value < Self::LOWEST {
            return Err(invalid());
        }
        Ok(Self(value))
    }

    pub fn value(self) -> u32 {
        self.0
    }
}

impl TryFrom<String> for MeetingNumber {
    type Error = Invalid;
    fn try_from(raw: String) -> Result<Self, Invalid> {
        Self::parse(&raw)
    }
}

impl From<MeetingNumber> for String {
    fn from(value: MeetingNumber) -> String {
        value.to_string()
    }
}

impl fmt::Display for MeetingNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08}", self.0)
    }
}

/// Where a hearing stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HearingState {
    /// 已排期: time fixed, notices may go out.
    Scheduled,
    /// 候庭: the waiting room is open; participants check in.
    Open,
    /// 庭审中.
    InSession,
    /// 休庭.
    Recess,
    /// 闭庭.
    Closed,
    /// 已归档: the record is final; the meeting number is free again.
    Archived,
    /// 已取消.
    Cancelled,
}

impl HearingState {
    pub const ALL: [HearingState; 7] = [
        HearingState::Scheduled,
        HearingState::Open,
        HearingState::InSession,
        HearingState::Recess,
        HearingState::Closed,
        HearingState::Archived,
        HearingState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HearingState::Scheduled => "scheduled",
            HearingState::Open => "open",
            HearingState::InSession => "in_session",
            HearingState::Recess => "recess",
            HearingState::Closed => "closed",
            HearingState::Archived => "archived",
            HearingState::Cancelled => "cancelled",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            HearingState::Scheduled => "已排期",
            HearingState::Open => "候庭",
            HearingState::InSession => "庭审中",
            HearingState::Recess => "休庭",
            HearingState::Closed => "闭庭",
            HearingState::Archived => "已归档",
            HearingState::Cancelled => "已取消",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == s)
    }

    /// The state a transition leads to from here, or why it is not allowed.
    pub fn apply(self, transition: Transition) -> Result<HearingState, TransitionError> {
        use HearingState::*;
        let next = match (transition, self) {
            (Transition::Open, Scheduled) => Open,
            (Transition::Start, Open) => InSession,
            (Transition::Recess, InSession) => Recess,
            (Transition::Resume, Recess) => InSession,
            (Transition::Close, InSession | Recess) => Closed,
            (Transition::Archive, Closed | Cancelled) => Archived,
            (Transition::Cancel, Scheduled | Open) => Cancelled,
            _ => {
                return Err(TransitionError {
                    from: self,
                    transition,
                });
            }
        };
        Ok(next)
    }

    /// The transitions allowed from this state, for the console's buttons.
    pub fn allowed_transitions(self) -> Vec<Transition> {
        Transition::ALL
            .into_iter()
            .filter(|t| self.apply(*t).is_ok())
            .collect()
    }

    /// Whether the time may still change (before the session starts).
    pub fn can_reschedule(self) -> bool {
        matches!(self, HearingState::Scheduled | HearingState::Open)
    }

    /// Whether the list of participants may still change.
    pub fn accepts_participant_changes(self) -> bool {
        matches!(
            self,
            HearingState::Scheduled
                | HearingState::Open
                | HearingState::InSession
                | HearingState::Recess
        )
    }

    /// Whether the hearing still holds its meeting number.
    pub fn holds_meeting_number(self) -> bool {
        self != HearingState::Archived
    }
}

impl fmt::Display for HearingState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A change of a hearing's state that staff ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    /// 开放候庭.
    Open,
    /// 开庭.
    Start,
    /// 休庭.
    Recess,
    /// 继续开庭.
    Resume,
    /// 闭庭.
    Close,
    /// 归档.
    Archive,
    /// 取消庭审.
    Cancel,
}

impl Transition {
    pub const ALL: [Transition; 7] = [
        Transition::Open,
        Transition::Start,
        Transition::Recess,
        Transition::Resume,
        Transition::Close,
        Transition::Archive,
        Transition::Cancel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Transition::Open => "open",
            Transition::Start => "start",
            Transition::Recess => "recess",
            Transition::Resume => "resume",
            Transition::Close => "close",
            Transition::Archive => "archive",
            Transition::Cancel => "cancel",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Transition::Open => "开放候庭",
            Transition::Start => "开庭",
            Transition::Recess => "休庭",
            Transition::Resume => "继续开庭",
            Transition::Close => "闭庭",
            Transition::Archive => "归档",
            Transition::Cancel => "取消庭审",
        }
    }
}

/// A transition the hearing's state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a hearing that is {from} cannot {}", transition.as_str())]
pub struct TransitionError {
    pub from: HearingState,
    pub transition: Transition,
}

impl TransitionError {
    pub fn message_zh(&self) -> String {
        format!(
            "庭审当前状态为“{}”，不能{}",
            self.from.label_zh(),
            self.transition.label_zh()
        )
    }
}

/// The court members of one hearing: one or more judges (the first presides) and a clerk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Bench {
    pub judges: Vec<UserId>,
    pub clerk: UserId,
}

impl Bench {
    /// A collegial panel has at most seven members.
    pub const MAX_JUDGES: usize = 7;

    pub fn new(judges: Vec<UserId>, clerk: UserId) -> Result<Self, Invalid> {
        if judges.is_empty() || judges.len() > Self::MAX_JUDGES {
            return Err(Invalid::new(
                "judge_ids",
                format!("审判人员应为1至{}人", Self::MAX_JUDGES),
                format!("A hearing needs 1 to {} judges", Self::MAX_JUDGES),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        if !judges.iter().all(|id| seen.insert(*id)) {
            return Err(Invalid::new(
                "judge_ids",
                "审判人员不能重复",
                "A judge is listed twice",
            ));
        }
        if judges.contains(&clerk) {
            return Err(Invalid::new(
                "clerk_id",
                "书记员不能同时担任审判人员",
                "The clerk cannot also sit as a judge",
            ));
        }
        Ok(Self { judges, clerk })
    }

    /// Each member with their role in the hearing: the first judge presides (审判长).
    pub fn seats(&self) -> Vec<(UserId, ParticipantRole)> {
        let judges = self.judges.iter().enumerate().map(|(i, id)| {
            let role = if i == 0 {
                ParticipantRole::PresidingJudge
            } else {
                ParticipantRole::Judge
            };
            (*id, role)
        });
        judges
            .chain([(self.clerk, ParticipantRole::Clerk)])
            .collect()
    }
}

/// Reads a hearing time: RFC 3339 with an offset, or a court-local `YYYY-MM-DDTHH:MM`
/// (also with seconds, or a space for the `T`) in the court's time zone. A time more
/// than an hour past, or more than two years ahead, is refused as a slip of the hand.
pub fn parse_schedule(
    raw: &str,
    zone: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, Invalid> {
    use chrono::{NaiveDateTime, TimeZone};
    let raw = raw.trim();
    let invalid = || {
        Invalid::new(
            "scheduled_at",
            "开庭时间格式无效，应为 YYYY-MM-DDTHH:MM",
            "Invalid hearing time: expected YYYY-MM-DDTHH:MM or RFC 3339",
        )
    };
    let at = match DateTime::parse_from_rfc3339(raw) {
        Ok(at) => at.with_timezone(&Utc),
        Err(_) => {
            let naive = [
                "%Y-%m-%dT%H:%M",
                "%Y-%m-%dT%H:%M:%S",
                "%Y-%m-%d %H:%M",
                "%Y-%m-%d %H:%M:%S",
            ]
            .iter()
            .find_map(|format| NaiveDateTime::parse_from_str(raw, format).ok())
            .ok_or_else(invalid)?;
            zone.from_local_datetime(&naive)
                .earliest()
                .ok_or_else(invalid)?
                .with_timezone(&Utc)
        }
    };
    if at < now - chrono::Duration::hours(1) {
        return Err(Invalid::new(
            "scheduled_at",
            "开庭时间不能早于当前时间",
            "The hearing time is in the past",
        ));
    }
    if at > now + chrono::Duration::days(730) {
        return Err(Invalid::new(
            "scheduled_at",
            "开庭时间不能晚于两年之后",
            "The hearing time is more than two years ahead",
        ));
    }
    Ok(crate::to_storage_precision(at))
}

/// A hearing (庭审) of one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Hearing {
    pub id: HearingId,
    pub court_id: CourtId,
    pub case_id: CaseId,
    pub meeting_number: MeetingNumber,
    pub scheduled_at: DateTime<Utc>,
    pub state: HearingState,
    /// When the court first sent the hearing notices (开庭通知), if it has.
    pub notices_sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use HearingState::*;

    #[test]
    fn meeting_numbers_have_eight_digits() {
        let mut rng = rand::rng();
        for _ in 0..1000 {
            let number = MeetingNumber::generate(&mut rng);
            let text = number.to_string();
            assert_eq!(text.len(), 8);
            assert_ne!(text.as_bytes()[0], b'0');
            assert_eq!(MeetingNumber::parse(&text), Ok(number));
        }
        for bad in [
            "1234567",
            "123456789",
            "0123456a",
            "01234567",
            "",
            "９１９５１４１３",
        ] {
            assert!(MeetingNumber::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            MeetingNumber::parse(" 91951413 ").map(|n| n.value()),
            Ok(91_951_413)
        );
    }

    #[test]
    fn the_hearing_lifecycle() {
        let mut state = Scheduled;
        for (transition, expected) in [
            (Transition::Open, Open),
            (Transition::Start, InSession),
            (Transition::Recess, Recess),
            (Transition::Resume, InSession),
            (Transition::Recess, Recess),
            (Transition::Close, Closed),
            (Transition::Archive, Archived),
        ] {
            state = state.apply(transition).expect("allowed");
            assert_eq!(state, expected);
        }
    }

    #[test]
    fn every_state_and_transition_pair() {
        // The whole table: (from, transition) → to; everything not listed is refused.
        let allowed = [
            (Scheduled, Transition::Open, Open),
            (Scheduled, Transition::Cancel, Cancelled),
            (Open, Transition::Start, InSession),
            (Open, Transition::Cancel, Cancelled),
            (InSession, Transition::Recess, Recess),
            (InSession, Transition::Close, Closed),
            (Recess, Transition::Resume, InSession),
            (Recess, Transition::Close, Closed),
            (Closed, Transition::Archive, Archived),
            (Cancelled, Transition::Archive, Archived),
        ];
        for from in HearingState::ALL {
            for transition in Transition::ALL {
                let expected = allowed
                    .iter()
                    .find(|(f, t, _)| *f == from && *t == transition)
                    .map(|(_, _, to)| *to);
                assert_eq!(
                    from.apply(transition).ok(),
                    expected,
                    "{from} {transition:?}"
                );
            }
        }
    }

    #[test]
    fn closing_a_hearing_that_never_opened_is_refused() {
        let err = Scheduled.apply(Transition::Close).expect_err("refused");
        assert_eq!(err.to_string(), "a hearing that is scheduled cannot close");
        assert_eq!(err.message_zh(), "庭审当前状态为“已排期”，不能闭庭");
    }

    #[test]
    fn the_first_judge_presides() {
        let (a, b, c) = (UserId::new(), UserId::new(), UserId::new());
        let bench = Bench::new(vec![a, b], c).expect("valid bench");
        assert_eq!(
            bench.seats(),
            vec![
                (a, ParticipantRole::PresidingJudge),
                (b, ParticipantRole::Judge),
                (c, ParticipantRole::Clerk)
            ]
        );
        assert!(Bench::new(vec![], c).is_err());
        assert!(Bench::new(vec![a, a], c).is_err());
        assert!(Bench::new(vec![a], a).is_err());
        assert!(
            Bench::new(
                vec![UserId::new(); 8]
                    .into_iter()
                    .map(|_| UserId::new())
                    .collect(),
                c
            )
            .is_err()
        );
    }

    #[test]
    fn hearing_times_are_read_in_the_court_zone() {
        use chrono::TimeZone;
        let now = Utc
            .with_ymd_and_hms(2026, 11, 28, 1, 0, 0)
            .single()
            .expect("valid");
        let shanghai = chrono_tz::Asia::Shanghai;
        let expected = Utc
            .with_ymd_and_hms(2026, 11, 28, 9, 0, 0)
            .single()
            .expect("valid");
        assert_eq!(
            parse_schedule("2026-11-28T17:00", shanghai, now),
            Ok(expected)
        );
        assert_eq!(
            parse_schedule("2026-11-28 17:00:00", shanghai, now),
            Ok(expected)
        );
        assert_eq!(
            parse_schedule("2026-11-28T09:00:00Z", shanghai, now),
            Ok(expected)
        );
        assert_eq!(
            parse_schedule("2026-11-28T17:00:00+08:00", shanghai, now),
            Ok(expected)
        );
        assert!(parse_schedule("tomorrow", shanghai, now).is_err());
        assert!(
            parse_schedule("2026-11-27T17:00", shanghai, now).is_err(),
            "past"
        );
        assert!(
            parse_schedule("2030-01-01T17:00", shanghai, now).is_err(),
            "too far"
        );
    }

    #[test]
    fn only_archiving_frees_the_meeting_number() {
        for state in HearingState::ALL {
            assert_eq!(state.holds_meeting_number(), state != Archived);
        }
    }
}
