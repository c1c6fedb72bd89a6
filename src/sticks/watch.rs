//! [`MountWatch`]: tells the kiosk when a USB stick is mounted or goes away.
//!
//! A `mount-watch` thread waits on `/proc/self/mounts`: the kernel wakes a
//! `poll` on it (`POLLPRI`) whenever anything is mounted or unmounted in the
//! process's mount namespace, so a stick shows up as soon as its mount is
//! made, with no polling of folders. On each wake the sticks below the stick
//! folders are listed again ([`super::roots::sticks_in`]) and, when the list
//! changed, handed to the callback, which must be quick (the kiosk posts it
//! to its event loop).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// How often the thread looks at its stop flag while nothing is mounted.
const STOP_CHECK_MS: i32 = 250;

/// Why the mount table cannot be watched.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("cannot read the mount table /proc/self/mounts: {0}")]
    Table(std::io::Error),
    #[error("cannot start the mount watcher: {0}")]
    Thread(std::io::Error),
}

/// The running watcher; dropping it stops the thread.
pub struct MountWatch {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl MountWatch {
    /// Starts watching. `on_change` gets the sticks below `bases` each time
    /// the list changes (not for the list at start, which [`MountWatch::sticks`]
    /// gives).
    pub fn start(
        bases: Vec<PathBuf>,
        on_change: impl Fn(Vec<PathBuf>) + Send + 'static,
    ) -> Result<MountWatch, WatchError> {
        let mut table = File::open("/proc/self/mounts").map_err(WatchError::Table)?;
        let mut last = read_sticks(&mut table, &bases).map_err(WatchError::Table)?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::Builder::new()
            .name("mount-watch".into())
            .spawn(move || {
                while !stopping.load(Ordering::Relaxed) {
                    if !changed(&table) {
                        continue;
                    }
                    match read_sticks(&mut table, &bases) {
                        Ok(now) if now != last => {
                            log::info!("USB sticks now: {now:?}");
                            last = now.clone();
                            on_change(now);
                        }
                        Ok(_) => {}
                        Err(e) => {
                            log::warn!(
                                "mount table unreadable ({e}); sticks are no longer watched"
                            );
                            return;
                        }
                    }
                }
            })
            .map_err(WatchError::Thread)?;
        Ok(MountWatch {
            stop,
            thread: Some(thread),
        })
    }

    /// The sticks mounted now.
    pub fn sticks(bases: &[PathBuf]) -> Vec<PathBuf> {
        std::fs::read_to_string("/proc/self/mounts")
            .map(|t| super::roots::sticks_in(&t, bases))
            .unwrap_or_default()
    }
}

impl Drop for MountWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            // It wakes within STOP_CHECK_MS.
            let _ = t.join();
        }
    }
}

/// Waits up to [`STOP_CHECK_MS`] for the kernel to say the table changed.
fn changed(table: &File) -> bool {
    let mut fd = libc::pollfd {
        fd: table.as_raw_fd(),
        events: libc::POLLPRI,
        revents: 0,
    };
    // SAFETY: one valid pollfd, for the duration of the call.
    let n = unsafe { libc::poll(&mut fd, 1, STOP_CHECK_MS) };
    n > 0 && fd.revents & (libc::POLLPRI | libc::POLLERR) != 0
}

/// Reads the table again from the start (which also re-arms the poll).
fn read_sticks(table: &mut File, bases: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    table.seek(SeekFrom::Start(0))?;
    let mut text = String::new();
    table.read_to_string(&mut text)?;
    Ok(super::roots::sticks_in(&text, bases))
}
