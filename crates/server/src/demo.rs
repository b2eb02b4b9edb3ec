//! Demo data for `cloudcourt demo`: the court of the seed guide, its staff (许1 the judge,
//! 梁1 the clerk), a case and a hearing today with a plaintiff, a defendant and an agent.
//! Created on first start; later starts find it and only print it again.

use crate::admin::{create_user, set_password};
use crate::config::Config;
use anyhow::Context;
use chrono::{Duration, TimeZone, Timelike, Utc};
use court::{
    AuditActor, Bench, Case, CaseId, CaseNumber, Cause, Court, Hearing, HearingId, HearingState,
    MeetingNumber, NewAuditEvent, Participant, ParticipantId, ParticipantRole, PersonName,
    PhoneNumber, StaffRole,
};
use serde_json::json;
use std::fmt::Write as _;
use store::Store;

const CASE_NUMBER: &str = "(2026)京0107民初1614号";
const CAUSE: &str = "民间借贷纠纷";
const STAFF: [(&str, &str, StaffRole); 3] = [
    ("admin", "管理员", StaffRole::Admin),
    ("judge", "许1", StaffRole::Judge),
    ("clerk", "梁1", StaffRole::Clerk),
];
const PARTICIPANTS: [(&str, ParticipantRole, &str); 3] = [
    ("贾1", ParticipantRole::Plaintiff, "13800000001"),
    ("王2", ParticipantRole::Defendant, "13800000002"),
    ("李3", ParticipantRole::Agent, "13800000003"),
];

/// What the demo has, for the start-up banner.
pub struct DemoReport {
    court: Court,
    /// (username, display name, role, password if set in this run)
    accounts: Vec<(String, String, StaffRole, Option<String>)>,
    case: Case,
    hearing: Option<Hearing>,
}

/// Creates the demo data if missing. With `password`, every demo account gets it
/// (also on later starts); without, new accounts get random passwords, shown once.
pub async fn ensure(
    store: &dyn Store,
    config: &Config,
    password: Option<String>,
) -> anyhow::Result<DemoReport> {
    let court = match store.court_by_name(&config.court.name).await? {
        Some(court) => court,
        None => {
            crate::app::create_court(
                store,
                &config.court.name,
                &config.court.time_zone,
                AuditActor::System,
            )
            .await?
        }
    };
    let mut accounts = Vec::new();
    let mut staff_ids = Vec::new();
    for (username, display_name, role) in STAFF {
        let (user, shown) = match store.user_credentials(username).await? {
            Some((user, stored)) => match &password {
                Some(password) => {
                    // Set only when it differs: setting a password ends the account's
                    // sessions, and another node of a cluster restarting with the same
                    // password must not sign everyone out.
                    if !crate::password::verify(password.clone(), Some(stored)).await {
                        set_password(store, &user, password, AuditActor::System).await?;
                    }
                    (user, Some(password.clone()))
                }
                None => (user, None),
            },
            None => {
                let chosen = password.clone().unwrap_or_else(crate::password::generate);
                let user = create_user(
                    store,
                    &court,
                    username,
                    display_name,
                    role,
                    &chosen,
                    AuditActor::System,
                )
                .await
                .with_context(|| format!("creating the demo account {username}"))?;
                (user, Some(chosen))
            }
        };
        staff_ids.push(user.id);
        accounts.push((
            username.to_owned(),
            user.display_name.to_string(),
            role,
            shown,
        ));
    }
    let case = match store
        .cases(court.id)
        .await?
        .into_iter()
        .find(|case| case.case_number.as_str() == CASE_NUMBER)
    {
        Some(case) => case,
        None => create_case(store, &court).await?,
    };
    let existing = store
        .hearings(court.id)
        .await?
        .into_iter()
        .find(|hearing| hearing.case_id == case.id && hearing.state.holds_meeting_number());
    let hearing = match existing {
        Some(hearing) => Some(hearing),
        None => Some(create_hearing(store, &court, &case, staff_ids[1], staff_ids[2]).await?),
    };
    Ok(DemoReport {
        court,
        accounts,
        case,
        hearing,
    })
}

