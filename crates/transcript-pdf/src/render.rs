//! Lays a transcript out on A4 pages and draws it with krilla.
//!
//! Layout first (rows of positioned text and images, grouped into blocks that may or
//! may not be split), pagination second, drawing last: the footer's "共 M 页" needs the
//! page count before the first page is drawn.

use krilla::color::rgb;
use krilla::error::KrillaError;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::image::Image;
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule, Stroke};
use krilla::surface::Surface;
use krilla::{Data, Document};

use crate::font::Face;
use crate::linebreak::break_lines;
use crate::{Error, Font, Transcript};

/// A4 in points.
const PAGE_WIDTH: f32 = 595.276;
const PAGE_HEIGHT: f32 = 841.89;
/// About 27 mm at the sides: 36 characters of body text per line.
const MARGIN_X: f32 = 76.0;
const MARGIN_TOP: f32 = 72.0;
/// The footer (rule, version line, page number) lives in the bottom margin.
const MARGIN_BOTTOM: f32 = 84.0;
const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN_X;
const BODY_BOTTOM: f32 = PAGE_HEIGHT - MARGIN_BOTTOM;

/// A hanging indent wider than this (a very long speaker label) would leave too
/// narrow a column: later lines then start at a third of the width instead.
const MAX_HANGING: f32 = TEXT_WIDTH / 3.0;

/// Room a signature image may take, aspect kept; a canvas drawing of 600×300 pixels
/// fills it exactly.
const SIGNATURE_MAX_WIDTH: f32 = 150.0;
const SIGNATURE_MAX_HEIGHT: f32 = 75.0;
const SIGNATURE_PADDING: f32 = 5.0;
/// Where a signature's details start, right of its image.
const SIGNATURE_TEXT_X: f32 = MARGIN_X + SIGNATURE_MAX_WIDTH + 2.0 * SIGNATURE_PADDING + 16.0;

/// An sRGB colour as red, green, blue.
type Rgb = (u8, u8, u8);
const BLACK: Rgb = (0, 0, 0);
const GREY: Rgb = (96, 96, 96);
const RULE_GREY: Rgb = (170, 170, 170);
const WHITE: Rgb = (255, 255, 255);

/// Size, line height and colour of one kind of text.
#[derive(Clone, Copy)]
struct Style {
    size: f32,
    leading: f32,
    color: Rgb,
}

const COURT: Style = Style {
    size: 16.0,
    leading: 28.0,
    color: BLACK,
};
const TITLE: Style = Style {
    size: 22.0,
    leading: 40.0,
    color: BLACK,
};
const BODY: Style = Style {
    size: 12.0,
    leading: 21.0,
    color: BLACK,
};
const HEADING: Style = Style {
    size: 14.0,
    leading: 26.0,
    color: BLACK,
};
const DETAIL: Style = Style {
    size: 10.0,
    leading: 16.0,
    color: BLACK,
};
const HASH: Style = Style {
    size: 8.0,
    leading: 12.0,
    color: GREY,
};
const VERSION_FOOTER: Style = Style {
    size: 7.5,
    leading: 10.0,
    color: GREY,
};
const PAGE_FOOTER: Style = Style {
    size: 9.0,
    leading: 12.0,
    color: BLACK,
};

