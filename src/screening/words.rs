//! Every word the screening core gives a person, in the language asked for:
//! part labels, the visit decision, where a part stands, the "finish
//! anyway?" question, a CT study's headline. Codes go in, sentences come out
//! (English is the catalogue's source, kept by the register and exports).

use super::decision::{Decision, VisitDecision};
use super::visit::{PartState, PartStatus, SliceCounts};
use super::{Eye, Part, ResultKind};
use crate::catalog::Catalog;
use crate::i18n::{n_, tr, trf, trn, Lang};

/// The reasons offered for "cannot be screened" (the nurse picks one), for
/// an eye or for a whole tool. English: the register keeps the reason as
/// picked; [`tr`] words it on screen and on the slip.
pub fn cannot_screen_reasons(eye: bool) -> &'static [&'static str] {
    const EYE: [&str; 4] = [
        n_("Prosthetic or no eye"),
        n_("Eye injured or shut"),
        n_("Patient refused"),
        n_("Patient left"),
    ];
    const TOOL: [&str; 3] = [
        n_("Patient refused"),
        n_("Patient left"),
        n_("Not possible today"),
    ];
    if eye {
        &EYE
    } else {
        &TOOL
    }
}

/// The tool's name, or its ID when the catalogue lacks it.
pub fn tool_name(catalog: &Catalog, tool: &str, lang: Lang) -> String {
    catalog
        .tool(tool)
        .map(|t| tr(lang, &t.name))
        .unwrap_or_else(|_| tool.to_string())
}

/// "Diabetic retinopathy, right eye" / "Skin lesion".
pub fn part_label(catalog: &Catalog, part: &Part, lang: Lang) -> String {
    label(&tool_name(catalog, &part.tool, lang), part.eye, lang)
}

/// A tool name (already in `lang`) with its eye, if any.
pub fn label(name: &str, eye: Option<Eye>, lang: Lang) -> String {
    match eye {
        Some(Eye::Left) => trf(lang, "{}, left eye", &[name]),
        Some(Eye::Right) => trf(lang, "{}, right eye", &[name]),
        None => name.to_string(),
    }
}

/// "Left eye" / "Right eye".
pub fn eye_label(eye: Eye, lang: Lang) -> String {
    tr(lang, eye.label())
}

fn list(catalog: &Catalog, parts: &[Part], lang: Lang) -> String {
    parts
        .iter()
        .map(|p| part_label(catalog, p, lang))
        .collect::<Vec<_>>()
        .join("; ")
}

/// What was left out, in words: "Cataract, left eye cannot be screened
/// (patient refused); Skin lesion not assessed".
fn incomplete(catalog: &Catalog, d: &VisitDecision, lang: Lang) -> String {
    let mut items: Vec<String> = d
        .not_screened
        .iter()
        .map(|n| {
            let l = part_label(catalog, &Part::new(&n.tool, n.eye), lang);
            match &n.reason {
                Some(r) => trf(
                    lang,
                    "{} cannot be screened ({})",
                    &[&l, &lower_en(lang, &tr(lang, r))],
                ),
                None => trf(lang, "{} not screened", &[&l]),
            }
        })
        .collect();
    items.extend(
        d.not_assessed
            .iter()
            .map(|p| trf(lang, "{} not assessed", &[&part_label(catalog, p, lang)])),
    );
    items.join("; ")
}

/// English words in a sentence are lower-cased ("(patient refused)");
/// scripts without case are left as they are.
fn lower_en(lang: Lang, text: &str) -> String {
    match lang {
        Lang::En => text.to_lowercase(),
        _ => text.to_string(),
    }
}

/// The decision as one line, for the screen and the slip.
pub fn decision_line(catalog: &Catalog, d: &VisitDecision, lang: Lang) -> String {
    match d.decision {
        Decision::Refer => {
            let rest = incomplete(catalog, d, lang);
            let refer = list(catalog, &d.refer, lang);
            if rest.is_empty() {
                trf(lang, "REFER to a doctor: {}", &[&refer])
            } else {
                trf(lang, "REFER to a doctor: {}. Also: {}", &[&refer, &rest])
            }
        }
        Decision::ReferIncomplete if d.nothing_screened() => {
            tr(lang, "REFER — nothing was screened in this visit")
        }
        Decision::ReferIncomplete => trf(
            lang,
            "REFER — not fully screened: {}",
            &[&incomplete(catalog, d, lang)],
        ),
        Decision::NoReferral => tr(lang, "No referral needed from this screening"),
    }
}

/// A part's result in words, for the summary and the slip. CT studies'
/// headlines are worded again from their slice counts.
pub fn state_words(p: &PartStatus, lang: Lang) -> String {
    match &p.state {
        PartState::Refer { headline }
        | PartState::Clear { headline }
        | PartState::NotAssessed { headline, .. }
            if p.slices.is_some() =>
        {
            study_words(headline, p, lang)
        }
        PartState::Refer { headline } | PartState::Clear { headline } => tr(lang, headline),
        PartState::NotAssessed { kind, .. } => match kind {
            ResultKind::Retake => tr(lang, "Not assessed (picture not good enough)"),
            _ => tr(lang, "Could not assess"),
        },
        PartState::NotScreened => tr(lang, "Not screened"),
        PartState::CannotScreen { reason } => {
            trf(lang, "Cannot be screened: {}", &[&tr(lang, reason)])
        }
    }
}

/// A CT study's headline in `lang`: from its counts, with the finding's
/// words (the part of the English headline before " — ").
fn study_words(headline: &str, p: &PartStatus, lang: Lang) -> String {
    let Some(c) = &p.slices else {
        return tr(lang, headline);
    };
    let finding = headline.split(" — ").next().unwrap_or(headline);
    study_headline(&tr(lang, finding), c, lang)
}

/// The question before finishing with parts left: "Left eye not screened".
pub fn unfinished_line(catalog: &Catalog, p: &PartStatus, lang: Lang) -> String {
    let what = match p.part.eye {
        Some(e) => eye_label(e, lang),
        None => tool_name(catalog, &p.part.tool, lang),
    };
    match &p.state {
        PartState::NotAssessed { .. } => trf(lang, "{}: picture not good enough yet", &[&what]),
        _ => trf(lang, "{} not screened", &[&what]),
    }
}

/// "3 assessable slices", in `lang`.
pub fn assessable_slices(n: usize, lang: Lang) -> String {
    trn(
        lang,
        "{n} assessable slice",
        "{n} assessable slices",
        n as u64,
        &[],
    )
}

/// A CT study's headline from its slice counts and the finding's words
/// (already in `lang`).
pub fn study_headline(finding: &str, c: &SliceCounts, lang: Lang) -> String {
    let slices = |n: usize| assessable_slices(n, lang);
    match c.kind() {
        Some(ResultKind::Refer) => trf(
            lang,
            "{} — {} of {}",
            &[finding, &c.refer.to_string(), &slices(c.assessable())],
        ),
        Some(ResultKind::Clear) => trf(lang, "{} — {}", &[finding, &slices(c.assessable())]),
        _ if c.assessable() == 0 => trf(
            lang,
            "No slice could be assessed ({} unusable) — refer to a doctor",
            &[&c.unusable.to_string()],
        ),
        _ => trf(
            lang,
            "Only {} of {} slices could be assessed — refer to a doctor",
            &[&c.assessable().to_string(), &c.total().to_string()],
        ),
    }
}
