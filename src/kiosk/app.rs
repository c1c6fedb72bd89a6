//! The kiosk shell on the UI thread: the window, the channel and waker, the
//! settings, the workers, the jobs in flight, and one controller per screen
//! group (`controllers/`). [`Kiosk::pump`] routes each worker message to the
//! controller that owns it; cross-screen steps (a tool tapped, Back, the
//! next patient) go through small shell methods here.
//!
//! Workers never touch the UI: they put messages on a channel and wake the UI
//! thread (`slint::invoke_from_event_loop` in the app), which drains the
//! channel in [`Kiosk::pump`]. Tests call `pump` themselves.

use super::controllers::admin_pin::Admin;
use super::controllers::capture::Capture;
use super::controllers::ct::Ct;
use super::controllers::history::History;
use super::controllers::home::Home;
use super::controllers::nurses::Nurses;
use super::controllers::signin::{After, Session};
use super::controllers::visit::Visit;
use super::inference::{Event as InferEvent, InferenceWorker, Input, Job};
use super::preview::{CameraLink, CameraMsg};
use super::register::Watch;
use super::state::{Pending, State};
use super::ui::{AppWindow, Kiosk as Global, Screen, TypingField};
use crate::catalog::Catalog;
use crate::i18n::{n_, tr, trf};
use crate::serial::{SerialDevices, SerialEvent};
use crate::settings::Settings;
use crate::sticks::MountWatch;
use crate::workers::store::{StoreEvent, StoreWorker};
use slint::{ComponentHandle, SharedString};
use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Instant;

/// Everything that reaches the UI thread from elsewhere.
pub enum Msg {
    Infer(InferEvent),
    Camera(CameraMsg),
    /// Files of an import folder checked (and previewed) off the UI thread.
    Checked {
        folder: PathBuf,
        checked: Vec<super::controllers::ct::CheckedFile>,
    },
    Store(StoreEvent<super::register::Answer>),
    Serial(SerialEvent),
    /// A USB stick was mounted or went away (the mount table changed).
    Sticks,
    /// Work done off the UI thread by [`Kiosk::background`], to apply on it.
    Apply(Box<dyn FnOnce(&Kiosk) + Send>),
}

/// How a worker wakes the UI thread after sending a message.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// A worker's callback: wraps each of its events as a [`Msg`], queues it for
/// the UI thread and wakes that thread (the one way messages reach `pump`).
fn forward<E: 'static>(
    tx: &mpsc::Sender<Msg>,
    waker: &Waker,
    wrap: fn(E) -> Msg,
) -> impl Fn(E) + Send + Sync + 'static {
    let (tx, waker) = (tx.clone(), waker.clone());
    move |e| {
        let _ = tx.send(wrap(e));
        waker();
    }
}

/// The running kiosk: the window, the workers, the jobs in flight and the
/// controllers (each with its own state).
pub struct Kiosk {
    pub(super) window: AppWindow,
    /// The screening tools (fixed while the kiosk runs).
    pub(super) catalog: Catalog,
    /// Where sticks and folders to import from are looked for.
    pub(super) import_paths: Vec<std::path::PathBuf>,
    pub(super) state: RefCell<State>,
    pub(super) tx: mpsc::Sender<Msg>,
    rx: mpsc::Receiver<Msg>,
    pub(super) waker: Waker,
    /// The running settings (the admin screen changes them).
    pub(super) settings: RefCell<Settings>,
    pub(super) inference: RefCell<InferenceWorker>,
    pub(super) camera: RefCell<CameraLink>,
    pub(super) store: StoreWorker<super::register::Answer>,
    pub(super) serial: RefCell<SerialDevices>,
    /// Says when a USB stick comes or goes (kept for its thread).
    _sticks: Option<MountWatch>,
    /// Who is signed in, and the idle lock (`controllers::signin`, `pin_check`).
    pub(super) signin: Session,
    /// Admin → Nurses (`controllers::nurses`).
    pub(super) nurses: Nurses,
    /// The history screens (`controllers::history`).
    pub(super) history: History,
    /// The PIN pad and the admin settings (`controllers::admin_*`).
    pub(super) admin: Admin,
    /// The visit, its summary and slip (`controllers::visit`, `finish`, `print`).
    pub(super) visit: Visit,
    /// Capture, review and result (`controllers::capture`, `result`).
    pub(super) capture: Capture,
    /// The CT import and its summary (`controllers::ct`, `ct_result`).
    pub(super) ct: Ct,
    /// The home screen and its status line (`controllers::home`).
    pub(super) home: Home,
    /// The screen's language (`language`).
    pub(super) lang: std::cell::Cell<crate::i18n::Lang>,
}

