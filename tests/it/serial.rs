//! The serial devices against real pseudo-terminals made by `socat`: the
//! kiosk's side opens `DIR/dev`, the test plays the device on `DIR/peer`.
//! Unplug is killing socat, replug starting it again with the same links.

use onemed::serial::{escpos, DeviceKind, PrintLine, SerialDevices, SerialEvent};
use onemed::settings::{PortSettings, PrinterSettings, SerialSettings, TriggerSettings};
use serialport::SerialPort;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Deadline for anything that should happen.
const PATIENCE: Duration = Duration::from_secs(15);
/// How long to watch for something that must not happen.
const QUIET: Duration = Duration::from_millis(600);

/// A socat pty pair with stable link names; killed on drop.
struct Socat {
    child: Option<Child>,
    dev: PathBuf,
    peer: PathBuf,
}

impl Socat {
    fn start(dir: &Path) -> Socat {
        let dev = dir.join("dev");
        let peer = dir.join("peer");
        let child = crate::common::pty_pair(&dev, &peer);
        Socat {
            child: Some(child),
            dev,
            peer,
        }
    }

    /// The device end, as the test drives it.
    fn open_peer(&self) -> Box<dyn SerialPort> {
        serialport::new(self.peer.to_string_lossy(), 9600)
            .timeout(Duration::from_millis(100))
            .open()
            .expect("peer pty opens")
    }

    /// Unplugs: socat ends (SIGTERM lets it remove its links) and the links go.
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_file(&self.dev);
            let _ = std::fs::remove_file(&self.peer);
        }
    }
}

impl Drop for Socat {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts the devices with events going to a channel.
fn start(settings: &SerialSettings) -> (SerialDevices, Receiver<SerialEvent>) {
    let (tx, rx) = mpsc::channel();
    let devices = SerialDevices::start(settings, move |e| {
        let _ = tx.send(e);
    });
    (devices, rx)
}

/// The first event that satisfies `want`, within the deadline; the events
/// passed over on the way are returned too.
fn wait_for(
    rx: &Receiver<SerialEvent>,
    want: impl Fn(&SerialEvent) -> bool,
) -> (SerialEvent, Vec<SerialEvent>) {
    let deadline = Instant::now() + PATIENCE;
    let mut passed = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(e) if want(&e) => return (e, passed),
            Ok(e) => passed.push(e),
            Err(e) => panic!("no expected event ({e:?}); got {passed:?}"),
        }
    }
}

fn status(device: DeviceKind, connected: bool) -> impl Fn(&SerialEvent) -> bool {
    move |e| matches!(e, SerialEvent::Status { device: d, connected: c, .. } if *d == device && *c == connected)
}

/// Events arriving within the quiet period.
fn quiet(rx: &Receiver<SerialEvent>) -> Vec<SerialEvent> {
    let deadline = Instant::now() + QUIET;
    let mut got = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(e) => got.push(e),
            Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => return got,
        }
    }
}

fn trigger_on(dev: &Path, matches: &str) -> SerialSettings {
    SerialSettings {
        trigger: Some(TriggerSettings {
            port: dev.to_path_buf(),
            baud: 9600,
            matches: matches.into(),
        }),
        ..SerialSettings::default()
    }
}

fn send(port: &mut Box<dyn SerialPort>, bytes: &[u8]) {
    port.write_all(bytes).unwrap();
    port.flush().unwrap();
}

#[test]
fn trigger_byte_fires_and_other_bytes_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let socat = Socat::start(dir.path());
    let (devices, rx) = start(&trigger_on(&socat.dev, "byte:0x20"));
    assert!(devices.has(DeviceKind::Trigger));
    assert!(!devices.has(DeviceKind::Scanner));
    let (e, _) = wait_for(&rx, status(DeviceKind::Trigger, true));
    let SerialEvent::Status { text, .. } = e else {
        unreachable!()
    };
    assert!(text.contains("Capture trigger connected"), "{text}");
    let mut peer = socat.open_peer();

    send(&mut peer, b"abc\r\nSNAP\n");
    assert_eq!(quiet(&rx), vec![], "no trigger from other bytes");
    send(&mut peer, b"xx yy");
    wait_for(&rx, |e| *e == SerialEvent::Trigger);
    assert_eq!(quiet(&rx), vec![], "one space, one trigger");
}

#[test]
fn trigger_line_fires_only_on_that_line() {
    let dir = tempfile::tempdir().unwrap();
    let socat = Socat::start(dir.path());
    let (_devices, rx) = start(&trigger_on(&socat.dev, "line:SNAP"));
    wait_for(&rx, status(DeviceKind::Trigger, true));
    let mut peer = socat.open_peer();

    send(&mut peer, b"SNAPX\r\nsnap\r\n \n");
    assert_eq!(quiet(&rx), vec![], "no trigger from other lines");
    send(&mut peer, b"  SNAP \r\nSN");
    wait_for(&rx, |e| *e == SerialEvent::Trigger);
    send(&mut peer, b"AP\n");
    wait_for(&rx, |e| *e == SerialEvent::Trigger);
    assert_eq!(quiet(&rx), vec![]);
}

