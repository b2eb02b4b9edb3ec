//! Line breaking for Chinese text with Latin words in it.
//!
//! krilla draws a line but does not choose where lines end, so this is ours: a line
//! may end between any two CJK characters or at a space; a Latin or digit run stays
//! whole unless it alone is wider than a line; closing punctuation never starts a
//! line and opening punctuation never ends one (the basic 禁则 of Chinese typesetting).

use std::ops::Range;

/// Tolerance for float sums of advances, in the caller's width unit.
const EPSILON: f32 = 1e-3;

/// Breaks `text` into lines: the first at most `first` wide, the others at most
/// `rest` wide (a hanging indent), as measured by `advance`. `\n` always breaks.
///
/// Returns byte ranges into `text`; the spaces where a line was broken belong to no
/// line, the spaces inside a line stay. A blank line between two `\n` is an empty range.
pub(crate) fn break_lines(
    text: &str,
    first: f32,
    rest: f32,
    advance: impl Fn(char) -> f32,
) -> Vec<Range<usize>> {
    let mut lines = Vec::new();
    let mut offset = 0;
    for hard in text.split('\n') {
        let hard_line = hard.strip_suffix('\r').unwrap_or(hard);
        let before = lines.len();
        let mut filler = Filler {
            text,
            advance: &advance,
            space: advance(' '),
            first,
            rest,
            lines: &mut lines,
            line: None,
        };
        for atom in atoms(hard_line, offset) {
            filler.push(atom);
        }
        filler.finish();
        if lines.len() == before {
            lines.push(offset..offset);
        }
        offset += hard.len() + 1;
    }
    lines
}

/// A piece of text no line may break inside, unless it alone is too wide for a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Atom {
    start: usize,
    end: usize,
    /// A space separated it from the atom before: drawn within a line, dropped at a break.
    space_before: bool,
}

/// Cuts one hard line (starting at byte `offset` of the whole text) into atoms:
/// each CJK character alone, each run of other characters between spaces and CJK
/// characters whole, then glues punctuation to its neighbour so no break falls
/// before a closing mark or after an opening one.
fn atoms(line: &str, offset: usize) -> Vec<Atom> {
    let mut raw: Vec<Atom> = Vec::new();
    let mut run: Option<Atom> = None;
    let mut space = false;
    for (i, c) in line.char_indices() {
        let (start, end) = (offset + i, offset + i + c.len_utf8());
        if c == ' ' || c == '\t' {
            raw.extend(run.take());
            space = true;
        } else if is_wide(c) {
            raw.extend(run.take());
            raw.push(Atom {
                start,
                end,
                space_before: space,
            });
            space = false;
        } else {
            match &mut run {
                Some(atom) => atom.end = end,
                None => {
                    run = Some(Atom {
                        start,
                        end,
                        space_before: space,
                    });
                    space = false;
                }
            }
        }
    }
    raw.extend(run);

    let mut glued: Vec<Atom> = Vec::with_capacity(raw.len());
    for atom in raw {
        let line_text = |a: &Atom| &line[a.start - offset..a.end - offset];
        let joins_previous = glued.last().is_some_and(|prev| {
            line_text(&atom).chars().next().is_some_and(no_line_start)
                || line_text(prev).chars().next_back().is_some_and(no_line_end)
        });
        match glued.last_mut() {
            Some(prev) if joins_previous => prev.end = atom.end,
            _ => glued.push(atom),
        }
    }
    glued
}

/// Greedy filling of lines with atoms.
struct Filler<'a, F> {
    text: &'a str,
    advance: &'a F,
    space: f32,
    first: f32,
    rest: f32,
    lines: &'a mut Vec<Range<usize>>,
    /// The line being filled: its range and width.
    line: Option<(Range<usize>, f32)>,
}