impl Kiosk {
    /// Builds the window, starts the workers and wires the callbacks. `waker`
    /// is called after each message a worker sends.
    pub fn new(settings: &Settings, waker: Waker) -> Result<Rc<Kiosk>, slint::PlatformError> {
        let window = AppWindow::new()?;
        let (tx, rx) = mpsc::channel::<Msg>();
        let catalog = Catalog::builtin().unwrap_or_else(|e| {
            log::error!("tool catalogue: {e}");
            Catalog::empty()
        });
        let inference = Self::start_inference(settings, &tx, &waker);
        // The kiosk opens on the home screen: the camera rests once known.
        let camera = Self::start_camera(&settings.camera, false, &tx, &waker);
        let serial = Self::start_serial(settings, &tx, &waker);
        let register = match &settings.fault {
            None => crate::records::Protection::from_settings(settings)
                .map(|p| (settings.data_dir.clone(), p))
                .map_err(|e| e.to_string()),
            Some(f) => Err(format!(
                "the settings are damaged — {f}. Call the technician"
            )),
        };
        let store = StoreWorker::start(register, forward(&tx, &waker, Msg::Store));
        let sticks = super::sticks::watch(settings, forward(&tx, &waker, |()| Msg::Sticks));
        let kiosk = Rc::new(Kiosk {
            window,
            catalog,
            import_paths: settings.import_paths.clone(),
            state: RefCell::new(State::new(settings)),
            tx,
            rx,
            waker,
            settings: RefCell::new(settings.clone()),
            inference: RefCell::new(inference),
            camera: RefCell::new(camera),
            store,
            serial: RefCell::new(serial),
            _sticks: sticks,
            signin: Session::new(settings.idle_lock_minutes),
            nurses: Nurses::default(),
            history: History::default(),
            admin: Admin::default(),
            visit: Visit::default(),
            capture: Capture::new(settings.max_attempts),
            ct: Ct::default(),
            home: Home::default(),
            lang: std::cell::Cell::new(super::language::remembered(settings)),
        });
        kiosk.init();
        Ok(kiosk)
    }

    pub(super) fn start_inference(
        settings: &Settings,
        tx: &mpsc::Sender<Msg>,
        waker: &Waker,
    ) -> InferenceWorker {
        InferenceWorker::start(settings.clone(), forward(tx, waker, Msg::Infer))
    }

    pub(super) fn start_camera(
        spec: &str,
        streaming: bool,
        tx: &mpsc::Sender<Msg>,
        waker: &Waker,
    ) -> CameraLink {
        CameraLink::start(spec, streaming, forward(tx, waker, Msg::Camera))
    }

    pub(super) fn start_serial(
        settings: &Settings,
        tx: &mpsc::Sender<Msg>,
        waker: &Waker,
    ) -> SerialDevices {
        SerialDevices::start(&settings.serial, forward(tx, waker, Msg::Serial))
    }

    pub fn window(&self) -> &AppWindow {
        &self.window
    }

