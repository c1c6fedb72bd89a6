//! Where an export's files go: a tar stream encrypted with `age` to the
//! programme's recipients (one file), or — only when the settings allow it —
//! a plain folder. Both are written under a temp name and fsynced; the
//! caller renames the finished one into place.

use super::{io_err, ExportError};
use crate::settings::Settings;
use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

/// How an export is written.
pub enum Sealing {
    /// One `.tar.age` file that only the recipients' identities open.
    Age(Vec<age::x25519::Recipient>),
    /// A plain folder: only with `plain_export = true` and no recipient set.
    Plain,
}

impl std::fmt::Debug for Sealing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Sealing::Age(r) => write!(f, "Sealing::Age({} recipients)", r.len()),
            Sealing::Plain => f.write_str("Sealing::Plain"),
        }
    }
}

impl Sealing {
    /// From the settings: the recipients when any are set; else plain only
    /// when `plain_export = true`; else [`ExportError::NoRecipients`].
    pub fn from_settings(s: &Settings) -> Result<Sealing, ExportError> {
        Sealing::new(&s.export_recipients, s.plain_export)
    }

    pub fn new(recipients: &[String], allow_plain: bool) -> Result<Sealing, ExportError> {
        if !recipients.is_empty() {
            return crate::settings::recipients::parse(recipients)
                .map(Sealing::Age)
                .map_err(|e| ExportError::BadRecipient(e.0));
        }
        if allow_plain {
            Ok(Sealing::Plain)
        } else {
            Err(ExportError::NoRecipients)
        }
    }

    /// The finished export's name ending.
    pub fn suffix(&self) -> &'static str {
        match self {
            Sealing::Age(_) => ".tar.age",
            Sealing::Plain => "",
        }
    }

    pub fn recipients(&self) -> usize {
        match self {
            Sealing::Age(r) => r.len(),
            Sealing::Plain => 0,
        }
    }
}

type AgeTar = tar::Builder<age::stream::StreamWriter<BufWriter<File>>>;

/// An export being written.
pub enum Sink {
    /// Entries of `<base>/…` in a tar, encrypted as they are written.
    Age {
        tar: AgeTar,
        base: String,
        tmp: PathBuf,
        mtime: u64,
        /// Tar bytes so far, and the most the stick's file system holds in
        /// one file (FAT32), when it has a limit.
        written: u64,
        limit: Option<u64>,
    },
    /// Files under the temp folder; `dirs` are fsynced at the end.
    Folder { root: PathBuf, dirs: Vec<PathBuf> },
}

impl Sink {
    /// Starts an export at the temp path `tmp`; `base` is the folder name
    /// inside the tar (the name the plain folder gets). `limit`: the largest
    /// file the destination holds ([`crate::sticks::fat_limit`]).
    pub fn create(
        sealing: &Sealing,
        tmp: &Path,
        base: &str,
        limit: Option<u64>,
    ) -> Result<Sink, ExportError> {
        match sealing {
            Sealing::Age(recipients) => {
                let file = create(tmp)?;
                let encryptor = age::Encryptor::with_recipients(
                    recipients.iter().map(|r| r as &dyn age::Recipient),
                )
                .map_err(|e| ExportError::Encrypt(e.to_string()))?;
                let stream = encryptor
                    .wrap_output(BufWriter::with_capacity(256 * 1024, file))
                    .map_err(|e| io_err(tmp, e))?;
                let mut tar = tar::Builder::new(stream);
                tar.mode(tar::HeaderMode::Deterministic);
                let mtime = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                Ok(Sink::Age {
                    tar,
                    base: base.to_string(),
                    tmp: tmp.to_path_buf(),
                    mtime,
                    written: 0,
                    limit,
                })
            }
            Sealing::Plain => {
                make_dir(tmp)?;
                Ok(Sink::Folder {
                    root: tmp.to_path_buf(),
                    dirs: vec![tmp.to_path_buf()],
                })
            }
        }
    }

    /// Adds one file at `rel` (a relative path of normal components).
    pub fn file(&mut self, rel: &str, bytes: &[u8]) -> Result<u64, ExportError> {
        match self {
            Sink::Age {
                tar,
                base,
                tmp,
                mtime,
                written,
                limit,
            } => {
                // A header block and the data padded to 512 bytes; the end of
                // the tar (two blocks) and age's framing (16 bytes per 64 KiB
                // chunk, a header of a few hundred) are the margin.
                *written += 512 + (bytes.len() as u64).div_ceil(512) * 512;
                if let Some(limit) = *limit {
                    if *written + *written / 4000 + (1 << 20) > limit {
                        return Err(ExportError::TooLargeForStick { limit });
                    }
                }
                let mut h = tar::Header::new_gnu();
                h.set_size(bytes.len() as u64);
                h.set_mode(0o600);
                h.set_mtime(*mtime);
                h.set_entry_type(tar::EntryType::Regular);
                tar.append_data(&mut h, format!("{base}/{rel}"), bytes)
                    .map_err(|e| io_err(tmp, e))?;
            }
            Sink::Folder { root, dirs } => {
                let dst = root.join(rel);
                if let Some(parent) = dst.parent() {
                    if !parent.is_dir() {
                        make_dir(parent)?;
                        let mut p = parent;
                        while p != root.as_path() {
                            dirs.push(p.to_path_buf());
                            p = p.parent().unwrap_or(root);
                        }
                    }
                }
                let mut f = create(&dst)?;
                f.write_all(bytes)
                    .and_then(|()| f.sync_all())
                    .map_err(|e| io_err(&dst, e))?;
            }
        }
        Ok(bytes.len() as u64)
    }

