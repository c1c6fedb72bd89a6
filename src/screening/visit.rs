//! A visit as pure data and rules: the tools the nurse opened, every result
//! recorded, the parts she marked "cannot be screened", and what each part of
//! the visit stands at. [`Visit::decide`] gives the one referral decision.
//!
//! What a part is comes from the tool's manifest ([`Coverage`]): eye tools
//! screen the right and the left eye, one-image tools one picture, a CT study
//! at least one assessable slice. Only the latest result of an eye or a
//! one-image tool counts (a retake is replaced by what came after it); every
//! slice of a CT study counts. A part left on retake, not screened or marked
//! "cannot be screened" is never a silent pass: the visit then refers.

use super::decision::{self, VisitDecision};
use super::{Eye, Part, ResultKind};
use crate::catalog::{Catalog, Coverage};
use crate::i18n::Lang;
use serde::{Deserialize, Serialize};

/// One recorded result of the visit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Screened {
    pub tool: String,
    pub eye: Option<Eye>,
    pub kind: ResultKind,
    /// The finding or the reason, as it was shown.
    pub headline: String,
}

/// A part the nurse marked as impossible to screen, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannotScreen {
    pub tool: String,
    pub eye: Option<Eye>,
    pub reason: String,
}

/// Slice counts of a CT study.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SliceCounts {
    pub refer: usize,
    pub clear: usize,
    /// Slices recorded but not assessable (retake, could not assess).
    pub unusable: usize,
}

impl SliceCounts {
    pub fn assessable(&self) -> usize {
        self.refer + self.clear
    }

    pub fn total(&self) -> usize {
        self.assessable() + self.unusable
    }

    /// The study rule: any slice that refers refers; a clear answer needs
    /// at least half the slices assessable; otherwise not assessed.
    pub fn kind(&self) -> Option<ResultKind> {
        if self.total() == 0 {
            None
        } else if self.refer > 0 {
            Some(ResultKind::Refer)
        } else if self.clear > 0 && 2 * self.clear >= self.total() {
            Some(ResultKind::Clear)
        } else {
            Some(ResultKind::CouldNotAssess)
        }
    }
}

/// Where one part of the visit stands.
#[derive(Debug, Clone, PartialEq)]
pub enum PartState {
    /// A finding that refers.
    Refer { headline: String },
    /// A finding that needs no referral.
    Clear { headline: String },
    /// Pictures were taken but none could be assessed (retake, could not
    /// assess): `kind` says which was last.
    NotAssessed { kind: ResultKind, headline: String },
    /// Nothing recorded for it.
    NotScreened,
    /// The nurse marked it impossible to screen.
    CannotScreen { reason: String },
}

/// One part with its state (and, for a CT study, its slice counts).
#[derive(Debug, Clone, PartialEq)]
pub struct PartStatus {
    pub part: Part,
    pub state: PartState,
    pub slices: Option<SliceCounts>,
}

impl PartStatus {
    /// Left unfinished: not screened, or left on a retake.
    pub fn unfinished(&self) -> bool {
        matches!(
            self.state,
            PartState::NotScreened
                | PartState::NotAssessed {
                    kind: ResultKind::Retake,
                    ..
                }
        )
    }

    /// How the part reads as one result kind (not screened reads as could
    /// not assess: it refers).
    pub fn kind(&self) -> ResultKind {
        match &self.state {
            PartState::Refer { .. } => ResultKind::Refer,
            PartState::Clear { .. } => ResultKind::Clear,
            PartState::NotAssessed { kind, .. } => *kind,
            PartState::NotScreened | PartState::CannotScreen { .. } => ResultKind::CouldNotAssess,
        }
    }
}

/// The visit: the tools opened, in order, with their coverage; the results;
/// the parts marked "cannot be screened".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Visit {
    tools: Vec<(String, Coverage)>,
    results: Vec<Screened>,
    cannot: Vec<CannotScreen>,
}

impl Visit {
    pub fn new() -> Visit {
        Visit::default()
    }

    /// The nurse started screening with a tool: its parts now belong to the
    /// visit, screened or not.
    pub fn open_tool(&mut self, tool: &str, coverage: Coverage) {
        if !self.tools.iter().any(|(t, _)| t == tool) {
            self.tools.push((tool.to_string(), coverage));
        }
    }

    /// A visit rebuilt from what the register holds: its results in the order
    /// recorded, and the tools and "cannot be screened" marks its stored
    /// decision names.
    pub fn rebuild(
        catalog: &Catalog,
        results: impl IntoIterator<Item = Screened>,
        decision: Option<&VisitDecision>,
    ) -> Visit {
        let coverage = |tool: &str| catalog.coverage(tool);
        let mut v = Visit::new();
        for r in results {
            v.add(coverage(&r.tool), r);
        }
        for n in decision.map(|d| d.not_screened.as_slice()).unwrap_or(&[]) {
            match &n.reason {
                Some(reason) => v.mark_cannot_screen(
                    coverage(&n.tool),
                    CannotScreen {
                        tool: n.tool.clone(),
                        eye: n.eye,
                        reason: reason.clone(),
                    },
                ),
                None => v.open_tool(&n.tool, coverage(&n.tool)),
            }
        }
        v
    }

