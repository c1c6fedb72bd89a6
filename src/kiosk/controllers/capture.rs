//! Capture, review and result: the tool in use, the camera's preview and
//! still, the eye being screened, Analyse, and the outcome on screen. Saving
//! a result before it is shown is `result`. Its Slint global is
//! `CapturePage`.

use super::on;
use crate::camera::CameraStatus;
use crate::catalog::Manifest;
use crate::frame::RgbFrame;
use crate::i18n::{tr, Lang};
use crate::kiosk::app::Kiosk;
use crate::kiosk::inference::Input;
use crate::kiosk::preview::{self, CameraMsg};
use crate::kiosk::state::Pending;
use crate::kiosk::ui::{self, CapturePage, Screen};
use crate::quality::ImageKind;
use crate::records::Eye;
use crate::screening::flow::{Attempts, ResultView};
use crate::screening::words;
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

/// The tool in use and the picture being looked at.
pub(super) struct CaptureState {
    pub tool: Option<Manifest>,
    pub attempts: Attempts,
    pub still: Option<Arc<RgbFrame>>,
    /// Where the picture on the review screen came from ("camera" or "import:<name>").
    pub still_source: String,
    /// The picture's file as the register keeps it, bytes and extension:
    /// an imported picture's original file, or the camera's own JPEG.
    pub still_file: Option<(Vec<u8>, String)>,
    /// An uncompressed camera still, already encoded losslessly for the
    /// register while the nurse reviews it (see `encode_still`).
    pub still_lossless: Option<(Vec<u8>, String)>,
    /// Milliseconds from the Analyse tap to the result on screen, latest first.
    pub latencies_ms: Vec<f64>,
    /// What the result screen shows (see `result`).
    pub outcome: Option<super::result::Outcome>,
    /// What the camera last said (`None`: nothing yet), and the picker's names.
    pub camera: Option<CameraStatus>,
    pub cameras: Vec<String>,
}

/// The capture screens' controller.
pub struct Capture {
    pub(super) state: RefCell<CaptureState>,
    /// Preview frames applied to the screen so far.
    previews: Cell<u64>,
}

pub(crate) fn page(k: &Kiosk) -> CapturePage<'_> {
    k.window().global::<CapturePage>()
}

impl Capture {
    pub fn new(max_attempts: u32) -> Capture {
        Capture {
            state: RefCell::new(CaptureState {
                tool: None,
                attempts: Attempts::new(max_attempts),
                still: None,
                still_source: String::new(),
                still_file: None,
                still_lossless: None,
                latencies_ms: Vec::new(),
                outcome: None,
                camera: None,
                cameras: Vec::new(),
            }),
            previews: Cell::new(0),
        }
    }

    /// Wires the `CapturePage` global's callbacks.
    pub fn wire(k: &Rc<Kiosk>) {
        let p = page(k);
        on!(k, p, on_capture, |k| k.camera.borrow().capture());
        on!(k, p, on_retake, |k| k.capture.retake(&k));
        on!(k, p, on_analyse, |k| k.capture.analyse(&k));
        on!(k, p, on_import_image, |k| k.ct.open_import(&k, true));
        on!(k, p, on_pick_camera, |k, i| k
            .camera
            .borrow()
            .switch(i.max(0) as usize));
        on!(k, p, on_pick_eye, |k, left| k.capture.pick_eye(&k, left));
        on!(k, p, on_other_eye, |k| k.capture.other_eye(&k));
    }

    /// The screen before the camera has said anything.
    pub fn init(&self, k: &Kiosk) {
        let p = page(k);
        self.show_camera(k);
        p.set_camera_connected(false);
        p.set_max_attempts(self.state.borrow().attempts.max() as i32);
    }

    pub fn previews_shown(&self) -> u64 {
        self.previews.get()
    }

    /// No preview on screen (the camera rests): the capture screen never
    /// comes back showing an old picture.
    pub fn clear_preview(&self, k: &Kiosk) {
        let p = page(k);
        p.set_preview(Default::default());
        p.set_preview_fps(SharedString::new());
    }

    pub fn latencies_ms(&self) -> Vec<f64> {
        self.state.borrow().latencies_ms.clone()
    }

    /// The tool in use, if any.
    pub fn tool_id(&self) -> Option<String> {
        self.state.borrow().tool.as_ref().map(|t| t.id.clone())
    }

    pub fn tool(&self) -> Option<Manifest> {
        self.state.borrow().tool.clone()
    }

