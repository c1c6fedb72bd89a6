//! Nurse sign-in on the kiosk (the `SignIn` global): the nurse taps her name
//! and types her own PIN; starting a visit and opening History need a
//! signed-in nurse, whose name every new visit and record carries.
//!
//! A PIN is counted in the register *before* it is checked (wrong PINs in a
//! row, with the growing locks of `admin::lockout::delay_after`, kept across
//! restarts), then checked by argon2 on a thread of its own ("Checking…"; a
//! second OK meanwhile is ignored), and the count is cleared when it was
//! right. After `idle_lock_minutes` without a touch the kiosk locks to this
//! screen (`pin_check` checks the PIN): typed text is cleared, the visit's results are already in the
//! register; the same nurse returns to where she was, another starts at home
//! (the open visit stays open in the register).

use super::app::Kiosk;
use super::idle::IdleTimer;
use super::state::StoreReq;
use super::ui::{NurseChoice, Screen, SignIn, SignInStage};
use crate::admin::Lockout;
use crate::records::{Operator, OperatorId};
use crate::workers::store::Reply;
use chrono::{DateTime, Utc};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// What the home screen says while the register has no nurse accounts.
pub const NO_NURSES: &str = "No nurse accounts yet. Ask the admin to add nurses in Admin → Nurses.";
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

/// A session the idle lock interrupted: whose, and the screen to return to.
#[derive(Debug, Clone, Copy)]
pub struct Locked {
    pub nurse: OperatorId,
    pub screen: Screen,
}

/// The sign-in state on the UI thread.
pub struct Session {
    /// The nurses offered; `None` until the register has answered.
    pub nurses: Option<Vec<Operator>>,
    pub signed_in: Option<(OperatorId, String)>,
    /// The nurse whose PIN is being typed.
    pub chosen: Option<(OperatorId, String)>,
    pub pin: String,
    /// A PIN is being counted and checked: keys are ignored.
    pub checking: bool,
    pub after: After,
    pub locked: Option<Locked>,
    pub idle: IdleTimer,
    pub idle_minutes: u32,
    /// Wrong PINs counted in memory while the register is read-only.
    pub memory: std::collections::HashMap<OperatorId, Lockout>,
}

impl Session {
    pub fn new(idle_minutes: u32) -> Session {
        Session {
            nurses: None,
            signed_in: None,
            chosen: None,
            pin: String::new(),
            checking: false,
            after: After::Home,
            locked: None,
            idle: IdleTimer::new(
                Instant::now(),
                Duration::from_secs(u64::from(idle_minutes) * 60),
            ),
            idle_minutes,
            memory: Default::default(),
        }
    }
}

/// What a store job for sign-in or nurse management was for.
pub enum NurseReq {
    /// The nurses offered at sign-in.
    Offered,
    /// A PIN attempt counted before its check.
    Counted {
        nurse: (OperatorId, String),
        pin: String,
    },
    Accepted,
    /// The admin screen's list, and its changes.
    Admin(super::nurses::AdminReq),
}

/// What a thread off the UI found.
pub enum SignInMsg {
    Verified {
        nurse: (OperatorId, String),
        right: bool,
        /// Wrong PINs counted in the register; `None` when it is read-only
        /// and the count is kept in memory.
        failures: Option<u32>,
        locks_until: Option<DateTime<Utc>>,
    },
    /// A new PIN hashed for the admin screen.
    Hashed(super::nurses::Hashed),
}

