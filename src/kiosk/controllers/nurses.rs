//! Admin → Nurses (the `NurseAdmin` global), reached from the unlocked admin
//! screen: add a nurse (her name on the on-screen keys, then her own PIN
//! twice), reset a nurse's PIN (which also clears her wrong-PIN lock), and
//! deactivate or reactivate a nurse (a deactivated nurse is not offered at
//! sign-in; her visits and records keep her name). PINs are hashed by argon2
//! on a thread of their own; the register stores only the hash.

use super::{on, pad_key, PadKey};
use crate::admin::pin;
use crate::i18n::{tr, trf, trn, Lang};
use crate::kiosk::app::Kiosk;
use crate::kiosk::register::Watch;
use crate::kiosk::ui::{NurseAdmin, NurseRow, NurseStage, Screen};
use crate::records::{self, Operator, OperatorId, MAX_NURSE_NAME};
use chrono::{Local, Utc};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::cell::RefCell;
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

/// The screen's state on the UI thread.
#[derive(Default)]
struct NurseDraft {
    name: String,
    target: Option<Target>,
    /// The PIN typed first, waiting for the same again.
    first: Option<String>,
    pin: String,
    hashing: bool,
    rows: Vec<Operator>,
}

/// Admin → Nurses' controller.
#[derive(Default)]
pub struct Nurses {
    draft: RefCell<NurseDraft>,
}

fn page(k: &Kiosk) -> NurseAdmin<'_> {
    k.window().global::<NurseAdmin>()
}

/// A typed letter as names are written: capital after a space or at the
/// start, small otherwise (the keys show capitals only).
pub fn name_char(before: Option<char>, c: char) -> char {
    match before {
        Some(b) if b.is_alphabetic() => c.to_lowercase().next().unwrap_or(c),
        _ => c,
    }
}

/// The note beside a nurse in the list, in `lang`.
fn row_note(o: &Operator, now: chrono::DateTime<Utc>, lang: Lang) -> String {
    if !o.active {
        return tr(lang, "deactivated");
    }
    match o.locked_until {
        Some(t) if t > now => {
            let at = t.with_timezone(&Local).format("%H:%M").to_string();
            trf(lang, "locked until {}", &[&at])
        }
        _ if o.failures > 0 => trn(
            lang,
            "{n} wrong PIN",
            "{n} wrong PINs",
            u64::from(o.failures),
            &[],
        ),
        _ => String::new(),
    }
}

impl Nurses {
    /// Wires the `NurseAdmin` global's callbacks.
    pub fn wire(k: &Rc<Kiosk>) {
        let n = page(k);
        on!(k, n, on_open, |k| k.nurses.open(&k));
        on!(k, n, on_add, |k| k.nurses.add(&k));
        on!(k, n, on_key, |k, key| k.nurses.name_key(&k, &key));
        on!(k, n, on_name_done, |k| k.nurses.name_done(&k));
        on!(k, n, on_pin_key, |k, key| k.nurses.pin_key(&k, &key));
        on!(k, n, on_reset_pin, |k, id| k
            .nurses
            .reset_pin(&k, OperatorId::from(id)));
        on!(k, n, on_set_active, |k, id, active| k.nurses.set_active(
            &k,
            OperatorId::from(id),
            active
        ));
        on!(k, n, on_back, |k| k.nurses.back(&k));
    }

    fn open(&self, k: &Kiosk) {
        if !k.admin.unlocked() {
            return;
        }
        *self.draft.borrow_mut() = NurseDraft::default();
        let n = page(k);
        n.set_note(SharedString::new());
        n.set_stage(NurseStage::List);
        k.show(Screen::Nurses);
        self.list(k);
    }

    /// Forgets what was typed (the admin screen closed, or the kiosk locked).
    pub fn close(&self, k: &Kiosk) {
        *self.draft.borrow_mut() = NurseDraft::default();
        let n = page(k);
        n.set_name(SharedString::new());
        n.set_pin_dots(SharedString::new());
        n.set_note(SharedString::new());
        n.set_stage(NurseStage::List);
    }

    fn list(&self, k: &Kiosk) {
        k.register(
            Watch::SignIn,
            |s| s.operators(true),
            |k, rows| match rows {
                Ok(rows) => k.nurses.show_rows(k, rows),
                Err(e) => k
                    .nurses
                    .note(k, |l| trf(l, "The nurses cannot be read: {}", &[&e])),
            },
        );
    }

