//! Quality checks calibrated on the sample images: every clean sample passes
//! its own tool; blurred, darkened and overexposed copies of every sample are
//! refused with the right code; each tool refuses the other kinds of image.
//!
//! `cargo test --test quality -- --nocapture` prints the measured metrics, the
//! calibration table the thresholds in `defaults_for` were chosen from.

use crate::common;
use onemed::decode::{decode, Limits};
use onemed::frame::RgbFrame;
use onemed::preprocess::fit;
use onemed::quality::{
    check, defaults_for, measure, ImageKind, Metrics, QualityIssue, QualityThresholds,
};
use std::sync::OnceLock;

/// One sample image, measured clean and in each degraded copy.
struct Sample {
    rel: String,
    kind: ImageKind,
    width: usize,
    height: usize,
    clean: Metrics,
    blurred: Metrics,
    dark: Metrics,
    over: Metrics,
    /// Fundus only: with a black circular field stop (clean, and blurred with a
    /// crisp stop), as many fundus cameras deliver it.
    field_stop: Option<(Metrics, Metrics)>,
}

fn kind_of(rel: &str) -> ImageKind {
    match rel.split('/').take(2).collect::<Vec<_>>()[..] {
        ["covid-ct", _] => ImageKind::CtSlice,
        ["skin-lesion", _] => ImageKind::DermatoscopePhoto,
        ["eye", "cataract" | "redness"] => ImageKind::ExternalEyePhoto,
        ["eye", _] => ImageKind::FundusPhoto,
        _ => panic!("no kind for {rel}"),
    }
}

/// Separable box blur of radius `r`, three times over (about a Gaussian with
/// sigma r). Running sums, edges clamped.
fn box_blur(f: &RgbFrame, r: usize) -> RgbFrame {
    let (w, h, stride) = (f.width(), f.height(), f.width() * 3);
    let mut a: Vec<u32> = f.data().iter().map(|&v| u32::from(v)).collect();
    let mut tmp = vec![0u32; a.len()];
    let (d, r) = ((2 * r + 1) as u32, r as isize);
    for _ in 0..3 {
        for (src, dst) in a.chunks_exact(stride).zip(tmp.chunks_exact_mut(stride)) {
            for c in 0..3 {
                let at = |x: isize| src[x.clamp(0, w as isize - 1) as usize * 3 + c];
                let mut acc: u32 = (-r..=r).map(at).sum();
                for x in 0..w as isize {
                    dst[x as usize * 3 + c] = (acc + d / 2) / d;
                    acc = acc + at(x + r + 1) - at(x - r);
                }
            }
        }
        let row = |y: isize| y.clamp(0, h as isize - 1) as usize * stride;
        let mut acc = vec![0u32; stride];
        for k in -r..=r {
            acc.iter_mut()
                .zip(&tmp[row(k)..row(k) + stride])
                .for_each(|(s, &v)| *s += v);
        }
        for y in 0..h as isize {
            let (add, sub) = (row(y + r + 1), row(y - r));
            let out = &mut a[y as usize * stride..(y as usize + 1) * stride];
            for i in 0..stride {
                out[i] = (acc[i] + d / 2) / d;
                acc[i] = acc[i] + tmp[add + i] - tmp[sub + i];
            }
        }
    }
    RgbFrame::new(w, h, a.into_iter().map(|v| v as u8).collect()).expect("same size")
}

fn map(f: &RgbFrame, g: impl Fn(u8) -> u8) -> RgbFrame {
    RgbFrame::new(
        f.width(),
        f.height(),
        f.data().iter().map(|&v| g(v)).collect(),
    )
    .expect("same size")
}

/// Blacks out everything outside the circle inscribed in the centre square.
fn field_stop(f: &RgbFrame) -> RgbFrame {
    let (w, h) = (f.width(), f.height());
    let (cx, cy, r) = (w as f32 / 2.0, h as f32 / 2.0, w.min(h) as f32 / 2.0 - 2.0);
    let mut data = f.data().to_vec();
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
            if dx * dx + dy * dy > r * r {
                data[(y * w + x) * 3..(y * w + x) * 3 + 3].copy_from_slice(&[3, 2, 4]);
            }
        }
    }
    RgbFrame::new(w, h, data).expect("same size")
}

