//! The transcript (庭审笔录): a header filled from the hearing, entries by speaker, and
//! immutable versions named by the SHA-256 of a canonical form; the confirmation that
//! follows (签名 bound to one version's hash, or a 申请补正 instead), and its rules.

use crate::{Case, Court, Hearing, HearingId, Invalid, ParticipantId, ParticipantRole, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The title every transcript carries.
pub const TITLE: &str = "庭审笔录";
/// Where an internet hearing takes place.
pub const PLACE: &str = "互联网庭审";
/// The seed's note that opens every transcript, before the first entry.
pub const OPENING_NOTE: &str = "(开庭审理前，书记员应当查明当事人和其他诉讼参与人是否到庭，落座后宣布法庭纪律，请审判人员入庭就座)";

/// At most this many entries in one transcript.
pub const MAX_ENTRIES: usize = 5_000;
/// At most this many characters in one entry.
pub const MAX_ENTRY_CHARS: usize = 20_000;
/// At most this many characters in a speaker's name.
pub const MAX_SPEAKER_CHARS: usize = 50;
/// At most this many characters in a correction request or a clerk's reason.
pub const MAX_CORRECTION_CHARS: usize = 2_000;

/// The header lines, filled by the server from the hearing (never sent by a client).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Header {
    /// 法院, e.g. 北京市石景山区人民法院.
    pub court: String,
    /// 庭审笔录.
    pub title: String,
    /// 时间: the court-local date as the seed writes it, 2020年03月12日.
    pub time: String,
    /// 地点: 互联网庭审.
    pub place: String,
    /// 案由.
    pub cause: String,
    /// 案号.
    pub case_number: String,
    /// 审判人员: the presiding judge first.
    pub judges: Vec<String>,
    /// 书记员.
    pub clerk: String,
}

impl Header {
    /// The header of a hearing's transcript; `bench` lists the bench's roles and names.
    pub fn for_hearing(
        court: &Court,
        case: &Case,
        hearing: &Hearing,
        bench: &[(ParticipantRole, String)],
    ) -> Header {
        let local = hearing.scheduled_at.with_timezone(&court.time_zone.tz());
        let names = |wanted: &[ParticipantRole]| -> Vec<String> {
            wanted
                .iter()
                .flat_map(|role| {
                    bench
                        .iter()
                        .filter(move |(r, _)| r == role)
                        .map(|(_, name)| name.clone())
                })
                .collect()
        };
        Header {
            court: court.name.as_str().to_owned(),
            title: TITLE.to_owned(),
            time: local.format("%Y年%m月%d日").to_string(),
            place: PLACE.to_owned(),
            cause: case.cause.as_str().to_owned(),
            case_number: case.case_number.as_str().to_owned(),
            judges: names(&[ParticipantRole::PresidingJudge, ParticipantRole::Judge]),
            clerk: names(&[ParticipantRole::Clerk]).join("、"),
        }
    }
}

/// One entry: who spoke, and what the clerk wrote down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Entry {
    pub role: ParticipantRole,
    pub name: String,
    pub text: String,
}

