//! The compiled-model cache, guarded so that it can only ever run the pinned
//! weights.
//!
//! OpenVINO names a cached blob after a hash of the model it was compiled
//! from, but does not check the blob's contents when it loads it: a blob
//! swapped in the cache folder runs other weights under the genuine model's
//! name (tried: the cataract blob copied over the skin blob made a benign skin
//! photo come back with the cataract model's outputs). So here:
//!
//! - each model's blobs live in a folder of their own, named after the pinned
//!   model's sha256 (`<cache_dir>/<sha256>/`), so no other model's blob is ever
//!   looked up there;
//! - after a compile, the sha256 of each file OpenVINO wrote into that folder is
//!   recorded in `SHA256SUMS` beside it (`sha256sum -c` reads it);
//! - before a load, every file in the folder must be listed there with the same
//!   sha256; any other file is deleted first, so OpenVINO compiles afresh from
//!   the verified model instead of loading it.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file recording each cached blob's sha256.
pub const LEDGER: &str = "SHA256SUMS";

/// The cache folder could not be checked or recorded.
#[derive(Debug, thiserror::Error)]
#[error("model cache {path}: {source}")]
pub struct CacheError {
    path: PathBuf,
    source: std::io::Error,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CacheError + '_ {
    move |source| CacheError {
        path: path.to_path_buf(),
        source,
    }
}

/// One model's folder in the compiled-model cache.
#[derive(Debug, Clone)]
pub struct ModelCache {
    dir: PathBuf,
}

/// sha256 of a file's contents, as lower-case hex.
fn file_sha256(path: &Path) -> Result<String, CacheError> {
    let mut f = std::fs::File::open(path).map_err(io(path))?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).map_err(io(path))?;
    Ok(crate::preprocess::hex(&h.finalize()))
}

impl ModelCache {
    /// The folder for the model whose pinned bytes hash to `model_sha256`.
    pub fn for_model(root: &Path, model_sha256: &str) -> ModelCache {
        ModelCache {
            dir: root.join(model_sha256),
        }
    }

