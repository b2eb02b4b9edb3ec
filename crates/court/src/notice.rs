//! Notices by SMS (开庭通知): the texts, word for word as the seed guide's, the outbox
//! message that carries one, and when reminders fall due. Pure: the server sends.

use crate::{CourtId, HearingId, ParticipantId};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// What a notice is for.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    Invitation,
    Reminder,
    Reschedule,
    Cancellation,
    JoinCode,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 5] = [
        NoticeKind::Invitation,
        NoticeKind::Reminder,
        NoticeKind::Reschedule,
        NoticeKind::Cancellation,
        NoticeKind::JoinCode,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Invitation => "invitation",
            NoticeKind::Reminder => "reminder",
            NoticeKind::Reschedule => "reschedule",
            NoticeKind::Cancellation => "cancellation",
            NoticeKind::JoinCode => "join_code",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == s)
    }
}

/// Where a message stands in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SmsStatus {
    /// Waiting for the sender.
    Queued,
    /// Handed to the driver right now.
    Sending,
    /// The provider took it.
    Sent,
    /// The provider reports it reached the phone.
    Delivered,
    /// The last attempt failed; retried at `next_attempt_at` if set.
    Failed,
}

impl SmsStatus {
    pub const ALL: [SmsStatus; 5] = [
        SmsStatus::Queued,
        SmsStatus::Sending,
        SmsStatus::Sent,
        SmsStatus::Delivered,
        SmsStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SmsStatus::Queued => "queued",
            SmsStatus::Sending => "sending",
            SmsStatus::Sent => "sent",
            SmsStatus::Delivered => "delivered",
            SmsStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }
}

/// One SMS in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    pub id: Uuid,
    pub court_id: CourtId,
    pub hearing_id: Option<HearingId>,
    pub participant_id: Option<ParticipantId>,
    /// The name the message was addressed to, as it was then.
    pub recipient_name: String,
    pub phone: String,
    pub text: String,
    pub kind: NoticeKind,
    /// The template's fields, for providers that send a template id and parameters.
    pub params: BTreeMap<String, String>,
    /// The same key is never queued twice: a notice goes out once.
    pub idempotency_key: String,
    pub status: SmsStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub provider_id: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// The fields of a hearing notice, already formatted for the court's time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeFields {
    /// The name in 【】, e.g. 北京云法庭.
    pub sign_name: String,
    pub name: String,
    /// The case as the court names it in notices (案号 or 案由).
    pub case: String,
    /// YYYY-MM-DD.
    pub date: String,
    /// HH:MM.
    pub time: String,
    /// The client page, e.g. https://court.example/d/91951413.
    pub url: String,
    /// The phrase in parentheses after 下载庭审客户端.
    pub client_note: String,
    pub meeting_number: String,
}

impl NoticeFields {
    /// The seed's invitation, word for word but for its fields.
    pub fn invitation(&self) -> String {
        let f = self;
        format!(
            "【{}】{}，您好，您参与的{}会议，已决定于{}{}进行互联网庭审。请提前访问{}下载庭审客户端（{}）、安装并使用会议号登录，会议号为：{}",
            f.sign_name, f.name, f.case, f.date, f.time, f.url, f.client_note, f.meeting_number
        )
    }

    /// A reminder before the hearing, in the invitation's words.
    pub fn reminder(&self) -> String {
        let f = self;
        format!(
            "【{}】{}，您好，您参与的{}会议，将于{}{}进行互联网庭审，请提前访问{}做好准备，会议号为：{}",
            f.sign_name, f.name, f.case, f.date, f.time, f.url, f.meeting_number
        )
    }

    /// The hearing's time changed; the meeting number stays.
    pub fn reschedule(&self) -> String {
        let f = self;
        format!(
            "【{}】{}，您好，您参与的{}会议，开庭时间已变更为{}{}，届时请访问{}使用会议号登录，会议号为：{}",
            f.sign_name, f.name, f.case, f.date, f.time, f.url, f.meeting_number
        )
    }

    /// The hearing was cancelled; `date` and `time` are the time it had.
    pub fn cancellation(&self) -> String {
        let f = self;
        format!(
            "【{}】{}，您好，您参与的{}会议（原定于{}{}进行互联网庭审）已取消，具体安排以法院通知为准。",
            f.sign_name, f.name, f.case, f.date, f.time
        )
    }

    pub fn text(&self, kind: NoticeKind) -> String {
        match kind {
            NoticeKind::Invitation => self.invitation(),
            NoticeKind::Reminder => self.reminder(),
            NoticeKind::Reschedule => self.reschedule(),
            NoticeKind::Cancellation => self.cancellation(),
            // Join codes have their own short text; see [`join_code_text`].
            NoticeKind::JoinCode => String::new(),
        }
    }

