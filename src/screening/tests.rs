//! The visit rules, combination by combination: each tool, each eye, retake,
//! could not assess, marked "cannot be screened", nothing screened at all.

use super::slip::{slip, SlipInfo};
use super::words::decision_line;
use super::*;
use crate::catalog::{Catalog, Coverage};
use crate::i18n::Lang;

const DR: &str = "diabetic-retinopathy";
const CAT: &str = "cataract";
const SKIN: &str = "skin-lesion";
const CT: &str = "covid-ct";

fn catalog() -> Catalog {
    Catalog::builtin().unwrap()
}

fn coverage(tool: &str) -> Coverage {
    catalog().tool(tool).unwrap().coverage
}

fn add(v: &mut Visit, tool: &str, eye: Option<Eye>, kind: ResultKind) {
    v.add(
        coverage(tool),
        Screened {
            tool: tool.into(),
            eye,
            kind,
            headline: format!("{tool} {kind:?}"),
        },
    );
}

fn part(tool: &str, eye: Option<Eye>) -> Part {
    Part::new(tool, eye)
}

fn not_screened(tool: &str, eye: Option<Eye>) -> NotScreened {
    NotScreened {
        tool: tool.into(),
        eye,
        reason: None,
    }
}

const R: Option<Eye> = Some(Eye::Right);
const L: Option<Eye> = Some(Eye::Left);

#[test]
fn one_eye_screened_refers_as_not_fully_screened_and_names_the_other_eye() {
    let mut v = Visit::new();
    add(&mut v, DR, R, ResultKind::Clear);
    let d = v.decide();
    assert_eq!(d.decision, Decision::ReferIncomplete);
    assert_eq!(d.not_screened, vec![not_screened(DR, L)]);
    assert!(d.refer.is_empty() && d.not_assessed.is_empty());
    assert_eq!(v.unfinished(), vec![part(DR, L)]);
    let line = decision_line(&catalog(), &d, Lang::En);
    assert!(line.starts_with("REFER — not fully screened"), "{line}");
    assert!(
        line.contains("Diabetic retinopathy, left eye not screened"),
        "{line}"
    );
}

#[test]
fn every_tool_needs_its_parts_before_no_referral() {
    let c = catalog();
    for t in c.tools() {
        let eyes: Vec<Option<Eye>> = match t.coverage {
            Coverage::BothEyes => vec![R, L],
            Coverage::OneImage | Coverage::CtStudy => vec![None],
        };
        // Opened, nothing recorded: every part not screened.
        let mut v = Visit::new();
        v.open_tool(&t.id, t.coverage);
        let d = v.decide();
        assert_eq!(d.decision, Decision::ReferIncomplete, "{}", t.id);
        assert_eq!(d.not_screened.len(), eyes.len(), "{}", t.id);
        // Each part alone is not enough; all of them clear is.
        for (i, eye) in eyes.iter().enumerate() {
            let mut v = Visit::new();
            add(&mut v, &t.id, *eye, ResultKind::Clear);
            let expected = if eyes.len() == 1 {
                Decision::NoReferral
            } else {
                Decision::ReferIncomplete
            };
            assert_eq!(v.decide().decision, expected, "{} part {i}", t.id);
        }
        let mut v = Visit::new();
        for eye in &eyes {
            add(&mut v, &t.id, *eye, ResultKind::Clear);
        }
        assert_eq!(v.decide().decision, Decision::NoReferral, "{}", t.id);
        // One refer among them refers, naming the part.
        add(&mut v, &t.id, eyes[0], ResultKind::Refer);
        let d = v.decide();
        assert_eq!(d.decision, Decision::Refer, "{}", t.id);
        assert_eq!(d.refer, vec![part(&t.id, eyes[0])]);
    }
}

