//! The unlocked admin settings: device, camera, operator, serial ports, the
//! kiosk's default language and gate margins, saved to `admin.toml` and
//! applied by restarting only the workers whose settings changed; export
//! and purge (`admin_export`).

use super::admin_pin::{page, Admin, PinMode};
use super::{on, type_key};
use crate::admin::{self, AdminFile, Overrides};
use crate::engine::Device;
use crate::i18n::{n_, tr, trf, Lang};
use crate::kiosk::app::Kiosk;
use crate::kiosk::ui::{self, AdminSetting, MarginRow, Screen, TypingField};
use crate::settings::{PortSettings, PrinterSettings, SerialSettings, TriggerSettings};
use slint::SharedString;
use std::path::PathBuf;
use std::rc::Rc;

const DEVICES: [Device; 3] = [Device::Cpu, Device::Gpu, Device::Auto];

/// Admin settings being edited, not yet saved.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub device: Device,
    pub camera: String,
    pub operator: String,
    pub serial: SerialSettings,
    /// The language the screens start in until a nurse picks another.
    pub language: Lang,
    pub margins: Vec<(String, String, f32)>,
}

impl Admin {
    /// Wires the settings' callbacks of the `AdminPage` global.
    pub(super) fn wire_settings(k: &Rc<Kiosk>) {
        let p = page(k);
        on!(k, p, on_admin_pick_device, |k, i| k
            .admin
            .pick_device(&k, i));
        on!(k, p, on_admin_cycle, |k, what| k.admin.cycle(&k, what));
        on!(k, p, on_admin_margin, |k, i, d| k.admin.margin(
            &k,
            i.max(0) as usize,
            d
        ));
        on!(k, p, on_admin_save, |k| k.admin.save(&k));
        on!(k, p, on_admin_export, |k, i| {
            let root = k
                .admin
                .state
                .borrow()
                .export_roots
                .get(i.max(0) as usize)
                .cloned();
            if let Some(root) = root {
                k.admin.export(&k, &root);
            }
        });
        on!(k, p, on_admin_purge, |k| k.admin.purge(&k));
        on!(k, p, on_admin_change_pin, |k| k.admin.change_pin(&k));
    }

