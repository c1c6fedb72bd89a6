//! `onemed bench --kiosk`: latency measured inside the running app, headless.
//!
//! The kiosk runs on Slint's software renderer in a minimal window (no display
//! needed), with a 1080p replay camera whose every frame is decoded as an
//! MJPEG camera's would be. It measures what a nurse feels: the preview frame
//! rate actually shown, capture tap → still on screen, and analyse tap →
//! result on screen (each "on screen" = the frame rendered), tool tap on the
//! home screen → first preview frame on screen (the camera rests elsewhere,
//! so this includes opening it), and what each screen costs the CPU: the
//! process's CPU time over wall time while the screen is shown, the loop
//! idling as an event loop does (woken by the workers, rendering when needed).

use super::ui::{CapturePage, HomePage, Kiosk as G, Screen, SignIn, VisitPage};
use super::Kiosk;
use crate::settings::Settings;
use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType};
use slint::platform::{Platform, WindowAdapter};
use slint::{ComponentHandle, Rgb8Pixel};
use std::rc::Rc;
use std::sync::{Arc, Condvar, Mutex};
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
    /// Tool tapped on the home screen (visit open) → first preview frame
    /// rendered.
    pub tool_to_preview_ms: Vec<f64>,
    /// Retake tapped on the result screen → first preview frame rendered.
    pub retake_to_preview_ms: Vec<f64>,
    /// CPU per screen, with the camera attached.
    pub cpu: Vec<ScreenCpu>,
}

/// What a screen costs while it is shown and nothing is tapped.
#[derive(Debug, Clone)]
pub struct ScreenCpu {
    pub screen: &'static str,
    /// Process CPU time over wall time, in percent of one core.
    pub percent: f64,
    /// Frames the camera delivered meanwhile (0 while it rests).
    pub camera_frames: u64,
    pub seconds: f64,
}

/// The process's CPU time so far (user + system, every thread), in seconds.
pub fn process_cpu_seconds() -> f64 {
    // SAFETY: getrusage fills the struct it is given; nothing else is touched.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return f64::NAN;
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(ru.ru_utime) + secs(ru.ru_stime)
}

/// Set by the kiosk's waker: a worker sent a message.
#[derive(Default)]
struct Wake {
    pending: Mutex<bool>,
    cond: Condvar,
}

impl Wake {
    fn wake(&self) {
        *self.pending.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.cond.notify_all();
    }

