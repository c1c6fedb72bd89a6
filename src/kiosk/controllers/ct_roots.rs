//! The CT import screen's sticks and folders: opening the screen on the
//! first of them, one chosen from the list, and the list following USB
//! sticks as they are put in and taken out while the screen is open.

use super::ct::{folder_name, page, Ct};
use crate::i18n::trf;
use crate::kiosk::app::Kiosk;
use crate::kiosk::ui::{Screen, SliceCard};
use slint::{ModelRc, SharedString, VecModel};
use std::path::PathBuf;

impl Ct {
    pub fn open_import(&self, k: &Kiosk, single: bool) {
        let roots = k.import_roots();
        {
            let mut st = self.state.borrow_mut();
            st.single = single;
            st.roots = roots.clone();
            st.folder = PathBuf::new();
        }
        let p = page(k);
        p.set_ct_single(single);
        p.set_ct_roots(root_names(&roots));
        k.show(Screen::CtImport);
        match roots.first() {
            Some(r) => self.open_folder(k, r),
            None => self.show_no_folder(k),
        }
    }

    /// The sticks changed while the import screen shows: the list follows
    /// them; a stick taken out takes its files off the screen (said), and a
    /// stick put in while nothing is open is opened.
    pub fn sticks_changed(&self, k: &Kiosk) {
        let roots = k.import_roots();
        let folder = {
            let mut st = self.state.borrow_mut();
            st.roots = roots.clone();
            st.folder.clone()
        };
        page(k).set_ct_roots(root_names(&roots));
        let open = !folder.as_os_str().is_empty();
        let gone = open && !roots.iter().any(|r| folder.starts_with(r));
        if gone {
            let name = folder_name(&folder);
            log::info!("import: {} was taken out", folder.display());
            self.show_no_folder(k);
            k.say_in(move |l| {
                trf(
                    l,
                    "The USB stick {} was taken out: its files are no longer listed.",
                    &[&name],
                )
            });
        }
        if !open || gone {
            if let Some(r) = roots.first() {
                self.open_folder(k, r);
            }
        }
    }

    /// No folder open: an empty list, and the screen says what to do.
    fn show_no_folder(&self, k: &Kiosk) {
        let p = page(k);
        p.set_ct_folder(SharedString::new());
        p.set_ct_slices(ModelRc::new(VecModel::from(Vec::<SliceCard>::new())));
        p.set_ct_candidate_count(0);
        p.set_ct_selected_count(0);
        {
            let mut st = self.state.borrow_mut();
            st.folder = PathBuf::new();
            st.entries.clear();
            st.candidates.clear();
            st.selected.clear();
            st.thumbs.clear();
            st.places.clear();
            st.series.clear();
        }
        self.refresh_series(k);
    }

    /// A stick or folder chosen by its place in the list.
    pub fn open_root(&self, k: &Kiosk, i: usize) {
        let root = self.state.borrow().roots.get(i).cloned();
        if let Some(r) = root {
            self.open_folder(k, &r);
        }
    }
}

/// The sticks and folders as the screen names them.
fn root_names(roots: &[PathBuf]) -> ModelRc<SharedString> {
    let names: Vec<SharedString> = roots
        .iter()
        .map(|p| crate::sticks::root_name(p).into())
        .collect();
    ModelRc::new(VecModel::from(names))
}
