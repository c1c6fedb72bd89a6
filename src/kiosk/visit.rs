//! A patient visit as pure rules: the results gathered so far, the one
//! referral decision across them, which eye comes next, and the visit slip.
//!
//! Only the latest result for each (tool, eye) counts: a retake is replaced
//! by what came after it. A tool left on "retake" counts as not assessed, and
//! "not assessed" always means "refer" — never a silent pass.

use super::flow::ViewKind;
use crate::records::Eye;
use crate::serial::PrintLine;

/// One result in the visit, as the screen showed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Capture {
    pub tool_id: String,
    pub tool_name: String,
    pub eye: Option<Eye>,
    pub kind: ViewKind,
    pub headline: String,
}

/// The visit's one referral decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Referral {
    /// A finding that means "refer".
    Refer,
    /// Something could not be assessed (and nothing else calls for referral).
    CouldNotAssess,
    /// Every screening gave a finding that needs no referral.
    NoReferral,
    /// Nothing was screened.
    Nothing,
}

/// The decision with the sentence the slip and the screen show.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub referral: Referral,
    pub line: String,
}

impl Referral {
    /// How the decision is shown (the same colours as a single result).
    pub fn view_kind(self) -> ViewKind {
        match self {
            Referral::Refer => ViewKind::Refer,
            Referral::CouldNotAssess | Referral::Nothing => ViewKind::CouldNotAssess,
            Referral::NoReferral => ViewKind::Clear,
        }
    }
}

/// "Diabetic retinopathy, right eye" / "Skin lesion".
pub fn label(c: &Capture) -> String {
    match c.eye {
        Some(e) => format!("{}, {}", c.tool_name, e.label().to_lowercase()),
        None => c.tool_name.clone(),
    }
}

/// The latest capture for each (tool, eye), in first-seen order.
pub fn latest(captures: &[Capture]) -> Vec<&Capture> {
    let mut out: Vec<&Capture> = Vec::new();
    for c in captures {
        match out
            .iter_mut()
            .find(|o| o.tool_id == c.tool_id && o.eye == c.eye)
        {
            Some(slot) => *slot = c,
            None => out.push(c),
        }
    }
    out
}

/// One decision across every tool and eye of the visit.
pub fn decide(captures: &[Capture]) -> Decision {
    let latest = latest(captures);
    let names = |pred: &dyn Fn(ViewKind) -> bool| -> Vec<String> {
        latest
            .iter()
            .filter(|c| pred(c.kind))
            .map(|c| label(c))
            .collect()
    };
    let refer = names(&|k| k == ViewKind::Refer);
    let unassessed = names(&|k| {
        matches!(
            k,
            ViewKind::Retake | ViewKind::CouldNotAssess | ViewKind::Error
        )
    });
    let (referral, line) = if latest.is_empty() {
        (Referral::Nothing, "Nothing was screened".to_string())
    } else if !refer.is_empty() {
        let mut line = format!("REFER to a doctor: {}", refer.join("; "));
        if !unassessed.is_empty() {
            line.push_str(&format!(". Not assessed: {}", unassessed.join("; ")));
        }
        (Referral::Refer, line)
    } else if !unassessed.is_empty() {
        (
            Referral::CouldNotAssess,
            format!(
                "REFER to a doctor — could not assess: {}",
                unassessed.join("; ")
            ),
        )
    } else {
        (
            Referral::NoReferral,
            "No referral needed from this screening".to_string(),
        )
    };
    Decision { referral, line }
}

/// The eye still to screen with this tool (right first), if any.
pub fn next_eye(captures: &[Capture], tool_id: &str) -> Option<Eye> {
    let done = |e: Eye| {
        captures
            .iter()
            .any(|c| c.tool_id == tool_id && c.eye == Some(e) && c.kind != ViewKind::Retake)
    };
    [Eye::Right, Eye::Left].into_iter().find(|e| !done(*e))
}

/// What the visit slip says.
#[derive(Debug, Clone, PartialEq)]
pub struct SlipInfo<'a> {
    pub kiosk_id: &'a str,
    /// Local date and time of the visit, as printed.
    pub when: &'a str,
    pub patient_id: &'a str,
    pub captures: &'a [Capture],
}

