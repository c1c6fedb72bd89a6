//! The admin PIN pad: the lock is read, each attempt counted and checked,
//! and a new PIN hashed, all off the UI thread; a wrong-PIN lock outlives
//! restarts; a damaged or missing `admin.toml` on a used register locks
//! Admin until `onemed admin reset-pin`. Unlocked, the settings
//! (`admin_settings`) open. Its Slint global is `AdminPage`.

use super::on;
use super::{pad_key, PadKey};
use crate::admin::access::{self, NoPin, PinFile, Verdict};
use crate::admin::lock::{minutes_left, Standing};
use crate::admin::lockfile::LockFile;
use crate::admin::{pin, reset, AdminFile};
use crate::i18n::{n_, tr, trf, trn, Lang};
use crate::kiosk::app::Kiosk;
use crate::kiosk::register::Watch;
use crate::kiosk::ui::{AdminPage, Screen};
use slint::{ComponentHandle, SharedString};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

pub use super::admin_settings::Draft;

/// What a job off the UI thread found.
pub enum AdminMsg {
    /// The PIN file and the lock, read as the pad opens.
    Opened {
        file: PinFile,
        standing: Standing,
    },
    /// One PIN attempt's answer.
    Checked(Verdict),
    PinSet(Result<reset::Replaced, String>),
}

/// "Too many wrong PINs. Admin is locked for 14 more minutes."
fn locked_text(remaining: Duration, lang: Lang) -> String {
    trn(
        lang,
        "Too many wrong PINs. Admin is locked for {n} more minute.",
        "Too many wrong PINs. Admin is locked for {n} more minutes.",
        minutes_left(remaining),
        &[],
    )
}

/// What the pad says after a wrong PIN.
fn wrong_text(standing: Standing, lang: Lang) -> String {
    match standing {
        Standing::Locked { remaining } => {
            trf(lang, "Wrong PIN. {}", &[&locked_text(remaining, lang)])
        }
        Standing::Open { left } => trn(
            lang,
            "Wrong PIN. {n} wrong PIN left before a lock.",
            "Wrong PIN. {n} wrong PINs left before a lock.",
            u64::from(left),
            &[],
        ),
    }
}

const MUST_CHANGE: &str =
    n_("This PIN is too short: admin PINs now have at least 6 digits. Choose a new one first.");
const SHAPE: &str = n_("The PIN is 6 to 12 digits.");

/// How to recover a locked Admin, with the command to run (`{}`).
const RECOVER_DAMAGED: &str = n_(
    "The admin settings (admin.toml) are damaged, and this kiosk already holds records, so a \
     new PIN cannot be chosen here. Screening goes on with the site's settings. To recover, on \
     the kiosk's console run:\n\n{}\n\nIt keeps any damaged file and asks for a new PIN.",
);
const RECOVER_MISSING: &str = n_(
    "The admin settings (admin.toml) are missing, and this kiosk already holds records, so a \
     new PIN cannot be chosen here. Screening goes on with the site's settings. To recover, on \
     the kiosk's console run:\n\n{}\n\nIt keeps any damaged file and asks for a new PIN.",
);

/// How the PIN pad is being used.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PinMode {
    #[default]
    Enter,
    /// Setting a new PIN: first entry.
    NewFirst,
    /// Setting a new PIN: the same again.
    NewConfirm(String),
}

/// The pad and the settings being edited.
#[derive(Default)]
pub(super) struct AdminState {
    pub pin: String,
    pub mode: PinMode,
    pub unlocked: bool,
    /// The PIN's hash, as read when the pad opened.
    pub hash: Option<String>,
    /// A job off the UI thread (opening, a check, a save) is running: the
    /// pad takes no keys.
    pub busy: bool,
    /// The right PIN was shorter than 6 digits: a new one comes first.
    pub must_change: bool,
    /// When the wrong-PIN lock ends, as last learnt (the lock file decides).
    pub lock_ends: Option<Instant>,
    pub draft: Option<Draft>,
    /// The operator's name as typed on the keys.
    pub operator: String,
    pub purge_armed: bool,
    /// The sticks and folders offered for export, in the order shown.
    pub export_roots: Vec<std::path::PathBuf>,
}

/// The admin screens' controller.
#[derive(Default)]
pub struct Admin {
    pub(super) state: RefCell<AdminState>,
}

pub(super) fn page(k: &Kiosk) -> AdminPage<'_> {
    k.window().global::<AdminPage>()
}

fn admin_file(k: &Kiosk) -> AdminFile {
    AdminFile::in_dir(&k.settings.borrow().data_dir)
}

fn lock_file(k: &Kiosk) -> LockFile {
    LockFile::in_dir(&k.settings.borrow().data_dir)
}

impl Admin {
    /// Wires the `AdminPage` global's callbacks.
    pub fn wire(k: &Rc<Kiosk>) {
        let p = page(k);
        on!(k, p, on_open_admin, |k| k.admin.open(&k));
        on!(k, p, on_pin_key, |k, key| k.admin.pin_key(&k, &key));
        Self::wire_settings(k);
    }

