//! The reconnecting port loop shared by every serial device: open the port,
//! report `connected` on each change of state, retry every second while it
//! is missing, and go back to reopening when a read fails (unplug).
//!
//! Reads use a short timeout so a device thread notices a stop request
//! promptly; waits between retries wake at once on a stop.

use super::{DeviceKind, SerialError, SerialEvent};
use crate::settings::PortSettings;
use serialport::SerialPort;
use std::io::ErrorKind;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// The callback every device reports through.
pub(crate) type Emit = Arc<dyn Fn(SerialEvent) + Send + Sync>;

/// How long one read waits for bytes before checking for a stop.
pub(crate) const READ_TIMEOUT: Duration = Duration::from_millis(100);
/// How often a missing port is reopened.
pub(crate) const RETRY_EVERY: Duration = Duration::from_secs(1);

/// A stop request shared by the device threads.
#[derive(Default)]
pub(crate) struct Stop {
    stopped: Mutex<bool>,
    wake: Condvar,
}

impl Stop {
    /// Asks every thread to stop and wakes those that wait.
    pub(crate) fn request(&self) {
        let mut stopped = self.stopped.lock().unwrap_or_else(|p| p.into_inner());
        *stopped = true;
        self.wake.notify_all();
    }

    pub(crate) fn is_set(&self) -> bool {
        *self.stopped.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits up to `d`; true when a stop was requested.
    pub(crate) fn wait(&self, d: Duration) -> bool {
        let stopped = self.stopped.lock().unwrap_or_else(|p| p.into_inner());
        let (stopped, _) = self
            .wake
            .wait_timeout_while(stopped, d, |s| !*s)
            .unwrap_or_else(|p| p.into_inner());
        *stopped
    }
}

/// What a reading device does with what arrives.
pub(crate) trait Consumer {
    /// Bytes as they arrive.
    fn bytes(&mut self, link: &Link, data: &[u8]);
    /// The port was reopened: forget any half-received input.
    fn reset(&mut self);
}

/// One device's port and its reported state.
pub(crate) struct Link {
    pub(crate) kind: DeviceKind,
    path: PathBuf,
    baud: u32,
    emit: Emit,
    pub(crate) stop: Arc<Stop>,
    /// The last state reported (`None` before the first report).
    connected: Option<bool>,
}

impl Link {
    pub(crate) fn new(kind: DeviceKind, port: &PortSettings, emit: Emit, stop: Arc<Stop>) -> Link {
        Link {
            kind,
            path: port.port.clone(),
            baud: port.baud,
            emit,
            stop,
            connected: None,
        }
    }

    /// Sends an event to the kiosk.
    pub(crate) fn send(&self, event: SerialEvent) {
        (self.emit)(event);
    }

    /// A status text for the screen without a change of state (a rejected
    /// scan, say).
    pub(crate) fn say(&self, text: String) {
        self.send(SerialEvent::Status {
            device: self.kind,
            connected: self.connected.unwrap_or(false),
            text,
        });
    }

    /// Opens the port with the given read/write timeout, reporting the
    /// state when it changes.
    pub(crate) fn open(&mut self, timeout: Duration) -> Result<Box<dyn SerialPort>, SerialError> {
        let name = self.path.to_string_lossy().into_owned();
        match serialport::new(name, self.baud).timeout(timeout).open() {
            Ok(port) => {
                let text = format!("{} connected ({})", self.kind.label(), self.path.display());
                self.set(true, text);
                Ok(port)
            }
            Err(e) => {
                let err = SerialError::Open {
                    device: self.kind.label(),
                    path: self.path.clone(),
                    reason: e.to_string(),
                };
                if self.connected != Some(false) {
                    log::warn!("{err}");
                }
                let text = format!(
                    "{} not connected ({})",
                    self.kind.label(),
                    self.path.display()
                );
                self.set(false, text);
                Err(err)
            }
        }
    }