impl Entry {
    /// Checks an entry as a client sent it; `index` (from 0) names it in the message.
    /// Line ends become `\n`; the text keeps its inner lines but not surrounding space.
    pub fn parse(
        role: ParticipantRole,
        name: &str,
        text: &str,
        index: usize,
    ) -> Result<Entry, Invalid> {
        let n = index + 1;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_SPEAKER_CHARS {
            return Err(Invalid::new(
                "entries",
                format!("第{n}条笔录的发言人姓名应为1至{MAX_SPEAKER_CHARS}个字符"),
                format!(
                    "entry {n}: the speaker's name must be 1 to {MAX_SPEAKER_CHARS} characters"
                ),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(Invalid::new(
                "entries",
                format!("第{n}条笔录的发言人姓名含有控制字符"),
                format!("entry {n}: the speaker's name contains control characters"),
            ));
        }
        let text = multiline_text(text).trim().to_owned();
        if text.is_empty() {
            return Err(Invalid::new(
                "entries",
                format!("第{n}条笔录没有内容"),
                format!("entry {n} is empty"),
            ));
        }
        if text.chars().count() > MAX_ENTRY_CHARS {
            return Err(Invalid::new(
                "entries",
                format!("第{n}条笔录不能超过{MAX_ENTRY_CHARS}个字符"),
                format!("entry {n} must be at most {MAX_ENTRY_CHARS} characters"),
            ));
        }
        if has_stray_control(&text) {
            return Err(Invalid::new(
                "entries",
                format!("第{n}条笔录含有控制字符"),
                format!("entry {n} contains control characters"),
            ));
        }
        Ok(Entry {
            role,
            name: name.to_owned(),
            text,
        })
    }
}

/// `\r\n` and lone `\r` become `\n`, so that the same words always hash the same.
fn multiline_text(raw: &str) -> String {
    raw.replace("\r\n", "\n").replace('\r', "\n")
}

/// Control characters other than line breaks and tabs.
fn has_stray_control(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
}

/// Checks the number of entries a client sent.
pub fn check_entry_count(count: usize) -> Result<(), Invalid> {
    if count > MAX_ENTRIES {
        return Err(Invalid::new(
            "entries",
            format!("笔录不能超过{MAX_ENTRIES}条"),
            format!("a transcript holds at most {MAX_ENTRIES} entries"),
        ));
    }
    Ok(())
}

/// What a version says: header, opening note and entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Content {
    pub header: Header,
    pub opening_note: String,
    pub entries: Vec<Entry>,
}

impl Content {
    pub fn new(header: Header, entries: Vec<Entry>) -> Content {
        Content {
            header,
            opening_note: OPENING_NOTE.to_owned(),
            entries,
        }
    }

    /// The canonical form that is hashed: compact JSON of the fields in their declared
    /// order (`header` {court, title, time, place, cause, case_number, judges, clerk},
    /// `opening_note`, `entries` [{role, name, text}]), UTF-8, no insignificant space.
    pub fn canonical(&self) -> String {
        // Serialising plain structs and strings cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Lowercase hex SHA-256 of the canonical form.
    pub fn sha256(&self) -> String {
        hex::encode(Sha256::digest(self.canonical().as_bytes()))
    }
}

/// A saved version, without its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionInfo {
    pub hearing_id: HearingId,
    /// 1, 2, 3 … in the order saved.
    pub number: i32,
    pub sha256: String,
    pub entry_count: i32,
    /// The client's id of the save, so that a resent save is recognised.
    pub save_id: Uuid,
    pub saved_by: UserId,
    pub saved_at: DateTime<Utc>,
}

/// A saved version with its content; versions are never changed or deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub info: VersionInfo,
    pub content: Content,
}

/// What to do with a save.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveDecision {
    /// The content equals the latest version: nothing new to keep.
    Unchanged,
    /// Keep it as version `number`.
    Create { number: i32 },
}

/// The save was made from an older version than the latest (someone else saved).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the transcript was saved as version {latest} after version {base}")]
pub struct SaveConflict {
    pub base: i32,
    pub latest: i32,
}

/// Decides a save of content hashing to `sha256`, made from version `base`, given the
/// latest version (number and hash), if any.
pub fn decide_save(
    latest: Option<(i32, &str)>,
    base: i32,
    sha256: &str,
) -> Result<SaveDecision, SaveConflict> {
    let latest_number = latest.map_or(0, |(number, _)| number);
    if latest.is_some_and(|(_, hash)| hash == sha256) {
        return Ok(SaveDecision::Unchanged);
    }
    if base != latest_number {
        return Err(SaveConflict {
            base,
            latest: latest_number,
        });
    }
    Ok(SaveDecision::Create {
        number: latest_number + 1,
    })
}

/// A point of a handwritten stroke: canvas pixels, milliseconds since the stroke
/// began, pressure 0..=1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StrokePoint {
    pub x: f64,
    pub y: f64,
    pub t: f64,
    pub p: f64,
}

/// At most this many points in one signature (a long signature has a few thousand).
pub const MAX_SIGNATURE_POINTS: usize = 20_000;
/// At most this many strokes in one signature.
pub const MAX_SIGNATURE_STROKES: usize = 500;
/// A signature needs this many points, or at least two strokes.
pub const MIN_SIGNATURE_POINTS: usize = 30;
/// The ink must span this share of the canvas width.
pub const MIN_SIGNATURE_SPAN: f64 = 0.2;
/// The canvas may be 50 to 10 000 CSS pixels on a side.
const CANVAS_SIDES: std::ops::RangeInclusive<f64> = 50.0..=10_000.0;
/// A stroke lasts at most ten minutes.
const MAX_STROKE_MS: f64 = 600_000.0;

