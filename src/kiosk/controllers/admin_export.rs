//! Admin → export and purge: the sticks and folders an export can go to
//! (following sticks as they come and go), the export itself (the stick
//! writable only while it writes, "can be taken out" once it is read-only
//! again), and purge of exported records after a second tap.

use super::admin_pin::{page, Admin};
use crate::i18n::{tr, trf};
use crate::kiosk::app::Kiosk;
use crate::kiosk::register::Watch;
use slint::{ModelRc, SharedString, VecModel};
use std::path::Path;

impl Admin {
    /// The sticks and folders an export can go to, as they are now.
    pub fn sticks_changed(&self, k: &Kiosk) {
        let roots = k.import_roots();
        // The path too: the admin should know where the export goes.
        let names: Vec<SharedString> = roots
            .iter()
            .map(|p| match crate::sticks::stick_label(p) {
                Some(l) => format!("{l} ({})", p.display()).into(),
                None => p.display().to_string().into(),
            })
            .collect();
        self.state.borrow_mut().export_roots = roots;
        page(k).set_export_roots(ModelRc::new(VecModel::from(names)));
    }

    pub(super) fn export(&self, k: &Kiosk, dir: &Path) {
        let sealing = match crate::export::Sealing::from_settings(&k.settings.borrow()) {
            Ok(s) => s,
            Err(e) => {
                log::warn!("export refused: {e}");
                return self.note(k, e.to_string());
            }
        };
        let shown = dir.display().to_string();
        match sealing.recipients() {
            0 => self.note_in(k, |l| {
                trf(
                    l,
                    "Exporting to {} — NOT encrypted (plain_export is set)…",
                    &[&shown],
                )
            }),
            _ => self.note_in(k, |l| trf(l, "Exporting to {} (encrypted)…", &[&shown])),
        }
        let dir = dir.to_path_buf();
        let (command, bases) = {
            let s = k.settings.borrow();
            (s.usb_write_command.clone(), s.usb_mounts.clone())
        };
        let stick = crate::sticks::mount_of(&bases, &dir).is_some();
        k.register(
            Watch::Unwatched,
            move |s| {
                // Writable for this export only; read-only again (and so
                // flushed) before the note says it can be taken out.
                let writable = crate::sticks::Writable::open(&command, &bases, &dir)?;
                let done = crate::export::export(s, &dir, None, &sealing);
                drop(writable);
                done
            },
            move |k, done| match done {
                Ok(summary) if stick => k.admin.note_in(k, move |l| {
                    format!(
                        "{} {}",
                        summary.said_to("the USB stick"),
                        tr(l, "The USB stick can be taken out now.")
                    )
                }),
                Ok(summary) => k.admin.note(k, summary.to_string()),
                Err(e) => k
                    .admin
                    .note_in(k, |l| trf(l, "Export failed: {}", &[&e.to_string()])),
            },
        );
    }

    /// Purge asks for a second tap.
    pub(super) fn purge(&self, k: &Kiosk) {
        let armed = std::mem::replace(&mut self.state.borrow_mut().purge_armed, true);
        if !armed {
            return self.note_in(k, |l| tr(l, "Tap “Purge” again to delete every exported record and its picture from this kiosk."));
        }
        self.state.borrow_mut().purge_armed = false;
        k.register(
            Watch::Unwatched,
            |s| s.purge_exported(),
            |k, done| match done {
                Ok(summary) => k.admin.note(k, summary.to_string()),
                Err(e) => k
                    .admin
                    .note_in(k, |l| trf(l, "Purge failed: {}", &[&e.to_string()])),
            },
        );
    }
}
