//! The camera stage end to end, on a machine without a camera: replay
//! sources over sample images, the worker's latest-frame slot, watchdog and
//! reconnects with fake sources, the nokhwa path for what can exist here
//! (listing nothing, failing to open, decoding real and damaged MJPEG, an
//! MJPEG still keeping the camera's JPEG), a camera resting while paused,
//! spec parsing, mode choice, and the preview-rate measurement.

use crate::common;
use onemed::camera::{
    self, choose_preview_format, choose_still_format, decode_buffer, list_cameras,
    measure_preview_rate, parse_camera_spec, still_from_buffer, CameraError, CameraEvent,
    CameraSpec, CameraStatus, CameraWorker, FormatCandidate, FrameSource, NokhwaSource, Opener,
    PixelFormat, ReplayOptions, ReplaySource, Still, WorkerConfig,
};
use onemed::decode::{self, Limits};
use onemed::frame::RgbFrame;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------- fixtures

const SAMPLES: [&str; 5] = [
    "skin-lesion/benign/25.jpg",
    "skin-lesion/malignant/6.jpg",
    "covid-ct/non-covid/0.jpg",
    "covid-ct/non-covid/2_0.jpg",
    "skin-lesion/benign/38.jpg",
];

/// File name and decoded size of each image in a sample folder.
type Expected = Vec<(String, (usize, usize))>;

/// A temp folder with a few sample images, renamed so their order is known.
fn sample_dir() -> (tempfile::TempDir, Expected) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut expected = Vec::new();
    for (i, rel) in SAMPLES.iter().enumerate() {
        let src = common::datasets_dir().join(rel);
        let name = format!("{i:02}.jpg");
        std::fs::copy(&src, dir.path().join(&name))
            .unwrap_or_else(|e| panic!("{}: {e}", src.display()));
        let (_, f) = decode_file(&src);
        expected.push((name, (f.width(), f.height())));
    }
    (dir, expected)
}

fn decode_file(path: &Path) -> (Vec<u8>, RgbFrame) {
    let bytes = std::fs::read(path).expect("read sample");
    let (_, frame) = decode::decode(&bytes, &Limits::default()).expect("decode sample");
    (bytes, frame)
}

fn replay_spec(dir: &Path, query: &str) -> CameraSpec {
    parse_camera_spec(&format!("replay:{}{query}", dir.display())).expect("replay spec")
}

/// Fast worker timings for tests.
fn quick_config() -> WorkerConfig {
    WorkerConfig {
        frame_timeout: Duration::from_millis(400),
        open_timeout: Duration::from_millis(800),
        capture_timeout: Duration::from_secs(2),
        retry_every: Duration::from_millis(150),
        stop_grace: Duration::from_millis(300),
        ..WorkerConfig::default()
    }
}

/// Waits for an event matching `want`, returning everything seen before it.
fn wait_for(
    feed: &camera::CameraFeed,
    timeout: Duration,
    want: impl Fn(&CameraEvent) -> bool,
) -> (Option<CameraEvent>, Vec<CameraEvent>) {
    let deadline = Instant::now() + timeout;
    let mut seen = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match feed.wait_event(left) {
            Some(e) if want(&e) => return (Some(e), seen),
            Some(e) => seen.push(e),
            None => break,
        }
    }
    (None, seen)
}

fn is_status(e: &CameraEvent, f: impl Fn(&CameraStatus) -> bool) -> bool {
    matches!(e, CameraEvent::Status(s) if f(s))
}

/// A fake camera: frame `n` is a 4x4 image of grey level `n % 256`; after
/// `fail_after` frames it fails with `error`, or blocks forever if `None`.
struct FakeSource {
    n: usize,
    fail_after: Option<usize>,
    error: Option<CameraError>,
    period: Duration,
}

impl FakeSource {
    fn endless(period: Duration) -> Self {
        FakeSource {
            n: 0,
            fail_after: None,
            error: None,
            period,
        }
    }
}

impl FrameSource for FakeSource {
    fn describe(&self) -> String {
        "fake camera (/dev/fake0)".into()
    }

    fn label(&self) -> String {
        "fake camera".into()
    }