/// Why a handwritten signature is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SignatureProblem {
    #[error("the signature is empty")]
    Empty,
    #[error("the signature is too small to be a signature")]
    Trivial,
    #[error("the signature has too many points")]
    TooLarge,
    #[error("{0}")]
    Malformed(Invalid),
}

/// Checks the strokes of a signature drawn on a `width` × `height` canvas: real
/// numbers inside the canvas, bounded in size, and enough ink to be a signature.
pub fn check_signature(
    width: f64,
    height: f64,
    strokes: &[Vec<StrokePoint>],
) -> Result<(), SignatureProblem> {
    if !CANVAS_SIDES.contains(&width) || !CANVAS_SIDES.contains(&height) {
        return Err(SignatureProblem::Malformed(Invalid::new(
            "width",
            "签名画布的尺寸无效",
            "the signing canvas has an invalid size",
        )));
    }
    let points: usize = strokes.iter().map(Vec::len).sum();
    if points > MAX_SIGNATURE_POINTS || strokes.len() > MAX_SIGNATURE_STROKES {
        return Err(SignatureProblem::TooLarge);
    }
    if points == 0 {
        return Err(SignatureProblem::Empty);
    }
    let mut left = f64::INFINITY;
    let mut right = f64::NEG_INFINITY;
    for point in strokes.iter().flatten() {
        let inside = point.x.is_finite()
            && point.y.is_finite()
            && (-1.0..=width + 1.0).contains(&point.x)
            && (-1.0..=height + 1.0).contains(&point.y)
            && (0.0..=1.0).contains(&point.p)
            && (0.0..=MAX_STROKE_MS).contains(&point.t);
        if !inside {
            return Err(SignatureProblem::Malformed(Invalid::new(
                "strokes",
                "签名笔迹含有画布以外或无效的点",
                "the signature has points outside the canvas or invalid values",
            )));
        }
        left = left.min(point.x);
        right = right.max(point.x);
    }
    let drawn = strokes.iter().filter(|s| !s.is_empty()).count();
    if (drawn < 2 && points < MIN_SIGNATURE_POINTS) || right - left < MIN_SIGNATURE_SPAN * width {
        return Err(SignatureProblem::Trivial);
    }
    Ok(())
}

/// A participant's handwritten signature of one version.
#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    pub id: Uuid,
    pub hearing_id: HearingId,
    pub participant_id: ParticipantId,
    /// The version signed, and its hash: the signature belongs to that text only.
    pub version: i32,
    pub sha256: String,
    pub width: f64,
    pub height: f64,
    pub strokes: Vec<Vec<StrokePoint>>,
    /// SHA-256 of the PNG kept with it.
    pub image_sha256: String,
    pub signed_at: DateTime<Utc>,
}

/// Where a correction request (申请补正) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CorrectionStatus {
    Pending,
    Accepted,
    Refused,
}

impl CorrectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CorrectionStatus::Pending => "pending",
            CorrectionStatus::Accepted => "accepted",
            CorrectionStatus::Refused => "refused",
        }
    }

    pub fn parse(raw: &str) -> Option<CorrectionStatus> {
        match raw {
            "pending" => Some(CorrectionStatus::Pending),
            "accepted" => Some(CorrectionStatus::Accepted),
            "refused" => Some(CorrectionStatus::Refused),
            _ => None,
        }
    }
}

/// A participant's request to correct the transcript, and the clerk's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    pub id: Uuid,
    pub hearing_id: HearingId,
    pub participant_id: ParticipantId,
    /// The version the request is about.
    pub version: i32,
    pub text: String,
    pub requested_at: DateTime<Utc>,
    pub status: CorrectionStatus,
    pub reason: Option<String>,
    pub resolved_by: Option<UserId>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// The version that carries the correction, when accepted.
    pub resolved_version: Option<i32>,
}

