//! One controller per screen group, each with its own Slint global and its
//! own state in its own `RefCell`. A controller borrows only its own state,
//! never across a call into another one; it reaches the rest of the kiosk
//! through the shell (`&Kiosk`) it is handed.

pub mod admin_pin;
pub mod admin_settings;
pub mod capture;
pub mod ct;
pub mod ct_result;
pub mod finish;
pub mod history;
pub mod home;
pub mod print;
pub mod result;
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