#[test]
fn a_finding_refers_and_still_lists_what_was_missed() {
    let mut v = Visit::new();
    add(&mut v, DR, R, ResultKind::Refer);
    add(&mut v, SKIN, None, ResultKind::Retake);
    let d = v.decide();
    assert_eq!(d.decision, Decision::Refer);
    assert_eq!(d.refer, vec![part(DR, R)]);
    assert_eq!(d.not_screened, vec![not_screened(DR, L)]);
    assert_eq!(d.not_assessed, vec![part(SKIN, None)]);
    let line = decision_line(&catalog(), &d, Lang::En);
    assert!(
        line.starts_with("REFER to a doctor: Diabetic retinopathy, right eye"),
        "{line}"
    );
    assert!(line.contains("left eye not screened"), "{line}");
    assert!(line.contains("Skin lesion not assessed"), "{line}");
}

#[test]
fn a_retake_left_refers_and_a_later_result_replaces_it() {
    let mut v = Visit::new();
    add(&mut v, CAT, R, ResultKind::Clear);
    add(&mut v, CAT, L, ResultKind::Retake);
    let d = v.decide();
    assert_eq!(d.decision, Decision::ReferIncomplete);
    assert_eq!(d.not_assessed, vec![part(CAT, L)]);
    assert_eq!(v.unfinished(), vec![part(CAT, L)]);
    assert_eq!(v.next_eye(CAT), L);
    add(&mut v, CAT, L, ResultKind::Clear);
    assert_eq!(v.decide().decision, Decision::NoReferral);
    assert!(v.unfinished().is_empty());
    assert_eq!(v.next_eye(CAT), None);
}

#[test]
fn could_not_assess_is_final_but_refers() {
    let mut v = Visit::new();
    add(&mut v, CAT, R, ResultKind::Clear);
    add(&mut v, CAT, L, ResultKind::CouldNotAssess);
    let d = v.decide();
    assert_eq!(d.decision, Decision::ReferIncomplete);
    assert_eq!(d.not_assessed, vec![part(CAT, L)]);
    // Not asked again: the retake limit already gave the answer.
    assert!(v.unfinished().is_empty());
    assert_eq!(v.next_eye(CAT), None);
}

#[test]
fn marked_cannot_be_screened_is_recorded_with_its_reason_and_still_refers() {
    let mut v = Visit::new();
    add(&mut v, DR, R, ResultKind::Clear);
    v.mark_cannot_screen(
        coverage(DR),
        CannotScreen {
            tool: DR.into(),
            eye: L,
            reason: "Prosthetic or no eye".into(),
        },
    );
    let d = v.decide();
    assert_eq!(d.decision, Decision::ReferIncomplete);
    assert_eq!(
        d.not_screened,
        vec![NotScreened {
            tool: DR.into(),
            eye: L,
            reason: Some("Prosthetic or no eye".into()),
        }]
    );
    assert!(v.unfinished().is_empty());
    assert_eq!(v.next_eye(DR), None);
    let line = decision_line(&catalog(), &d, Lang::En);
    assert!(
        line.contains("left eye cannot be screened (prosthetic or no eye)"),
        "{line}"
    );
    // A refer finding on the other eye still refers as a finding.
    add(&mut v, DR, R, ResultKind::Refer);
    assert_eq!(v.decide().decision, Decision::Refer);
}

#[test]
fn nothing_screened_at_all_never_says_no_referral() {
    let v = Visit::new();
    let d = v.decide();
    assert_eq!(d.decision, Decision::ReferIncomplete);
    assert!(d.nothing_screened());
    assert_eq!(
        decision_line(&catalog(), &d, Lang::En),
        "REFER — nothing was screened in this visit"
    );
    let mut v = Visit::new();
    v.open_tool(SKIN, coverage(SKIN));
    let d = v.decide();
    assert!(!d.nothing_screened());
    assert_eq!(d.not_screened, vec![not_screened(SKIN, None)]);
}