    pub(super) fn g(&self) -> Global<'_> {
        self.window.global::<Global>()
    }

    /// Preview frames applied to the screen so far.
    pub fn previews_shown(&self) -> u64 {
        self.capture.previews_shown()
    }

    /// Latest Analyse-tap-to-result latencies, in milliseconds.
    pub fn latencies_ms(&self) -> Vec<f64> {
        self.capture.latencies_ms()
    }

    /// Whether the register has said which nurses may sign in.
    pub fn nurses_known(&self) -> bool {
        self.signin.nurses_known()
    }

    /// A touch: the idle lock waits again.
    pub(super) fn touched(&self) {
        self.signin.touched();
    }

    /// Locks the kiosk when nobody has touched it for `idle_lock_minutes`
    /// (`now` is passed in; the kiosk's timer calls this every few seconds),
    /// unless an answer is still to come: it would land on the locked screen
    /// (sign-in's own register answers change nothing there). True when it
    /// locked.
    pub fn check_idle(&self, now: Instant) -> bool {
        let busy = {
            let st = self.state.borrow();
            !st.pending.is_empty() || st.register_jobs.values().any(|w| *w != Watch::SignIn)
        } || self.g().get_busy();
        self.signin.check_idle(self, now, busy)
    }

    /// Whether the models have loaded.
    pub fn is_ready(&self) -> bool {
        self.home.is_ready()
    }

    /// False once an analysis or a save has run past the deadline
    /// (`job_deadline_s`): its worker is hung. The watchdog asks before each
    /// ping and stops, so systemd restarts the kiosk; the screen says so.
    pub fn is_alive(&self) -> bool {
        let overdue = {
            let st = self.state.borrow();
            st.liveness.overdue(Instant::now(), st.job_deadline)
        };
        let Some(o) = overdue else {
            return true;
        };
        if !std::mem::replace(&mut self.state.borrow_mut().hung, true) {
            let secs = o.running.as_secs();
            log::error!(
                "{} has run for {secs} s (deadline {} s): its worker is hung; \
                 stopping the watchdog so that the kiosk is restarted",
                o.what,
                self.state.borrow().job_deadline.as_secs()
            );
            crate::notify::status(&format!("hung: {} has run for {secs} s", o.what));
            self.say_in(move |l| {
                trf(
                    l,
                    "Something is stuck ({} has taken {} s). The kiosk is restarting \
                     itself; every saved record is safe.",
                    &[&tr(l, o.what), &secs.to_string()],
                )
            });
        }
        false
    }

    fn init(self: &Rc<Self>) {
        let g = self.g();
        self.offer_languages();
        self.show_language();
        self.check_fonts();
        self.home.init(self);
        self.capture.init(self);
        g.set_message(SharedString::new());
        self.show(Screen::Home);
        g.set_in_visit(false);
        self.home.refresh_devices(self);
        self.home.refresh_tools(self);
        self.refresh_status();
        self.refresh_slip_format();
        let warnings = self.settings.borrow().warnings.clone();
        if !warnings.is_empty() {
            // For the technician (the file, the line, the TOML error): as written.
            self.say(warnings.join("\n"));
        }
        let weak = Rc::downgrade(self);
        macro_rules! on {
            ($setter:ident, |$k:ident $(, $arg:ident)*| $body:expr) => {{
                let w = weak.clone();
                g.$setter(move |$($arg),*| {
                    if let Some($k) = w.upgrade() {
                        $k.touched();
                        $body
                    }
                });
            }};
        }
        on!(on_back, |k| k.back());
        on!(on_dismiss_message, |k| k
            .g()
            .set_message(SharedString::new()));
        on!(on_key, |k, key| k.key(&key));
        on!(on_pick_field, |k, f| k.pick_field(f));
        on!(on_set_language, |k, l| k
            .set_language(super::language::from_ui(l)));
        Home::wire(self);
        Capture::wire(self);
        Ct::wire(self);
        History::wire(self);
        Admin::wire(self);
        Visit::wire(self);
        Session::wire(self);
        Nurses::wire(self);
    }

    /// Applies every message the workers have sent. Runs on the UI thread.
    pub fn pump(&self) {
        while let Ok(msg) = self.rx.try_recv() {
            // What the home screen's status line is made of.
            let status = matches!(
                msg,
                Msg::Infer(InferEvent::Ready(_) | InferEvent::Failed(_))
                    | Msg::Camera(CameraMsg::Status { .. })
                    | Msg::Serial(SerialEvent::Status { .. })
            );
            match msg {
                Msg::Infer(e) => self.on_infer(e),
                Msg::Camera(m) => self.capture.on_camera(self, m),
                Msg::Checked { folder, checked } => self.ct.on_checked(self, &folder, checked),
                Msg::Store(e) => self.on_store(e),
                Msg::Serial(e) => self.on_serial(e),
                Msg::Sticks => self.on_sticks(),
                Msg::Apply(apply) => apply(self),
            }
            if status {
                self.refresh_status();
            }
        }
    }

    /// Runs `work` on a short-lived thread named `name` (argon2, decoding, a
    /// PNG encode), then `apply` with its result on the UI thread. `Err` when
    /// no thread could be started: the caller says so on its screen.
    pub(super) fn background<T: Send + 'static>(
        &self,
        name: &str,
        work: impl FnOnce() -> T + Send + 'static,
        apply: impl FnOnce(&Kiosk, T) + Send + 'static,
    ) -> std::io::Result<()> {
        let post = forward(&self.tx, &self.waker, Msg::Apply);
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let out = work();
                post(Box::new(move |k: &Kiosk| apply(k, out)));
            })
            .map(drop)
            .inspect_err(|e| log::warn!("cannot start the {name} thread: {e}"))
    }

    /// Starts the screening engine again (new device or gate margins);
    /// nothing waiting for the old one is answered.
    pub(super) fn restart_inference(&self) {
        self.state.borrow_mut().pending.clear();
        self.home.engine_restarting(self);
        let settings = self.settings.borrow().clone();
        *self.inference.borrow_mut() = Self::start_inference(&settings, &self.tx, &self.waker);
    }

    pub(super) fn restart_serial(&self, settings: &Settings) {
        *self.serial.borrow_mut() = Self::start_serial(settings, &self.tx, &self.waker);
        self.home.forget_devices();
        self.home.refresh_devices(self);
        self.refresh_status();
        self.refresh_slip_format();
    }

    fn on_infer(&self, e: InferEvent) {
        match e {
            InferEvent::Ready(r) => self.home.engine_ready(self, r),
            InferEvent::Failed(reason) => self.home.engine_failed(self, &reason),
            InferEvent::Done {
                id,
                result,
                decoded,
                file,
            } => {
                let result = result.map(|a| *a);
                let pending = {
                    let mut st = self.state.borrow_mut();
                    st.liveness.finished(id);
                    st.pending.remove(&id)
                };
                match pending {
                    Some(Pending::Still { tapped }) => {
                        self.capture.decoded(self, decoded, file);
                        self.capture.record_still(self, result, tapped);
                    }
                    Some(Pending::Slice(i)) => {
                        self.ct.thumb_if_missing(i, decoded.as_deref());
                        self.ct.record_slice(self, i, result, file)
                    }
                    None => log::warn!("result {id} arrived for nothing pending"),
                }
            }
        }
    }

    pub(super) fn select_tool(&self, id: &str) {
        // Screening needs a signed-in nurse.
        if !self.signin.ready(self, After::Tool(id.to_string())) {
            return;
        }
        if let Some(why) = self.home.refusal(id) {
            return self.say_words(why);
        }
        let Some(tool) = self.catalog.tool(id).ok().cloned() else {
            let id = id.to_string();
            return self.say_in(move |l| trf(l, "Unknown tool {}", &[&id]));
        };
        // Every result belongs to a patient: ask who first.
        if self.visit.id().is_none() {
            self.visit.set_next_tool(Some(tool.id.clone()));
            return self.visit.open_start(self, None);
        }
        // Its parts now belong to the visit, screened or not.
        self.visit.open_tool(&tool);
        self.capture.open(self, tool);
    }

    pub(super) fn back(&self) {
        let g = self.g();
        let (single, field) = (self.ct.single(), self.state.borrow().typing);
        let to = match g.get_screen() {
            Screen::Review if self.capture.review_imported(self) => Screen::CtImport,
            Screen::Review => Screen::Capture,
            Screen::CtImport if single => Screen::Capture,
            Screen::VisitDetail => Screen::History,
            Screen::Admin if field == TypingField::Operator => {
                self.pick_field(TypingField::None);
                Screen::Admin
            }
            Screen::Admin | Screen::AdminPin => {
                self.admin.close();
                Screen::Home
            }
            Screen::VisitStart => {
                self.visit.set_next_tool(None);
                Screen::Home
            }
            _ => Screen::Home,
        };
        g.set_busy(false);
        self.show(to);
    }

    /// "Another tool": back home, in the same visit.
    pub(super) fn another_tool(&self) {
        self.capture.close(self, false);
        self.ct.reset();
        self.visit.refresh_line(self);
        self.show(Screen::Home);
    }

    pub(super) fn next_patient(&self) {
        self.capture.close(self, true);
        self.ct.reset();
        self.visit.reset();
        let g = self.g();
        g.set_in_visit(false);
        super::controllers::visit::page(self).set_print_status(SharedString::new());
        g.set_busy(false);
        self.show(Screen::Home);
    }

    pub(super) fn submit(&self, input: Input, pending: Pending) -> bool {
        let Some(tool) = self.capture.tool_id() else {
            return false;
        };
        let id = {
            let mut st = self.state.borrow_mut();
            let id = st.next_req();
            st.pending.insert(id, pending);
            st.liveness.started(id, n_("an analysis"), Instant::now());
            id
        };
        if !self
            .inference
            .borrow()
            .submit(Job::Analyze { id, tool, input })
        {
            {
                let mut st = self.state.borrow_mut();
                st.pending.remove(&id);
                st.liveness.finished(id);
            }
            self.say_in(|l| tr(l, "The screening engine has stopped; restart the kiosk."));
            return false;
        }
        true
    }
}
