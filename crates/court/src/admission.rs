//! Who is in the hearing room: admitting a participant from the waiting room (准许入庭),
//! calling a witness in (传唤证人入庭) and sending them out again (退庭), and removing a
//! participant from the live hearing (移出庭审). Each step is a check that says why the
//! court may not take it now; the server stores and announces what it allows.
//!
//! One stored fact carries all of it: a participant's admission (`checked_in_at`). For a
//! witness, being admitted *is* being called in — a witness has no other way into the
//! room — so sending a witness out and removing anyone both take the admission back.

use crate::{HearingState, Invalid, Participant, ParticipantRole};
use std::fmt;

/// Whether a participant of this role waits outside until the court calls them in.
///
/// Only a witness (证人) does. A witness testifies to what they perceived themselves, and
/// must not follow the hearing before testifying (《最高人民法院关于民事诉讼证据的若干
/// 规定》第七十二条: 证人作证前不得旁听法庭审理; online, 《人民法院在线诉讼规则》第二十六条
/// asks the court to ensure the witness neither follows the hearing nor is disturbed).
///
/// An expert (鉴定人) is heard on an opinion that rests on expertise, not on what they
/// saw, and no rule keeps them out before they are heard; the parties' questions on the
/// opinion are better answered by an expert who heard the dispute. So an expert is
/// admitted with 准许入庭 like a party, and so is an interpreter, who must hear everything.
pub fn waits_for_call_in(role: ParticipantRole) -> bool {
    role == ParticipantRole::Witness
}

/// Whether the hearing lets people in (and the court take them out) now: from 开放候庭
/// until 闭庭, recesses included.
pub fn hearing_is_live(state: HearingState) -> bool {
    matches!(
        state,
        HearingState::Open | HearingState::InSession | HearingState::Recess
    )
}

/// Whether the participant sits in the hearing room now (and so gets its media and sees
/// who is there): admitted, which for a witness means called in.
pub fn in_the_room(participant: &Participant) -> bool {
    participant.checked_in_at.is_some()
}

/// Whether the participant waits outside, unseen: a witness not called in (yet, or
/// again after testifying).
pub fn waits_outside(participant: &Participant) -> bool {
    waits_for_call_in(participant.role) && !in_the_room(participant)
}

/// Why the court may not take a step now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The hearing is not between 开放候庭 and 闭庭.
    HearingNotLive(HearingState),
    /// Entering needs the court rules (法庭纪律) confirmed first.
    RulesNotConfirmed { name: String },
    /// 准许入庭 was asked for a witness, whom the court calls in instead.
    WitnessNeedsCallIn { name: String },
    /// A call-in was asked for someone who is not a witness.
    NotAWitness { name: String, role: ParticipantRole },
    /// A removal was asked for someone who is not in the room.
    NotInTheRoom { name: String },
}

impl Refusal {
    /// A stable code for API answers.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::HearingNotLive(_) => "hearing_not_open",
            Refusal::RulesNotConfirmed { .. } => "rules_not_confirmed",
            Refusal::WitnessNeedsCallIn { .. } => "witness_needs_call_in",
            Refusal::NotAWitness { .. } => "not_a_witness",
            Refusal::NotInTheRoom { .. } => "not_in_the_room",
        }
    }

    /// Whether the request itself is wrong for this participant (their role), rather
    /// than the moment (the hearing's or the participant's state).
    pub fn is_about_the_role(&self) -> bool {
        matches!(
            self,
            Refusal::WitnessNeedsCallIn { .. } | Refusal::NotAWitness { .. }
        )
    }

    pub fn message_zh(&self) -> String {
        match self {
            Refusal::HearingNotLive(HearingState::Scheduled) => {
                format!(
                    "庭审当前状态为“{}”，请先开放候庭",
                    HearingState::Scheduled.label_zh()
                )
            }
            Refusal::HearingNotLive(state) => {
                format!("庭审当前状态为“{}”，已不能进行此操作", state.label_zh())
            }
            Refusal::RulesNotConfirmed { name } => format!("{name}尚未确认法庭纪律"),
            Refusal::WitnessNeedsCallIn { name } => {
                format!("证人{name}须由审判人员传唤入庭，不能直接准许入庭")
            }
            Refusal::NotAWitness { name, role } => {
                format!(
                    "{name}是{}，不是证人：只有证人需要传唤入庭",
                    role.label_zh()
                )
            }
            Refusal::NotInTheRoom { name } => format!("{name}不在庭审中，无需移出"),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::HearingNotLive(HearingState::Scheduled) => write!(
                f,
                "A hearing that is scheduled admits nobody yet: open it first"
            ),
            Refusal::HearingNotLive(state) => write!(
                f,
                "The hearing is {state}: nobody enters or is removed any more"
            ),
            Refusal::RulesNotConfirmed { name } => {
                write!(f, "{name} has not confirmed the court rules yet")
            }
            Refusal::WitnessNeedsCallIn { name } => write!(
                f,
                "{name} is a witness: the court calls a witness in, they are not admitted"
            ),
            Refusal::NotAWitness { name, role } => write!(
                f,
                "{name} is a {role}, not a witness: only a witness is called in"
            ),
            Refusal::NotInTheRoom { name } => {
                write!(f, "{name} is not in the hearing: nothing to remove")
            }
        }
    }
}

