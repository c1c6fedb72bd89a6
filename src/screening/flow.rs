//! The screening flow's rules, as pure functions: how an analysis reads on the
//! result screen, and the retake loop with an exit — after a set number of
//! unusable pictures the answer is "Could not assess — refer", never a guess.

use super::ResultKind;
use crate::analysis::{Analysis, Outcome};

/// What the result screen shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultView {
    pub kind: ResultKind,
    pub headline: String,
    pub advice: String,
    /// The confidence bar (findings only), 0..1.
    pub confidence: Option<f32>,
    /// Model, version, hash, device: how to trace this result.
    pub trace: String,
}

/// Counts unusable pictures for one patient and one tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempts {
    used: u32,
    max: u32,
}

impl Attempts {
    pub fn new(max: u32) -> Attempts {
        Attempts {
            used: 0,
            max: max.max(1),
        }
    }

    /// The attempt now being made (1-based).
    pub fn current(&self) -> u32 {
        self.used + 1
    }

    pub fn max(&self) -> u32 {
        self.max
    }

    /// Records an analysis; returns how the screen shows it. An unusable
    /// picture uses up an attempt; the last one turns into "could not assess".
    pub fn record(&mut self, a: &Analysis) -> ResultView {
        let mut view = result_view(a);
        if view.kind == ResultKind::Retake {
            self.used += 1;
            if self.used >= self.max {
                view = could_not_assess(self.max, view.trace);
            }
        }
        view
    }

    /// Starts again (next patient or another tool).
    pub fn reset(&mut self) {
        self.used = 0;
    }
}

fn could_not_assess(max: u32, trace: String) -> ResultView {
    ResultView {
        kind: ResultKind::CouldNotAssess,
        headline: "Could not assess — refer to a doctor".into(),
        advice: format!("{max} pictures in a row were not good enough to assess. Refer the patient to a doctor."),
        confidence: None,
        trace,
    }
}

/// One analysis as the result screen shows it.
pub fn result_view(a: &Analysis) -> ResultView {
    let trace = trace_line(a);
    match a.outcome {
        Outcome::Finding => ResultView {
            kind: if a.refer { ResultKind::Refer } else { ResultKind::Clear },
            headline: a.headline.clone(),
            advice: a.advice.clone(),
            confidence: a.confidence,
            trace,
        },
        Outcome::Inconclusive => ResultView {
            kind: ResultKind::Retake,
            headline: "Image not good enough — retake".into(),
            advice: "The screening is not clear enough on this picture. Retake it: follow the framing hint, hold steady."
                .into(),
            confidence: None,
            trace,
        },
        Outcome::Rejected => ResultView {
            kind: ResultKind::Retake,
            headline: "Image not good enough — retake".into(),
            advice: a.reason.clone().unwrap_or_else(|| "Retake the picture.".into()),
            confidence: None,
            trace,
        },
    }
}

/// An error as the result screen shows it.
pub fn error_view(message: &str) -> ResultView {
    ResultView {
        kind: ResultKind::Error,
        headline: "Could not analyse this picture".into(),
        advice: message.to_string(),
        confidence: None,
        trace: String::new(),
    }
}

/// "Model diabetic-retinopathy (MedStack …) · sha256 f09cb805b3df · CPU f32 · image 3f2a…"
pub fn trace_line(a: &Analysis) -> String {
    let short = |s: &str| s.get(..12).unwrap_or(s).to_string();
    format!(
        "Model {} · sha256 {} · {} {} · input {} · {:.0} ms",
        a.tool,
        short(&a.model_sha256),
        a.device,
        a.precision,
        short(&a.input_sha256),
        a.timings_ms.total
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Timings;
    use crate::quality::Metrics;

    fn analysis(outcome: Outcome, refer: bool) -> Analysis {
        Analysis {
            tool: "diabetic-retinopathy".into(),
            model_sha256: "f09cb805b3dffbfcc4d110db377d3be2461e43a1b0a80ddd8989206069237f4d".into(),
            model_version: "v".into(),
            device: "CPU".into(),
            precision: "f32".into(),
            probabilities: vec![0.9, 0.1],
            outcome,
            class: None,
            refer,
            confidence: Some(0.9),
            margin: Some(0.8),
            reason_code: None,
            reason: Some("Image is blurred — clean the lens and retake".into()),
            headline: "Signs of diabetic retinopathy".into(),
            advice: "Refer to an eye doctor".into(),
            input_sha256: "ab".repeat(32),
            width: 10,
            height: 10,
            quality: Metrics::default(),
            timings_ms: Timings::default(),
        }
    }

    #[test]
    fn findings_show_refer_or_clear_with_confidence() {
        let v = result_view(&analysis(Outcome::Finding, true));
        assert_eq!(v.kind, ResultKind::Refer);
        assert_eq!(v.confidence, Some(0.9));
        assert!(
            v.trace.contains("f09cb805b3df") && v.trace.contains("CPU f32"),
            "{}",
            v.trace
        );
        assert_eq!(
            result_view(&analysis(Outcome::Finding, false)).kind,
            ResultKind::Clear
        );
    }

    #[test]
    fn rejected_shows_the_reason_and_no_confidence() {
        let v = result_view(&analysis(Outcome::Rejected, false));
        assert_eq!(v.kind, ResultKind::Retake);
        assert!(v.advice.contains("blurred"));
        assert_eq!(v.confidence, None);
    }

    #[test]
    fn third_unusable_picture_becomes_could_not_assess() {
        let mut at = Attempts::new(3);
        let bad = analysis(Outcome::Inconclusive, false);
        assert_eq!(at.record(&bad).kind, ResultKind::Retake);
        assert_eq!(at.current(), 2);
        assert_eq!(at.record(&bad).kind, ResultKind::Retake);
        let last = at.record(&bad);
        assert_eq!(last.kind, ResultKind::CouldNotAssess);
        assert!(last.headline.contains("refer"));
        at.reset();
        assert_eq!(at.current(), 1);
    }

    #[test]
    fn a_finding_after_retakes_is_shown_as_is() {
        let mut at = Attempts::new(3);
        at.record(&analysis(Outcome::Rejected, false));
        assert_eq!(
            at.record(&analysis(Outcome::Finding, false)).kind,
            ResultKind::Clear
        );
    }
}
