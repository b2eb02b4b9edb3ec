//! Evidence (证据): what a party or the court submits to a hearing, the rules for its
//! type (sniffed from the content, never the name), its name and text fields, its
//! withdrawal and admission, and the parties' cross-examination opinions (质证意见).

use crate::{HearingId, Invalid, ParticipantId, ParticipantRole};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The most evidence items one hearing holds.
pub const MAX_ITEMS_PER_HEARING: i64 = 200;
/// The longest title (证据名称).
pub const MAX_TITLE_CHARS: usize = 100;
/// The longest purpose (证明目的) or opinion text.
pub const MAX_TEXT_CHARS: usize = 2_000;
/// The longest file name kept.
const MAX_FILE_NAME_CHARS: usize = 120;
/// How many leading bytes the type is sniffed from.
pub const SNIFF_BYTES: usize = 8 * 1024;

/// What kind of file an item is, for previews.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    Image,
    Pdf,
    Audio,
    Video,
    /// Office documents: Word, Excel, PowerPoint, OpenDocument, RTF.
    Document,
    Text,
}

impl EvidenceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceKind::Image => "image",
            EvidenceKind::Pdf => "pdf",
            EvidenceKind::Audio => "audio",
            EvidenceKind::Video => "video",
            EvidenceKind::Document => "document",
            EvidenceKind::Text => "text",
        }
    }

    pub fn parse(raw: &str) -> Option<EvidenceKind> {
        [
            EvidenceKind::Image,
            EvidenceKind::Pdf,
            EvidenceKind::Audio,
            EvidenceKind::Video,
            EvidenceKind::Document,
            EvidenceKind::Text,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == raw)
    }
}

/// The types a court accepts, by the media type sniffed from the content.
const ACCEPTED: &[(&str, EvidenceKind)] = &[
    ("image/jpeg", EvidenceKind::Image),
    ("image/png", EvidenceKind::Image),
    ("image/gif", EvidenceKind::Image),
    ("image/webp", EvidenceKind::Image),
    ("image/heif", EvidenceKind::Image),
    ("image/avif", EvidenceKind::Image),
    ("image/bmp", EvidenceKind::Image),
    ("image/tiff", EvidenceKind::Image),
    ("application/pdf", EvidenceKind::Pdf),
    ("audio/mpeg", EvidenceKind::Audio),
    ("audio/m4a", EvidenceKind::Audio),
    ("audio/aac", EvidenceKind::Audio),
    ("audio/ogg", EvidenceKind::Audio),
    ("audio/opus", EvidenceKind::Audio),
    ("audio/x-wav", EvidenceKind::Audio),
    ("audio/x-flac", EvidenceKind::Audio),
    ("audio/amr", EvidenceKind::Audio),
    ("video/mp4", EvidenceKind::Video),
    ("video/x-m4v", EvidenceKind::Video),
    ("video/quicktime", EvidenceKind::Video),
    ("video/webm", EvidenceKind::Video),
    ("video/x-matroska", EvidenceKind::Video),
    ("video/x-msvideo", EvidenceKind::Video),
    ("video/mpeg", EvidenceKind::Video),
    ("application/msword", EvidenceKind::Document),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        EvidenceKind::Document,
    ),
    ("application/vnd.ms-excel", EvidenceKind::Document),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        EvidenceKind::Document,
    ),
    ("application/vnd.ms-powerpoint", EvidenceKind::Document),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        EvidenceKind::Document,
    ),
    (
        "application/vnd.oasis.opendocument.text",
        EvidenceKind::Document,
    ),
    (
        "application/vnd.oasis.opendocument.spreadsheet",
        EvidenceKind::Document,
    ),
    (
        "application/vnd.oasis.opendocument.presentation",
        EvidenceKind::Document,
    ),
    ("application/rtf", EvidenceKind::Document),
];

/// A type sniffed from a file's first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    pub media_type: &'static str,
    pub kind: EvidenceKind,
}

/// Why a file's type is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the file is {found}, which the court does not accept")]
pub struct TypeRefused {
    /// What the content turned out to be (a media type, or `unknown`).
    pub found: String,
}