/// Checks the text of a correction request or of a clerk's reason (`field` names it).
pub fn correction_text(raw: &str, field: &'static str) -> Result<String, Invalid> {
    let text = multiline_text(raw).trim().to_owned();
    if text.is_empty() || text.chars().count() > MAX_CORRECTION_CHARS {
        return Err(Invalid::new(
            field,
            format!("请填写1至{MAX_CORRECTION_CHARS}个字符的说明"),
            format!("write 1 to {MAX_CORRECTION_CHARS} characters"),
        ));
    }
    if has_stray_control(&text) {
        return Err(Invalid::new(
            field,
            "说明含有控制字符",
            "the text contains control characters",
        ));
    }
    Ok(text)
}

/// Why a correction cannot be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("the correction request was already answered")]
    AlreadyResolved,
    #[error("{0}")]
    Invalid(Invalid),
}

impl Correction {
    /// The clerk's answer: accepted (the correction is in `latest_version`) or refused
    /// with a reason. A request is answered once.
    pub fn resolve(
        &self,
        accepted: bool,
        reason: &str,
        latest_version: i32,
        by: UserId,
        at: DateTime<Utc>,
    ) -> Result<Correction, ResolveError> {
        if self.status != CorrectionStatus::Pending {
            return Err(ResolveError::AlreadyResolved);
        }
        let reason = if accepted && reason.trim().is_empty() {
            None
        } else {
            Some(correction_text(reason, "reason").map_err(ResolveError::Invalid)?)
        };
        Ok(Correction {
            status: if accepted {
                CorrectionStatus::Accepted
            } else {
                CorrectionStatus::Refused
            },
            reason,
            resolved_by: Some(by),
            resolved_at: Some(at),
            resolved_version: accepted.then_some(latest_version),
            ..self.clone()
        })
    }
}

/// Where a participant stands in the confirmation of the transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Has not signed yet.
    Pending,
    /// Signed the latest version.
    Signed,
    /// Signed an older version: must look at the new one and sign again.
    Outdated,
    /// Asked for a correction that the clerk has not answered.
    CorrectionRequested,
}

