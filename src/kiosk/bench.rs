//! `onemed bench --kiosk`: latency measured inside the running app, headless.
//!
//! The kiosk runs on Slint's software renderer in a minimal window (no display
//! needed), with a 1080p replay camera whose every frame is decoded as an
//! MJPEG camera's would be. It measures what a nurse feels: the preview frame
//! rate actually shown, capture tap → still on screen, and analyse tap →
//! result on screen (each "on screen" = the frame rendered).

use super::ui::{CapturePage, HomePage, Kiosk as G, Screen, VisitPage};
use super::Kiosk;
use crate::settings::Settings;
use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType};
use slint::platform::{Platform, WindowAdapter};
use slint::{ComponentHandle, Rgb8Pixel};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(super) struct Headless {
    pub(super) window: Rc<MinimalSoftwareWindow>,
}

impl Platform for Headless {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, slint::PlatformError> {
        Ok(self.window.clone())
    }
}

/// What the bench measured, in milliseconds and frames per second.
#[derive(Debug, Clone)]
pub struct KioskTimings {
    pub preview_fps: f64,
    pub capture_to_review_ms: Vec<f64>,
    pub analyse_to_result_ms: Vec<f64>,
    pub ready_ms: f64,
}

fn render(window: &MinimalSoftwareWindow, buf: &mut [Rgb8Pixel]) -> bool {
    window.draw_if_needed(|r| {
        r.render(buf, 1280);
    })
}

pub(super) fn until(
    k: &Kiosk,
    w: &MinimalSoftwareWindow,
    buf: &mut [Rgb8Pixel],
    limit: Duration,
    cond: impl Fn(&Kiosk) -> bool,
) -> bool {
    let t0 = Instant::now();
    loop {
        k.pump();
        render(w, buf);
        if cond(k) {
            return true;
        }
        if t0.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_micros(500));
    }
}

/// Runs the kiosk headless on `replay_spec` and times it (`runs` captures,
/// each analysed and saved to a register in a temporary folder).
pub fn run(settings: &Settings, replay_spec: &str, runs: usize) -> anyhow::Result<KioskTimings> {
    let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
    slint::platform::set_platform(Box::new(Headless {
        window: window.clone(),
    }))
    .map_err(|e| anyhow::anyhow!("cannot set the headless platform: {e}"))?;
    let mut s = settings.clone();
    s.camera = replay_spec.to_string();
    // Every result is saved before it is shown: into a register of its own.
    let data = tempfile::tempdir()?;
    s.data_dir = data.path().to_path_buf();
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
    let ready_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let g = k.window().global::<G>();
    k.window()
        .global::<HomePage>()
        .invoke_select_tool("diabetic-retinopathy".into());
    for key in ["B", "E", "N", "C", "H"] {
        g.invoke_key(key.into());
    }
    k.window().global::<VisitPage>().invoke_start_visit();
    if !until(&k, &window, &mut buf, Duration::from_secs(20), |k| {
        k.previews_shown() > 3
    }) {
        anyhow::bail!("no preview frames from {replay_spec}");
    }
    // Preview: frames shown (applied and rendered) over three seconds.
    let before = k.previews_shown();
    let t = Instant::now();
    until(&k, &window, &mut buf, Duration::from_secs(3), |_| false);
    let preview_fps = (k.previews_shown() - before) as f64 / t.elapsed().as_secs_f64();
    let c = k.window().global::<CapturePage>();
    let (mut cap, mut ana) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        c.invoke_capture();
        if !until(&k, &window, &mut buf, Duration::from_secs(20), |k| {
            k.window().global::<G>().get_screen() == Screen::Review
        }) {
            anyhow::bail!("capture did not reach the review screen");
        }
        cap.push(t.elapsed().as_secs_f64() * 1000.0);
        // A nurse looks at the still before tapping Analyse; meanwhile the
        // kiosk encodes it for the register, so the save is only the write.
        until(&k, &window, &mut buf, Duration::from_millis(500), |_| false);
        let t = Instant::now();
        c.invoke_analyse();
        if !until(&k, &window, &mut buf, Duration::from_secs(20), |k| {
            k.window().global::<G>().get_screen() == Screen::Result
        }) {
            anyhow::bail!("analyse did not reach the result screen");
        }
        ana.push(t.elapsed().as_secs_f64() * 1000.0);
        c.invoke_retake();
        until(&k, &window, &mut buf, Duration::from_millis(200), |_| false);
    }
    Ok(KioskTimings {
        preview_fps,
        capture_to_review_ms: cap,
        analyse_to_result_ms: ana,
        ready_ms,
    })
}
