//! The home screen: the tools by group (available once the engine has
//! loaded them), a tool tapped, and what the status line is made of — the
//! engine, the serial devices, the register. Its Slint global is `HomePage`;
//! the status line's own rows are `status` (`HomeStatus`).

use super::on;
use crate::i18n::{tr, trf};
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
    /// Tools that cannot be used, with the reason.
    pub unavailable: BTreeMap<String, String>,
    /// Each serial device's state: connected, and the words for the screen.
    pub devices: HashMap<DeviceKind, (bool, String)>,
    pub register_ok: bool,
    /// The status line's words for a working register (encrypted or not).
    pub register_ready_text: &'static str,
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
                unavailable: BTreeMap::new(),
                devices: HashMap::new(),
                register_ok: false,
                register_ready_text: "Register ready",
            }),
        }
    }
}

pub(crate) fn page(k: &Kiosk) -> HomePage<'_> {
    k.window().global::<HomePage>()
}

const LOADING: &str = "Getting ready — loading the screening models…";

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
        p.set_status_models(LOADING.into());
        p.set_status_device("starting".into());
        // Not the kiosk ID: it defaults to the host name (it is on the slip).
        p.set_kiosk_name("OneMed Kiosk".into());
        p.set_register_ok(true);
        p.set_status_register("Register: opening…".into());
    }

    pub fn is_ready(&self) -> bool {
        self.state.borrow().ready
    }

    /// Why tool `id` is unavailable, if it is.
    pub fn unavailable(&self, id: &str) -> Option<String> {
        self.state.borrow().unavailable.get(id).cloned()
    }

    /// Why tool `id` cannot be used now, if it cannot.
    pub fn refusal(&self, id: &str) -> Option<String> {
        let st = self.state.borrow();
        if !st.ready {
            return Some("Getting ready — the screening models are still loading.".into());
        }
        st.unavailable
            .get(id)
            .map(|reason| format!("This tool is unavailable: {reason}"))
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

    /// "4 of 5 tools ready", once the engine has said.
    pub fn refresh_models_line(&self, k: &Kiosk) {
        let (ready, unavailable) = {
            let st = self.state.borrow();
            (st.ready, st.unavailable.len())
        };
        if !ready {
            return;
        }
        let n = k.catalog.tools().len();
        let ok = n.saturating_sub(unavailable);
        page(k).set_status_models(
            trf(
                k.lang(),
                "{} of {} tools ready",
                &[&ok.to_string(), &n.to_string()],
            )
            .into(),
        );
    }

    /// The engine has loaded its models (some tools may be unavailable).
    pub fn engine_ready(&self, k: &Kiosk, r: Readiness) {
        {
            let mut st = self.state.borrow_mut();
            st.ready = true;
            st.unavailable = r.unavailable.clone();
        }
        self.refresh_models_line(k);
        let p = page(k);
        p.set_ready(true);
        p.set_status_device(format!("{} (f32)", r.device).into());
        if let Some(note) = r.device_note {
            k.say(note);
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
            st.unavailable = k
                .catalog
                .tools()
                .iter()
                .map(|t| (t.id.clone(), "screening engine not running".into()))
                .collect();
        }
        let p = page(k);
        p.set_ready(true);
        p.set_status_models("Screening engine not running".into());
        p.set_status_device("none".into());
        self.refresh_tools(k);
        k.say(format!("The screening engine could not start: {reason}"));
    }

    /// The engine is starting again (new settings).
    pub fn engine_restarting(&self, k: &Kiosk) {
        self.state.borrow_mut().ready = false;
        let p = page(k);
        p.set_ready(false);
        p.set_status_models(LOADING.into());
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

    /// The status line's serial devices: "Scanner ● · Printer ○".
    pub fn refresh_devices(&self, k: &Kiosk) {
        let serial = k.serial.borrow();
        let words: Vec<String> = [
            DeviceKind::Trigger,
            DeviceKind::Scanner,
            DeviceKind::Printer,
        ]
        .into_iter()
        .filter(|d| serial.has(*d))
        .map(|d| {
            let connected = self.device_connected(d);
            format!(
                "{} {}",
                d.label(),
                if connected {
                    "●"
                } else {
                    "○ not connected"
                }
            )
        })
        .collect();
        page(k).set_status_devices(words.join(" · ").into());
    }

    /// The register opened (encrypted or, in development, plain).
    pub fn register_opened(&self, k: &Kiosk, text: &'static str, encrypted: bool) {
        self.state.borrow_mut().register_ready_text = text;
        page(k).set_register_plain(!encrypted);
        self.register_ok(k, text);
    }

    pub fn register_is_ok(&self) -> bool {
        self.state.borrow().register_ok
    }

    /// A save worked after a fault: the status line says the register is ready again.
    pub fn register_recovered(&self, k: &Kiosk) {
        let (faulty, text) = {
            let st = self.state.borrow();
            (!st.register_ok, st.register_ready_text)
        };
        if faulty {
            self.register_ok(k, text);
        }
    }

    fn register_ok(&self, k: &Kiosk, text: &str) {
        self.state.borrow_mut().register_ok = true;
        let p = page(k);
        p.set_register_ok(true);
        p.set_status_register(text.into());
    }

    /// The register cannot save: said on the home screen until it can again.
    pub fn register_fault(&self, k: &Kiosk, e: &str) {
        log::error!("register: {e}");
        self.state.borrow_mut().register_ok = false;
        let p = page(k);
        p.set_register_ok(false);
        p.set_status_register(format!("Results cannot be recorded, so none are shown: {e}").into());
    }
}