impl<F: Fn(char) -> f32> Filler<'_, F> {
    /// The width available to the line being filled (or the next one to start).
    fn available(&self) -> f32 {
        if self.lines.is_empty() {
            self.first
        } else {
            self.rest
        }
    }

    fn width(&self, range: Range<usize>) -> f32 {
        self.text[range].chars().map(self.advance).sum()
    }

    fn push(&mut self, atom: Atom) {
        let width = self.width(atom.start..atom.end);
        if let Some((range, used)) = self.line.take() {
            let gap = if atom.space_before { self.space } else { 0.0 };
            if used + gap + width <= self.available() + EPSILON {
                self.line = Some((range.start..atom.end, used + gap + width));
                return;
            }
            self.lines.push(range);
        }
        self.start_line(atom.start..atom.end, width);
    }

    /// Starts a line with an atom, cutting it by characters if it is wider than a line.
    fn start_line(&mut self, mut range: Range<usize>, mut width: f32) {
        while width > self.available() + EPSILON {
            let cut = self.cut(range.clone(), self.available());
            self.lines.push(range.start..cut);
            range.start = cut;
            width = self.width(range.clone());
        }
        self.line = Some((range, width));
    }

    /// Where to cut an over-wide atom: as many characters as fit (at least one),
    /// moved back while the cut would start a line with closing punctuation or end
    /// one with opening punctuation, unless that leaves nothing on the line.
    fn cut(&self, range: Range<usize>, limit: f32) -> usize {
        let piece = &self.text[range.clone()];
        let mut used = 0.0;
        let mut fits = piece.len();
        for (i, c) in piece.char_indices() {
            used += (self.advance)(c);
            if used > limit + EPSILON {
                fits = i;
                break;
            }
        }
        if fits == 0 {
            // Not even one character fits: it gets a line of its own.
            return range.start + piece.chars().next().map_or(piece.len(), char::len_utf8);
        }
        let allowed = |cut: usize| {
            !piece[cut..].chars().next().is_some_and(no_line_start)
                && !piece[..cut].chars().next_back().is_some_and(no_line_end)
        };
        let mut cut = fits;
        while cut > 0 && !allowed(cut) {
            cut = piece[..cut]
                .char_indices()
                .next_back()
                .map_or(0, |(i, _)| i);
        }
        range.start + if cut == 0 { fits } else { cut }
    }

    fn finish(&mut self) {
        if let Some((range, _)) = self.line.take() {
            self.lines.push(range);
        }
    }
}

/// Characters printed one em wide in Chinese text, between any two of which a
/// line may break.
fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF // Hangul Jamo
        | 0x2E80..=0x2FFF // CJK radicals, Kangxi radicals, description characters
        | 0x3000..=0x303F // CJK symbols and punctuation
        | 0x3040..=0x31FF // kana, bopomofo, Hangul compatibility, kanbun, strokes
        | 0x3200..=0x4DBF // enclosed CJK, compatibility, Extension A
        | 0x4E00..=0x9FFF // CJK Unified Ideographs
        | 0xA000..=0xA4CF // Yi
        | 0xAC00..=0xD7AF // Hangul syllables
        | 0xF900..=0xFAFF // CJK compatibility ideographs
        | 0xFE10..=0xFE1F // vertical forms
        | 0xFE30..=0xFE6F // CJK compatibility forms, small form variants
        | 0xFF00..=0xFFEF // full-width forms
        | 0x20000..=0x3FFFF // Extensions B and later
    ) || matches!(c, '…' | '—' | '‘' | '’' | '“' | '”' | '·')
}

/// Closing punctuation: never the first character of a line.
pub(crate) fn no_line_start(c: char) -> bool {
    matches!(
        c,
        '，' | '。'
            | '、'
            | '；'
            | '：'
            | '？'
            | '！'
            | '）'
            | '》'
            | '」'
            | '』'
            | '】'
            | '〉'
            | '〕'
            | '〗'
            | '］'
            | '｝'
            | '…'
            | '’'
            | '”'
            | '·'
            | ','
            | '.'
            | ';'
            | ':'
            | '?'
            | '!'
            | ')'
            | ']'
            | '}'
            | '%'
    )
}