#[test]
fn scanned_line_becomes_patient_id_and_bad_lines_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let socat = Socat::start(dir.path());
    let settings = SerialSettings {
        scanner: Some(PortSettings {
            port: socat.dev.clone(),
            baud: 9600,
        }),
        ..SerialSettings::default()
    };
    let (devices, rx) = start(&settings);
    assert!(devices.has(DeviceKind::Scanner));
    wait_for(&rx, status(DeviceKind::Scanner, true));
    let mut peer = socat.open_peer();

    send(&mut peer, b"PAT-0042\r\n");
    let (e, _) = wait_for(&rx, |e| matches!(e, SerialEvent::Barcode(_)));
    assert_eq!(e, SerialEvent::Barcode("PAT-0042".into()));

    // A rejected line gives a reason on screen and no barcode; the next good
    // line is the next barcode (events of one device keep their order).
    send(&mut peer, b"PAT 42; DROP\r\n");
    let (e, passed) = wait_for(&rx, |e| {
        matches!(e, SerialEvent::Status { .. } | SerialEvent::Barcode(_))
    });
    assert!(passed.is_empty(), "{passed:?}");
    match e {
        SerialEvent::Status {
            device,
            connected,
            text,
            ..
        } => {
            assert_eq!(device, DeviceKind::Scanner);
            assert!(connected);
            assert!(
                text.contains("Scan ignored") && text.contains("' '"),
                "{text}"
            );
        }
        other => panic!("a bad line gave {other:?}"),
    }
    send(&mut peer, &[b'9'; 5000]);
    send(&mut peer, b"\nPAT-7\n");
    let (e, passed) = wait_for(&rx, |e| matches!(e, SerialEvent::Barcode(_)));
    assert_eq!(e, SerialEvent::Barcode("PAT-7".into()));
    assert!(
        passed
            .iter()
            .all(|e| matches!(e, SerialEvent::Status { text, .. } if text.contains("longer than"))),
        "{passed:?}"
    );
    assert_eq!(passed.len(), 1, "the overlong line is reported once");
}

fn slip() -> Vec<PrintLine> {
    vec![
        PrintLine::new("OneMed Kiosk").bold().double().center(),
        PrintLine::new("Patient PAT-0042"),
        PrintLine::new("Diabetic retinopathy — no signs found in this image"),
        PrintLine::new("Assistive screening, not a diagnosis.").bold(),
    ]
}

/// Reads the peer until `want` bytes arrived or the deadline passed.
fn read_peer(peer: &mut Box<dyn SerialPort>, want: usize) -> Vec<u8> {
    let deadline = Instant::now() + PATIENCE;
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    while got.len() < want && Instant::now() < deadline {
        match peer.read(&mut buf) {
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(e) => panic!("peer read failed: {e}"),
        }
    }
    got
}

fn printer_on(dev: &Path) -> SerialSettings {
    SerialSettings {
        printer: Some(PrinterSettings {
            port: dev.to_path_buf(),
            baud: 9600,
            width: 32,
            dots: None,
        }),
        ..SerialSettings::default()
    }
}

fn check_slip(bytes: &[u8]) {
    assert!(bytes.starts_with(&[0x1b, b'@']), "starts with ESC @");
    assert!(bytes.ends_with(&[0x1d, b'V', 66, 0]), "ends with the cut");
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(has(&[0x1b, b'E', 1]), "bold on");
    assert!(has(&[0x1d, b'!', 0x11]), "double size");
    assert!(has(&[0x1b, b'a', 1]), "centred");
    assert!(has(b"OneMed Kiosk\n"));
    assert!(has(b"Patient PAT-0042\n"));
    assert!(has(
        b"Diabetic retinopathy - no signs\nfound in this image\n"
    ));
    assert_eq!(bytes, escpos::encode(&slip(), 32).as_slice());
}

#[test]
fn print_sends_the_exact_escpos_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let socat = Socat::start(dir.path());
    let (devices, rx) = start(&printer_on(&socat.dev));
    assert!(devices.has(DeviceKind::Printer));
    assert_eq!(devices.printer_width(), Some(32));
    wait_for(&rx, status(DeviceKind::Printer, true));
    let mut peer = socat.open_peer();

    assert!(devices.print(7, slip(), None));
    let want = escpos::encode(&slip(), 32).len();
    let got = read_peer(&mut peer, want);
    check_slip(&got);
    let (e, passed) = wait_for(&rx, |e| {
        matches!(
            e,
            SerialEvent::Printed { .. } | SerialEvent::PrintFailed { .. }
        )
    });
    assert_eq!(e, SerialEvent::Printed { job: 7 }, "{passed:?}");
}

