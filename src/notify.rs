//! systemd integration (`sd_notify(3)`): READY once the home screen is usable,
//! WATCHDOG pings from the UI thread, STATUS lines, and STOPPING on exit.
//!
//! Every function is a no-op when the process was not started by systemd with
//! `Type=notify` (`NOTIFY_SOCKET` unset), so the kiosk runs the same by hand.
//! A notification that cannot be sent is logged and never stops the kiosk.
//!
//! The watchdog pings come from a [`slint::Timer`] on the UI thread
//! ([`supervise`]): when the event loop freezes the pings stop, systemd's
//! `WatchdogSec=` expires and `Restart=always` starts a fresh kiosk.

use sd_notify::NotifyState;
use std::ffi::{OsStr, OsString};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How often the kiosk's readiness is polled until READY=1 has been sent.
pub const READY_POLL: Duration = Duration::from_millis(50);

/// A notification could not be delivered to the service manager.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("NOTIFY_SOCKET {socket:?} is not a usable socket address: {source}")]
    Address {
        socket: OsString,
        source: std::io::Error,
    },
    #[error("cannot send {what} to systemd at {socket:?}: {source}")]
    Send {
        what: String,
        socket: OsString,
        source: std::io::Error,
    },
}

/// The service manager's notification socket, when there is one.
pub fn socket() -> Option<OsString> {
    std::env::var_os("NOTIFY_SOCKET").filter(|s| !s.is_empty())
}

/// Whether systemd is listening for notifications (`Type=notify`).
pub fn enabled() -> bool {
    socket().is_some()
}

/// The socket address named by a `NOTIFY_SOCKET` value: a path, or an
/// abstract name when it starts with `@`.
fn address(socket: &OsStr) -> Result<SocketAddr, NotifyError> {
    let bytes = socket.as_bytes();
    let addr = match bytes.strip_prefix(b"@") {
        Some(name) => SocketAddr::from_abstract_name(name),
        None => SocketAddr::from_pathname(std::path::Path::new(socket)),
    };
    addr.map_err(|source| NotifyError::Address {
        socket: socket.to_os_string(),
        source,
    })
}

/// The datagram for these states: one `KEY=VALUE` line each.
pub fn message(states: &[NotifyState]) -> String {
    states.iter().map(|s| format!("{s}\n")).collect()
}

/// Sends `states` as one datagram to `socket` (a `NOTIFY_SOCKET` value).
pub fn send_to(socket: &OsStr, states: &[NotifyState]) -> Result<(), NotifyError> {
    let msg = message(states);
    let what = msg.trim_end().replace('\n', " ");
    let err = |source| NotifyError::Send {
        what: what.clone(),
        socket: socket.to_os_string(),
        source,
    };
    let addr = address(socket)?;
    let sock = UnixDatagram::unbound().map_err(err)?;
    let sent = sock.send_to_addr(msg.as_bytes(), &addr).map_err(err)?;
    if sent != msg.len() {
        return Err(err(std::io::Error::new(
            std::io::ErrorKind::WriteZero,
            "datagram truncated",
        )));
    }
    Ok(())
}

/// Sends to systemd if it listens; logs a failure (at most once in a row for
/// watchdog pings, which come every few hundred milliseconds).
fn notify(states: &[NotifyState]) {
    static PING_FAILING: AtomicBool = AtomicBool::new(false);
    let Some(sock) = socket() else { return };
    let ping = states.iter().all(|s| matches!(s, NotifyState::Watchdog));
    match send_to(&sock, states) {
        Ok(()) => {
            if ping && PING_FAILING.swap(false, Ordering::Relaxed) {
                log::info!("systemd watchdog pings are delivered again");
            }
        }
        Err(e) if ping => {
            if !PING_FAILING.swap(true, Ordering::Relaxed) {
                log::warn!("{e}");
            }
        }
        Err(e) => log::warn!("{e}"),
    }
}

/// READY=1 with a status line: the home screen is usable.
pub fn ready(status: &str) {
    log::info!("systemd: ready ({status})");
    notify(&[NotifyState::Ready, NotifyState::Status(status)]);
}

/// A free-form status line (`systemctl status` shows it).
pub fn status(text: &str) {
    notify(&[NotifyState::Status(text)]);
}

/// WATCHDOG=1: the UI thread is alive.
pub fn watchdog() {
    notify(&[NotifyState::Watchdog]);
}

/// STOPPING=1: the kiosk is shutting down on purpose.
pub fn stopping() {
    notify(&[NotifyState::Stopping, NotifyState::Status("stopping")]);
}

