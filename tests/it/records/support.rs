//! Fixtures for the register and export tests: a real `Analysis` from the
//! real binary, real sample images from ../shared, stores in temp folders,
//! and small tmpfs mounts (full or read-only disks) unmounted on drop.
#![allow(dead_code)]

use onemed::analysis::Analysis;
use onemed::records::{ImageData, NewRecord, NewVisit, Sex, Shown, Store, VisitId};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// A sample image's path in ../shared (never copied into the repository).
pub fn sample(rel: &str) -> PathBuf {
    crate::common::datasets_dir().join(rel)
}

/// The skin-lesion sample every record test saves (65 kB JPEG).
pub fn skin_jpeg() -> PathBuf {
    sample("skin-lesion/benign/25.jpg")
}

/// A real analysis of the skin sample, made once by `onemed analyze --json`.
pub fn analysis() -> Analysis {
    static A: OnceLock<Analysis> = OnceLock::new();
    A.get_or_init(|| {
        let img = skin_jpeg();
        let out = crate::common::onemed(&[
            "analyze",
            "--json",
            "--tool",
            "skin-lesion",
            img.to_str().unwrap(),
        ]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "onemed analyze failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_str(text.lines().next().expect("one JSON line")).expect("an Analysis")
    })
    .clone()
}

/// A decision to finish a visit with: every part screened, none refers.
pub fn no_referral() -> onemed::screening::VisitDecision {
    onemed::screening::VisitDecision {
        decision: onemed::screening::Decision::NoReferral,
        refer: vec![],
        not_screened: vec![],
        not_assessed: vec![],
    }
}

/// "Not fully screened": the left eye refused for cataract, and these parts
/// not assessed.
pub fn incomplete(not_assessed: Vec<onemed::screening::Part>) -> onemed::screening::VisitDecision {
    onemed::screening::VisitDecision {
        decision: onemed::screening::Decision::ReferIncomplete,
        refer: vec![],
        not_screened: vec![onemed::screening::NotScreened {
            tool: "cataract".into(),
            eye: Some(onemed::records::Eye::Left),
            reason: Some("Patient refused".into()),
        }],
        not_assessed,
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn file_sha(path: &Path) -> String {
    sha256_hex(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

pub fn new_visit(patient: &str) -> NewVisit {
    NewVisit {
        kiosk_id: "camp-kiosk-1".into(),
        operator: "nurse-amina".into(),
        patient_id: patient.into(),
        age: Some(54),
        sex: Some(Sex::Female),
        language: onemed::i18n::Lang::En,
    }
}

/// An imported JPEG record for `visit`.
pub fn jpeg_record(visit: VisitId, bytes: Vec<u8>) -> NewRecord {
    let a = analysis();
    NewRecord {
        visit,
        eye: None,
        source: "import:25.jpg".into(),
        image: ImageData::Encoded {
            bytes,
            ext: "jpg".into(),
        },
        shown: Shown {
            kind: onemed::screening::ResultKind::Clear,
            headline: a.headline.clone(),
            advice: a.advice.clone(),
        },
        analysis: a,
    }
}

/// A store with `visits` visits of `per_visit` JPEG records each.
pub fn filled_store(data: &Path, visits: usize, per_visit: usize) -> Store {
    filled_store_as(data, visits, per_visit, &crate::common::protection(), "P-")
}

/// As [`filled_store`], with this protection and patient IDs `<prefix>000`….
pub fn filled_store_as(
    data: &Path,
    visits: usize,
    per_visit: usize,
    protection: &onemed::records::Protection,
    prefix: &str,
) -> Store {
    let bytes = std::fs::read(skin_jpeg()).unwrap();
    let mut store = Store::open(data, protection).unwrap();
    for v in 0..visits {
        let id = store
            .start_visit(&new_visit(&format!("{prefix}{v:03}")))
            .unwrap();
        for _ in 0..per_visit {
            store.save(&jpeg_record(id, bytes.clone())).unwrap();
        }
    }
    store
}

pub use crate::common::files_under;

/// A small tmpfs mounted on a temp folder; unmounted (lazily) on drop.
pub struct Tmpfs {
    dir: tempfile::TempDir,
}

fn sh(cmd: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .map_err(|e| format!("{cmd}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (e.g. "4m"); fails the test, saying it needs
    /// root, when mounting is not allowed.
    pub fn mount(size: &str) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().to_str().unwrap().to_string();
        if let Err(e) = sh(
            "mount",
            &[
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
                &p,
            ],
        ) {
            panic!("this test needs root to mount a small tmpfs (disk full / read-only): {e}");
        }
        Tmpfs { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn remount(&self, mode: &str) {
        let p = self.path().to_str().unwrap();
        sh("mount", &["-o", &format!("remount,{mode}"), p]).unwrap();
    }

    /// Fills the file system with one file; returns its path.
    pub fn fill(&self) -> PathBuf {
        use std::io::Write;
        let path = self.path().join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        for chunk in [65536usize, 4096, 1] {
            let buf = vec![0x5au8; chunk];
            while f.write_all(&buf).is_ok() {}
        }
        let _ = f.sync_all();
        path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let p = self.path().to_str().unwrap_or_default().to_string();
        if let Err(e) = sh("umount", &["-l", &p]) {
            eprintln!("cannot unmount {p}: {e}");
        }
    }
}
