//! Every English word the screening core gives a person: part labels, the
//! visit decision, where a part stands, the "finish anyway?" question, a CT
//! study's headline. Codes go in, sentences come out; nothing reads a
//! sentence back.

use super::decision::{Decision, VisitDecision};
use super::visit::{PartState, PartStatus, SliceCounts};
use super::{Eye, Part, ResultKind};
use crate::catalog::Catalog;

/// The reasons offered for "cannot be screened" (the nurse picks one), for
/// an eye or for a whole tool.
pub fn cannot_screen_reasons(eye: bool) -> &'static [&'static str] {
    if eye {
        &[
            "Prosthetic or no eye",
            "Eye injured or shut",
            "Patient refused",
            "Patient left",
        ]
    } else {
        &["Patient refused", "Patient left", "Not possible today"]
    }
}

/// The tool's name on screen, or its ID when the catalogue lacks it.
pub fn tool_name(catalog: &Catalog, tool: &str) -> String {
    catalog
        .tool(tool)
        .map(|t| t.name.clone())
        .unwrap_or_else(|_| tool.to_string())
}

/// "Diabetic retinopathy, right eye" / "Skin lesion".
pub fn part_label(catalog: &Catalog, part: &Part) -> String {
    label(&tool_name(catalog, &part.tool), part.eye)
}

/// A tool name with its eye, if any.
pub fn label(name: &str, eye: Option<Eye>) -> String {
    match eye {
        Some(e) => format!("{name}, {}", e.label().to_lowercase()),
        None => name.to_string(),
    }
}

fn list(catalog: &Catalog, parts: &[Part]) -> String {
    parts
        .iter()
        .map(|p| part_label(catalog, p))
        .collect::<Vec<_>>()
        .join("; ")
}

/// What was left out, in words: "Cataract, left eye not screened (patient
/// refused); Skin lesion not assessed".
fn incomplete(catalog: &Catalog, d: &VisitDecision) -> String {
    let mut items: Vec<String> = d
        .not_screened
        .iter()
        .map(|n| {
            let l = part_label(catalog, &Part::new(&n.tool, n.eye));
            match &n.reason {
                Some(r) => format!("{l} cannot be screened ({})", r.to_lowercase()),
                None => format!("{l} not screened"),
            }
        })
        .collect();
    items.extend(
        d.not_assessed
            .iter()
            .map(|p| format!("{} not assessed", part_label(catalog, p))),
    );
    items.join("; ")
}

/// The decision as one line, for the screen and the slip.
pub fn decision_line(catalog: &Catalog, d: &VisitDecision) -> String {
    match d.decision {
        Decision::Refer => {
            let mut line = format!("REFER to a doctor: {}", list(catalog, &d.refer));
            let rest = incomplete(catalog, d);
            if !rest.is_empty() {
                line.push_str(&format!(". Also: {rest}"));
            }
            line
        }
        Decision::ReferIncomplete if d.nothing_screened() => {
            "REFER — nothing was screened in this visit".into()
        }
        Decision::ReferIncomplete => {
            format!("REFER — not fully screened: {}", incomplete(catalog, d))
        }
        Decision::NoReferral => "No referral needed from this screening".into(),
    }
}

/// A part's result in words, for the summary and the slip.
pub fn state_words(p: &PartStatus) -> String {
    match &p.state {
        PartState::Refer { headline } | PartState::Clear { headline } => headline.clone(),
        PartState::NotAssessed { kind, headline } => match (kind, p.slices) {
            (_, Some(_)) => headline.clone(),
            (ResultKind::Retake, None) => "Not assessed (picture not good enough)".into(),
            _ => "Could not assess".into(),
        },
        PartState::NotScreened => "Not screened".into(),
        PartState::CannotScreen { reason } => format!("Cannot be screened: {reason}"),
    }
}

/// The question before finishing with parts left: "Left eye not screened".
pub fn unfinished_line(catalog: &Catalog, p: &PartStatus) -> String {
    let what = match p.part.eye {
        Some(e) => e.label().to_string(),
        None => tool_name(catalog, &p.part.tool),
    };
    match &p.state {
        PartState::NotAssessed { .. } => format!("{what}: picture not good enough yet"),
        _ => format!("{what} not screened"),
    }
}

/// A CT study's headline from its slice counts and the finding's words.
pub fn study_headline(finding: &str, c: &SliceCounts) -> String {
    let slices = |n: usize| {
        if n == 1 {
            "1 assessable slice".to_string()
        } else {
            format!("{n} assessable slices")
        }
    };
    match c.kind() {
        Some(ResultKind::Refer) => {
            format!("{finding} — {} of {}", c.refer, slices(c.assessable()))
        }
        Some(ResultKind::Clear) => format!("{finding} — {}", slices(c.assessable())),
        _ if c.assessable() == 0 => format!(
            "No slice could be assessed ({} unusable) — refer to a doctor",
            c.unusable
        ),
        _ => format!(
            "Only {} of {} slices could be assessed — refer to a doctor",
            c.assessable(),
            c.total()
        ),
    }
}
