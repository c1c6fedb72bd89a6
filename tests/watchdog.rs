//! A hung worker restarts the kiosk: an analysis that outlives the deadline
//! (`job_deadline_s`) stops the systemd watchdog pings, which is what makes
//! systemd restart the app, and the screen says what is happening. The worker
//! is made to hang by `ONEMED_FAULT=stall-analysis` (as a wedged GPU driver
//! would); the kiosk, its models, the capture, the deadline bookkeeping and
//! the pings to a real notify socket are the real ones. (tests/systemd.rs
//! checks the pings of the real binary and their stop while it is frozen.)
//!
//! One test in this binary: it sets process-wide environment variables.

#[path = "it/common/mod.rs"]
mod common;

use common::kiosk::*;
use onemed::kiosk::ui::Screen;
use std::os::unix::net::UnixDatagram;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Runs the kiosk's timers and messages for `d`, collecting notify datagrams.
fn run_for(k: &onemed::kiosk::Kiosk, sock: &UnixDatagram, d: Duration) -> Vec<String> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let t0 = Instant::now();
    while t0.elapsed() < d {
        slint::platform::update_timers_and_animations();
        k.pump();
        while let Ok(n) = sock.recv(&mut buf) {
            got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    got
}

fn pings(got: &[String]) -> usize {
    got.iter()
        .filter(|m| m.lines().any(|l| l == "WATCHDOG=1"))
        .count()
}

#[test]
fn a_hung_analysis_stops_the_watchdog_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let sock_path = dir.path().join("notify");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_nonblocking(true).unwrap();
    std::env::set_var("NOTIFY_SOCKET", &sock_path);
    std::env::set_var("WATCHDOG_USEC", "400000"); // a ping every 200 ms
    std::env::remove_var("WATCHDOG_PID");
    std::env::set_var("ONEMED_FAULT", "stall-analysis");

    let replay = common::datasets_dir().join("eye/diabetic-retinopathy");
    let mut settings = settings(
        &format!("replay:{}?fps=15", replay.display()),
        vec![],
        common::models_dir(),
    );
    settings.job_deadline_s = 2;
    let k = start_signed_in(&settings);
    let (ready, alive) = (Rc::downgrade(&k), Rc::downgrade(&k));
    let _supervision = onemed::notify::supervise(
        move || ready.upgrade().is_some_and(|k| k.is_ready()),
        move || alive.upgrade().is_some_and(|k| k.is_alive()),
    );

    // Healthy: READY=1, then pings.
    let got = run_for(&k, &sock, Duration::from_millis(1500));
    assert!(got.iter().any(|m| m.contains("READY=1")), "{got:?}");
    assert!(pings(&got) >= 3, "pings while healthy: {got:?}");

    begin_visit(&k, "Diabetic retinopathy", "PAT-0099");
    wait(&k, "a preview frame", |k| {
        capture_page(k).get_preview().size().width > 0
    });
    tap(&k, "Capture");
    wait(&k, "the review screen", |k| {
        g(k).get_screen() == Screen::Review
    });
    tap(&k, "Analyse");
    let t0 = Instant::now();

    // Within the deadline the kiosk is waiting, not hung: pings go on.
    let got = run_for(&k, &sock, Duration::from_millis(1200));
    assert!(k.is_alive(), "alive within the deadline");
    assert!(pings(&got) >= 2, "pings before the deadline: {got:?}");
    assert!(g(&k).get_busy(), "still analysing");

    // Past it: no ping at all (systemd kills and restarts the kiosk after
    // WatchdogSec), a STATUS naming the hung job, and words on the screen.
    let mut all = run_for(
        &k,
        &sock,
        Duration::from_secs(2).saturating_sub(t0.elapsed()),
    );
    all.extend(run_for(&k, &sock, Duration::from_millis(400))); // pings sent before it
    let got = run_for(&k, &sock, Duration::from_millis(1500));
    assert_eq!(pings(&got), 0, "pings after the deadline: {got:?}");
    all.extend(got);
    assert!(
        all.iter()
            .any(|m| m.contains("STATUS=hung: an analysis has run for")),
        "{all:?}"
    );
    assert!(!k.is_alive());
    let message = g(&k).get_message().to_string();
    assert!(
        message.contains("Something is stuck") && message.contains("restarting itself"),
        "{message:?}"
    );
    shot(&k, "44-hung-worker");
}
