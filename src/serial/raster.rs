//! The slip as a picture, for scripts a receipt printer cannot print as text
//! (ESC/POS printers have no Indic code pages): each [`PrintLine`] is shaped
//! and drawn with the system's fonts by the same shaper and font fallback
//! the screens use (parley, swash), at the printer's dot width (384 dots for
//! 58 mm paper, 576 for 80 mm, at 203 dpi), thresholded to 1 bit (no
//! dithering: text stays crisp), and sent as `GS v 0` raster bands, then fed
//! and cut as a text slip is.

use super::escpos::PrintLine;
use image::GrayImage;
use parley::{
    Alignment, AlignmentOptions, FontContext, FontFamily, FontWeight, Layout, LayoutContext,
    PositionedLayoutItem, StyleProperty,
};
use swash::scale::{Render, ScaleContext, Source};
use swash::zeno::{Format, Vector};
use swash::FontRef;

const GS: u8 = 0x1d;
const ESC: u8 = 0x1b;
/// Rows per `GS v 0` command: small enough for any printer's buffer.
const BAND_ROWS: u32 = 240;
/// Text size in dots (about 2.8 mm at 203 dpi); double lines twice that.
const TEXT_DOTS: f32 = 24.0;
/// The margin left and right, in dots.
const MARGIN: u32 = 8;
/// Ink below this grey level (0 black … 255 white) prints.
const THRESHOLD: u8 = 128;

/// Shapes and draws slips; keeps the system's font list between slips.
pub struct SlipRaster {
    fonts: FontContext,
    layouts: LayoutContext<()>,
    scaler: ScaleContext,
}

impl Default for SlipRaster {
    fn default() -> Self {
        SlipRaster {
            fonts: FontContext::new(),
            layouts: LayoutContext::new(),
            scaler: ScaleContext::new(),
        }
    }
}

impl SlipRaster {
    /// The slip as a grey picture `dots` wide (white paper, black ink).
    /// `family` is a CSS font-family list tried first (the language's own
    /// font); any script it lacks falls back to another system font.
    pub fn render(&mut self, lines: &[PrintLine], dots: u32, family: &str) -> GrayImage {
        let width = dots.saturating_sub(2 * MARGIN).max(8) as f32;
        let blocks: Vec<Block> = lines
            .iter()
            .map(|l| {
                if is_rule(&l.text) {
                    Block::Rule
                } else {
                    Block::Text(Box::new(self.layout(l, family, width)))
                }
            })
            .collect();
        let height: u32 = blocks.iter().map(Block::height).sum::<u32>() + 2 * MARGIN;
        let mut ink = GrayImage::new(dots, height);
        let mut y = MARGIN as i32;
        for b in &blocks {
            match b {
                Block::Rule => {
                    let mid = y as u32 + RULE_HEIGHT / 2;
                    for yy in mid..(mid + 2).min(height) {
                        for x in MARGIN..dots.saturating_sub(MARGIN) {
                            ink.put_pixel(x, yy, image::Luma([255]));
                        }
                    }
                }
                Block::Text(layout) => self.draw(layout, &mut ink, MARGIN as i32, y),
            }
            y += b.height() as i32;
        }
        image::imageops::invert(&mut ink);
        ink
    }

    fn layout(&mut self, line: &PrintLine, family: &str, width: f32) -> Layout<()> {
        let text = line.text.as_str();
        let mut b = self
            .layouts
            .ranged_builder(&mut self.fonts, text, 1.0, true);
        b.push_default(StyleProperty::FontFamily(FontFamily::from(family)));
        let size = if line.double {
            2.0 * TEXT_DOTS
        } else {
            TEXT_DOTS
        };
        b.push_default(StyleProperty::FontSize(size));
        if line.bold || line.double {
            b.push_default(StyleProperty::FontWeight(FontWeight::BOLD));
        }
        let mut layout = b.build(text);
        layout.break_all_lines(Some(width));
        let align = if line.center {
            Alignment::Center
        } else {
            Alignment::Start
        };
        layout.align(align, AlignmentOptions::default());
        layout
    }

    /// Adds a laid-out paragraph's coverage into `ink` (0 paper, 255 ink).
    fn draw(&mut self, layout: &Layout<()>, ink: &mut GrayImage, x0: i32, y0: i32) {
        for line in layout.lines() {
            for item in line.items() {
                let PositionedLayoutItem::GlyphRun(run) = item else {
                    continue;
                };
                let r = run.run();
                let font = r.font();
                let Some(font_ref) = FontRef::from_index(font.data.data(), font.index as usize)
                else {
                    continue;
                };
                let mut scaler = self
                    .scaler
                    .builder(font_ref)
                    .size(r.font_size())
                    .hint(false)
                    .normalized_coords(r.normalized_coords())
                    .build();
                for g in run.positioned_glyphs() {
                    let Some(img) = Render::new(&[Source::Outline])
                        .format(Format::Alpha)
                        .offset(Vector::new(g.x.fract(), g.y.fract()))
                        .render(&mut scaler, g.id as u16)
                    else {
                        continue;
                    };
                    let p = img.placement;
                    let gx = x0 + g.x.floor() as i32 + p.left;
                    let gy = y0 + g.y.floor() as i32 - p.top;
                    for yy in 0..p.height as i32 {
                        for xx in 0..p.width as i32 {
                            let (px, py) = (gx + xx, gy + yy);
                            if px < 0
                                || py < 0
                                || px >= ink.width() as i32
                                || py >= ink.height() as i32
                            {
                                continue;
                            }
                            let a = img.data[(yy * p.width as i32 + xx) as usize];
                            let dst = ink.get_pixel_mut(px as u32, py as u32);
                            dst.0[0] = dst.0[0].saturating_add(a);
                        }
                    }
                }
            }
        }
    }
}

