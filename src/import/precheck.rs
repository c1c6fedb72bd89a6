//! Checking a file before it is offered for analysis: the same decode, fit
//! and quality and kind checks the analysis runs (so what it refuses, the
//! analysis would refuse too), without running the model. A refusal says why
//! in a nurse's words, in the screen's language ([`Refusal::reason_in`]; its
//! English is the log's). The decoded picture also gives the preview, so each
//! file is read and decoded once.

use super::thumbnail::downscale;
use crate::catalog::Manifest;
use crate::decode::{self, dicom, DecodeError, Limits};
use crate::frame::RgbFrame;
use crate::i18n::{tr, trf, Lang};
use crate::preprocess::{self, FitError, PrepareError};
use crate::quality::{self, QualityIssue};
use std::path::Path;

/// What the check found: a preview when the file decoded, and whether the
/// tool can analyse it (the reason when not).
pub struct Checked {
    pub preview: Option<RgbFrame>,
    pub verdict: Result<(), Refusal>,
}

/// Why a file is not offered for analysis.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// It cannot be read as a picture.
    Unreadable(DecodeError),
    /// Its picture cannot be fitted to the model's input.
    Unfit(FitError),
    /// It is not the picture the tool needs, or not good enough.
    Quality(QualityIssue),
}

impl Refusal {
    /// The reason in English (the log's).
    pub fn reason(&self) -> String {
        self.reason_in(Lang::En)
    }

    /// The reason in `lang`: "what is wrong — what to do".
    pub fn reason_in(&self, lang: Lang) -> String {
        match self {
            Refusal::Unreadable(e) => unreadable(e, lang),
            Refusal::Unfit(e) => trf(lang, "Resampling failed: {}", &[&e.to_string()]),
            Refusal::Quality(issue) => issue.reason_in(lang),
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason())
    }
}

impl From<PrepareError> for Refusal {
    fn from(e: PrepareError) -> Refusal {
        match e {
            PrepareError::Decode(e) => Refusal::Unreadable(e),
            PrepareError::Fit(e) => Refusal::Unfit(e),
        }
    }
}

/// Why a file cannot be read, in `lang`. In English it is the decoder's own
/// sentence, capitalised; a technical detail (a library's error) stays as
/// it is.
pub fn unreadable(e: &DecodeError, lang: Lang) -> String {
    let n = |v: &dyn ToString| v.to_string();
    match e {
        DecodeError::Empty => tr(lang, "The file is empty"),
        DecodeError::NotAnImage => tr(
            lang,
            "Not an image file (expected JPEG, PNG, BMP, TIFF, WebP, GIF or DICOM)",
        ),
        DecodeError::NotCt { modality } => match dicom::modality_words(modality) {
            None => tr(
                lang,
                "This DICOM file does not say what kind of scan it is, so it is not CT — \
                 import CT slices for the COVID CT tool",
            ),
            Some(kind) => trf(
                lang,
                "This DICOM file is {} ({}), not CT — import CT slices for the COVID CT tool",
                &[&tr(lang, kind), modality],
            ),
        },
        DecodeError::MultiFrame { frames } => trf(
            lang,
            "This DICOM file holds {} images (a multi-frame series); export the CT slices \
             as single-image files and import those",
            &[&n(frames)],
        ),
        DecodeError::TooLarge {
            width,
            height,
            max_mp,
        } => trf(
            lang,
            "Image is too large: {}x{} pixels (the limit is {} megapixels)",
            &[&n(width), &n(height), &n(max_mp)],
        ),
        DecodeError::TooSmall { width, height } => trf(
            lang,
            "Image is too small to analyse: {}x{} pixels",
            &[&n(width), &n(height)],
        ),
        DecodeError::Truncated => tr(
            lang,
            "The image file is incomplete (truncated); copy or capture it again",
        ),
        DecodeError::Corrupt(d) => trf(lang, "The image file is damaged: {}", &[d]),
        DecodeError::Unsupported(d) => trf(lang, "Unsupported image: {}", &[d]),
        DecodeError::FileTooLarge { mb, max_mb } => trf(
            lang,
            "The file is too large ({} MB; the limit is {} MB)",
            &[&n(mb), &n(max_mb)],
        ),
        DecodeError::Io(d) => trf(lang, "Cannot read the file: {}", &[d]),
        DecodeError::DecoderFailed { format } => trf(
            lang,
            "The {} decoder failed on this file (a feature it cannot read, or damage); \
             save the picture again as JPEG or PNG",
            &[format],
        ),
    }
}

