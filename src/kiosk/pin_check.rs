//! Checking a nurse's PIN on the sign-in screen: the pad's keys, the attempt
//! counted in the register *before* argon2 checks the PIN on a thread of its
//! own ("Checking…"; keys are ignored meanwhile), the count cleared when it
//! was right, and the words for wrong PINs and locks. On a register the disk
//! keeps read-only, wrong PINs are counted in memory (five lock for a minute).

use super::app::Kiosk;
use super::signin::{NurseReq, SignInMsg};
use super::state::StoreReq;
use super::ui::SignInStage;
use crate::admin::{lockout, pin};
use crate::records::{OperatorId, PinAttempt};
use crate::workers::store::Reply;
use chrono::{DateTime, Utc};
use slint::SharedString;
use std::time::Instant;

/// What a key of a PIN pad did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PadKey {
    /// A digit added or removed: show the dots again.
    Changed,
    /// OK: check or save what was typed.
    Submit,
    /// Anything else (a digit past the longest PIN still counts as pressed).
    Ignored,
}

/// One key of a PIN pad (the admin's, the sign-in's, Admin → Nurses'): ⌫
/// removes a digit, a digit is added up to [`pin::MAX_DIGITS`], OK submits.
pub fn pad_key(pin: &mut String, key: &str) -> PadKey {
    match key {
        "⌫" => {
            pin.pop();
            PadKey::Changed
        }
        "OK" => PadKey::Submit,
        d if d.len() == 1 && d.as_bytes()[0].is_ascii_digit() => {
            if pin.len() < pin::MAX_DIGITS {
                pin.push_str(d);
            }
            PadKey::Changed
        }
        _ => PadKey::Ignored,
    }
}

