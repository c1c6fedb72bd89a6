//! History's printed slip: the open visit's slip as printed (in the
//! patient's script when it was hers), how often, and the reprint, always
//! headed "COPY (reprint)": an English slip word for word, a slip in her
//! language made again from the visit's records in it. The register keeps
//! the English copy.

use super::{page, short_time, History};
use crate::i18n::{n_, tr, trn, Lang};
use crate::kiosk::app::Kiosk;
use crate::records::{StoredRecord, VisitDetail};
use crate::screening::slip::{slip, SlipInfo};
use crate::screening::Visit;
use crate::serial::PrintLine;

/// The heading every reprint carries (in the slip's language).
const COPY_HEADING: &str = n_("COPY (reprint)");

impl History {
    /// Reprints the open visit's slip, headed "COPY (reprint)". An English
    /// slip is the text printed before, word for word (an earlier copy's
    /// heading is not repeated); a slip in the patient's language, or one
    /// never printed, is made again from the visit's records and decision.
    /// The register keeps the English copy.
    pub(super) fn reprint(&self, k: &Kiosk) {
        let job = {
            let st = self.state.borrow();
            let Some(d) = st.detail.as_ref() else {
                return;
            };
            let lang = d.visit.language;
            let english = match &d.visit.printed_text {
                Some(text) => copy_lines(text),
                None => headed(visit_slip(k, d, Lang::En), Lang::En),
            };
            let lines = match lang {
                Lang::En => english.clone(),
                _ => headed(visit_slip(k, d, lang), lang),
            };
            (d.visit.id, lines, lang, english)
        };
        let (visit, lines, lang, english) = job;
        k.visit.print(k, visit, lines, lang, &english);
    }
}

/// A stored visit's slip, made again from its records and decision, in `lang`.
fn visit_slip(k: &Kiosk, d: &VisitDetail, lang: Lang) -> Vec<PrintLine> {
    let results = d.records.iter().map(StoredRecord::screened);
    let v = Visit::rebuild(&k.catalog, results, d.visit.decision.as_ref());
    let decision = v.decide();
    let when = short_time(&d.visit.started_local, true);
    slip(&SlipInfo {
        kiosk_id: &d.visit.kiosk_id,
        when: &when,
        patient_id: &d.visit.patient_id,
        parts: &v.parts(),
        decision: &decision,
        catalog: &k.catalog,
        width: k.slip_width() as usize,
        lang,
    })
}

/// The open visit's slip as last printed, and how often it was: a slip
/// in the patient's language shows in her script (the register's text is
/// its English copy).
pub(super) fn show_printed(k: &Kiosk, d: &VisitDetail) {
    let v = &d.visit;
    let text = match (&v.printed_text, v.language) {
        (None, _) => tr(k.lang(), "Not printed"),
        (Some(text), Lang::En) => text.clone(),
        (Some(_), lang) => visit_slip(k, d, lang)
            .iter()
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
    };
    let p = page(k);
    p.set_detail_slip(text.into());
    p.set_printed_note(printed_note(v.printed_count, k.lang()).into());
}

/// Slip lines headed "COPY (reprint)" in `lang`.
fn headed(lines: Vec<PrintLine>, lang: Lang) -> Vec<PrintLine> {
    let mut out = vec![PrintLine {
        text: tr(lang, COPY_HEADING),
        bold: true,
        double: false,
        center: true,
    }];
    out.extend(lines);
    out
}

/// A stored slip as printer lines, headed "COPY (reprint)" once (a copy of a
/// copy keeps one heading). Rows the slip centred (they start with spaces)
/// are centred again, so at the same width the text comes out the same.
fn copy_lines(text: &str) -> Vec<PrintLine> {
    headed(
        text.lines()
            .skip_while(|l| l.trim() == COPY_HEADING)
            .map(|l| PrintLine {
                text: l.trim().to_string(),
                bold: false,
                double: false,
                center: l.starts_with(' '),
            })
            .collect(),
        Lang::En,
    )
}

/// How often a visit's slip was printed, for the history screens.
pub(super) fn printed_note(count: u32, lang: Lang) -> String {
    match count {
        0 => tr(lang, "not printed"),
        n => trn(lang, "printed once", "printed {n} times", u64::from(n), &[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reprint_is_the_printed_text_headed_copy_once() {
        assert_eq!(copy_lines("a\nb").len(), 3);
        let original = vec![
            PrintLine {
                text: "OneMed screening".into(),
                bold: true,
                double: false,
                center: true,
            },
            PrintLine {
                text: "Patient: PAT-0042".into(),
                bold: true,
                double: false,
                center: false,
            },
        ];
        let printed = crate::serial::escpos::plain_text(&original, 32);
        let copy = crate::serial::escpos::plain_text(&copy_lines(&printed), 32);
        let heading = crate::serial::escpos::plain_text(&headed(vec![], Lang::En), 32);
        assert_eq!(
            copy,
            format!("{heading}{printed}"),
            "word for word, centred rows too"
        );
        let again = crate::serial::escpos::plain_text(&copy_lines(&copy), 32);
        assert_eq!(again, copy, "a copy of a copy has one heading");
        assert_eq!(again.matches(COPY_HEADING).count(), 1);
        assert_eq!(printed_note(1, Lang::En), "printed once");
        assert_eq!(printed_note(3, Lang::En), "printed 3 times");
    }
}
