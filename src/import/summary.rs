//! One sentence for a CT study: the per-slice results of the COVID CT tool
//! summed up for the nurse.
//!
//! The verdict is the screening core's study rule
//! ([`crate::screening::visit::SliceCounts::kind`]), so the screen and the
//! visit decision never disagree: any slice that refers → **refer**; a clear
//! answer needs at least half the analysed slices assessable (the model was
//! clearly sure) → **no finding**; otherwise → **could not assess**.
//!
//! Analysed slices that are unusable (inconclusive, rejected) count in the
//! rule; files that could not be analysed at all (failed) or were refused
//! before analysis do not, but the sentence says how many files could not be
//! assessed. All the words are in [`words`]: the summary keeps the English
//! sentence (exports, the register), the screen asks for its own language
//! ([`StudySummary::sentence_in`]).

use crate::analysis::{Analysis, Outcome};
use crate::i18n::Lang;
use crate::screening::visit::SliceCounts;
use crate::screening::ResultKind;
use serde::Serialize;
use std::collections::BTreeMap;

/// The study's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StudyVerdict {
    /// At least one slice shows a finding that refers.
    Refer,
    /// Enough slices were decided and none refers.
    NoFinding,
    /// Too few slices could be assessed.
    CouldNotAssess,
    /// No slice was given.
    Empty,
}

/// Counts per outcome and the sentence for the nurse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StudySummary {
    pub verdict: StudyVerdict,
    /// Slices given.
    pub total: usize,
    /// Findings per class ID (every decided slice is counted once here).
    pub findings: BTreeMap<String, usize>,
    /// Slices whose finding refers.
    pub refer: usize,
    pub inconclusive: usize,
    pub rejected: usize,
    /// Slices that could not be analysed at all (an error).
    pub failed: usize,
    /// Files refused before analysis (not CT, wrong kind, unreadable).
    pub refused: usize,
    /// The sentence for the nurse, in English.
    pub sentence: String,
}

impl StudySummary {
    /// Slices that gave a finding.
    pub fn decided(&self) -> usize {
        self.findings.values().sum()
    }

    /// Slices that could not be assessed (inconclusive, rejected or failed).
    pub fn unusable(&self) -> usize {
        self.inconclusive + self.rejected + self.failed
    }

    /// Every file of the study that could not be assessed, refused ones too.
    pub fn not_assessable(&self) -> usize {
        self.unusable() + self.refused
    }

    /// The sentence in `lang`, as the summary screen shows it.
    pub fn sentence_in(&self, lang: Lang) -> String {
        words::sentence_in(self, lang)
    }

    /// The counts the study rule reads: analysed slices only.
    pub fn counts(&self) -> SliceCounts {
        SliceCounts {
            refer: self.refer,
            clear: self.decided() - self.refer,
            unusable: self.inconclusive + self.rejected,
        }
    }
}

/// Sums up per-slice results (`Err` = the slice could not be analysed; the
/// text is the reason, already shown on its card) and the number of files
/// refused before analysis.
pub fn summarise(slices: &[Result<Analysis, String>], refused: usize) -> StudySummary {
    let mut s = StudySummary {
        verdict: StudyVerdict::Empty,
        total: slices.len(),
        findings: BTreeMap::new(),
        refer: 0,
        inconclusive: 0,
        rejected: 0,
        failed: 0,
        refused,
        sentence: String::new(),
    };
    for slice in slices {
        match slice {
            Err(_) => s.failed += 1,
            Ok(a) => match a.outcome {
                Outcome::Inconclusive => s.inconclusive += 1,
                Outcome::Rejected => s.rejected += 1,
                Outcome::Finding => {
                    let class = a.class.clone().unwrap_or_default();
                    *s.findings.entry(class).or_default() += 1;
                    if a.refer {
                        s.refer += 1;
                    }
                }
            },
        }
    }
    s.verdict = match s.counts().kind() {
        None if s.total == 0 => StudyVerdict::Empty,
        Some(ResultKind::Refer) => StudyVerdict::Refer,
        Some(ResultKind::Clear) => StudyVerdict::NoFinding,
        _ => StudyVerdict::CouldNotAssess,
    };
    s.sentence = words::sentence(&s);
    s
}