async fn create_case(store: &dyn Store, court: &Court) -> anyhow::Result<Case> {
    let case = Case {
        id: CaseId::new(),
        court_id: court.id,
        case_number: CaseNumber::parse(CASE_NUMBER).map_err(|e| anyhow::anyhow!(e.en))?,
        cause: Cause::parse(CAUSE).map_err(|e| anyhow::anyhow!(e.en))?,
        created_at: court::to_storage_precision(Utc::now()),
    };
    let audit = NewAuditEvent::new(
        AuditActor::System,
        "case.create",
        json!({"case_id": case.id, "case_number": case.case_number, "cause": case.cause}),
    )
    .court(court.id);
    store.create_case(&case, audit).await?;
    Ok(case)
}

/// Today at 17:00 court time (as in the seed's SMS), or within the hour when that has passed.
fn demo_time(court: &Court) -> chrono::DateTime<Utc> {
    let zone = court.time_zone.tz();
    let now = Utc::now();
    let local = now.with_timezone(&zone);
    let five_pm = local
        .date_naive()
        .and_hms_opt(17, 0, 0)
        .and_then(|at| zone.from_local_datetime(&at).earliest())
        .map(|at| at.with_timezone(&Utc));
    match five_pm {
        Some(at) if at > now => at,
        _ => {
            let next = now + Duration::minutes(30);
            next.with_second(0)
                .and_then(|t| t.with_nanosecond(0))
                .unwrap_or(next)
        }
    }
}

async fn create_hearing(
    store: &dyn Store,
    court: &Court,
    case: &Case,
    judge: court::UserId,
    clerk: court::UserId,
) -> anyhow::Result<Hearing> {
    let bench = Bench::new(vec![judge], clerk).map_err(|e| anyhow::anyhow!(e.en))?;
    let now = court::to_storage_precision(Utc::now());
    let id = HearingId::new();
    let participants = PARTICIPANTS
        .iter()
        .map(|(name, role, phone)| {
            Ok(Participant {
                id: ParticipantId::new(),
                hearing_id: id,
                name: PersonName::parse(name).map_err(|e| anyhow::anyhow!(e.en))?,
                role: *role,
                phone: Some(PhoneNumber::parse(phone).map_err(|e| anyhow::anyhow!(e.en))?),
                id_number: None,
                rules_confirmed_at: None,
                checked_in_at: None,
                created_at: now,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut rng = rand::rng();
    for _ in 0..8 {
        let hearing = Hearing {
            id,
            court_id: court.id,
            case_id: case.id,
            meeting_number: MeetingNumber::generate(&mut rng),
            scheduled_at: court::to_storage_precision(demo_time(court)),
            state: HearingState::Scheduled,
            notices_sent_at: None,
            created_at: now,
            updated_at: now,
        };
        let audit = NewAuditEvent::new(
            AuditActor::System,
            "hearing.create",
            json!({"case_id": case.id, "meeting_number": hearing.meeting_number, "scheduled_at": hearing.scheduled_at, "demo": true}),
        )
        .court(court.id)
        .hearing(id);
        match store
            .create_hearing(&hearing, &bench, &participants, audit)
            .await
        {
            Ok(()) => return Ok(hearing),
            Err(store::StoreError::Conflict(store::Conflict::MeetingNumberTaken)) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    anyhow::bail!("no free meeting number found for the demo hearing")
}

impl DemoReport {
    /// The text printed at start: where to go, who to sign in as, which meeting number.
    pub fn banner(&self, base_url: &str) -> String {
        let mut text = String::new();
        let _ = writeln!(text, "\n云法庭 cloudcourt 演示 demo — {}", self.court.name);
        let _ = writeln!(text, "  控制台 console:  {base_url}/console/");
        let _ = writeln!(text, "  账号 accounts:");
        for (username, display_name, role, password) in &self.accounts {
            let password = password.as_deref().unwrap_or(
                "(已在首次启动时显示 shown at first start; reset: cloudcourt admin reset-password)",
            );
            let _ = writeln!(
                text,
                "    {username:<6} {display_name} {:<6} 密码 password: {password}",
                role.label_zh()
            );
        }
        if let Some(hearing) = &self.hearing {
            let zone = self.court.time_zone.tz();
            let _ = writeln!(
                text,
                "  庭审 hearing:    {} {} — {} — 会议号 meeting number: {}",
                self.case.case_number,
                self.case.cause,
                hearing
                    .scheduled_at
                    .with_timezone(&zone)
                    .format("%Y-%m-%d %H:%M"),
                hearing.meeting_number
            );
            let _ = writeln!(
                text,
                "  参与人 parties:   {base_url}/join/{} (原告 贾1 13800000001; 验证码 codes: console → 短信 / cloudcourt sms outbox)",
                hearing.meeting_number
            );
        }
        text
    }
}
