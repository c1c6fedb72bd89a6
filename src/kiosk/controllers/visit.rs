//! The patient visit: who the patient is (typed on the keys or scanned), the
//! visit opened in the register, the line under the patient's ID, and what
//! the rest of the kiosk may ask of the visit in progress (its ID, the eye,
//! the parts screened). Finishing is `finish`, the slip's printing `print`.
//! Its Slint global is `VisitPage`.

use super::{id_char, on, type_key, MAX_TYPED};
use crate::catalog::{Coverage, Manifest};
use crate::i18n::{tr, trf, trn, Lang, Words};
use crate::kiosk::app::Kiosk;
use crate::kiosk::register::Watch;
use crate::kiosk::ui::{Screen, SexChoice, TypingField, VisitPage};
use crate::records::{Eye, NewVisit, Sex, VisitId};
use crate::screening::{self, words, Part, Screened};
use crate::serial::{scanner, PrintLine};
use slint::{ComponentHandle, SharedString};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// The visit in progress.
#[derive(Default)]
pub(super) struct VisitState {
    pub id: Option<VisitId>,
    pub patient_id: String,
    pub age: Option<u32>,
    pub sex: Option<Sex>,
    /// Local date and time it started, as the slip prints it.
    pub started: String,
    /// The visit's tools, results and marks: the screening core decides it.
    pub screened: screening::Visit,
    /// The eye being screened with the current tool.
    pub eye: Option<Eye>,
    /// The tool to open once the visit has started.
    pub next_tool: Option<String>,
    /// The slip as last built (summary screen), for printing, in the
    /// patient's language, and in English for the register.
    pub slip: Vec<PrintLine>,
    pub slip_en: Vec<PrintLine>,
    /// The patient's language: the slip's.
    pub language: Lang,
    /// What became of the slip (see `print`).
    pub print_status: Option<Words>,
}

/// The "finish anyway?" question: the parts left unfinished or marked.
#[derive(Default)]
pub(super) struct FinishState {
    pub rows: Vec<Part>,
    /// The row whose "cannot be screened" reasons are open.
    pub choosing: Option<usize>,
}

/// Everything the visit controller owns.
pub(super) struct VisitOwn {
    pub visit: VisitState,
    pub finish: FinishState,
    /// The patient ID and age as typed on the visit start screen.
    pub typed_id: String,
    pub typed_age: String,
    pub next_print: u64,
    /// Print jobs sent, with the visit and the slip's text.
    pub prints: BTreeMap<u64, (VisitId, String)>,
}

impl Default for VisitOwn {
    fn default() -> Self {
        VisitOwn {
            visit: VisitState::default(),
            finish: FinishState::default(),
            typed_id: String::new(),
            typed_age: String::new(),
            next_print: 1,
            prints: BTreeMap::new(),
        }
    }
}

/// The visit screens' controller.
#[derive(Default)]
pub struct Visit {
    pub(super) state: RefCell<VisitOwn>,
}

pub(crate) fn page(k: &Kiosk) -> VisitPage<'_> {
    k.window().global::<VisitPage>()
}

impl Visit {
    /// Wires the `VisitPage` global's callbacks (and the finish question's).
    pub fn wire(k: &Rc<Kiosk>) {
        let p = page(k);
        on!(k, p, on_start_visit_for, |k, id| k
            .visit
            .open_start(&k, Some(id.to_string())));
        on!(k, p, on_pick_sex, |k, s| page(&k).set_entry_sex(s));
        on!(k, p, on_pick_language, |k, l| k.visit.pick_language(&k, l));
        on!(k, p, on_start_visit, |k| k.visit.start(&k));
        on!(k, p, on_another_tool, |k| k.another_tool());
        on!(k, p, on_finish_visit, |k| k.visit.finish(&k));
        on!(k, p, on_print_slip, |k| k.visit.print_slip(&k));
        on!(k, p, on_next_patient, |k| k.next_patient());
        Self::wire_finish(k);
    }

    /// The "who is the patient" screen, optionally with a scanned ID.
    pub fn open_start(&self, k: &Kiosk, scanned: Option<String>) {
        if !k
            .signin
            .ready(k, super::signin::After::VisitStart(scanned.clone()))
        {
            return;
        }
        let (id, next_tool) = {
            let mut st = self.state.borrow_mut();
            st.typed_id = scanned.unwrap_or_default();
            st.typed_age.clear();
            // The patient's language starts as the screen's.
            st.visit.language = k.lang();
            page(k).set_entry_language(crate::kiosk::language::to_ui(k.lang()));
            (st.typed_id.clone(), st.visit.next_tool.clone())
        };
        k.pick_field(TypingField::PatientId);
        let p = page(k);
        p.set_entry_id(id.into());
        p.set_entry_age(SharedString::new());
        p.set_entry_sex(SexChoice::NotGiven);
        show_next_tool(k, next_tool);
        k.show(Screen::VisitStart);
    }