/// Renders a transcript to PDF bytes in the given font.
pub fn render(transcript: &Transcript, font: &Font) -> Result<Vec<u8>, Error> {
    let face = font.face()?;
    let krilla_font = font.krilla()?;
    let images = signature_images(transcript)?;
    let layout = Layout { face: &face };
    let blocks = layout.blocks(transcript, &images);
    let pages = paginate(&blocks);

    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(format!("{} {}", transcript.court, transcript.title))
            .language("zh-CN".to_owned())
            .creator("cloudcourt".to_owned()),
    );
    let total = pages.len();
    for (number, rows) in pages.iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
            .ok_or_else(|| Error::Pdf("invalid page size".to_owned()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        let mut painter = Painter {
            surface: &mut surface,
            face: &face,
            font: &krilla_font,
        };
        for (top, row) in rows {
            for op in &row.ops {
                painter.draw(op, *top)?;
            }
        }
        for op in layout.footer(transcript, number + 1, total) {
            painter.draw(&op, 0.0)?;
        }
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|e| match e {
        // krilla decodes PNGs lazily: name the signature whose image failed.
        KrillaError::Image(image, _, reason) => match images.iter().position(|i| *i == image) {
            Some(index) => Error::SignatureImage {
                index,
                signer: transcript.signatures[index].signer.clone(),
                reason,
            },
            None => Error::Pdf(reason),
        },
        other => Error::Pdf(other.to_string()),
    })
}

/// Checks every signature PNG's header now, so a bad upload is named precisely.
fn signature_images(transcript: &Transcript) -> Result<Vec<Image>, Error> {
    transcript
        .signatures
        .iter()
        .enumerate()
        .map(|(index, block)| {
            Image::from_png(Data::from(block.png.clone()), true).map_err(|reason| {
                Error::SignatureImage {
                    index,
                    signer: block.signer.clone(),
                    reason,
                }
            })
        })
        .collect()
}

/// Something drawn, with `y` relative to the top of its row.
enum Op {
    /// One line of text; `baseline` from the row's top.
    Text {
        x: f32,
        baseline: f32,
        style: Style,
        text: String,
    },
    Image {
        x: f32,
        y: f32,
        width: f32,
        height: f32,
        image: Image,
    },
    /// A filled rectangle, optionally outlined.
    Rect {
        x: f32,
        y: f32,
        width: f32,
        height: f32,
        fill: Option<Rgb>,
        stroke: Option<Rgb>,
    },
}

impl Op {
    fn moved_down(self, dy: f32) -> Op {
        match self {
            Op::Text {
                x,
                baseline,
                style,
                text,
            } => Op::Text {
                x,
                baseline: baseline + dy,
                style,
                text,
            },
            Op::Image {
                x,
                y,
                width,
                height,
                image,
            } => Op::Image {
                x,
                y: y + dy,
                width,
                height,
                image,
            },
            Op::Rect {
                x,
                y,
                width,
                height,
                fill,
                stroke,
            } => Op::Rect {
                x,
                y: y + dy,
                width,
                height,
                fill,
                stroke,
            },
        }
    }
}

/// A horizontal strip of the page; never split across pages.
struct Row {
    /// Space above it, dropped at the top of a page.
    gap_before: f32,
    height: f32,
    ops: Vec<Op>,
}

/// Rows that belong together; `keep_together` moves them to the next page as one.
struct Block {
    rows: Vec<Row>,
    keep_together: bool,
}

struct Layout<'a, 'f> {
    face: &'a Face<'f>,
}

impl Layout<'_, '_> {
    fn blocks(&self, transcript: &Transcript, images: &[Image]) -> Vec<Block> {
        let mut blocks = Vec::new();
        let mut heading = Vec::new();
        if !transcript.court.is_empty() {
            heading.extend(self.centred(&transcript.court, COURT));
        }
        if !transcript.title.is_empty() {
            heading.extend(self.centred(&transcript.title, TITLE));
        }
        if let Some(last) = heading.last_mut() {
            last.height += 8.0;
        }
        blocks.push(Block {
            rows: heading,
            keep_together: true,
        });

        for (label, value) in &transcript.header {
            let prefix = format!("{label}：");
            blocks.push(Block {
                rows: self.paragraph(&format!("{prefix}{value}"), &prefix, BODY, 0.0),
                keep_together: false,
            });
        }
        if !transcript.opening_note.is_empty() {
            blocks.push(Block {
                rows: self.paragraph(&transcript.opening_note, "", BODY, 10.0),
                keep_together: false,
            });
        }
        for entry in &transcript.entries {
            let prefix = format!("{}：", entry.speaker);
            blocks.push(Block {
                rows: self.paragraph(&format!("{prefix}{}", entry.text), &prefix, BODY, 5.0),
                keep_together: false,
            });
        }

        for (n, (block, image)) in transcript.signatures.iter().zip(images).enumerate() {
            let mut rows = Vec::new();
            if n == 0 {
                // The heading never stands alone at the foot of a page.
                rows.extend(self.lines(&transcript.labels.signatures_heading, HEADING, 0.0, 0.0));
                if let Some(first) = rows.first_mut() {
                    first.gap_before = 24.0;
                }
            }
            rows.push(self.signature(transcript, block, image));
            blocks.push(Block {
                rows,
                keep_together: true,
            });
        }
        blocks
    }