    fn next_frame(&mut self) -> Result<RgbFrame, CameraError> {
        if self.fail_after.is_some_and(|k| self.n >= k) {
            match &self.error {
                Some(e) => return Err(e.clone()),
                None => loop {
                    // A camera stuck inside its driver.
                    std::thread::sleep(Duration::from_secs(3600));
                },
            }
        }
        std::thread::sleep(self.period);
        self.n += 1;
        Ok(RgbFrame::new(4, 4, vec![(self.n % 256) as u8; 48]).expect("size"))
    }

    fn capture_still(&mut self) -> Result<Still, CameraError> {
        Ok(Still::raw(RgbFrame::new(8, 6, vec![7; 144]).expect("size")))
    }
}

fn opener(f: impl Fn(usize) -> FakeSource + Send + Sync + 'static) -> Opener {
    let opens = AtomicUsize::new(0);
    Arc::new(move |_spec: &CameraSpec| {
        let n = opens.fetch_add(1, Ordering::SeqCst);
        Ok(Box::new(f(n)) as Box<dyn FrameSource>)
    })
}

/// Encodes an RGB frame as a baseline JPEG (as an MJPEG camera would).
fn encode_jpeg(frame: &RgbFrame, quality: i32) -> Vec<u8> {
    use mozjpeg_sys::*;
    use std::os::raw::{c_ulong, c_void};
    extern "C" {
        fn free(p: *mut c_void);
    }
    // SAFETY: a textbook libjpeg compression into a memory buffer; every
    // pointer handed to libjpeg outlives the calls that use it.
    unsafe {
        let mut err: jpeg_error_mgr = std::mem::zeroed();
        let mut cinfo: jpeg_compress_struct = std::mem::zeroed();
        cinfo.common.err = jpeg_std_error(&mut err);
        jpeg_create_compress(&mut cinfo);
        let mut buf: *mut u8 = std::ptr::null_mut();
        let mut size: c_ulong = 0;
        jpeg_mem_dest(&mut cinfo, &mut buf, &mut size);
        cinfo.image_width = frame.width() as u32;
        cinfo.image_height = frame.height() as u32;
        cinfo.input_components = 3;
        cinfo.in_color_space = J_COLOR_SPACE::JCS_RGB;
        jpeg_c_set_int_param(
            &mut cinfo,
            J_INT_PARAM::JINT_COMPRESS_PROFILE,
            JCP_FASTEST as i32,
        );
        jpeg_set_defaults(&mut cinfo);
        jpeg_set_quality(&mut cinfo, quality, 1);
        jpeg_start_compress(&mut cinfo, 1);
        for y in 0..frame.height() {
            let row: [JSAMPROW; 1] = [frame.row(y).as_ptr()];
            jpeg_write_scanlines(&mut cinfo, row.as_ptr(), 1);
        }
        jpeg_finish_compress(&mut cinfo);
        let out = std::slice::from_raw_parts(buf, size as usize).to_vec();
        jpeg_destroy_compress(&mut cinfo);
        free(buf.cast());
        out
    }
}

// ------------------------------------------------------------------ replay

#[test]
fn replay_delivers_at_the_set_rate_and_loops() {
    let (dir, expected) = sample_dir();
    let mut opts = ReplayOptions::new(dir.path());
    opts.fps = 20.0;
    let mut src = ReplaySource::open(opts).expect("replay opens");
    assert_eq!(src.len(), SAMPLES.len());
    // The log names the folder; the nurse's screen never shows a path.
    assert!(src.describe().contains(&dir.path().display().to_string()));
    assert_eq!(src.label(), "Demo camera");

    let t0 = Instant::now();
    let mut names = Vec::new();
    while t0.elapsed() < Duration::from_secs(1) {
        let f = src.next_frame().expect("frame");
        let (name, size) = &expected[names.len() % expected.len()];
        assert_eq!(src.current_name(), name);
        assert_eq!((f.width(), f.height()), *size);
        names.push(src.current_name().to_string());
    }
    // 20 fps for one second: about 20 frames. Only the pacing (no flood) is
    // asserted tightly; a loaded CI machine may deliver fewer.
    assert!(
        (2..=28).contains(&names.len()),
        "{} frames in 1 s at 20 fps",
        names.len()
    );
    // It looped: the first image came round again.
    assert!(names.iter().filter(|n| *n == "00.jpg").count() >= 2);
}

