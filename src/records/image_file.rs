//! The original images as files: named by day, time, visit and hash, written
//! so that a crash leaves either the whole file or none (private temp file,
//! fsync, link into place, fsync the folder), never overwriting a file, and
//! the leftovers of a crash (temp files, images whose row never committed)
//! cleaned up later.

use super::{ImageData, RecordsError, VisitId};
use chrono::{DateTime, Local};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::fs::{DirBuilder, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// The images folder inside the data folder.
pub const IMAGES_DIR: &str = "images";
/// Temp files start with this (and are hidden).
const TEMP_PREFIX: &str = ".tmp-";
/// A temp file or unrecorded image older than this is a crash's leftover; a
/// younger one may belong to a save in progress in another process.
pub const STALE_AFTER: Duration = Duration::from_secs(120);

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Lowercase hex sha256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes to save and their extension: encoded files (an import, a
/// camera's own JPEG) as they came, uncompressed camera frames losslessly
/// ([`encode_lossless`]).
pub fn encode(image: &ImageData) -> Result<(Cow<'_, [u8]>, String), RecordsError> {
    match image {
        ImageData::Encoded { bytes, ext } => {
            let ext = clean_ext(ext)
                .ok_or_else(|| RecordsError::Invalid(format!("unusable file extension {ext:?}")))?;
            if bytes.is_empty() {
                return Err(RecordsError::Invalid("the image is empty".into()));
            }
            Ok((Cow::Borrowed(bytes.as_slice()), ext))
        }
        ImageData::Frame(frame) => {
            let (bytes, ext) = encode_lossless(frame)?;
            Ok((Cow::Owned(bytes), ext.into()))
        }
    }
}

/// Lossless encodings of a camera frame that [`encode_lossless`] was chosen
/// from (`onemed bench --stills` measures each on the demo camera's frames).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lossless {
    /// PNG, fast compression, Paeth filter (what camera stills were kept as
    /// before; still used for a CT frame, see `workers::inference`).
    PngFast,
    /// PNG, zlib's default level, adaptive filtering.
    PngDefault,
    /// PNG, zlib's best level, adaptive filtering.
    PngBest,
    /// WebP lossless (the `image` crate's encoder).
    WebP,
}

impl Lossless {
    pub const ALL: [Lossless; 4] = [
        Lossless::PngFast,
        Lossless::PngDefault,
        Lossless::PngBest,
        Lossless::WebP,
    ];

    /// The file extension.
    pub fn ext(self) -> &'static str {
        match self {
            Lossless::WebP => "webp",
            _ => "png",
        }
    }

    /// A name for the bench's table.
    pub fn name(self) -> &'static str {
        match self {
            Lossless::PngFast => "PNG fast, Paeth",
            Lossless::PngDefault => "PNG default, adaptive",
            Lossless::PngBest => "PNG best, adaptive",
            Lossless::WebP => "WebP lossless",
        }
    }

    /// The frame's bytes in this encoding; `decode::decode` gives the
    /// frame back exactly.
    pub fn encode(self, frame: &crate::frame::RgbFrame) -> Result<Vec<u8>, RecordsError> {
        use image::codecs::png::{CompressionType, FilterType, PngEncoder};
        use image::codecs::webp::WebPEncoder;
        use image::ImageEncoder;
        let (w, h) = (frame.width() as u32, frame.height() as u32);
        let rgb = image::ExtendedColorType::Rgb8;
        let mut out = Vec::with_capacity(frame.data().len() / 2);
        let written = match self {
            Lossless::WebP => WebPEncoder::new_lossless(&mut out).encode(frame.data(), w, h, rgb),
            png => {
                let (level, filter) = match png {
                    Lossless::PngFast => (CompressionType::Fast, FilterType::Paeth),
                    Lossless::PngBest => (CompressionType::Best, FilterType::Adaptive),
                    _ => (CompressionType::Default, FilterType::Adaptive),
                };
                PngEncoder::new_with_quality(&mut out, level, filter).write_image(
                    frame.data(),
                    w,
                    h,
                    rgb,
                )
            }
        };
        written
            .map_err(|e| RecordsError::Invalid(format!("cannot encode the camera frame: {e}")))?;
        Ok(out)
    }
}