    /// Whether the settings are open (Admin → Nurses needs it).
    pub fn unlocked(&self) -> bool {
        self.state.borrow().unlocked
    }

    /// Opens the PIN pad: what `admin.toml` and the lock say is read off the
    /// UI thread; the pad takes no keys until then.
    pub fn open(&self, k: &Kiosk) {
        {
            let mut st = self.state.borrow_mut();
            st.pin.clear();
            st.unlocked = false;
            st.must_change = false;
            st.hash = None;
            st.mode = PinMode::Enter;
        }
        self.set_checking(k, true);
        let p = page(k);
        p.set_blocked(SharedString::new());
        p.set_pin_prompt(tr(k.lang(), "Opening Admin…").into());
        p.set_pin_dots(SharedString::new());
        p.set_pin_error(SharedString::new());
        k.show(Screen::AdminPin);
        let (file, lock) = (admin_file(k), lock_file(k));
        self.off_ui(k, "admin-open", move || AdminMsg::Opened {
            file: PinFile::read(&file),
            standing: access::standing(&lock, chrono::Utc::now()),
        });
    }

    fn set_checking(&self, k: &Kiosk, busy: bool) {
        self.state.borrow_mut().busy = busy;
        page(k).set_checking(busy);
    }

    /// The pad's prompt and dots, and `error` (already in the screen's
    /// language) under them.
    pub(super) fn show_pin(&self, k: &Kiosk, error: &str) {
        let (st, lang) = (self.state.borrow(), k.lang());
        let p = page(k);
        let prompt = match st.mode {
            PinMode::Enter => tr(lang, "Enter the admin PIN"),
            PinMode::NewFirst => tr(lang, "Choose a new admin PIN"),
            PinMode::NewConfirm(_) => tr(lang, "Enter the new PIN again"),
        };
        p.set_pin_prompt(prompt.into());
        p.set_pin_dots("●".repeat(st.pin.len()).into());
        let error = if error.is_empty() && st.must_change {
            tr(lang, MUST_CHANGE)
        } else {
            error.to_string()
        };
        p.set_pin_error(error.into());
    }

    /// A note on the admin screen, in the screen's language; the log keeps
    /// its English.
    pub(super) fn note_in(&self, k: &Kiosk, words: impl Fn(Lang) -> String) {
        log::info!("admin: {}", words(Lang::En));
        page(k).set_admin_note(words(k.lang()).into());
    }

    /// The lock as last learnt, while it lasts.
    fn locked_for(&self) -> Option<Duration> {
        let ends = self.state.borrow().lock_ends?;
        ends.checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
    }

    fn learn(&self, standing: Standing) {
        self.state.borrow_mut().lock_ends = match standing {
            Standing::Locked { remaining } => Some(Instant::now() + remaining),
            Standing::Open { .. } => None,
        };
    }

    pub fn pin_key(&self, k: &Kiosk, key: &str) {
        if self.state.borrow().busy {
            return;
        }
        let (entering, lang) = (self.state.borrow().mode == PinMode::Enter, k.lang());
        if let (true, Some(left)) = (entering, self.locked_for()) {
            self.state.borrow_mut().pin.clear();
            return self.show_pin(k, &locked_text(left, lang));
        }
        let pressed = pad_key(&mut self.state.borrow_mut().pin, key);
        match pressed {
            PadKey::Changed => return self.show_pin(k, ""),
            PadKey::Ignored => return,
            PadKey::Submit => {}
        }
        let (entered, mode) = {
            let mut st = self.state.borrow_mut();
            (std::mem::take(&mut st.pin), st.mode.clone())
        };
        match mode {
            PinMode::Enter => {
                // An old 4–5 digit PIN may still be entered, to be changed at once.
                if !pin::enterable(&entered) {
                    return self.show_pin(k, &tr(lang, SHAPE));
                }
                let Some(hash) = self.state.borrow().hash.clone() else {
                    return;
                };
                self.set_checking(k, true);
                self.show_pin(k, &tr(lang, "Checking the PIN…"));
                let lock = lock_file(k);
                self.off_ui(k, "pin-check", move || {
                    AdminMsg::Checked(access::attempt(&lock, &hash, &entered, chrono::Utc::now))
                });
            }
            PinMode::NewFirst => {
                if !pin::valid(&entered) {
                    return self.show_pin(k, &tr(lang, SHAPE));
                }
                self.state.borrow_mut().mode = PinMode::NewConfirm(entered);
                self.show_pin(k, "");
            }
            PinMode::NewConfirm(first) => {
                if first != entered {
                    self.state.borrow_mut().mode = PinMode::NewFirst;
                    return self.show_pin(
                        k,
                        &tr(lang, "The two PINs differ. Choose the new PIN again."),
                    );
                }
                self.set_checking(k, true);
                self.show_pin(k, &tr(lang, "Saving…"));
                let file = admin_file(k);
                self.off_ui(k, "pin-set", move || {
                    let saved = pin::hash(&entered).and_then(|h| reset::replace_pin(&file, h));
                    AdminMsg::PinSet(saved.map_err(|e| e.to_string()))
                });
            }
        }
    }

