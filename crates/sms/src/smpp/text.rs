//! Message text on the wire: UCS-2 (data_coding 0x08) and the split of a long text into
//! concatenated parts with a user data header.
//!
//! A short_message holds 140 octets: 70 UCS-2 code units alone, or 67 after the 6-octet
//! concatenation header (8-bit reference, IE 0x00). Characters outside the BMP travel as
//! UTF-16 surrogate pairs, as handsets expect; a pair is never cut between two parts, or
//! neither part would show the character.

/// Code units that fit in one short_message without a header.
pub const SINGLE_UNITS: usize = 70;
/// Code units per part of a concatenated message (140 octets less the 6-octet UDH).
pub const PART_UNITS: usize = 67;
/// A concatenation header counts parts in one octet.
pub const MAX_PARTS: usize = 255;

/// One short_message to submit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The user data: the UDH (when `udhi`) followed by UCS-2 big-endian text.
    pub short_message: Vec<u8>,
    /// The short_message starts with a user data header (esm_class bit 0x40).
    pub udhi: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("the message text is empty")]
    Empty,
    #[error("the message text needs {parts} parts; a concatenated SMS has at most {MAX_PARTS}")]
    TooLong { parts: usize },
}

/// The text as UCS-2 code units (UTF-16, so characters beyond the BMP take two).
pub fn ucs2_units(text: &str) -> Vec<u16> {
    text.encode_utf16().collect()
}

/// Code units as big-endian octets, the byte order SMPP's UCS-2 uses.
pub fn ucs2_bytes(units: &[u16]) -> Vec<u8> {
    units.iter().flat_map(|unit| unit.to_be_bytes()).collect()
}

/// Splits code units into chunks of at most `max` units, never ending a chunk between
/// the two halves of a surrogate pair. `max` below 2 is taken as 2 so a pair always fits.
pub fn split_units(units: &[u16], max: usize) -> Vec<&[u16]> {
    let max = max.max(2);
    let mut chunks = Vec::with_capacity(units.len().div_ceil(max));
    let mut rest = units;
    while !rest.is_empty() {
        let mut end = max.min(rest.len());
        // A high surrogate as the last unit of a chunk that has more after it: keep the
        // pair together in the next chunk.
        if end < rest.len() && is_high_surrogate(rest[end - 1]) {
            end -= 1;
        }
        let (chunk, tail) = rest.split_at(end);
        chunks.push(chunk);
        rest = tail;
    }
    chunks
}

fn is_high_surrogate(unit: u16) -> bool {
    (0xD800..=0xDBFF).contains(&unit)
}