#[test]
fn replay_capture_is_the_image_on_show_at_full_size() {
    let (dir, expected) = sample_dir();
    let mut opts = ReplayOptions::new(dir.path());
    opts.fps = 0.0;
    opts.preview_max = Some((100, 100));
    let mut src = ReplaySource::open(opts).expect("replay opens");
    for (name, (w, h)) in expected.iter().take(3) {
        let preview = src.next_frame().expect("frame");
        assert!(preview.width() <= 100 && preview.height() <= 100);
        let still = src.capture_still().expect("still");
        let f = still.frame();
        assert_eq!((f.width(), f.height()), (*w, *h), "{name}");
        let (bytes, original) = decode_file(&dir.path().join(name));
        assert_eq!(*f, original, "{name}: the still is the decoded file");
        // A replayed JPEG stands for an MJPEG camera's frame: its bytes come along.
        assert_eq!(still.jpeg(), Some(bytes.as_slice()), "{name}");
    }
}

#[test]
fn replay_of_a_folder_without_images_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("notes.txt"), "hello").expect("write");
    let err = ReplaySource::open(ReplayOptions::new(dir.path()))
        .err()
        .expect("no images");
    assert!(matches!(err, CameraError::Replay(_)));
    assert!(err.to_string().contains("no image"), "{err}");
}

// ------------------------------------------------------------------ worker

#[test]
fn worker_previews_a_replay_and_captures_full_resolution() {
    let (dir, expected) = sample_dir();
    let mut cfg = quick_config();
    cfg.preview_max = Some((128, 128));
    let worker =
        CameraWorker::start(replay_spec(dir.path(), "?fps=30"), cfg, None).expect("worker starts");
    let feed = worker.feed();
    let (connected, _) = wait_for(&feed, Duration::from_secs(5), |e| {
        is_status(e, |s| matches!(s, CameraStatus::Connected(_)))
    });
    assert!(connected.is_some(), "never connected: {:?}", feed.status());
    let (_, frame) = feed
        .wait_frame(0, Duration::from_secs(2))
        .expect("a preview frame");
    assert!(frame.width() <= 128 && frame.height() <= 128);

    worker.capture();
    let (captured, seen) = wait_for(&feed, Duration::from_secs(5), |e| {
        matches!(e, CameraEvent::Captured(_) | CameraEvent::CaptureFailed(_))
    });
    let Some(CameraEvent::Captured(still)) = captured else {
        panic!("no still: {captured:?} after {seen:?}");
    };
    let size = (still.frame().width(), still.frame().height());
    assert!(
        expected.iter().any(|(_, s)| *s == size),
        "still {size:?} is not one of the images at full size"
    );
}

#[test]
fn worker_keeps_only_the_latest_frame() {
    let notified = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&notified);
    let worker = CameraWorker::with_opener(
        CameraSpec::Auto,
        quick_config(),
        opener(|_| FakeSource::endless(Duration::from_millis(2))),
        Some(Box::new(move |_feed| {
            count.fetch_add(1, Ordering::SeqCst);
        })),
    )
    .expect("worker starts");
    let feed = worker.feed();
    let (first, _) = feed
        .wait_frame(0, Duration::from_secs(2))
        .expect("first frame");
    // A slow UI: it looks again only after many frames were produced.
    std::thread::sleep(Duration::from_millis(400));
    let (seq, frame) = feed.take_frame().expect("a frame");
    assert!(seq >= first + 3, "only {} frames in 400 ms", seq - first);
    // The one frame kept is the newest: frame n has grey level n.
    let newest = feed.frames_published();
    assert!(newest - seq <= 2, "{seq} is not the newest ({newest})");
    assert_eq!(u64::from(frame.data()[0]), seq % 256);
    // Notifications do not pile up: at most one per taken frame (plus events).
    let notes = notified.load(Ordering::SeqCst) as u64;
    assert!(notes < 10, "{notes} notifications for {seq} frames");
}