    /// The patient's language picked on the visit start screen.
    fn pick_language(&self, k: &Kiosk, l: crate::kiosk::ui::Language) {
        self.state.borrow_mut().visit.language = crate::kiosk::language::from_ui(l);
        page(k).set_entry_language(l);
    }

    /// One on-screen key typed into the patient ID or the age.
    pub fn key(&self, k: &Kiosk, field: TypingField, key: &str) {
        match field {
            TypingField::PatientId => {
                let id = {
                    let mut st = self.state.borrow_mut();
                    type_key(&mut st.typed_id, key, MAX_TYPED, id_char);
                    st.typed_id.clone()
                };
                page(k).set_entry_id(id.into());
            }
            TypingField::Age => {
                let age = {
                    let mut st = self.state.borrow_mut();
                    type_key(&mut st.typed_age, key, 3, |c| c.is_ascii_digit());
                    st.typed_age.clone()
                };
                page(k).set_entry_age(age.into());
                if key == "OK" {
                    k.pick_field(TypingField::PatientId);
                }
            }
            _ => {}
        }
    }

    /// A scanned patient ID on the visit start screen.
    pub fn scanned(&self, k: &Kiosk, id: String) {
        self.state.borrow_mut().typed_id = id.clone();
        page(k).set_entry_id(id.into());
    }

    /// The idle lock: nothing typed is left.
    pub fn forget_typed(&self, k: &Kiosk) {
        {
            let mut st = self.state.borrow_mut();
            st.typed_id.clear();
            st.typed_age.clear();
        }
        let p = page(k);
        p.set_entry_id(SharedString::new());
        p.set_entry_age(SharedString::new());
    }

    /// "Start screening": the visit is opened in the register first.
    fn start(&self, k: &Kiosk) {
        let (id, age) = {
            let st = self.state.borrow();
            (st.typed_id.clone(), st.typed_age.clone())
        };
        let patient_id = match scanner::patient_id(&id) {
            Ok(p) => p,
            Err(e) => {
                let e = e.to_string();
                return k.say_in(move |l| trf(l, "Check the patient ID: {}", &[&e]));
            }
        };
        let age = match age.trim() {
            "" => None,
            a => match a.parse::<u32>() {
                Ok(n) if n <= 130 => Some(n),
                _ => {
                    return k.say_in(|l| tr(l, "Check the age: it must be a number from 0 to 130."))
                }
            },
        };
        let sex = match page(k).get_entry_sex() {
            SexChoice::Female => Some(Sex::Female),
            SexChoice::Male => Some(Sex::Male),
            SexChoice::Other => Some(Sex::Other),
            SexChoice::NotGiven => None,
        };
        // The signed-in nurse screens (the idle lock may have signed her out).
        let Some(operator) = k.signin.nurse_name() else {
            k.signin.ready(k, super::signin::After::Home);
            return;
        };
        let visit = {
            let s = k.settings.borrow();
            NewVisit {
                kiosk_id: s.kiosk_id.clone(),
                operator,
                patient_id: patient_id.clone(),
                age,
                sex,
                language: self.state.borrow().visit.language,
            }
        };
        {
            let mut st = self.state.borrow_mut();
            st.visit.patient_id = patient_id;
            st.visit.age = age;
            st.visit.sex = sex;
        }
        k.register(
            Watch::Update,
            move |s| s.start_visit(&visit),
            |k, started| match started {
                Ok(id) => k.visit.started(k, id),
                Err(e) => {
                    k.register_fault(&e);
                    k.say_in(move |l| {
                        trf(
                            l,
                            "The visit could not be started, so nothing can be screened: {}",
                            &[&tr(l, &e)],
                        )
                    });
                }
            },
        );
    }