fn fitted_metrics(f: &RgbFrame) -> Metrics {
    measure(&fit(f, 224, 224).expect("fits"))
}

fn load(r: &common::RefImage) -> Sample {
    let bytes = std::fs::read(&r.file).unwrap_or_else(|e| panic!("{}: {e}", r.rel));
    let (probe, frame) = decode(&bytes, &Limits::default()).expect("sample decodes");
    let kind = kind_of(&r.rel);
    // Heavy blur: radius 3% of the shorter side of the original.
    let radius = (frame.width().min(frame.height()) as f32 * 0.03).round() as usize;
    let blurred = box_blur(&frame, radius);
    let field_stop = (kind == ImageKind::FundusPhoto).then(|| {
        (
            fitted_metrics(&field_stop(&frame)),
            fitted_metrics(&field_stop(&blurred)),
        )
    });
    Sample {
        rel: r.rel.clone(),
        kind,
        width: probe.width,
        height: probe.height,
        clean: fitted_metrics(&frame),
        blurred: fitted_metrics(&blurred),
        dark: fitted_metrics(&map(&frame, |v| (f32::from(v) * 0.15).round() as u8)),
        over: fitted_metrics(&map(&frame, |v| (u32::from(v) * 3 + 60).min(255) as u8)),
        field_stop,
    }
}

/// All samples, measured once (on two threads) and shared by the tests.
fn samples() -> &'static [Sample] {
    static SAMPLES: OnceLock<Vec<Sample>> = OnceLock::new();
    SAMPLES.get_or_init(|| {
        let refs = common::reference();
        assert!(refs.len() >= 28, "reference lists {} images", refs.len());
        let (a, b) = refs.split_at(refs.len() / 2);
        std::thread::scope(|s| {
            let other = s.spawn(|| b.iter().map(load).collect::<Vec<_>>());
            let mut all: Vec<Sample> = a.iter().map(load).collect();
            all.extend(other.join().expect("loader thread"));
            all
        })
    })
}

fn run(s: &Sample, m: &Metrics, kind: ImageKind) -> Result<(), QualityIssue> {
    check(s.width, s.height, m, &defaults_for(kind), kind)
}

fn code(r: Result<(), QualityIssue>) -> &'static str {
    r.err().map_or("ok", |e| e.code())
}

/// Asserts `expected` for every sample selected, listing every failure at once.
fn expect_all(what: &str, pick: impl Fn(&Sample) -> Option<(Metrics, ImageKind)>, expected: &str) {
    let failures: Vec<String> = samples()
        .iter()
        .filter_map(|s| pick(s).map(|(m, k)| (s, k, code(run(s, &m, k)))))
        .filter(|(_, _, got)| *got != expected)
        .map(|(s, k, got)| format!("{} as {k}: {got}", s.rel))
        .collect();
    assert!(
        failures.is_empty(),
        "{what}: expected {expected}, got:\n{}",
        failures.join("\n")
    );
}