    /// A recorded result.
    pub fn add(&mut self, coverage: Coverage, r: Screened) {
        self.open_tool(&r.tool, coverage);
        self.results.push(r);
    }

    /// Marks a part "cannot be screened" (a later mark of the same part
    /// replaces the reason).
    pub fn mark_cannot_screen(&mut self, coverage: Coverage, c: CannotScreen) {
        self.open_tool(&c.tool, coverage);
        self.cannot
            .retain(|m| !(m.tool == c.tool && m.eye == c.eye));
        self.cannot.push(c);
    }

    /// The tools opened, in order.
    pub fn tools(&self) -> impl Iterator<Item = &str> {
        self.tools.iter().map(|(t, _)| t.as_str())
    }

    /// Every part of every tool opened, in order, with where it stands.
    pub fn parts(&self) -> Vec<PartStatus> {
        let mut out = Vec::new();
        for (tool, coverage) in &self.tools {
            match coverage {
                Coverage::BothEyes => {
                    for eye in Eye::BOTH {
                        out.push(self.single(tool, Some(eye)));
                    }
                }
                Coverage::OneImage => out.push(self.single(tool, None)),
                Coverage::CtStudy => out.push(self.study(tool)),
            }
        }
        out
    }

    fn mark(&self, tool: &str, eye: Option<Eye>) -> Option<&CannotScreen> {
        self.cannot.iter().find(|m| m.tool == tool && m.eye == eye)
    }

    /// An eye, or a one-image tool: its latest result counts.
    fn single(&self, tool: &str, eye: Option<Eye>) -> PartStatus {
        let latest = self
            .results
            .iter()
            .rev()
            .find(|r| r.tool == tool && r.eye == eye);
        let state = match (latest, self.mark(tool, eye)) {
            (Some(r), _) if r.kind == ResultKind::Refer => PartState::Refer {
                headline: r.headline.clone(),
            },
            (Some(r), _) if r.kind == ResultKind::Clear => PartState::Clear {
                headline: r.headline.clone(),
            },
            (_, Some(m)) => PartState::CannotScreen {
                reason: m.reason.clone(),
            },
            (Some(r), None) => PartState::NotAssessed {
                kind: r.kind,
                headline: r.headline.clone(),
            },
            (None, None) => PartState::NotScreened,
        };
        PartStatus {
            part: Part::new(tool, eye),
            state,
            slices: None,
        }
    }

    /// A CT study: every slice counts.
    fn study(&self, tool: &str) -> PartStatus {
        let slices: Vec<&Screened> = self.results.iter().filter(|r| r.tool == tool).collect();
        let mut counts = SliceCounts::default();
        for s in &slices {
            match s.kind {
                ResultKind::Refer => counts.refer += 1,
                ResultKind::Clear => counts.clear += 1,
                _ => counts.unusable += 1,
            }
        }
        let headline = |k: ResultKind| {
            slices
                .iter()
                .find(|s| s.kind == k)
                .map(|s| s.headline.clone())
                .unwrap_or_default()
        };
        let state = match (counts.kind(), self.mark(tool, None)) {
            (Some(ResultKind::Refer), _) => PartState::Refer {
                headline: super::words::study_headline(
                    &headline(ResultKind::Refer),
                    &counts,
                    Lang::En,
                ),
            },
            (Some(ResultKind::Clear), _) => PartState::Clear {
                headline: super::words::study_headline(
                    &headline(ResultKind::Clear),
                    &counts,
                    Lang::En,
                ),
            },
            (_, Some(m)) => PartState::CannotScreen {
                reason: m.reason.clone(),
            },
            (Some(kind), None) => PartState::NotAssessed {
                kind,
                headline: super::words::study_headline("", &counts, Lang::En),
            },
            (None, None) => PartState::NotScreened,
        };
        PartStatus {
            part: Part::new(tool, None),
            state,
            slices: Some(counts),
        }
    }

    /// The parts left unfinished (not screened, or on a retake), for the
    /// "finish anyway?" question.
    pub fn unfinished(&self) -> Vec<Part> {
        self.parts()
            .into_iter()
            .filter(PartStatus::unfinished)
            .map(|p| p.part)
            .collect()
    }

    /// The one referral decision across every part.
    pub fn decide(&self) -> VisitDecision {
        decision::decide(&self.parts())
    }

    /// The eye still to screen with this tool (right first), if any: one
    /// with no assessable or final result, and not marked.
    pub fn next_eye(&self, tool: &str) -> Option<Eye> {
        let done = |e: Eye| {
            self.mark(tool, Some(e)).is_some()
                || self
                    .results
                    .iter()
                    .any(|r| r.tool == tool && r.eye == Some(e) && r.kind != ResultKind::Retake)
        };
        Eye::BOTH.into_iter().find(|e| !done(*e))
    }

    /// Results recorded so far (latest per part; every CT slice once).
    pub fn result_count(&self) -> usize {
        self.parts()
            .iter()
            .filter(|p| {
                !matches!(
                    p.state,
                    PartState::NotScreened | PartState::CannotScreen { .. }
                )
            })
            .count()
    }
}