    /// Width of a string in points.
    fn width(&self, text: &str, style: Style) -> f32 {
        self.face.width(text) * style.size
    }

    /// Baseline of a line of `style` from the top of its row, centring the glyphs'
    /// ascent-to-descent box in the line height.
    fn baseline(&self, style: Style) -> f32 {
        let (ascent, descent) = (
            self.face.ascent() * style.size,
            self.face.descent() * style.size,
        );
        (style.leading - (ascent - descent)) / 2.0 + ascent
    }

    /// Lines of text each centred on the page.
    fn centred(&self, text: &str, style: Style) -> Vec<Row> {
        let advance = |c| self.face.advance(c);
        let width = TEXT_WIDTH / style.size;
        break_lines(text, width, width, advance)
            .into_iter()
            .map(|range| {
                let line = &text[range];
                let x = MARGIN_X + (TEXT_WIDTH - self.width(line, style)) / 2.0;
                self.row(x, line, style)
            })
            .collect()
    }

    /// A paragraph whose lines after the first hang under the end of `prefix`
    /// (`标签：`, `审判长 许1：`), so the speaker stands out on the left.
    fn paragraph(&self, text: &str, prefix: &str, style: Style, gap_before: f32) -> Vec<Row> {
        let hanging = self.width(prefix, style).min(MAX_HANGING);
        self.lines(text, style, hanging, gap_before)
    }

    /// Lines of text from the left margin, later lines indented by `hanging`.
    fn lines(&self, text: &str, style: Style, hanging: f32, gap_before: f32) -> Vec<Row> {
        self.lines_in(text, style, MARGIN_X, TEXT_WIDTH, hanging)
            .into_iter()
            .enumerate()
            .map(|(n, mut row)| {
                if n == 0 {
                    row.gap_before = gap_before;
                }
                row
            })
            .collect()
    }

    /// Lines of text in a column starting at `x`, `width` wide.
    fn lines_in(&self, text: &str, style: Style, x: f32, width: f32, hanging: f32) -> Vec<Row> {
        let advance = |c| self.face.advance(c);
        let (first, rest) = (width / style.size, (width - hanging) / style.size);
        break_lines(text, first, rest, advance)
            .into_iter()
            .enumerate()
            .map(|(n, range)| {
                let indent = if n == 0 { 0.0 } else { hanging };
                self.row(x + indent, &text[range], style)
            })
            .collect()
    }

    /// A word too long for the column (a hash) cut into lines of equal length, rather
    /// than full lines and a stray last character.
    fn balanced_lines(&self, text: &str, style: Style, x: f32, width: f32) -> Vec<Row> {
        let rows = self.lines_in(text, style, x, width, 0.0);
        if rows.len() < 2 || text.contains(char::is_whitespace) {
            return rows;
        }
        let chars: Vec<char> = text.chars().collect();
        let pieces: Vec<String> = chars
            .chunks(chars.len().div_ceil(rows.len()))
            .map(|piece| piece.iter().collect())
            .collect();
        if pieces.len() != rows.len() || pieces.iter().any(|p| self.width(p, style) > width) {
            return rows;
        }
        pieces
            .iter()
            .map(|piece| self.row(x, piece, style))
            .collect()
    }

