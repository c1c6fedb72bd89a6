//! The analysis pipeline: image in, gated and traceable result out.
//!
//! [`Analyzer`] owns the engine and the catalogue; it runs decode → fit →
//! quality and kind checks → inference → gate, and returns an [`Analysis`]
//! that records everything needed to trace the result: the image's identity,
//! exactly what the model saw (its sha256), the model's sha256 and version,
//! the device and precision, the probabilities and the timings.

use crate::catalog::{self, Catalog, CatalogError, Manifest, ModelFiles};
use crate::decode::Limits;
use crate::engine::{Engine, EngineConfig, EngineError};
use crate::frame::RgbFrame;
use crate::gate::{gate, Decision, GateError};
use crate::preprocess::{self, fill_tensor, input_sha256, PrepareError, Prepared};
use crate::quality::{self, Metrics, QualityIssue};
use crate::settings::Settings;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Instant;

/// The three outcomes a screen can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The model is clearly sure.
    Finding,
    /// The model is not sure enough: retake.
    Inconclusive,
    /// The image is unusable (quality or wrong kind): retake; the model was not run.
    Rejected,
}

/// Milliseconds per stage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    pub decode: f64,
    pub preprocess: f64,
    pub quality: f64,
    pub infer: f64,
    pub total: f64,
}

/// One analysed image: the traceable record of a result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub tool: String,
    pub model_sha256: String,
    pub model_version: String,
    pub device: String,
    pub precision: String,
    /// Model output, in output-index order (empty when the image was rejected).
    pub probabilities: Vec<f32>,
    pub outcome: Outcome,
    /// The class ID of a finding.
    pub class: Option<String>,
    pub refer: bool,
    /// Top-class probability of a finding.
    pub confidence: Option<f32>,
    /// Top minus runner-up probability (when the model ran).
    pub margin: Option<f32>,
    /// The stable code of an inconclusive or rejected outcome.
    pub reason_code: Option<String>,
    /// What is wrong and what to do, in a nurse's words.
    pub reason: Option<String>,
    /// The sentence the screen shows.
    pub headline: String,
    /// What to do next.
    pub advice: String,
    /// sha256 of the 224x224x3 RGB bytes the model saw.
    pub input_sha256: String,
    pub width: usize,
    pub height: usize,
    pub quality: Metrics,
    pub timings_ms: Timings,
    /// Why the picture was refused, when it was (the screen words it in
    /// the nurse's language; `reason` keeps the English).
    #[serde(skip)]
    pub issue: Option<crate::quality::QualityIssue>,
}

impl Analysis {
    /// One upper-case word for the outcome, for plain-text output.
    pub fn outcome_word(&self) -> &'static str {
        match self.outcome {
            Outcome::Finding => "FINDING",
            Outcome::Inconclusive => "INCONCLUSIVE",
            Outcome::Rejected => "REJECTED",
        }
    }
}

