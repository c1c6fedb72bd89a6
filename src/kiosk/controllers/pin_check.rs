//! Checking a nurse's PIN on the sign-in screen: the pad's keys, the attempt
//! counted in the register *before* argon2 checks the PIN on a thread of its
//! own ("Checking…"; keys are ignored meanwhile), the count cleared when it
//! was right, and the words for wrong PINs and locks. On a register the disk
//! keeps read-only, wrong PINs are counted in memory (five lock for a minute).

use super::signin::{page, Session};
use super::{pad_key, PadKey};
use crate::admin::{lockout, pin};
use crate::i18n::{tr, trf, trn, Lang};
use crate::kiosk::app::Kiosk;
use crate::kiosk::register::Watch;
use crate::kiosk::ui::SignInStage;
use crate::records::{OperatorId, PinAttempt};
use chrono::{DateTime, Utc};
use slint::SharedString;
use std::time::Instant;

/// "Wrong PIN. 3 tries left before a lock." or the lock it earned, in `lang`.
pub fn wrong_pin_note(
    failures: u32,
    locks_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    lang: Lang,
) -> String {
    if let Some(until) = locks_until {
        return trf(lang, "Wrong PIN. {}", &[&locked_note(until, now, lang)]);
    }
    tries_left(
        lockout::MAX_FAILURES - failures % lockout::MAX_FAILURES,
        lang,
    )
}

/// "Wrong PIN. 3 tries left before a lock."
fn tries_left(left: u32, lang: Lang) -> String {
    trn(
        lang,
        "Wrong PIN. {n} try left before a lock.",
        "Wrong PIN. {n} tries left before a lock.",
        u64::from(left),
        &[],
    )
}

/// "Too many wrong PINs: locked for 5 more minutes."
pub fn locked_note(until: DateTime<Utc>, now: DateTime<Utc>, lang: Lang) -> String {
    let secs = (until - now).num_seconds().max(1);
    let minutes = (secs + 59) / 60;
    trn(
        lang,
        "Too many wrong PINs: locked for {n} more minute.",
        "Too many wrong PINs: locked for {n} more minutes.",
        minutes.unsigned_abs(),
        &[],
    )
}

impl Session {
    /// One key of the sign-in PIN pad.
    pub(super) fn key(&self, k: &Kiosk, key: &str) {
        let dots = {
            let mut se = self.state.borrow_mut();
            if se.checking {
                return;
            }
            match pad_key(&mut se.pin, key) {
                PadKey::Submit => None,
                PadKey::Ignored => return,
                PadKey::Changed => Some("●".repeat(se.pin.len())),
            }
        };
        match dots {
            Some(dots) => page(k).set_pin_dots(dots.into()),
            None => self.submit_pin(k),
        }
    }

    fn submit_pin(&self, k: &Kiosk) {
        let (nurse, entered) = {
            let mut se = self.state.borrow_mut();
            let Some(nurse) = se.chosen.clone() else {
                return;
            };
            (nurse, std::mem::take(&mut se.pin))
        };
        let s = page(k);
        s.set_pin_dots(SharedString::new());
        if !pin::valid(&entered) {
            return s.set_note(tr(k.lang(), "A PIN is 6 to 12 digits. Type it again.").into());
        }
        self.state.borrow_mut().checking = true;
        s.set_note(SharedString::new());
        s.set_stage(SignInStage::Checking);
        let (id, now) = (nurse.0, Utc::now());
        k.register(
            Watch::SignIn,
            move |s| s.count_pin_attempt(id, now, lockout::delay_after),
            |k, counted| k.signin.pin_counted(k, nurse, entered, counted),
        );
    }

    /// The stop of a check: the pad again, with a note.
    fn stop(&self, k: &Kiosk, note: String) {
        self.state.borrow_mut().checking = false;
        let s = page(k);
        s.set_stage(SignInStage::Pin);
        s.set_note(note.into());
    }

