//! Hearing notices (开庭通知) as outbox messages: the invitation, reminders, a change of
//! time and a cancellation, each addressed to one participant with the texts of
//! `court::notice`, the court's time zone and the configured sign name and client URL.

use crate::config::{CaseLabel, Config};
use chrono::{DateTime, Utc};
use court::notice::NoticeFields;
use court::{Case, Court, Hearing, NoticeKind, OutboxMessage, Participant, SmsStatus};

/// What every notice of one hearing shares.
pub struct HearingNotices<'a> {
    pub config: &'a Config,
    pub court: &'a Court,
    pub case: &'a Case,
    pub hearing: &'a Hearing,
}

impl HearingNotices<'_> {
    fn fields(&self, name: &str, at: DateTime<Utc>) -> NoticeFields {
        let local = at.with_timezone(&self.court.time_zone.tz());
        let number = self.hearing.meeting_number.to_string();
        let settings = &self.config.sms;
        NoticeFields {
            sign_name: settings.sign_name.clone(),
            name: name.to_owned(),
            case: match settings.case_label {
                CaseLabel::CaseNumber => self.case.case_number.to_string(),
                CaseLabel::Cause => self.case.cause.to_string(),
            },
            date: local.format("%Y-%m-%d").to_string(),
            time: local.format("%H:%M").to_string(),
            url: self.config.client_url(&number),
            client_note: settings.client_note.clone(),
            meeting_number: number,
        }
    }

    /// The message of `kind` for `participant` about the hearing at `at` (for a
    /// cancellation, the time it had), or `None` when they have no phone.
    pub fn message(
        &self,
        kind: NoticeKind,
        participant: &Participant,
        at: DateTime<Utc>,
        idempotency_key: String,
        now: DateTime<Utc>,
    ) -> Option<OutboxMessage> {
        let phone = participant.phone.as_ref()?;
        let fields = self.fields(participant.name.as_str(), at);
        let now = court::to_storage_precision(now);
        Some(OutboxMessage {
            id: uuid::Uuid::now_v7(),
            court_id: self.hearing.court_id,
            hearing_id: Some(self.hearing.id),
            participant_id: Some(participant.id),
            recipient_name: participant.name.to_string(),
            phone: phone.to_string(),
            text: fields.text(kind),
            kind,
            params: fields.params(),
            idempotency_key,
            status: SmsStatus::Queued,
            attempts: 0,
            last_error: None,
            provider_id: None,
            next_attempt_at: Some(now),
            created_at: now,
            updated_at: now,
            sent_at: None,
            delivered_at: None,
        })
    }

    /// The key of "this participant was told this time at this phone": an invitation
    /// and a notice of a new time share it, so neither goes out twice for one time.
    pub fn schedule_key(&self, participant: &Participant) -> String {
        format!(
            "notice:{}:{}:{}",
            participant.id,
            participant.phone.as_ref().map_or("", |p| p.as_str()),
            self.hearing.scheduled_at.timestamp()
        )
    }

    /// Invitations (or notices of the new time, `kind`) for everyone with a phone.
    pub fn for_everyone(
        &self,
        kind: NoticeKind,
        participants: &[Participant],
        now: DateTime<Utc>,
    ) -> Vec<OutboxMessage> {
        participants
            .iter()
            .filter_map(|p| {
                self.message(
                    kind,
                    p,
                    self.hearing.scheduled_at,
                    self.schedule_key(p),
                    now,
                )
            })
            .collect()
    }

    /// Cancellation notices, for hearings whose notices went out.
    pub fn cancellations(
        &self,
        participants: &[Participant],
        now: DateTime<Utc>,
    ) -> Vec<OutboxMessage> {
        if self.hearing.notices_sent_at.is_none() {
            return Vec::new();
        }
        participants
            .iter()
            .filter_map(|p| {
                let key = format!("cancellation:{}:{}", p.id, self.hearing.id);
                self.message(
                    NoticeKind::Cancellation,
                    p,
                    self.hearing.scheduled_at,
                    key,
                    now,
                )
            })
            .collect()
    }

    /// Reminders `minutes` before the hearing.
    pub fn reminders(
        &self,
        participants: &[Participant],
        minutes: u32,
        now: DateTime<Utc>,
    ) -> Vec<OutboxMessage> {
        participants
            .iter()
            .filter_map(|p| {
                let key = format!(
                    "reminder:{}:{}:{minutes}",
                    p.id,
                    self.hearing.scheduled_at.timestamp()
                );
                self.message(NoticeKind::Reminder, p, self.hearing.scheduled_at, key, now)
            })
            .collect()
    }
}