    /// The fields by name, for template-based providers.
    pub fn params(&self) -> BTreeMap<String, String> {
        [
            ("name", &self.name),
            ("case", &self.case),
            ("date", &self.date),
            ("time", &self.time),
            ("url", &self.url),
            ("number", &self.meeting_number),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value.clone()))
        .collect()
    }
}

/// The one-time code's short text.
pub fn join_code_text(sign_name: &str, code: &str) -> String {
    format!(
        "【{sign_name}】您的庭审登录验证码为{code}，5分钟内有效。请勿告诉他人；如非本人操作，请忽略本短信。"
    )
}

/// The reminder offsets (minutes before the hearing) that are due now: inside their
/// window, before the hearing, and only those whose moment came after the invitation
/// went out (an invitation sent 30 minutes before needs no 24-hour reminder).
pub fn due_reminders(
    scheduled_at: DateTime<Utc>,
    invited_at: DateTime<Utc>,
    now: DateTime<Utc>,
    offsets: &[u32],
) -> Vec<u32> {
    offsets
        .iter()
        .copied()
        .filter(|minutes| {
            let moment = scheduled_at - Duration::minutes(i64::from(*minutes));
            moment <= now && now < scheduled_at && invited_at < moment
        })
        .collect()
}

/// How long to wait before attempt `attempt + 1`: `base`, doubling each time, at most
/// an hour.
pub fn retry_delay(base_seconds: u64, attempt: i32) -> Duration {
    let doublings = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(0)
        .min(16);
    let seconds = base_seconds.saturating_mul(1u64 << doublings).min(3_600);
    Duration::seconds(i64::try_from(seconds).unwrap_or(3_600))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn fields() -> NoticeFields {
        NoticeFields {
            sign_name: "北京云法庭".into(),
            name: "贾1".into(),
            case: "测北京市石景山法院202003121614".into(),
            date: "2020-03-12".into(),
            time: "17:00".into(),
            url: "https://cloudcourt.bjcourt.gov.cn/ots/download/91951413".into(),
            client_note: "电脑端支持windows系统".into(),
            meeting_number: "91951413".into(),
        }
    }

    #[test]
    fn the_invitation_is_the_seeds_word_for_word() {
        assert_eq!(
            fields().invitation(),
            "【北京云法庭】贾1，您好，您参与的测北京市石景山法院202003121614会议，已决定于2020-03-1217:00进行互联网庭审。请提前访问https://cloudcourt.bjcourt.gov.cn/ots/download/91951413下载庭审客户端（电脑端支持windows系统）、安装并使用会议号登录，会议号为：91951413"
        );
    }

    #[test]
    fn every_notice_names_the_case_and_the_number() {
        for kind in [
            NoticeKind::Invitation,
            NoticeKind::Reminder,
            NoticeKind::Reschedule,
        ] {
            let text = fields().text(kind);
            assert!(text.starts_with("【北京云法庭】贾1，您好，"), "{text}");
            assert!(text.contains("测北京市石景山法院202003121614"), "{text}");
            assert!(text.ends_with("会议号为：91951413"), "{text}");
        }
        assert!(fields().cancellation().contains("已取消"));
        assert_eq!(fields().params()["number"], "91951413");
        assert_eq!(
            join_code_text("北京云法庭", "123456"),
            "【北京云法庭】您的庭审登录验证码为123456，5分钟内有效。请勿告诉他人；如非本人操作，请忽略本短信。"
        );
    }

    #[test]
    fn reminders_fall_due_in_their_window_only() {
        let at = Utc
            .with_ymd_and_hms(2026, 12, 2, 9, 0, 0)
            .single()
            .expect("valid");
        let invited = at - Duration::days(3);
        let offsets = [1440, 60];
        assert_eq!(
            due_reminders(at, invited, at - Duration::hours(30), &offsets),
            Vec::<u32>::new()
        );
        assert_eq!(
            due_reminders(at, invited, at - Duration::hours(23), &offsets),
            vec![1440]
        );
        assert_eq!(
            due_reminders(at, invited, at - Duration::minutes(30), &offsets),
            vec![1440, 60]
        );
        assert_eq!(
            due_reminders(at, invited, at, &offsets),
            Vec::<u32>::new(),
            "too late"
        );
        // Invited 30 minutes before: no reminder at all.
        let late_invite = at - Duration::minutes(30);
        assert_eq!(
            due_reminders(at, late_invite, at - Duration::minutes(10), &offsets),
            Vec::<u32>::new()
        );
    }

    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        assert_eq!(retry_delay(30, 1), Duration::seconds(30));
        assert_eq!(retry_delay(30, 2), Duration::seconds(60));
        assert_eq!(retry_delay(30, 3), Duration::seconds(120));
        assert_eq!(retry_delay(30, 20), Duration::seconds(3_600));
        assert_eq!(retry_delay(30, 0), Duration::seconds(30));
    }
}
