//! Nurse sign-in (the `SignIn` global): the nurse taps her name and types
//! her own PIN (`pin_check`); starting a visit and opening History need a
//! signed-in nurse, whose name every new visit and record carries.
//!
//! After `idle_lock_minutes` without a touch the kiosk locks to this screen:
//! typed text is cleared, the visit's results are already in the register;
//! the same nurse returns to where she was, another starts at home (the open
//! visit stays open in the register).

use super::on;
use crate::admin::Lockout;
use crate::i18n::{n_, tr, trf, trn, Lang};
use crate::kiosk::app::Kiosk;
use crate::kiosk::idle::IdleTimer;
use crate::kiosk::register::Watch;
use crate::kiosk::ui::{NurseChoice, Screen, SignIn, SignInStage};
use crate::records::{Operator, OperatorId};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// What the kiosk says while the register has no nurse accounts (the home
/// screen says it too).
pub const NO_NURSES: &str =
    n_("No nurse accounts yet. Ask the admin to add nurses in Admin → Nurses.");
/// What the sign-in screen says when a nurse is asked to sign in.
const SIGN_IN_TO_START: &str = n_("Sign in to start screening or open History.");

/// Where a nurse goes once signed in.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum After {
    #[default]
    Home,
    /// The tool she tapped.
    Tool(String),
    History,
    /// The patient screen, with a scanned ID.
    VisitStart(Option<String>),
}

/// Why the sign-in screen shows, said at its top.
#[derive(Debug, Clone, Copy, Default)]
pub(super) enum Why {
    /// A nurse is needed to screen or open History.
    #[default]
    Start,
    /// The idle lock, after this many minutes.
    IdleLock(u32),
}

impl Why {
    fn words(self, lang: Lang) -> String {
        match self {
            Why::Start => tr(lang, SIGN_IN_TO_START),
            Why::IdleLock(minutes) => trn(
                lang,
                "Locked after {n} minute without a touch. Sign in to go on.",
                "Locked after {n} minutes without a touch. Sign in to go on.",
                u64::from(minutes),
                &[],
            ),
        }
    }
}

/// A session the idle lock interrupted: whose, and the screen to return to.
#[derive(Debug, Clone, Copy)]
struct Locked {
    nurse: OperatorId,
    screen: Screen,
}

/// The sign-in state.
pub(super) struct SessionState {
    /// The nurses offered; `None` until the register has answered.
    nurses: Option<Vec<Operator>>,
    signed_in: Option<(OperatorId, String)>,
    /// The nurse whose PIN is being typed.
    pub(super) chosen: Option<(OperatorId, String)>,
    pub(super) pin: String,
    /// A PIN is being counted and checked: keys are ignored.
    pub(super) checking: bool,
    after: After,
    why: Why,
    locked: Option<Locked>,
    idle: IdleTimer,
    idle_minutes: u32,
    /// Wrong PINs counted in memory while the register is read-only.
    pub(super) memory: std::collections::HashMap<OperatorId, Lockout>,
}

/// The sign-in screen's controller, and the idle lock.
pub struct Session {
    pub(super) state: RefCell<SessionState>,
}

pub(super) fn page(k: &Kiosk) -> SignIn<'_> {
    k.window().global::<SignIn>()
}

impl Session {
    pub fn new(idle_minutes: u32) -> Session {
        Session {
            state: RefCell::new(SessionState {
                nurses: None,
                signed_in: None,
                chosen: None,
                pin: String::new(),
                checking: false,
                after: After::Home,
                why: Why::Start,
                locked: None,
                idle: IdleTimer::new(
                    Instant::now(),
                    Duration::from_secs(u64::from(idle_minutes) * 60),
                ),
                idle_minutes,
                memory: Default::default(),
            }),
        }
    }

