//! What a folder holds that can be imported: its subfolders (to browse) and its
//! PNG, JPEG and DICOM files, recognised by their first bytes — DICOM files
//! often have no extension — in natural order (`slice2` before `slice10`).

use super::ImportError;
use crate::decode::{sniff, ImageFormat};
use std::cmp::Ordering;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Most slices (and, separately, most subfolders) listed for one folder.
pub const MAX_LISTED: usize = 2_000;

/// The formats the CT import offers.
const IMPORTABLE: [ImageFormat; 3] = [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::Dicom];

/// Bytes read to recognise a file (DICOM's `DICM` ends at 132).
const SNIFF_BYTES: u64 = 132;

/// A subfolder or an importable file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SliceEntry {
    pub path: PathBuf,
    /// The file or folder name, as shown.
    pub name: String,
    pub is_dir: bool,
    /// The image format (`None` for a folder).
    pub format: Option<ImageFormat>,
    /// File size in bytes (0 for a folder).
    pub bytes: u64,
}

/// A folder's listing: subfolders first, then slices, each in natural order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    pub entries: Vec<SliceEntry>,
    /// More than [`MAX_LISTED`] slices or subfolders: the list was cut.
    pub truncated: bool,
    /// Entries that could not be read (each logged as a warning).
    pub unreadable: usize,
}

impl Listing {
    pub fn folders(&self) -> impl Iterator<Item = &SliceEntry> {
        self.entries.iter().filter(|e| e.is_dir)
    }

    pub fn slices(&self) -> impl Iterator<Item = &SliceEntry> {
        self.entries.iter().filter(|e| !e.is_dir)
    }
}

/// Lists `dir`. Hidden entries, system folders and `DICOMDIR` indexes are left
/// out; an entry that cannot be read is skipped with a warning.
pub fn list_slices(dir: &Path) -> Result<Listing, ImportError> {
    let folder_error = |e: std::io::Error| ImportError::Folder {
        path: dir.to_path_buf(),
        reason: e.to_string(),
    };
    let mut names: Vec<(String, PathBuf)> = Vec::new();
    let mut listing = Listing::default();
    for entry in std::fs::read_dir(dir).map_err(folder_error)? {
        match entry {
            Ok(e) => {
                let name = e.file_name().to_string_lossy().into_owned();
                if !skipped_name(&name) {
                    names.push((name, e.path()));
                }
            }
            Err(e) => {
                log::warn!("{}: an entry cannot be read: {e}", dir.display());
                listing.unreadable += 1;
            }
        }
    }
    names.sort_by(|a, b| natural_cmp(&a.0, &b.0));
    let (mut folders, mut slices) = (Vec::new(), Vec::new());
    for (name, path) in names {
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                log::warn!("{}: {e}", path.display());
                listing.unreadable += 1;
                continue;
            }
        };
        if meta.is_dir() {
            if folders.len() < MAX_LISTED {
                folders.push(SliceEntry {
                    path,
                    name,
                    is_dir: true,
                    format: None,
                    bytes: 0,
                });
            } else {
                listing.truncated = true;
            }
            continue;
        }
        // Once the list is full, one more slice found is enough to say it was cut.
        if !meta.is_file() || (listing.truncated && slices.len() >= MAX_LISTED) {
            continue;
        }
        match sniff_file(&path) {
            Ok(Some(format)) if IMPORTABLE.contains(&format) => {
                if slices.len() >= MAX_LISTED {
                    listing.truncated = true;
                } else {
                    slices.push(SliceEntry {
                        path,
                        name,
                        is_dir: false,
                        format: Some(format),
                        bytes: meta.len(),
                    });
                }
            }
            Ok(_) => {}
            Err(e) => {
                log::warn!("{}: {e}", path.display());
                listing.unreadable += 1;
            }
        }
    }
    listing.entries = folders;
    listing.entries.extend(slices);
    Ok(listing)
}

fn skipped_name(name: &str) -> bool {
    name.starts_with('.')
        || name.eq_ignore_ascii_case("DICOMDIR")
        || name.eq_ignore_ascii_case("System Volume Information")
        || name.eq_ignore_ascii_case("$RECYCLE.BIN")
}

/// The format from the file's first bytes.
fn sniff_file(path: &Path) -> std::io::Result<Option<ImageFormat>> {
    let mut head = Vec::with_capacity(SNIFF_BYTES as usize);
    std::fs::File::open(path)?
        .take(SNIFF_BYTES)
        .read_to_end(&mut head)?;
    Ok(sniff(&head))
}

/// Natural order: runs of digits compare by value (`slice2` < `slice10`), the
/// rest case-insensitively; ties fall back to plain order, so it is total.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.chars().peekable(), b.chars().peekable());
    loop {
        let (c, d) = match (x.peek(), y.peek()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(&c), Some(&d)) => (c, d),
        };
        let ord = if c.is_ascii_digit() && d.is_ascii_digit() {
            let (n, m) = (digits(&mut x), digits(&mut y));
            let (n, m) = (n.trim_start_matches('0'), m.trim_start_matches('0'));
            n.len().cmp(&m.len()).then_with(|| n.cmp(m))
        } else {
            x.next();
            y.next();
            c.to_lowercase().cmp(d.to_lowercase())
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
}

fn digits(it: &mut std::iter::Peekable<std::str::Chars<'_>>) -> String {
    let mut s = String::new();
    while let Some(c) = it.next_if(char::is_ascii_digit) {
        s.push(c);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_sort_by_value() {
        let mut v = vec![
            "slice10", "slice2", "Slice1", "slice02", "a", "slice", "10", "9",
        ];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            v,
            ["9", "10", "a", "slice", "Slice1", "slice02", "slice2", "slice10"]
        );
    }

    #[test]
    fn order_is_total() {
        assert_eq!(natural_cmp("a1", "a01"), "a1".cmp("a01"));
        assert_eq!(natural_cmp("A", "a"), Ordering::Less);
        assert_eq!(natural_cmp("x", "x"), Ordering::Equal);
    }
}