    fn show_rows(&self, k: &Kiosk, rows: Vec<Operator>) {
        let (now, lang) = (Utc::now(), k.lang());
        let ui: Vec<NurseRow> = rows
            .iter()
            .map(|o| NurseRow {
                id: o.id as i32,
                name: o.name.clone().into(),
                active: o.active,
                note: row_note(o, now, lang).into(),
            })
            .collect();
        page(k).set_rows(ModelRc::new(VecModel::from(ui)));
        self.draft.borrow_mut().rows = rows;
    }

    /// A note on the screen in its language; the log keeps its English.
    fn note(&self, k: &Kiosk, words: impl Fn(Lang) -> String) {
        log::info!("nurses: {}", words(Lang::En));
        page(k).set_note(words(k.lang()).into());
    }

    fn add(&self, k: &Kiosk) {
        {
            let mut d = self.draft.borrow_mut();
            d.name.clear();
            d.target = None;
        }
        let n = page(k);
        n.set_name(SharedString::new());
        n.set_note(SharedString::new());
        n.set_stage(NurseStage::Name);
    }

    fn name_key(&self, k: &Kiosk, key: &str) {
        let name = {
            let mut d = self.draft.borrow_mut();
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
        page(k).set_name(name.into());
    }

    fn name_done(&self, k: &Kiosk) {
        let typed = self.draft.borrow().name.clone();
        let name = match records::clean_name(&typed) {
            Ok(n) => n,
            Err(_) => {
                let max = MAX_NURSE_NAME.to_string();
                return self.note(k, |l| trf(l, "A name is 1 to {} characters.", &[&max]));
            }
        };
        let taken = self
            .draft
            .borrow()
            .rows
            .iter()
            .any(|o| o.name.to_lowercase() == name.to_lowercase());
        if taken {
            return self.note(k, |l| {
                trf(l, "There is already a nurse named {}.", &[&name])
            });
        }
        self.choose_pin(k, Target::New(name));
    }

    /// The listed nurse's name.
    fn listed_name(&self, id: OperatorId) -> Option<String> {
        self.draft
            .borrow()
            .rows
            .iter()
            .find(|o| o.id == id)
            .map(|o| o.name.clone())
    }

    fn reset_pin(&self, k: &Kiosk, id: OperatorId) {
        if let Some(name) = self.listed_name(id) {
            self.choose_pin(k, Target::Reset(id, name));
        }
    }

    fn choose_pin(&self, k: &Kiosk, target: Target) {
        let prompt = choose_her_pin(&target, k.lang());
        {
            let mut d = self.draft.borrow_mut();
            d.name = target.name().to_string();
            d.target = Some(target);
            d.first = None;
            d.pin.clear();
        }
        let n = page(k);
        n.set_name(self.draft.borrow().name.clone().into());
        n.set_prompt(prompt.into());
        n.set_pin_dots(SharedString::new());
        n.set_note(SharedString::new());
        n.set_stage(NurseStage::Pin);
    }

    fn pin_key(&self, k: &Kiosk, key: &str) {
        if self.draft.borrow().hashing {
            return;
        }
        let pressed = pad_key(&mut self.draft.borrow_mut().pin, key);
        match pressed {
            PadKey::Submit => return self.pin_entered(k),
            PadKey::Ignored => return,
            PadKey::Changed => {}
        }
        let dots = "●".repeat(self.draft.borrow().pin.len());
        page(k).set_pin_dots(dots.into());
    }

    fn pin_entered(&self, k: &Kiosk) {
        let (entered, first, target) = {
            let mut d = self.draft.borrow_mut();
            (
                std::mem::take(&mut d.pin),
                d.first.clone(),
                d.target.clone(),
            )
        };
        let Some(target) = target else {
            return;
        };
        let n = page(k);
        n.set_pin_dots(SharedString::new());
        let lang = k.lang();
        if !pin::valid(&entered) {
            return self.note(k, |l| tr(l, "A PIN is 6 to 12 digits. Type it again."));
        }
        let Some(first) = first else {
            self.draft.borrow_mut().first = Some(entered);
            n.set_prompt(trf(lang, "{}: the same PIN again", &[target.name()]).into());
            return n.set_note(SharedString::new());
        };
        if first != entered {
            self.draft.borrow_mut().first = None;
            n.set_prompt(choose_her_pin(&target, lang).into());
            return self.note(k, |l| tr(l, "The two PINs differ. Choose the PIN again."));
        }
        self.draft.borrow_mut().hashing = true;
        self.note(k, |l| tr(l, "Saving…"));
        let spawned = k.background(
            "pin-hash",
            move || pin::hash(&entered).map_err(|e| e.to_string()),
            |k, hash| k.nurses.pin_hashed(k, target, hash),
        );
        if let Err(e) = spawned {
            self.draft.borrow_mut().hashing = false;
            let e = e.to_string();
            self.note(k, |l| trf(l, "The PIN could not be saved: {}", &[&e]));
        }
    }

    /// The new PIN is hashed: the register keeps the hash.
    fn pin_hashed(&self, k: &Kiosk, target: Target, hash: Result<String, String>) {
        self.draft.borrow_mut().hashing = false;
        let hash = match hash {
            Ok(hash) => hash,
            Err(e) => return self.note(k, |l| trf(l, "The PIN could not be saved: {}", &[&e])),
        };
        let who = target.clone();
        let saved = move |k: &Kiosk, done: Result<(), String>| k.nurses.pin_saved(k, who, done);
        match target {
            Target::New(name) => k.register(
                Watch::SignIn,
                move |s| s.add_operator(&name, &hash).map(drop),
                saved,
            ),
            Target::Reset(id, _) => {
                k.register(Watch::SignIn, move |s| s.set_operator_pin(id, &hash), saved)
            }
        }
    }

    fn pin_saved(&self, k: &Kiosk, target: Target, done: Result<(), String>) {
        match done {
            Ok(()) => {
                self.note(k, |l| match &target {
                    Target::New(n) => trf(l, "{} can now sign in with her PIN.", &[n]),
                    Target::Reset(_, n) => {
                        trf(l, "{}'s PIN is changed and any lock cleared.", &[n])
                    }
                });
                self.draft.borrow_mut().target = None;
                page(k).set_stage(NurseStage::List);
                self.list(k);
                k.signin.load_nurses(k);
            }
            Err(e) => {
                self.note(k, |l| {
                    trf(l, "{}'s PIN was not saved: {}", &[target.name(), &e])
                });
                page(k).set_stage(NurseStage::List);
            }
        }
    }

    fn set_active(&self, k: &Kiosk, id: OperatorId, active: bool) {
        let name = self.listed_name(id).unwrap_or_default();
        k.register(
            Watch::SignIn,
            move |s| s.set_operator_active(id, active),
            move |k, done| match done {
                Ok(()) => {
                    k.nurses.note(k, |l| match active {
                        true => trf(l, "{} can sign in again.", &[&name]),
                        false => trf(
                            l,
                            "{} is deactivated: no longer offered at sign-in; her records \
                             keep her name.",
                            &[&name],
                        ),
                    });
                    k.nurses.list(k);
                    k.signin.load_nurses(k);
                }
                Err(e) => k
                    .nurses
                    .note(k, |l| trf(l, "{} was not changed: {}", &[&name, &e])),
            },
        );
    }

    fn back(&self, k: &Kiosk) {
        if self.draft.borrow().hashing {
            return;
        }
        let listing =
            self.draft.borrow().target.is_none() && page(k).get_stage() == NurseStage::List;
        if listing {
            self.close(k);
            return k.show(Screen::Admin);
        }
        {
            let mut d = self.draft.borrow_mut();
            d.target = None;
            d.first = None;
            d.pin.clear();
            d.name.clear();
        }
        let n = page(k);
        n.set_pin_dots(SharedString::new());
        n.set_note(SharedString::new());
        n.set_stage(NurseStage::List);
    }
}

/// "Asha Devi: choose her PIN (6 to 12 digits)".
fn choose_her_pin(target: &Target, lang: Lang) -> String {
    trf(
        lang,
        "{}: choose her PIN (6 to 12 digits)",
        &[target.name()],
    )
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
        let en = Lang::En;
        assert_eq!(row_note(&o, now, en), "");
        o.failures = 3;
        assert_eq!(row_note(&o, now, en), "3 wrong PINs");
        let hi = row_note(&o, now, Lang::Hi);
        assert!(
            hi.contains('3') && !hi.contains("PINs") && !hi.contains('{'),
            "{hi}"
        );
        o.failures = 1;
        assert_eq!(row_note(&o, now, en), "1 wrong PIN");
        o.locked_until = Some(now + chrono::Duration::minutes(5));
        assert!(row_note(&o, now, en).starts_with("locked until"));
        let ta = row_note(&o, now, Lang::Ta);
        assert!(!ta.contains("locked") && !ta.contains('{'), "{ta}");
        o.active = false;
        assert_eq!(row_note(&o, now, en), "deactivated");
        assert_ne!(row_note(&o, now, Lang::Bn), "deactivated");
    }
}