/// A named metric, for the calibration table.
type Field = (&'static str, fn(&Metrics) -> f32);

#[test]
fn prints_the_calibration_table() {
    let fields: [Field; 10] = [
        ("mean", |m| m.mean_luma),
        ("std", |m| m.std_luma),
        ("dark", |m| m.dark_fraction),
        ("sat", |m| m.saturated_fraction),
        ("lapvar", |m| m.laplacian_var),
        ("colour", |m| m.colour_fraction),
        ("corner", |m| m.corner_dark_fraction),
        ("ctrR/G", |m| m.centre_red_ratio),
        ("redfr", |m| m.red_fraction),
        ("B/G", |m| m.blue_green_ratio),
    ];
    let header = fields
        .iter()
        .map(|(n, _)| format!("{n:>8}"))
        .collect::<String>();
    println!("{:44}{header}", "clean sample");
    for s in samples() {
        let row: String = fields
            .iter()
            .map(|(_, f)| format!("{:8.3}", f(&s.clean)))
            .collect();
        println!("{:44}{row}", &s.rel[..s.rel.len().min(43)]);
    }
    type Pick = fn(&Sample) -> Option<Metrics>;
    let variants: [(&str, Pick); 6] = [
        ("clean", |s| Some(s.clean)),
        ("blurred 3%", |s| Some(s.blurred)),
        ("dark x0.15", |s| Some(s.dark)),
        ("over x3+60", |s| Some(s.over)),
        ("field stop", |s| s.field_stop.map(|f| f.0)),
        ("stop+blur", |s| s.field_stop.map(|f| f.1)),
    ];
    println!("\nmin..max per kind{header}");
    for kind in ImageKind::ALL {
        for (name, pick) in variants {
            let ms: Vec<Metrics> = samples()
                .iter()
                .filter(|s| s.kind == kind)
                .filter_map(pick)
                .collect();
            if ms.is_empty() {
                continue;
            }
            let cells: String = fields
                .iter()
                .map(|(_, f)| {
                    let (lo, hi) = ms
                        .iter()
                        .map(f)
                        .fold((f32::MAX, f32::MIN), |(a, b), v| (a.min(v), b.max(v)));
                    format!(" {}..{}", short(lo), short(hi))
                })
                .collect();
            println!("{:18} {name:11}{cells}", kind.id());
        }
    }
    // Timing in this (dev, opt-level 1) profile, on a frame with a dark border.
    let data = (0..224 * 224)
        .flat_map(|i: usize| {
            if i % 224 < 20 {
                [0, 0, 0]
            } else {
                [200, (i % 97) as u8, 40]
            }
        })
        .collect();
    let fitted = RgbFrame::new(224, 224, data).expect("size");
    let t = std::time::Instant::now();
    for _ in 0..100 {
        std::hint::black_box(measure(std::hint::black_box(&fitted)));
    }
    let ms = t.elapsed().as_secs_f64() * 10.0;
    println!("\nmeasure(): {ms:.3} ms per 224x224 frame (this profile)");
}

fn short(v: f32) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

#[test]
fn every_clean_sample_passes_its_own_tool() {
    expect_all("clean", |s| Some((s.clean, s.kind)), "ok");
}

#[test]
fn blurred_copies_are_refused_as_blurred() {
    expect_all("blurred 3%", |s| Some((s.blurred, s.kind)), "blurred");
}

#[test]
fn darkened_copies_are_refused_as_too_dark() {
    expect_all("x0.15", |s| Some((s.dark, s.kind)), "too-dark");
}

#[test]
fn overexposed_copies_are_refused_as_overexposed() {
    expect_all("x3+60", |s| Some((s.over, s.kind)), "overexposed");
}

#[test]
fn fundus_behind_a_black_field_stop_is_still_a_fundus_and_blur_still_shows() {
    expect_all(
        "field stop",
        |s| s.field_stop.map(|f| (f.0, ImageKind::FundusPhoto)),
        "ok",
    );
    expect_all(
        "stop+blur",
        |s| s.field_stop.map(|f| (f.1, ImageKind::FundusPhoto)),
        "blurred",
    );
    for k in [
        ImageKind::ExternalEyePhoto,
        ImageKind::DermatoscopePhoto,
        ImageKind::CtSlice,
    ] {
        expect_all(
            "field stop, other tool",
            |s| s.field_stop.map(|f| (f.0, k)),
            "wrong-kind",
        );
    }
}

#[test]
fn flat_frames_are_blank_or_say_which_exposure_to_fix() {
    for kind in ImageKind::ALL {
        let t = defaults_for(kind);
        for (value, expected) in [(128u8, "blank"), (0, "too-dark"), (255, "overexposed")] {
            let m = measure(&RgbFrame::new(300, 300, vec![value; 300 * 300 * 3]).expect("size"));
            assert_eq!(
                code(check(300, 300, &m, &t, kind)),
                expected,
                "{kind}, grey {value}"
            );
        }
    }
}

#[test]
fn a_thumbnail_is_too_small_for_every_tool() {
    // A real 100x80 image (a sharp colour pattern), fitted as the kiosk would.
    let data = (0..80usize)
        .flat_map(|y| {
            (0..100usize).flat_map(move |x| [(x * 5) as u8, (y * 3) as u8, ((x ^ y) * 7) as u8])
        })
        .collect();
    let small = RgbFrame::new(100, 80, data).expect("size");
    let m = fitted_metrics(&small);
    for kind in ImageKind::ALL {
        let err = check(100, 80, &m, &defaults_for(kind), kind).expect_err("too small");
        assert_eq!(err.code(), "too-small", "{kind}");
        assert!(err.reason().contains("100x80"), "{}", err.reason());
    }
    let smallest = samples()
        .iter()
        .map(|s| s.width.min(s.height))
        .min()
        .unwrap_or(0);
    assert_eq!(
        smallest, 187,
        "the smallest sample is the 269x187 eye photo"
    );
}

#[test]
fn fundus_photos_are_refused_by_the_eye_and_skin_tools() {
    for k in [ImageKind::ExternalEyePhoto, ImageKind::DermatoscopePhoto] {
        expect_all(
            "fundus",
            |s| (s.kind == ImageKind::FundusPhoto).then_some((s.clean, k)),
            "wrong-kind",
        );
    }
}

#[test]
fn colour_photos_are_refused_by_the_ct_tool() {
    expect_all(
        "photo as CT",
        |s| (s.kind != ImageKind::CtSlice).then_some((s.clean, ImageKind::CtSlice)),
        "wrong-kind",
    );
    let s = samples()
        .iter()
        .find(|s| s.kind == ImageKind::ExternalEyePhoto)
        .expect("an eye photo");
    let reason = run(s, &s.clean, ImageKind::CtSlice)
        .expect_err("refused")
        .reason();
    assert_eq!(
        reason,
        "This looks like a colour photo, not a CT slice — import the CT slices"
    );
}

#[test]
fn ct_slices_are_refused_by_the_photo_tools() {
    for k in [
        ImageKind::FundusPhoto,
        ImageKind::ExternalEyePhoto,
        ImageKind::DermatoscopePhoto,
    ] {
        expect_all(
            "CT",
            |s| (s.kind == ImageKind::CtSlice).then_some((s.clean, k)),
            "wrong-kind",
        );
    }
}

#[test]
fn eye_and_skin_photos_are_refused_by_the_fundus_tool() {
    let photo = |s: &Sample| {
        matches!(
            s.kind,
            ImageKind::ExternalEyePhoto | ImageKind::DermatoscopePhoto
        )
    };
    expect_all(
        "photo as fundus",
        |s| photo(s).then_some((s.clean, ImageKind::FundusPhoto)),
        "wrong-kind",
    );
}

#[test]
fn thresholds_read_from_a_manifest_table_and_refuse_unknown_fields() {
    let text = "min_side = 160\nmin_std_luma = 4.0\nmin_mean_luma = 35.0\nmax_mean_luma = 190.0\n\
                max_saturated_fraction = 0.3\nmin_laplacian_var = 10.0\n";
    let t: QualityThresholds = toml::from_str(text).expect("parses");
    assert_eq!(t, defaults_for(ImageKind::FundusPhoto));
    assert!(toml::from_str::<QualityThresholds>(&format!("{text}max_blur = 1.0\n")).is_err());
    let round = toml::to_string(&defaults_for(ImageKind::CtSlice)).expect("serialises");
    assert_eq!(
        toml::from_str::<QualityThresholds>(&round).expect("parses"),
        defaults_for(ImageKind::CtSlice)
    );
}
