//! The receipt printer thread: takes encoded slips from a queue and writes
//! them to the port.
//!
//! The port is opened at start (to report the printer's state) and kept open;
//! while idle a short read notices an unplug, and a missing printer is
//! reopened every second so the screen shows when it comes back. A job is
//! written to the open port, or one that is opened for it; if that fails the
//! port is reopened once and the job written again; failing that, the job
//! ends in `PrintFailed` with a readable reason. `Printed` means the whole
//! slip was handed to the port.

use super::link::{read_some, Link, RETRY_EVERY};
use super::SerialEvent;
use serialport::SerialPort;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// A slip and its job number.
pub(crate) struct PrintJob {
    pub(crate) job: u64,
    pub(crate) slip: Slip,
}

/// A slip as the printer gets it.
pub(crate) enum Slip {
    /// Already encoded (text mode).
    Bytes(Vec<u8>),
    /// To draw here as a raster picture `dots` wide, in these fonts.
    Picture {
        lines: Vec<super::PrintLine>,
        dots: u32,
        family: String,
    },
}

/// How long the idle loop waits for a job before checking the port.
const IDLE_POLL: Duration = Duration::from_millis(100);
/// The read timeout of the idle check for an unplug.
const PROBE_TIMEOUT: Duration = Duration::from_millis(20);
/// How long one write may wait for the port to take bytes.
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// Runs the printer until the job queue closes or a stop is requested.
pub(crate) fn run(mut link: Link, jobs: Receiver<PrintJob>) {
    let mut port = link.open(PROBE_TIMEOUT).ok();
    let mut last_try = Instant::now();
    // Made at the first picture slip (it reads the system's font list).
    let mut raster: Option<super::raster::SlipRaster> = None;
    loop {
        match jobs.recv_timeout(IDLE_POLL) {
            Ok(job) => {
                let bytes = match job.slip {
                    Slip::Bytes(b) => b,
                    Slip::Picture {
                        lines,
                        dots,
                        family,
                    } => {
                        let r = raster.get_or_insert_with(Default::default);
                        let t0 = Instant::now();
                        let gray = r.render(&lines, dots, &family);
                        log::info!(
                            "slip {} drawn as a {}x{} picture in {:.1} ms",
                            job.job,
                            gray.width(),
                            gray.height(),
                            t0.elapsed().as_secs_f64() * 1000.0
                        );
                        super::raster::encode(&gray)
                    }
                };
                port = print(&mut link, port.take(), job.job, &bytes);
                last_try = Instant::now();
            }
            Err(RecvTimeoutError::Disconnected) => return,
            Err(RecvTimeoutError::Timeout) => {
                if link.stop.is_set() {
                    return;
                }
                port = match port.take() {
                    Some(p) => still_there(&mut link, p),
                    None if last_try.elapsed() >= RETRY_EVERY => {
                        last_try = Instant::now();
                        link.open(PROBE_TIMEOUT).ok()
                    }
                    None => None,
                };
            }
        }
    }
}

/// The port, unless a short read shows it has gone away. Bytes the printer
/// sends (status bytes) are discarded.
fn still_there(link: &mut Link, mut port: Box<dyn SerialPort>) -> Option<Box<dyn SerialPort>> {
    let mut buf = [0u8; 64];
    match read_some(port.as_mut(), &mut buf) {
        Ok(_) => Some(port),
        Err(e) => {
            let _ = link.lost(e);
            None
        }
    }
}

/// Prints one job, reopening the port once if needed; gives the port to keep.
fn print(
    link: &mut Link,
    port: Option<Box<dyn SerialPort>>,
    job: u64,
    bytes: &[u8],
) -> Option<Box<dyn SerialPort>> {
    let mut port = port;
    let mut error = None;
    for _attempt in 0..2 {
        let mut p = match port.take() {
            Some(p) => p,
            None => match link.open(PROBE_TIMEOUT) {
                Ok(p) => p,
                Err(e) => {
                    error = Some(e);
                    break;
                }
            },
        };
        match write_job(p.as_mut(), bytes) {
            Ok(()) => {
                log::info!("slip {job} printed ({} bytes)", bytes.len());
                link.send(SerialEvent::Printed { job });
                return Some(p);
            }
            Err(e) => error = Some(link.lost(e)),
        }
    }
    let error = error.map_or_else(|| "unknown error".to_string(), |e| e.to_string());
    log::error!("slip {job} not printed: {error}");
    link.send(SerialEvent::PrintFailed {
        job,
        error: format!("Slip not printed: {error}"),
    });
    None
}

/// Writes a whole slip with a generous timeout, then restores the short one.
fn write_job(port: &mut dyn SerialPort, bytes: &[u8]) -> std::io::Result<()> {
    port.set_timeout(WRITE_TIMEOUT)?;
    let written = port.write_all(bytes);
    let restored = port.set_timeout(PROBE_TIMEOUT);
    written?;
    restored.map_err(std::io::Error::from)
}
