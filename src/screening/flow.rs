//! The screening flow's rules, as pure functions: how an analysis reads on the
//! result screen, and the retake loop with an exit — after a set number of
//! unusable pictures the answer is "Could not assess — refer", never a guess.

use super::ResultKind;
use crate::analysis::{Analysis, Outcome};
use crate::i18n::{tr, trf, Lang};

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

    /// Records an analysis; says how it reads (see [`step_view`]). An
    /// unusable picture uses up an attempt; the last one turns into "could
    /// not assess".
    pub fn record(&mut self, a: &Analysis) -> Step {
        if result_kind(a) == ResultKind::Retake {
            self.used += 1;
            if self.used >= self.max {
                return Step::CouldNotAssess { max: self.max };
            }
        }
        Step::AsIs
    }

    /// Starts again (next patient or another tool).
    pub fn reset(&mut self) {
        self.used = 0;
    }
}

/// Where an analysis stands after the retake loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// It reads as it is.
    AsIs,
    /// The last of `max` unusable pictures: "could not assess — refer".
    CouldNotAssess { max: u32 },
}

/// How an analysis reads, before the retake loop.
fn result_kind(a: &Analysis) -> ResultKind {
    match a.outcome {
        Outcome::Finding if a.refer => ResultKind::Refer,
        Outcome::Finding => ResultKind::Clear,
        Outcome::Inconclusive | Outcome::Rejected => ResultKind::Retake,
    }
}

/// One analysis at `step` of the retake loop, as the result screen shows it
/// in `lang` (the register keeps the English: `Lang::En`).
pub fn step_view(a: &Analysis, step: Step, lang: Lang) -> ResultView {
    let trace = trace_line(a);
    if let Step::CouldNotAssess { max } = step {
        return ResultView {
            kind: ResultKind::CouldNotAssess,
            headline: tr(lang, "Could not assess — refer to a doctor"),
            advice: trf(
                lang,
                "{} pictures in a row were not good enough to assess. Refer the patient to a doctor.",
                &[&max.to_string()],
            ),
            confidence: None,
            trace,
        };
    }
    let retake = || tr(lang, "Image not good enough — retake");
    match a.outcome {
        Outcome::Finding => ResultView {
            kind: result_kind(a),
            headline: tr(lang, &a.headline),
            advice: tr(lang, &a.advice),
            confidence: a.confidence,
            trace,
        },
        Outcome::Inconclusive => ResultView {
            kind: ResultKind::Retake,
            headline: retake(),
            advice: tr(
                lang,
                "The screening is not clear enough on this picture. Retake it: follow the framing hint, hold steady.",
            ),
            confidence: None,
            trace,
        },
        Outcome::Rejected => ResultView {
            kind: ResultKind::Retake,
            headline: retake(),
            advice: match (&a.issue, &a.reason) {
                (Some(issue), _) => issue.reason_in(lang),
                (None, Some(reason)) => tr(lang, reason),
                (None, None) => tr(lang, "Retake the picture."),
            },
            confidence: None,
            trace,
        },
    }
}

/// One analysis as the result screen shows it, in English.
pub fn result_view(a: &Analysis) -> ResultView {
    step_view(a, Step::AsIs, Lang::En)
}

/// An error as the result screen shows it; the message is the error's own.
pub fn error_view(message: &str, lang: Lang) -> ResultView {
    ResultView {
        kind: ResultKind::Error,
        headline: tr(lang, "Could not analyse this picture"),
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
            issue: None,
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
        assert_eq!(at.record(&bad), Step::AsIs);
        assert_eq!(at.current(), 2);
        assert_eq!(at.record(&bad), Step::AsIs);
        let step = at.record(&bad);
        assert_eq!(step, Step::CouldNotAssess { max: 3 });
        let last = step_view(&bad, step, Lang::En);
        assert_eq!(last.kind, ResultKind::CouldNotAssess);
        assert!(last.headline.contains("refer"));
        assert!(last.advice.starts_with("3 pictures in a row"));
        // The same step in Hindi: translated, the count kept.
        let hi = step_view(&bad, step, Lang::Hi);
        assert_eq!(hi.kind, ResultKind::CouldNotAssess);
        assert_ne!(hi.headline, last.headline);
        assert!(hi.advice.contains('3'), "{}", hi.advice);
        at.reset();
        assert_eq!(at.current(), 1);
    }

    #[test]
    fn a_finding_after_retakes_is_shown_as_is() {
        let mut at = Attempts::new(3);
        at.record(&analysis(Outcome::Rejected, false));
        let ok = analysis(Outcome::Finding, false);
        assert_eq!(at.record(&ok), Step::AsIs);
        assert_eq!(step_view(&ok, Step::AsIs, Lang::En).kind, ResultKind::Clear);
    }
}