    /// Wires the `SignIn` global's callbacks.
    pub fn wire(k: &Rc<Kiosk>) {
        let s = page(k);
        on!(k, s, on_open, |k| k.signin.open(
            &k,
            After::Home,
            Why::Start
        ));
        on!(k, s, on_pick, |k, id| k
            .signin
            .pick(&k, OperatorId::from(id)));
        on!(k, s, on_pin_key, |k, key| k.signin.key(&k, &key));
        on!(k, s, on_back, |k| k.signin.back(&k));
        on!(k, s, on_sign_out, |k| k.signin.sign_out(&k));
        on!(k, s, on_touched, |_k| ());
    }

    /// Whether the register has said which nurses may sign in.
    pub fn nurses_known(&self) -> bool {
        self.state.borrow().nurses.is_some()
    }

    /// A touch: the idle lock waits again.
    pub fn touched(&self) {
        self.state.borrow_mut().idle.touch(Instant::now());
    }

    /// The signed-in nurse's name, recorded with each new visit.
    pub fn nurse_name(&self) -> Option<String> {
        self.state.borrow().signed_in.as_ref().map(|n| n.1.clone())
    }

    /// True when a nurse is signed in; otherwise asks one to (then goes on
    /// to `after`), or says why nobody can.
    pub fn ready(&self, k: &Kiosk, after: After) -> bool {
        let nurses = {
            let se = self.state.borrow();
            if se.signed_in.is_some() {
                return true;
            }
            se.nurses.as_ref().map(Vec::len)
        };
        match nurses {
            None => {
                let (opening, register) = (k.home.register_is_ok(), k.home.register_words());
                k.say_in(move |l| {
                    let why = match opening {
                        true => tr(l, "the register is still opening"),
                        false => register.in_lang(l),
                    };
                    trf(l, "Screening could not be started: {}", &[&why])
                });
            }
            Some(0) => k.say_in(|l| tr(l, NO_NURSES)),
            Some(_) => self.open(k, after, Why::Start),
        }
        false
    }

    /// The sign-in screen, saying `why` (in the screen's language).
    fn open(&self, k: &Kiosk, after: After, why: Why) {
        {
            let mut se = self.state.borrow_mut();
            se.after = after;
            se.why = why;
            se.chosen = None;
            se.pin.clear();
        }
        let s = page(k);
        s.set_why(why.words(k.lang()).into());
        s.set_note(SharedString::new());
        s.set_pin_dots(SharedString::new());
        s.set_stage(SignInStage::Choose);
        k.show(Screen::SignIn);
    }

    /// The sign-in screen's line again in the screen's language.
    pub fn reword(&self, k: &Kiosk) {
        if k.g().get_screen() == Screen::SignIn {
            let why = self.state.borrow().why;
            page(k).set_why(why.words(k.lang()).into());
        }
    }

    /// Asks the register for the nurses to offer.
    pub fn load_nurses(&self, k: &Kiosk) {
        k.register(
            Watch::SignIn,
            |s| s.operators(false),
            |k, nurses| match nurses {
                Ok(v) => k.signin.show_nurses(k, v),
                Err(e) => log::error!("the nurses cannot be read: {e}"),
            },
        );
    }

    fn show_nurses(&self, k: &Kiosk, nurses: Vec<Operator>) {
        let choices: Vec<NurseChoice> = nurses
            .iter()
            .map(|n| NurseChoice {
                id: n.id as i32,
                name: n.name.clone().into(),
            })
            .collect();
        let s = page(k);
        s.set_no_nurses(nurses.is_empty());
        s.set_nurses(ModelRc::new(VecModel::from(choices)));
        let mut se = self.state.borrow_mut();
        // A nurse deactivated while signed in is signed out.
        if let Some((id, _)) = se.signed_in {
            if !nurses.iter().any(|n| n.id == id) {
                se.signed_in = None;
                s.set_nurse(SharedString::new());
            }
        }
        se.nurses = Some(nurses);
    }

