//! Checking a file before it is offered for analysis: the same decode, fit
//! and quality and kind checks the analysis runs (so what it refuses, the
//! analysis would refuse too), without running the model. A refusal says why
//! in a nurse's words. The decoded picture also gives the preview, so each
//! file is read and decoded once.

use super::thumbnail::downscale;
use crate::catalog::Manifest;
use crate::decode::{self, Limits};
use crate::frame::RgbFrame;
use crate::preprocess;
use crate::quality;
use std::path::Path;

/// What the check found: a preview when the file decoded, and whether the
/// tool can analyse it (the reason when not).
pub struct Checked {
    pub preview: Option<RgbFrame>,
    pub verdict: Result<(), String>,
}

/// Checks the file at `path` for `tool`; the preview's longer side is at
/// most `preview_side`.
pub fn check_file(path: &Path, tool: &Manifest, limits: &Limits, preview_side: usize) -> Checked {
    let frame = match decode::read_file(path).and_then(|b| decode::decode(&b, limits)) {
        Ok((_, frame)) => frame,
        Err(e) => {
            return Checked {
                preview: None,
                verdict: Err(capitalised(&e.to_string())),
            }
        }
    };
    let verdict = preprocess::prepare_frame(&frame, tool.preprocess.size)
        .map_err(|e| capitalised(&e.to_string()))
        .and_then(|p| {
            let metrics = quality::measure(&p.fitted);
            quality::check(p.width, p.height, &metrics, &tool.quality, tool.image_kind)
                .map_err(|issue| issue.reason())
        });
    Checked {
        preview: Some(downscale(&frame, preview_side.max(1))),
        verdict,
    }
}

/// "this DICOM file is …" → "This DICOM file is …".
fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    #[test]
    fn a_small_picture_is_refused_with_the_analysis_reason_and_still_previewed() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("small.png");
        image::RgbImage::from_pixel(64, 64, image::Rgb([90, 90, 90]))
            .save(&p)
            .unwrap();
        let ct = Catalog::builtin()
            .unwrap()
            .tool("covid-ct")
            .unwrap()
            .clone();
        let c = check_file(&p, &ct, &Limits::default(), 32);
        let why = c.verdict.unwrap_err();
        assert!(why.contains("64x64"), "{why}");
        assert_eq!(c.preview.map(|f| f.width()), Some(32));
        let text = d.path().join("notes.png");
        std::fs::write(&text, b"not a picture").unwrap();
        let c = check_file(&text, &ct, &Limits::default(), 32);
        assert!(c.preview.is_none());
        assert!(c.verdict.unwrap_err().starts_with(char::is_uppercase));
    }
}