    /// The register opened the visit: screening can begin.
    fn started(&self, k: &Kiosk, id: VisitId) {
        let (next, patient) = {
            let mut st = self.state.borrow_mut();
            st.visit.id = Some(id);
            st.visit.started = chrono::Local::now().format("%Y-%m-%d %H:%M").to_string();
            (st.visit.next_tool.take(), st.visit.patient_id.clone())
        };
        k.g().set_in_visit(true);
        page(k).set_visit_patient(patient.into());
        self.refresh_line(k);
        match next {
            Some(tool) => k.select_tool(&tool),
            None => k.show(Screen::Home),
        }
    }

    /// "Age 54 · female · 2 results".
    pub fn refresh_line(&self, k: &Kiosk) {
        let line = {
            let st = self.state.borrow();
            let v = &st.visit;
            let lang = k.lang();
            let mut parts = Vec::new();
            if let Some(a) = v.age {
                parts.push(trf(lang, "Age {}", &[&a.to_string()]));
            }
            if let Some(s) = v.sex {
                parts.push(tr(lang, s.as_str()));
            }
            let n = v.screened.result_count();
            parts.push(match n {
                0 => tr(lang, "no results yet"),
                n => trn(lang, "{n} result", "{n} results", n as u64, &[]),
            });
            parts.join(" · ")
        };
        page(k).set_visit_detail_line(line.into());
    }

    /// The visit's texts again in the screen's language: its line, and the
    /// summary (with what became of the slip) and the finish question when
    /// they are showing.
    pub fn reword(&self, k: &Kiosk) {
        if k.g().get_screen() == Screen::VisitStart {
            let next = self.state.borrow().visit.next_tool.clone();
            show_next_tool(k, next);
        }
        if self.id().is_none() {
            return;
        }
        self.refresh_line(k);
        match k.g().get_screen() {
            Screen::VisitSummary => {
                self.show_summary(k);
                let status = self.state.borrow().visit.print_status.clone();
                self.show_print_status(k, status);
            }
            Screen::FinishCheck => self.refresh_finish_check(k),
            _ => {}
        }
    }

    /// The slip as last built, in the patient's language, and that language.
    pub fn patient_slip(&self) -> (Vec<PrintLine>, Lang) {
        let st = self.state.borrow();
        (st.visit.slip.clone(), st.visit.language)
    }

    /// The patient's language, while a visit is open.
    pub fn patient_language(&self) -> Option<Lang> {
        let st = self.state.borrow();
        st.visit.id.map(|_| st.visit.language)
    }

    /// The visit in the register, if one is open.
    pub fn id(&self) -> Option<VisitId> {
        self.state.borrow().visit.id
    }

    /// The eye being screened (eye tools only).
    pub fn eye(&self) -> Option<Eye> {
        self.state.borrow().visit.eye
    }

    pub fn set_eye(&self, eye: Option<Eye>) {
        self.state.borrow_mut().visit.eye = eye;
    }

    /// The eye still to screen with this tool, if any.
    pub fn next_eye(&self, tool: &str) -> Option<Eye> {
        self.state.borrow().visit.screened.next_eye(tool)
    }

    /// Remembers the tool to open once the visit has started (or forgets it).
    pub fn set_next_tool(&self, tool: Option<String>) {
        self.state.borrow_mut().visit.next_tool = tool;
    }

    /// A tool opened: its parts belong to the visit, screened or not; an
    /// eye tool starts on the eye still to screen (right first).
    pub fn open_tool(&self, tool: &Manifest) {
        let mut st = self.state.borrow_mut();
        st.visit.screened.open_tool(&tool.id, tool.coverage);
        st.visit.eye = if tool.image_kind.is_eye() {
            Some(st.visit.screened.next_eye(&tool.id).unwrap_or(Eye::Right))
        } else {
            None
        };
    }

    /// A recorded result counts towards the visit.
    pub fn add(&self, coverage: Coverage, screened: Screened) {
        self.state
            .borrow_mut()
            .visit
            .screened
            .add(coverage, screened);
    }

    /// The next patient: the visit is over on this kiosk (what was typed is kept).
    pub fn reset(&self) {
        let mut st = self.state.borrow_mut();
        st.visit = VisitState::default();
    }
}

/// The visit start screen's title: the tool that opens once the visit has
/// started, in the screen's language, or "choose a screening".
fn show_next_tool(k: &Kiosk, tool: Option<String>) {
    let name = tool
        .filter(|id| k.catalog.tool(id).is_ok())
        .map(|id| words::tool_name(&k.catalog, &id, k.lang()))
        .unwrap_or_else(|| tr(k.lang(), "choose a screening"));
    page(k).set_entry_next_tool(name.into());
}