    /// The register counted the attempt (or could not, or says it is locked).
    fn pin_counted(
        &self,
        k: &Kiosk,
        nurse: (OperatorId, String),
        entered: String,
        counted: Result<PinAttempt, String>,
    ) {
        let lang = k.lang();
        match counted {
            Ok(PinAttempt::Counted {
                pin_hash,
                failures,
                locks_until,
            }) => self.verify_off_ui(k, nurse, entered, pin_hash, Some(failures), locks_until),
            Ok(PinAttempt::NotCounted { pin_hash }) => {
                log::warn!("sign-in: the register is read-only; wrong PINs are counted in memory");
                let lock = self
                    .state
                    .borrow_mut()
                    .memory
                    .entry(nurse.0)
                    .or_default()
                    .check(Instant::now());
                match lock {
                    Err(left) => self.stop(
                        k,
                        trn(
                            lang,
                            "Too many wrong PINs: locked for {n} more second.",
                            "Too many wrong PINs: locked for {n} more seconds.",
                            left.as_secs() + 1,
                            &[],
                        ),
                    ),
                    Ok(()) => self.verify_off_ui(k, nurse, entered, pin_hash, None, None),
                }
            }
            Ok(PinAttempt::Locked { until }) => self.stop(k, locked_note(until, Utc::now(), lang)),
            Ok(PinAttempt::NotActive) => {
                self.stop(k, tr(lang, "This nurse can no longer sign in."));
                page(k).set_stage(SignInStage::Choose);
                self.load_nurses(k);
            }
            Err(e) => self.stop(k, trf(lang, "The PIN cannot be checked: {}", &[&e])),
        }
    }

    /// Checks a PIN against its hash on a thread of its own.
    fn verify_off_ui(
        &self,
        k: &Kiosk,
        nurse: (OperatorId, String),
        entered: String,
        pin_hash: String,
        failures: Option<u32>,
        locks_until: Option<DateTime<Utc>>,
    ) {
        let spawned = k.background(
            "pin-check",
            move || pin::verify(&entered, &pin_hash),
            move |k, right| k.signin.verified(k, nurse, right, failures, locks_until),
        );
        if let Err(e) = spawned {
            let e = e.to_string();
            self.stop(k, trf(k.lang(), "The PIN cannot be checked: {}", &[&e]));
        }
    }

    /// argon2 has said whether the PIN was right. `failures` is the
    /// register's count; `None` when it is read-only and counted in memory.
    fn verified(
        &self,
        k: &Kiosk,
        nurse: (OperatorId, String),
        right: bool,
        failures: Option<u32>,
        locks_until: Option<DateTime<Utc>>,
    ) {
        if right {
            let id = nurse.0;
            self.state.borrow_mut().memory.remove(&id);
            if failures.is_some() {
                k.register(
                    Watch::SignIn,
                    move |s| s.pin_accepted(id),
                    |_, cleared| {
                        if let Err(e) = cleared {
                            log::warn!("a right PIN's count not cleared: {e}");
                        }
                    },
                );
            }
            return self.signed_in(k, nurse);
        }
        log::warn!("sign-in: wrong PIN for {}", nurse.1);
        let lang = k.lang();
        let note = match failures {
            Some(n) => wrong_pin_note(n, locks_until, Utc::now(), lang),
            None => {
                let mut se = self.state.borrow_mut();
                let l = se.memory.entry(nurse.0).or_default();
                match l.fail(Instant::now()) {
                    Some(d) => trn(
                        lang,
                        "Wrong PIN. Too many wrong PINs: locked for {n} second.",
                        "Wrong PIN. Too many wrong PINs: locked for {n} seconds.",
                        d.as_secs(),
                        &[],
                    ),
                    None => tries_left(l.left(), lang),
                }
            }
        };
        self.stop(k, note);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_pins_say_the_tries_left_then_the_lock() {
        let now = Utc::now();
        let en = Lang::En;
        assert_eq!(
            wrong_pin_note(1, None, now, en),
            "Wrong PIN. 4 tries left before a lock."
        );
        assert_eq!(
            wrong_pin_note(4, None, now, en),
            "Wrong PIN. 1 try left before a lock."
        );
        // After a lock has passed, a new run of five begins.
        assert_eq!(
            wrong_pin_note(6, None, now, en),
            "Wrong PIN. 4 tries left before a lock."
        );
        let until = now + chrono::Duration::minutes(5);
        assert_eq!(
            wrong_pin_note(10, Some(until), now, en),
            "Wrong PIN. Too many wrong PINs: locked for 5 more minutes."
        );
        assert_eq!(
            locked_note(now + chrono::Duration::seconds(20), now, en),
            "Too many wrong PINs: locked for 1 more minute."
        );
    }

    #[test]
    fn the_notes_in_hindi_and_tamil_keep_their_counts() {
        let now = Utc::now();
        let until = now + chrono::Duration::minutes(5);
        for lang in [Lang::Hi, Lang::Ta] {
            for (note, count) in [
                (wrong_pin_note(1, None, now, lang), "4"),
                (wrong_pin_note(4, None, now, lang), "1"),
                (wrong_pin_note(10, Some(until), now, lang), "5"),
            ] {
                assert!(note.contains(count), "{lang:?}: {note}");
                assert!(
                    !note.contains('{') && !note.contains("PIN."),
                    "{lang:?}: {note}"
                );
            }
        }
    }
}