    /// Ends the tar and the encryption and fsyncs the file, or fsyncs the
    /// folders deepest first.
    pub fn finish(self) -> Result<(), ExportError> {
        match self {
            Sink::Age { tar, tmp, .. } => {
                let stream = tar.into_inner().map_err(|e| io_err(&tmp, e))?;
                let buffered = stream.finish().map_err(|e| io_err(&tmp, e))?;
                let file = buffered
                    .into_inner()
                    .map_err(|e| io_err(&tmp, e.into_error()))?;
                file.sync_all().map_err(|e| io_err(&tmp, e))
            }
            Sink::Folder { mut dirs, .. } => {
                dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
                dirs.dedup();
                for d in &dirs {
                    super::sync_dir(d)?;
                }
                Ok(())
            }
        }
    }
}

fn make_dir(d: &Path) -> Result<(), ExportError> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(d)
        .map_err(|e| io_err(d, e))
}

fn create(path: &Path) -> Result<File, ExportError> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| io_err(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn no_recipient_and_no_permission_refuses() {
        assert!(matches!(
            Sealing::new(&[], false),
            Err(ExportError::NoRecipients)
        ));
        assert!(matches!(Sealing::new(&[], true), Ok(Sealing::Plain)));
        assert!(matches!(
            Sealing::new(&["age1nope".into()], true),
            Err(ExportError::BadRecipient(_))
        ));
        let id = age::x25519::Identity::generate();
        let s = Sealing::new(&[id.to_public().to_string()], true).unwrap();
        assert_eq!(s.recipients(), 1);
        assert!(crate::settings::recipients::check(&["ssh-rsa AAAA".into()]).is_err());
    }

    #[test]
    fn an_age_sink_opens_only_with_the_identity() {
        let d = tempfile::tempdir().unwrap();
        let id = age::x25519::Identity::generate();
        let sealing = Sealing::new(&[id.to_public().to_string()], false).unwrap();
        let tmp = d.path().join("x.tmp");
        let mut sink = Sink::create(&sealing, &tmp, "onemed-k-1", None).unwrap();
        sink.file("visits.csv", b"patient_id\nPATIENT-77\n")
            .unwrap();
        sink.finish().unwrap();
        let bytes = std::fs::read(&tmp).unwrap();
        assert!(!bytes.windows(10).any(|w| w == b"PATIENT-77"));
        let dec = age::Decryptor::new(&bytes[..]).unwrap();
        let mut plain = Vec::new();
        dec.decrypt(std::iter::once(&id as &dyn age::Identity))
            .unwrap()
            .read_to_end(&mut plain)
            .unwrap();
        let mut ar = tar::Archive::new(&plain[..]);
        let mut e = ar.entries().unwrap().next().unwrap().unwrap();
        assert_eq!(e.path().unwrap().to_str(), Some("onemed-k-1/visits.csv"));
        let mut text = String::new();
        e.read_to_string(&mut text).unwrap();
        assert!(text.contains("PATIENT-77"));
        let other = age::x25519::Identity::generate();
        let dec = age::Decryptor::new(&bytes[..]).unwrap();
        assert!(dec
            .decrypt(std::iter::once(&other as &dyn age::Identity))
            .is_err());
    }

    #[test]
    fn an_export_past_the_sticks_file_limit_is_refused_before_it_is_written() {
        let d = tempfile::tempdir().unwrap();
        let id = age::x25519::Identity::generate();
        let sealing = Sealing::new(&[id.to_public().to_string()], false).unwrap();
        let tmp = d.path().join("x.tmp");
        // A 3 MB "stick": 1.5 MB fits, a second 1.5 MB does not.
        let mut sink = Sink::create(&sealing, &tmp, "onemed-k-1", Some(3 << 20)).unwrap();
        let image = vec![7u8; 3 << 19];
        sink.file("a.jpg", &image).unwrap();
        assert!(matches!(
            sink.file("b.jpg", &image),
            Err(ExportError::TooLargeForStick { limit }) if limit == 3 << 20
        ));
    }
}
