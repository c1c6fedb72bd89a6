//! Serial devices: capture trigger, barcode scanner, ESC/POS receipt printer.
//!
//! Each device is optional and runs in its own named thread that owns its
//! port, reopens it every second while it is missing, and survives unplug
//! and replug (`link`). Everything a device has to say reaches the kiosk as a
//! [`SerialEvent`] through one callback.
//!
//! - [`escpos`]: slip → printer bytes and plain text (pure).
//! - [`trigger`]: which bytes or lines trigger a capture ([`trigger::Matcher`]).
//! - [`scanner`]: bytes → lines → patient IDs.
//! - `link`: the reconnecting port loop and status reports; `printer`: the
//!   print job queue.

pub mod escpos;
mod link;
mod printer;
pub mod raster;
pub mod scanner;
pub mod trigger;

pub use escpos::PrintLine;

use crate::settings::{PortSettings, SerialSettings};
use link::{Emit, Link, Stop};
use std::path::PathBuf;
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;

/// The kinds of serial device a kiosk may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceKind {
    Trigger,
    Scanner,
    Printer,
}

impl DeviceKind {
    /// The device's name on the screen.
    pub fn label(self) -> &'static str {
        match self {
            DeviceKind::Trigger => "Capture trigger",
            DeviceKind::Scanner => "Barcode scanner",
            DeviceKind::Printer => "Receipt printer",
        }
    }

    fn thread_name(self) -> &'static str {
        match self {
            DeviceKind::Trigger => "serial-trigger",
            DeviceKind::Scanner => "serial-scanner",
            DeviceKind::Printer => "serial-printer",
        }
    }
}

/// What the serial devices tell the kiosk.
#[derive(Debug, Clone, PartialEq)]
pub enum SerialEvent {
    /// The capture trigger fired (once per trigger byte or line).
    Trigger,
    /// A valid patient ID was scanned.
    Barcode(String),
    /// A device connected or went away, or has something to say (a rejected
    /// scan); `text` is for the screen.
    Status {
        device: DeviceKind,
        connected: bool,
        text: String,
    },
    /// A slip went to the printer.
    Printed { job: u64 },
    /// A slip could not be printed; `error` is readable.
    PrintFailed { job: u64, error: String },
}

/// What can go wrong with a serial device or its input.
#[derive(Debug, thiserror::Error)]
pub enum SerialError {
    #[error("trigger match \"{spec}\" is invalid: {reason} (use byte:0x20, byte:32 or line:SNAP)")]
    BadTrigger { spec: String, reason: String },
    #[error("a line longer than {max} bytes was ignored")]
    LineTooLong { max: usize },
    #[error("the patient ID is empty")]
    EmptyPatientId,
    #[error("patient ID \"{id}…\" has {len} characters; at most {max} are allowed")]
    PatientIdTooLong { id: String, len: usize, max: usize },
    #[error("patient ID \"{id}\" contains {ch:?}; only letters, digits and - _ / . are allowed")]
    PatientIdChar { id: String, ch: char },
    #[error("{device} not connected ({path}): {reason}")]
    Open {
        device: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error("{device} ({path}) stopped working: {source}")]
    Io {
        device: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The running serial devices. Dropping it stops and joins every thread.
pub struct SerialDevices {
    stop: Arc<Stop>,
    printer: Option<PrinterQueue>,
    threads: Vec<JoinHandle<()>>,
    running: Vec<DeviceKind>,
}

struct PrinterQueue {
    jobs: mpsc::Sender<printer::PrintJob>,
    width: u32,
    dots: u32,
}

impl SerialDevices {
    /// Starts a thread for each configured device. Never fails: a device
    /// that cannot start says why in a `Status` event.
    pub fn start(
        settings: &SerialSettings,
        on_event: impl Fn(SerialEvent) + Send + Sync + 'static,
    ) -> SerialDevices {
        let emit: Emit = Arc::new(on_event);
        let mut devices = SerialDevices {
            stop: Arc::new(Stop::default()),
            printer: None,
            threads: Vec::new(),
            running: Vec::new(),
        };
        if let Some(t) = &settings.trigger {
            match trigger::Matcher::parse(&t.matches) {
                Ok(matcher) => {
                    let port = PortSettings {
                        port: t.port.clone(),
                        baud: t.baud,
                    };
                    devices.spawn(DeviceKind::Trigger, &port, &emit, move |link| {
                        trigger::run(link, matcher)
                    });
                }
                Err(e) => {
                    log::error!("capture trigger not started: {e}");
                    emit(SerialEvent::Status {
                        device: DeviceKind::Trigger,
                        connected: false,
                        text: format!("Capture trigger not started: {e}"),
                    });
                }
            }
        }
        if let Some(s) = &settings.scanner {
            devices.spawn(DeviceKind::Scanner, s, &emit, scanner::run);
        }
        if let Some(p) = &settings.printer {
            let (jobs, queue) = mpsc::channel();
            let port = PortSettings {
                port: p.port.clone(),
                baud: p.baud,
            };
            if devices.spawn(DeviceKind::Printer, &port, &emit, move |link| {
                printer::run(link, queue)
            }) {
                devices.printer = Some(PrinterQueue {
                    jobs,
                    width: p.width,
                    dots: p.dots(),
                });
            }
        }
        devices
    }

    /// Queues a slip for the printer; the outcome arrives as `Printed` or
    /// `PrintFailed` with this job number. With `picture` (a CSS font list)
    /// the printer's thread draws the slip as a raster picture in those
    /// fonts (see [`raster`]); without, it prints as text. False when no
    /// printer is configured (nothing is queued then).
    pub fn print(&self, job: u64, lines: Vec<PrintLine>, picture: Option<String>) -> bool {
        let Some(p) = &self.printer else {
            return false;
        };
        let slip = match picture {
            None => printer::Slip::Bytes(escpos::encode(&lines, p.width)),
            Some(family) => printer::Slip::Picture {
                lines,
                dots: p.dots,
                family,
            },
        };
        p.jobs.send(printer::PrintJob { job, slip }).is_ok()
    }

    /// The configured printer's paper width in characters (for
    /// [`escpos::plain_text`]), when there is a printer.
    pub fn printer_width(&self) -> Option<u32> {
        self.printer.as_ref().map(|p| p.width)
    }

    /// Whether this device is configured and its thread running.
    pub fn has(&self, device: DeviceKind) -> bool {
        self.running.contains(&device)
    }

    /// Starts one device's thread; false (and a `Status`) when it cannot.
    fn spawn(
        &mut self,
        kind: DeviceKind,
        port: &PortSettings,
        emit: &Emit,
        body: impl FnOnce(Link) + Send + 'static,
    ) -> bool {
        let link = Link::new(kind, port, emit.clone(), self.stop.clone());
        match std::thread::Builder::new()
            .name(kind.thread_name().into())
            .spawn(move || body(link))
        {
            Ok(handle) => {
                self.threads.push(handle);
                self.running.push(kind);
                true
            }
            Err(e) => {
                log::error!("cannot start the {} thread: {e}", kind.thread_name());
                emit(SerialEvent::Status {
                    device: kind,
                    connected: false,
                    text: format!("{} not started: {e}", kind.label()),
                });
                false
            }
        }
    }
}

impl Drop for SerialDevices {
    fn drop(&mut self) {
        self.stop.request();
        self.printer = None;
        for handle in self.threads.drain(..) {
            let name = handle.thread().name().unwrap_or("serial").to_string();
            if handle.join().is_err() {
                log::error!("{name} thread panicked");
            }
        }
    }
}
