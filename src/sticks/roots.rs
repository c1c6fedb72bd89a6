//! Where slices can be imported from, and exports written to: the USB sticks
//! mounted below the stick folders (`usb_mounts`: `/media`, `/run/media`),
//! read from the mount table, so that empty mount folders such as an idle
//! `/media/usb0` are not offered; then the folders a site configured. A
//! stick is named by its file system label when it has one.

use std::path::{Path, PathBuf};

/// The folders to offer, sticks first, each once; only folders that exist.
/// Without a readable mount table, the existing folders `<base>/*` and
/// `<base>/*/*` are offered instead.
pub fn import_roots(bases: &[PathBuf], configured: &[PathBuf]) -> Vec<PathBuf> {
    let mut roots = match std::fs::read_to_string("/proc/self/mounts") {
        Ok(table) => sticks_in(&table, bases),
        Err(e) => {
            log::warn!("cannot read the mount table ({e}); listing the stick folders instead");
            let mut v = Vec::new();
            for base in bases {
                for d in subfolders(base) {
                    v.extend(subfolders(&d));
                    v.push(d);
                }
            }
            v
        }
    };
    roots.extend(configured.iter().filter(|p| p.is_dir()).cloned());
    let mut seen = std::collections::HashSet::new();
    roots.retain(|p| seen.insert(p.clone()));
    roots
}

/// The sticks in a mount table: mount points strictly below one of `bases`.
pub fn sticks_in(table: &str, bases: &[PathBuf]) -> Vec<PathBuf> {
    let bases: Vec<&Path> = bases.iter().map(PathBuf::as_path).collect();
    mounted_under(table, &bases)
}

/// The stick (below one of `bases`) that holds `dir`, from the mount table.
pub fn mount_of(bases: &[PathBuf], dir: &Path) -> Option<PathBuf> {
    let table = std::fs::read_to_string("/proc/self/mounts").ok()?;
    super::write::mount_at(&table, bases, dir)
}

/// The mount point holding `dir` and the device mounted there, from the
/// mount table (`None` without one): any mount, stick or not.
pub fn mount_holding(dir: &Path) -> Option<(PathBuf, String)> {
    let dir = dir.canonicalize().ok()?;
    let table = std::fs::read_to_string("/proc/self/mounts").ok()?;
    mounts(&table)
        .filter(|(at, _)| dir.starts_with(at))
        .max_by_key(|(at, _)| at.components().count())
}

/// Whether `m` (a mount point and its device) is still in the mount table.
pub fn still_mounted(m: &(PathBuf, String)) -> bool {
    std::fs::read_to_string("/proc/self/mounts")
        .map(|t| mounts(&t).any(|x| x == *m))
        .unwrap_or(true)
}

/// (mount point, device) of each line of a mount table, unescaped.
fn mounts(table: &str) -> impl Iterator<Item = (PathBuf, String)> + '_ {
    table.lines().filter_map(|l| {
        let mut f = l.split_whitespace();
        let dev = unescape(f.next()?);
        Some((PathBuf::from(unescape(f.next()?)), dev))
    })
}

/// What a stick or folder is called on screen: the label of the file system
/// mounted there and its folder (`KINGSTON (sdb1)`), else the folder's name.
pub fn root_name(root: &Path) -> String {
    let folder = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| root.display().to_string());
    match stick_label(root) {
        Some(l) if l != folder => format!("{l} ({folder})"),
        _ => folder,
    }
}

/// The label of the file system mounted at `root`, when it has one.
pub fn stick_label(root: &Path) -> Option<String> {
    let table = std::fs::read_to_string("/proc/self/mounts").ok()?;
    let dev = device_of(&table, root)?;
    label_of(Path::new("/dev/disk/by-label"), &dev)
}

/// The device mounted at `mount` in a mount table, when it is a device.
fn device_of(table: &str, mount: &Path) -> Option<PathBuf> {
    mounts(table)
        .filter(|(at, dev)| at == mount && dev.starts_with('/'))
        .last()
        .map(|(_, dev)| dev.into())
}

