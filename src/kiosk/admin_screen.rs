//! The admin screens on the kiosk: the PIN pad (the lock is read, each
//! attempt counted and checked, and a new PIN hashed, all off the UI thread;
//! a wrong-PIN lock outlives restarts; a damaged or missing `admin.toml` on
//! a used register locks Admin until `onemed admin reset-pin`), then device,
//! camera, operator, serial ports and gate margins, saved to `admin.toml` and
//! applied by restarting only the workers whose settings changed; export and
//! purge. The pad's lock state is the `AdminLock` global.

use super::app::{Kiosk, Msg};
use super::pin_check::{pad_key, PadKey};
use super::state::{Draft, PinMode, StoreReq};
use super::ui::{AdminLock, MarginRow, Screen};
use crate::admin::access::{self, NoPin, PinFile, Verdict};
use crate::admin::lock::{minutes_left, Standing};
use crate::admin::lockfile::LockFile;
use crate::admin::{self, pin, reset, AdminFile, Overrides};
use crate::engine::Device;
use crate::settings::{PortSettings, PrinterSettings, SerialSettings, TriggerSettings};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const DEVICES: [Device; 3] = [Device::Cpu, Device::Gpu, Device::Auto];

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
fn locked_text(remaining: Duration) -> String {
    format!(
        "Too many wrong PINs. Admin is locked for {}.",
        minutes_left(remaining)
    )
}

/// What the pad says after a wrong PIN.
fn wrong_text(standing: Standing) -> String {
    match standing {
        Standing::Locked { remaining } => format!("Wrong PIN. {}", locked_text(remaining)),
        Standing::Open { left: 1 } => "Wrong PIN. 1 wrong PIN left before a lock.".into(),
        Standing::Open { left } => format!("Wrong PIN. {left} wrong PINs left before a lock."),
    }
}

const MUST_CHANGE: &str =
    "This PIN is too short: admin PINs now have at least 6 digits. Choose a new one first.";
const SHAPE: &str = "The PIN is 6 to 12 digits.";

impl Kiosk {
    fn admin_file(&self) -> AdminFile {
        AdminFile::in_dir(&self.settings.borrow().data_dir)
    }

    fn lock_file(&self) -> LockFile {
        LockFile::in_dir(&self.settings.borrow().data_dir)
    }