/// Checks the file at `path` for `tool`; the preview's longer side is at
/// most `preview_side`.
pub fn check_file(path: &Path, tool: &Manifest, limits: &Limits, preview_side: usize) -> Checked {
    let frame = match decode::read_file(path).and_then(|b| decode::decode(&b, limits)) {
        Ok((_, frame)) => frame,
        Err(e) => {
            return Checked {
                preview: None,
                verdict: Err(Refusal::Unreadable(e)),
            }
        }
    };
    let verdict = preprocess::prepare_frame(&frame, tool.preprocess.size)
        .map_err(Refusal::from)
        .and_then(|p| {
            let metrics = quality::measure(&p.fitted);
            quality::check(p.width, p.height, &metrics, &tool.quality, tool.image_kind)
                .map_err(Refusal::Quality)
        });
    Checked {
        preview: Some(downscale(&frame, preview_side.max(1))),
        verdict,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    /// "this DICOM file is …" → "This DICOM file is …".
    fn capitalised(s: &str) -> String {
        let mut c = s.chars();
        match c.next() {
            Some(f) => f.to_uppercase().chain(c).collect(),
            None => String::new(),
        }
    }

    #[test]
    fn a_refusal_reads_as_the_decoder_says_in_english_and_is_translated() {
        let d = || "detail 7".to_string();
        let errors = [
            DecodeError::Empty,
            DecodeError::NotAnImage,
            DecodeError::NotCt {
                modality: "MR".into(),
            },
            DecodeError::NotCt {
                modality: "ZZ".into(),
            },
            DecodeError::NotCt {
                modality: String::new(),
            },
            DecodeError::MultiFrame { frames: 40 },
            DecodeError::TooLarge {
                width: 9000,
                height: 9000,
                max_mp: 50,
            },
            DecodeError::TooSmall {
                width: 8,
                height: 8,
            },
            DecodeError::Truncated,
            DecodeError::Corrupt(d()),
            DecodeError::Unsupported(d()),
            DecodeError::FileTooLarge {
                mb: 300,
                max_mb: 256,
            },
            DecodeError::Io(d()),
        ];
        for e in errors {
            let r = Refusal::Unreadable(e.clone());
            assert_eq!(r.reason(), capitalised(&e.to_string()));
            for lang in [Lang::Hi, Lang::Ta] {
                let said = r.reason_in(lang);
                assert_ne!(said, r.reason(), "{lang:?}");
                assert!(
                    !said.contains("{}") && !said.contains("file"),
                    "{lang:?}: {said}"
                );
                for kept in ["detail 7", "40", "9000", "(MR)", "256"] {
                    if r.reason().contains(kept) {
                        assert!(said.contains(kept), "{lang:?}: {said}");
                    }
                }
            }
        }
        let unfit = Refusal::from(PrepareError::Fit(FitError::Empty(0, 0)));
        assert_eq!(
            unfit.reason(),
            "Resampling failed: image has no pixels (0x0)"
        );
        assert!(unfit.reason_in(Lang::Bn).contains("(0x0)"));
    }

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
        let why = c.verdict.unwrap_err().reason();
        assert!(why.contains("64x64"), "{why}");
        assert_eq!(c.preview.map(|f| f.width()), Some(32));
        let text = d.path().join("notes.png");
        std::fs::write(&text, b"not a picture").unwrap();
        let c = check_file(&text, &ct, &Limits::default(), 32);
        assert!(c.preview.is_none());
        assert!(c
            .verdict
            .unwrap_err()
            .reason()
            .starts_with(char::is_uppercase));
    }
}