    pub(super) fn unlock(&self, k: &Kiosk) {
        self.show_pin(k, "");
        let draft = {
            let s = k.settings.borrow();
            Draft {
                device: s.device,
                camera: s.camera.clone(),
                operator: s.operator.clone(),
                serial: s.serial.clone(),
                language: s.language,
                margins: k
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
            st.unlocked = true;
            st.purge_armed = false;
            st.operator = draft.operator.clone();
            st.draft = Some(draft);
        }
        self.sticks_changed(k);
        let p = page(k);
        self.show_register(k);
        p.set_admin_note(SharedString::new());
        k.pick_field(TypingField::None);
        self.show_draft(k, false);
        k.show(Screen::Admin);
    }

    /// The admin screen again in the screen's language.
    pub fn reword(&self, k: &Kiosk) {
        if k.g().get_screen() == Screen::Admin {
            self.show_register(k);
            let dirty = page(k).get_admin_dirty();
            self.show_draft(k, dirty);
        }
    }

    /// Where the register is and what export and purge do.
    fn show_register(&self, k: &Kiosk) {
        let lang = k.lang();
        let exports = match crate::export::Sealing::from_settings(&k.settings.borrow()) {
            Ok(s) if s.recipients() > 0 => {
                tr(lang, "Exports are encrypted to the programme's key.")
            }
            Ok(_) => tr(lang, "Exports are NOT encrypted (plain_export is set)."),
            Err(_) => tr(
                lang,
                "No export key is set, so export is refused (export_recipients in kiosk.toml).",
            ),
        };
        let register = trf(
            lang,
            "Register in {}.",
            &[&k.settings.borrow().data_dir.display().to_string()],
        );
        let rules = tr(
            lang,
            "Export copies every record; purge deletes only records already exported.",
        );
        page(k).set_admin_register(format!("{register} {exports} {rules}").into());
    }

    /// The idle lock: closed, and no PIN dot left on the pad.
    pub fn lock(&self, k: &Kiosk) {
        self.close();
        page(k).set_pin_dots(SharedString::new());
    }

    pub fn close(&self) {
        let mut st = self.state.borrow_mut();
        st.unlocked = false;
        st.draft = None;
        st.pin.clear();
        st.purge_armed = false;
        st.must_change = false;
    }

    fn show_draft(&self, k: &Kiosk, dirty: bool) {
        let st = self.state.borrow();
        let Some(d) = st.draft.as_ref() else {
            return;
        };
        let p = page(k);
        p.set_admin_device(DEVICES.iter().position(|x| *x == d.device).unwrap_or(0) as i32);
        p.set_admin_camera(d.camera.clone().into());
        p.set_admin_operator(d.operator.clone().into());
        let port = |p: Option<&PathBuf>| {
            p.map(|p| p.display().to_string())
                .unwrap_or_else(|| tr(k.lang(), "none"))
        };
        p.set_admin_language(d.language.native_name().into());
        p.set_admin_trigger(port(d.serial.trigger.as_ref().map(|t| &t.port)).into());
        p.set_admin_scanner(port(d.serial.scanner.as_ref().map(|t| &t.port)).into());
        p.set_admin_printer(port(d.serial.printer.as_ref().map(|t| &t.port)).into());
        let rows: Vec<MarginRow> = d
            .margins
            .iter()
            .map(|(id, name, m)| MarginRow {
                tool: id.clone().into(),
                name: tr(k.lang(), name).into(),
                value: *m,
            })
            .collect();
        ui::update_rows(p.get_admin_margins(), rows, |m| p.set_admin_margins(m));
        p.set_admin_dirty(dirty);
    }

    fn edit_draft(&self, k: &Kiosk, f: impl FnOnce(&mut Draft)) {
        if let Some(d) = self.state.borrow_mut().draft.as_mut() {
            f(d);
        }
        self.show_draft(k, true);
    }

    fn pick_device(&self, k: &Kiosk, i: i32) {
        if let Some(dev) = DEVICES.get(i.max(0) as usize).copied() {
            self.edit_draft(k, |d| d.device = dev);
        }
    }

    /// One on-screen key typed into the operator's name.
    pub fn key(&self, k: &Kiosk, key: &str) {
        let op = {
            let mut st = self.state.borrow_mut();
            type_key(&mut st.operator, key, 40, |c| {
                c.is_alphanumeric() || " .-'".contains(c)
            });
            st.operator.clone()
        };
        page(k).set_admin_operator(op.as_str().into());
        self.edit_draft(k, |d| d.operator = op);
    }

    /// Steps the camera or a serial port to the next choice found on this
    /// machine, or the default language to the next.
    fn cycle(&self, k: &Kiosk, what: AdminSetting) {
        match what {
            AdminSetting::Language => self.edit_draft(k, |d| {
                let next = (d.language.index() + 1) % Lang::ALL.len();
                d.language = Lang::from_index(next as i32);
            }),
            AdminSetting::Camera => {
                let mut options = vec!["auto".to_string(), "none".to_string()];
                options.extend(
                    crate::camera::list_cameras()
                        .iter()
                        .map(|c| format!("v4l:{}", c.index)),
                );
                self.edit_draft(k, |d| d.camera = next_choice(&options, &d.camera));
            }
            AdminSetting::Trigger | AdminSetting::Scanner | AdminSetting::Printer => {
                let mut options = vec!["none".to_string()];
                options.extend(serial_ports().iter().map(|p| p.display().to_string()));
                self.edit_draft(k, |d| cycle_port(&mut d.serial, what, &options));
            }
        }
    }

    /// Nudges a tool's gate margin, kept within 0.30–0.95.
    fn margin(&self, k: &Kiosk, i: usize, delta: f32) {
        self.edit_draft(k, |d| {
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
    fn save(&self, k: &Kiosk) {
        let Some(draft) = self.state.borrow().draft.clone() else {
            return;
        };
        let file = AdminFile::in_dir(&k.settings.borrow().data_dir);
        let defaults: Vec<(String, f32)> = k
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
        o.language = Some(draft.language);
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
            return self.note_in(k, |l| trf(l, "Not saved: {}", &[&e.to_string()]));
        }
        let (old, new) = {
            let old = k.settings.borrow().clone();
            let mut new = old.clone();
            o.apply(&mut new);
            new.gate_margin = o.gate_margin.clone();
            (old, new)
        };
        *k.settings.borrow_mut() = new.clone();
        let mut restarted = Vec::new();
        if old.device != new.device || old.gate_margin != new.gate_margin {
            k.restart_inference();
            restarted.push(n_("screening engine"));
        }
        if old.camera != new.camera {
            k.restart_camera(&new.camera);
            restarted.push(n_("camera"));
        }
        if old.serial != new.serial {
            k.restart_serial(&new);
            restarted.push(n_("serial devices"));
        }
        // The admin chose the kiosk's language: the screens change to it now
        // (and it is remembered), until a nurse picks another.
        if old.language != new.language {
            k.set_language(new.language);
        }
        self.show_draft(k, false);
        log::info!("admin: settings saved to {}", file.path().display());
        match restarted.is_empty() {
            true => self.note_in(k, |l| tr(l, "Saved.")),
            false => {
                let list = |lang| {
                    restarted
                        .iter()
                        .map(|w| tr(lang, w))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                self.note_in(k, |l| trf(l, "Saved. Restarted: {}.", &[&list(l)]));
            }
        }
    }

    fn change_pin(&self, k: &Kiosk) {
        if !self.state.borrow().unlocked {
            return;
        }
        {
            let mut st = self.state.borrow_mut();
            st.mode = PinMode::NewFirst;
            st.pin.clear();
        }
        self.show_pin(k, "");
        k.show(Screen::AdminPin);
    }

    pub fn note(&self, k: &Kiosk, text: String) {
        log::info!("admin: {text}");
        page(k).set_admin_note(text.into());
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
fn cycle_port(serial: &mut SerialSettings, what: AdminSetting, options: &[String]) {
    let current = |p: Option<&PathBuf>| {
        p.map(|p| p.display().to_string())
            .unwrap_or_else(|| "none".into())
    };
    match what {
        AdminSetting::Trigger => {
            let next = next_choice(options, &current(serial.trigger.as_ref().map(|t| &t.port)));
            let old = serial.trigger.take();
            serial.trigger = (next != "none").then(|| TriggerSettings {
                port: next.into(),
                baud: old.as_ref().map(|o| o.baud).unwrap_or(9600),
                matches: old.map(|o| o.matches).unwrap_or_else(|| "byte:0x20".into()),
            });
        }
        AdminSetting::Scanner => {
            let next = next_choice(options, &current(serial.scanner.as_ref().map(|t| &t.port)));
            let baud = serial.scanner.take().map(|o| o.baud).unwrap_or(9600);
            serial.scanner = (next != "none").then(|| PortSettings {
                port: next.into(),
                baud,
            });
        }
        AdminSetting::Printer => {
            let next = next_choice(options, &current(serial.printer.as_ref().map(|t| &t.port)));
            let old = serial.printer.take();
            serial.printer = (next != "none").then(|| PrinterSettings {
                port: next.into(),
                baud: old.as_ref().map(|o| o.baud).unwrap_or(9600),
                dots: old.as_ref().and_then(|o| o.dots),
                width: old.map(|o| o.width).unwrap_or(32),
            });
        }
        // Not a serial port.
        AdminSetting::Camera | AdminSetting::Language => {}
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
        cycle_port(&mut s, AdminSetting::Scanner, &opts);
        assert_eq!(
            s.scanner.as_ref().map(|p| p.port.clone()),
            Some(PathBuf::from("/dev/a"))
        );
        cycle_port(&mut s, AdminSetting::Printer, &opts);
        assert_eq!(s.printer.as_ref().map(|p| p.width), Some(32));
        cycle_port(&mut s, AdminSetting::Scanner, &opts);
        cycle_port(&mut s, AdminSetting::Scanner, &opts);
        assert!(s.scanner.is_none());
    }
}
