//! Indic text on the screen is shaped, not drawn glyph by glyph: nurse names
//! with conjuncts, vowel signs before their consonant and the Tamil
//! two-part vowel (क्ष, त्र, ि, ক্ষ, க்ஷே) are rendered by the kiosk's own UI
//! (the sign-in screen, through the software renderer and the system's
//! Noto fonts) and compared with HarfBuzz's `hb-view` rendering of the same
//! word in the same font and size. The same comparison tells an unshaped
//! rendering (`hb-view --shaper=fallback`) apart, so a regression to
//! unshaped text (pre-rendered glyphs, a missing font) fails.

use crate::common::kiosk::*;
use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use image::GrayImage;
use onemed::i18n::Lang;
use onemed::kiosk::ui::Screen;
use slint::ComponentHandle;
use std::path::Path;
use std::process::Command;

/// The words, their language, and the bold font file its script is drawn with.
const WORDS: [(&str, Lang, &str); 3] = [
    ("क्षत्रिय", Lang::Hi, "NotoSansDevanagari-Bold.ttf"),
    ("ক্ষমা কিতাব", Lang::Bn, "NotoSansBengali-Bold.ttf"),
    ("க்ஷேமம் கொடு", Lang::Ta, "NotoSansTamil-Bold.ttf"),
];
const NOTO: &str = "/usr/share/fonts/truetype/noto";
/// The sign-in screen's name buttons: `Theme.text + 6px`, bold.
const SIZE: u32 = 28;

/// Ink (dark pixels) cropped to its bounding box.
fn trimmed(img: &GrayImage) -> GrayImage {
    let ink: Vec<(u32, u32)> = img
        .enumerate_pixels()
        .filter(|(_, _, p)| p.0[0] < 128)
        .map(|(x, y, _)| (x, y))
        .collect();
    assert!(!ink.is_empty(), "no ink at all: the text was not drawn");
    let (x0, x1) = (
        ink.iter().map(|p| p.0).min().unwrap(),
        ink.iter().map(|p| p.0).max().unwrap(),
    );
    let (y0, y1) = (
        ink.iter().map(|p| p.1).min().unwrap(),
        ink.iter().map(|p| p.1).max().unwrap(),
    );
    image::imageops::crop_imm(img, x0, y0, x1 - x0 + 1, y1 - y0 + 1).to_image()
}

/// How alike two trimmed renderings are: ink boxes within 2 px, and the
/// ink overlapping (intersection over union of dark pixels, top-left aligned).
fn alike(a: &GrayImage, b: &GrayImage) -> Result<f64, String> {
    let (dw, dh) = (
        a.width().abs_diff(b.width()),
        a.height().abs_diff(b.height()),
    );
    if dw > 2 || dh > 2 {
        return Err(format!(
            "ink boxes {:?} vs {:?}",
            a.dimensions(),
            b.dimensions()
        ));
    }
    let (w, h) = (a.width().min(b.width()), a.height().min(b.height()));
    let (mut both, mut either) = (0u32, 0u32);
    for y in 0..h {
        for x in 0..w {
            let (ia, ib) = (a.get_pixel(x, y).0[0] < 128, b.get_pixel(x, y).0[0] < 128);
            both += u32::from(ia && ib);
            either += u32::from(ia || ib);
        }
    }
    Ok(f64::from(both) / f64::from(either.max(1)))
}

/// HarfBuzz's rendering of `word` in `font` (`--shaper=fallback`: unshaped).
fn hb_view(word: &str, font: &str, unshaped: bool, out: &Path) -> GrayImage {
    let mut cmd = Command::new("hb-view");
    cmd.args([
        "--font-size",
        &SIZE.to_string(),
        "--margin=8",
        "--background=FFFFFFFF",
    ])
    .args([
        "--foreground=000000FF",
        "--output-format=png",
        "--output-file",
    ])
    .arg(out)
    .arg(Path::new(NOTO).join(font))
    .arg(word);
    if unshaped {
        cmd.arg("--shaper=fallback");
    }
    let st = cmd
        .status()
        .expect("hb-view runs (Debian: libharfbuzz-bin)");
    assert!(st.success(), "hb-view failed for {word}");
    image::open(out).unwrap().to_luma8()
}