/// Sniffs the type of a file from its first bytes (at least [`SNIFF_BYTES`] of them
/// when the file is that long): images, PDF, audio, video, office documents, and
/// plain UTF-8 text are accepted; anything else — programs, archives, HTML, scripts —
/// is refused whatever its name says.
pub fn sniff(head: &[u8], whole_file: bool) -> Result<Sniffed, TypeRefused> {
    if let Some(found) = infer::get(head) {
        let media_type = found.mime_type();
        return ACCEPTED
            .iter()
            .find(|(accepted, _)| *accepted == media_type)
            .map(|(media_type, kind)| Sniffed {
                media_type,
                kind: *kind,
            })
            .ok_or_else(|| TypeRefused {
                found: media_type.to_owned(),
            });
    }
    if is_plain_text(head, whole_file) {
        return Ok(Sniffed {
            media_type: "text/plain; charset=utf-8",
            kind: EvidenceKind::Text,
        });
    }
    Err(TypeRefused {
        found: "unknown".to_owned(),
    })
}

/// UTF-8 without NUL or control characters other than line breaks and tabs, and not
/// markup a browser would run. A sample cut mid-character at its end is fine.
fn is_plain_text(head: &[u8], whole_file: bool) -> bool {
    if head.is_empty() {
        return false;
    }
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        Err(err) if !whole_file && err.error_len().is_none() => {
            // Cut inside the last character: check what came before it.
            match std::str::from_utf8(&head[..err.valid_up_to()]) {
                Ok(text) => text,
                Err(_) => return false,
            }
        }
        Err(_) => return false,
    };
    let controls = text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'));
    let start = text.trim_start().to_ascii_lowercase();
    let markup = ["<!doctype", "<html", "<script", "<svg", "<?xml"]
        .iter()
        .any(|tag| start.starts_with(tag));
    !controls && !markup
}

/// Keeps a file name as metadata only: the last path component, without control
/// characters or leading dots, at most 120 characters; `证据` when nothing is left.
pub fn clean_file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '|' | '*' | '?' | ':'))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    let kept: String = cleaned.chars().take(MAX_FILE_NAME_CHARS).collect();
    if kept.is_empty() {
        "证据".to_owned()
    } else {
        kept
    }
}

/// Checks a title (证据名称): 1 to 100 characters, one line.
pub fn title(raw: &str) -> Result<String, Invalid> {
    let title = raw.trim();
    if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
        return Err(Invalid::new(
            "title",
            format!("证据名称应为1至{MAX_TITLE_CHARS}个字符"),
            format!("The title must be 1 to {MAX_TITLE_CHARS} characters"),
        ));
    }
    if title.chars().any(char::is_control) {
        return Err(Invalid::new(
            "title",
            "证据名称不能包含控制字符",
            "The title must not contain control characters",
        ));
    }
    Ok(title.to_owned())
}

