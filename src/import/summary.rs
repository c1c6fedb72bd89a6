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
//! assessed. All the words are in [`words`].

use crate::analysis::{Analysis, Outcome};
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
    /// The sentence the summary screen shows.
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

/// Every word the summary uses.
pub mod words {
    use super::{StudySummary, StudyVerdict};

    fn slices(n: usize) -> String {
        if n == 1 {
            "1 assessable slice".into()
        } else {
            format!("{n} assessable slices")
        }
    }

    /// "; 4 files could not be assessed", or nothing.
    fn rest(s: &StudySummary) -> String {
        match s.not_assessable() {
            0 => String::new(),
            1 => "; 1 file could not be assessed".into(),
            n => format!("; {n} files could not be assessed"),
        }
    }

    /// The sentence for a summary whose counts and verdict are set.
    pub fn sentence(s: &StudySummary) -> String {
        let c = s.counts();
        match s.verdict {
            StudyVerdict::Empty => format!(
                "No slices analysed — choose the slices to import{}",
                rest(s)
            ),
            StudyVerdict::Refer => format!(
                "COVID pattern on {} of {}{} — refer to a doctor",
                s.refer,
                slices(c.assessable()),
                rest(s)
            ),
            StudyVerdict::NoFinding => {
                format!("No COVID pattern found on {}{}", slices(c.assessable()), rest(s))
            }
            StudyVerdict::CouldNotAssess if c.assessable() == 0 => format!(
                "Could not assess: no slice was clear enough{} — re-import clearer slices",
                rest(s)
            ),
            StudyVerdict::CouldNotAssess => format!(
                "Could not assess: only {} of {} analysed slices assessable{} — re-import clearer slices",
                c.assessable(),
                c.total(),
                rest(s)
            ),
        }
    }
}