    /// Opens the port, retrying every second; `None` once a stop is requested.
    pub(crate) fn open_or_wait(&mut self) -> Option<Box<dyn SerialPort>> {
        loop {
            if self.stop.is_set() {
                return None;
            }
            if let Ok(port) = self.open(READ_TIMEOUT) {
                return Some(port);
            }
            if self.stop.wait(RETRY_EVERY) {
                return None;
            }
        }
    }

    /// Reports that an open port stopped working (unplugged); gives why.
    pub(crate) fn lost(&mut self, error: std::io::Error) -> SerialError {
        let err = SerialError::Io {
            device: self.kind.label(),
            path: self.path.clone(),
            source: error,
        };
        log::warn!("{err}");
        let text = format!(
            "{} disconnected ({})",
            self.kind.label(),
            self.path.display()
        );
        self.set(false, text);
        err
    }

    /// Reports a state when it differs from the last one reported.
    fn set(&mut self, connected: bool, text: String) {
        if self.connected == Some(connected) {
            return;
        }
        self.connected = Some(connected);
        log::info!("{text}");
        self.send(SerialEvent::Status {
            device: self.kind,
            connected,
            text,
        });
    }

    /// Reads the port until a stop is requested, handing bytes to the
    /// consumer and reopening the port whenever it goes away.
    pub(crate) fn run_reader(&mut self, consumer: &mut dyn Consumer) {
        let mut buf = [0u8; 256];
        while let Some(mut port) = self.open_or_wait() {
            consumer.reset();
            loop {
                if self.stop.is_set() {
                    return;
                }
                match read_some(port.as_mut(), &mut buf) {
                    Ok(Some(n)) => consumer.bytes(self, &buf[..n]),
                    Ok(None) => {}
                    Err(e) => {
                        let _ = self.lost(e);
                        break;
                    }
                }
            }
            drop(port);
            if self.stop.wait(RETRY_EVERY) {
                return;
            }
        }
    }
}

/// One read: `Some(n)` bytes, `None` when nothing came within the timeout,
/// an error when the port is gone (end of file counts as gone).
pub(crate) fn read_some(
    port: &mut dyn SerialPort,
    buf: &mut [u8],
) -> std::io::Result<Option<usize>> {
    match port.read(buf) {
        Ok(0) => Err(std::io::Error::new(
            ErrorKind::UnexpectedEof,
            "the device closed the connection",
        )),
        Ok(n) => Ok(Some(n)),
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::TimedOut | ErrorKind::WouldBlock | ErrorKind::Interrupted
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn stop_wakes_a_waiting_thread() {
        let stop = Arc::new(Stop::default());
        let s = stop.clone();
        let (tx, rx) = mpsc::channel();
        let t = std::thread::spawn(move || tx.send(s.wait(Duration::from_secs(600))).unwrap());
        stop.request();
        assert!(rx.recv_timeout(Duration::from_secs(30)).unwrap());
        t.join().unwrap();
        assert!(stop.is_set());
        assert!(stop.wait(Duration::from_secs(600)));
    }

    #[test]
    fn a_missing_port_is_reported_once_per_change() {
        let (tx, rx) = mpsc::channel();
        let tx = Mutex::new(tx);
        let emit: Emit = Arc::new(move |e| {
            let _ = tx.lock().unwrap().send(e);
        });
        let port = PortSettings {
            port: PathBuf::from("/nonexistent/ttyACM9"),
            baud: 9600,
        };
        let mut link = Link::new(DeviceKind::Scanner, &port, emit, Arc::new(Stop::default()));
        assert!(link.open(READ_TIMEOUT).is_err());
        let err = link.open(READ_TIMEOUT).err().unwrap().to_string();
        assert!(err.contains("/nonexistent/ttyACM9"), "{err}");
        let events: Vec<_> = rx.try_iter().collect();
        assert_eq!(
            events,
            vec![SerialEvent::Status {
                device: DeviceKind::Scanner,
                connected: false,
                text: "Barcode scanner not connected (/nonexistent/ttyACM9)".into(),
            }]
        );
    }
}