#[test]
fn ct_study_counts_every_slice_and_needs_an_assessable_one() {
    let mut v = Visit::new();
    add(&mut v, CT, None, ResultKind::Retake);
    add(&mut v, CT, None, ResultKind::Retake);
    let d = v.decide();
    assert_eq!(d.decision, Decision::ReferIncomplete);
    assert_eq!(d.not_assessed, vec![part(CT, None)]);
    // One clear slice of three: less than half assessable, still not assessed.
    add(&mut v, CT, None, ResultKind::Clear);
    assert_eq!(v.decide().decision, Decision::ReferIncomplete);
    add(&mut v, CT, None, ResultKind::Clear);
    assert_eq!(v.decide().decision, Decision::NoReferral);
    let p = &v.parts()[0];
    assert_eq!(
        p.slices.map(|s| (s.clear, s.unusable, s.assessable())),
        Some((2, 2, 2))
    );
    assert!(
        words::state_words(p, Lang::En).contains("2 assessable slices"),
        "{}",
        words::state_words(p, Lang::En)
    );
    // One refer slice among them refers, however few.
    add(&mut v, CT, None, ResultKind::Refer);
    let d = v.decide();
    assert_eq!(d.decision, Decision::Refer);
    assert!(words::state_words(&v.parts()[0], Lang::En).contains("1 of 3 assessable slices"));
}

#[test]
fn several_tools_give_one_decision() {
    let mut v = Visit::new();
    for eye in [R, L] {
        add(&mut v, DR, eye, ResultKind::Clear);
        add(&mut v, CAT, eye, ResultKind::Clear);
    }
    assert_eq!(v.decide().decision, Decision::NoReferral);
    assert_eq!(v.parts().len(), 4);
    assert_eq!(v.tools().collect::<Vec<_>>(), vec![DR, CAT]);
    add(&mut v, CAT, L, ResultKind::Refer);
    let d = v.decide();
    assert_eq!(d.decision, Decision::Refer);
    assert_eq!(d.refer, vec![part(CAT, L)]);
}

#[test]
fn the_stored_decision_reads_back_whole() {
    let mut v = Visit::new();
    add(&mut v, DR, R, ResultKind::Refer);
    add(&mut v, SKIN, None, ResultKind::CouldNotAssess);
    v.mark_cannot_screen(
        coverage(DR),
        CannotScreen {
            tool: DR.into(),
            eye: L,
            reason: "Patient refused".into(),
        },
    );
    let d = v.decide();
    let back = VisitDecision::from_stored(d.decision.code(), &d.parts_json()).unwrap();
    assert_eq!(back, d);
    assert_eq!(VisitDecision::from_stored("REFER", &d.parts_json()), None);
    for code in [
        Decision::Refer,
        Decision::ReferIncomplete,
        Decision::NoReferral,
    ] {
        assert_eq!(Decision::from_code(code.code()), Some(code));
    }
}

#[test]
fn right_eye_first_then_left_then_none() {
    let mut v = Visit::new();
    assert_eq!(v.next_eye(CAT), R);
    add(&mut v, CAT, R, ResultKind::Retake);
    assert_eq!(v.next_eye(CAT), R);
    add(&mut v, CAT, R, ResultKind::Clear);
    assert_eq!(v.next_eye(CAT), L);
    assert_eq!(v.next_eye(DR), R);
    add(&mut v, CAT, L, ResultKind::Refer);
    assert_eq!(v.next_eye(CAT), None);
}

#[test]
fn the_slip_lists_every_part_screened_or_not_and_the_decision() {
    let c = catalog();
    let mut v = Visit::new();
    add(&mut v, DR, R, ResultKind::Clear);
    let parts = v.parts();
    let d = v.decide();
    let lines = slip(&SlipInfo {
        kiosk_id: "camp-01",
        when: "2026-11-27 09:30",
        patient_id: "PAT-0042",
        parts: &parts,
        decision: &d,
        catalog: &c,
        width: 42,
        lang: Lang::En,
    });
    let text: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    assert!(text.contains(&"Patient: PAT-0042"));
    assert!(text.contains(&"Kiosk: camp-01"));
    assert!(text.contains(&"Diabetic retinopathy, right eye:"));
    assert!(text.contains(&"Diabetic retinopathy, left eye:"));
    assert!(text.contains(&"  Not screened"));
    assert!(
        text.iter()
            .any(|t| t.starts_with("REFER — not fully screened")),
        "{text:?}"
    );
    assert!(!text.iter().any(|t| t.contains("No referral")));
    assert!(
        text.contains(&"-".repeat(42).as_str()),
        "rules span the width"
    );
    assert_eq!(text.last(), Some(&"Assistive screening, not a diagnosis."));
}