/// Why an image could not be analysed at all.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    #[error(transparent)]
    Prepare(#[from] PrepareError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error("{tool} is unavailable: {reason}")]
    Unavailable { tool: String, reason: String },
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Gate(#[from] GateError),
}

/// Runs the pipeline for the tools it has loaded.
pub struct Analyzer {
    catalog: Catalog,
    engine: Engine,
    limits: Limits,
    /// Tools whose model could not be loaded, with the reason.
    unavailable: BTreeMap<String, String>,
}

impl Analyzer {
    /// Sets up the engine and loads the models of `tools` (all when empty).
    /// A tool whose model is missing or broken is marked unavailable; the
    /// others work. Fails only when the engine itself cannot start.
    pub fn new(settings: &Settings, tools: &[&str]) -> Result<Analyzer, AnalyzeError> {
        let mut catalog = match &settings.manifests_dir {
            Some(d) => Catalog::from_dir(d)?,
            None => Catalog::builtin()?,
        };
        // A margin for a tool that does not exist (a typo) or out of range
        // is reported and ignored: it never takes a tool down.
        for (tool, m) in &settings.gate_margin {
            if let Err(e) = catalog.set_margin(tool, *m) {
                log::warn!("gate_margin.{tool} = {m} ignored: {e}");
            }
        }
        let wanted: Vec<Manifest> = if tools.is_empty() {
            catalog.tools().to_vec()
        } else {
            tools
                .iter()
                .map(|t| catalog.tool(t).cloned())
                .collect::<Result<_, _>>()?
        };
        let engine = Engine::new(&EngineConfig {
            device: settings.device,
            cache_dir: settings.cache_dir.clone(),
            runtime: settings.openvino_runtime.clone(),
        })?;
        let mut a = Analyzer {
            catalog,
            engine,
            limits: settings.limits(),
            unavailable: BTreeMap::new(),
        };
        let models_dir = catalog::models_dir(settings.models_dir.as_deref());
        let mut jobs = Vec::new();
        for tool in wanted {
            let files = models_dir
                .as_ref()
                .map_err(|e| e.to_string())
                .and_then(|dir| ModelFiles::locate(dir, &tool.model).map_err(|e| e.to_string()));
            match files {
                Ok(f) => jobs.push((tool, f)),
                Err(reason) => {
                    log::error!("{} unavailable: {reason}", tool.id);
                    a.unavailable.insert(tool.id.clone(), reason);
                }
            }
        }
        for (id, result) in a.engine.load_all(&jobs) {
            if let Err(reason) = result {
                log::error!("{id} unavailable: {reason}");
                a.unavailable.insert(id, reason);
            }
        }
        Ok(a)
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Tools that could not be loaded, with the reason.
    pub fn unavailable(&self) -> &BTreeMap<String, String> {
        &self.unavailable
    }

    fn ready_tool(&self, tool: &str) -> Result<Manifest, AnalyzeError> {
        let m = self.catalog.tool(tool)?.clone();
        if let Some(reason) = self.unavailable.get(tool) {
            return Err(AnalyzeError::Unavailable {
                tool: tool.to_string(),
                reason: reason.clone(),
            });
        }
        if self.engine.info(tool).is_none() {
            return Err(AnalyzeError::Unavailable {
                tool: tool.to_string(),
                reason: "model not loaded".into(),
            });
        }
        Ok(m)
    }

    /// Analyses an image file's bytes.
    pub fn analyze_bytes(&mut self, tool: &str, bytes: &[u8]) -> Result<Analysis, AnalyzeError> {
        let t0 = Instant::now();
        let m = self.ready_tool(tool)?;
        let prepared = preprocess::prepare(bytes, &self.limits, m.preprocess.size)?;
        self.finish(&m, prepared, t0)
    }

    /// Analyses a camera frame (already decoded).
    pub fn analyze_frame(
        &mut self,
        tool: &str,
        frame: &RgbFrame,
    ) -> Result<Analysis, AnalyzeError> {
        let t0 = Instant::now();
        let m = self.ready_tool(tool)?;
        let prepared = preprocess::prepare_frame(frame, m.preprocess.size)?;
        self.finish(&m, prepared, t0)
    }

    fn finish(&mut self, m: &Manifest, p: Prepared, t0: Instant) -> Result<Analysis, AnalyzeError> {
        let tq = Instant::now();
        let (width, height) = (p.width, p.height);
        let metrics = quality::measure(&p.fitted);
        let verdict = quality::check(width, height, &metrics, &m.quality, m.image_kind);
        let quality_ms = tq.elapsed().as_secs_f64() * 1000.0;
        let info = self
            .engine
            .info(&m.id)
            .cloned()
            .ok_or_else(|| EngineError::NotLoaded(m.id.clone()))?;
        let mut a = Analysis {
            tool: m.id.clone(),
            model_sha256: info.sha256,
            model_version: info.version,
            device: info.device,
            precision: info.precision,
            probabilities: Vec::new(),
            outcome: Outcome::Rejected,
            class: None,
            refer: false,
            confidence: None,
            margin: None,
            reason_code: None,
            reason: None,
            headline: String::new(),
            advice: String::new(),
            input_sha256: input_sha256(&p.fitted),
            width,
            height,
            quality: metrics,
            timings_ms: Timings {
                decode: p.decode_ms,
                preprocess: p.preprocess_ms,
                quality: quality_ms,
                ..Timings::default()
            },
            issue: None,
        };
        match verdict {
            Err(issue) => reject(&mut a, &issue),
            Ok(()) => {
                let ti = Instant::now();
                let norm = m.preprocess.normalize();
                let probs = self.engine.infer_with(&m.id, p.fitted.data().len(), |t| {
                    fill_tensor(&p.fitted, &norm, t)
                })?;
                a.timings_ms.infer = ti.elapsed().as_secs_f64() * 1000.0;
                let decision = gate(&probs, m)?;
                a.probabilities = probs;
                apply_decision(&mut a, m, decision);
            }
        }
        a.timings_ms.total = t0.elapsed().as_secs_f64() * 1000.0;
        Ok(a)
    }
}

fn reject(a: &mut Analysis, issue: &QualityIssue) {
    a.outcome = Outcome::Rejected;
    a.reason_code = Some(issue.code().to_string());
    a.reason = Some(issue.reason());
    a.headline = "Image not good enough".to_string();
    a.advice = issue.reason();
    a.issue = Some(issue.clone());
}

fn apply_decision(a: &mut Analysis, m: &Manifest, d: Decision) {
    match d {
        Decision::Finding {
            index,
            confidence,
            margin,
            refer,
        } => {
            let c = &m.classes[index];
            a.outcome = Outcome::Finding;
            a.class = Some(c.id.clone());
            a.refer = refer;
            a.confidence = Some(confidence);
            a.margin = Some(margin);
            a.headline = c.finding.clone();
            a.advice = c.advice.clone();
        }
        Decision::Inconclusive { margin, required } => {
            a.outcome = Outcome::Inconclusive;
            a.margin = Some(margin);
            a.reason_code = Some("not-sure".to_string());
            let text = format!(
                "Image not good enough — the result is not clear (margin {margin:.2}, needs {required:.2}). Retake the image."
            );
            a.reason = Some(text.clone());
            a.headline = "Image not good enough — retake".to_string();
            a.advice = text;
        }
    }
}
