//! The inference worker: a [`Worker`] thread that owns the analysis engine. It
//! loads the models at start (the screen shows "getting ready" meanwhile) and
//! then analyses one job at a time; results go back through a callback, which
//! the kiosk turns into `slint::invoke_from_event_loop` calls.

use super::{Requests, Worker};
use crate::analysis::{Analysis, Analyzer};
use crate::decode;
use crate::frame::RgbFrame;
use crate::settings::Settings;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// What to analyse.
#[derive(Debug, Clone)]
pub enum Input {
    /// A camera still.
    Frame(Arc<RgbFrame>),
    /// An imported file (JPEG, PNG, DICOM…).
    File(PathBuf),
    /// One frame (from 0) of a multi-frame DICOM file: a CT series' slice.
    /// The register keeps the frame the model saw, as a lossless PNG.
    DicomFrame { path: PathBuf, frame: u32 },
}

/// A request to the worker.
#[derive(Debug)]
pub enum Job {
    Analyze { id: u64, tool: String, input: Input },
}

/// What the models' loading gave.
#[derive(Debug, Clone)]
pub struct Readiness {
    pub device: String,
    pub device_note: Option<String>,
    /// Tools that cannot be used, with the reason.
    pub unavailable: BTreeMap<String, String>,
    pub load_ms: f64,
}

/// A message from the worker.
#[derive(Debug)]
pub enum Event {
    /// Models are loaded (some tools may be unavailable).
    Ready(Readiness),
    /// The engine could not start at all (e.g. no OpenVINO runtime).
    Failed(String),
    /// A job finished.
    Done {
        id: u64,
        result: Result<Box<Analysis>, String>,
        /// The image analysed, for display (imported files only).
        decoded: Option<Arc<RgbFrame>>,
        /// An imported file's original bytes and extension, for the register.
        file: Option<(Vec<u8>, String)>,
    },
}

/// Owns the worker thread; dropping it stops it after its current job. A
/// worker still busy after [`STOP_WAIT`] (hung) is left behind rather than
/// hanging the caller, the UI thread.
pub struct InferenceWorker(Worker<Job>);

impl InferenceWorker {
    /// Starts the worker; it loads every tool's model first.
    pub fn start(settings: Settings, on_event: impl Fn(Event) + Send + 'static) -> InferenceWorker {
        InferenceWorker(Worker::start("inference", Some(STOP_WAIT), move |jobs| {
            run(settings, jobs, on_event)
        }))
    }

    /// Queues a job; false when the worker is gone.
    pub fn submit(&self, job: Job) -> bool {
        self.0.submit(job).is_ok()
    }
}

/// How long dropping the worker waits for it to finish its job.
const STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

fn run(settings: Settings, jobs: Requests<Job>, on_event: impl Fn(Event)) {
    let t0 = std::time::Instant::now();
    let mut analyzer = match Analyzer::new(&settings, &[]) {
        Ok(a) => a,
        Err(e) => {
            log::error!("analysis engine failed to start: {e}");
            on_event(Event::Failed(e.to_string()));
            // Answer every job with the same error so no screen waits forever.
            for Job::Analyze { id, .. } in jobs {
                on_event(Event::Done {
                    id,
                    result: Err(e.to_string()),
                    decoded: None,
                    file: None,
                });
            }
            return;
        }
    };
    on_event(Event::Ready(Readiness {
        device: analyzer.engine().device().to_string(),
        device_note: analyzer.engine().device_note().map(str::to_string),
        unavailable: analyzer.unavailable().clone(),
        load_ms: t0.elapsed().as_secs_f64() * 1000.0,
    }));
    let limits = settings.limits();
    let stall = injected_stall();
    for job in jobs {
        match job {
            Job::Analyze { .. } if stall => {
                log::warn!(
                    "fault injected (ONEMED_FAULT=stall-analysis): the inference worker hangs"
                );
                loop {
                    std::thread::park();
                }
            }
            Job::Analyze { id, tool, input } => {
                // Decoders sit behind their own panic boundary (`decode`);
                // this one keeps the worker alive whatever else panics.
                let job = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    analyse(&mut analyzer, &limits, &tool, input)
                }));
                let (result, decoded, file) = job.unwrap_or_else(|_| {
                    log::error!("analysis {id} ({tool}) panicked; the worker carries on");
                    (
                        Err("the analysis stopped on an internal fault; take or import the picture again".into()),
                        None,
                        None,
                    )
                });
                if let Err(e) = &result {
                    log::warn!("analysis {id} ({tool}) failed: {e}");
                }
                on_event(Event::Done {
                    id,
                    result: result.map(Box::new),
                    decoded,
                    file,
                });
            }
        }
    }
}

/// What one job gives: the analysis, the decoded picture (imported files) and
/// the file's bytes and extension for the register.
type JobOutput = (
    Result<Analysis, String>,
    Option<Arc<RgbFrame>>,
    Option<(Vec<u8>, String)>,
);

fn analyse(
    analyzer: &mut Analyzer,
    limits: &decode::Limits,
    tool: &str,
    input: Input,
) -> JobOutput {
    match input {
        Input::Frame(f) => (
            analyzer.analyze_frame(tool, &f).map_err(|e| e.to_string()),
            None,
            None,
        ),
        Input::File(path) => {
            // Decoded once: the same frame is analysed and shown, and the
            // original bytes go to the register.
            let ext = crate::records::file_ext(&path);
            match decode::read_file(&path)
                .and_then(|b| decode::decode(&b, limits).map(|(_, f)| (b, f)))
            {
                Ok((bytes, frame)) => {
                    let frame = Arc::new(frame);
                    let result = analyzer
                        .analyze_frame(tool, &frame)
                        .map_err(|e| e.to_string());
                    (result, Some(frame), Some((bytes, ext)))
                }
                Err(e) => (Err(e.to_string()), None, None),
            }
        }
        Input::DicomFrame { path, frame } => {
            let decoded = decode::read_file(&path)
                .and_then(|b| decode::dicom::decode_frame(&b, limits, frame));
            match decoded {
                Ok(picture) => {
                    let picture = Arc::new(picture);
                    let result = analyzer
                        .analyze_frame(tool, &picture)
                        .map_err(|e| e.to_string());
                    match crate::records::encode_png(&picture) {
                        Ok(png) => (result, Some(picture), Some((png, "png".into()))),
                        Err(e) => (Err(e.to_string()), None, None),
                    }
                }
                Err(e) => (Err(e.to_string()), None, None),
            }
        }
    }
}

/// Fault injection for tests of the watchdog: `ONEMED_FAULT=stall-analysis`
/// makes the worker hang on its first job, as a wedged GPU driver would. The
/// detection and restart that follow are the real ones.
fn injected_stall() -> bool {
    std::env::var("ONEMED_FAULT").is_ok_and(|v| v == "stall-analysis")
}