    fn admin_lock(&self) -> AdminLock<'_> {
        self.window.global::<AdminLock>()
    }

    /// Opens the PIN pad: what `admin.toml` and the lock say is read off the
    /// UI thread; the pad takes no keys until then.
    pub(super) fn open_admin(&self) {
        {
            let mut st = self.state.borrow_mut();
            st.admin.pin.clear();
            st.admin.unlocked = false;
            st.admin.must_change = false;
            st.admin.hash = None;
            st.admin.mode = PinMode::Enter;
        }
        self.set_checking(true);
        self.admin_lock().set_blocked(SharedString::new());
        let g = self.g();
        g.set_pin_prompt("Opening Admin…".into());
        g.set_pin_dots(SharedString::new());
        g.set_pin_error(SharedString::new());
        g.set_screen(Screen::AdminPin);
        let (file, lock) = (self.admin_file(), self.lock_file());
        self.off_ui("admin-open", move || AdminMsg::Opened {
            file: PinFile::read(&file),
            standing: access::standing(&lock, chrono::Utc::now()),
        });
    }

    fn set_checking(&self, busy: bool) {
        self.state.borrow_mut().admin.busy = busy;
        self.admin_lock().set_checking(busy);
    }

    fn show_pin(&self, error: &str) {
        let st = self.state.borrow();
        let g = self.g();
        g.set_pin_prompt(
            match st.admin.mode {
                PinMode::Enter => "Enter the admin PIN",
                PinMode::NewFirst => "Choose a new admin PIN",
                PinMode::NewConfirm(_) => "Enter the new PIN again",
            }
            .into(),
        );
        g.set_pin_dots("●".repeat(st.admin.pin.len()).into());
        let error = if error.is_empty() && st.admin.must_change {
            MUST_CHANGE
        } else {
            error
        };
        g.set_pin_error(error.into());
    }

    /// The lock as last learnt, while it lasts.
    fn locked_for(&self) -> Option<Duration> {
        let ends = self.state.borrow().admin.lock_ends?;
        ends.checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
    }

    fn learn(&self, standing: Standing) {
        self.state.borrow_mut().admin.lock_ends = match standing {
            Standing::Locked { remaining } => Some(Instant::now() + remaining),
            Standing::Open { .. } => None,
        };
    }

    pub(super) fn pin_key(&self, key: &str) {
        if self.state.borrow().admin.busy {
            return;
        }
        let entering = self.state.borrow().admin.mode == PinMode::Enter;
        if let (true, Some(left)) = (entering, self.locked_for()) {
            self.state.borrow_mut().admin.pin.clear();
            return self.show_pin(&locked_text(left));
        }
        let pressed = pad_key(&mut self.state.borrow_mut().admin.pin, key);
        match pressed {
            PadKey::Changed => return self.show_pin(""),
            PadKey::Ignored => return,
            PadKey::Submit => {}
        }
        let (entered, mode) = {
            let mut st = self.state.borrow_mut();
            (std::mem::take(&mut st.admin.pin), st.admin.mode.clone())
        };
        match mode {
            PinMode::Enter => {
                // An old 4–5 digit PIN may still be entered, to be changed at once.
                if !pin::enterable(&entered) {
                    return self.show_pin(SHAPE);
                }
                let Some(hash) = self.state.borrow().admin.hash.clone() else {
                    return;
                };
                self.set_checking(true);
                self.show_pin("Checking the PIN…");
                let lock = self.lock_file();
                self.off_ui("pin-check", move || {
                    AdminMsg::Checked(access::attempt(&lock, &hash, &entered, chrono::Utc::now))
                });
            }
            PinMode::NewFirst => {
                if !pin::valid(&entered) {
                    return self.show_pin(SHAPE);
                }
                self.state.borrow_mut().admin.mode = PinMode::NewConfirm(entered);
                self.show_pin("");
            }
            PinMode::NewConfirm(first) => {
                if first != entered {
                    self.state.borrow_mut().admin.mode = PinMode::NewFirst;
                    return self.show_pin("The two PINs differ. Choose the new PIN again.");
                }
                self.set_checking(true);
                self.show_pin("Saving…");
                let file = self.admin_file();
                self.off_ui("pin-set", move || {
                    let saved = pin::hash(&entered).and_then(|h| reset::replace_pin(&file, h));
                    AdminMsg::PinSet(saved.map_err(|e| e.to_string()))
                });
            }
        }
    }

    /// Runs a slow job (argon2, files) on its own thread; the answer comes
    /// back as a message.
    fn off_ui(&self, name: &str, job: impl FnOnce() -> AdminMsg + Send + 'static) {
        let (tx, waker) = (self.tx.clone(), self.waker.clone());
        let spawned = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let _ = tx.send(Msg::Admin(job()));
                waker();
            });
        if let Err(e) = spawned {
            self.set_checking(false);
            self.show_pin(&format!("Cannot check the PIN: {e}"));
        }
    }

    pub(super) fn on_admin(&self, m: AdminMsg) {
        self.set_checking(false);
        match m {
            AdminMsg::Opened { file, standing } => {
                self.learn(standing);
                match file {
                    PinFile::Set(hash) => {
                        self.state.borrow_mut().admin.hash = Some(hash);
                        match standing {
                            Standing::Locked { remaining } => self.show_pin(&locked_text(remaining)),
                            Standing::Open { .. } => self.show_pin(""),
                        }
                    }
                    // Only an empty register may choose a first PIN: ask the register.
                    file => {
                        self.set_checking(true);
                        self.store_job(StoreReq::AdminRegister(file), |req| {
                            crate::workers::store::Job::IsEmpty { req }
                        });
                    }
                }
            }
            AdminMsg::Checked(verdict) => match verdict {
                Verdict::Right { must_change } => {
                    self.learn(Standing::Open { left: 0 });
                    log::info!("admin: the PIN was right");
                    if self.g().get_screen() != Screen::AdminPin {
                        return;
                    }
                    if must_change {
                        log::warn!("admin: the PIN is shorter than 6 digits and must be changed");
                        {
                            let mut st = self.state.borrow_mut();
                            st.admin.must_change = true;
                            st.admin.mode = PinMode::NewFirst;
                        }
                        return self.show_pin("");
                    }
                    self.unlock_admin();
                }
                Verdict::Wrong(standing) => {
                    self.learn(standing);
                    self.show_pin(&wrong_text(standing));
                }
                Verdict::Locked(remaining) => {
                    self.learn(Standing::Locked { remaining });
                    self.show_pin(&locked_text(remaining));
                }
                Verdict::NotCounted => self.show_pin(
                    "The PIN was not checked: this attempt could not be recorded on the kiosk's disk.",
                ),
            },
            AdminMsg::PinSet(Ok(done)) => {
                log::info!("admin: a new PIN was set ({done:?})");
                {
                    let mut st = self.state.borrow_mut();
                    st.admin.mode = PinMode::Enter;
                    st.admin.must_change = false;
                }
                self.unlock_admin();
                let kept = done
                    .damaged_kept
                    .map(|p| format!(" The damaged settings file was kept as {}.", p.display()))
                    .unwrap_or_default();
                self.admin_note(format!("The new admin PIN is saved.{kept}"));
            }
            AdminMsg::PinSet(Err(e)) => {
                self.state.borrow_mut().admin.mode = PinMode::NewFirst;
                self.show_pin(&format!("The PIN could not be saved: {e}"));
            }
        }
    }

    /// The register's answer for a pad with no usable PIN: choose the first
    /// PIN on an empty register, else Admin stays locked with the recovery.
    pub(super) fn admin_register_answer(&self, file: PinFile, empty: Result<bool, String>) {
        self.set_checking(false);
        if let Err(e) = &empty {
            log::error!("admin: the register cannot say whether it is empty: {e}");
        }
        match access::without_pin(&file, empty) {
            None => {}
            Some(NoPin::ChooseFirst) => {
                self.state.borrow_mut().admin.mode = PinMode::NewFirst;
                self.show_pin("No admin PIN is set yet: choose one (6 to 12 digits).");
            }
            Some(NoPin::Locked { damaged }) => {
                let dir = self.settings.borrow().data_dir.clone();
                let (title, what) = if damaged {
                    ("Admin is locked: settings damaged", "are damaged")
                } else {
                    ("Admin is locked: settings missing", "are missing")
                };
                log::error!(
                    "admin: {title} ({}); the kiosk has records, so no PIN can be chosen on screen",
                    AdminFile::in_dir(&dir).path().display()
                );
                let lock = self.admin_lock();
                lock.set_blocked(title.into());
                lock.set_recovery(
                    format!(
                        "The admin settings (admin.toml) {what}, and this kiosk already holds \
                         records, so a new PIN cannot be chosen here. Screening goes on with the \
                         site's settings. To recover, on the kiosk's console run:\n\n\
                         sudo onemed admin reset-pin --data {}\n\n\
                         It keeps any damaged file and asks for a new PIN.",
                        dir.display()
                    )
                    .into(),
                );
            }
        }
    }

    fn unlock_admin(&self) {
        self.show_pin("");
        let draft = {
            let s = self.settings.borrow();
            let st = self.state.borrow();
            Draft {
                device: s.device,
                camera: s.camera.clone(),
                operator: s.operator.clone(),
                serial: s.serial.clone(),
                margins: st
                    .catalog
                    .tools()
                    .iter()
                    .map(|t| {
                        let m = s.gate_margin.get(&t.id).copied().unwrap_or(t.gate.margin);
                        (t.id.clone(), t.name.clone(), m)
                    })
                    .collect(),
            }
        };
        {
            let mut st = self.state.borrow_mut();
            st.admin.unlocked = true;
            st.admin.purge_armed = false;
            st.entry.operator = draft.operator.clone();
            st.admin.draft = Some(draft);
        }
        let roots: Vec<SharedString> =
            crate::import::import_roots(&self.state.borrow().import_paths)
                .iter()
                .map(|p| p.display().to_string().into())
                .collect();
        let g = self.g();
        g.set_export_roots(ModelRc::new(VecModel::from(roots)));
        let exports = match crate::export::Sealing::from_settings(&self.settings.borrow()) {
            Ok(s) if s.recipients() > 0 => "Exports are encrypted to the programme's key",
            Ok(_) => "Exports are NOT encrypted (plain_export is set)",
            Err(_) => {
                "No export key is set, so export is refused (export_recipients in kiosk.toml)"
            }
        };
        g.set_admin_register(
            format!(
                "Register in {}. {exports}. Export copies every record; purge deletes only records already exported.",
                self.settings.borrow().data_dir.display()
            )
            .into(),
        );
        g.set_admin_note(SharedString::new());
        self.pick_field(-1);
        self.show_draft(false);
        g.set_screen(Screen::Admin);
    }

    pub(super) fn close_admin(&self) {
        let mut st = self.state.borrow_mut();
        st.admin.unlocked = false;
        st.admin.draft = None;
        st.admin.pin.clear();
        st.admin.purge_armed = false;
        st.admin.must_change = false;
    }

    fn show_draft(&self, dirty: bool) {
        let st = self.state.borrow();
        let Some(d) = st.admin.draft.as_ref() else {
            return;
        };
        let g = self.g();
        g.set_admin_device(DEVICES.iter().position(|x| *x == d.device).unwrap_or(0) as i32);
        g.set_admin_camera(d.camera.clone().into());
        g.set_admin_operator(d.operator.clone().into());
        let port = |p: Option<&PathBuf>| {
            p.map(|p| p.display().to_string())
                .unwrap_or_else(|| "none".into())
        };
        g.set_admin_trigger(port(d.serial.trigger.as_ref().map(|t| &t.port)).into());
        g.set_admin_scanner(port(d.serial.scanner.as_ref().map(|t| &t.port)).into());
        g.set_admin_printer(port(d.serial.printer.as_ref().map(|t| &t.port)).into());
        let rows: Vec<MarginRow> = d
            .margins
            .iter()
            .map(|(id, name, m)| MarginRow {
                tool: id.clone().into(),
                name: name.clone().into(),
                value: *m,
            })
            .collect();
        g.set_admin_margins(ModelRc::new(VecModel::from(rows)));
        g.set_admin_dirty(dirty);
    }

    fn edit_draft(&self, f: impl FnOnce(&mut Draft)) {
        if let Some(d) = self.state.borrow_mut().admin.draft.as_mut() {
            f(d);
        }
        self.show_draft(true);
    }

    pub(super) fn admin_pick_device(&self, i: i32) {
        if let Some(dev) = DEVICES.get(i.max(0) as usize).copied() {
            self.edit_draft(|d| d.device = dev);
        }
    }

    pub(super) fn admin_operator_typed(&self) {
        let op = self.state.borrow().entry.operator.clone();
        self.edit_draft(|d| d.operator = op);
    }

    /// Steps the camera or a serial port to the next choice found on this machine.
    pub(super) fn admin_cycle(&self, what: &str) {
        match what {
            "camera" => {
                let mut options = vec!["auto".to_string(), "none".to_string()];
                options.extend(
                    crate::camera::list_cameras()
                        .iter()
                        .map(|c| format!("v4l:{}", c.index)),
                );
                self.edit_draft(|d| d.camera = next_choice(&options, &d.camera));
            }
            "trigger" | "scanner" | "printer" => {
                let mut options = vec!["none".to_string()];
                options.extend(serial_ports().iter().map(|p| p.display().to_string()));
                self.edit_draft(|d| cycle_port(&mut d.serial, what, &options));
            }
            _ => {}
        }
    }

    /// Nudges a tool's gate margin, kept within 0.30–0.95.
    pub(super) fn admin_margin(&self, i: usize, delta: f32) {
        self.edit_draft(|d| {
            if let Some(m) = d.margins.get_mut(i) {
                m.2 = ((m.2 + delta) * 100.0).round() / 100.0;
                m.2 = m.2.clamp(
                    crate::catalog::manifest::MIN_GATE_MARGIN,
                    admin::overrides::MAX_GATE_MARGIN,
                );
            }
        });
    }

    /// Saves the draft to `admin.toml` and restarts what it changed.
    pub(super) fn admin_save(&self) {
        let Some(draft) = self.state.borrow().admin.draft.clone() else {
            return;
        };
        let file = self.admin_file();
        let defaults: Vec<(String, f32)> = self
            .state
            .borrow()
            .catalog
            .tools()
            .iter()
            .map(|t| (t.id.clone(), t.gate.margin))
            .collect();
        let mut o: Overrides = file.load().unwrap_or_default();
        o.device = Some(draft.device);
        o.camera = Some(draft.camera.clone());
        o.operator = Some(draft.operator.trim().to_string());
        o.serial = Some(draft.serial.clone());
        o.gate_margin = draft
            .margins
            .iter()
            .filter(|(id, _, m)| {
                defaults
                    .iter()
                    .all(|(d, dm)| d != id || (dm - m).abs() > 1e-4)
            })
            .map(|(id, _, m)| (id.clone(), *m))
            .collect();
        if let Err(e) = file.save(&o) {
            return self.admin_note(format!("Not saved: {e}"));
        }
        let (old, new) = {
            let old = self.settings.borrow().clone();
            let mut new = old.clone();
            o.apply(&mut new);
            new.gate_margin = o.gate_margin.clone();
            (old, new)
        };
        *self.settings.borrow_mut() = new.clone();
        let mut restarted = Vec::new();
        if old.device != new.device || old.gate_margin != new.gate_margin {
            self.restart_inference();
            restarted.push("screening engine");
        }
        if old.camera != new.camera {
            *self.camera.borrow_mut() = Self::start_camera(&new.camera, &self.tx, &self.waker);
            restarted.push("camera");
        }
        if old.serial != new.serial {
            *self.serial.borrow_mut() = Self::start_serial(&new, &self.tx, &self.waker);
            self.state.borrow_mut().devices.clear();
            self.refresh_devices();
            self.refresh_status();
            self.refresh_slip_format();
            restarted.push("serial devices");
        }
        self.show_draft(false);
        let what = if restarted.is_empty() {
            String::new()
        } else {
            format!(" Restarted: {}.", restarted.join(", "))
        };
        log::info!("admin: settings saved to {}", file.path().display());
        self.admin_note(format!("Saved.{what}"));
    }

    fn restart_inference(&self) {
        {
            let mut st = self.state.borrow_mut();
            st.ready = false;
            st.pending.clear();
        }
        let g = self.g();
        g.set_ready(false);
        g.set_status_models("Getting ready — loading the screening models…".into());
        self.refresh_tools();
        let settings = self.settings.borrow().clone();
        *self.inference.borrow_mut() = Self::start_inference(&settings, &self.tx, &self.waker);
    }

    pub(super) fn admin_export(&self, dir: &Path) {
        let sealing = match crate::export::Sealing::from_settings(&self.settings.borrow()) {
            Ok(s) => s,
            Err(e) => {
                log::warn!("export refused: {e}");
                return self.admin_note(e.to_string());
            }
        };
        self.admin_note(match sealing.recipients() {
            0 => format!(
                "Exporting to {} — NOT encrypted (plain_export is set)…",
                dir.display()
            ),
            _ => format!("Exporting to {} (encrypted)…", dir.display()),
        });
        let dir = dir.to_path_buf();
        self.store_job(StoreReq::Export, |req| crate::workers::store::Job::Export {
            req,
            dir,
            since: None,
            sealing,
        });
    }

    /// Purge asks for a second tap.
    pub(super) fn admin_purge(&self) {
        let armed = std::mem::replace(&mut self.state.borrow_mut().admin.purge_armed, true);
        if !armed {
            return self.admin_note(
                "Tap “Purge exported records” again to delete every exported record and its picture from this kiosk."
                    .into(),
            );
        }
        self.state.borrow_mut().admin.purge_armed = false;
        self.store_job(StoreReq::Purge, |req| crate::workers::store::Job::Purge {
            req,
        });
    }

    pub(super) fn admin_change_pin(&self) {
        if !self.state.borrow().admin.unlocked {
            return;
        }
        {
            let mut st = self.state.borrow_mut();
            st.admin.mode = PinMode::NewFirst;
            st.admin.pin.clear();
        }
        self.show_pin("");
        self.g().set_screen(Screen::AdminPin);
    }

    pub(super) fn admin_note(&self, text: String) {
        log::info!("admin: {text}");
        self.g().set_admin_note(text.into());
    }
}