    /// Sleeps until woken or `timeout` has passed.
    fn sleep(&self, timeout: Duration) {
        let mut p = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        if !*p {
            p = self
                .cond
                .wait_timeout(p, timeout)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
        *p = false;
    }
}

/// Runs the kiosk as its event loop would for `secs`, and measures the
/// process's CPU meanwhile: it sleeps until a worker wakes it (or a 50 ms
/// tick for Slint's timers), then applies the messages and renders if
/// anything changed.
fn screen_cpu(
    k: &Kiosk,
    w: &MinimalSoftwareWindow,
    buf: &mut [Rgb8Pixel],
    wake: &Wake,
    screen: &'static str,
    secs: f64,
) -> ScreenCpu {
    let (frames0, cpu0, t0) = (k.camera_frames(), process_cpu_seconds(), Instant::now());
    let limit = Duration::from_secs_f64(secs);
    while t0.elapsed() < limit {
        wake.sleep(Duration::from_millis(50).min(limit.saturating_sub(t0.elapsed())));
        slint::platform::update_timers_and_animations();
        k.pump();
        render(w, buf);
    }
    let seconds = t0.elapsed().as_secs_f64();
    ScreenCpu {
        screen,
        percent: (process_cpu_seconds() - cpu0) / seconds * 100.0,
        camera_frames: k.camera_frames() - frames0,
        seconds,
    }
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

/// The headless platform (Slint's software renderer in a minimal window).
pub(super) fn headless() -> anyhow::Result<Rc<MinimalSoftwareWindow>> {
    let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
    slint::platform::set_platform(Box::new(Headless {
        window: window.clone(),
    }))
    .map_err(|e| anyhow::anyhow!("cannot set the headless platform: {e}"))?;
    Ok(window)
}

/// A bench's register in folders of its own, encrypted as on a kiosk with a
/// key of its own, holding one nurse to sign in (screening needs one). The
/// folders go when it is dropped.
pub(super) struct BenchRegister {
    _data: tempfile::TempDir,
    _credentials: tempfile::TempDir,
    pub nurse: crate::records::OperatorId,
}

impl BenchRegister {
    /// Makes it and points `s` at it.
    pub(super) fn new(s: &mut Settings) -> anyhow::Result<BenchRegister> {
        let data = tempfile::tempdir()?;
        s.data_dir = data.path().to_path_buf();
        let credentials = tempfile::tempdir()?;
        let mut secret = [0u8; 32];
        std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut secret)?;
        std::fs::write(
            credentials.path().join(crate::records::key::CREDENTIAL),
            secret,
        )?;
        s.credentials_dir = Some(credentials.path().to_path_buf());
        let protection = crate::records::Protection::from_settings(s)?;
        let mut store = crate::records::Store::open(&s.data_dir, &protection)?;
        let nurse = store.add_operator(BENCH_NURSE, &crate::admin::pin::hash(BENCH_PIN)?)?;
        Ok(BenchRegister {
            _data: data,
            _credentials: credentials,
            nurse,
        })
    }
}

/// Signs the bench's nurse in on the sign-in screen; false when she could not.
pub(super) fn sign_in(
    k: &Kiosk,
    w: &MinimalSoftwareWindow,
    buf: &mut [Rgb8Pixel],
    nurse: crate::records::OperatorId,
) -> bool {
    let signin = k.window().global::<SignIn>();
    until(k, w, buf, Duration::from_secs(20), |k| k.nurses_known());
    signin.invoke_open();
    signin.invoke_pick(i32::try_from(nurse).unwrap_or(-1));
    for key in BENCH_PIN.chars().map(String::from).chain(["OK".into()]) {
        signin.invoke_pin_key(key.into());
    }
    until(k, w, buf, Duration::from_secs(20), |k| {
        k.window().global::<SignIn>().get_nurse() == BENCH_NURSE
    })
}

/// Runs the kiosk headless on `replay_spec` and times it (`runs` captures,
/// each analysed and saved to a register in a temporary folder).
pub fn run(settings: &Settings, replay_spec: &str, runs: usize) -> anyhow::Result<KioskTimings> {
    let window = headless()?;
    let mut s = settings.clone();
    s.camera = replay_spec.to_string();
    // Every result is saved before it is shown: into a register of its own.
    let register = BenchRegister::new(&mut s)?;
    let t0 = Instant::now();
    let wake = Arc::new(Wake::default());
    let waker = Arc::clone(&wake);
    let k = Kiosk::new(&s, Arc::new(move || waker.wake()))?;
    window.set_size(slint::PhysicalSize::new(1280, 800));
    k.window().show()?;
    let mut buf = vec![Rgb8Pixel { r: 0, g: 0, b: 0 }; 1280 * 800];
    if !until(&k, &window, &mut buf, Duration::from_secs(60), |k| {
        k.is_ready()
    }) {
        anyhow::bail!("the models did not load within a minute");
    }
    let ready_ms = t0.elapsed().as_secs_f64() * 1000.0;
    if !sign_in(&k, &window, &mut buf, register.nurse) {
        anyhow::bail!("the bench's nurse could not sign in");
    }
    // The camera is opened once at start (so the home screen knows it), then
    // rests: let that settle before the home screen is measured.
    until(&k, &window, &mut buf, Duration::from_secs(20), |k| {
        k.camera_frames() > 0
    });
    until(&k, &window, &mut buf, Duration::from_secs(1), |_| false);
    let mut cpu = vec![screen_cpu(
        &k,
        &window,
        &mut buf,
        &wake,
        "home",
        CPU_SECONDS,
    )];
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
    let (mut cap, mut ana, mut retake) = (Vec::new(), Vec::new(), Vec::new());
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
        if cpu.len() == 1 {
            cpu.push(screen_cpu(
                &k,
                &window,
                &mut buf,
                &wake,
                "result",
                CPU_SECONDS,
            ));
        }
        // Retake on the result screen: the camera, resting there, opens
        // again; the nurse captures once the preview is live.
        let shown = k.previews_shown();
        let t = Instant::now();
        c.invoke_retake();
        if !until(&k, &window, &mut buf, Duration::from_secs(20), |k| {
            k.previews_shown() > shown
        }) {
            anyhow::bail!("no preview after a retake");
        }
        retake.push(t.elapsed().as_secs_f64() * 1000.0);
        until(&k, &window, &mut buf, Duration::from_millis(200), |_| false);
    }
    // The capture screen again, its preview streaming.
    cpu.insert(
        1,
        screen_cpu(&k, &window, &mut buf, &wake, "capture preview", CPU_SECONDS),
    );
    // Tool tapped on the home screen, the visit open: the capture screen
    // comes up and the camera, resting, opens again.
    let v = k.window().global::<VisitPage>();
    let mut tool = Vec::new();
    for _ in 0..TOOL_TAPS {
        v.invoke_another_tool();
        until(&k, &window, &mut buf, Duration::from_millis(1000), |_| {
            false
        });
        let shown = k.previews_shown();
        let t = Instant::now();
        k.window()
            .global::<HomePage>()
            .invoke_select_tool("diabetic-retinopathy".into());
        if !until(&k, &window, &mut buf, Duration::from_secs(20), |k| {
            k.previews_shown() > shown
        }) {
            anyhow::bail!("no preview after a tool tap");
        }
        tool.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(KioskTimings {
        preview_fps,
        capture_to_review_ms: cap,
        analyse_to_result_ms: ana,
        ready_ms,
        tool_to_preview_ms: tool,
        retake_to_preview_ms: retake,
        cpu,
    })
}

/// The nurse the bench signs in as, and her PIN.
const BENCH_NURSE: &str = "Bench";
const BENCH_PIN: &str = "482913";

/// How long each screen's CPU is measured.
const CPU_SECONDS: f64 = 4.0;
/// Tool taps timed (home → first preview).
const TOOL_TAPS: usize = 5;
