//! USB sticks on the kiosk: the mount watcher's start, the sticks and
//! folders offered, and the open import or export screen following a stick
//! that comes or goes (the screens' own parts are in their controllers).

use super::app::Kiosk;
use super::ui::Screen;
use crate::settings::Settings;
use crate::sticks::MountWatch;
use std::path::PathBuf;

/// Starts watching the mount table; `post` is called on each change.
pub(super) fn watch(settings: &Settings, post: impl Fn(()) + Send + 'static) -> Option<MountWatch> {
    MountWatch::start(settings.usb_mounts.clone(), move |_| post(()))
        .inspect_err(|e| log::warn!("{e}: USB sticks show when a screen opens"))
        .ok()
}

impl Kiosk {
    /// The USB sticks and configured folders to offer, sticks first.
    pub(super) fn import_roots(&self) -> Vec<PathBuf> {
        crate::sticks::import_roots(&self.settings.borrow().usb_mounts, &self.import_paths)
    }

    /// A stick came or went: the open import or export screen follows.
    pub(super) fn on_sticks(&self) {
        match self.g().get_screen() {
            Screen::CtImport => self.ct.sticks_changed(self),
            Screen::Admin => self.admin.sticks_changed(self),
            _ => {}
        }
    }
}
