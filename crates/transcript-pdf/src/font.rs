//! The font the transcript is printed in, and the glyph metrics the layout measures with.

use std::path::Path;

use krilla::Data;
use krilla::text::{GlyphId, KrillaGlyph};
use skrifa::MetadataProvider;
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::raw::FontRef;

use crate::Error;

/// WenQuanYi Micro Hei, whole (names of litigants use rare characters a GB2312
/// subset would print as tofu); krilla subsets it into each PDF.
static BUNDLED: &[u8] = include_bytes!("../fonts/wqy-microhei.ttc");

/// Characters a font must have to print a transcript; a Latin-only font fails here
/// rather than printing empty boxes.
const REQUIRED: &str = "庭审笔录法院";

/// A TrueType/OpenType font or collection, with the index of the face to use.
#[derive(Clone, Debug)]
pub struct Font {
    pub(crate) data: Data,
    pub(crate) index: u32,
}

impl Font {
    /// WenQuanYi Micro Hei (文泉驿微米黑), built into the crate so a machine with no
    /// fonts installed still prints Chinese.
    pub fn bundled() -> Font {
        Font {
            data: Data::from(BUNDLED),
            index: 0,
        }
    }

    /// A font file; `index` picks the face in a collection (Noto Sans CJK's TTC has
    /// Simplified Chinese at index 2), 0 for a single font.
    pub fn from_file(path: impl AsRef<Path>, index: u32) -> Result<Font, Error> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::FontFile {
            path: path.to_owned(),
            source,
        })?;
        let font = Font {
            data: Data::from(bytes),
            index,
        };
        // Fail at configuration time, not at the first PDF a clerk asks for.
        font.face()?;
        Ok(font)
    }

    /// Parses the face for measuring; checks it can print Chinese.
    pub(crate) fn face(&self) -> Result<Face<'_>, Error> {
        let refuse = |reason: String| Error::Font {
            index: self.index,
            reason,
        };
        let font = FontRef::from_index(self.data.as_ref(), self.index)
            .map_err(|e| refuse(format!("not a font or no face at this index ({e})")))?;
        let metrics = font.metrics(Size::unscaled(), LocationRef::default());
        let face = Face {
            charmap: font.charmap(),
            glyph_metrics: font.glyph_metrics(Size::unscaled(), LocationRef::default()),
            units_per_em: f32::from(metrics.units_per_em.max(1)),
            ascent: metrics.ascent,
            descent: metrics.descent,
        };
        if let Some(missing) = REQUIRED.chars().find(|&c| face.charmap.map(c).is_none()) {
            return Err(refuse(format!("it has no glyph for {missing}")));
        }
        Ok(face)
    }

    /// The font as krilla draws it.
    pub(crate) fn krilla(&self) -> Result<krilla::text::Font, Error> {
        krilla::text::Font::new(self.data.clone(), self.index).ok_or_else(|| Error::Font {
            index: self.index,
            reason: "krilla cannot read it".to_owned(),
        })
    }
}

/// Glyph lookup and advances of one face, in ems.
pub(crate) struct Face<'a> {
    charmap: Charmap<'a>,
    glyph_metrics: GlyphMetrics<'a>,
    units_per_em: f32,
    ascent: f32,
    descent: f32,
}

impl Face<'_> {
    /// The glyph a character is drawn with and its advance in ems. Tabs and other
    /// controls print as a space; a character the font lacks prints as .notdef.
    pub(crate) fn glyph(&self, c: char) -> (GlyphId, f32) {
        let c = if c.is_control() { ' ' } else { c };
        let gid = self.charmap.map(c).unwrap_or_default();
        let advance = self.glyph_metrics.advance_width(gid).unwrap_or(0.0);
        (GlyphId::new(gid.to_u32()), advance / self.units_per_em)
    }

    /// A character's advance in ems.
    pub(crate) fn advance(&self, c: char) -> f32 {
        self.glyph(c).1
    }

    /// The width of a string in ems, as [`Face::glyphs`] draws it.
    pub(crate) fn width(&self, text: &str) -> f32 {
        text.chars().map(|c| self.advance(c)).sum()
    }

    /// Height above the baseline, in ems.
    pub(crate) fn ascent(&self) -> f32 {
        self.ascent / self.units_per_em
    }

    /// Depth below the baseline (negative), in ems.
    pub(crate) fn descent(&self) -> f32 {
        self.descent / self.units_per_em
    }

    /// One glyph per character, each mapped back to its character so the PDF's
    /// ToUnicode map gives the text back in order. No shaping: Chinese needs none,
    /// and the widths drawn are exactly the widths the line breaker measured.
    pub(crate) fn glyphs(&self, text: &str) -> Vec<KrillaGlyph> {
        text.char_indices()
            .map(|(i, c)| {
                let (gid, advance) = self.glyph(c);
                KrillaGlyph::new(gid, advance, 0.0, 0.0, 0.0, i..i + c.len_utf8(), None)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_font_prints_chinese_and_latin() {
        let font = Font::bundled();
        let face = font.face().expect("bundled font parses");
        font.krilla().expect("krilla reads the bundled font");
        let (gid, advance) = face.glyph('审');
        assert_ne!(gid.to_u32(), 0);
        assert!(
            (advance - 1.0).abs() < 0.01,
            "CJK is one em wide: {advance}"
        );
        let latin = face.advance('a');
        assert!(latin > 0.3 && latin < 0.8, "Latin is narrower: {latin}");
        assert!(face.ascent() > 0.5 && face.descent() < 0.0);
    }

    #[test]
    fn a_face_of_a_collection_file_is_chosen_by_index() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fonts/wqy-microhei.ttc");
        // Index 1 is the monospaced face: every Latin letter equally wide.
        let mono = Font::from_file(path, 1).expect("second face");
        let face = mono.face().expect("parses");
        assert_eq!(face.advance('i'), face.advance('W'));
        assert!(matches!(
            Font::from_file(path, 2),
            Err(Error::Font { index: 2, .. })
        ));
    }

    #[test]
    fn a_file_that_is_not_a_font_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.ttf");
        std::fs::write(&path, b"not a font").expect("write");
        assert!(matches!(Font::from_file(&path, 0), Err(Error::Font { .. })));
        assert!(matches!(
            Font::from_file(dir.path().join("missing.ttf"), 0),
            Err(Error::FontFile { .. })
        ));
    }
}
