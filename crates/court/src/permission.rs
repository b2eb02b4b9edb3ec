//! Who may do what: one table of role × action that every handler consults. Scope (a
//! staff member's own court, a participant's own hearing) is checked beside it.

use crate::{ParticipantRole, StaffRole, Transition};
use serde::Serialize;

/// Whoever acts: a staff member by their role, or an invited participant by theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorRole {
    Staff(StaffRole),
    Participant(ParticipantRole),
}

impl ActorRole {
    /// Every actor role, staff first.
    pub fn all() -> Vec<ActorRole> {
        StaffRole::ALL
            .into_iter()
            .map(ActorRole::Staff)
            .chain(
                ParticipantRole::INVITED
                    .into_iter()
                    .map(ActorRole::Participant),
            )
            .collect()
    }
}

/// Something an actor asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Create staff accounts and reset their passwords.
    ManageStaff,
    /// List the court's staff (to pick a hearing's judges and clerk).
    ViewStaff,
    /// Read the court's audit log.
    ViewAudit,
    CreateCase,
    ViewCases,
    /// Create a hearing, or change its time.
    ScheduleHearing,
    ViewHearing,
    /// Add, edit or remove a hearing's participants.
    ManageParticipants,
    /// Change a hearing's state.
    ChangeState(Transition),
    SendInvitations,
    ViewOutbox,
    /// Take part in a hearing's live session.
    JoinHearing,
    UploadEvidence,
    ViewEvidence,
    /// Decide whether an item is admitted (采纳) — the judges.
    AdmitEvidence,
    /// Open an item on every participant's screen.
    PresentEvidence,
    /// Record a cross-examination opinion (质证意见) on another party's item.
    GiveOpinion,
    /// Download all of a hearing's evidence at once.
    ExportEvidence,
    EditTranscript,
    ViewTranscript,
    /// See every saved version of the transcript and their differences.
    ViewTranscriptHistory,
    /// Open the transcript for confirmation (发起确认笔录): every participant signs it.
    OpenConfirmation,
    SignTranscript,
    /// Mute (or unmute) a participant's microphone for everyone: the SFU stops
    /// forwarding their audio — the presiding staff keep order in the hearing.
    MuteParticipant,
    /// Call a witness into the hearing (传唤证人入庭), or send them out again (证人退庭).
    ///
    /// The court (审判人员) decides to hear a witness: the presiding judge calls them
    /// during the court's inquiry (法庭调查: 告知证人的权利义务，证人作证). The clerk acts on
    /// the bench's instruction, as with 准许入庭 and [`Action::MuteParticipant`]: in an
    /// online hearing the clerk often works the console while the judge speaks, and the
    /// system cannot hear an instruction given aloud. So the hearing's judges and clerk
    /// may press it, and the audit log names who did.
    CallInWitness,
    /// Remove a participant from the live hearing (移出庭审): their admission is taken
    /// back and their media ends; the court may admit them again.
    ///
    /// Ordering someone out of the courtroom (责令退出法庭) for breaking the court rules
    /// is the presiding judge's measure (民事诉讼法 on 妨害民事诉讼; 《人民法院法庭规则》),
    /// and a removal is also how the court undoes a mistaken admission. Decided like
    /// [`Action::CallInWitness`]: the judges and, on their instruction, the clerk who
    /// admitted the participant; the audit log names who did it, and why if given.
    RemoveParticipant,
}

impl Action {
    /// Every action, for the exhaustive test and for documentation.
    pub fn all() -> Vec<Action> {
        let mut all = vec![
            Action::ManageStaff,
            Action::ViewStaff,
            Action::ViewAudit,
            Action::CreateCase,
            Action::ViewCases,
            Action::ScheduleHearing,
            Action::ViewHearing,
            Action::ManageParticipants,
        ];
        all.extend(Transition::ALL.into_iter().map(Action::ChangeState));
        all.extend([
            Action::SendInvitations,
            Action::ViewOutbox,
            Action::JoinHearing,
            Action::UploadEvidence,
            Action::ViewEvidence,
            Action::AdmitEvidence,
            Action::PresentEvidence,
            Action::GiveOpinion,
            Action::ExportEvidence,
            Action::EditTranscript,
            Action::ViewTranscript,
            Action::ViewTranscriptHistory,
            Action::OpenConfirmation,
            Action::SignTranscript,
            Action::MuteParticipant,
            Action::CallInWitness,
            Action::RemoveParticipant,
        ]);
        all
    }
}

