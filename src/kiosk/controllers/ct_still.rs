//! One imported picture for a camera tool (the import screen in its
//! single-picture mode): read and decoded off the UI thread, then reviewed
//! like a camera still; nothing is analysed until the nurse taps Analyse.

use super::ct::Ct;
use crate::decode::DecodeError;
use crate::frame::RgbFrame;
use crate::i18n::{tr, trf};
use crate::import;
use crate::kiosk::app::Kiosk;
use crate::kiosk::ui::Screen;
use std::path::PathBuf;
use std::sync::Arc;

/// An imported picture read and decoded for the Review screen.
pub struct ImportedStill {
    pub name: String,
    pub bytes: Vec<u8>,
    pub ext: String,
    pub frame: Arc<RgbFrame>,
}

impl Ct {
    /// One imported picture: read and decoded off the UI thread, then shown
    /// on the Review screen; nothing is analysed until the nurse taps Analyse.
    pub(super) fn import_for_review(&self, k: &Kiosk, path: PathBuf, name: String) {
        let limits = k.settings.borrow().limits();
        let ext = crate::records::file_ext(&path);
        let g = k.g();
        g.set_busy_text(tr(k.lang(), "Opening…").into());
        g.set_busy(true);
        let spawned = k.background(
            "import-still",
            move || {
                let read = crate::decode::read_file(&path)
                    .and_then(|b| crate::decode::decode(&b, &limits).map(|(_, f)| (b, f)));
                match read {
                    Ok((bytes, frame)) => Ok(ImportedStill {
                        name,
                        bytes,
                        ext,
                        frame: Arc::new(frame),
                    }),
                    Err(e) => Err((name, e)),
                }
            },
            |k, still| k.ct.on_import_still(k, still),
        );
        if let Err(e) = spawned {
            g.set_busy(false);
            let e = e.to_string();
            k.say_in(move |l| trf(l, "Cannot open the picture: {}", &[&e]));
        }
    }

    /// The imported picture is ready (or the file named could not be read):
    /// review it as if it were captured.
    pub fn on_import_still(&self, k: &Kiosk, still: Result<ImportedStill, (String, DecodeError)>) {
        let g = k.g();
        g.set_busy(false);
        if g.get_screen() != Screen::CtImport {
            return;
        }
        let s = match still {
            Ok(s) => s,
            Err((name, e)) => {
                return k.say_in(move |l| {
                    trf(
                        l,
                        "{} cannot be opened: {}",
                        &[&name, &import::unreadable(&e, l)],
                    )
                })
            }
        };
        k.capture.imported(k, s.frame, &s.name, (s.bytes, s.ext));
    }
}
