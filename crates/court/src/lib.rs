//! The domain of cloudcourt (云法庭): courts, staff, cases, hearings, participants, who
//! may do what, and the audit chain. Pure rules, no I/O: storage and HTTP sit around it.

pub mod admission;
pub mod audit;
pub mod evidence;
pub mod hearing;
pub mod ids;
pub mod join;
pub mod notice;
pub mod permission;
pub mod person;
pub mod role;
pub mod text;
pub mod transcript;

pub use audit::{AuditActor, AuditEvent, ChainBreak, ChainVerifier, NewAuditEvent};
pub use hearing::{Bench, Hearing, HearingState, MeetingNumber, Transition, TransitionError};
pub use ids::{CaseId, CourtId, HearingId, ParticipantId, UserId};
pub use notice::{NoticeFields, NoticeKind, OutboxMessage, SmsStatus};
pub use permission::{Action, ActorRole, permits};
pub use person::{IdNumber, Participant, PhoneNumber};
pub use role::{ParticipantRole, StaffRole};
pub use text::{CaseNumber, Cause, CourtName, PersonName, TimeZoneName, Username};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A validation failure of input that comes from outside: which field, and why, in both
/// of the UI's languages so the HTTP layer can show it as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {en}")]
pub struct Invalid {
    pub field: &'static str,
    pub zh: String,
    pub en: String,
}

impl Invalid {
    pub fn new(field: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            field,
            zh: zh.into(),
            en: en.into(),
        }
    }
}

/// A court (法院) served by this installation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Court {
    pub id: CourtId,
    pub name: CourtName,
    pub time_zone: TimeZoneName,
    pub created_at: DateTime<Utc>,
}

/// A member of a court's staff who signs in to the console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct User {
    pub id: UserId,
    pub court_id: CourtId,
    pub username: Username,
    /// The name shown in transcripts and tiles, e.g. 许1.
    pub display_name: PersonName,
    pub role: StaffRole,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

/// A case (案件): its number (案号) and cause (案由).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Case {
    pub id: CaseId,
    pub court_id: CourtId,
    pub case_number: CaseNumber,
    pub cause: Cause,
    pub created_at: DateTime<Utc>,
}

/// Truncates a time to whole microseconds: both databases keep microseconds, and the
/// audit chain hashes times, so a time must read back exactly as it was written.
pub fn to_storage_precision(at: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::{SubsecRound, Timelike};
    let micros = at.nanosecond() / 1_000;
    at.trunc_subsecs(0) + chrono::Duration::microseconds(i64::from(micros))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn storage_precision_drops_nanoseconds_only() {
        let at = Utc
            .timestamp_opt(1_700_000_000, 123_456_789)
            .single()
            .expect("valid time");
        let kept = to_storage_precision(at);
        assert_eq!(kept.timestamp(), 1_700_000_000);
        assert_eq!(kept.timestamp_subsec_nanos(), 123_456_000);
    }
}