/// Opening punctuation: never the last character of a line.
pub(crate) fn no_line_end(c: char) -> bool {
    matches!(
        c,
        '（' | '《'
            | '「'
            | '『'
            | '【'
            | '〈'
            | '〔'
            | '〖'
            | '［'
            | '｛'
            | '‘'
            | '“'
            | '('
            | '['
            | '{'
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Font;

    /// One em for CJK, half an em for the rest: easy widths to reason about.
    fn fake(c: char) -> f32 {
        if is_wide(c) { 1.0 } else { 0.5 }
    }

    fn lines(text: &str, first: f32, rest: f32) -> Vec<&str> {
        break_lines(text, first, rest, fake)
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    /// Asserts the rules every result must keep, whatever the text.
    fn assert_rules(text: &str, first: f32, rest: f32, advance: impl Fn(char) -> f32 + Copy) {
        let ranges = break_lines(text, first, rest, advance);
        let mut previous_end = 0;
        for (n, range) in ranges.iter().enumerate() {
            assert!(range.start >= previous_end, "lines in order: {ranges:?}");
            previous_end = range.end;
            let line = &text[range.clone()];
            let limit = if n == 0 { first } else { rest };
            let width: f32 = line.chars().map(advance).sum();
            let single = line.chars().count() == 1;
            assert!(
                width <= limit + EPSILON || single,
                "line {n} {line:?} is {width} wide, more than {limit}"
            );
            assert!(
                !line.starts_with(' ') && !line.ends_with(' '),
                "line {n} {line:?} keeps a break space"
            );
            // A hard line (after `\n`) may begin with anything the author wrote.
            let after_newline = range.start == 0 || text[..range.start].ends_with('\n');
            if !after_newline {
                let first_char = line.chars().next();
                assert!(
                    !first_char.is_some_and(no_line_start),
                    "line {n} starts with closing punctuation: {line:?}"
                );
            }
            let before_newline =
                text[range.end..].starts_with(['\n', '\r']) || range.end == text.len();
            if !before_newline {
                assert!(
                    !line.chars().next_back().is_some_and(no_line_end),
                    "line {n} ends with opening punctuation: {line:?}"
                );
            }
        }
        // Nothing but break spaces and newlines is lost.
        let kept: String = ranges.iter().map(|r| &text[r.clone()]).collect::<String>();
        let strip = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        assert_eq!(strip(&kept), strip(text));
    }

    #[test]
    fn chinese_breaks_between_any_two_characters() {
        assert_eq!(
            lines("一二三四五六七", 3.0, 3.0),
            ["一二三", "四五六", "七"]
        );
    }

    #[test]
    fn closing_punctuation_never_starts_a_line() {
        // "三" would end the line and "，" start the next: "三，" moves down together.
        assert_eq!(lines("一二三，四五", 3.0, 3.0), ["一二", "三，四", "五"]);
        assert_eq!(lines("一二三。", 3.0, 3.0), ["一二", "三。"]);
        assert_eq!(lines("好的……明白", 3.0, 3.0), ["好", "的……", "明白"]);
    }

    #[test]
    fn opening_punctuation_never_ends_a_line() {
        assert_eq!(lines("一二（三）四", 3.0, 3.0), ["一二", "（三）", "四"]);
        assert_eq!(lines("见《民法典》", 3.0, 3.0), ["见《民", "法典》"]);
    }

    #[test]
    fn latin_words_are_not_split_when_they_fit() {
        // Each letter is 0.5 wide: "hello" is 2.5, a line is 4.
        assert_eq!(
            lines("hello world again", 4.0, 4.0),
            ["hello", "world", "again"]
        );
        assert_eq!(
            lines("我们用ABC123系统", 4.0, 4.0),
            ["我们用", "ABC123系", "统"]
        );
        assert_eq!(
            lines("金额 1,200.50 元。", 5.0, 5.0),
            ["金额", "1,200.50", "元。"]
        );
    }

    #[test]
    fn a_word_longer_than_a_line_is_cut() {
        assert_eq!(lines("abcdefghij", 2.0, 2.0), ["abcd", "efgh", "ij"]);
        // The cut does not put the comma first on a line.
        assert_eq!(lines("abc，", 1.5, 1.5), ["ab", "c，"]);
    }

    #[test]
    fn hanging_indent_gives_later_lines_less_room() {
        assert_eq!(
            lines("一二三四五六七", 4.0, 2.0),
            ["一二三四", "五六", "七"]
        );
    }

    #[test]
    fn newline_always_breaks_and_blank_lines_stay() {
        assert_eq!(lines("一二\n三", 10.0, 10.0), ["一二", "三"]);
        assert_eq!(lines("一\n\n二", 10.0, 10.0), ["一", "", "二"]);
        assert_eq!(lines("一\r\n二", 10.0, 10.0), ["一", "二"]);
        assert_eq!(lines("", 10.0, 10.0), [""]);
    }

    #[test]
    fn spaces_inside_a_line_are_kept() {
        assert_eq!(lines("审判长 许1：请坐", 20.0, 20.0), ["审判长 许1：请坐"]);
    }

    #[test]
    fn rules_hold_for_mixed_text_at_many_widths() {
        let text = "审判长 许1：现在开庭。（敲法槌）根据《中华人民共和国民事诉讼法》第一百三十七条的规定，\
                    核对当事人身份：原告张三，身份证号110101199001011234，住北京市石景山区 Lugu Road 1200号；\
                    被告 Beijing Example Technology Co., Ltd.，统一社会信用代码91110107MA01ABCD2X。\n\
                    “是的。”……好！supercalifragilisticexpialidocious 结束";
        for width in [6.0_f32, 7.5, 10.0, 13.0, 17.5, 25.0, 40.0] {
            assert_rules(text, width, width, fake);
            assert_rules(text, width * 2.0, width, fake);
        }
    }

    #[test]
    fn rules_hold_with_the_real_font() {
        let font = Font::bundled();
        let face = font.face().expect("bundled font");
        let text = "书记员 梁1：宣布法庭纪律：全体人员应当服从审判长的指挥，尊重司法礼仪，遵守法庭纪律；\
                    不得录音、录像、拍照（经许可的除外）。Case No. 202003121614 has 2 parties, 3 witnesses.";
        for size_em in [6.0_f32, 9.5, 13.0, 21.0, 37.5] {
            assert_rules(text, size_em, size_em - 3.0, |c| face.advance(c));
        }
    }
}
