//! The one place that includes the generated Slint code, plus adapters from
//! domain types to UI values (images, outcome kinds, tool cards).

#![allow(clippy::all)]
slint::include_modules!();

use crate::catalog::Manifest;
use crate::frame::RgbFrame;
use crate::i18n::{n_, tr, Lang};
use crate::screening::{Decision, ResultKind};
use slint::{Rgb8Pixel, SharedPixelBuffer};

/// Largest picture handed to the renderer (display only; the model sees the
/// full-resolution frame).
pub const DISPLAY_MAX: (usize, usize) = (1280, 720);

/// A display copy of a frame, shrunk by an integer step to fit `max`. Runs on
/// worker threads: the UI thread only wraps the buffer in an image.
pub fn display_buffer(frame: &RgbFrame, max: (usize, usize)) -> SharedPixelBuffer<Rgb8Pixel> {
    let (w, h) = (frame.width(), frame.height());
    let step = w
        .div_ceil(max.0.max(1))
        .max(h.div_ceil(max.1.max(1)))
        .max(1);
    let (ow, oh) = (w / step, h / step);
    let (ow, oh) = (ow.max(1), oh.max(1));
    let mut buf = SharedPixelBuffer::<Rgb8Pixel>::new(ow as u32, oh as u32);
    let data = frame.data();
    for (y, row) in buf.make_mut_slice().chunks_exact_mut(ow).enumerate() {
        let src = (y * step).min(h - 1) * w;
        for (x, px) in row.iter_mut().enumerate() {
            let i = (src + (x * step).min(w - 1)) * 3;
            *px = Rgb8Pixel {
                r: data[i],
                g: data[i + 1],
                b: data[i + 2],
            };
        }
    }
    buf
}

/// Shows `rows` in a list a global holds (`current`, set with `set`): when the
/// list keeps its length, only the rows that changed are replaced, with
/// `set_row_data` (the list keeps its scroll position and only those rows are
/// drawn again); a list of another length is replaced.
pub fn update_rows<T: Clone + PartialEq + 'static>(
    current: slint::ModelRc<T>,
    rows: Vec<T>,
    set: impl FnOnce(slint::ModelRc<T>),
) {
    use slint::Model;
    if let Some(model) = current.as_any().downcast_ref::<slint::VecModel<T>>() {
        if model.row_count() == rows.len() {
            for (i, row) in rows.into_iter().enumerate() {
                if model.row_data(i).as_ref() != Some(&row) {
                    model.set_row_data(i, row);
                }
            }
            return;
        }
    }
    set(slint::ModelRc::new(slint::VecModel::from(rows)));
}

pub fn image(buf: SharedPixelBuffer<Rgb8Pixel>) -> slint::Image {
    slint::Image::from_rgb8(buf)
}

pub fn outcome_kind(k: ResultKind) -> OutcomeKind {
    match k {
        ResultKind::Refer => OutcomeKind::Refer,
        ResultKind::Clear => OutcomeKind::Clear,
        ResultKind::Retake => OutcomeKind::Retake,
        ResultKind::CouldNotAssess => OutcomeKind::CouldNotAssess,
        ResultKind::Error => OutcomeKind::Error,
    }
}

/// How a visit decision is shown: both referrals red (the nurse refers
/// either way; the words say why), no referral green.
pub fn decision_kind(d: Decision) -> OutcomeKind {
    match d {
        Decision::Refer => OutcomeKind::Refer,
        Decision::ReferIncomplete => OutcomeKind::Refer,
        Decision::NoReferral => OutcomeKind::Clear,
    }
}

pub fn tool_card(m: &Manifest, unavailable: Option<&String>, ready: bool, lang: Lang) -> ToolCard {
    ToolCard {
        id: m.id.clone().into(),
        name: tr(lang, &m.name).into(),
        group: tr(lang, &m.group).into(),
        kind_label: tr(lang, m.image_kind.label()).into(),
        available: unavailable.is_none() && ready,
        note: unavailable
            .map(|r| tr(lang, &short_reason(r)))
            .unwrap_or_else(|| {
                if ready {
                    String::new()
                } else {
                    tr(lang, "getting ready")
                }
            })
            .into(),
    }
}

/// A reason short enough for a tool card.
pub(super) fn short_reason(r: &str) -> String {
    if r.contains("missing") {
        n_("model file missing").into()
    } else if r.contains("pinned hash") {
        n_("model file damaged or altered — reinstall").into()
    } else if r.contains("corrupt") || r.contains("cannot be read") {
        n_("model file damaged").into()
    } else {
        r.chars().take(60).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_copy_fits_and_keeps_colours() {
        let f = RgbFrame::new(3504, 2336, vec![7; 3504 * 2336 * 3]).unwrap();
        let b = display_buffer(&f, DISPLAY_MAX);
        assert!(
            b.width() <= 1280 && b.height() <= 720,
            "{}x{}",
            b.width(),
            b.height()
        );
        assert!(b
            .as_slice()
            .iter()
            .all(|p| p.r == 7 && p.g == 7 && p.b == 7));
        let small = RgbFrame::new(
            3,
            2,
            vec![
                1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
            ],
        )
        .unwrap();
        let b = display_buffer(&small, DISPLAY_MAX);
        assert_eq!((b.width(), b.height()), (3, 2));
        assert_eq!(
            b.as_slice()[4],
            Rgb8Pixel {
                r: 13,
                g: 14,
                b: 15
            }
        );
    }
}