/// The permission table. Staff act within their own court; participants within their
/// own hearing; callers check that scope, this says what the role allows.
pub fn permits(actor: ActorRole, action: Action) -> bool {
    use ActorRole::{Participant, Staff};
    use ParticipantRole as P;
    use StaffRole::{Admin, Clerk, Judge};

    // Parties to the dispute and their agents: they present evidence.
    let litigant = |role: P| matches!(role, P::Plaintiff | P::Defendant | P::ThirdParty | P::Agent);

    match action {
        Action::ManageStaff => matches!(actor, Staff(Admin)),
        Action::ViewStaff
        | Action::ViewCases
        | Action::ViewOutbox
        | Action::ViewTranscriptHistory => matches!(actor, Staff(_)),
        Action::ViewAudit => matches!(actor, Staff(Admin | Judge)),
        Action::CreateCase
        | Action::ScheduleHearing
        | Action::ManageParticipants
        | Action::ChangeState(_)
        | Action::SendInvitations
        | Action::OpenConfirmation
        | Action::PresentEvidence
        | Action::ExportEvidence
        | Action::MuteParticipant
        | Action::CallInWitness
        | Action::RemoveParticipant => matches!(actor, Staff(Judge | Clerk)),
        Action::AdmitEvidence => matches!(actor, Staff(Judge)),
        Action::GiveOpinion => matches!(actor, Participant(role) if litigant(role)),
        Action::ViewHearing | Action::ViewEvidence | Action::ViewTranscript => true,
        Action::JoinHearing => matches!(actor, Staff(Judge | Clerk) | Participant(_)),
        Action::UploadEvidence => match actor {
            Staff(role) => matches!(role, Judge | Clerk),
            Participant(role) => litigant(role),
        },
        Action::EditTranscript => matches!(actor, Staff(Clerk)),
        // Every participant reads and signs the record of what they said.
        Action::SignTranscript => matches!(actor, Participant(_)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table as a court would read it. Columns: admin judge clerk | plaintiff
    /// defendant third_party agent witness expert interpreter. `x` allows, `.` refuses.
    const EXPECTED: &[(&str, &str)] = &[
        ("manage_staff", "x.. .......  "),
        ("view_staff", "xxx .......  "),
        ("view_audit", "xx. .......  "),
        ("create_case", ".xx .......  "),
        ("view_cases", "xxx .......  "),
        ("schedule_hearing", ".xx .......  "),
        ("view_hearing", "xxx xxxxxxx  "),
        ("manage_participants", ".xx .......  "),
        ("open", ".xx .......  "),
        ("start", ".xx .......  "),
        ("recess", ".xx .......  "),
        ("resume", ".xx .......  "),
        ("close", ".xx .......  "),
        ("archive", ".xx .......  "),
        ("cancel", ".xx .......  "),
        ("send_invitations", ".xx .......  "),
        ("view_outbox", "xxx .......  "),
        ("join_hearing", ".xx xxxxxxx  "),
        ("upload_evidence", ".xx xxxx...  "),
        ("view_evidence", "xxx xxxxxxx  "),
        ("admit_evidence", ".x. .......  "),
        ("present_evidence", ".xx .......  "),
        ("give_opinion", "... xxxx...  "),
        ("export_evidence", ".xx .......  "),
        ("edit_transcript", "..x .......  "),
        ("view_transcript", "xxx xxxxxxx  "),
        ("view_transcript_history", "xxx .......  "),
        ("open_confirmation", ".xx .......  "),
        ("sign_transcript", "... xxxxxxx  "),
        ("mute_participant", ".xx .......  "),
        ("call_in_witness", ".xx .......  "),
        ("remove_participant", ".xx .......  "),
    ];

    fn action_name(action: Action) -> String {
        match action {
            Action::ChangeState(t) => t.as_str().to_owned(),
            other => serde_json::to_value(other)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
        }
    }

    #[test]
    fn the_permission_table_is_exactly_as_written() {
        let actors = ActorRole::all();
        let actions = Action::all();
        assert_eq!(actions.len(), EXPECTED.len(), "every action has a row");
        assert_eq!(actors.len(), 10);
        for (action, (name, row)) in actions.iter().zip(EXPECTED) {
            assert_eq!(&action_name(*action), name, "rows follow Action::all()");
            let marks: Vec<char> = row.chars().filter(|c| *c == 'x' || *c == '.').collect();
            assert_eq!(marks.len(), actors.len(), "row {name} has a mark per role");
            for (actor, mark) in actors.iter().zip(marks) {
                assert_eq!(permits(*actor, *action), mark == 'x', "{actor:?} × {name}");
            }
        }
    }

    #[test]
    fn a_party_never_runs_the_hearing() {
        for role in ParticipantRole::INVITED {
            for transition in Transition::ALL {
                assert!(!permits(
                    ActorRole::Participant(role),
                    Action::ChangeState(transition)
                ));
            }
            assert!(!permits(
                ActorRole::Participant(role),
                Action::EditTranscript
            ));
            assert!(!permits(ActorRole::Participant(role), Action::ViewOutbox));
            for action in [
                Action::MuteParticipant,
                Action::CallInWitness,
                Action::RemoveParticipant,
            ] {
                assert!(
                    !permits(ActorRole::Participant(role), action),
                    "{role} × {action:?}"
                );
            }
        }
    }
}