    fn row(&self, x: f32, line: &str, style: Style) -> Row {
        Row {
            gap_before: 0.0,
            height: style.leading,
            ops: vec![Op::Text {
                x,
                baseline: self.baseline(style),
                style,
                text: line.to_owned(),
            }],
        }
    }

    /// One signature: the handwriting on white in a thin frame, and beside it who
    /// signed, as what, when, and the version hash the signature is bound to.
    fn signature(
        &self,
        transcript: &Transcript,
        block: &crate::SignatureBlock,
        image: &Image,
    ) -> Row {
        let labels = &transcript.labels;
        let (pixels_wide, pixels_high) = image.size();
        let (pixels_wide, pixels_high) = (pixels_wide.max(1) as f32, pixels_high.max(1) as f32);
        let scale = (SIGNATURE_MAX_WIDTH / pixels_wide).min(SIGNATURE_MAX_HEIGHT / pixels_high);
        let (width, height) = (pixels_wide * scale, pixels_high * scale);
        let frame_width = SIGNATURE_MAX_WIDTH + 2.0 * SIGNATURE_PADDING;
        let frame_height = height + 2.0 * SIGNATURE_PADDING;

        let mut ops = vec![
            Op::Rect {
                x: MARGIN_X,
                y: 0.0,
                width: frame_width,
                height: frame_height,
                fill: Some(WHITE),
                stroke: Some(RULE_GREY),
            },
            Op::Image {
                // Centred in the frame when the drawing is narrower than it (a tall drawing).
                x: MARGIN_X + SIGNATURE_PADDING + (SIGNATURE_MAX_WIDTH - width) / 2.0,
                y: SIGNATURE_PADDING,
                width,
                height,
                image: image.clone(),
            },
        ];

        let column = PAGE_WIDTH - MARGIN_X - SIGNATURE_TEXT_X;
        let mut details = Vec::new();
        for (label, value) in [
            (&labels.signer, &block.signer),
            (&labels.role, &block.role),
            (&labels.signed_at, &block.signed_at),
        ] {
            let prefix = format!("{label}：");
            let hanging = self.width(&prefix, DETAIL).min(column / 2.0);
            let text = format!("{prefix}{value}");
            details.extend(self.lines_in(&text, DETAIL, SIGNATURE_TEXT_X, column, hanging));
        }
        let version_label = format!("{}：", labels.signed_version);
        details.extend(self.lines_in(&version_label, DETAIL, SIGNATURE_TEXT_X, column, 0.0));
        details.extend(self.balanced_lines(&block.sha256, HASH, SIGNATURE_TEXT_X, column));

        // The detail lines stacked from the top of the frame.
        let mut y = 0.0;
        for row in details {
            ops.extend(row.ops.into_iter().map(|op| op.moved_down(y)));
            y += row.height;
        }

        Row {
            gap_before: 14.0,
            height: frame_height.max(y),
            ops,
        }
    }

    /// The foot of page `page` of `pages`: a thin rule, the version line, the page number.
    fn footer(&self, transcript: &Transcript, page: usize, pages: usize) -> Vec<Op> {
        let rule_y = BODY_BOTTOM + 14.0;
        let version = transcript
            .labels
            .version_footer
            .replace("{version}", &transcript.version.to_string())
            .replace("{sha256}", &transcript.sha256);
        let number = transcript
            .labels
            .page_footer
            .replace("{pages}", &pages.to_string())
            .replace("{page}", &page.to_string());
        // A long hash or label shrinks to the line rather than run off the page.
        let mut version_style = VERSION_FOOTER;
        let natural = self.width(&version, version_style);
        if natural > TEXT_WIDTH {
            version_style.size *= TEXT_WIDTH / natural;
        }
        let centred = |text: String, style: Style, baseline: f32| Op::Text {
            x: MARGIN_X + (TEXT_WIDTH - self.width(&text, style)) / 2.0,
            baseline,
            style,
            text,
        };
        vec![
            Op::Rect {
                x: MARGIN_X,
                y: rule_y,
                width: TEXT_WIDTH,
                height: 0.4,
                fill: Some(RULE_GREY),
                stroke: None,
            },
            centred(version, version_style, rule_y + 14.0),
            centred(number, PAGE_FOOTER, rule_y + 31.0),
        ]
    }
}

