//! The walk of a folder without a DICOMDIR: the DICOM files under it,
//! recognised by content, within the depth and count limits.

use super::dicomdir::entries;
use super::{MAX_DEPTH, MAX_EXAMINED, MAX_SERIES_FILES};
use crate::decode::dicom;
use crate::import::natural_cmp;
use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The recursive walk of a folder without DICOMDIR.
#[derive(Default)]
pub(super) struct Walk {
    pub(super) files: Vec<PathBuf>,
    /// Folders entered, by (device, inode): a symlink loop is entered once.
    entered: HashSet<(u64, u64)>,
    examined: usize,
    pub(super) unreadable: usize,
    pub(super) truncated: bool,
}

impl Walk {
    pub(super) fn dir(&mut self, dir: &Path, depth: usize) {
        use std::os::unix::fs::MetadataExt;
        if depth > MAX_DEPTH || self.truncated {
            return;
        }
        match std::fs::metadata(dir) {
            Ok(m) if self.entered.insert((m.dev(), m.ino())) => {}
            Ok(_) => return,
            Err(e) => {
                log::warn!("{}: {e}", dir.display());
                self.unreadable += 1;
                return;
            }
        }
        let mut names = match entries(dir) {
            Ok(n) => n,
            Err(e) => {
                log::warn!("{}: {e}", dir.display());
                self.unreadable += 1;
                return;
            }
        };
        names.sort_by(|a, b| natural_cmp(&a.0, &b.0));
        let mut subdirs = Vec::new();
        for (name, path) in names {
            if name.starts_with('.') || name.eq_ignore_ascii_case("DICOMDIR") {
                continue;
            }
            let meta = match std::fs::metadata(&path) {
                Ok(m) => m,
                Err(e) => {
                    log::warn!("{}: {e}", path.display());
                    self.unreadable += 1;
                    continue;
                }
            };
            if meta.is_dir() {
                subdirs.push(path);
                continue;
            }
            if !meta.is_file() {
                continue;
            }
            if self.files.len() >= MAX_SERIES_FILES || self.examined >= MAX_EXAMINED {
                self.truncated = true;
                return;
            }
            self.examined += 1;
            match head(&path) {
                Ok(h) if dicom::is_dicom(&h) => self.files.push(path),
                Ok(_) => {}
                Err(e) => {
                    log::warn!("{}: {e}", path.display());
                    self.unreadable += 1;
                }
            }
        }
        for sub in subdirs {
            self.dir(&sub, depth + 1);
        }
    }
}

/// The first 132 bytes (enough for DICOM's `DICM`).
fn head(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut h = Vec::with_capacity(132);
    std::fs::File::open(path)?.take(132).read_to_end(&mut h)?;
    Ok(h)
}