/// Checks a longer text (证明目的, an opinion): up to 2000 characters, lines allowed.
pub fn long_text(raw: &str, field: &'static str) -> Result<String, Invalid> {
    let text = raw.replace("\r\n", "\n").trim().to_owned();
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(Invalid::new(
            field,
            format!("内容不能超过{MAX_TEXT_CHARS}个字符"),
            format!("At most {MAX_TEXT_CHARS} characters"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t'))
    {
        return Err(Invalid::new(
            field,
            "内容不能包含控制字符",
            "The text must not contain control characters",
        ));
    }
    Ok(text)
}

/// Checks a declared file size against the limit.
pub fn check_size(size: u64, limit: u64) -> Result<(), SizeProblem> {
    match size {
        0 => Err(SizeProblem::Empty),
        size if size > limit => Err(SizeProblem::TooLarge { limit }),
        _ => Ok(()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SizeProblem {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than {limit} bytes")]
    TooLarge { limit: u64 },
}

/// Who submitted an item: a member of the court's staff or a participant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Submitter {
    /// `staff` or `participant`.
    pub kind: String,
    pub id: Uuid,
    pub name: String,
    pub role: ParticipantRole,
}

/// Whether an item still stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceStatus {
    Submitted,
    /// Withdrawn by its submitter: kept, marked.
    Withdrawn,
}

/// What the court decided about an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Admission {
    Pending,
    Admitted,
    NotAdmitted,
}

impl Admission {
    pub fn as_str(self) -> &'static str {
        match self {
            Admission::Pending => "pending",
            Admission::Admitted => "admitted",
            Admission::NotAdmitted => "not_admitted",
        }
    }

    pub fn parse(raw: &str) -> Option<Admission> {
        [
            Admission::Pending,
            Admission::Admitted,
            Admission::NotAdmitted,
        ]
        .into_iter()
        .find(|a| a.as_str() == raw)
    }
}

/// One item of evidence. Never deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub id: Uuid,
    pub hearing_id: HearingId,
    /// 1, 2, 3 … in the order submitted to the hearing.
    pub number: i32,
    pub title: String,
    pub purpose: String,
    /// The submitted file's name, cleaned: metadata only, never a path.
    pub file_name: String,
    pub media_type: String,
    pub kind: EvidenceKind,
    pub size: i64,
    pub sha256: String,
    /// Where the bytes are in the blob store.
    pub blob_key: String,
    pub submitter: Submitter,
    pub submitted_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdraw_reason: Option<String>,
    pub admission: Admission,
    pub admission_reason: Option<String>,
}

impl Evidence {
    pub fn status(&self) -> EvidenceStatus {
        if self.withdrawn_at.is_some() {
            EvidenceStatus::Withdrawn
        } else {
            EvidenceStatus::Submitted
        }
    }
}

/// A party's view on one aspect of an item (认可 / 不认可 / 不清楚).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stance {
    Agree,
    Disagree,
    Unclear,
}

impl Stance {
    pub fn as_str(self) -> &'static str {
        match self {
            Stance::Agree => "agree",
            Stance::Disagree => "disagree",
            Stance::Unclear => "unclear",
        }
    }

    pub fn parse(raw: &str) -> Option<Stance> {
        [Stance::Agree, Stance::Disagree, Stance::Unclear]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// A party's cross-examination opinion (质证意见) on one item: on its authenticity
/// (真实性), legality (合法性) and relevance (关联性), with a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opinion {
    pub id: Uuid,
    pub evidence_id: Uuid,
    pub hearing_id: HearingId,
    pub participant_id: ParticipantId,
    pub authenticity: Stance,
    pub legality: Stance,
    pub relevance: Stance,
    pub text: String,
    pub given_at: DateTime<Utc>,
}

/// Why an opinion cannot be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OpinionRefused {
    #[error("one does not cross-examine one's own evidence")]
    OwnEvidence,
    #[error("the evidence was withdrawn")]
    Withdrawn,
}

