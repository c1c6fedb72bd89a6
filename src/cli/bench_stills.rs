//! `onemed bench --stills`: how much room camera stills take in the register
//! (and in exports, and on a sync), before and after stills were kept as the
//! camera's own JPEG, measured on the demo camera's frames (the replay of
//! the sample fundus photos, 3504x2336, that `make run` falls back to).
//!
//! Before: every still was a PNG (fast compression, Paeth). After: an MJPEG
//! camera's still is its own JPEG, as it came; an uncompressed (YUYV) camera's
//! is [`records::STILL_LOSSLESS`], chosen from the lossless encodings listed,
//! each checked to decode back to the very same pixels.

use crate::decode::{self, Limits};
use crate::records::{self, Lossless};
use std::path::Path;
use std::time::Instant;

/// Stills a patient: one picture of each eye.
pub const STILLS_PER_PATIENT: f64 = 2.0;
/// Patients the figures are given for.
const PATIENTS: f64 = 100.0;

/// The demo camera's folder inside the datasets (as `make run` replays it).
pub const DEMO_CAMERA: &str = "eye/diabetic-retinopathy";

fn mb(bytes: f64) -> f64 {
    bytes / 1e6
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// One way of storing the stills: mean bytes a still, median encode time,
/// whether every still decoded back exactly.
struct Way {
    name: String,
    bytes: f64,
    encode_ms: f64,
    exact: bool,
}

impl Way {
    fn per_100(&self) -> f64 {
        mb(self.bytes) * STILLS_PER_PATIENT * PATIENTS
    }
}

/// Measures and prints the table for the images of `dir` (JPEG files, as an
/// MJPEG camera would send them).
pub fn run(dir: &Path) -> anyhow::Result<()> {
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let limits = Limits::default();
    let mut frames = Vec::new();
    for f in &files {
        let bytes = decode::read_file(f)?;
        if decode::sniff(&bytes) != Some(decode::ImageFormat::Jpeg) {
            continue;
        }
        let (_, frame) = decode::decode(&bytes, &limits)?;
        frames.push((bytes, frame));
    }
    let Some((_, first)) = frames.first() else {
        anyhow::bail!("no JPEG in {}", dir.display());
    };
    let n = frames.len() as f64;
    println!(
        "camera stills: the demo camera, {} frames {}x{} ({}), {} stills a patient (one per eye); MB = 10^6 bytes",
        frames.len(),
        first.width(),
        first.height(),
        dir.display(),
        STILLS_PER_PATIENT
    );
    let mut ways = Vec::new();
    for way in Lossless::ALL {
        let (mut total, mut times, mut exact) = (0usize, Vec::new(), true);
        for (_, frame) in &frames {
            let t = Instant::now();
            let out = way.encode(frame)?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            total += out.len();
            exact &= decode::decode(&out, &limits).is_ok_and(|(_, back)| back == *frame);
        }
        let mut name = way.name().to_string();
        if way == Lossless::PngFast {
            name += " (before: every still)";
        }
        if way == records::STILL_LOSSLESS {
            name += " (after: YUYV camera)";
        }
        ways.push(Way {
            name,
            bytes: total as f64 / n,
            encode_ms: median(times),
            exact,
        });
    }
    let jpeg = Way {
        name: "camera's own JPEG (after: MJPEG camera)".into(),
        bytes: frames.iter().map(|(b, _)| b.len()).sum::<usize>() as f64 / n,
        encode_ms: 0.0,
        exact: true,
    };
    println!(
        "  {:<42} {:>10} {:>10} {:>12} {:>7}",
        "stored as", "MB/still", "encode ms", "MB/100 pat.", "exact"
    );
    for w in ways.iter().chain([&jpeg]) {
        println!(
            "  {:<42} {:>10.2} {:>10.0} {:>12.0} {:>7}",
            w.name,
            mb(w.bytes),
            w.encode_ms,
            w.per_100(),
            if w.exact { "yes" } else { "NO" }
        );
    }
    let before = &ways[0];
    let after_raw = ways
        .iter()
        .zip(Lossless::ALL)
        .find(|(_, l)| *l == records::STILL_LOSSLESS)
        .map(|(w, _)| w)
        .unwrap_or(before);
    println!(
        "  per 100 patients: before {:.0} MB; after {:.0} MB with an MJPEG camera ({:.1}x smaller), \
         {:.0} MB with an uncompressed one ({:.1}x smaller)",
        before.per_100(),
        jpeg.per_100(),
        before.bytes / jpeg.bytes,
        after_raw.per_100(),
        before.bytes / after_raw.bytes
    );
    if ways.iter().any(|w| !w.exact) {
        anyhow::bail!("a lossless encoding did not decode back to the same pixels");
    }
    Ok(())
}