/// Every word the summary uses, in any language (English for the summary
/// kept, as `screening::words` does).
pub mod words {
    use super::{StudySummary, StudyVerdict};
    use crate::i18n::{trf, trn, Lang};
    use crate::screening::words::assessable_slices;

    /// "; 4 files could not be assessed", or nothing.
    fn rest(s: &StudySummary, lang: Lang) -> String {
        match s.not_assessable() {
            0 => String::new(),
            n => {
                let files = trn(
                    lang,
                    "{n} file could not be assessed",
                    "{n} files could not be assessed",
                    n as u64,
                    &[],
                );
                format!("; {files}")
            }
        }
    }

    /// The sentence for a summary whose counts and verdict are set, in English.
    pub fn sentence(s: &StudySummary) -> String {
        sentence_in(s, Lang::En)
    }

    /// The same sentence in `lang`.
    pub fn sentence_in(s: &StudySummary, lang: Lang) -> String {
        let c = s.counts();
        let (rest, assessable) = (rest(s, lang), assessable_slices(c.assessable(), lang));
        match s.verdict {
            StudyVerdict::Empty => trf(
                lang,
                "No slices analysed — choose the slices to import{}",
                &[&rest],
            ),
            StudyVerdict::Refer => trf(
                lang,
                "COVID pattern on {} of {}{} — refer to a doctor",
                &[&s.refer.to_string(), &assessable, &rest],
            ),
            StudyVerdict::NoFinding => trf(
                lang,
                "No COVID pattern found on {}{}",
                &[&assessable, &rest],
            ),
            StudyVerdict::CouldNotAssess if c.assessable() == 0 => trf(
                lang,
                "Could not assess: no slice was clear enough{} — re-import clearer slices",
                &[&rest],
            ),
            StudyVerdict::CouldNotAssess => trf(
                lang,
                "Could not assess: only {} of {} analysed slices assessable{} — re-import \
                 clearer slices",
                &[&c.assessable().to_string(), &c.total().to_string(), &rest],
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn summary(verdict: StudyVerdict, refer: usize, clear: usize, unusable: usize) -> StudySummary {
        let mut s = StudySummary {
            verdict,
            total: refer + clear + unusable,
            findings: BTreeMap::from([("covid".to_string(), refer + clear)]),
            refer,
            inconclusive: unusable,
            rejected: 0,
            failed: 0,
            refused: 2,
            sentence: String::new(),
        };
        s.sentence = words::sentence(&s);
        s
    }

    #[test]
    fn the_screen_says_the_study_in_its_language_and_the_summary_keeps_english() {
        let studies = [
            summary(StudyVerdict::Refer, 3, 5, 1),
            summary(StudyVerdict::NoFinding, 0, 1, 0),
            summary(StudyVerdict::CouldNotAssess, 0, 0, 4),
            summary(StudyVerdict::CouldNotAssess, 0, 1, 4),
            summary(StudyVerdict::Empty, 0, 0, 0),
        ];
        assert_eq!(
            studies[0].sentence,
            "COVID pattern on 3 of 8 assessable slices; 3 files could not be assessed \
             — refer to a doctor"
        );
        for s in &studies {
            assert_eq!(s.sentence_in(Lang::En), s.sentence);
            for lang in [Lang::Hi, Lang::Bn, Lang::Ta] {
                let said = s.sentence_in(lang);
                assert_ne!(said, s.sentence, "{lang:?}");
                assert!(
                    !said.contains('{') && !said.contains("slice"),
                    "{lang:?}: {said}"
                );
                assert!(
                    said.contains(&s.not_assessable().to_string()),
                    "{lang:?}: {said}"
                );
            }
        }
    }
}