impl Kiosk {
    pub(super) fn s(&self) -> SignIn<'_> {
        self.window.global::<SignIn>()
    }

    /// Wires the `SignIn` global's callbacks.
    pub(super) fn wire_signin(self: &Rc<Self>) {
        let s = self.s();
        let w = Rc::downgrade(self);
        s.on_open(move || {
            if let Some(k) = w.upgrade() {
                k.open_signin(After::Home, "Sign in to start screening or open History.");
            }
        });
        let w = Rc::downgrade(self);
        s.on_pick(move |id| {
            if let Some(k) = w.upgrade() {
                k.pick_nurse(OperatorId::from(id));
            }
        });
        let w = Rc::downgrade(self);
        s.on_pin_key(move |key| {
            if let Some(k) = w.upgrade() {
                k.signin_key(&key);
            }
        });
        let w = Rc::downgrade(self);
        s.on_back(move || {
            if let Some(k) = w.upgrade() {
                k.signin_back();
            }
        });
        let w = Rc::downgrade(self);
        s.on_sign_out(move || {
            if let Some(k) = w.upgrade() {
                k.sign_out();
            }
        });
        let w = Rc::downgrade(self);
        s.on_touched(move || {
            if let Some(k) = w.upgrade() {
                k.touched();
            }
        });
    }

    /// Whether the register has said which nurses may sign in.
    pub fn nurses_known(&self) -> bool {
        self.session.borrow().nurses.is_some()
    }

    /// A touch: the idle lock waits again.
    pub(super) fn touched(&self) {
        self.session.borrow_mut().idle.touch(Instant::now());
    }

    /// The signed-in nurse's name, recorded with each new visit.
    pub(super) fn nurse_name(&self) -> Option<String> {
        self.session
            .borrow()
            .signed_in
            .as_ref()
            .map(|n| n.1.clone())
    }

    /// True when a nurse is signed in; otherwise asks one to (then goes on
    /// to `after`), or says why nobody can.
    pub(super) fn nurse_ready(&self, after: After) -> bool {
        let nurses = {
            let se = self.session.borrow();
            if se.signed_in.is_some() {
                return true;
            }
            se.nurses.as_ref().map(Vec::len)
        };
        match nurses {
            None => {
                let why = if self.home.register_is_ok() {
                    "the register is still opening".to_string()
                } else {
                    super::controllers::home::page(self)
                        .get_status_register()
                        .to_string()
                };
                self.say(format!("Screening could not be started: {why}"));
            }
            Some(0) => self.say(NO_NURSES),
            Some(_) => self.open_signin(after, "Sign in to start screening or open History."),
        }
        false
    }

    pub(super) fn open_signin(&self, after: After, why: &str) {
        {
            let mut se = self.session.borrow_mut();
            se.after = after;
            se.chosen = None;
            se.pin.clear();
        }
        let s = self.s();
        s.set_why(why.into());
        s.set_note(SharedString::new());
        s.set_pin_dots(SharedString::new());
        s.set_stage(SignInStage::Choose);
        self.g().set_screen(Screen::SignIn);
    }

    /// Asks the register for the nurses to offer.
    pub(super) fn load_nurses(&self) {
        self.store_job(StoreReq::Nurse(NurseReq::Offered), |req| {
            crate::workers::store::Job::Operators { req, all: false }
        });
    }

    fn show_nurses(&self, nurses: Vec<Operator>) {
        let choices: Vec<NurseChoice> = nurses
            .iter()
            .map(|n| NurseChoice {
                id: n.id as i32,
                name: n.name.clone().into(),
            })
            .collect();
        let s = self.s();
        s.set_no_nurses(nurses.is_empty());
        s.set_nurses(ModelRc::new(VecModel::from(choices)));
        let mut se = self.session.borrow_mut();
        // A nurse deactivated while signed in is signed out.
        if let Some((id, _)) = se.signed_in {
            if !nurses.iter().any(|n| n.id == id) {
                se.signed_in = None;
                s.set_nurse(SharedString::new());
            }
        }
        se.nurses = Some(nurses);
    }

    fn pick_nurse(&self, id: OperatorId) {
        let name = self
            .session
            .borrow()
            .nurses
            .iter()
            .flatten()
            .find(|n| n.id == id)
            .map(|n| n.name.clone());
        let Some(name) = name else {
            return;
        };
        {
            let mut se = self.session.borrow_mut();
            se.chosen = Some((id, name.clone()));
            se.pin.clear();
        }
        let s = self.s();
        s.set_chosen(name.into());
        s.set_pin_dots(SharedString::new());
        s.set_note(SharedString::new());
        s.set_stage(SignInStage::Pin);
    }

    pub(super) fn nurse_answer(&self, req: NurseReq, result: Result<Reply, String>) {
        match (req, result) {
            (NurseReq::Offered, Ok(Reply::Operators(v))) => self.show_nurses(v),
            (NurseReq::Offered, Err(e)) => log::error!("the nurses cannot be read: {e}"),
            (NurseReq::Counted { nurse, pin }, r) => self.pin_counted(nurse, pin, r),
            (NurseReq::Accepted, Err(e)) => log::warn!("a right PIN's count not cleared: {e}"),
            (NurseReq::Accepted, Ok(_)) => {}
            (NurseReq::Admin(a), r) => self.nurse_admin_answer(a, r),
            (_, r) => log::error!("unexpected register answer {r:?}"),
        }
    }

    pub(super) fn signed_in(&self, nurse: (OperatorId, String)) {
        log::info!("sign-in: {} signed in", nurse.1);
        let (locked, after) = {
            let mut se = self.session.borrow_mut();
            se.checking = false;
            se.chosen = None;
            se.signed_in = Some(nurse.clone());
            se.idle.touch(Instant::now());
            (se.locked.take(), std::mem::take(&mut se.after))
        };
        let s = self.s();
        s.set_nurse(nurse.1.into());
        s.set_stage(SignInStage::Choose);
        s.set_note(SharedString::new());
        match locked {
            Some(l) if l.nurse == nurse.0 => match l.screen {
                Screen::History => self.history.open(self),
                screen => self.g().set_screen(screen),
            },
            // Another nurse: the visit stays open in the register.
            Some(_) => self.next_patient(),
            None => match after {
                After::Home => self.g().set_screen(Screen::Home),
                After::Tool(t) => self.select_tool(&t),
                After::History => self.history.open(self),
                After::VisitStart(scanned) => self.visit.open_start(self, scanned),
            },
        }
    }

    fn signin_back(&self) {
        let (checking, choosing) = {
            let se = self.session.borrow();
            (se.checking, se.chosen.is_none())
        };
        if checking {
            return;
        }
        if !choosing {
            self.session.borrow_mut().chosen = None;
            self.session.borrow_mut().pin.clear();
            let s = self.s();
            s.set_pin_dots(SharedString::new());
            s.set_note(SharedString::new());
            return s.set_stage(SignInStage::Choose);
        }
        // Leaving a locked session ends it: its visit stays open in the register.
        if self.session.borrow_mut().locked.take().is_some() {
            return self.next_patient();
        }
        self.g().set_screen(Screen::Home);
    }

    pub(super) fn sign_out(&self) {
        let who = {
            let mut se = self.session.borrow_mut();
            se.locked = None;
            se.signed_in.take()
        };
        if let Some((_, name)) = who {
            log::info!("sign-in: {name} signed out");
        }
        self.s().set_nurse(SharedString::new());
        // A visit in progress stays open in the register.
        self.next_patient();
    }

    /// Locks the kiosk when nobody has touched it for `idle_lock_minutes`
    /// (`now` is passed in; the kiosk's timer calls this every few seconds).
    /// True when it locked.
    pub fn check_idle(&self, now: Instant) -> bool {
        // An answer still to come would land on the locked screen (sign-in's
        // own register answers change nothing there).
        let busy = {
            let st = self.state.borrow();
            !st.pending.is_empty()
                || st
                    .store_reqs
                    .values()
                    .any(|r| !matches!(r, StoreReq::Nurse(_)))
        } || self.g().get_busy()
            || self.session.borrow().checking;
        let due = {
            let mut se = self.session.borrow_mut();
            se.signed_in.is_some() && se.idle.due(now, busy)
        };
        if due {
            self.lock();
        }
        due
    }

    /// The idle lock: no typed text is left anywhere, admin is closed, and
    /// the sign-in screen shows.
    fn lock(&self) {
        let g = self.g();
        let screen = match g.get_screen() {
            Screen::Admin | Screen::AdminPin | Screen::Nurses | Screen::SignIn => Screen::Home,
            s => s,
        };
        let minutes = {
            let mut se = self.session.borrow_mut();
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
        self.admin.lock(self);
        self.close_nurse_admin();
        self.visit.forget_typed(self);
        self.history.forget_query(self);
        self.s().set_nurse(SharedString::new());
        self.open_signin(
            After::Home,
            &format!(
                "Locked after {minutes} {} without a touch. Sign in to go on.",
                if minutes == 1 { "minute" } else { "minutes" }
            ),
        );
    }
}