/// 准许入庭: a participant waiting in the waiting room enters (a witness is called in).
pub fn check_admit(participant: &Participant, state: HearingState) -> Result<(), Refusal> {
    if waits_for_call_in(participant.role) {
        return Err(Refusal::WitnessNeedsCallIn {
            name: participant.name.to_string(),
        });
    }
    ready_to_enter(participant, state)
}

/// 传唤入庭 (`called_in`) or 退庭 (not): a witness enters to testify, or leaves after.
/// Sending out is possible whenever the hearing has a room to leave, and at any time
/// once the hearing ended (it changes nothing a court relies on).
pub fn check_call_in(
    participant: &Participant,
    state: HearingState,
    called_in: bool,
) -> Result<(), Refusal> {
    if !waits_for_call_in(participant.role) {
        return Err(Refusal::NotAWitness {
            name: participant.name.to_string(),
            role: participant.role,
        });
    }
    if called_in {
        ready_to_enter(participant, state)
    } else {
        Ok(())
    }
}

/// 移出庭审: a participant in the room is sent back to the waiting room while the
/// hearing is live. (Staff are the court itself and never participants.)
pub fn check_remove(participant: &Participant, state: HearingState) -> Result<(), Refusal> {
    if !hearing_is_live(state) {
        return Err(Refusal::HearingNotLive(state));
    }
    if !in_the_room(participant) {
        return Err(Refusal::NotInTheRoom {
            name: participant.name.to_string(),
        });
    }
    Ok(())
}

fn ready_to_enter(participant: &Participant, state: HearingState) -> Result<(), Refusal> {
    if !hearing_is_live(state) {
        return Err(Refusal::HearingNotLive(state));
    }
    if participant.rules_confirmed_at.is_none() {
        return Err(Refusal::RulesNotConfirmed {
            name: participant.name.to_string(),
        });
    }
    Ok(())
}

/// Why the court removed someone (optional): trimmed, at most [`RemovalReason::MAX_CHARS`]
/// characters, no control characters; blank means none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovalReason(String);