/// How an uncompressed camera still (a YUYV or NV12 camera's) is kept: see
/// README "Camera stills" for the measurements it was chosen by.
pub const STILL_LOSSLESS: Lossless = Lossless::WebP;

/// An uncompressed camera frame as [`encode`] saves it, and its extension.
/// The kiosk calls this ahead (while the nurse reviews the still) and passes
/// `ImageData::Encoded` to take the encoding off the save.
pub fn encode_lossless(
    frame: &crate::frame::RgbFrame,
) -> Result<(Vec<u8>, &'static str), RecordsError> {
    Ok((STILL_LOSSLESS.encode(frame)?, STILL_LOSSLESS.ext()))
}

/// A frame as PNG (fast compression, Paeth filter): a CT frame the model
/// saw, kept as it was before camera stills changed format.
pub fn png(frame: &crate::frame::RgbFrame) -> Result<Vec<u8>, RecordsError> {
    Lossless::PngFast.encode(frame)
}

/// A safe extension: 1–8 ASCII letters or digits, lower-cased.
fn clean_ext(ext: &str) -> Option<String> {
    let e = ext.trim_start_matches('.').to_ascii_lowercase();
    (!e.is_empty() && e.len() <= 8 && e.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(e)
}

/// `images/YYYY/MM/DD/<HHMMSS-micros>-v<visit>-<sha 12>.<ext>` (local time).
pub fn relative_path(at: &DateTime<Local>, visit: VisitId, sha: &str, ext: &str) -> String {
    format!(
        "{IMAGES_DIR}/{}/{}-v{visit}-{}.{ext}",
        at.format("%Y/%m/%d"),
        at.format("%H%M%S-%6f"),
        sha.get(..12).unwrap_or(sha)
    )
}

/// Creates `dir` and its missing parents (mode 0700), fsyncing each parent
/// that gained an entry so the new folders survive a crash.
/// Makes the data folder 0700 and the register's files 0600 (creating an
/// empty database file with that mode when there is none), whatever the
/// umask or an earlier version left. Best effort on a read-only disk: a file
/// that cannot be changed is logged, and the open that follows says why.
pub fn make_private(data_dir: &Path, db: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let set = |p: &Path, mode: u32| {
        let current = std::fs::symlink_metadata(p).map(|m| m.permissions().mode() & 0o777);
        if let Ok(m) = current {
            if m != mode {
                if let Err(e) = std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)) {
                    log::warn!("cannot make {} private: {e}", p.display());
                }
            }
        }
    };
    set(data_dir, 0o700);
    if !db.exists() {
        let created = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(db);
        if let Err(e) = created {
            log::warn!("cannot create {} as a private file: {e}", db.display());
        }
    }
    let name = db.file_name().map(|n| n.to_string_lossy().into_owned());
    for suffix in ["", "-wal", "-shm", "-journal"] {
        if let Some(n) = &name {
            set(&db.with_file_name(format!("{n}{suffix}")), 0o600);
        }
    }
}

pub fn create_dir_durably(dir: &Path) -> Result<(), RecordsError> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut missing = Vec::new();
    let mut p = dir;
    while !p.exists() {
        missing.push(p.to_path_buf());
        match p.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => p = parent,
            _ => break,
        }
    }
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| RecordsError::io(dir, e))?;
    for d in missing.iter().rev() {
        if let Some(parent) = d.parent().filter(|p| !p.as_os_str().is_empty()) {
            sync_dir(parent)?;
        }
    }
    Ok(())
}

/// fsyncs a folder so the names created or removed in it are on disk.
pub fn sync_dir(dir: &Path) -> Result<(), RecordsError> {
    File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(|e| RecordsError::io(dir, e))
}

/// Writes `bytes` as `data_dir/rel` durably and returns the relative path
/// actually used (a suffix is added rather than overwrite an existing file).
pub fn write_new(data_dir: &Path, rel: &str, bytes: &[u8]) -> Result<String, RecordsError> {
    let target = data_dir.join(rel);
    let dir = target
        .parent()
        .ok_or_else(|| RecordsError::Invalid(format!("bad image path {rel}")))?;
    create_dir_durably(dir)?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        "{TEMP_PREFIX}{name}-{}-{}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = write_temp(&tmp, bytes).and_then(|()| link_into_place(&tmp, rel, data_dir));
    // The temp name goes in every case (after a link it is a second name).
    let _ = std::fs::remove_file(&tmp);
    let rel = result?;
    if let Err(e) = sync_dir(dir) {
        let _ = std::fs::remove_file(data_dir.join(&rel));
        return Err(e);
    }
    Ok(rel)
}