/// The choice after `current` in `options` (the first when `current` is not there).
fn next_choice(options: &[String], current: &str) -> String {
    let i = options
        .iter()
        .position(|o| o == current)
        .map(|i| i + 1)
        .unwrap_or(0);
    options
        .get(i % options.len().max(1))
        .cloned()
        .unwrap_or_default()
}

/// Steps one serial device's port; "none" turns the device off.
fn cycle_port(serial: &mut SerialSettings, what: &str, options: &[String]) {
    let current = |p: Option<&PathBuf>| {
        p.map(|p| p.display().to_string())
            .unwrap_or_else(|| "none".into())
    };
    match what {
        "trigger" => {
            let next = next_choice(options, &current(serial.trigger.as_ref().map(|t| &t.port)));
            let old = serial.trigger.take();
            serial.trigger = (next != "none").then(|| TriggerSettings {
                port: next.into(),
                baud: old.as_ref().map(|o| o.baud).unwrap_or(9600),
                matches: old.map(|o| o.matches).unwrap_or_else(|| "byte:0x20".into()),
            });
        }
        "scanner" => {
            let next = next_choice(options, &current(serial.scanner.as_ref().map(|t| &t.port)));
            let baud = serial.scanner.take().map(|o| o.baud).unwrap_or(9600);
            serial.scanner = (next != "none").then(|| PortSettings {
                port: next.into(),
                baud,
            });
        }
        _ => {
            let next = next_choice(options, &current(serial.printer.as_ref().map(|t| &t.port)));
            let old = serial.printer.take();
            serial.printer = (next != "none").then(|| PrinterSettings {
                port: next.into(),
                baud: old.as_ref().map(|o| o.baud).unwrap_or(9600),
                width: old.map(|o| o.width).unwrap_or(32),
            });
        }
    }
}