    /// A tool opened on the capture screen (or the CT import): fresh
    /// attempts, no picture yet.
    pub fn open(&self, k: &Kiosk, tool: Manifest) {
        let p = page(k);
        p.set_tool_id(tool.id.clone().into());
        show_tool(k, &tool);
        let is_ct = tool.image_kind == ImageKind::CtSlice;
        {
            let mut st = self.state.borrow_mut();
            st.attempts.reset();
            st.tool = Some(tool);
            st.still = None;
        }
        self.show_eye(k);
        p.set_attempt(1);
        if is_ct {
            k.ct.open_import(k, false);
        } else {
            k.show(Screen::Capture);
        }
    }

    /// The screens' texts again in the screen's language: the tool's words,
    /// the result on screen, the eye, the camera's state.
    pub fn reword(&self, k: &Kiosk) {
        if let Some(tool) = self.tool() {
            show_tool(k, &tool);
        }
        self.reword_result(k);
        self.show_eye(k);
        self.show_camera(k);
    }

    /// The camera's state in words, in `lang` (the status line's details).
    pub fn camera_text(&self, lang: Lang) -> String {
        preview::status_words(self.state.borrow().camera.as_ref(), lang)
    }

    /// The camera's state and the picker's names, in the screen's language.
    fn show_camera(&self, k: &Kiosk) {
        let lang = k.lang();
        let p = page(k);
        p.set_status_camera(self.camera_text(lang).into());
        let names: Vec<SharedString> = self
            .state
            .borrow()
            .cameras
            .iter()
            .map(|n| preview::camera_name(n, lang).into())
            .collect();
        p.set_cameras(ModelRc::new(VecModel::from(names)));
    }

    /// No tool in use (another tool, or the next patient).
    pub fn close(&self, k: &Kiosk, patient_done: bool) {
        {
            let mut st = self.state.borrow_mut();
            st.tool = None;
            st.still = None;
            if patient_done {
                st.attempts.reset();
                st.still_file = None;
            }
        }
        if patient_done {
            page(k).set_attempt(1);
        }
    }

    /// What the camera worker said.
    pub fn on_camera(&self, k: &Kiosk, m: CameraMsg) {
        let p = page(k);
        match m {
            CameraMsg::Status {
                status,
                cameras,
                index,
            } => {
                p.set_camera_connected(matches!(status, CameraStatus::Connected(_)));
                {
                    let mut st = self.state.borrow_mut();
                    st.camera = Some(status);
                    st.cameras = cameras;
                }
                self.show_camera(k);
                p.set_camera_index(index as i32);
            }
            CameraMsg::Preview { buffer, fps } => {
                if k.g().get_screen() == Screen::Capture {
                    self.previews.set(self.previews.get() + 1);
                    p.set_preview(ui::image(buffer));
                    p.set_preview_fps(if fps > 0.0 {
                        format!("{fps:.0} fps").into()
                    } else {
                        SharedString::new()
                    });
                }
            }
            CameraMsg::Still { frame, jpeg } => {
                if k.g().get_screen() != Screen::Capture {
                    return;
                }
                self.show_still(k, &frame);
                let raw = jpeg.is_none();
                {
                    let mut st = self.state.borrow_mut();
                    st.still = Some(frame.clone());
                    st.still_source = "camera".into();
                    // The camera's JPEG is the record's picture, as it came
                    // (`frame` is its decode); otherwise a lossless file.
                    st.still_file = jpeg.map(|j| (j, "jpg".to_string()));
                    st.still_lossless = None;
                }
                if raw {
                    encode_still(k, frame);
                }
                p.set_review_imported(false);
                k.show(Screen::Review);
            }
            CameraMsg::Error(problem) => k.say_in(move |l| problem.in_lang(l)),
        }
    }

    /// The uncompressed camera still, encoded losslessly, arrived: kept if
    /// it is still the one on screen.
    pub fn still_encoded(&self, still: Arc<RgbFrame>, file: (Vec<u8>, String)) {
        let mut st = self.state.borrow_mut();
        if st.still.as_ref().is_some_and(|s| Arc::ptr_eq(s, &still)) {
            st.still_lossless = Some(file);
        }
    }

    /// An imported picture to review as if it were captured.
    pub fn imported(&self, k: &Kiosk, frame: Arc<RgbFrame>, name: &str, file: (Vec<u8>, String)) {
        self.show_still(k, &frame);
        {
            let mut st = self.state.borrow_mut();
            st.still = Some(frame);
            st.still_source = format!("import:{name}");
            st.still_file = Some(file);
            st.still_lossless = None;
        }
        page(k).set_review_imported(true);
        k.show(Screen::Review);
    }

