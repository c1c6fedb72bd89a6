//! One sentence for a CT study: the per-slice results of the COVID CT tool
//! summed up for the nurse.
//!
//! The rule (screening errs towards referral, and never guesses):
//! 1. any slice with a finding that refers → **refer** (however few);
//! 2. otherwise, a clear answer needs at least half the slices to be decided
//!    (a finding, i.e. the model was clearly sure) → **no finding**, saying how
//!    many could not be assessed if any;
//! 3. otherwise → **could not assess**: re-import clearer slices.
//!
//! Unusable = inconclusive (the model was not sure), rejected (quality or kind
//! checks) or failed (the file could not be analysed). All the words are in
//! [`words`].

use crate::analysis::{Analysis, Outcome};
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
}

/// Sums up per-slice results (`Err` = the slice could not be analysed; the
/// text is the reason, already shown on its card).
pub fn summarise(slices: &[Result<Analysis, String>]) -> StudySummary {
    let mut s = StudySummary {
        verdict: StudyVerdict::Empty,
        total: slices.len(),
        findings: BTreeMap::new(),
        refer: 0,
        inconclusive: 0,
        rejected: 0,
        failed: 0,
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
    s.verdict = if s.total == 0 {
        StudyVerdict::Empty
    } else if s.refer > 0 {
        StudyVerdict::Refer
    } else if s.decided() > 0 && 2 * s.decided() >= s.total {
        StudyVerdict::NoFinding
    } else {
        StudyVerdict::CouldNotAssess
    };
    s.sentence = words::sentence(&s);
    s
}

/// Every word the summary uses.
pub mod words {
    use super::{StudySummary, StudyVerdict};

    fn slices(n: usize) -> String {
        if n == 1 {
            "1 slice".into()
        } else {
            format!("{n} slices")
        }
    }

    /// The sentence for a summary whose counts and verdict are set.
    pub fn sentence(s: &StudySummary) -> String {
        let (n, unusable) = (s.total, s.unusable());
        match s.verdict {
            StudyVerdict::Empty => "No slices analysed — choose the slices to import".into(),
            StudyVerdict::Refer => format!(
                "COVID pattern on {} of {} — refer to a doctor",
                s.refer,
                slices(n)
            ),
            StudyVerdict::NoFinding if unusable == 0 => {
                format!("No COVID pattern found on {}", slices(n))
            }
            StudyVerdict::NoFinding => format!(
                "No COVID pattern found on {} of {} ({unusable} could not be assessed)",
                s.decided(),
                slices(n)
            ),
            StudyVerdict::CouldNotAssess => format!(
                "Could not assess: {unusable} of {} unusable — re-import clearer slices",
                slices(n)
            ),
        }
    }
}