/// Places rows on pages: each row's top `y`, page by page. Always at least one page.
fn paginate(blocks: &[Block]) -> Vec<Vec<(f32, &Row)>> {
    let mut pages: Vec<Vec<(f32, &Row)>> = vec![Vec::new()];
    let mut y = MARGIN_TOP;
    for block in blocks {
        let height: f32 = block.rows.iter().map(|r| r.gap_before + r.height).sum();
        let page_empty = pages.last().is_none_or(Vec::is_empty);
        if block.keep_together && !page_empty && y + height > BODY_BOTTOM {
            pages.push(Vec::new());
            y = MARGIN_TOP;
        }
        for row in &block.rows {
            let page_empty = pages.last().is_none_or(Vec::is_empty);
            let mut gap = if page_empty { 0.0 } else { row.gap_before };
            if !page_empty && y + gap + row.height > BODY_BOTTOM {
                pages.push(Vec::new());
                y = MARGIN_TOP;
                gap = 0.0;
            }
            if let Some(page) = pages.last_mut() {
                page.push((y + gap, row));
            }
            y += gap + row.height;
        }
    }
    pages
}

/// Draws ops on one page's surface.
struct Painter<'s, 'p, 'a, 'f> {
    surface: &'s mut Surface<'p>,
    face: &'a Face<'f>,
    font: &'a krilla::text::Font,
}

impl Painter<'_, '_, '_, '_> {
    fn draw(&mut self, op: &Op, top: f32) -> Result<(), Error> {
        match op {
            Op::Text {
                x,
                baseline,
                style,
                text,
            } => {
                if text.is_empty() {
                    return Ok(());
                }
                self.surface.set_fill(Some(fill(style.color)));
                self.surface.set_stroke(None);
                // The whole line in one call: one text run, extracted in reading order.
                self.surface.draw_glyphs(
                    Point::from_xy(*x, top + baseline),
                    &self.face.glyphs(text),
                    self.font.clone(),
                    text,
                    style.size,
                    false,
                );
            }
            Op::Image {
                x,
                y,
                width,
                height,
                image,
            } => {
                let size = Size::from_wh(*width, *height)
                    .ok_or_else(|| Error::Pdf(format!("bad image size {width}×{height}")))?;
                self.surface
                    .push_transform(&Transform::from_translate(*x, top + y));
                self.surface.draw_image(image.clone(), size);
                self.surface.pop();
            }
            Op::Rect {
                x,
                y,
                width,
                height,
                fill: paint,
                stroke,
            } => {
                let rect = Rect::from_xywh(*x, top + y, *width, *height)
                    .ok_or_else(|| Error::Pdf(format!("bad rectangle {width}×{height}")))?;
                let mut builder = PathBuilder::new();
                builder.push_rect(rect);
                let Some(path) = builder.finish() else {
                    return Ok(());
                };
                self.surface.set_fill(paint.map(fill));
                self.surface.set_stroke(stroke.map(|(r, g, b)| Stroke {
                    paint: rgb::Color::new(r, g, b).into(),
                    width: 0.6,
                    ..Stroke::default()
                }));
                self.surface.draw_path(&path);
                self.surface.set_stroke(None);
            }
        }
        Ok(())
    }
}

fn fill((r, g, b): Rgb) -> Fill {
    Fill {
        paint: rgb::Color::new(r, g, b).into(),
        opacity: NormalizedF32::ONE,
        rule: FillRule::default(),
    }
}