/// The slip's lines, for the printer and for the register's copy.
pub fn slip(info: &SlipInfo) -> Vec<PrintLine> {
    let line = |text: String| PrintLine {
        text,
        bold: false,
        double: false,
        center: false,
    };
    let rule = || line("-".repeat(32));
    let mut out = vec![
        PrintLine {
            text: "OneMed screening".into(),
            bold: true,
            double: true,
            center: true,
        },
        line(format!("Kiosk: {}", info.kiosk_id)),
        line(format!("Date: {}", info.when)),
        PrintLine {
            bold: true,
            ..line(format!("Patient: {}", info.patient_id))
        },
        rule(),
    ];
    for c in latest(info.captures) {
        out.push(PrintLine {
            bold: true,
            ..line(format!("{}:", label(c)))
        });
        out.push(line(format!("  {}", outcome_words(c))));
    }
    out.push(rule());
    out.push(PrintLine {
        bold: true,
        ..line(decide(info.captures).line)
    });
    out.push(rule());
    out.push(line("Assistive screening, not a diagnosis.".into()));
    out
}

/// A result in plain words for the slip.
fn outcome_words(c: &Capture) -> String {
    match c.kind {
        ViewKind::Refer | ViewKind::Clear => c.headline.clone(),
        ViewKind::Retake => "Not assessed (picture not good enough)".into(),
        ViewKind::CouldNotAssess => "Could not assess".into(),
        ViewKind::Error => "Not assessed (error)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cap(tool: &str, eye: Option<Eye>, kind: ViewKind) -> Capture {
        Capture {
            tool_id: tool.into(),
            tool_name: match tool {
                "diabetic-retinopathy" => "Diabetic retinopathy".into(),
                "cataract" => "Cataract".into(),
                t => t.into(),
            },
            eye,
            kind,
            headline: format!("{tool} {kind:?}"),
        }
    }

    #[test]
    fn any_refer_refers_and_names_what() {
        let c = [
            cap("diabetic-retinopathy", Some(Eye::Right), ViewKind::Clear),
            cap("diabetic-retinopathy", Some(Eye::Left), ViewKind::Refer),
            cap("cataract", Some(Eye::Right), ViewKind::Clear),
        ];
        let d = decide(&c);
        assert_eq!(d.referral, Referral::Refer);
        assert_eq!(d.line, "REFER to a doctor: Diabetic retinopathy, left eye");
    }

    #[test]
    fn all_clear_needs_no_referral_and_a_later_result_replaces_a_retake() {
        let c = [
            cap("cataract", Some(Eye::Right), ViewKind::Retake),
            cap("cataract", Some(Eye::Right), ViewKind::Clear),
            cap("cataract", Some(Eye::Left), ViewKind::Clear),
        ];
        assert_eq!(decide(&c).referral, Referral::NoReferral);
        assert_eq!(latest(&c).len(), 2);
    }

    #[test]
    fn a_tool_left_on_retake_or_not_assessed_refers() {
        let c = [
            cap("cataract", Some(Eye::Right), ViewKind::Clear),
            cap("cataract", Some(Eye::Left), ViewKind::Retake),
        ];
        let d = decide(&c);
        assert_eq!(d.referral, Referral::CouldNotAssess);
        assert!(d.line.contains("Cataract, left eye"), "{}", d.line);
        let c = [cap("skin-lesion", None, ViewKind::CouldNotAssess)];
        assert_eq!(decide(&c).referral, Referral::CouldNotAssess);
        assert_eq!(decide(&[]).referral, Referral::Nothing);
    }

    #[test]
    fn right_eye_first_then_left_then_none() {
        let mut c = vec![];
        assert_eq!(next_eye(&c, "cataract"), Some(Eye::Right));
        c.push(cap("cataract", Some(Eye::Right), ViewKind::Retake));
        assert_eq!(next_eye(&c, "cataract"), Some(Eye::Right));
        c.push(cap("cataract", Some(Eye::Right), ViewKind::Clear));
        assert_eq!(next_eye(&c, "cataract"), Some(Eye::Left));
        assert_eq!(next_eye(&c, "diabetic-retinopathy"), Some(Eye::Right));
        c.push(cap("cataract", Some(Eye::Left), ViewKind::Refer));
        assert_eq!(next_eye(&c, "cataract"), None);
    }

    #[test]
    fn slip_has_patient_each_result_the_referral_and_the_disclaimer() {
        let c = [
            cap("diabetic-retinopathy", Some(Eye::Right), ViewKind::Refer),
            cap("cataract", Some(Eye::Left), ViewKind::Clear),
        ];
        let lines = slip(&SlipInfo {
            kiosk_id: "camp-01",
            when: "2026-11-27 09:30",
            patient_id: "PAT-0042",
            captures: &c,
        });
        let text: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert!(text.contains(&"Patient: PAT-0042"));
        assert!(text.contains(&"Kiosk: camp-01"));
        assert!(text.contains(&"Diabetic retinopathy, right eye:"));
        assert!(text.contains(&"Cataract, left eye:"));
        assert!(text
            .iter()
            .any(|t| t.starts_with("REFER to a doctor: Diabetic retinopathy, right eye")));
        assert_eq!(text.last(), Some(&"Assistive screening, not a diagnosis."));
    }
}