    /// The picture the engine decoded (an import) replaces the one shown.
    pub fn decoded(
        &self,
        k: &Kiosk,
        frame: Option<Arc<RgbFrame>>,
        file: Option<(Vec<u8>, String)>,
    ) {
        if let Some(f) = frame {
            self.show_still(k, &f);
            self.state.borrow_mut().still = Some(f);
        }
        if file.is_some() {
            self.state.borrow_mut().still_file = file;
        }
    }

    fn show_still(&self, k: &Kiosk, f: &RgbFrame) {
        page(k).set_still(ui::image(ui::display_buffer(f, ui::DISPLAY_MAX)));
    }

    /// Whether the review screen shows an imported picture.
    pub fn review_imported(&self, k: &Kiosk) -> bool {
        page(k).get_review_imported()
    }

    fn retake(&self, k: &Kiosk) {
        if page(k).get_review_imported() {
            // "Choose another": back to the pictures on the stick.
            self.state.borrow_mut().still = None;
            return k.show(Screen::CtImport);
        }
        let attempt = {
            let mut st = self.state.borrow_mut();
            st.still = None;
            st.attempts.current()
        };
        // The review screen then says "Attempt 2 of 3".
        page(k).set_attempt(attempt as i32);
        k.show(Screen::Capture);
    }

    fn analyse(&self, k: &Kiosk) {
        let g = k.g();
        if g.get_busy() {
            return;
        }
        let Some(still) = self.state.borrow().still.clone() else {
            return k.say_in(|l| tr(l, "No picture to analyse — capture one first."));
        };
        if k.submit(
            Input::Frame(still),
            Pending::Still {
                tapped: Instant::now(),
            },
        ) {
            g.set_busy_text(tr(k.lang(), "Analysing…").into());
            g.set_busy(true);
        }
    }

    pub fn apply_view(&self, k: &Kiosk, v: &ResultView, attempt: u32) {
        let p = page(k);
        p.set_outcome(ui::outcome_kind(v.kind));
        p.set_headline(v.headline.clone().into());
        p.set_advice(v.advice.clone().into());
        p.set_show_confidence(v.confidence.is_some());
        p.set_confidence(v.confidence.unwrap_or(0.0));
        p.set_trace(v.trace.clone().into());
        p.set_attempt(attempt.saturating_sub(1).max(1) as i32);
        k.g().set_busy(false);
        k.show(Screen::Result);
    }

    fn pick_eye(&self, k: &Kiosk, left: bool) {
        if k.visit.eye().is_some() {
            k.visit
                .set_eye(Some(if left { Eye::Left } else { Eye::Right }));
            self.show_eye(k);
        }
    }

    /// The eye choice and "Now the left eye" on screen.
    pub fn show_eye(&self, k: &Kiosk) {
        let p = page(k);
        let eye = k.visit.eye();
        p.set_tool_has_eyes(eye.is_some());
        p.set_eye_left(eye == Some(Eye::Left));
        let next = self
            .tool_id()
            .filter(|_| eye.is_some())
            .and_then(|t| k.visit.next_eye(&t))
            .filter(|n| Some(*n) != eye);
        p.set_next_eye_pending(next.is_some());
        p.set_next_eye_label(
            next.map(|e| words::eye_label(e, k.lang()))
                .unwrap_or_default()
                .into(),
        );
    }

    /// "Now the left eye": same tool, the other eye, fresh attempts.
    fn other_eye(&self, k: &Kiosk) {
        let next = self.tool_id().and_then(|t| k.visit.next_eye(&t));
        k.visit.set_eye(next.or(k.visit.eye()));
        {
            let mut st = self.state.borrow_mut();
            st.attempts.reset();
            st.still = None;
        }
        self.show_eye(k);
        page(k).set_attempt(1);
        k.show(Screen::Capture);
    }
}

/// Encodes an uncompressed camera still losslessly on a worker thread, for
/// its record (a camera's JPEG is kept as it came instead).
fn encode_still(k: &Kiosk, frame: Arc<RgbFrame>) {
    let _ = k.background(
        "still-encode",
        move || (crate::records::encode_lossless(&frame), frame),
        |k, (file, still)| match file {
            Ok((bytes, ext)) => k.capture.still_encoded(still, (bytes, ext.to_string())),
            // The save then encodes the frame itself, and reports any error.
            Err(e) => log::warn!("cannot encode the still ahead of saving: {e}"),
        },
    );
}

/// The tool's name, framing hint and picture kind, in the screen's language.
fn show_tool(k: &Kiosk, tool: &Manifest) {
    let (p, lang) = (page(k), k.lang());
    p.set_tool_name(tr(lang, &tool.name).into());
    p.set_tool_hint(tr(lang, &tool.framing_hint).into());
    p.set_tool_kind(tr(lang, tool.image_kind.label()).into());
}
