//! `onemed kiosk`: the touchscreen app a nurse uses.
//!
//! `ui` is the only module that includes the generated Slint code; `app` is the
//! shell on the UI thread; `controllers/` has one controller per screen group
//! (home, capture/result, CT, visit/finish/print, history, admin), each with
//! its own Slint global and its own state; `inference` and `preview` are the
//! workers that own the engine and the camera; `status` fills the home
//! screen's status line. The UI thread only renders and applies worker
//! messages.

pub mod app;
pub mod bench;
pub mod day;
mod controllers;
mod idle;
pub use crate::workers::inference;
mod input;
pub mod language;
mod liveness;
mod message;
pub mod preview;
mod register;
mod state;
mod status;
mod sticks;
pub mod ui;

pub use app::{Kiosk, Waker};

use crate::settings::Settings;
use slint::ComponentHandle;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::sync::Arc;

thread_local! {
    /// The kiosk on the UI thread, for the wake-ups workers send.
    static CURRENT: RefCell<Weak<Kiosk>> = const { RefCell::new(Weak::new()) };
}

/// A waker that drains the kiosk's messages on the Slint event loop.
pub fn event_loop_waker() -> Waker {
    Arc::new(|| {
        let _ = slint::invoke_from_event_loop(|| {
            CURRENT.with(|c| {
                if let Some(k) = c.borrow().upgrade() {
                    k.pump();
                }
            })
        });
    })
}

/// Runs the kiosk until its window closes.
pub fn run(settings: &Settings, fullscreen: bool) -> anyhow::Result<()> {
    let kiosk: Rc<Kiosk> = Kiosk::new(settings, event_loop_waker())?;
    CURRENT.with(|c| *c.borrow_mut() = Rc::downgrade(&kiosk));
    if fullscreen {
        kiosk.window().window().set_fullscreen(true);
    }
    // systemd (Type=notify): READY=1 once the models have loaded, watchdog
    // pings from this (the UI) thread while no worker job is overdue,
    // STOPPING=1 when the loop ends.
    let (weak, alive) = (Rc::downgrade(&kiosk), Rc::downgrade(&kiosk));
    let supervision = crate::notify::supervise(
        move || weak.upgrade().is_some_and(|k| k.is_ready()),
        move || alive.upgrade().is_some_and(|k| k.is_alive()),
    );
    // Without systemd too, a hung worker is said on the screen; and the
    // kiosk locks to the sign-in screen after its idle minutes.
    let check = slint::Timer::default();
    let k = Rc::downgrade(&kiosk);
    check.start(
        slint::TimerMode::Repeated,
        std::time::Duration::from_secs(2),
        move || {
            if let Some(k) = k.upgrade() {
                k.is_alive();
                k.check_idle(std::time::Instant::now());
            }
        },
    );
    let result = kiosk.window().run();
    drop(check);
    crate::notify::stopping();
    drop(supervision);
    result?;
    Ok(())
}