#[test]
fn a_stuck_camera_times_out_and_the_worker_still_stops_promptly() {
    // Three frames, then the camera hangs inside its "driver" forever.
    let worker = CameraWorker::with_opener(
        CameraSpec::Auto,
        quick_config(),
        opener(|_| FakeSource {
            fail_after: Some(3),
            ..FakeSource::endless(Duration::from_millis(5))
        }),
        None,
    )
    .expect("worker starts");
    let feed = worker.feed();
    let (timeout, seen) = wait_for(&feed, Duration::from_secs(5), |e| {
        matches!(e, CameraEvent::Error(CameraError::Timeout))
    });
    assert!(timeout.is_some(), "no timeout reported: {seen:?}");
    assert!(seen
        .iter()
        .any(|e| is_status(e, |s| matches!(s, CameraStatus::Connected(_)))));
    let (reconnecting, _) = wait_for(&feed, Duration::from_secs(2), |e| {
        is_status(
            e,
            |s| matches!(s, CameraStatus::Reconnecting(r) if r.contains("stopped sending pictures")),
        )
    });
    assert!(reconnecting.is_some(), "status: {:?}", feed.status());
    // The stuck grabber threads are detached, never joined.
    let t0 = Instant::now();
    drop(worker);
    // A joined stuck thread would take an hour; the bound is loose for busy CI.
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "drop took {:?}",
        t0.elapsed()
    );
}

#[test]
fn a_camera_that_hangs_while_opening_times_out() {
    let hang: Opener = Arc::new(|_spec: &CameraSpec| loop {
        std::thread::sleep(Duration::from_secs(3600));
    });
    let worker = CameraWorker::with_opener(CameraSpec::Auto, quick_config(), hang, None)
        .expect("worker starts");
    let feed = worker.feed();
    let (timeout, seen) = wait_for(&feed, Duration::from_secs(4), |e| {
        matches!(e, CameraEvent::Error(CameraError::Timeout))
    });
    assert!(timeout.is_some(), "{seen:?}");
    let t0 = Instant::now();
    drop(worker);
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "drop took {:?}",
        t0.elapsed()
    );
}

#[test]
fn an_unplugged_camera_reconnects_by_itself() {
    // The first camera is unplugged after 5 frames; the next open works.
    let worker = CameraWorker::with_opener(
        CameraSpec::V4l(0),
        quick_config(),
        opener(|n| FakeSource {
            fail_after: (n == 0).then_some(5),
            error: Some(CameraError::Disconnected),
            ..FakeSource::endless(Duration::from_millis(5))
        }),
        None,
    )
    .expect("worker starts");
    let feed = worker.feed();
    let mut statuses = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while statuses.len() < 3 && Instant::now() < deadline {
        match feed.wait_event(Duration::from_millis(200)) {
            Some(CameraEvent::Status(s)) => statuses.push(s),
            Some(CameraEvent::Error(e)) => assert_eq!(e, CameraError::Disconnected),
            _ => {}
        }
    }
    assert!(
        matches!(
            statuses.as_slice(),
            [
                CameraStatus::Connected(_),
                CameraStatus::Reconnecting(why),
                CameraStatus::Connected(_)
            ] if why.contains("disconnected")
        ),
        "{statuses:?}"
    );
    // And the preview flows again.
    let seq = feed.frames_published();
    assert!(feed.wait_frame(seq, Duration::from_secs(1)).is_some());
}

#[test]
fn switching_cameras_and_capturing_from_a_fake() {
    let worker = CameraWorker::with_opener(
        CameraSpec::None,
        quick_config(),
        opener(|_| FakeSource::endless(Duration::from_millis(5))),
        None,
    )
    .expect("worker starts");
    let feed = worker.feed();
    let (none, _) = wait_for(&feed, Duration::from_secs(2), |e| {
        is_status(e, |s| *s == CameraStatus::NoCamera)
    });
    assert!(none.is_some());
    worker.capture();
    let (failed, _) = wait_for(&feed, Duration::from_secs(2), |e| {
        matches!(e, CameraEvent::CaptureFailed(_))
    });
    assert_eq!(
        failed,
        Some(CameraEvent::CaptureFailed(CameraError::NoCamera))
    );
    worker.switch_to(CameraSpec::V4l(3));
    let (connected, _) = wait_for(&feed, Duration::from_secs(2), |e| {
        is_status(e, |s| *s == CameraStatus::Connected("fake camera".into()))
    });
    assert!(connected.is_some(), "{:?}", feed.status());
    worker.capture();
    let (captured, _) = wait_for(&feed, Duration::from_secs(2), |e| {
        matches!(e, CameraEvent::Captured(_) | CameraEvent::CaptureFailed(_))
    });
    assert!(
        matches!(&captured, Some(CameraEvent::Captured(s)) if s.frame().width() == 8),
        "{captured:?}"
    );
}

