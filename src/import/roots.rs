//! Where slices can be imported from: the USB sticks mounted under `/media`
//! and `/run/media` (read from the mount table, so empty mount folders such as
//! an idle `/media/usb0` are not offered), then the folders a site configured.

use std::path::{Path, PathBuf};

/// Folders under which removable media are mounted.
const MEDIA: [&str; 2] = ["/media", "/run/media"];

/// The folders to offer, sticks first, each once; only folders that exist.
/// Without a readable mount table, the existing folders `/media/*`,
/// `/media/*/*` and `/run/media/*/*` are offered instead.
pub fn import_roots(configured: &[PathBuf]) -> Vec<PathBuf> {
    let bases: Vec<&Path> = MEDIA.iter().map(Path::new).collect();
    let mut roots = match std::fs::read_to_string("/proc/self/mounts") {
        Ok(table) => mounted_under(&table, &bases),
        Err(e) => {
            log::warn!("cannot read the mount table ({e}); listing /media instead");
            let media = subfolders(Path::new("/media"));
            let mut v = media.clone();
            for d in media.iter().chain(&subfolders(Path::new("/run/media"))) {
                v.extend(subfolders(d));
            }
            v
        }
    };
    roots.extend(configured.iter().filter(|p| p.is_dir()).cloned());
    let mut seen = std::collections::HashSet::new();
    roots.retain(|p| seen.insert(p.clone()));
    roots
}

/// The mount points in `table` (`/proc/self/mounts` format) strictly below one
/// of `bases` that are existing folders, in natural order.
pub fn roots_from_mounts(table: &str) -> Vec<PathBuf> {
    let bases: Vec<&Path> = MEDIA.iter().map(Path::new).collect();
    mounted_under(table, &bases)
}

pub(crate) fn mounted_under(table: &str, bases: &[&Path]) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = table
        .lines()
        .filter_map(|line| line.split_whitespace().nth(1))
        .map(|field| PathBuf::from(unescape(field)))
        .filter(|p| bases.iter().any(|b| p.starts_with(b) && p != b))
        .filter(|p| p.is_dir())
        .collect();
    v.sort_by(|a, b| super::natural_cmp(&a.to_string_lossy(), &b.to_string_lossy()));
    v.dedup();
    v
}

/// The mount table writes space, tab, newline and backslash as `\ooo`.
fn unescape(field: &str) -> String {
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