impl RemovalReason {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(raw: Option<&str>) -> Result<Option<Self>, Invalid> {
        let Some(value) = raw.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        if value.chars().count() > Self::MAX_CHARS {
            return Err(Invalid::new(
                "reason",
                format!("移出原因不能超过{}个字符", Self::MAX_CHARS),
                format!("The reason must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        if value.chars().any(char::is_control) {
            return Err(Invalid::new(
                "reason",
                "移出原因不能包含控制字符",
                "The reason must not contain control characters",
            ));
        }
        Ok(Some(Self(value.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HearingId, ParticipantId, PersonName};
    use chrono::Utc;

    fn person(role: ParticipantRole, rules: bool, admitted: bool) -> Participant {
        Participant {
            id: ParticipantId::new(),
            hearing_id: HearingId::new(),
            name: PersonName::parse("赵5").expect("a name"),
            role,
            phone: None,
            id_number: None,
            rules_confirmed_at: rules.then(Utc::now),
            checked_in_at: admitted.then(Utc::now),
            created_at: Utc::now(),
        }
    }

    #[test]
    fn only_a_witness_waits_for_the_call() {
        for role in ParticipantRole::INVITED {
            assert_eq!(
                waits_for_call_in(role),
                role == ParticipantRole::Witness,
                "{role}"
            );
        }
        assert!(waits_outside(&person(
            ParticipantRole::Witness,
            true,
            false
        )));
        assert!(!waits_outside(&person(
            ParticipantRole::Witness,
            true,
            true
        )));
        // A party waiting to be admitted is in the waiting room, not hidden outside.
        assert!(!waits_outside(&person(
            ParticipantRole::Plaintiff,
            true,
            false
        )));
        assert!(!waits_outside(&person(
            ParticipantRole::Expert,
            true,
            false
        )));
    }

    #[test]
    fn a_witness_is_called_in_not_admitted() {
        let witness = person(ParticipantRole::Witness, true, false);
        let refused = check_admit(&witness, HearingState::InSession).expect_err("refused");
        assert_eq!(refused.code(), "witness_needs_call_in");
        assert!(refused.is_about_the_role());
        assert_eq!(
            check_call_in(&witness, HearingState::InSession, true),
            Ok(())
        );
        assert_eq!(check_call_in(&witness, HearingState::Recess, true), Ok(()));
        let party = person(ParticipantRole::Defendant, true, false);
        assert_eq!(check_admit(&party, HearingState::Open), Ok(()));
        let refused = check_call_in(&party, HearingState::InSession, true).expect_err("refused");
        assert_eq!(refused.code(), "not_a_witness");
        assert!(refused.message_zh().contains("被告"));
        assert!(refused.to_string().contains("defendant"));
    }

    #[test]
    fn entering_needs_a_live_hearing_and_the_rules() {
        let witness = person(ParticipantRole::Witness, true, false);
        for state in [
            HearingState::Scheduled,
            HearingState::Closed,
            HearingState::Archived,
            HearingState::Cancelled,
        ] {
            let refused = check_call_in(&witness, state, true).expect_err("not live");
            assert_eq!(refused, Refusal::HearingNotLive(state));
            assert!(!refused.is_about_the_role());
            // Sending out is never refused for the moment.
            assert_eq!(check_call_in(&witness, state, false), Ok(()));
        }
        let careless = person(ParticipantRole::Witness, false, false);
        assert_eq!(
            check_call_in(&careless, HearingState::InSession, true).map_err(|r| r.code()),
            Err("rules_not_confirmed")
        );
        let party = person(ParticipantRole::Plaintiff, false, false);
        assert_eq!(
            check_admit(&party, HearingState::Open).map_err(|r| r.code()),
            Err("rules_not_confirmed")
        );
    }

    #[test]
    fn only_someone_in_the_room_is_removed_and_only_while_live() {
        let inside = person(ParticipantRole::Agent, true, true);
        assert_eq!(check_remove(&inside, HearingState::InSession), Ok(()));
        assert_eq!(check_remove(&inside, HearingState::Open), Ok(()));
        assert_eq!(check_remove(&inside, HearingState::Recess), Ok(()));
        assert_eq!(
            check_remove(&inside, HearingState::Closed),
            Err(Refusal::HearingNotLive(HearingState::Closed))
        );
        let waiting = person(ParticipantRole::Agent, true, false);
        assert_eq!(
            check_remove(&waiting, HearingState::InSession).map_err(|r| r.code()),
            Err("not_in_the_room")
        );
        // A witness called in is in the room, and may be removed like anyone.
        let witness = person(ParticipantRole::Witness, true, true);
        assert_eq!(check_remove(&witness, HearingState::InSession), Ok(()));
    }

    #[test]
    fn reasons_are_optional_trimmed_and_bounded() {
        assert_eq!(RemovalReason::parse(None), Ok(None));
        assert_eq!(RemovalReason::parse(Some("   ")), Ok(None));
        let reason = RemovalReason::parse(Some(" 扰乱法庭秩序 ")).expect("valid");
        assert_eq!(
            reason.as_ref().map(RemovalReason::as_str),
            Some("扰乱法庭秩序")
        );
        assert!(RemovalReason::parse(Some(&"字".repeat(200))).is_ok());
        let long = RemovalReason::parse(Some(&"字".repeat(201))).expect_err("too long");
        assert_eq!(long.field, "reason");
        assert!(RemovalReason::parse(Some("a\u{7}b")).is_err());
    }
}
