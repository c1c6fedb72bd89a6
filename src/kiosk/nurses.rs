//! Admin → Nurses (the `NurseAdmin` global), reached from the unlocked admin
//! screen: add a nurse (her name on the on-screen keys, then her own PIN
//! twice), reset a nurse's PIN (which also clears her wrong-PIN lock), and
//! deactivate or reactivate a nurse (a deactivated nurse is not offered at
//! sign-in; her visits and records keep her name). PINs are hashed by argon2
//! on a thread of their own; the register stores only the hash.

use super::app::Kiosk;
use super::pin_check::{pad_key, PadKey};
use super::signin::{NurseReq, SignInMsg};
use super::state::StoreReq;
use super::ui::{NurseAdmin, NurseRow, NurseStage, Screen};
use crate::admin::pin;
use crate::records::{self, Operator, OperatorId, MAX_NURSE_NAME};
use crate::workers::store::Reply;
use chrono::{Local, Utc};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::rc::Rc;

/// Whose PIN is being chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    New(String),
    Reset(OperatorId, String),
}

impl Target {
    fn name(&self) -> &str {
        match self {
            Target::New(n) | Target::Reset(_, n) => n,
        }
    }
}

/// A PIN hashed off the UI thread, for its nurse.
pub struct Hashed {
    target: Target,
    hash: Result<String, String>,
}

/// What a store job from this screen was for.
pub enum AdminReq {
    List,
    Saved(Target),
    Active(String, bool),
}

/// The screen's state on the UI thread.
#[derive(Default)]
pub struct NurseDraft {
    pub name: String,
    pub target: Option<Target>,
    /// The PIN typed first, waiting for the same again.
    pub first: Option<String>,
    pub pin: String,
    pub hashing: bool,
    pub rows: Vec<Operator>,
}

/// A typed letter as names are written: capital after a space or at the
/// start, small otherwise (the keys show capitals only).
pub fn name_char(before: Option<char>, c: char) -> char {
    match before {
        Some(b) if b.is_alphabetic() => c.to_lowercase().next().unwrap_or(c),
        _ => c,
    }
}

/// The note beside a nurse in the list.
fn row_note(o: &Operator, now: chrono::DateTime<Utc>) -> String {
    if !o.active {
        return "deactivated".into();
    }
    match o.locked_until {
        Some(t) if t > now => format!("locked until {}", t.with_timezone(&Local).format("%H:%M")),
        _ if o.failures == 1 => "1 wrong PIN".into(),
        _ if o.failures > 1 => format!("{} wrong PINs", o.failures),
        _ => String::new(),
    }
}

