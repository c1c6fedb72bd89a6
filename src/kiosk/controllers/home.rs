//! The home screen: the tools by group (available once the engine has
//! loaded them), a tool tapped, and what the status line is made of — the
//! engine, the serial devices, the register. Its Slint global is `HomePage`;
//! the status line's own rows are `status` (`HomeStatus`).

use super::on;
use crate::i18n::{n_, tr, trf, Words};
use crate::kiosk::app::Kiosk;
use crate::kiosk::inference::Readiness;
use crate::kiosk::ui::{self, HomePage, ToolCard};
use crate::serial::DeviceKind;
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

/// What the home screen knows of the engine, the devices and the register.
pub(super) struct HomeState {
    pub ready: bool,
    /// The engine could not start: no tool can be used.
    pub failed: bool,
    /// Tools that cannot be used, with the reason.
    pub unavailable: BTreeMap<String, String>,
    /// Each serial device's state: connected, and the words for the screen.
    pub devices: HashMap<DeviceKind, (bool, String)>,
    pub register_ok: bool,
    /// The status line's words for a working register (encrypted or not): a msgid.
    pub register_ready_text: &'static str,
    /// What the status line says of the register now.
    pub register: Words,
}

/// The home screen's controller.
pub struct Home {
    pub(super) state: RefCell<HomeState>,
}

impl Default for Home {
    fn default() -> Self {
        Home {
            state: RefCell::new(HomeState {
                ready: false,
                failed: false,
                unavailable: BTreeMap::new(),
                devices: HashMap::new(),
                register_ok: false,
                register_ready_text: n_("Register ready"),
                register: Words::default(),
            }),
        }
    }
}

pub(crate) fn page(k: &Kiosk) -> HomePage<'_> {
    k.window().global::<HomePage>()
}

const LOADING: &str = n_("Getting ready — loading the screening models…");
/// The inference device before the engine has said, and when it failed
/// (the status line translates them).
const STARTING: &str = n_("starting");
const NO_DEVICE: &str = n_("none");
/// Why every tool is unavailable when the engine failed (a tool card's note).
const NOT_RUNNING: &str = n_("screening engine not running");

impl Home {
    /// Wires the `HomePage` global's callbacks.
    pub fn wire(k: &Rc<Kiosk>) {
        let p = page(k);
        on!(k, p, on_select_tool, |k, id| k.select_tool(&id));
    }

    /// The screen before any worker has said anything.
    pub fn init(&self, k: &Kiosk) {
        let p = page(k);
        p.set_ready(false);
        p.set_status_device(STARTING.into());
        // Not the kiosk ID: it defaults to the host name (it is on the slip).
        p.set_kiosk_name("OneMed Kiosk".into());
        p.set_register_ok(true);
        self.state.borrow_mut().register = Words::new(|l| tr(l, "Register: opening…"));
        self.refresh_models_line(k);
        self.show_register(k);
    }

    /// The texts built here again in the screen's language: the tools, the
    /// models line, the devices and the register.
    pub fn reword(&self, k: &Kiosk) {
        self.refresh_tools(k);
        self.refresh_models_line(k);
        self.refresh_devices(k);
        self.show_register(k);
    }

    pub fn is_ready(&self) -> bool {
        self.state.borrow().ready
    }

    /// Why tool `id` is unavailable, if it is.
    pub fn unavailable(&self, id: &str) -> Option<String> {
        self.state.borrow().unavailable.get(id).cloned()
    }

    /// Why tool `id` cannot be used now, if it cannot.
    pub fn refusal(&self, id: &str) -> Option<Words> {
        let st = self.state.borrow();
        if !st.ready {
            return Some(Words::new(|l| {
                tr(l, "Getting ready — the screening models are still loading.")
            }));
        }
        let reason = ui::short_reason(st.unavailable.get(id)?);
        Some(Words::new(move |l| {
            trf(l, "This tool is unavailable: {}", &[&tr(l, &reason)])
        }))
    }

    /// The tool cards, by group.
    pub fn refresh_tools(&self, k: &Kiosk) {
        let mut groups: Vec<(String, Vec<ToolCard>)> = Vec::new();
        {
            let st = self.state.borrow();
            for t in k.catalog.tools() {
                let card = ui::tool_card(t, st.unavailable.get(&t.id), st.ready, k.lang());
                match groups.iter_mut().find(|(g, _)| *g == t.group) {
                    Some((_, v)) => v.push(card),
                    None => groups.push((t.group.clone(), vec![card])),
                }
            }
        }
        let names: Vec<SharedString> = groups.iter().map(|(g, _)| tr(k.lang(), g).into()).collect();
        let cards: Vec<ModelRc<ToolCard>> = groups
            .into_iter()
            .map(|(_, v)| ModelRc::new(VecModel::from(v)))
            .collect();
        let p = page(k);
        p.set_groups(ModelRc::new(VecModel::from(names)));
        p.set_tools(ModelRc::new(VecModel::from(cards)));
    }

