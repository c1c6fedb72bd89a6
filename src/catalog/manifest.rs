//! A tool manifest (`models/<tool>.toml`): what a screening tool is, which model
//! it runs, how its input is prepared, what each output class means to a nurse,
//! and the thresholds (gate margin, image quality) it is held to.
//!
//! Parsed in two stages: a raw serde struct that rejects unknown fields, then
//! [`Manifest::validate`] which checks every rule a model and the gate rely on.

use crate::preprocess::Normalize;
use crate::quality::{ImageKind, QualityThresholds};
use serde::{Deserialize, Serialize};

/// The smallest gate margin any tool may be configured with.
pub const MIN_GATE_MARGIN: f32 = 0.3;
/// The largest gate margin a site or an admin may set (1.0 would never give
/// a finding).
pub const MAX_GATE_MARGIN: f32 = 0.95;

/// One tool's manifest, validated.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Stable tool ID, also the manifest's file stem (`diabetic-retinopathy`).
    pub id: String,
    /// Name on screen ("Diabetic retinopathy").
    pub name: String,
    /// The group on the home screen ("EyeMed", "Skin", "COVID CT").
    pub group: String,
    /// The condition screened for, in a nurse's words.
    pub condition: String,
    /// The kind of image the tool accepts.
    pub image_kind: ImageKind,
    /// What the nurse should frame when capturing.
    pub framing_hint: String,
    /// What a complete screening with this tool is (the visit refers as
    /// "not fully screened" while a part is missing).
    pub coverage: Coverage,
    pub model: ModelSpec,
    pub preprocess: PreprocessSpec,
    pub gate: GateSpec,
    pub quality: QualityThresholds,
    /// Output classes in model output-index order.
    pub classes: Vec<ClassSpec>,
}

/// What a complete screening with a tool is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Coverage {
    /// One result for each eye (right and left).
    BothEyes,
    /// One assessable picture.
    OneImage,
    /// A CT study: at least one assessable slice (every slice counts).
    CtStudy,
}

/// The model file and the interface the manifest expects of it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// `model.xml`, relative to the models folder; `model.bin` sits beside it.
    pub path: String,
    /// Where the weights came from, for traceability.
    pub version: String,
    /// sha256 of `model.xml`: the engine refuses any other file.
    pub xml_sha256: String,
    /// sha256 of `model.bin`: the engine refuses any other weights.
    pub bin_sha256: String,
    pub input_name: String,
    pub input_shape: Vec<i64>,
    pub layout: String,
    pub output_name: String,
}

/// Preprocessing parameters (the original app's, kept exactly).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PreprocessSpec {
    /// Side of the square the image is fitted to.
    pub size: usize,
    /// The fit method; only Pillow's centre-crop Lanczos fit exists.
    pub fit: String,
    /// `x / scale + offset`.
    pub scale: f32,
    pub offset: f32,
}

impl PreprocessSpec {
    pub fn normalize(&self) -> Normalize {
        Normalize {
            scale: self.scale,
            offset: self.offset,
        }
    }
}

/// The decision gate.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GateSpec {
    /// The top class must beat the runner-up by at least this much.
    pub margin: f32,
}

/// One output class.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClassSpec {
    /// Class ID, as in `refdata/reference.json` (`cataract`, `no-cataract`).
    pub id: String,
    /// The finding in a nurse's words ("Signs of cataract").
    pub finding: String,
    /// Whether this finding means "refer to a doctor".
    pub refer: bool,
    /// What to do ("Refer to an eye doctor").
    pub advice: String,
}

/// A manifest that breaks a rule.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ManifestError {
    #[error("manifest {file}: {source}")]
    Parse {
        file: String,
        source: toml::de::Error,
    },
    #[error("manifest {id}: {problem}")]
    Invalid { id: String, problem: String },
}

impl Manifest {
    /// Parses and validates manifest text (`file` names it in errors).
    pub fn parse(file: &str, text: &str) -> Result<Manifest, ManifestError> {
        let m: Manifest = toml::from_str(text).map_err(|source| ManifestError::Parse {
            file: file.to_string(),
            source,
        })?;
        m.validate()?;
        Ok(m)
    }

    /// Checks the rules the engine, the gate and the screens rely on.
    pub fn validate(&self) -> Result<(), ManifestError> {
        let bad = |problem: String| {
            Err(ManifestError::Invalid {
                id: self.id.clone(),
                problem,
            })
        };
        if self.id.is_empty() || !self.id.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
            return bad(format!(
                "tool id {:?} must be lower-case letters and '-'",
                self.id
            ));
        }
        if self.classes.len() < 2 {
            return bad("needs at least two classes".into());
        }
        let mut ids: Vec<&str> = self.classes.iter().map(|c| c.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() != self.classes.len() {
            return bad("class ids must be unique".into());
        }
        if !self.classes.iter().any(|c| !c.refer) || !self.classes.iter().any(|c| c.refer) {
            return bad("needs a class that refers and one that does not".into());
        }
        let m = self.gate.margin;
        if !(MIN_GATE_MARGIN..=1.0).contains(&m) {
            return bad(format!(
                "gate margin {m} must lie between {MIN_GATE_MARGIN} and 1"
            ));
        }
        let s = self.preprocess.size as i64;
        if self.model.layout != "NHWC" || self.model.input_shape != [1, s, s, 3] {
            return bad(format!(
                "input must be NHWC [1, {s}, {s}, 3], manifest says {} {:?}",
                self.model.layout, self.model.input_shape
            ));
        }
        if self.preprocess.fit != "centre-crop-lanczos" {
            return bad(format!("unknown fit {:?}", self.preprocess.fit));
        }
        if !(self.preprocess.scale.is_finite() && self.preprocess.scale > 0.0) {
            return bad("preprocess scale must be positive".into());
        }
        if let Err(problem) = self.quality.validate() {
            return bad(format!("quality: {problem}"));
        }
        let fits = match self.coverage {
            Coverage::BothEyes => self.image_kind.is_eye(),
            Coverage::CtStudy => self.image_kind == ImageKind::CtSlice,
            Coverage::OneImage => !self.image_kind.is_eye(),
        };
        if !fits {
            return bad(format!(
                "coverage {:?} does not suit {} images",
                self.coverage,
                self.image_kind.label()
            ));
        }
        if !self.model.path.ends_with(".xml") {
            return bad("model path must name an OpenVINO IR .xml file".into());
        }
        for (key, pin) in [
            ("xml_sha256", &self.model.xml_sha256),
            ("bin_sha256", &self.model.bin_sha256),
        ] {
            if !is_sha256_hex(pin) {
                return bad(format!(
                    "[model] {key} must be 64 lower-case hex digits (`onemed models --pin` prints it)"
                ));
            }
        }
        Ok(())
    }

    /// The class at output index `i`.
    pub fn class(&self, i: usize) -> Option<&ClassSpec> {
        self.classes.get(i)
    }
}

/// A sha256 written as 64 lower-case hex digits.
fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}