/// "Wrong PIN. 3 tries left before a lock." or the lock it earned.
pub fn wrong_pin_note(
    failures: u32,
    locks_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> String {
    if let Some(until) = locks_until {
        return format!("Wrong PIN. {}", locked_note(until, now));
    }
    let left = lockout::MAX_FAILURES - failures % lockout::MAX_FAILURES;
    format!(
        "Wrong PIN. {left} {} left before a lock.",
        if left == 1 { "try" } else { "tries" }
    )
}

/// "Too many wrong PINs: locked for 5 more minutes."
pub fn locked_note(until: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (until - now).num_seconds().max(1);
    let minutes = (secs + 59) / 60;
    format!(
        "Too many wrong PINs: locked for {minutes} more {}.",
        if minutes == 1 { "minute" } else { "minutes" }
    )
}

impl Kiosk {
    pub(super) fn signin_key(&self, key: &str) {
        if self.session.borrow().checking {
            return;
        }
        let pressed = pad_key(&mut self.session.borrow_mut().pin, key);
        match pressed {
            PadKey::Submit => return self.submit_pin(),
            PadKey::Ignored => return,
            PadKey::Changed => {}
        }
        let dots = "●".repeat(self.session.borrow().pin.len());
        self.s().set_pin_dots(dots.into());
    }

    fn submit_pin(&self) {
        let (nurse, entered) = {
            let mut se = self.session.borrow_mut();
            let Some(nurse) = se.chosen.clone() else {
                return;
            };
            (nurse, std::mem::take(&mut se.pin))
        };
        let s = self.s();
        s.set_pin_dots(SharedString::new());
        if !pin::valid(&entered) {
            return s.set_note("A PIN is 6 to 12 digits. Type it again.".into());
        }
        self.session.borrow_mut().checking = true;
        s.set_note(SharedString::new());
        s.set_stage(SignInStage::Checking);
        let id = nurse.0;
        self.store_job(
            StoreReq::Nurse(NurseReq::Counted {
                nurse,
                pin: entered,
            }),
            |req| crate::workers::store::Job::CountPinAttempt {
                req,
                id,
                now: Utc::now(),
                lock_after: lockout::delay_after,
            },
        );
    }

    /// The register's answers for sign-in and nurse management.
    pub(super) fn pin_counted(
        &self,
        nurse: (OperatorId, String),
        entered: String,
        r: Result<Reply, String>,
    ) {
        let s = self.s();
        let stop = |note: String| {
            self.session.borrow_mut().checking = false;
            s.set_stage(SignInStage::Pin);
            s.set_note(note.into());
        };
        match r {
            Ok(Reply::PinAttempt(PinAttempt::Counted {
                pin_hash,
                failures,
                locks_until,
            })) => self.verify_off_ui(nurse, entered, pin_hash, Some(failures), locks_until),
            Ok(Reply::PinAttempt(PinAttempt::NotCounted { pin_hash })) => {
                log::warn!("sign-in: the register is read-only; wrong PINs are counted in memory");
                let lock = self
                    .session
                    .borrow_mut()
                    .memory
                    .entry(nurse.0)
                    .or_default()
                    .check(Instant::now());
                match lock {
                    Err(left) => stop(format!(
                        "Too many wrong PINs: locked for {} more seconds.",
                        left.as_secs() + 1
                    )),
                    Ok(()) => self.verify_off_ui(nurse, entered, pin_hash, None, None),
                }
            }
            Ok(Reply::PinAttempt(PinAttempt::Locked { until })) => {
                stop(locked_note(until, Utc::now()));
            }
            Ok(Reply::PinAttempt(PinAttempt::NotActive)) => {
                stop("This nurse can no longer sign in.".into());
                s.set_stage(SignInStage::Choose);
                self.load_nurses();
            }
            Ok(other) => stop(format!("unexpected register answer {other:?}")),
            Err(e) => stop(format!("The PIN cannot be checked: {e}")),
        }
    }

    /// Checks a PIN against its hash on a thread of its own.
    fn verify_off_ui(
        &self,
        nurse: (OperatorId, String),
        entered: String,
        pin_hash: String,
        failures: Option<u32>,
        locks_until: Option<DateTime<Utc>>,
    ) {
        let spawned = self.background(
            "pin-check",
            move || SignInMsg::Verified {
                right: pin::verify(&entered, &pin_hash),
                nurse,
                failures,
                locks_until,
            },
            |k, m| k.on_signin(m),
        );
        if let Err(e) = spawned {
            self.session.borrow_mut().checking = false;
            let s = self.s();
            s.set_stage(SignInStage::Pin);
            s.set_note(format!("The PIN cannot be checked: {e}").into());
        }
    }

    pub(super) fn on_signin(&self, m: SignInMsg) {
        match m {
            SignInMsg::Verified {
                nurse,
                right: true,
                failures,
                ..
            } => {
                let id = nurse.0;
                self.session.borrow_mut().memory.remove(&id);
                if failures.is_some() {
                    self.store_job(StoreReq::Nurse(NurseReq::Accepted), |req| {
                        crate::workers::store::Job::PinAccepted { req, id }
                    });
                }
                self.signed_in(nurse);
            }
            SignInMsg::Verified {
                nurse,
                right: false,
                failures,
                locks_until,
            } => {
                log::warn!("sign-in: wrong PIN for {}", nurse.1);
                let note = match failures {
                    Some(n) => wrong_pin_note(n, locks_until, Utc::now()),
                    None => {
                        let mut se = self.session.borrow_mut();
                        let l = se.memory.entry(nurse.0).or_default();
                        match l.fail(Instant::now()) {
                            Some(d) => format!(
                                "Wrong PIN. Too many wrong PINs: locked for {} seconds.",
                                d.as_secs()
                            ),
                            None => format!("Wrong PIN. {} tries left before a lock.", l.left()),
                        }
                    }
                };
                self.session.borrow_mut().checking = false;
                let s = self.s();
                s.set_stage(SignInStage::Pin);
                s.set_note(note.into());
            }
            SignInMsg::Hashed(h) => self.nurse_pin_hashed(h),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pad_takes_digits_up_to_the_longest_pin_and_submits_on_ok() {
        let mut pin = String::new();
        for _ in 0..20 {
            assert_eq!(pad_key(&mut pin, "7"), PadKey::Changed);
        }
        assert_eq!(pin.len(), pin::MAX_DIGITS);
        assert_eq!(pad_key(&mut pin, "⌫"), PadKey::Changed);
        assert_eq!(pin.len(), pin::MAX_DIGITS - 1);
        assert_eq!(pad_key(&mut pin, "x"), PadKey::Ignored);
        assert_eq!(pad_key(&mut pin, "12"), PadKey::Ignored);
        assert_eq!(pad_key(&mut pin, "OK"), PadKey::Submit);
        assert_eq!(pin.len(), pin::MAX_DIGITS - 1);
    }

    #[test]
    fn wrong_pins_say_the_tries_left_then_the_lock() {
        let now = Utc::now();
        assert_eq!(
            wrong_pin_note(1, None, now),
            "Wrong PIN. 4 tries left before a lock."
        );
        assert_eq!(
            wrong_pin_note(4, None, now),
            "Wrong PIN. 1 try left before a lock."
        );
        // After a lock has passed, a new run of five begins.
        assert_eq!(
            wrong_pin_note(6, None, now),
            "Wrong PIN. 4 tries left before a lock."
        );
        let until = now + chrono::Duration::minutes(5);
        assert_eq!(
            wrong_pin_note(10, Some(until), now),
            "Wrong PIN. Too many wrong PINs: locked for 5 more minutes."
        );
        assert_eq!(
            locked_note(now + chrono::Duration::seconds(20), now),
            "Too many wrong PINs: locked for 1 more minute."
        );
    }
}
