//! The visit's one referral decision, as a code with its parts as data:
//! `refer` (a finding refers), `refer-incomplete` (something was not screened
//! or not assessed, and nothing refers) or `no-referral` (every part of every
//! tool opened was assessed and none refers). Nothing screened at all is
//! `refer-incomplete` with no parts. The words live in [`super::words`].

use super::visit::{PartState, PartStatus};
use super::{Eye, Part};
use serde::{Deserialize, Serialize};

/// The decision's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    Refer,
    ReferIncomplete,
    NoReferral,
}

impl Decision {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Decision::Refer => "refer",
            Decision::ReferIncomplete => "refer-incomplete",
            Decision::NoReferral => "no-referral",
        }
    }

    pub fn from_code(s: &str) -> Option<Decision> {
        match s {
            "refer" => Some(Decision::Refer),
            "refer-incomplete" => Some(Decision::ReferIncomplete),
            "no-referral" => Some(Decision::NoReferral),
            _ => None,
        }
    }

    pub fn refers(self) -> bool {
        self != Decision::NoReferral
    }
}

/// A part that was not screened; `reason` when the nurse marked it
/// "cannot be screened".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotScreened {
    pub tool: String,
    pub eye: Option<Eye>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The decision and the parts behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitDecision {
    pub decision: Decision,
    /// Parts whose finding refers.
    pub refer: Vec<Part>,
    /// Parts not screened (left out, or marked "cannot be screened").
    pub not_screened: Vec<NotScreened>,
    /// Parts screened but not assessable (retake, could not assess).
    pub not_assessed: Vec<Part>,
}

impl VisitDecision {
    /// Nothing at all was screened in the visit.
    pub fn nothing_screened(&self) -> bool {
        self.decision == Decision::ReferIncomplete
            && self.refer.is_empty()
            && self.not_screened.is_empty()
            && self.not_assessed.is_empty()
    }

    /// The parts as stored beside the code (JSON).
    pub fn parts_json(&self) -> String {
        #[derive(Serialize)]
        struct P<'a> {
            refer: &'a [Part],
            not_screened: &'a [NotScreened],
            not_assessed: &'a [Part],
        }
        serde_json::to_string(&P {
            refer: &self.refer,
            not_screened: &self.not_screened,
            not_assessed: &self.not_assessed,
        })
        .unwrap_or_else(|_| "{}".into())
    }

    /// The decision read back from its code and stored parts.
    pub fn from_stored(code: &str, parts: &str) -> Option<VisitDecision> {
        #[derive(Deserialize)]
        struct P {
            #[serde(default)]
            refer: Vec<Part>,
            #[serde(default)]
            not_screened: Vec<NotScreened>,
            #[serde(default)]
            not_assessed: Vec<Part>,
        }
        let decision = Decision::from_code(code)?;
        let p: P = serde_json::from_str(parts).ok()?;
        Some(VisitDecision {
            decision,
            refer: p.refer,
            not_screened: p.not_screened,
            not_assessed: p.not_assessed,
        })
    }
}

/// One decision across the parts of a visit.
pub fn decide(parts: &[PartStatus]) -> VisitDecision {
    let mut d = VisitDecision {
        decision: Decision::NoReferral,
        refer: Vec::new(),
        not_screened: Vec::new(),
        not_assessed: Vec::new(),
    };
    for p in parts {
        match &p.state {
            PartState::Refer { .. } => d.refer.push(p.part.clone()),
            PartState::Clear { .. } => {}
            PartState::NotAssessed { .. } => d.not_assessed.push(p.part.clone()),
            PartState::NotScreened => d.not_screened.push(NotScreened {
                tool: p.part.tool.clone(),
                eye: p.part.eye,
                reason: None,
            }),
            PartState::CannotScreen { reason } => d.not_screened.push(NotScreened {
                tool: p.part.tool.clone(),
                eye: p.part.eye,
                reason: Some(reason.clone()),
            }),
        }
    }
    d.decision = if !d.refer.is_empty() {
        Decision::Refer
    } else if parts.is_empty() || !d.not_screened.is_empty() || !d.not_assessed.is_empty() {
        Decision::ReferIncomplete
    } else {
        Decision::NoReferral
    };
    d
}