// ----------------------------------------------------------------- resting

/// Counts how many fake cameras are open (opened, not yet dropped).
#[derive(Clone, Default)]
struct OpenCount(Arc<AtomicUsize>);

/// A fake camera that counts itself open until it is dropped.
struct Counted(FakeSource, OpenCount);

impl Drop for Counted {
    fn drop(&mut self) {
        self.1 .0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl FrameSource for Counted {
    fn describe(&self) -> String {
        self.0.describe()
    }
    fn label(&self) -> String {
        self.0.label()
    }
    fn next_frame(&mut self) -> Result<RgbFrame, CameraError> {
        self.0.next_frame()
    }
    fn capture_still(&mut self) -> Result<Still, CameraError> {
        self.0.capture_still()
    }
}

/// An opener whose `n`th open (from 0) gives `f(n)`, counted while open,
/// or fails with `unplugged` from open number `unplug_from` on.
fn counted_opener(opens: Arc<AtomicUsize>, open: OpenCount, unplug_from: usize) -> Opener {
    Arc::new(move |_spec: &CameraSpec| {
        let n = opens.fetch_add(1, Ordering::SeqCst);
        if n >= unplug_from {
            return Err(CameraError::Disconnected);
        }
        open.0.fetch_add(1, Ordering::SeqCst);
        Ok(Box::new(Counted(
            FakeSource::endless(Duration::from_millis(5)),
            open.clone(),
        )) as Box<dyn FrameSource>)
    })
}

/// Waits until `cond` holds (polling), up to `timeout`.
fn eventually(timeout: Duration, cond: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    cond()
}

#[test]
fn a_paused_camera_is_closed_reads_nothing_and_streams_again_on_resume() {
    let (opens, open) = (Arc::new(AtomicUsize::new(0)), OpenCount::default());
    let worker = CameraWorker::with_opener(
        CameraSpec::V4l(0),
        quick_config(),
        counted_opener(Arc::clone(&opens), open.clone(), usize::MAX),
        None,
    )
    .expect("worker starts");
    let feed = worker.feed();
    assert!(feed.wait_frame(0, Duration::from_secs(2)).is_some());
    worker.pause();
    assert!(
        eventually(Duration::from_secs(2), || open.0.load(Ordering::SeqCst)
            == 0),
        "the camera is closed while paused"
    );
    let resting = feed.frames_published();
    // Longer than the frame timeout and several retry periods: no frame, no
    // watchdog, no reopening while paused.
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(feed.frames_published(), resting, "no frame while paused");
    assert_eq!(opens.load(Ordering::SeqCst), 1, "not reopened while paused");
    assert!(
        matches!(feed.status(), CameraStatus::Connected(_)),
        "the status stays as known: {:?}",
        feed.status()
    );
    assert!(
        !feed
            .drain_events()
            .iter()
            .any(|e| matches!(e, CameraEvent::Error(_))),
        "resting is not a failure"
    );
    // A still asked for while resting is refused, not waited for.
    worker.capture();
    let (refused, _) = wait_for(&feed, Duration::from_secs(2), |e| {
        matches!(e, CameraEvent::CaptureFailed(_))
    });
    assert_eq!(
        refused,
        Some(CameraEvent::CaptureFailed(CameraError::NotReady))
    );
    worker.resume();
    assert!(
        feed.wait_frame(resting, Duration::from_secs(2)).is_some(),
        "frames again after resume"
    );
    assert_eq!(opens.load(Ordering::SeqCst), 2);
    assert_eq!(open.0.load(Ordering::SeqCst), 1);
    // Pausing twice, resuming twice: one close, one open.
    worker.pause();
    worker.pause();
    assert!(eventually(Duration::from_secs(2), || open
        .0
        .load(Ordering::SeqCst)
        == 0));
    worker.resume();
    worker.resume();
    let seq = feed.frames_published();
    assert!(feed.wait_frame(seq, Duration::from_secs(2)).is_some());
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(opens.load(Ordering::SeqCst), 3);
    assert_eq!(open.0.load(Ordering::SeqCst), 1);
}

#[test]
fn paused_from_the_start_the_camera_is_tried_once_then_rests() {
    let (opens, open) = (Arc::new(AtomicUsize::new(0)), OpenCount::default());
    let worker = CameraWorker::with_opener(
        CameraSpec::V4l(0),
        quick_config(),
        counted_opener(Arc::clone(&opens), open.clone(), usize::MAX),
        None,
    )
    .expect("worker starts");
    worker.pause();
    let feed = worker.feed();
    // Its status is learnt (the home screen shows it), then it closes.
    let (connected, _) = wait_for(&feed, Duration::from_secs(2), |e| {
        is_status(e, |s| *s == CameraStatus::Connected("fake camera".into()))
    });
    assert!(connected.is_some(), "{:?}", feed.status());
    assert!(eventually(Duration::from_secs(2), || open
        .0
        .load(Ordering::SeqCst)
        == 0));
    let frames = feed.frames_published();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(feed.frames_published(), frames);
    assert_eq!(opens.load(Ordering::SeqCst), 1);
    // A camera switched to while paused is tried once too.
    worker.switch_to(CameraSpec::V4l(1));
    assert!(eventually(Duration::from_secs(2), || opens
        .load(Ordering::SeqCst)
        == 2));
    assert!(eventually(Duration::from_secs(2), || open
        .0
        .load(Ordering::SeqCst)
        == 0));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(opens.load(Ordering::SeqCst), 2);
}

#[test]
fn a_camera_unplugged_while_resting_is_reported_on_resume_and_not_retried_while_paused() {
    // The first open works; the camera is then unplugged (every later open fails).
    let (opens, open) = (Arc::new(AtomicUsize::new(0)), OpenCount::default());
    let worker = CameraWorker::with_opener(
        CameraSpec::V4l(0),
        quick_config(),
        counted_opener(Arc::clone(&opens), open.clone(), 1),
        None,
    )
    .expect("worker starts");
    let feed = worker.feed();
    assert!(feed.wait_frame(0, Duration::from_secs(2)).is_some());
    worker.pause();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(opens.load(Ordering::SeqCst), 1, "no attempt while paused");
    feed.drain_events();
    worker.resume();
    let (lost, seen) = wait_for(&feed, Duration::from_secs(2), |e| {
        is_status(
            e,
            |s| matches!(s, CameraStatus::Reconnecting(r) if r.contains("disconnected")),
        )
    });
    assert!(lost.is_some(), "{seen:?}; status {:?}", feed.status());
    assert!(
        seen.contains(&CameraEvent::Error(CameraError::Disconnected)),
        "said once: {seen:?}"
    );
    // Streaming wanted: it keeps looking for the camera (every 150 ms here).
    assert!(eventually(Duration::from_secs(2), || opens
        .load(Ordering::SeqCst)
        >= 4));
    // Paused again: the looking stops.
    worker.pause();
    std::thread::sleep(Duration::from_millis(200));
    let attempts = opens.load(Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(
        opens.load(Ordering::SeqCst),
        attempts,
        "no retry loop while paused"
    );
    assert!(matches!(feed.status(), CameraStatus::Reconnecting(_)));
}

#[test]
fn without_a_camera_a_paused_worker_says_so_and_waits_quietly() {
    // `auto` on this machine: no camera at all. Paused at once, it still
    // says so (the home screen shows it), then tries nothing more.
    let worker =
        CameraWorker::start(CameraSpec::Auto, quick_config(), None).expect("worker starts");
    worker.pause();
    let feed = worker.feed();
    let (none, seen) = wait_for(&feed, Duration::from_secs(3), |e| {
        is_status(e, |s| *s == CameraStatus::NoCamera)
    });
    assert!(none.is_some(), "{seen:?}");
    worker.resume();
    std::thread::sleep(Duration::from_millis(400));
    worker.pause();
    assert_eq!(feed.status(), CameraStatus::NoCamera);
    assert_eq!(feed.drain_events(), Vec::new(), "no news repeated");
}

// ------------------------------------------------------------ USB cameras

#[test]
fn no_camera_here_is_an_empty_list_and_a_clear_error() {
    assert_eq!(list_cameras(), Vec::new());
    let err = NokhwaSource::open(0)
        .err()
        .expect("no camera on this machine");
    assert!(
        matches!(err, CameraError::NoCamera | CameraError::Open(_)),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "No camera connected");
    assert!(matches!(
        camera::open_source(&CameraSpec::Auto),
        Err(CameraError::NoCamera)
    ));
    assert!(matches!(
        camera::open_source(&CameraSpec::Name("dermlite".into())),
        Err(CameraError::NoCamera)
    ));
}

#[test]
fn the_worker_on_auto_says_no_camera_and_keeps_looking() {
    let worker =
        CameraWorker::start(CameraSpec::Auto, quick_config(), None).expect("worker starts");
    let feed = worker.feed();
    let (none, seen) = wait_for(&feed, Duration::from_secs(3), |e| {
        is_status(e, |s| *s == CameraStatus::NoCamera)
    });
    assert!(none.is_some(), "{seen:?}");
    // Retries (every 150 ms here) do not repeat the news.
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(feed.drain_events(), Vec::new());
    assert_eq!(feed.status(), CameraStatus::NoCamera);
}

#[test]
fn mjpeg_frames_decode_with_the_kiosk_decoder() {
    use nokhwa::utils::{FrameFormat, Resolution};
    use nokhwa::Buffer;
    let path = common::datasets_dir().join("skin-lesion/benign/25.jpg");
    let (bytes, expected) = decode_file(&path);
    let res = Resolution::new(expected.width() as u32, expected.height() as u32);

    let good = Buffer::new(res, &bytes, FrameFormat::MJPEG);
    assert_eq!(decode_buffer(&good).expect("decodes"), expected);

    let truncated = Buffer::new(res, &bytes[..bytes.len() / 2], FrameFormat::MJPEG);
    assert!(matches!(
        decode_buffer(&truncated),
        Err(CameraError::BadFrame(_))
    ));
    let garbage = Buffer::new(res, &[0x5a; 5000], FrameFormat::MJPEG);
    assert!(matches!(
        decode_buffer(&garbage),
        Err(CameraError::BadFrame(_))
    ));
    let header_only = Buffer::new(res, &bytes[..200], FrameFormat::MJPEG);
    assert!(matches!(
        decode_buffer(&header_only),
        Err(CameraError::BadFrame(_))
    ));
    // Damaged entropy data: a picture or an error, never a panic.
    let mut damaged = bytes.clone();
    let mid = damaged.len() / 2;
    for b in &mut damaged[mid..mid + 64] {
        *b ^= 0xa5;
    }
    let _ = decode_buffer(&Buffer::new(res, &damaged, FrameFormat::MJPEG));
    assert!(CameraError::BadFrame("x".into())
        .to_string()
        .starts_with("The camera sent a damaged picture"));
}

#[test]
fn an_mjpeg_still_keeps_the_camera_jpeg_cut_at_its_end() {
    use nokhwa::utils::{FrameFormat, Resolution};
    use nokhwa::Buffer;
    // Every sample JPEG: baseline and progressive, with EXIF thumbnails
    // (whose own end markers must not end the frame).
    let jpegs: Vec<PathBuf> = common::files_under(&common::datasets_dir())
        .into_iter()
        .filter(|p| {
            std::fs::read(p).is_ok_and(|b| decode::sniff(&b) == Some(decode::ImageFormat::Jpeg))
        })
        .collect();
    assert!(jpegs.len() >= 10, "{jpegs:?}");
    for path in &jpegs {
        let (bytes, expected) = decode_file(path);
        // A driver's buffer: the frame, then what an earlier, larger frame
        // left there (a JPEG's tail, with its own end marker), then zeros.
        let mut buffer = bytes.clone();
        buffer.extend_from_slice(&bytes[bytes.len() / 3..]);
        buffer.resize(buffer.len() + 4096, 0);
        assert_eq!(
            camera::convert::jpeg_len(&buffer),
            Some(bytes.len()),
            "{path:?}"
        );
        let res = Resolution::new(expected.width() as u32, expected.height() as u32);
        let still = still_from_buffer(&Buffer::new(res, &buffer, FrameFormat::MJPEG))
            .unwrap_or_else(|e| panic!("{path:?}: {e}"));
        assert_eq!(
            still.jpeg(),
            Some(bytes.as_slice()),
            "{path:?}: the camera's bytes"
        );
        assert_eq!(*still.frame(), expected, "{path:?}: their decode");
    }
    // An MJPEG frame cut short has no end: a damaged still, taken again.
    let bytes = std::fs::read(&jpegs[0]).unwrap();
    let cut = Buffer::new(
        Resolution::new(16, 16),
        &bytes[..bytes.len() - 2],
        FrameFormat::MJPEG,
    );
    assert!(matches!(
        still_from_buffer(&cut),
        Err(CameraError::BadFrame(_))
    ));
    assert_eq!(camera::convert::jpeg_len(b"not a jpeg"), None);
    // An uncompressed still is its picture alone.
    let rgb = Buffer::new(
        Resolution::new(2, 1),
        &[1, 2, 3, 4, 5, 6],
        FrameFormat::RAWRGB,
    );
    let still = still_from_buffer(&rgb).expect("raw still");
    assert_eq!(
        (still.jpeg(), still.frame().data()),
        (None, &[1, 2, 3, 4, 5, 6][..])
    );
}

// ------------------------------------------------------- specs and modes

#[test]
fn camera_specs() {
    assert_eq!(parse_camera_spec("auto"), Ok(CameraSpec::Auto));
    assert_eq!(parse_camera_spec("none"), Ok(CameraSpec::None));
    assert_eq!(parse_camera_spec("1"), Ok(CameraSpec::V4l(1)));
    assert_eq!(parse_camera_spec("v4l:0"), Ok(CameraSpec::V4l(0)));
    assert_eq!(
        parse_camera_spec("name:Fundus"),
        Ok(CameraSpec::Name("Fundus".into()))
    );
    match parse_camera_spec("replay:/tmp/x y?fps=12") {
        Ok(CameraSpec::Replay(r)) => {
            assert_eq!(r.dir, PathBuf::from("/tmp/x y"));
            assert_eq!(r.fps, 12.0);
        }
        other => panic!("{other:?}"),
    }
    let err = parse_camera_spec("webcam").expect_err("refused");
    assert!(err.to_string().contains("webcam"), "{err}");
}

#[test]
fn mode_choice() {
    use PixelFormat::*;
    let c = FormatCandidate::new;
    let modes = [
        c(640, 480, 30, Yuyv),
        c(1920, 1080, 5, Yuyv),
        c(1280, 720, 30, Mjpeg),
        c(1920, 1080, 30, Mjpeg),
        c(3264, 2448, 15, Mjpeg),
    ];
    assert_eq!(
        choose_preview_format(&modes),
        Some(c(1920, 1080, 30, Mjpeg))
    );
    assert_eq!(choose_still_format(&modes), Some(c(3264, 2448, 15, Mjpeg)));
    assert_eq!(choose_preview_format(&[]), None);
}

// ------------------------------------------------------------------ bench

#[test]
fn preview_rate_from_a_1080p_replay() {
    let fundus = common::datasets_dir().join("eye/no-diabetic-retinopathy/01_h.jpg");
    let (_, big) = decode_file(&fundus);
    let hd = onemed::preprocess::fit(&big, 1920, 1080).expect("fit to 1080p");
    let jpeg = encode_jpeg(&hd, 85);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("hd.jpg"), &jpeg).expect("write");

    // Paced at 30 fps, each frame decoded as an MJPEG camera's would be.
    let paced = measure_preview_rate(
        &replay_spec(dir.path(), "?fps=30&decode=each"),
        WorkerConfig::default(),
        1.0,
    )
    .expect("measures");
    eprintln!("1080p replay at 30 fps: {paced:?}");
    assert_eq!((paced.width, paced.height), (1280, 720));
    // Speed itself is for `onemed bench --kiosk`; here: it runs, and is paced.
    assert!(paced.frames > 0 && paced.fps < 40.0, "{paced:?}");

    // Unpaced: what the preview path can sustain on this machine.
    let unpaced = measure_preview_rate(
        &replay_spec(dir.path(), "?fps=0&decode=each"),
        WorkerConfig::default(),
        1.0,
    )
    .expect("measures");
    eprintln!("1080p replay unpaced: {unpaced:?}");
    assert!(unpaced.frames > 0, "{unpaced:?}");
}