    /// Runs a slow job (argon2, files) on its own thread; the answer comes
    /// back as a message.
    fn off_ui(&self, k: &Kiosk, name: &str, job: impl FnOnce() -> AdminMsg + Send + 'static) {
        if let Err(e) = k.background(name, job, |k, m| k.admin.on_msg(k, m)) {
            self.set_checking(k, false);
            let e = e.to_string();
            self.show_pin(k, &trf(k.lang(), "Cannot check the PIN: {}", &[&e]));
        }
    }

    pub fn on_msg(&self, k: &Kiosk, m: AdminMsg) {
        self.set_checking(k, false);
        let lang = k.lang();
        match m {
            AdminMsg::Opened { file, standing } => {
                self.learn(standing);
                match file {
                    PinFile::Set(hash) => {
                        self.state.borrow_mut().hash = Some(hash);
                        match standing {
                            Standing::Locked { remaining } => {
                                self.show_pin(k, &locked_text(remaining, lang))
                            }
                            Standing::Open { .. } => self.show_pin(k, ""),
                        }
                    }
                    // Only an empty register may choose a first PIN: ask the register.
                    file => {
                        self.set_checking(k, true);
                        k.register(
                            Watch::Search,
                            |s| s.is_empty(),
                            move |k, empty| k.admin.register_answer(k, file, empty),
                        );
                    }
                }
            }
            AdminMsg::Checked(verdict) => match verdict {
                Verdict::Right { must_change } => {
                    self.learn(Standing::Open { left: 0 });
                    log::info!("admin: the PIN was right");
                    if k.g().get_screen() != Screen::AdminPin {
                        return;
                    }
                    if must_change {
                        log::warn!("admin: the PIN is shorter than 6 digits and must be changed");
                        {
                            let mut st = self.state.borrow_mut();
                            st.must_change = true;
                            st.mode = PinMode::NewFirst;
                        }
                        return self.show_pin(k, "");
                    }
                    self.unlock(k);
                }
                Verdict::Wrong(standing) => {
                    self.learn(standing);
                    self.show_pin(k, &wrong_text(standing, lang));
                }
                Verdict::Locked(remaining) => {
                    self.learn(Standing::Locked { remaining });
                    self.show_pin(k, &locked_text(remaining, lang));
                }
                Verdict::NotCounted => self.show_pin(
                    k,
                    &tr(
                        lang,
                        "The PIN was not checked: this attempt could not be recorded on the \
                         kiosk's disk.",
                    ),
                ),
            },
            AdminMsg::PinSet(Ok(done)) => {
                log::info!("admin: a new PIN was set ({done:?})");
                {
                    let mut st = self.state.borrow_mut();
                    st.mode = PinMode::Enter;
                    st.must_change = false;
                }
                self.unlock(k);
                let kept = done.damaged_kept.map(|p| p.display().to_string());
                self.note_in(k, |l| match &kept {
                    None => tr(l, "The new admin PIN is saved."),
                    Some(p) => trf(
                        l,
                        "The new admin PIN is saved. The damaged settings file was kept as {}.",
                        &[p],
                    ),
                });
            }
            AdminMsg::PinSet(Err(e)) => {
                self.state.borrow_mut().mode = PinMode::NewFirst;
                self.show_pin(k, &trf(lang, "The PIN could not be saved: {}", &[&e]));
            }
        }
    }

    /// The register's answer for a pad with no usable PIN: choose the first
    /// PIN on an empty register, else Admin stays locked with the recovery.
    fn register_answer(&self, k: &Kiosk, file: PinFile, empty: Result<bool, String>) {
        self.set_checking(k, false);
        if let Err(e) = &empty {
            log::error!("admin: the register cannot say whether it is empty: {e}");
        }
        match access::without_pin(&file, empty) {
            None => {}
            Some(NoPin::ChooseFirst) => {
                self.state.borrow_mut().mode = PinMode::NewFirst;
                self.show_pin(
                    k,
                    &tr(
                        k.lang(),
                        "No admin PIN is set yet: choose one (6 to 12 digits).",
                    ),
                );
            }
            Some(NoPin::Locked { damaged }) => {
                let dir = k.settings.borrow().data_dir.clone();
                let (title, recovery) = if damaged {
                    (n_("Admin is locked: settings damaged"), RECOVER_DAMAGED)
                } else {
                    (n_("Admin is locked: settings missing"), RECOVER_MISSING)
                };
                log::error!(
                    "admin: {title} ({}); the kiosk has records, so no PIN can be chosen on screen",
                    AdminFile::in_dir(&dir).path().display()
                );
                // The command is typed as it is, in any language.
                let command = format!("sudo onemed admin reset-pin --data {}", dir.display());
                let lock = page(k);
                lock.set_blocked(tr(k.lang(), title).into());
                lock.set_recovery(trf(k.lang(), recovery, &[&command]).into());
            }
        }
    }
}