/// A participant's status given the latest version's hash, the hash their latest
/// signature is bound to, and whether a correction request of theirs is pending.
pub fn task_status(
    latest_sha256: Option<&str>,
    signed_sha256: Option<&str>,
    correction_pending: bool,
) -> TaskStatus {
    match signed_sha256 {
        Some(signed) if Some(signed) == latest_sha256 => TaskStatus::Signed,
        _ if correction_pending => TaskStatus::CorrectionRequested,
        Some(_) => TaskStatus::Outdated,
        None => TaskStatus::Pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CaseId, CaseNumber, Cause, CourtId, CourtName, HearingState, MeetingNumber};
    use crate::{TimeZoneName, UserId};
    use chrono::TimeZone;

    fn seed_header() -> Header {
        let court = Court {
            id: CourtId(Uuid::nil()),
            name: CourtName::parse("北京市石景山区人民法院").expect("name"),
            time_zone: TimeZoneName::parse("Asia/Shanghai").expect("zone"),
            created_at: Utc::now(),
        };
        let case = Case {
            id: CaseId(Uuid::nil()),
            court_id: court.id,
            case_number: CaseNumber::parse("测北京市石景山法院202003121614").expect("number"),
            cause: Cause::parse("测北京市石景山法院202003121614").expect("cause"),
            created_at: Utc::now(),
        };
        // 2020-03-12 16:14 in Beijing is 08:14 UTC; 23:30 UTC the day before is the 12th there too.
        let hearing = Hearing {
            id: HearingId(Uuid::nil()),
            court_id: court.id,
            case_id: case.id,
            meeting_number: MeetingNumber::parse("12345678").expect("number"),
            scheduled_at: Utc
                .with_ymd_and_hms(2020, 3, 11, 23, 30, 0)
                .single()
                .expect("time"),
            state: HearingState::Scheduled,
            notices_sent_at: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        Header::for_hearing(
            &court,
            &case,
            &hearing,
            &[
                (ParticipantRole::Clerk, "梁1".to_owned()),
                (ParticipantRole::Judge, "王2".to_owned()),
                (ParticipantRole::PresidingJudge, "许1".to_owned()),
            ],
        )
    }

    #[test]
    fn the_header_is_the_seeds() {
        let header = seed_header();
        assert_eq!(header.court, "北京市石景山区人民法院");
        assert_eq!(header.title, "庭审笔录");
        assert_eq!(header.time, "2020年03月12日");
        assert_eq!(header.place, "互联网庭审");
        assert_eq!(header.case_number, "测北京市石景山法院202003121614");
        assert_eq!(header.judges, ["许1", "王2"]);
        assert_eq!(header.clerk, "梁1");
    }

    #[test]
    fn the_hash_covers_every_word_and_is_stable() {
        let entry = |text: &str| {
            Entry::parse(ParticipantRole::Plaintiff, "贾1", text, 0).expect("valid entry")
        };
        let a = Content::new(seed_header(), vec![entry("我方坚持诉讼请求。")]);
        let same = Content::new(seed_header(), vec![entry("  我方坚持诉讼请求。\r\n")]);
        let other = Content::new(seed_header(), vec![entry("我方坚持诉讼请求")]);
        assert_eq!(a.sha256(), same.sha256());
        assert_ne!(a.sha256(), other.sha256());
        assert_eq!(a.sha256().len(), 64);
        assert!(
            a.canonical()
                .starts_with(r#"{"header":{"court":"北京市石景山区人民法院","title":"庭审笔录""#)
        );
        assert!(a.canonical().contains(r#""opening_note":"(开庭审理前"#));
        // A known answer (computed outside Rust from the documented form) pins the
        // canonical form: changing it would orphan every signature already given.
        assert_eq!(
            a.sha256(),
            "eb15a02a911b8a0881267fea2880793f9c4c6f5c2f3c7f764511567ac1c659fe"
        );
    }

    #[test]
    fn entries_are_checked() {
        let role = ParticipantRole::Defendant;
        assert!(Entry::parse(role, "李1", "  ", 0).is_err());
        assert!(Entry::parse(role, "", "有话说", 0).is_err());
        assert!(Entry::parse(role, "李1", "a\u{7}b", 0).is_err());
        let long = "字".repeat(MAX_ENTRY_CHARS + 1);
        let err = Entry::parse(role, "李1", &long, 4).expect_err("too long");
        assert!(err.zh.contains("第5条"), "{}", err.zh);
        let kept = Entry::parse(role, "李1", "第一行\r\n\t第二行", 0).expect("valid");
        assert_eq!(kept.text, "第一行\n\t第二行");
        assert!(check_entry_count(MAX_ENTRIES).is_ok());
        assert!(check_entry_count(MAX_ENTRIES + 1).is_err());
    }

    #[test]
    fn saves_follow_the_latest_version() {
        assert_eq!(
            decide_save(None, 0, "a"),
            Ok(SaveDecision::Create { number: 1 })
        );
        assert_eq!(
            decide_save(Some((3, "a")), 3, "b"),
            Ok(SaveDecision::Create { number: 4 })
        );
        assert_eq!(
            decide_save(Some((3, "a")), 3, "a"),
            Ok(SaveDecision::Unchanged)
        );
        // Unchanged even from an old base: nothing would be overwritten.
        assert_eq!(
            decide_save(Some((3, "a")), 1, "a"),
            Ok(SaveDecision::Unchanged)
        );
        assert_eq!(
            decide_save(Some((3, "a")), 2, "b"),
            Err(SaveConflict { base: 2, latest: 3 })
        );
        assert_eq!(
            decide_save(None, 1, "b"),
            Err(SaveConflict { base: 1, latest: 0 })
        );
    }

    fn stroke(from: (f64, f64), to: (f64, f64), points: usize) -> Vec<StrokePoint> {
        (0..points)
            .map(|i| {
                let f = i as f64 / (points.max(2) - 1) as f64;
                StrokePoint {
                    x: from.0 + (to.0 - from.0) * f,
                    y: from.1 + (to.1 - from.1) * f,
                    t: i as f64 * 16.0,
                    p: 0.5,
                }
            })
            .collect()
    }

    #[test]
    fn a_signature_needs_real_ink() {
        let ok = vec![
            stroke((100.0, 100.0), (400.0, 200.0), 20),
            stroke((150.0, 220.0), (450.0, 120.0), 20),
        ];
        assert_eq!(check_signature(800.0, 400.0, &ok), Ok(()));
        assert_eq!(
            check_signature(800.0, 400.0, &[]),
            Err(SignatureProblem::Empty)
        );
        assert_eq!(
            check_signature(800.0, 400.0, &[vec![], vec![]]),
            Err(SignatureProblem::Empty)
        );
        // A dot, a short tick, and two strokes squeezed into a corner.
        let dot = vec![stroke((10.0, 10.0), (10.0, 10.0), 1)];
        assert_eq!(
            check_signature(800.0, 400.0, &dot),
            Err(SignatureProblem::Trivial)
        );
        let tick = vec![stroke((10.0, 10.0), (600.0, 10.0), 5)];
        assert_eq!(
            check_signature(800.0, 400.0, &tick),
            Err(SignatureProblem::Trivial)
        );
        let cramped = vec![
            stroke((10.0, 10.0), (60.0, 60.0), 40),
            stroke((60.0, 10.0), (10.0, 60.0), 40),
        ];
        assert_eq!(
            check_signature(800.0, 400.0, &cramped),
            Err(SignatureProblem::Trivial)
        );
        // Out of the canvas, non-finite, absurd pressure or size.
        let mut outside = ok.clone();
        outside[0][3].x = 5000.0;
        assert!(matches!(
            check_signature(800.0, 400.0, &outside),
            Err(SignatureProblem::Malformed(_))
        ));
        let mut nan = ok.clone();
        nan[1][0].y = f64::NAN;
        assert!(matches!(
            check_signature(800.0, 400.0, &nan),
            Err(SignatureProblem::Malformed(_))
        ));
        let mut pressed = ok.clone();
        pressed[0][0].p = 7.0;
        assert!(matches!(
            check_signature(800.0, 400.0, &pressed),
            Err(SignatureProblem::Malformed(_))
        ));
        assert!(matches!(
            check_signature(0.0, 400.0, &ok),
            Err(SignatureProblem::Malformed(_))
        ));
        let huge = vec![stroke((0.0, 0.0), (700.0, 300.0), MAX_SIGNATURE_POINTS + 1)];
        assert_eq!(
            check_signature(800.0, 400.0, &huge),
            Err(SignatureProblem::TooLarge)
        );
    }

    fn pending() -> Correction {
        Correction {
            id: Uuid::nil(),
            hearing_id: HearingId(Uuid::nil()),
            participant_id: ParticipantId(Uuid::nil()),
            version: 2,
            text: "第3条应为“不同意”".to_owned(),
            requested_at: Utc::now(),
            status: CorrectionStatus::Pending,
            reason: None,
            resolved_by: None,
            resolved_at: None,
            resolved_version: None,
        }
    }

    #[test]
    fn a_correction_is_answered_once_and_a_refusal_says_why() {
        let clerk = UserId(Uuid::nil());
        let now = Utc::now();
        let accepted = pending()
            .resolve(true, "", 3, clerk, now)
            .expect("accepted");
        assert_eq!(accepted.status, CorrectionStatus::Accepted);
        assert_eq!(accepted.resolved_version, Some(3));
        assert_eq!(accepted.reason, None);
        assert_eq!(
            accepted.resolve(false, "迟了", 3, clerk, now),
            Err(ResolveError::AlreadyResolved)
        );
        assert!(matches!(
            pending().resolve(false, "  ", 3, clerk, now),
            Err(ResolveError::Invalid(_))
        ));
        let refused = pending()
            .resolve(false, "与录音一致，不予补正", 3, clerk, now)
            .expect("refused");
        assert_eq!(refused.status, CorrectionStatus::Refused);
        assert_eq!(refused.resolved_version, None);
        assert_eq!(refused.reason.as_deref(), Some("与录音一致，不予补正"));
        assert!(correction_text("", "text").is_err());
        assert!(correction_text(&"字".repeat(MAX_CORRECTION_CHARS + 1), "text").is_err());
    }

    #[test]
    fn a_task_follows_the_latest_version() {
        assert_eq!(task_status(Some("v2"), None, false), TaskStatus::Pending);
        assert_eq!(
            task_status(Some("v2"), Some("v2"), false),
            TaskStatus::Signed
        );
        assert_eq!(
            task_status(Some("v2"), Some("v1"), false),
            TaskStatus::Outdated
        );
        assert_eq!(
            task_status(Some("v2"), Some("v1"), true),
            TaskStatus::CorrectionRequested
        );
        assert_eq!(
            task_status(Some("v2"), Some("v2"), true),
            TaskStatus::Signed
        );
        assert_eq!(task_status(None, None, false), TaskStatus::Pending);
    }
}