    /// The folder OpenVINO is pointed at for this model.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn ledger_path(&self) -> PathBuf {
        self.dir.join(LEDGER)
    }

    /// File name → sha256, as recorded (a missing ledger records nothing).
    fn ledger(&self) -> BTreeMap<String, String> {
        let text = std::fs::read_to_string(self.ledger_path()).unwrap_or_default();
        text.lines()
            .filter_map(|l| {
                let (hash, name) = l.split_once("  ")?;
                let ok = hash.len() == 64 && !name.is_empty() && !name.contains('/');
                ok.then(|| (name.to_string(), hash.to_string()))
            })
            .collect()
    }

    /// Writes the ledger atomically (a temporary file renamed over it).
    fn write_ledger(&self, entries: &BTreeMap<String, String>) -> Result<(), CacheError> {
        let path = self.ledger_path();
        let mut tmp = tempfile::Builder::new()
            .prefix(".SHA256SUMS.")
            .tempfile_in(&self.dir)
            .map_err(io(&path))?;
        for (name, hash) in entries {
            writeln!(tmp, "{hash}  {name}").map_err(io(&path))?;
        }
        tmp.as_file().sync_all().map_err(io(&path))?;
        tmp.persist(&path).map_err(|e| io(&path)(e.error))?;
        Ok(())
    }

    /// The files in the folder other than the ledger (and its temporary files).
    fn entries(&self) -> Result<Vec<(String, PathBuf)>, CacheError> {
        let mut v = Vec::new();
        for e in std::fs::read_dir(&self.dir).map_err(io(&self.dir))? {
            let e = e.map_err(io(&self.dir))?;
            let name = e.file_name().to_string_lossy().into_owned();
            if name == LEDGER || name.starts_with(".SHA256SUMS.") {
                continue;
            }
            v.push((name, e.path()));
        }
        Ok(v)
    }

    /// Before a load: deletes every file the ledger does not vouch for (not
    /// listed, or with other contents, or not a plain file). Returns the
    /// names deleted. An error means the folder must not be used.
    pub fn vet(&self) -> Result<Vec<String>, CacheError> {
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let ledger = self.ledger();
        let mut kept = BTreeMap::new();
        let mut removed = Vec::new();
        for (name, path) in self.entries()? {
            let meta = std::fs::symlink_metadata(&path).map_err(io(&path))?;
            if meta.is_file() {
                let hash = file_sha256(&path)?;
                if ledger.get(&name) == Some(&hash) {
                    kept.insert(name, hash);
                    continue;
                }
                std::fs::remove_file(&path).map_err(io(&path))?;
            } else if meta.is_dir() {
                std::fs::remove_dir_all(&path).map_err(io(&path))?;
            } else {
                std::fs::remove_file(&path).map_err(io(&path))?;
            }
            removed.push(name);
        }
        if kept != ledger {
            self.write_ledger(&kept)?;
        }
        Ok(removed)
    }

    /// After a compile: records the sha256 of each plain file OpenVINO added.
    pub fn seal(&self) -> Result<(), CacheError> {
        let mut ledger = self.ledger();
        let before = ledger.len();
        for (name, path) in self.entries()? {
            let plain = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file());
            if plain && !ledger.contains_key(&name) {
                let hash = file_sha256(&path)?;
                ledger.insert(name, hash);
            }
        }
        if ledger.len() != before {
            self.write_ledger(&ledger)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> (tempfile::TempDir, ModelCache) {
        let root = tempfile::tempdir().unwrap();
        let c = ModelCache::for_model(root.path(), &"ab".repeat(32));
        std::fs::create_dir_all(c.dir()).unwrap();
        (root, c)
    }

    #[test]
    fn a_sealed_blob_is_kept_and_a_swapped_one_is_deleted() {
        let (_root, c) = cache();
        let blob = c.dir().join("123.blob");
        std::fs::write(&blob, b"genuine").unwrap();
        c.seal().unwrap();
        assert!(c.vet().unwrap().is_empty());
        assert!(blob.is_file());
        let ledger = std::fs::read_to_string(c.dir().join(LEDGER)).unwrap();
        assert_eq!(
            ledger,
            format!("{}  123.blob\n", file_sha256(&blob).unwrap())
        );

        std::fs::write(&blob, b"other weights").unwrap();
        assert_eq!(c.vet().unwrap(), ["123.blob"]);
        assert!(!blob.exists());
        // The ledger forgets it, so a recompiled blob is recorded afresh.
        std::fs::write(&blob, b"recompiled").unwrap();
        c.seal().unwrap();
        assert!(c.vet().unwrap().is_empty());
        assert_eq!(std::fs::read(&blob).unwrap(), b"recompiled");
    }

    #[test]
    fn unlisted_files_links_and_folders_are_deleted() {
        let (_root, c) = cache();
        std::fs::write(c.dir().join("planted.blob"), b"x").unwrap();
        std::os::unix::fs::symlink("/etc/hostname", c.dir().join("link.blob")).unwrap();
        std::fs::create_dir(c.dir().join("sub")).unwrap();
        let mut removed = c.vet().unwrap();
        removed.sort();
        assert_eq!(removed, ["link.blob", "planted.blob", "sub"]);
        assert_eq!(c.entries().unwrap().len(), 0);
    }

    #[test]
    fn a_forged_ledger_line_for_another_name_does_not_vouch() {
        let (_root, c) = cache();
        std::fs::write(c.dir().join("a.blob"), b"genuine").unwrap();
        c.seal().unwrap();
        // The same contents under another name are not what was recorded.
        std::fs::copy(c.dir().join("a.blob"), c.dir().join("b.blob")).unwrap();
        assert_eq!(c.vet().unwrap(), ["b.blob"]);
    }
}