/// Height of a rule line's block, in dots.
const RULE_HEIGHT: u32 = 14;

enum Block {
    Rule,
    Text(Box<Layout<()>>),
}

impl Block {
    fn height(&self) -> u32 {
        match self {
            Block::Rule => RULE_HEIGHT,
            Block::Text(l) => l.height().ceil() as u32 + 4,
        }
    }
}

/// A line of dashes only: drawn as a rule across the paper.
fn is_rule(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c == '-')
}

/// Black (1) where the grey picture has ink, rows packed MSB first, each
/// row `ceil(width / 8)` bytes: the `GS v 0` layout.
pub fn pack(gray: &GrayImage) -> (u32, Vec<u8>) {
    let (w, h) = gray.dimensions();
    let row = w.div_ceil(8);
    let mut packed = vec![0u8; (row * h) as usize];
    for (x, y, p) in gray.enumerate_pixels() {
        if p.0[0] < THRESHOLD {
            packed[(y * row + x / 8) as usize] |= 0x80 >> (x % 8);
        }
    }
    (row, packed)
}

/// The printer's bytes for a slip printed as a picture: `ESC @`, the
/// picture in `GS v 0` bands, a feed and the cut.
pub fn encode(gray: &GrayImage) -> Vec<u8> {
    let (row, packed) = pack(gray);
    let h = gray.height();
    let mut out = vec![ESC, b'@'];
    let mut y = 0;
    while y < h {
        let rows = BAND_ROWS.min(h - y);
        out.extend_from_slice(&[GS, b'v', b'0', 0]);
        out.extend_from_slice(&[(row & 0xff) as u8, (row >> 8) as u8]);
        out.extend_from_slice(&[(rows & 0xff) as u8, (rows >> 8) as u8]);
        let start = (y * row) as usize;
        out.extend_from_slice(&packed[start..start + (rows * row) as usize]);
        y += rows;
    }
    out.extend_from_slice(&[ESC, b'd', 3]);
    out.extend_from_slice(&[GS, b'V', 66, 0]);
    out
}

/// Reads `GS v 0` bands back into a 1-bit picture (0 ink, 255 paper): what
/// the printer would print. For tests and for checking a slip's bytes.
pub fn decode(bytes: &[u8]) -> Option<GrayImage> {
    let mut rows: Vec<Vec<u8>> = Vec::new();
    let mut width_bytes = None;
    let mut i = 0;
    while i + 8 <= bytes.len() {
        if bytes[i..i + 4] == [GS, b'v', b'0', 0] {
            let xb = u32::from(bytes[i + 4]) | u32::from(bytes[i + 5]) << 8;
            let yr = u32::from(bytes[i + 6]) | u32::from(bytes[i + 7]) << 8;
            if *width_bytes.get_or_insert(xb) != xb {
                return None;
            }
            let len = (xb * yr) as usize;
            let data = bytes.get(i + 8..i + 8 + len)?;
            rows.extend(data.chunks(xb as usize).map(<[u8]>::to_vec));
            i += 8 + len;
        } else {
            i += 1;
        }
    }
    let xb = width_bytes?;
    let mut img = GrayImage::from_pixel(xb * 8, rows.len() as u32, image::Luma([255]));
    for (y, r) in rows.iter().enumerate() {
        for x in 0..xb * 8 {
            if r[(x / 8) as usize] & (0x80 >> (x % 8)) != 0 {
                img.put_pixel(x, y as u32, image::Luma([0]));
            }
        }
    }
    Some(img)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(texts: &[&str]) -> Vec<PrintLine> {
        texts.iter().map(|t| PrintLine::new(*t)).collect()
    }

    #[test]
    fn a_slip_is_the_printers_width_and_decodes_back_to_itself() {
        let mut r = SlipRaster::default();
        for dots in [384, 576] {
            let gray = r.render(
                &lines(&["मरीज़: PAT-1", "--------", "क्षत्रिय"]),
                dots,
                "Noto Sans Devanagari",
            );
            assert_eq!(gray.width(), dots);
            let bytes = encode(&gray);
            assert!(bytes.starts_with(&[ESC, b'@']));
            assert!(bytes.ends_with(&[GS, b'V', 66, 0]), "cut last");
            let back = decode(&bytes).expect("raster bands");
            assert_eq!(back.dimensions(), gray.dimensions());
            for (a, b) in gray.pixels().zip(back.pixels()) {
                assert_eq!(a.0[0] < THRESHOLD, b.0[0] == 0);
            }
            // Some ink, most of it paper.
            let ink = back.pixels().filter(|p| p.0[0] == 0).count();
            let all = (back.width() * back.height()) as usize;
            assert!(ink > 200 && ink < all / 3, "{ink} of {all}");
        }
    }

    #[test]
    fn tall_slips_are_sent_in_bands() {
        let mut r = SlipRaster::default();
        let many: Vec<String> = (0..40).map(|i| format!("line {i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let gray = r.render(&lines(&many), 384, "Noto Sans");
        assert!(gray.height() > BAND_ROWS);
        let bytes = encode(&gray);
        let bands = bytes
            .windows(4)
            .filter(|w| *w == [GS, b'v', b'0', 0])
            .count();
        assert_eq!(bands as u32, gray.height().div_ceil(BAND_ROWS));
        assert_eq!(decode(&bytes).unwrap().height(), gray.height());
    }

    #[test]
    fn a_rule_is_a_line_across_not_dashes() {
        assert!(is_rule("-----"));
        assert!(!is_rule("-- a --"));
        assert!(!is_rule(""));
    }
}
