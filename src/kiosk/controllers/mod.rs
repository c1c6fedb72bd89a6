//! One controller per screen group, each with its own Slint global and its
//! own state in its own `RefCell`. A controller borrows only its own state,
//! never across a call into another one; it reaches the rest of the kiosk
//! through the shell (`&Kiosk`) it is handed.

mod admin_export;
pub mod admin_pin;
pub mod admin_settings;
pub mod capture;
pub mod ct;
pub mod ct_result;
pub mod ct_roots;
pub mod ct_series;
pub mod ct_still;
pub mod finish;
pub mod history;
pub mod home;
pub mod nurses;
pub mod pin_check;
pub mod print;
pub mod result;
pub mod signin;
pub mod visit;

/// Wires a page callback to the kiosk, held weakly; every tap counts as a
/// touch for the idle lock.
macro_rules! on {
    ($k:expr, $page:expr, $setter:ident, |$kk:ident $(, $arg:ident)*| $body:expr) => {{
        let w = std::rc::Rc::downgrade($k);
        $page.$setter(move |$($arg),*| {
            if let Some($kk) = w.upgrade() {
                $kk.touched();
                $body
            }
        });
    }};
}
pub(crate) use on;

/// One on-screen key typed into `text`: "⌫" deletes, "Clear" empties, "OK"
/// changes nothing, any other key adds its allowed characters up to `max`.
pub fn type_key(text: &mut String, key: &str, max: usize, allowed: fn(char) -> bool) {
    match key {
        "⌫" => {
            text.pop();
        }
        "Clear" => text.clear(),
        "OK" => {}
        k => {
            for c in k.chars() {
                if allowed(c) && text.chars().count() < max {
                    text.push(c);
                }
            }
        }
    }
}

/// Characters a patient ID may have (the scanner's rule too).
pub fn id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_/.".contains(c)
}

/// Longest patient ID, search or operator name typed on the keys.
pub const MAX_TYPED: usize = 32;

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
/// removes a digit, a digit is added up to [`pin::MAX_DIGITS`](crate::admin::pin::MAX_DIGITS), OK submits.
pub fn pad_key(pin: &mut String, key: &str) -> PadKey {
    match key {
        "⌫" => {
            pin.pop();
            PadKey::Changed
        }
        "OK" => PadKey::Submit,
        d if d.len() == 1 && d.as_bytes()[0].is_ascii_digit() => {
            if pin.len() < crate::admin::pin::MAX_DIGITS {
                pin.push_str(d);
            }
            PadKey::Changed
        }
        _ => PadKey::Ignored,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::pin;

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
}