/// Serial ports on this machine: stable names first (/dev/serial/by-id),
/// then ttyUSB and ttyACM devices; `ONEMED_SERIAL_PORTS` (':'-separated)
/// adds more (tests use pseudo-terminals).
pub fn serial_ports() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir("/dev/serial/by-id") {
        let mut v: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        v.sort();
        out.extend(v);
    }
    if let Ok(rd) = std::fs::read_dir("/dev") {
        let mut v: Vec<PathBuf> = rd
            .flatten()
            .filter(|e| {
                let n = e.file_name().to_string_lossy().to_string();
                n.starts_with("ttyUSB") || n.starts_with("ttyACM")
            })
            .map(|e| e.path())
            .collect();
        v.sort();
        out.extend(v);
    }
    if let Some(extra) = std::env::var_os("ONEMED_SERIAL_PORTS") {
        out.extend(std::env::split_paths(&extra));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_cycle_and_ports_turn_on_and_off() {
        let opts: Vec<String> = ["none", "/dev/a", "/dev/b"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(next_choice(&opts, "none"), "/dev/a");
        assert_eq!(next_choice(&opts, "/dev/b"), "none");
        assert_eq!(next_choice(&opts, "/dev/gone"), "none");
        let mut s = SerialSettings::default();
        cycle_port(&mut s, "scanner", &opts);
        assert_eq!(
            s.scanner.as_ref().map(|p| p.port.clone()),
            Some(PathBuf::from("/dev/a"))
        );
        cycle_port(&mut s, "printer", &opts);
        assert_eq!(s.printer.as_ref().map(|p| p.width), Some(32));
        cycle_port(&mut s, "scanner", &opts);
        cycle_port(&mut s, "scanner", &opts);
        assert!(s.scanner.is_none());
    }
}