/// Writes a new private (0600) file and fsyncs it; an existing file is an error.
pub(super) fn write_temp(tmp: &Path, bytes: &[u8]) -> Result<(), RecordsError> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(tmp)
        .map_err(|e| RecordsError::io(tmp, e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| RecordsError::io(tmp, e))
}

/// Gives the temp file its final name without ever replacing a file: a hard
/// link fails when the name is taken (then a suffix is tried). File systems
/// without hard links get a rename after an existence check.
fn link_into_place(tmp: &Path, rel: &str, data_dir: &Path) -> Result<String, RecordsError> {
    let (stem, ext) = rel.rsplit_once('.').unwrap_or((rel, ""));
    for n in 0..100 {
        let candidate = match n {
            0 => rel.to_string(),
            n => format!("{stem}-{}.{ext}", n + 1),
        };
        let target = data_dir.join(&candidate);
        match std::fs::hard_link(tmp, &target) {
            Ok(()) => return Ok(candidate),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) if matches!(e.raw_os_error(), Some(1 | 95)) && !target.exists() => {
                // EPERM / EOPNOTSUPP: no hard links here.
                std::fs::rename(tmp, &target).map_err(|e| RecordsError::io(&target, e))?;
                return Ok(candidate);
            }
            Err(e) => return Err(RecordsError::io(&target, e)),
        }
    }
    Err(RecordsError::Invalid(format!(
        "too many images named {rel}"
    )))
}

/// Removes an image file (after a failed insert or a purge) and fsyncs its
/// folder. Its bytes are overwritten with zeros first (on flash storage the
/// drive may still keep old copies of blocks: see the README's security part).
pub fn remove(data_dir: &Path, rel: &str) -> Result<u64, RecordsError> {
    let path = data_dir.join(rel);
    let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    if let Err(e) = overwrite_with_zeros(&path, len) {
        log::warn!(
            "cannot overwrite {} before removing it: {e}",
            path.display()
        );
    }
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(RecordsError::io(&path, e)),
    }
    if let Some(dir) = path.parent() {
        sync_dir(dir)?;
    }
    Ok(len)
}

fn overwrite_with_zeros(path: &Path, len: u64) -> std::io::Result<()> {
    if len == 0 {
        return Ok(());
    }
    let mut f = OpenOptions::new().write(true).open(path)?;
    let zeros = vec![0u8; 64 * 1024];
    let mut left = len;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        f.write_all(&zeros[..n])?;
        left -= n as u64;
    }
    f.sync_all()
}

/// What [`clean_leftovers`] removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Cleaned {
    pub temp_files: usize,
    pub orphans: usize,
}