/// The label udev gave `dev` (a link in `/dev/disk/by-label`, its name
/// escaped as `\x20`).
fn label_of(by_label: &Path, dev: &Path) -> Option<String> {
    let dev = std::fs::canonicalize(dev).ok()?;
    std::fs::read_dir(by_label).ok()?.flatten().find_map(|e| {
        let target = std::fs::canonicalize(e.path()).ok()?;
        (target == dev).then(|| unescape_udev(&e.file_name().to_string_lossy()))
    })
}

/// udev writes unsafe bytes of a label as `\xNN`.
fn unescape_udev(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 2..i + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], b.get(i + 1), hex) {
            (b'\\', Some(b'x'), Some(v)) => {
                out.push(v);
                i += 4;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn mounted_under(table: &str, bases: &[&Path]) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = table
        .lines()
        .filter_map(|line| line.split_whitespace().nth(1))
        .map(|field| PathBuf::from(unescape(field)))
        .filter(|p| bases.iter().any(|b| p.starts_with(b) && p != b))
        .filter(|p| p.is_dir())
        .collect();
    v.sort_by(|a, b| crate::import::natural_cmp(&a.to_string_lossy(), &b.to_string_lossy()));
    v.dedup();
    v
}

/// The mount table writes space, tab, newline and backslash as `\ooo`.
pub(super) fn unescape(field: &str) -> String {
    let b = field.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let octal = b
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match (b[i], octal) {
            (b'\\', Some(d)) => {
                let v = d.iter().fold(0u32, |acc, c| acc * 8 + u32::from(c - b'0'));
                out.push(u8::try_from(v).unwrap_or(b'?'));
                i += 4;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn subfolders(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_table_escapes_are_undone() {
        assert_eq!(
            unescape(r"/media/nurse/CT\040SCANS"),
            "/media/nurse/CT SCANS"
        );
        assert_eq!(unescape(r"/media/a\134b"), r"/media/a\b");
        assert_eq!(unescape(r"/media/odd\04"), r"/media/odd\04");
    }

    #[test]
    fn udev_label_escapes_are_undone() {
        assert_eq!(unescape_udev(r"CT\x20SCANS"), "CT SCANS");
        assert_eq!(unescape_udev(r"odd\x2"), r"odd\x2");
    }

    #[test]
    fn a_sticks_label_is_found_through_its_device() {
        let tmp = tempfile::tempdir().unwrap();
        let (dev, by_label) = (tmp.path().join("sdb1"), tmp.path().join("by-label"));
        std::fs::write(&dev, b"").unwrap();
        std::fs::create_dir(&by_label).unwrap();
        std::os::unix::fs::symlink(&dev, by_label.join(r"CT\x20SCANS")).unwrap();
        let table = format!("{} /media/onemed/sdb1 vfat ro 0 0\n", dev.display());
        assert_eq!(
            device_of(&table, Path::new("/media/onemed/sdb1")),
            Some(dev.clone())
        );
        assert_eq!(device_of(&table, Path::new("/media/onemed/sdc1")), None);
        assert_eq!(label_of(&by_label, &dev).as_deref(), Some("CT SCANS"));
    }

    #[test]
    fn only_folders_below_the_bases_are_offered() {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().join("media");
        let stick = base.join("nurse/CT SCANS");
        std::fs::create_dir_all(&stick).unwrap();
        let table = format!(
            "/dev/sda1 / ext4 rw 0 0\n/dev/sdb1 {} vfat rw 0 0\n/dev/sdc1 {}/gone vfat rw 0 0\ntmpfs {} tmpfs rw 0 0\n",
            stick.display().to_string().replace(' ', "\\040"),
            base.display(),
            base.display(),
        );
        assert_eq!(mounted_under(&table, &[base.as_path()]), vec![stick]);
    }
}