/// How often to ping: half of `WATCHDOG_USEC`, when the watchdog is enabled
/// for this process (`WATCHDOG_PID` unset or equal to our pid).
pub fn watchdog_interval() -> Option<Duration> {
    let usec = std::env::var("WATCHDOG_USEC").ok();
    let pid = std::env::var("WATCHDOG_PID").ok();
    interval_from(usec.as_deref(), pid.as_deref(), std::process::id())
}

/// [`watchdog_interval`] from the variables' values: `None` when the watchdog
/// is off, the value is not a positive number, or it is meant for another pid.
pub fn interval_from(usec: Option<&str>, pid: Option<&str>, me: u32) -> Option<Duration> {
    let usec: u64 = usec?.trim().parse().ok().filter(|&u| u > 0)?;
    if let Some(p) = pid {
        if p.trim().parse::<u32>().ok() != Some(me) {
            return None;
        }
    }
    Some(Duration::from_micros(usec / 2).max(Duration::from_millis(1)))
}

/// The UI-thread timers that talk to systemd; dropping it stops them.
pub struct Supervision {
    _watchdog: Option<slint::Timer>,
    _ready: Option<Rc<slint::Timer>>,
}

/// Starts, on the UI thread, a timer that sends READY=1 as soon as
/// `is_ready` says so, and a timer that pings the watchdog at
/// [`watchdog_interval`] while `is_alive` says so (a frozen UI thread sends
/// nothing; a hung worker makes `is_alive` false). Nothing starts when
/// systemd is not listening. Call it before running the event loop and keep
/// the result alive.
pub fn supervise(
    is_ready: impl Fn() -> bool + 'static,
    is_alive: impl Fn() -> bool + 'static,
) -> Supervision {
    if !enabled() {
        return Supervision {
            _watchdog: None,
            _ready: None,
        };
    }
    status("starting: loading the screening models");
    let watchdog_timer = watchdog_interval().map(|every| {
        log::info!("systemd watchdog: pinging every {every:?}");
        let t = slint::Timer::default();
        t.start(slint::TimerMode::Repeated, every, move || {
            if is_alive() {
                watchdog();
            }
        });
        t
    });
    let ready_timer = Rc::new(slint::Timer::default());
    let me = Rc::downgrade(&ready_timer);
    ready_timer.start(slint::TimerMode::Repeated, READY_POLL, move || {
        if is_ready() {
            ready("home screen ready");
            if let Some(t) = me.upgrade() {
                t.stop();
            }
        }
    });
    Supervision {
        _watchdog: watchdog_timer,
        _ready: Some(ready_timer),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_is_half_of_watchdog_usec() {
        assert_eq!(
            interval_from(Some("1000000"), None, 7),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            interval_from(Some("30000000"), Some("7"), 7),
            Some(Duration::from_secs(15))
        );
    }

    #[test]
    fn watchdog_off_bad_or_meant_for_another_process() {
        assert_eq!(interval_from(None, None, 7), None);
        assert_eq!(interval_from(Some("0"), None, 7), None);
        assert_eq!(interval_from(Some("-5"), None, 7), None);
        assert_eq!(interval_from(Some("soon"), None, 7), None);
        assert_eq!(interval_from(Some("1000000"), Some("8"), 7), None);
        assert_eq!(interval_from(Some("1000000"), Some("x"), 7), None);
    }

    #[test]
    fn message_has_one_line_per_state() {
        let m = message(&[NotifyState::Ready, NotifyState::Status("home screen ready")]);
        assert_eq!(m, "READY=1\nSTATUS=home screen ready\n");
    }

    #[test]
    fn datagrams_reach_a_path_socket() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("notify");
        let rx = UnixDatagram::bind(&path).unwrap();
        send_to(path.as_os_str(), &[NotifyState::Watchdog]).unwrap();
        let mut buf = [0u8; 64];
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"WATCHDOG=1\n");
    }

    #[test]
    fn datagrams_reach_an_abstract_socket() {
        let name = format!("onemed-notify-test-{}", std::process::id());
        let rx = UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(&name).unwrap()).unwrap();
        let sock = OsString::from(format!("@{name}"));
        send_to(&sock, &[NotifyState::Stopping]).unwrap();
        let mut buf = [0u8; 64];
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"STOPPING=1\n");
    }

    #[test]
    fn a_missing_socket_is_an_error_value_not_a_panic() {
        let d = tempfile::tempdir().unwrap();
        let err = send_to(d.path().join("nobody").as_os_str(), &[NotifyState::Ready]);
        assert!(matches!(err, Err(NotifyError::Send { .. })), "{err:?}");
        let long = OsString::from("/".repeat(200));
        assert!(matches!(
            send_to(&long, &[NotifyState::Ready]),
            Err(NotifyError::Address { .. })
        ));
    }
}