#[test]
fn indic_names_on_screen_are_shaped_like_harfbuzz_shapes_them() {
    let settings = settings("none", vec![], crate::common::models_dir());
    for (word, _, _) in WORDS {
        add_nurse(&settings.data_dir, word, NURSE_PIN);
    }
    let k = start_settings(&settings);
    tap(&k, "Sign in");
    assert_eq!(g(&k).get_screen(), Screen::SignIn);
    k.pump();
    let snap = k.window().window().take_snapshot().expect("snapshot");
    let rgba =
        image::RgbaImage::from_raw(snap.width(), snap.height(), snap.as_bytes().to_vec()).unwrap();
    let screen = image::DynamicImage::ImageRgba8(rgba).to_luma8();
    shot(&k, "shaping-sign-in");
    let dir = tempfile::tempdir().unwrap();
    for (word, _, font) in WORDS {
        let button = ElementHandle::find_by_accessible_label(k.window(), word)
            .find(|e| e.accessible_role() == Some(AccessibleRole::Button))
            .unwrap_or_else(|| panic!("no button for {word}"));
        let (pos, size) = (button.absolute_position(), button.size());
        // Inside the button's 3 px border.
        let inset = 8.0;
        let shown = image::imageops::crop_imm(
            &screen,
            (pos.x + inset) as u32,
            (pos.y + inset) as u32,
            (size.width - 2.0 * inset) as u32,
            (size.height - 2.0 * inset) as u32,
        )
        .to_image();
        let shown = trimmed(&shown);
        let shaped = trimmed(&hb_view(word, font, false, &dir.path().join("shaped.png")));
        let unshaped = trimmed(&hb_view(word, font, true, &dir.path().join("unshaped.png")));
        // The check tells shaped from unshaped text at all...
        let control = alike(&unshaped, &shaped).map_or(0.0, |s| s);
        assert!(
            control < 0.75,
            "{word}: unshaped text looks shaped ({control:.2})"
        );
        // ...and the screen is shaped.
        let score = alike(&shown, &shaped).unwrap_or_else(|e| panic!("{word}: {e}"));
        assert!(
            score >= 0.75,
            "{word}: the screen differs from HarfBuzz ({score:.2})"
        );
        println!(
            "{word}: ink {:?}, overlap with HarfBuzz {score:.2}, unshaped {control:.2}",
            shown.dimensions()
        );
    }
}

#[test]
fn the_printed_slip_is_shaped_like_harfbuzz_shapes_it() {
    use onemed::serial::{raster::SlipRaster, PrintLine};
    let dir = tempfile::tempdir().unwrap();
    let mut r = SlipRaster::default();
    for (word, lang, bold_font) in WORDS {
        let font = bold_font.replace("-Bold", "-Regular");
        // The fonts the kiosk draws this language's slips with.
        let printed = r.render(&[PrintLine::new(word)], 384, &lang.font_stack());
        let printed = trimmed(&printed);
        // The slip's text size: 24 dots.
        let mut cmd = Command::new("hb-view");
        let out = dir.path().join("ref.png");
        cmd.args(["--font-size=24", "--margin=8", "--background=FFFFFFFF"])
            .args([
                "--foreground=000000FF",
                "--output-format=png",
                "--output-file",
            ])
            .arg(&out)
            .arg(Path::new(NOTO).join(&font))
            .arg(word);
        assert!(cmd.status().unwrap().success());
        let shaped = trimmed(&image::open(&out).unwrap().to_luma8());
        let score = alike(&printed, &shaped).unwrap_or_else(|e| panic!("{word}: {e}"));
        assert!(
            score >= 0.75,
            "{word}: the slip differs from HarfBuzz ({score:.2})"
        );
        println!("slip {word}: overlap with HarfBuzz {score:.2}");
    }
}
