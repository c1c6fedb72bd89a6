//! The visit slip: the lines the receipt printer prints and the register
//! keeps, built from the visit's parts and its decision (every part of
//! every tool opened, screened or not).

use super::decision::VisitDecision;
use super::visit::PartStatus;
use super::words;
use crate::catalog::Catalog;
use crate::i18n::{tr, trf, Lang};

/// One line of a slip (the printer renders it; the register keeps its text).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrintLine {
    pub text: String,
    pub bold: bool,
    /// Double width and height (wraps at half the paper width).
    pub double: bool,
    pub center: bool,
}

impl PrintLine {
    /// A plain, left-aligned line.
    pub fn new(text: impl Into<String>) -> PrintLine {
        PrintLine {
            text: text.into(),
            ..PrintLine::default()
        }
    }

    /// The same line in bold.
    pub fn bold(mut self) -> PrintLine {
        self.bold = true;
        self
    }

    /// The same line at double size.
    pub fn double(mut self) -> PrintLine {
        self.double = true;
        self
    }

    /// The same line centred.
    pub fn center(mut self) -> PrintLine {
        self.center = true;
        self
    }
}

/// What the slip says.
pub struct SlipInfo<'a> {
    pub kiosk_id: &'a str,
    /// Local date and time of the visit, as printed.
    pub when: &'a str,
    pub patient_id: &'a str,
    pub parts: &'a [PartStatus],
    pub decision: &'a VisitDecision,
    pub catalog: &'a Catalog,
    /// The printer's characters per line (the rules span it).
    pub width: usize,
    /// The patient's language: the slip's words.
    pub lang: Lang,
}

/// The slip's lines, for the printer and for the register's copy.
pub fn slip(info: &SlipInfo) -> Vec<PrintLine> {
    let line = |text: String| PrintLine {
        text,
        bold: false,
        double: false,
        center: false,
    };
    let bold = |text: String| PrintLine {
        bold: true,
        ..line(text)
    };
    let rule = || line("-".repeat(info.width.max(1)));
    let lang = info.lang;
    let mut out = vec![
        PrintLine {
            text: tr(lang, "OneMed screening"),
            bold: true,
            double: true,
            center: true,
        },
        line(trf(lang, "Kiosk: {}", &[info.kiosk_id])),
        line(trf(lang, "Date: {}", &[info.when])),
        bold(trf(lang, "Patient: {}", &[info.patient_id])),
        rule(),
    ];
    for p in info.parts {
        out.push(bold(format!(
            "{}:",
            words::part_label(info.catalog, &p.part, lang)
        )));
        out.push(line(format!("  {}", words::state_words(p, lang))));
    }
    out.push(rule());
    out.push(bold(words::decision_line(
        info.catalog,
        info.decision,
        lang,
    )));
    out.push(rule());
    out.push(line(tr(lang, "Assistive screening, not a diagnosis.")));
    out
}