#[test]
fn trigger_survives_unplug_and_replug() {
    let dir = tempfile::tempdir().unwrap();
    let mut socat = Socat::start(dir.path());
    let (devices, rx) = start(&trigger_on(&socat.dev, "byte:32"));
    wait_for(&rx, status(DeviceKind::Trigger, true));
    send(&mut socat.open_peer(), b" ");
    wait_for(&rx, |e| *e == SerialEvent::Trigger);

    socat.stop();
    let (e, _) = wait_for(&rx, status(DeviceKind::Trigger, false));
    let SerialEvent::Status { text, .. } = e else {
        unreachable!()
    };
    assert!(text.contains(&socat.dev.display().to_string()), "{text}");

    let socat = Socat::start(dir.path());
    wait_for(&rx, status(DeviceKind::Trigger, true));
    send(&mut socat.open_peer(), b" ");
    wait_for(&rx, |e| *e == SerialEvent::Trigger);
    assert!(devices.has(DeviceKind::Trigger));
}

#[test]
fn printer_survives_unplug_and_replug() {
    let dir = tempfile::tempdir().unwrap();
    let mut socat = Socat::start(dir.path());
    let (devices, rx) = start(&printer_on(&socat.dev));
    wait_for(&rx, status(DeviceKind::Printer, true));

    socat.stop();
    wait_for(&rx, status(DeviceKind::Printer, false));
    assert!(devices.print(1, slip(), None));
    let (e, _) = wait_for(&rx, |e| matches!(e, SerialEvent::PrintFailed { .. }));
    let SerialEvent::PrintFailed { job, error } = e else {
        unreachable!()
    };
    assert_eq!(job, 1);
    assert!(error.contains("Receipt printer not connected"), "{error}");

    let socat = Socat::start(dir.path());
    wait_for(&rx, status(DeviceKind::Printer, true));
    let mut peer = socat.open_peer();
    assert!(devices.print(2, slip(), None));
    check_slip(&read_peer(&mut peer, escpos::encode(&slip(), 32).len()));
    wait_for(&rx, |e| *e == SerialEvent::Printed { job: 2 });
}

#[test]
fn missing_ports_are_reported_and_nothing_panics() {
    let dir = tempfile::tempdir().unwrap();
    let missing = |name: &str| dir.path().join(name);
    let settings = SerialSettings {
        trigger: Some(TriggerSettings {
            port: missing("pedal"),
            baud: 9600,
            matches: "byte:0x20".into(),
        }),
        scanner: Some(PortSettings {
            port: missing("scanner"),
            baud: 9600,
        }),
        printer: Some(PrinterSettings {
            port: missing("printer"),
            baud: 9600,
            width: 32,
            dots: None,
        }),
    };
    let (devices, rx) = start(&settings);
    // The three threads report in any order: gather one status from each.
    let mut statuses = Vec::new();
    while statuses.len() < 3 {
        let (e, _) = wait_for(&rx, |e| matches!(e, SerialEvent::Status { .. }));
        statuses.push(e);
    }
    for (kind, name) in [
        (DeviceKind::Trigger, "pedal"),
        (DeviceKind::Scanner, "scanner"),
        (DeviceKind::Printer, "printer"),
    ] {
        let want = SerialEvent::Status {
            device: kind,
            connected: false,
            text: format!(
                "{} not connected ({})",
                kind.label(),
                missing(name).display()
            ),
        };
        assert!(statuses.contains(&want), "{statuses:?}");
        assert!(devices.has(kind));
    }
    assert!(devices.print(3, slip(), None));
    let (e, _) = wait_for(&rx, |e| matches!(e, SerialEvent::PrintFailed { .. }));
    let SerialEvent::PrintFailed { job, error } = e else {
        unreachable!()
    };
    assert_eq!(job, 3);
    assert!(
        error.contains(&missing("printer").display().to_string()),
        "{error}"
    );
    drop(devices);
    // Every thread has ended: the senders they held are gone.
    let rest: Vec<_> = rx.iter().collect();
    assert!(
        rest.iter().all(|e| matches!(
            e,
            SerialEvent::Status {
                connected: false,
                ..
            }
        )),
        "{rest:?}"
    );
}

#[test]
fn bad_trigger_setting_and_no_printer_are_clear() {
    let (devices, rx) = start(&trigger_on(Path::new("/dev/null"), "key:F1"));
    let (e, _) = wait_for(&rx, status(DeviceKind::Trigger, false));
    let SerialEvent::Status { text, .. } = e else {
        unreachable!()
    };
    assert!(
        text.contains("not started") && text.contains("key:F1"),
        "{text}"
    );
    assert!(!devices.has(DeviceKind::Trigger));
    assert!(!devices.print(1, slip(), None), "no printer configured");
    assert_eq!(devices.printer_width(), None);
}
