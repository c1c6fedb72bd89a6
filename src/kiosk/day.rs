//! `onemed bench --day N`: a camp day replayed through the real kiosk,
//! headless, for its memory: N patients, each a visit on the fundus camera
//! (the demo's 3504x2336 photos, the largest pictures the kiosk takes):
//! tool, patient ID, capture, analyse, result, finish, summary, next
//! patient; the history opened every 20 patients; the day exported at the
//! end. Prints the peak resident memory (VmHWM) and where it was reached.

use super::bench::{headless, sign_in, until, BenchRegister};
use super::ui::{CapturePage, FinishCheck, HistoryPage, HomePage, Kiosk as G, Screen, VisitPage};
use super::Kiosk;
use crate::settings::Settings;
use slint::{ComponentHandle, Rgb8Pixel};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the day cost.
#[derive(Debug, Clone)]
pub struct DayFigures {
    pub patients: usize,
    /// Peak resident memory after the models loaded, after 10 % of the
    /// patients, at the end of the visits, and after the export (MB).
    pub rss_ready_mb: f64,
    pub rss_early_mb: f64,
    pub rss_visits_mb: f64,
    pub rss_export_mb: f64,
    /// Resident memory at the end (MB).
    pub rss_now_mb: f64,
    pub seconds: f64,
    /// Pictures saved, and their bytes on disk.
    pub records: usize,
    pub stored_bytes: u64,
}

fn status_mb(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with(key))?;
            line.split_whitespace().nth(1)?.parse::<f64>().ok()
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Replays `patients` visits on the replay camera `replay_spec`.
pub fn run(settings: &Settings, replay_spec: &str, patients: usize) -> anyhow::Result<DayFigures> {
    let window = headless()?;
    let mut s = settings.clone();
    s.camera = replay_spec.to_string();
    let register = BenchRegister::new(&mut s)?;
    let t0 = Instant::now();
    let k = Kiosk::new(&s, Arc::new(|| {}))?;
    window.set_size(slint::PhysicalSize::new(1280, 800));
    k.window().show()?;
    let mut buf = vec![Rgb8Pixel { r: 0, g: 0, b: 0 }; 1280 * 800];
    if !until(&k, &window, &mut buf, Duration::from_secs(60), |k| {
        k.is_ready()
    }) {
        anyhow::bail!("the models did not load within a minute");
    }
    if !sign_in(&k, &window, &mut buf, register.nurse) {
        anyhow::bail!("the bench's nurse could not sign in");
    }
    let mut wait = |what: &str, secs: u64, cond: &dyn Fn(&Kiosk) -> bool| {
        if until(&k, &window, &mut buf, Duration::from_secs(secs), cond) {
            Ok(())
        } else {
            Err(anyhow::anyhow!("{what} did not happen within {secs} s"))
        }
    };
    let rss_ready_mb = status_mb("VmHWM:");
    let mut rss_early_mb = rss_ready_mb;
    let screen = |k: &Kiosk| k.window().global::<G>().get_screen();
    for i in 0..patients {
        let g = k.window().global::<G>();
        k.window()
            .global::<HomePage>()
            .invoke_select_tool("diabetic-retinopathy".into());
        wait("the patient screen", 10, &|k| {
            screen(k) == Screen::VisitStart
        })?;
        for c in format!("P{i:04}").chars() {
            g.invoke_key(c.to_string().into());
        }
        let before = k.previews_shown();
        k.window().global::<VisitPage>().invoke_start_visit();
        wait("the camera's preview", 20, &|k| {
            screen(k) == Screen::Capture
                && k.previews_shown() > before
                && k.window().global::<CapturePage>().get_camera_connected()
        })?;
        let c = k.window().global::<CapturePage>();
        c.invoke_capture();
        wait("the review screen", 20, &|k| screen(k) == Screen::Review)?;
        c.invoke_analyse();
        wait("the result", 30, &|k| screen(k) == Screen::Result)?;
        let v = k.window().global::<VisitPage>();
        v.invoke_finish_visit();
        wait("the finish check", 10, &|k| {
            screen(k) == Screen::FinishCheck
        })?;
        k.window().global::<FinishCheck>().invoke_finish_and_refer();
        wait("the visit summary", 20, &|k| {
            screen(k) == Screen::VisitSummary
        })?;
        v.invoke_next_patient();
        wait("the home screen", 10, &|k| screen(k) == Screen::Home)?;
        if (i + 1) % 20 == 0 {
            k.window().global::<HistoryPage>().invoke_open_history();
            wait("the history", 10, &|k| screen(k) == Screen::History)?;
            let shown = Instant::now();
            wait("a look at the history", 2, &|_| {
                shown.elapsed() > Duration::from_millis(300)
            })?;
            g.invoke_back();
            wait("home after history", 10, &|k| screen(k) == Screen::Home)?;
        }
        if i + 1 == patients.div_ceil(10) {
            rss_early_mb = status_mb("VmHWM:");
        }
    }
    let rss_visits_mb = status_mb("VmHWM:");
    // The day's export, as the admin screen runs it (plain, to a folder).
    drop(k);
    let mut store =
        crate::records::Store::open(&s.data_dir, &crate::records::Protection::from_settings(&s)?)?;
    let out = tempfile::tempdir()?;
    let summary =
        crate::export::export(&mut store, out.path(), None, &crate::export::Sealing::Plain)?;
    let rss_export_mb = status_mb("VmHWM:");
    Ok(DayFigures {
        patients,
        rss_ready_mb,
        rss_early_mb,
        rss_visits_mb,
        rss_export_mb,
        rss_now_mb: status_mb("VmRSS:"),
        seconds: t0.elapsed().as_secs_f64(),
        records: summary.records,
        stored_bytes: summary.bytes,
    })
}
