//! Roles: a staff member's role in the court, and a participant's role in one hearing,
//! with the Chinese labels the court uses (审判长, 书记员, 原告 …).

use crate::Invalid;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a staff account may do in its court.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    /// Manages the court's accounts; sees everything, runs no hearing.
    Admin,
    /// 审判人员: presides and decides.
    Judge,
    /// 书记员: schedules hearings, keeps the transcript.
    Clerk,
}

impl StaffRole {
    pub const ALL: [StaffRole; 3] = [StaffRole::Admin, StaffRole::Judge, StaffRole::Clerk];

    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Admin => "admin",
            StaffRole::Judge => "judge",
            StaffRole::Clerk => "clerk",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            StaffRole::Admin => "管理员",
            StaffRole::Judge => "审判人员",
            StaffRole::Clerk => "书记员",
        }
    }
}

impl FromStr for StaffRole {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        StaffRole::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| {
                Invalid::new(
                    "role",
                    format!("未知的人员角色：{s}（可选 admin、judge、clerk）"),
                    format!("Unknown staff role: {s} (expected admin, judge or clerk)"),
                )
            })
    }
}

impl fmt::Display for StaffRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A person's role in one hearing. The bench (judges and clerk) comes from the court's
/// staff; every other role is a participant the court invites by phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantRole {
    PresidingJudge,
    Judge,
    Clerk,
    Plaintiff,
    Defendant,
    ThirdParty,
    Agent,
    Witness,
    Expert,
    Interpreter,
}

impl ParticipantRole {
    pub const ALL: [ParticipantRole; 10] = [
        ParticipantRole::PresidingJudge,
        ParticipantRole::Judge,
        ParticipantRole::Clerk,
        ParticipantRole::Plaintiff,
        ParticipantRole::Defendant,
        ParticipantRole::ThirdParty,
        ParticipantRole::Agent,
        ParticipantRole::Witness,
        ParticipantRole::Expert,
        ParticipantRole::Interpreter,
    ];

    /// The roles a court adds as participants (invited by SMS); the rest is the bench.
    pub const INVITED: [ParticipantRole; 7] = [
        ParticipantRole::Plaintiff,
        ParticipantRole::Defendant,
        ParticipantRole::ThirdParty,
        ParticipantRole::Agent,
        ParticipantRole::Witness,
        ParticipantRole::Expert,
        ParticipantRole::Interpreter,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ParticipantRole::PresidingJudge => "presiding_judge",
            ParticipantRole::Judge => "judge",
            ParticipantRole::Clerk => "clerk",
            ParticipantRole::Plaintiff => "plaintiff",
            ParticipantRole::Defendant => "defendant",
            ParticipantRole::ThirdParty => "third_party",
            ParticipantRole::Agent => "agent",
            ParticipantRole::Witness => "witness",
            ParticipantRole::Expert => "expert",
            ParticipantRole::Interpreter => "interpreter",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ParticipantRole::PresidingJudge => "审判长",
            ParticipantRole::Judge => "审判员",
            ParticipantRole::Clerk => "书记员",
            ParticipantRole::Plaintiff => "原告",
            ParticipantRole::Defendant => "被告",
            ParticipantRole::ThirdParty => "第三人",
            ParticipantRole::Agent => "代理人",
            ParticipantRole::Witness => "证人",
            ParticipantRole::Expert => "鉴定人",
            ParticipantRole::Interpreter => "翻译",
        }
    }

    /// Whether this role sits on the bench (filled from staff, never invited by phone).
    pub fn is_bench(self) -> bool {
        matches!(
            self,
            ParticipantRole::PresidingJudge | ParticipantRole::Judge | ParticipantRole::Clerk
        )
    }

    /// Parses a role a court may invite; bench roles and unknown words are refused.
    pub fn parse_invited(s: &str) -> Result<Self, Invalid> {
        let role: ParticipantRole = s.parse()?;
        if role.is_bench() {
            return Err(Invalid::new(
                "role",
                format!(
                    "{}由法院人员担任，请在庭审的审判人员中指定",
                    role.label_zh()
                ),
                format!(
                    "{} is a bench role: assign it among the hearing's judges and clerk",
                    role.as_str()
                ),
            ));
        }
        Ok(role)
    }
}

impl FromStr for ParticipantRole {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        ParticipantRole::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<&str> = ParticipantRole::INVITED
                    .iter()
                    .map(|r| r.as_str())
                    .collect();
                Invalid::new(
                    "role",
                    format!("未知的参与人角色：{s}（可选 {}）", known.join("、")),
                    format!(
                        "Unknown participant role: {s} (expected one of {})",
                        known.join(", ")
                    ),
                )
            })
    }
}

impl fmt::Display for ParticipantRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in ParticipantRole::ALL {
            assert_eq!(role.as_str().parse::<ParticipantRole>(), Ok(role));
            let json = serde_json::to_string(&role).expect("serialises");
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
        for role in StaffRole::ALL {
            assert_eq!(role.as_str().parse::<StaffRole>(), Ok(role));
        }
    }

    #[test]
    fn only_non_bench_roles_are_invited() {
        assert_eq!(
            ParticipantRole::parse_invited("plaintiff"),
            Ok(ParticipantRole::Plaintiff)
        );
        assert!(ParticipantRole::parse_invited("clerk").is_err());
        let unknown = ParticipantRole::parse_invited("judgee").expect_err("unknown role");
        assert!(unknown.en.contains("Unknown participant role: judgee"));
        assert_eq!(ParticipantRole::Plaintiff.label_zh(), "原告");
        assert_eq!(ParticipantRole::PresidingJudge.label_zh(), "审判长");
    }
}
