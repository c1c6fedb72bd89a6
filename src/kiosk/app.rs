//! The kiosk controller: owns the screen state on the UI thread, forwards the
//! nurse's taps to the workers, and applies what the workers send back.
//!
//! Workers never touch the UI: they put messages on a channel and wake the UI
//! thread (`slint::invoke_from_event_loop` in the app), which drains the
//! channel in [`Kiosk::pump`]. Tests call `pump` themselves.

use super::flow::{self, Attempts, ResultView};
use super::inference::{Event as InferEvent, InferenceWorker, Input, Job};
use super::preview::{CameraLink, CameraMsg};
use super::ui::{self, AppWindow, Kiosk as Global, Screen, SliceCard, ToolCard};
use crate::analysis::Analysis;
use crate::catalog::{Catalog, Manifest};
use crate::frame::RgbFrame;
use crate::import;
use crate::quality::ImageKind;
use crate::settings::Settings;
use slint::{ComponentHandle, ModelRc, Rgb8Pixel, SharedPixelBuffer, SharedString, VecModel};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Instant;

/// Everything that reaches the UI thread from elsewhere.
pub enum Msg {
    Infer(InferEvent),
    Camera(CameraMsg),
    Thumbs {
        folder: PathBuf,
        thumbs: Vec<(usize, SharedPixelBuffer<Rgb8Pixel>)>,
    },
}

/// How a worker wakes the UI thread after sending a message.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// What is waiting for the inference worker.
enum Pending {
    /// The picture on the review screen (camera still or a single import).
    Still { tapped: Instant },
    /// Slice `i` of a CT study.
    Slice(usize),
}

#[derive(Default)]
struct CtState {
    folder: PathBuf,
    entries: Vec<import::SliceEntry>,
    selected: Vec<bool>,
    thumbs: Vec<Option<SharedPixelBuffer<Rgb8Pixel>>>,
    results: Vec<Option<Result<Analysis, String>>>,
    outstanding: usize,
    single: bool,
}

struct State {
    catalog: Catalog,
    tool: Option<Manifest>,
    attempts: Attempts,
    still: Option<Arc<RgbFrame>>,
    next_id: u64,
    pending: BTreeMap<u64, Pending>,
    ready: bool,
    unavailable: BTreeMap<String, String>,
    ct: CtState,
    import_paths: Vec<PathBuf>,
    /// Milliseconds from the Analyse tap to the result on screen, latest first.
    latencies_ms: Vec<f64>,
}