/// Removes the temp files and the images no record refers to (both left by a
/// crash between writing and committing) that are older than `stale`.
pub fn clean_leftovers(
    data_dir: &Path,
    is_recorded: &dyn Fn(&str) -> bool,
    stale: Duration,
) -> Cleaned {
    let mut cleaned = Cleaned::default();
    let now = SystemTime::now();
    let mut stack = vec![PathBuf::from(IMAGES_DIR)];
    while let Some(rel_dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(data_dir.join(&rel_dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let rel = rel_dir.join(entry.file_name());
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(rel);
                continue;
            }
            let age = meta
                .modified()
                .ok()
                .and_then(|m| now.duration_since(m).ok())
                .unwrap_or_default();
            let rel_text = rel.to_string_lossy();
            let is_temp = entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX);
            if age < stale || (!is_temp && is_recorded(&rel_text)) {
                continue;
            }
            match std::fs::remove_file(entry.path()) {
                Ok(()) if is_temp => cleaned.temp_files += 1,
                Ok(()) => cleaned.orphans += 1,
                Err(e) => log::warn!("cannot remove leftover {}: {e}", entry.path().display()),
            }
        }
    }
    if cleaned != Cleaned::default() {
        log::warn!(
            "removed {} unfinished temp files and {} images without a record",
            cleaned.temp_files,
            cleaned.orphans
        );
    }
    cleaned
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn names_carry_day_time_visit_and_hash() {
        let at = DateTime::parse_from_rfc3339("2026-03-04T05:06:07.123456+02:00")
            .unwrap()
            .with_timezone(&Local);
        let rel = relative_path(&at, 17, &"ab".repeat(32), "jpg");
        let local = at.format("%Y/%m/%d").to_string();
        assert!(rel.starts_with(&format!("images/{local}/")), "{rel}");
        assert!(rel.ends_with("-v17-abababababab.jpg"), "{rel}");
    }

    /// Noise beside smooth gradients, at an odd size.
    fn test_frame() -> crate::frame::RgbFrame {
        let (w, h) = (123usize, 77usize);
        let mut seed = 12345u32;
        let data = (0..w * h * 3)
            .map(|i| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                match i % 3 {
                    0 => (seed >> 16) as u8,
                    1 => ((i / 3) % w * 2) as u8,
                    _ => ((i / 3 / w) * 3) as u8,
                }
            })
            .collect();
        crate::frame::RgbFrame::new(w, h, data).unwrap()
    }

    #[test]
    fn lossless_stills_decode_back_to_the_same_pixels() {
        let frame = test_frame();
        let limits = crate::decode::Limits::default();
        for way in Lossless::ALL {
            let bytes = way.encode(&frame).unwrap();
            let (_, back) = crate::decode::decode(&bytes, &limits).unwrap();
            assert!(back == frame, "{way:?} is not lossless");
        }
        let (bytes, ext) = encode_lossless(&frame).unwrap();
        assert_eq!(ext, "webp");
        assert_eq!(
            crate::decode::sniff(&bytes),
            Some(crate::decode::ImageFormat::Webp)
        );
        // A frame handed to the register is saved the same way.
        let image = ImageData::Frame(std::sync::Arc::new(frame));
        let (saved, ext) = encode(&image).unwrap();
        assert_eq!((saved.as_ref(), ext.as_str()), (bytes.as_slice(), "webp"));
    }

    #[test]
    fn extensions_are_checked() {
        assert_eq!(clean_ext(".JPG").as_deref(), Some("jpg"));
        assert_eq!(clean_ext("../x"), None);
        assert_eq!(clean_ext(""), None);
    }

    #[test]
    fn a_file_is_never_overwritten_and_is_private() {
        let d = tempfile::tempdir().unwrap();
        let a = write_new(d.path(), "images/2026/01/01/x.jpg", b"first").unwrap();
        let b = write_new(d.path(), "images/2026/01/01/x.jpg", b"second").unwrap();
        assert_eq!(a, "images/2026/01/01/x.jpg");
        assert_eq!(b, "images/2026/01/01/x-2.jpg");
        assert_eq!(std::fs::read(d.path().join(&a)).unwrap(), b"first");
        assert_eq!(std::fs::read(d.path().join(&b)).unwrap(), b"second");
        let mode = std::fs::metadata(d.path().join(&a))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir_mode = std::fs::metadata(d.path().join("images/2026"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o777, 0o700);
        // No temp file is left behind.
        let names: Vec<_> = std::fs::read_dir(d.path().join("images/2026/01/01"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn leftovers_are_cleaned_only_when_stale_and_unrecorded() {
        let d = tempfile::tempdir().unwrap();
        let kept = write_new(d.path(), "images/2026/01/01/kept.jpg", b"k").unwrap();
        let orphan = write_new(d.path(), "images/2026/01/01/orphan.jpg", b"o").unwrap();
        let tmp = d.path().join("images/2026/01/01/.tmp-x.jpg-1-1");
        std::fs::write(&tmp, b"t").unwrap();
        let recorded = |r: &str| r == kept;
        // Fresh files may belong to a save in progress: untouched.
        let none = clean_leftovers(d.path(), &recorded, STALE_AFTER);
        assert_eq!(none, Cleaned::default());
        let all = clean_leftovers(d.path(), &recorded, Duration::ZERO);
        assert_eq!(
            all,
            Cleaned {
                temp_files: 1,
                orphans: 1
            }
        );
        assert!(d.path().join(&kept).exists());
        assert!(!d.path().join(&orphan).exists());
        assert!(!tmp.exists());
    }
}