/// The short_messages for `text`: one without a header when it fits in 70 code units,
/// otherwise parts of 67 units, each with the header `05 00 03 reference total seq`.
pub fn parts(text: &str, reference: u8) -> Result<Vec<Part>, TextError> {
    let units = ucs2_units(text);
    if units.is_empty() {
        return Err(TextError::Empty);
    }
    if units.len() <= SINGLE_UNITS {
        return Ok(vec![Part {
            short_message: ucs2_bytes(&units),
            udhi: false,
        }]);
    }
    let chunks = split_units(&units, PART_UNITS);
    let total = u8::try_from(chunks.len()).map_err(|_| TextError::TooLong {
        parts: chunks.len(),
    })?;
    Ok(chunks
        .iter()
        .zip(1..=total)
        .map(|(chunk, seq)| {
            let mut short_message = vec![0x05, 0x00, 0x03, reference, total, seq];
            short_message.extend(ucs2_bytes(chunk));
            Part {
                short_message,
                udhi: true,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed's invitation, long enough to need several parts.
    const INVITATION: &str = "【北京云法庭】贾1，您好，您参与的(2026)京0107民初1614号会议，已决定于2026-11-28 17:00进行互联网庭审。请提前访问https://cloudcourt.example.cn/d/91951413下载庭审客户端（手机和电脑均可使用）、安装并使用会议号登录，会议号为：91951413";

    fn decode(part: &Part) -> String {
        let body = if part.udhi {
            &part.short_message[6..]
        } else {
            &part.short_message[..]
        };
        let units: Vec<u16> = body
            .chunks(2)
            .map(|pair| u16::from_be_bytes([pair[0], pair.get(1).copied().unwrap_or(0)]))
            .collect();
        String::from_utf16(&units).expect("each part holds whole characters")
    }

    #[test]
    fn ucs2_is_big_endian() {
        assert_eq!(ucs2_bytes(&ucs2_units("法A")), vec![0x6C, 0xD5, 0x00, 0x41]);
        // U+1F600 is a surrogate pair.
        assert_eq!(ucs2_bytes(&ucs2_units("😀")), vec![0xD8, 0x3D, 0xDE, 0x00]);
    }

    #[test]
    fn a_short_text_is_one_part_without_header() {
        let text = "【北京云法庭】您的庭审将于明天9:00开始。";
        let parts = parts(text, 7).expect("fits");
        assert_eq!(parts.len(), 1);
        assert!(!parts[0].udhi);
        assert_eq!(decode(&parts[0]), text);
    }

    #[test]
    fn seventy_units_fit_in_one_part_and_seventy_one_need_two() {
        let seventy = "法".repeat(70);
        assert_eq!(parts(&seventy, 1).expect("fits").len(), 1);
        let seventy_one = "法".repeat(71);
        let split = parts(&seventy_one, 1).expect("fits");
        assert_eq!(split.len(), 2);
        assert_eq!(split[0].short_message.len(), 6 + 67 * 2);
        assert_eq!(split[1].short_message.len(), 6 + 4 * 2);
    }

    #[test]
    fn the_invitation_splits_into_parts_that_reassemble() {
        let units = ucs2_units(INVITATION).len();
        let parts = parts(INVITATION, 0x2A).expect("fits");
        assert_eq!(parts.len(), units.div_ceil(PART_UNITS));
        let total = parts.len() as u8;
        for (i, part) in parts.iter().enumerate() {
            assert!(part.udhi);
            assert_eq!(
                &part.short_message[..6],
                &[0x05, 0x00, 0x03, 0x2A, total, i as u8 + 1]
            );
            assert!(part.short_message.len() <= 140);
        }
        let joined: String = parts.iter().map(decode).collect();
        assert_eq!(joined, INVITATION);
    }

    #[test]
    fn a_surrogate_pair_is_never_cut() {
        // 66 BMP characters, then an emoji whose pair would straddle units 67 and 68.
        let text = format!("{}😀{}", "法".repeat(66), "院".repeat(10));
        let parts = parts(&text, 3).expect("fits");
        assert_eq!(parts.len(), 2);
        // The first part stops before the pair, at 66 units.
        assert_eq!(parts[0].short_message.len(), 6 + 66 * 2);
        assert_eq!(decode(&parts[1]).chars().next(), Some('😀'));
        let joined: String = parts.iter().map(decode).collect();
        assert_eq!(joined, text);
    }

    #[test]
    fn split_units_keeps_every_unit_in_order() {
        let units = ucs2_units(&"a😀".repeat(50));
        let chunks = split_units(&units, 5);
        assert!(
            chunks
                .iter()
                .all(|chunk| chunk.len() <= 5 && !is_high_surrogate(chunk[chunk.len() - 1]))
        );
        assert_eq!(chunks.concat(), units);
    }

    #[test]
    fn empty_and_overlong_texts_are_refused() {
        assert_eq!(parts("", 0), Err(TextError::Empty));
        let huge = "法".repeat(PART_UNITS * MAX_PARTS + 1);
        assert_eq!(
            parts(&huge, 0),
            Err(TextError::TooLong {
                parts: MAX_PARTS + 1
            })
        );
    }
}
