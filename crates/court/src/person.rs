//! Participants of a hearing and the personal data that identifies them: a mainland
//! mobile number (the SMS goes there) and an optional resident identity card number.

use crate::{HearingId, Invalid, ParticipantId, ParticipantRole, PersonName};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A mainland China mobile number: 11 digits starting 13–19. Accepts the forms people
/// type (spaces, dashes, a +86 / 0086 prefix) and keeps the bare 11 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "13800001234")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let compact: String = raw
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
            .collect();
        let national = compact
            .strip_prefix("+86")
            .or_else(|| compact.strip_prefix("0086"))
            .unwrap_or(&compact);
        let bytes = national.as_bytes();
        let valid = bytes.len() == 11
            && bytes.iter().all(u8::is_ascii_digit)
            && bytes[0] == b'1'
            && (b'3'..=b'9').contains(&bytes[1]);
        if !valid {
            return Err(Invalid::new(
                "phone",
                "请输入有效的11位中国大陆手机号码",
                "Enter a valid 11-digit mainland China mobile number",
            ));
        }
        Ok(Self(national.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number as shown in lists: 138****1234.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = Invalid;
    fn try_from(raw: String) -> Result<Self, Invalid> {
        Self::parse(&raw)
    }
}

impl From<PhoneNumber> for String {
    fn from(value: PhoneNumber) -> String {
        value.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A resident identity card number (居民身份证号码, GB 11643-1999): 17 digits and a
/// check character, verified with the standard's ISO 7064 MOD 11-2 checksum.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String)]
pub struct IdNumber(String);

impl IdNumber {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let value = raw.trim().to_ascii_uppercase();
        let invalid = || {
            Invalid::new(
                "id_number",
                "身份证号码无效，请核对18位号码",
                "Invalid resident ID number: check the 18 characters",
            )
        };
        let bytes = value.as_bytes();
        if bytes.len() != 18 || !bytes[..17].iter().all(u8::is_ascii_digit) {
            return Err(invalid());
        }
        const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        const CHECK: &[u8; 11] = b"10X98765432";
        let sum: u32 = bytes[..17]
            .iter()
            .zip(WEIGHTS)
            .map(|(digit, weight)| u32::from(digit - b'0') * weight)
            .sum();
        if CHECK[(sum % 11) as usize] != bytes[17] {
            return Err(invalid());
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number as shown in lists: the region and the last four characters only.
    pub fn masked(&self) -> String {
        format!("{}**********{}", &self.0[..4], &self.0[14..])
    }
}

impl TryFrom<String> for IdNumber {
    type Error = Invalid;
    fn try_from(raw: String) -> Result<Self, Invalid> {
        Self::parse(&raw)
    }
}

impl From<IdNumber> for String {
    fn from(value: IdNumber) -> String {
        value.0
    }
}

/// A person invited to one hearing (原告, 被告, 代理人, 证人 …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Participant {
    pub id: ParticipantId,
    pub hearing_id: HearingId,
    pub name: PersonName,
    pub role: ParticipantRole,
    /// Where the invitation SMS goes; a participant without one cannot be invited.
    pub phone: Option<PhoneNumber>,
    pub id_number: Option<IdNumber>,
    /// When they confirmed the court rules (法庭纪律) before first entering.
    pub rules_confirmed_at: Option<DateTime<Utc>>,
    /// When the court admitted them from the waiting room (签到).
    pub checked_in_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_numbers_in_the_forms_people_type() {
        for raw in [
            "13800001234",
            " 138 0000 1234 ",
            "+86 138-0000-1234",
            "008613800001234",
        ] {
            assert_eq!(
                PhoneNumber::parse(raw).map(|p| p.0),
                Ok("13800001234".into()),
                "{raw}"
            );
        }
        for raw in [
            "1380000123",
            "23800001234",
            "12800001234",
            "1380000123x",
            "",
            "010-12345678",
        ] {
            assert!(PhoneNumber::parse(raw).is_err(), "{raw} should be refused");
        }
    }

    #[test]
    fn phones_are_masked_in_lists() {
        let phone = PhoneNumber::parse("13800001234").expect("valid");
        assert_eq!(phone.masked(), "138****1234");
    }

    #[test]
    fn id_numbers_carry_a_checksum() {
        // The example number of GB 11643-1999.
        assert!(IdNumber::parse("11010519491231002X").is_ok());
        assert!(IdNumber::parse("11010519491231002x").is_ok());
        assert!(IdNumber::parse("110105194912310021").is_err());
        assert!(IdNumber::parse("1101051949123100").is_err());
        let id = IdNumber::parse("11010519491231002X").expect("valid");
        assert_eq!(id.masked(), "1101**********002X");
    }
}