/// Whether `participant` may give an opinion on `evidence`: another party's item that
/// still stands.
pub fn may_give_opinion(
    evidence: &Evidence,
    participant: ParticipantId,
) -> Result<(), OpinionRefused> {
    if evidence.submitter.kind == "participant" && evidence.submitter.id == participant.0 {
        return Err(OpinionRefused::OwnEvidence);
    }
    if evidence.withdrawn_at.is_some() {
        return Err(OpinionRefused::Withdrawn);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_content_not_the_name() {
        let pdf = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n";
        assert_eq!(sniff(pdf, true).map(|s| s.kind), Ok(EvidenceKind::Pdf));
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0];
        assert_eq!(sniff(&jpeg, true).map(|s| s.media_type), Ok("image/jpeg"));
        // A Windows program renamed .pdf, an ELF binary, a zip, HTML: refused.
        let mut exe = b"MZ\x90\x00\x03\x00\x00\x00".to_vec();
        exe.resize(512, 0);
        exe[0x3c] = 0x80;
        exe.extend_from_slice(b"PE\0\0");
        assert!(sniff(&exe, true).is_err());
        assert!(sniff(b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00", true).is_err());
        assert!(sniff(b"PK\x03\x04\x14\x00\x00\x00\x08\x00", true).is_err());
        assert!(sniff(b"<!DOCTYPE html><script>alert(1)</script>", true).is_err());
        assert!(sniff(b"  <svg onload=alert(1)>", true).is_err());
        assert!(sniff(b"", true).is_err());
    }

    #[test]
    fn plain_text_is_utf8_without_controls() {
        let text = "借条\r\n今借到贾1人民币伍万元整。\t李1\n".as_bytes();
        assert_eq!(sniff(text, true).map(|s| s.kind), Ok(EvidenceKind::Text));
        // A sample cut inside a character is still text; a whole file may not end so.
        let cut = &"借条借条".as_bytes()[..10];
        assert!(sniff(cut, false).is_ok());
        assert!(sniff(cut, true).is_err());
        assert!(sniff(b"text\0with a NUL", true).is_err());
        assert!(sniff(b"bell\x07", true).is_err());
        assert!(sniff(&[0xC3, 0x28, b'a'], true).is_err());
    }

    #[test]
    fn file_names_are_kept_as_harmless_metadata() {
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("C:\\Users\\贾1\\借条.pdf"), "借条.pdf");
        assert_eq!(clean_file_name("a\u{0}b\u{1b}[31mc\n.pdf"), "ab[31mc.pdf");
        assert_eq!(clean_file_name(".bashrc"), "bashrc");
        assert_eq!(clean_file_name("../.."), "证据");
        assert_eq!(clean_file_name(""), "证据");
        assert_eq!(clean_file_name(&"长".repeat(300)).chars().count(), 120);
        assert_eq!(clean_file_name("say \"hi\" <b>|*?:.txt"), "say hi b.txt");
    }

    #[test]
    fn fields_are_bounded() {
        assert_eq!(title("  借条  ").as_deref(), Ok("借条"));
        assert!(title("").is_err());
        assert!(title("a\nb").is_err());
        assert!(title(&"字".repeat(MAX_TITLE_CHARS + 1)).is_err());
        assert_eq!(
            long_text("证明借款事实\r\n第二行", "purpose").as_deref(),
            Ok("证明借款事实\n第二行")
        );
        assert_eq!(long_text("", "purpose").as_deref(), Ok(""));
        assert!(long_text(&"字".repeat(MAX_TEXT_CHARS + 1), "purpose").is_err());
        assert!(long_text("x\u{7}", "purpose").is_err());
        assert_eq!(check_size(0, 10), Err(SizeProblem::Empty));
        assert_eq!(check_size(11, 10), Err(SizeProblem::TooLarge { limit: 10 }));
        assert_eq!(check_size(10, 10), Ok(()));
    }

    fn item(submitter: Uuid, withdrawn: bool) -> Evidence {
        Evidence {
            id: Uuid::nil(),
            hearing_id: HearingId(Uuid::nil()),
            number: 1,
            title: "借条".into(),
            purpose: String::new(),
            file_name: "借条.pdf".into(),
            media_type: "application/pdf".into(),
            kind: EvidenceKind::Pdf,
            size: 10,
            sha256: "0".repeat(64),
            blob_key: "evidence/x".into(),
            submitter: Submitter {
                kind: "participant".into(),
                id: submitter,
                name: "贾1".into(),
                role: ParticipantRole::Plaintiff,
            },
            submitted_at: Utc::now(),
            withdrawn_at: withdrawn.then(Utc::now),
            withdraw_reason: None,
            admission: Admission::Pending,
            admission_reason: None,
        }
    }

    #[test]
    fn opinions_are_on_other_parties_standing_evidence() {
        let plaintiff = Uuid::now_v7();
        let defendant = ParticipantId(Uuid::now_v7());
        assert_eq!(may_give_opinion(&item(plaintiff, false), defendant), Ok(()));
        assert_eq!(
            may_give_opinion(&item(plaintiff, false), ParticipantId(plaintiff)),
            Err(OpinionRefused::OwnEvidence)
        );
        assert_eq!(
            may_give_opinion(&item(plaintiff, true), defendant),
            Err(OpinionRefused::Withdrawn)
        );
        for stance in [Stance::Agree, Stance::Disagree, Stance::Unclear] {
            assert_eq!(Stance::parse(stance.as_str()), Some(stance));
        }
        for admission in [
            Admission::Pending,
            Admission::Admitted,
            Admission::NotAdmitted,
        ] {
            assert_eq!(Admission::parse(admission.as_str()), Some(admission));
        }
    }
}
