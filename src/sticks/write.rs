//! A stick is mounted read-only; [`Writable`] makes it writable for one
//! export and read-only again when dropped, through the site's
//! `usb_write_command` (`make install`: a polkit-allowed systemd unit that
//! remounts it). The kiosk itself has no privilege to remount anything.
//!
//! [`fat_limit`]: the largest file a stick's file system holds (FAT32:
//! 4 GiB - 1), so an export that would pass it is refused in words rather
//! than cut short by the kernel.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Why a stick could not be made writable.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum StickError {
    #[error("the USB stick {} could not be made writable ({reason})", mount.display())]
    NotWritable { mount: PathBuf, reason: String },
}

/// A stick made writable; read-only again when dropped.
#[derive(Debug)]
pub struct Writable {
    command: Vec<String>,
    mount: Option<PathBuf>,
}

impl Writable {
    /// Makes the stick that holds `dir` writable with `command` (`<command...>
    /// rw <mount point>`). Nothing is run when `command` is empty or `dir`
    /// is on no stick below `bases` (a configured folder).
    pub fn open(command: &[String], bases: &[PathBuf], dir: &Path) -> Result<Writable, StickError> {
        let table = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
        let mount = match (command.is_empty(), mount_at(&table, bases, dir)) {
            (false, Some(m)) => m,
            _ => {
                return Ok(Writable {
                    command: Vec::new(),
                    mount: None,
                })
            }
        };
        let fail = |reason: String| StickError::NotWritable {
            mount: mount.clone(),
            reason,
        };
        run(command, "rw", &mount).map_err(fail)?;
        let table = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
        if !is_read_write(&table, &mount) {
            // Undo whatever half happened.
            let _ = run(command, "ro", &mount);
            return Err(fail("it is still mounted read-only".into()));
        }
        log::info!("USB stick {} writable for the export", mount.display());
        Ok(Writable {
            command: command.to_vec(),
            mount: Some(mount),
        })
    }
}

impl Drop for Writable {
    fn drop(&mut self) {
        if let Some(m) = &self.mount {
            match run(&self.command, "ro", m) {
                Ok(()) => log::info!("USB stick {} read-only again", m.display()),
                Err(e) => log::warn!("USB stick {} left writable: {e}", m.display()),
            }
        }
    }
}

/// The stick mount point (below one of `bases`) that holds `dir`.
pub(super) fn mount_at(table: &str, bases: &[PathBuf], dir: &Path) -> Option<PathBuf> {
    super::sticks_in(table, bases)
        .into_iter()
        .filter(|m| dir.starts_with(m))
        .max_by_key(|m| m.components().count())
}

/// Whether the last mount at `mount` in the table is read-write.
fn is_read_write(table: &str, mount: &Path) -> bool {
    table
        .lines()
        .rev()
        .find_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let at = f.get(1)?;
            (Path::new(&super::roots::unescape(at)) == mount)
                .then(|| f.get(3).is_some_and(|o| o.split(',').any(|o| o == "rw")))
        })
        .unwrap_or(false)
}

fn run(command: &[String], mode: &str, mount: &Path) -> Result<(), String> {
    let (prog, args) = command.split_first().ok_or("no command")?;
    let out = Command::new(prog)
        .args(args)
        .arg(mode)
        .arg(mount)
        .output()
        .map_err(|e| format!("{prog}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        Err(format!("{prog} {mode}: {} {}", out.status, err.trim()))
    }
}

/// The largest file the file system holding `dir` can store, when it has a
/// limit (FAT: 4 GiB - 1 bytes).
pub fn fat_limit(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    const MSDOS_SUPER_MAGIC: i64 = 0x4d44;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: a valid C string and a statfs buffer the call fills.
    if unsafe { libc::statfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    #[allow(clippy::unnecessary_cast)]
    (st.f_type as i64 == MSDOS_SUPER_MAGIC).then_some(u32::MAX as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stick_holding_a_folder_and_its_mode_come_from_the_table() {
        let table = "/dev/sda1 / ext4 rw 0 0\n\
                     /dev/sdb1 /media/onemed/sdb1 vfat ro,nosuid 0 0\n\
                     /dev/sdc1 /media/onemed/sdc1 vfat rw,nosuid 0 0\n";
        let bases = [PathBuf::from("/media")];
        // Only existing folders are sticks: this machine has none of these.
        assert_eq!(
            mount_at(table, &bases, Path::new("/media/onemed/sdb1/x")),
            None
        );
        assert!(!is_read_write(table, Path::new("/media/onemed/sdb1")));
        assert!(is_read_write(table, Path::new("/media/onemed/sdc1")));
        assert!(!is_read_write(table, Path::new("/media/onemed/sdd1")));
        // Remounted: the last line for a mount point is the one in force.
        let again = format!("{table}/dev/sdb1 /media/onemed/sdb1 vfat rw 0 0\n");
        assert!(is_read_write(&again, Path::new("/media/onemed/sdb1")));
    }

    #[test]
    fn without_a_command_nothing_is_run() {
        let tmp = tempfile::tempdir().unwrap();
        let w = Writable::open(&[], &[tmp.path().to_path_buf()], tmp.path()).unwrap();
        assert!(w.mount.is_none());
    }

    #[test]
    fn a_folder_on_no_fat_stick_has_no_limit() {
        assert_eq!(fat_limit(Path::new("/proc")), None);
    }
}