/// The running kiosk: the window, the workers and the state.
pub struct Kiosk {
    window: AppWindow,
    state: RefCell<State>,
    tx: mpsc::Sender<Msg>,
    rx: mpsc::Receiver<Msg>,
    waker: Waker,
    inference: InferenceWorker,
    camera: CameraLink,
    previews: std::cell::Cell<u64>,
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
        let (itx, iw) = (tx.clone(), waker.clone());
        let inference = InferenceWorker::start(settings.clone(), move |e| {
            let _ = itx.send(Msg::Infer(e));
            iw();
        });
        let (ctx, cw) = (tx.clone(), waker.clone());
        let camera = CameraLink::start(&settings.camera, move |m| {
            let _ = ctx.send(Msg::Camera(m));
            cw();
        });
        let kiosk = Rc::new(Kiosk {
            window,
            state: RefCell::new(State {
                catalog,
                tool: None,
                attempts: Attempts::new(settings.max_attempts),
                still: None,
                next_id: 1,
                pending: BTreeMap::new(),
                ready: false,
                unavailable: BTreeMap::new(),
                ct: CtState::default(),
                import_paths: settings.import_paths.clone(),
                latencies_ms: Vec::new(),
            }),
            tx,
            rx,
            waker,
            inference,
            camera,
            previews: std::cell::Cell::new(0),
        });
        kiosk.init();
        Ok(kiosk)
    }

    pub fn window(&self) -> &AppWindow {
        &self.window
    }

    fn g(&self) -> Global<'_> {
        self.window.global::<Global>()
    }

    /// Preview frames applied to the screen so far.
    pub fn previews_shown(&self) -> u64 {
        self.previews.get()
    }

    /// Latest Analyse-tap-to-result latencies, in milliseconds.
    pub fn latencies_ms(&self) -> Vec<f64> {
        self.state.borrow().latencies_ms.clone()
    }

    /// Whether the models have loaded.
    pub fn is_ready(&self) -> bool {
        self.state.borrow().ready
    }

    fn init(self: &Rc<Self>) {
        let g = self.g();
        g.set_ready(false);
        g.set_status_models("Getting ready — loading the screening models…".into());
        g.set_status_device("starting".into());
        g.set_status_camera("Camera: starting…".into());
        g.set_camera_connected(false);
        g.set_max_attempts(self.state.borrow().attempts.max() as i32);
        g.set_message(SharedString::new());
        g.set_screen(Screen::Home);
        self.refresh_tools();
        let weak = Rc::downgrade(self);
        macro_rules! on {
            ($setter:ident, |$k:ident $(, $arg:ident)*| $body:expr) => {{
                let w = weak.clone();
                g.$setter(move |$($arg),*| {
                    if let Some($k) = w.upgrade() {
                        $body
                    }
                });
            }};
        }
        on!(on_select_tool, |k, id| k.select_tool(&id));
        on!(on_back, |k| k.back());
        on!(on_capture, |k| k.camera.capture());
        on!(on_retake, |k| k.retake());
        on!(on_analyse, |k| k.analyse());
        on!(on_next_patient, |k| k.next_patient());
        on!(on_import_image, |k| k.open_import(true));
        on!(on_pick_camera, |k, i| k.camera.switch(i.max(0) as usize));
        on!(on_open_folder, |k, p| k.open_folder(Path::new(p.as_str())));
        on!(on_toggle_slice, |k, i| k.toggle_slice(i.max(0) as usize));
        on!(on_analyse_slices, |k| k.analyse_slices());
        on!(on_dismiss_message, |k| k
            .g()
            .set_message(SharedString::new()));
    }

    /// Applies every message the workers have sent. Runs on the UI thread.
    pub fn pump(&self) {
        while let Ok(msg) = self.rx.try_recv() {
            match msg {
                Msg::Infer(e) => self.on_infer(e),
                Msg::Camera(m) => self.on_camera(m),
                Msg::Thumbs { folder, thumbs } => self.on_thumbs(&folder, thumbs),
            }
        }
    }

    fn say(&self, text: impl Into<SharedString>) {
        let text = text.into();
        log::warn!("{text}");
        self.g().set_message(text);
    }

    fn refresh_tools(&self) {
        let st = self.state.borrow();
        let mut groups: Vec<(String, Vec<ToolCard>)> = Vec::new();
        for t in st.catalog.tools() {
            let card = ui::tool_card(t, st.unavailable.get(&t.id), st.ready);
            match groups.iter_mut().find(|(g, _)| *g == t.group) {
                Some((_, v)) => v.push(card),
                None => groups.push((t.group.clone(), vec![card])),
            }
        }
        let names: Vec<SharedString> = groups.iter().map(|(g, _)| g.into()).collect();
        let cards: Vec<ModelRc<ToolCard>> = groups
            .into_iter()
            .map(|(_, v)| ModelRc::new(VecModel::from(v)))
            .collect();
        self.g().set_groups(ModelRc::new(VecModel::from(names)));
        self.g().set_tools(ModelRc::new(VecModel::from(cards)));
    }

    fn on_infer(&self, e: InferEvent) {
        match e {
            InferEvent::Ready(r) => {
                {
                    let mut st = self.state.borrow_mut();
                    st.ready = true;
                    st.unavailable = r.unavailable.clone();
                }
                let n = self.state.borrow().catalog.tools().len();
                let ok = n - r.unavailable.len();
                let g = self.g();
                g.set_ready(true);
                g.set_status_models(format!("{ok} of {n} tools ready").into());
                g.set_status_device(format!("{} (f32)", r.device).into());
                if let Some(note) = r.device_note {
                    self.say(note);
                }
                for (tool, reason) in &r.unavailable {
                    log::error!("{tool} unavailable: {reason}");
                }
                self.refresh_tools();
            }
            InferEvent::Failed(reason) => {
                // Every tool is unavailable, and the screen says what to install.
                {
                    let mut st = self.state.borrow_mut();
                    st.ready = true;
                    let ids: Vec<String> =
                        st.catalog.tools().iter().map(|t| t.id.clone()).collect();
                    st.unavailable = ids
                        .into_iter()
                        .map(|id| (id, "screening engine not running".into()))
                        .collect();
                }
                let g = self.g();
                g.set_ready(true);
                g.set_status_models("Screening engine not running".into());
                g.set_status_device("none".into());
                self.refresh_tools();
                self.say(format!("The screening engine could not start: {reason}"));
            }
            InferEvent::Done {
                id,
                result,
                decoded,
            } => {
                let result = result.map(|a| *a);
                let pending = self.state.borrow_mut().pending.remove(&id);
                match pending {
                    Some(Pending::Still { tapped }) => {
                        if let Some(f) = decoded {
                            self.show_still(&f);
                            self.state.borrow_mut().still = Some(f);
                        }
                        self.show_result(result);
                        let ms = tapped.elapsed().as_secs_f64() * 1000.0;
                        self.state.borrow_mut().latencies_ms.push(ms);
                        log::info!("analyse tap to result on screen: {ms:.1} ms");
                    }
                    Some(Pending::Slice(i)) => self.slice_done(i, result),
                    None => log::warn!("result {id} arrived for nothing pending"),
                }
            }
        }
    }

    fn on_camera(&self, m: CameraMsg) {
        let g = self.g();
        match m {
            CameraMsg::Status {
                connected,
                text,
                cameras,
                index,
            } => {
                g.set_camera_connected(connected);
                g.set_status_camera(text.into());
                let names: Vec<SharedString> = cameras.into_iter().map(Into::into).collect();
                g.set_cameras(ModelRc::new(VecModel::from(names)));
                g.set_camera_index(index as i32);
            }
            CameraMsg::Preview { buffer, fps } => {
                if g.get_screen() == Screen::Capture {
                    self.previews.set(self.previews.get() + 1);
                    g.set_preview(ui::image(buffer));
                    g.set_preview_fps(if fps > 0.0 {
                        format!("{fps:.0} fps").into()
                    } else {
                        SharedString::new()
                    });
                }
            }
            CameraMsg::Still(frame) => {
                if g.get_screen() != Screen::Capture {
                    return;
                }
                self.show_still(&frame);
                self.state.borrow_mut().still = Some(frame);
                g.set_screen(Screen::Review);
            }
            CameraMsg::Error(text) => self.say(text),
        }
    }

    fn show_still(&self, f: &RgbFrame) {
        self.g()
            .set_still(ui::image(ui::display_buffer(f, ui::DISPLAY_MAX)));
    }

    fn select_tool(&self, id: &str) {
        let tool = {
            let st = self.state.borrow();
            if !st.ready {
                drop(st);
                return self.say("Getting ready — the screening models are still loading.");
            }
            if let Some(reason) = st.unavailable.get(id) {
                let text = format!("This tool is unavailable: {reason}");
                drop(st);
                return self.say(text);
            }
            st.catalog.tool(id).ok().cloned()
        };
        let Some(tool) = tool else {
            return self.say(format!("Unknown tool {id}"));
        };
        let g = self.g();
        g.set_tool_id(tool.id.clone().into());
        g.set_tool_name(tool.name.clone().into());
        g.set_tool_hint(tool.framing_hint.clone().into());
        g.set_tool_kind(tool.image_kind.label().into());
        let is_ct = tool.image_kind == ImageKind::CtSlice;
        {
            let mut st = self.state.borrow_mut();
            st.attempts.reset();
            st.tool = Some(tool);
            st.still = None;
        }
        g.set_attempt(1);
        if is_ct {
            self.open_import(false);
        } else {
            g.set_screen(Screen::Capture);
        }
    }

    fn back(&self) {
        let g = self.g();
        let single = self.state.borrow().ct.single;
        let to = match g.get_screen() {
            Screen::Review => Screen::Capture,
            Screen::CtImport if single => Screen::Capture,
            _ => Screen::Home,
        };
        g.set_busy(false);
        g.set_screen(to);
    }

    fn retake(&self) {
        let attempt = {
            let mut st = self.state.borrow_mut();
            st.still = None;
            st.attempts.current()
        };
        // The review screen then says "Attempt 2 of 3".
        self.g().set_attempt(attempt as i32);
        self.g().set_screen(Screen::Capture);
    }

    fn next_patient(&self) {
        {
            let mut st = self.state.borrow_mut();
            st.attempts.reset();
            st.tool = None;
            st.still = None;
            st.ct = CtState::default();
        }
        let g = self.g();
        g.set_busy(false);
        g.set_attempt(1);
        g.set_screen(Screen::Home);
    }

    fn submit(&self, input: Input, pending: Pending) -> bool {
        let (id, tool) = {
            let mut st = self.state.borrow_mut();
            let Some(tool) = st.tool.as_ref().map(|t| t.id.clone()) else {
                return false;
            };
            let id = st.next_id;
            st.next_id += 1;
            st.pending.insert(id, pending);
            (id, tool)
        };
        if !self.inference.submit(Job::Analyze { id, tool, input }) {
            self.state.borrow_mut().pending.remove(&id);
            self.say("The screening engine has stopped; restart the kiosk.");
            return false;
        }
        true
    }

    fn analyse(&self) {
        let g = self.g();
        if g.get_busy() {
            return;
        }
        let Some(still) = self.state.borrow().still.clone() else {
            return self.say("No picture to analyse — capture one first.");
        };
        if self.submit(
            Input::Frame(still),
            Pending::Still {
                tapped: Instant::now(),
            },
        ) {
            g.set_busy_text("Analysing…".into());
            g.set_busy(true);
        }
    }

    fn show_result(&self, result: Result<Analysis, String>) {
        let view = match &result {
            Ok(a) => self.state.borrow_mut().attempts.record(a),
            Err(e) => flow::error_view(e),
        };
        let attempt = self.state.borrow().attempts.current();
        self.apply_view(&view, attempt);
    }

    fn apply_view(&self, v: &ResultView, attempt: u32) {
        let g = self.g();
        g.set_outcome(ui::outcome_kind(v.kind));
        g.set_headline(v.headline.clone().into());
        g.set_advice(v.advice.clone().into());
        g.set_show_confidence(v.confidence.is_some());
        g.set_confidence(v.confidence.unwrap_or(0.0));
        g.set_trace(v.trace.clone().into());
        g.set_attempt(attempt.saturating_sub(1).max(1) as i32);
        g.set_busy(false);
        g.set_screen(Screen::Result);
    }

    fn open_import(&self, single: bool) {
        let roots = import::import_roots(&self.state.borrow().import_paths);
        self.state.borrow_mut().ct.single = single;
        let g = self.g();
        g.set_ct_single(single);
        let names: Vec<SharedString> = roots
            .iter()
            .map(|p| p.display().to_string().into())
            .collect();
        g.set_ct_roots(ModelRc::new(VecModel::from(names)));
        g.set_screen(Screen::CtImport);
        match roots.first() {
            Some(r) => self.open_folder(r),
            None => {
                g.set_ct_folder(SharedString::new());
                g.set_ct_slices(ModelRc::new(VecModel::from(Vec::<SliceCard>::new())));
            }
        }
    }

    /// Lists a folder for import; thumbnails are made on a worker thread.
    pub fn open_folder(&self, dir: &Path) {
        let listing = match import::list_slices(dir) {
            Ok(l) => l,
            Err(e) => return self.say(format!("Cannot open {}: {e}", dir.display())),
        };
        let entries = listing.entries;
        let n = entries.len();
        {
            let mut st = self.state.borrow_mut();
            st.ct.folder = dir.to_path_buf();
            st.ct.selected = entries.iter().map(|e| !e.is_dir && !st.ct.single).collect();
            st.ct.thumbs = vec![None; n];
            st.ct.results = vec![None; n];
            st.ct.entries = entries.clone();
            st.ct.outstanding = 0;
        }
        self.g().set_ct_folder(dir.display().to_string().into());
        self.refresh_slices();
        let (tx, waker, folder) = (self.tx.clone(), self.waker.clone(), dir.to_path_buf());
        let spawned = std::thread::Builder::new()
            .name("thumbnails".into())
            .spawn(move || {
                let mut thumbs = Vec::new();
                for (i, e) in entries.iter().enumerate() {
                    if e.is_dir {
                        continue;
                    }
                    match import::thumbnail(&e.path, 160) {
                        Ok(t) => thumbs.push((i, ui::display_buffer(&t, (160, 160)))),
                        Err(err) => log::warn!("thumbnail {}: {err}", e.path.display()),
                    }
                }
                let _ = tx.send(Msg::Thumbs { folder, thumbs });
                waker();
            });
        if let Err(e) = spawned {
            log::warn!("no thumbnails: {e}");
        }
    }

    fn on_thumbs(&self, folder: &Path, thumbs: Vec<(usize, SharedPixelBuffer<Rgb8Pixel>)>) {
        {
            let mut st = self.state.borrow_mut();
            if st.ct.folder != folder {
                return;
            }
            for (i, t) in thumbs {
                if let Some(slot) = st.ct.thumbs.get_mut(i) {
                    *slot = Some(t);
                }
            }
        }
        self.refresh_slices();
    }

    fn refresh_slices(&self) {
        let st = self.state.borrow();
        let ct = &st.ct;
        let cards: Vec<SliceCard> = ct
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let (kind, outcome, done) = match ct.results.get(i).and_then(|r| r.as_ref()) {
                    Some(Ok(a)) => {
                        let v = flow::result_view(a);
                        (ui::outcome_kind(v.kind), v.headline, true)
                    }
                    Some(Err(err)) => (ui::OutcomeKind::Error, err.clone(), true),
                    None => (ui::OutcomeKind::Error, String::new(), false),
                };
                SliceCard {
                    name: e.name.clone().into(),
                    thumb: ct
                        .thumbs
                        .get(i)
                        .and_then(|t| t.clone())
                        .map(ui::image)
                        .unwrap_or_default(),
                    is_dir: e.is_dir,
                    selected: ct.selected.get(i).copied().unwrap_or(false),
                    done,
                    kind,
                    outcome: outcome.into(),
                }
            })
            .collect();
        let count = ct.selected.iter().filter(|s| **s).count();
        let g = self.g();
        g.set_ct_selected_count(count as i32);
        g.set_ct_slices(ModelRc::new(VecModel::from(cards)));
    }

    fn toggle_slice(&self, i: usize) {
        let (entry, single) = {
            let st = self.state.borrow();
            (st.ct.entries.get(i).cloned(), st.ct.single)
        };
        let Some(entry) = entry else { return };
        if entry.is_dir {
            return self.open_folder(&entry.path);
        }
        if single {
            // One imported picture: analyse it as if it were captured.
            if self.submit(
                Input::File(entry.path.clone()),
                Pending::Still {
                    tapped: Instant::now(),
                },
            ) {
                let g = self.g();
                g.set_busy_text("Analysing…".into());
                g.set_busy(true);
            }
            return;
        }
        {
            let mut st = self.state.borrow_mut();
            if let Some(s) = st.ct.selected.get_mut(i) {
                *s = !*s;
            }
        }
        self.refresh_slices();
    }

    fn analyse_slices(&self) {
        let g = self.g();
        if g.get_busy() {
            return;
        }
        let jobs: Vec<(usize, PathBuf)> = {
            let mut st = self.state.borrow_mut();
            let n = st.ct.entries.len();
            st.ct.results = vec![None; n];
            st.ct
                .entries
                .iter()
                .enumerate()
                .filter(|(i, e)| !e.is_dir && st.ct.selected.get(*i).copied().unwrap_or(false))
                .map(|(i, e)| (i, e.path.clone()))
                .collect()
        };
        if jobs.is_empty() {
            return self.say("Select the slices to analyse first.");
        }
        let total = jobs.len();
        let mut sent = 0;
        for (i, path) in jobs {
            if self.submit(Input::File(path), Pending::Slice(i)) {
                sent += 1;
            }
        }
        self.state.borrow_mut().ct.outstanding = sent;
        g.set_busy_text(format!("Analysing 0 of {total}…").into());
        g.set_busy(sent > 0);
    }

    fn slice_done(&self, i: usize, result: Result<Analysis, String>) {
        let (left, total) = {
            let mut st = self.state.borrow_mut();
            if let Some(slot) = st.ct.results.get_mut(i) {
                *slot = Some(result);
            }
            st.ct.outstanding = st.ct.outstanding.saturating_sub(1);
            let total = st.ct.results.iter().filter(|r| r.is_some()).count() + st.ct.outstanding;
            (st.ct.outstanding, total)
        };
        let g = self.g();
        g.set_busy_text(format!("Analysing {} of {total}…", total - left).into());
        if left > 0 {
            return;
        }
        let summary = {
            let st = self.state.borrow();
            let done: Vec<Result<Analysis, String>> =
                st.ct.results.iter().flatten().cloned().collect();
            import::summarise(&done)
        };
        // Only the analysed slices are listed on the summary screen.
        {
            let mut st = self.state.borrow_mut();
            let keep: Vec<bool> = st.ct.results.iter().map(|r| r.is_some()).collect();
            let ct = &mut st.ct;
            let mut k = keep.iter();
            ct.entries.retain(|_| *k.next().unwrap_or(&false));
            let mut k = keep.iter();
            ct.thumbs.retain(|_| *k.next().unwrap_or(&false));
            ct.results.retain(|r| r.is_some());
            ct.selected = vec![true; ct.entries.len()];
        }
        self.refresh_slices();
        g.set_ct_summary(summary.sentence.clone().into());
        let kind = match summary.verdict {
            import::StudyVerdict::Refer => flow::ViewKind::Refer,
            import::StudyVerdict::NoFinding => flow::ViewKind::Clear,
            import::StudyVerdict::CouldNotAssess | import::StudyVerdict::Empty => {
                flow::ViewKind::CouldNotAssess
            }
        };
        g.set_ct_outcome(ui::outcome_kind(kind));
        g.set_busy(false);
        g.set_screen(Screen::CtSummary);
    }
}