impl Kiosk {
    fn na(&self) -> NurseAdmin<'_> {
        self.window.global::<NurseAdmin>()
    }

    /// Wires the `NurseAdmin` global's callbacks.
    pub(super) fn wire_nurses(self: &Rc<Self>) {
        let n = self.na();
        macro_rules! on {
            ($setter:ident, |$k:ident $(, $arg:ident)*| $body:expr) => {{
                let w = Rc::downgrade(self);
                n.$setter(move |$($arg),*| {
                    if let Some($k) = w.upgrade() {
                        $k.touched();
                        $body
                    }
                });
            }};
        }
        on!(on_open, |k| k.open_nurse_admin());
        on!(on_add, |k| k.nurse_add());
        on!(on_key, |k, key| k.nurse_name_key(&key));
        on!(on_name_done, |k| k.nurse_name_done());
        on!(on_pin_key, |k, key| k.nurse_pin_key(&key));
        on!(on_reset_pin, |k, id| k
            .nurse_reset_pin(OperatorId::from(id)));
        on!(on_set_active, |k, id, active| k
            .nurse_set_active(OperatorId::from(id), active));
        on!(on_back, |k| k.nurse_back());
    }

    fn open_nurse_admin(&self) {
        if !self.admin.unlocked() {
            return;
        }
        *self.nurse_draft.borrow_mut() = NurseDraft::default();
        let n = self.na();
        n.set_note(SharedString::new());
        n.set_stage(NurseStage::List);
        self.g().set_screen(Screen::Nurses);
        self.list_nurses();
    }

    /// Forgets what was typed (the admin screen closed, or the kiosk locked).
    pub(super) fn close_nurse_admin(&self) {
        *self.nurse_draft.borrow_mut() = NurseDraft::default();
        let n = self.na();
        n.set_name(SharedString::new());
        n.set_pin_dots(SharedString::new());
        n.set_note(SharedString::new());
        n.set_stage(NurseStage::List);
    }

    fn list_nurses(&self) {
        self.store_job(StoreReq::Nurse(NurseReq::Admin(AdminReq::List)), |req| {
            crate::workers::store::Job::Operators { req, all: true }
        });
    }

    fn show_nurse_rows(&self, rows: Vec<Operator>) {
        let now = Utc::now();
        let ui: Vec<NurseRow> = rows
            .iter()
            .map(|o| NurseRow {
                id: o.id as i32,
                name: o.name.clone().into(),
                active: o.active,
                note: row_note(o, now).into(),
            })
            .collect();
        self.na().set_rows(ModelRc::new(VecModel::from(ui)));
        self.nurse_draft.borrow_mut().rows = rows;
    }

    fn nurse_note(&self, text: String) {
        log::info!("nurses: {text}");
        self.na().set_note(text.into());
    }

    fn nurse_add(&self) {
        {
            let mut d = self.nurse_draft.borrow_mut();
            d.name.clear();
            d.target = None;
        }
        let n = self.na();
        n.set_name(SharedString::new());
        n.set_note(SharedString::new());
        n.set_stage(NurseStage::Name);
    }

    fn nurse_name_key(&self, key: &str) {
        let name = {
            let mut d = self.nurse_draft.borrow_mut();
            match key {
                "⌫" => {
                    d.name.pop();
                }
                "Clear" => d.name.clear(),
                k => {
                    for c in k.chars() {
                        let ok = c.is_alphanumeric() || " .-'".contains(c);
                        if ok && d.name.chars().count() < MAX_NURSE_NAME {
                            let c = name_char(d.name.chars().last(), c);
                            d.name.push(c);
                        }
                    }
                }
            }
            d.name.clone()
        };
        self.na().set_name(name.into());
    }

    fn nurse_name_done(&self) {
        let typed = self.nurse_draft.borrow().name.clone();
        let name = match records::clean_name(&typed) {
            Ok(n) => n,
            Err(_) => {
                return self.nurse_note(format!("A name is 1 to {MAX_NURSE_NAME} characters."))
            }
        };
        let taken = self
            .nurse_draft
            .borrow()
            .rows
            .iter()
            .any(|o| o.name.to_lowercase() == name.to_lowercase());
        if taken {
            return self.nurse_note(format!("There is already a nurse named {name}."));
        }
        self.choose_pin(Target::New(name));
    }

    /// The listed nurse's name.
    fn listed_nurse_name(&self, id: OperatorId) -> Option<String> {
        self.nurse_draft
            .borrow()
            .rows
            .iter()
            .find(|o| o.id == id)
            .map(|o| o.name.clone())
    }

    fn nurse_reset_pin(&self, id: OperatorId) {
        if let Some(name) = self.listed_nurse_name(id) {
            self.choose_pin(Target::Reset(id, name));
        }
    }

    fn choose_pin(&self, target: Target) {
        let prompt = format!("{}: choose her PIN (6 to 12 digits)", target.name());
        {
            let mut d = self.nurse_draft.borrow_mut();
            d.name = target.name().to_string();
            d.target = Some(target);
            d.first = None;
            d.pin.clear();
        }
        let n = self.na();
        n.set_name(self.nurse_draft.borrow().name.clone().into());
        n.set_prompt(prompt.into());
        n.set_pin_dots(SharedString::new());
        n.set_note(SharedString::new());
        n.set_stage(NurseStage::Pin);
    }

    fn nurse_pin_key(&self, key: &str) {
        if self.nurse_draft.borrow().hashing {
            return;
        }
        let pressed = pad_key(&mut self.nurse_draft.borrow_mut().pin, key);
        match pressed {
            PadKey::Submit => return self.nurse_pin_entered(),
            PadKey::Ignored => return,
            PadKey::Changed => {}
        }
        let dots = "●".repeat(self.nurse_draft.borrow().pin.len());
        self.na().set_pin_dots(dots.into());
    }

    fn nurse_pin_entered(&self) {
        let (entered, first, target) = {
            let mut d = self.nurse_draft.borrow_mut();
            (
                std::mem::take(&mut d.pin),
                d.first.clone(),
                d.target.clone(),
            )
        };
        let Some(target) = target else {
            return;
        };
        let n = self.na();
        n.set_pin_dots(SharedString::new());
        if !pin::valid(&entered) {
            return self.nurse_note("A PIN is 6 to 12 digits. Type it again.".into());
        }
        let Some(first) = first else {
            self.nurse_draft.borrow_mut().first = Some(entered);
            n.set_prompt(format!("{}: the same PIN again", target.name()).into());
            return n.set_note(SharedString::new());
        };
        if first != entered {
            self.nurse_draft.borrow_mut().first = None;
            n.set_prompt(format!("{}: choose her PIN (6 to 12 digits)", target.name()).into());
            return self.nurse_note("The two PINs differ. Choose the PIN again.".into());
        }
        self.nurse_draft.borrow_mut().hashing = true;
        self.nurse_note("Saving…".into());
        let spawned = self.background(
            "pin-hash",
            move || {
                let hash = pin::hash(&entered).map_err(|e| e.to_string());
                SignInMsg::Hashed(Hashed { target, hash })
            },
            |k, m| k.on_signin(m),
        );
        if let Err(e) = spawned {
            self.nurse_draft.borrow_mut().hashing = false;
            self.nurse_note(format!("The PIN could not be saved: {e}"));
        }
    }

    pub(super) fn nurse_pin_hashed(&self, h: Hashed) {
        self.nurse_draft.borrow_mut().hashing = false;
        let hash = match h.hash {
            Ok(hash) => hash,
            Err(e) => return self.nurse_note(format!("The PIN could not be saved: {e}")),
        };
        let target = h.target;
        let req = StoreReq::Nurse(NurseReq::Admin(AdminReq::Saved(target.clone())));
        match target {
            Target::New(name) => {
                self.store_job(req, |req| crate::workers::store::Job::AddOperator {
                    req,
                    name,
                    pin_hash: hash,
                })
            }
            Target::Reset(id, _) => {
                self.store_job(req, |req| crate::workers::store::Job::SetOperatorPin {
                    req,
                    id,
                    pin_hash: hash,
                })
            }
        }
    }

    fn nurse_set_active(&self, id: OperatorId, active: bool) {
        let name = self.listed_nurse_name(id).unwrap_or_default();
        let req = StoreReq::Nurse(NurseReq::Admin(AdminReq::Active(name, active)));
        self.store_job(req, |req| crate::workers::store::Job::SetOperatorActive {
            req,
            id,
            active,
        });
    }

    pub(super) fn nurse_admin_answer(&self, a: AdminReq, r: Result<Reply, String>) {
        match (a, r) {
            (AdminReq::List, Ok(Reply::Operators(rows))) => self.show_nurse_rows(rows),
            (AdminReq::List, Err(e)) => self.nurse_note(format!("The nurses cannot be read: {e}")),
            (AdminReq::Saved(t), Ok(_)) => {
                self.nurse_note(match &t {
                    Target::New(n) => format!("{n} can now sign in with her PIN."),
                    Target::Reset(_, n) => format!("{n}'s PIN is changed and any lock cleared."),
                });
                self.nurse_draft.borrow_mut().target = None;
                self.na().set_stage(NurseStage::List);
                self.list_nurses();
                self.load_nurses();
            }
            (AdminReq::Saved(t), Err(e)) => {
                self.nurse_note(format!("{}'s PIN was not saved: {e}", t.name()));
                self.na().set_stage(NurseStage::List);
            }
            (AdminReq::Active(name, active), Ok(_)) => {
                self.nurse_note(if active {
                    format!("{name} can sign in again.")
                } else {
                    format!("{name} is deactivated: no longer offered at sign-in; her records keep her name.")
                });
                self.list_nurses();
                self.load_nurses();
            }
            (AdminReq::Active(name, _), Err(e)) => {
                self.nurse_note(format!("{name} was not changed: {e}"))
            }
            (_, Ok(other)) => log::error!("unexpected register answer {other:?}"),
        }
    }

    fn nurse_back(&self) {
        if self.nurse_draft.borrow().hashing {
            return;
        }
        let listing =
            self.nurse_draft.borrow().target.is_none() && self.na().get_stage() == NurseStage::List;
        if listing {
            self.close_nurse_admin();
            return self.g().set_screen(Screen::Admin);
        }
        {
            let mut d = self.nurse_draft.borrow_mut();
            d.target = None;
            d.first = None;
            d.pin.clear();
            d.name.clear();
        }
        let n = self.na();
        n.set_pin_dots(SharedString::new());
        n.set_note(SharedString::new());
        n.set_stage(NurseStage::List);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_typed_in_capitals_read_as_names() {
        let mut name = String::new();
        for c in "ASHA DEVI-RAO".chars() {
            name.push(name_char(name.chars().last(), c));
        }
        assert_eq!(name, "Asha Devi-Rao");
    }

    #[test]
    fn the_list_says_who_is_locked_or_deactivated() {
        let now = Utc::now();
        let mut o = Operator {
            id: 1,
            name: "Asha".into(),
            active: true,
            failures: 0,
            locked_until: None,
        };
        assert_eq!(row_note(&o, now), "");
        o.failures = 3;
        assert_eq!(row_note(&o, now), "3 wrong PINs");
        o.locked_until = Some(now + chrono::Duration::minutes(5));
        assert!(row_note(&o, now).starts_with("locked until"));
        o.active = false;
        assert_eq!(row_note(&o, now), "deactivated");
    }
}
