//! Validated text: names, case numbers, causes. Each can only be built by parsing, so
//! blank, oversized or control-character input never travels past the edge.

use crate::Invalid;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Trims `raw` and checks it is 1..=`max` characters without control characters.
fn bounded_text(
    raw: &str,
    max: usize,
    field: &'static str,
    zh_name: &str,
    en_name: &str,
) -> Result<String, Invalid> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(Invalid::new(
            field,
            format!("{zh_name}不能为空"),
            format!("{en_name} must not be empty"),
        ));
    }
    if value.chars().count() > max {
        return Err(Invalid::new(
            field,
            format!("{zh_name}不能超过{max}个字符"),
            format!("{en_name} must be at most {max} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Invalid::new(
            field,
            format!("{zh_name}不能包含控制字符"),
            format!("{en_name} must not contain control characters"),
        ));
    }
    Ok(value.to_owned())
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, $max:expr, $field:literal, $zh:literal, $en:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(try_from = "String", into = "String")]
        #[schema(value_type = String)]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            pub fn parse(raw: &str) -> Result<Self, Invalid> {
                bounded_text(raw, $max, $field, $zh, $en).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = Invalid;
            fn try_from(raw: String) -> Result<Self, Invalid> {
                Self::parse(&raw)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_type!(
    /// A person's name as the court writes it (贾1, 北京某某科技有限公司).
    PersonName, 64, "name", "姓名", "Name"
);
text_type!(
    /// A case number (案号), e.g. (2020)京0107民初1234号.
    CaseNumber, 64, "case_number", "案号", "Case number"
);
text_type!(
    /// A case's cause (案由), e.g. 民间借贷纠纷.
    Cause, 200, "cause", "案由", "Cause"
);
text_type!(
    /// A court's name, e.g. 北京市石景山区人民法院.
    CourtName, 100, "court_name", "法院名称", "Court name"
);

/// A staff login name: 3–32 characters of a–z, 0–9, `.`, `_` or `-`, kept in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let value = raw.trim().to_ascii_lowercase();
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
        if !(3..=32).contains(&value.len()) || !value.chars().all(allowed) {
            return Err(Invalid::new(
                "username",
                "用户名须为3至32位小写字母、数字、点、下划线或连字符",
                "Username must be 3 to 32 characters of a-z, 0-9, '.', '_' or '-'",
            ));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Username {
    type Error = Invalid;
    fn try_from(raw: String) -> Result<Self, Invalid> {
        Self::parse(&raw)
    }
}

impl From<Username> for String {
    fn from(value: Username) -> String {
        value.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An IANA time zone name that the time zone database knows, e.g. Asia/Shanghai.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "Asia/Shanghai")]
pub struct TimeZoneName(String);

impl TimeZoneName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let value = raw.trim();
        value.parse::<chrono_tz::Tz>().map_err(|_| {
            Invalid::new(
                "time_zone",
                format!("未知的时区：{value}"),
                format!("Unknown time zone: {value}"),
            )
        })?;
        Ok(Self(value.to_owned()))
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        // Parsed when built, so this cannot fail; fall back to the court default anyway.
        self.0.parse().unwrap_or(chrono_tz::Asia::Shanghai)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TimeZoneName {
    type Error = Invalid;
    fn try_from(raw: String) -> Result<Self, Invalid> {
        Self::parse(&raw)
    }
}

impl From<TimeZoneName> for String {
    fn from(value: TimeZoneName) -> String {
        value.0
    }
}

impl fmt::Display for TimeZoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(PersonName::parse("  贾1 ").map(|n| n.0), Ok("贾1".into()));
        assert_eq!(PersonName::parse("   ").map_err(|e| e.field), Err("name"));
        assert!(PersonName::parse(&"字".repeat(64)).is_ok());
        assert!(PersonName::parse(&"字".repeat(65)).is_err());
        assert!(Cause::parse("民间借贷\u{0}纠纷").is_err());
        assert!(CaseNumber::parse("(2020)京0107民初1234号").is_ok());
    }

    #[test]
    fn usernames_are_lowercase_ascii() {
        assert_eq!(Username::parse(" Clerk ").map(|u| u.0), Ok("clerk".into()));
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("梁1").is_err());
        assert!(Username::parse("a b c").is_err());
    }

    #[test]
    fn time_zones_come_from_the_database() {
        assert!(TimeZoneName::parse("Asia/Shanghai").is_ok());
        assert!(TimeZoneName::parse("Mars/Olympus").is_err());
        let err = serde_json::from_str::<TimeZoneName>("\"Nowhere\"");
        assert!(err.is_err());
    }
}