    fn pick(&self, k: &Kiosk, id: OperatorId) {
        let name = {
            let mut se = self.state.borrow_mut();
            let name = se
                .nurses
                .iter()
                .flatten()
                .find(|n| n.id == id)
                .map(|n| n.name.clone());
            let Some(name) = name else {
                return;
            };
            se.chosen = Some((id, name.clone()));
            se.pin.clear();
            name
        };
        let s = page(k);
        s.set_chosen(name.into());
        s.set_pin_dots(SharedString::new());
        s.set_note(SharedString::new());
        s.set_stage(SignInStage::Pin);
    }

    pub(super) fn signed_in(&self, k: &Kiosk, nurse: (OperatorId, String)) {
        log::info!("sign-in: {} signed in", nurse.1);
        let (locked, after) = {
            let mut se = self.state.borrow_mut();
            se.checking = false;
            se.chosen = None;
            se.signed_in = Some(nurse.clone());
            se.idle.touch(Instant::now());
            (se.locked.take(), std::mem::take(&mut se.after))
        };
        let s = page(k);
        s.set_nurse(nurse.1.into());
        s.set_stage(SignInStage::Choose);
        s.set_note(SharedString::new());
        match locked {
            Some(l) if l.nurse == nurse.0 => match l.screen {
                Screen::History => k.history.open(k),
                screen => k.show(screen),
            },
            // Another nurse: the visit stays open in the register.
            Some(_) => k.next_patient(),
            None => match after {
                After::Home => k.show(Screen::Home),
                After::Tool(t) => k.select_tool(&t),
                After::History => k.history.open(k),
                After::VisitStart(scanned) => k.visit.open_start(k, scanned),
            },
        }
    }

    fn back(&self, k: &Kiosk) {
        let choosing = {
            let mut se = self.state.borrow_mut();
            if se.checking {
                return;
            }
            let choosing = se.chosen.is_none();
            se.chosen = None;
            se.pin.clear();
            choosing
        };
        if !choosing {
            let s = page(k);
            s.set_pin_dots(SharedString::new());
            s.set_note(SharedString::new());
            return s.set_stage(SignInStage::Choose);
        }
        // Leaving a locked session ends it: its visit stays open in the register.
        if self.state.borrow_mut().locked.take().is_some() {
            return k.next_patient();
        }
        k.show(Screen::Home);
    }

    fn sign_out(&self, k: &Kiosk) {
        let who = {
            let mut se = self.state.borrow_mut();
            se.locked = None;
            se.signed_in.take()
        };
        if let Some((_, name)) = who {
            log::info!("sign-in: {name} signed out");
        }
        page(k).set_nurse(SharedString::new());
        // A visit in progress stays open in the register.
        k.next_patient();
    }

    /// Locks the kiosk when nobody has touched it for `idle_lock_minutes`,
    /// unless something is still running (`busy`). True when it locked.
    pub fn check_idle(&self, k: &Kiosk, now: Instant, busy: bool) -> bool {
        let due = {
            let mut se = self.state.borrow_mut();
            let busy = busy || se.checking;
            se.signed_in.is_some() && se.idle.due(now, busy)
        };
        if due {
            self.lock(k);
        }
        due
    }

    /// The idle lock: no typed text is left anywhere, admin is closed, and
    /// the sign-in screen shows.
    fn lock(&self, k: &Kiosk) {
        let screen = match k.g().get_screen() {
            Screen::Admin | Screen::AdminPin | Screen::Nurses | Screen::SignIn => Screen::Home,
            s => s,
        };
        let minutes = {
            let mut se = self.state.borrow_mut();
            let Some((nurse, name)) = se.signed_in.take() else {
                return;
            };
            log::info!(
                "sign-in: locked after {} idle minutes ({name})",
                se.idle_minutes
            );
            se.locked = Some(Locked { nurse, screen });
            se.idle_minutes
        };
        k.admin.lock(k);
        k.nurses.close(k);
        k.visit.forget_typed(k);
        k.history.forget_query(k);
        page(k).set_nurse(SharedString::new());
        self.open(k, After::Home, Why::IdleLock(minutes));
    }
}