    /// "4 of 5 tools ready" once the engine has said; getting ready, or
    /// not running, until then.
    pub fn refresh_models_line(&self, k: &Kiosk) {
        let (ready, failed, unavailable) = {
            let st = self.state.borrow();
            (st.ready, st.failed, st.unavailable.len())
        };
        let lang = k.lang();
        let n = k.catalog.tools().len();
        let ok = n.saturating_sub(unavailable);
        let line = match (ready, failed) {
            (false, _) => tr(lang, LOADING),
            (true, true) => tr(lang, "Screening engine not running"),
            (true, false) => trf(
                lang,
                "{} of {} tools ready",
                &[&ok.to_string(), &n.to_string()],
            ),
        };
        page(k).set_status_models(line.into());
    }

    /// The engine has loaded its models (some tools may be unavailable).
    pub fn engine_ready(&self, k: &Kiosk, r: Readiness) {
        {
            let mut st = self.state.borrow_mut();
            st.ready = true;
            st.failed = false;
            st.unavailable = r.unavailable.clone();
        }
        self.refresh_models_line(k);
        let p = page(k);
        p.set_ready(true);
        p.set_status_device(format!("{} (f32)", r.device).into());
        if let Some(note) = r.device_note {
            k.say_in(move |l| tr(l, &note));
        }
        for (tool, reason) in &r.unavailable {
            log::error!("{tool} unavailable: {reason}");
        }
        self.refresh_tools(k);
    }

    /// The engine could not start: every tool is unavailable, and the
    /// screen says what to install.
    pub fn engine_failed(&self, k: &Kiosk, reason: &str) {
        {
            let mut st = self.state.borrow_mut();
            st.ready = true;
            st.failed = true;
            st.unavailable = k
                .catalog
                .tools()
                .iter()
                .map(|t| (t.id.clone(), NOT_RUNNING.into()))
                .collect();
        }
        let p = page(k);
        p.set_ready(true);
        self.refresh_models_line(k);
        p.set_status_device(NO_DEVICE.into());
        self.refresh_tools(k);
        let reason = reason.to_string();
        k.say_in(move |l| trf(l, "The screening engine could not start: {}", &[&reason]));
    }

    /// The engine is starting again (new settings).
    pub fn engine_restarting(&self, k: &Kiosk) {
        {
            let mut st = self.state.borrow_mut();
            st.ready = false;
            st.failed = false;
        }
        page(k).set_ready(false);
        self.refresh_models_line(k);
        self.refresh_tools(k);
    }

    /// A serial device's state, as it said it.
    pub fn device_status(&self, device: DeviceKind, connected: bool, text: String) {
        self.state
            .borrow_mut()
            .devices
            .insert(device, (connected, text));
    }

    pub fn device_connected(&self, device: DeviceKind) -> bool {
        self.state
            .borrow()
            .devices
            .get(&device)
            .is_some_and(|(c, _)| *c)
    }

    /// The serial devices restarted: nothing known about them yet.
    pub fn forget_devices(&self) {
        self.state.borrow_mut().devices.clear();
    }

    /// The status line's serial devices: "Barcode scanner ● · Receipt
    /// printer ○ not connected".
    pub fn refresh_devices(&self, k: &Kiosk) {
        let (serial, lang) = (k.serial.borrow(), k.lang());
        let words: Vec<String> = [
            DeviceKind::Trigger,
            DeviceKind::Scanner,
            DeviceKind::Printer,
        ]
        .into_iter()
        .filter(|d| serial.has(*d))
        .map(|d| {
            let label = tr(lang, d.label());
            match self.device_connected(d) {
                true => format!("{label} ●"),
                false => format!("{label} ○ {}", tr(lang, "not connected")),
            }
        })
        .collect();
        page(k).set_status_devices(words.join(" · ").into());
    }

    /// The register opened (encrypted or, in development, plain).
    pub fn register_opened(&self, k: &Kiosk, encrypted: bool) {
        self.state.borrow_mut().register_ready_text = match encrypted {
            true => n_("Register ready (encrypted)"),
            false => crate::kiosk::register::PLAIN_REGISTER,
        };
        page(k).set_register_plain(!encrypted);
        self.register_ok(k);
    }

    pub fn register_is_ok(&self) -> bool {
        self.state.borrow().register_ok
    }

    /// A save worked after a fault: the status line says the register is ready again.
    pub fn register_recovered(&self, k: &Kiosk) {
        if !self.register_is_ok() {
            self.register_ok(k);
        }
    }

    fn register_ok(&self, k: &Kiosk) {
        {
            let mut st = self.state.borrow_mut();
            st.register_ok = true;
            let text = st.register_ready_text;
            st.register = Words::new(move |l| tr(l, text));
        }
        page(k).set_register_ok(true);
        self.show_register(k);
    }

    /// The register cannot save: said on the home screen until it can again.
    pub fn register_fault(&self, k: &Kiosk, e: &str) {
        log::error!("register: {e}");
        {
            let mut st = self.state.borrow_mut();
            st.register_ok = false;
            let e = e.to_string();
            st.register = Words::new(move |l| {
                trf(
                    l,
                    "Results cannot be recorded, so none are shown: {}",
                    &[&tr(l, &e)],
                )
            });
        }
        page(k).set_register_ok(false);
        self.show_register(k);
    }

    /// What the status line says of the register, in any language.
    pub fn register_words(&self) -> Words {
        self.state.borrow().register.clone()
    }

    fn show_register(&self, k: &Kiosk) {
        let text = self.state.borrow().register.in_lang(k.lang());
        page(k).set_status_register(text.into());
    }
}
