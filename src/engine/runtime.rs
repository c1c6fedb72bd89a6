//! Finding and loading the OpenVINO C runtime (`libopenvino_c.so`) at run time.
//!
//! Search order: the configured path (file or folder), `OPENVINO_INSTALL_DIR`,
//! the installed runtime (`/opt/onemed/openvino`), the project's `.venv` (the
//! `openvino` PyPI wheel, which ships only a versioned `libopenvino_c.so.<ver>`),
//! then the `openvino` crate's own finder. When none is found the error says
//! exactly what to install.

use std::path::{Path, PathBuf};

/// Where an installed kiosk keeps its runtime (`make install`).
pub const INSTALLED_RUNTIME: &str = "/opt/onemed/openvino";

/// The runtime could not be found or loaded.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum RuntimeError {
    #[error(
        "OpenVINO runtime not found (looked in: {searched}). Install it with `make venv` \
         (pip install openvino==2026.4.1 into .venv) or set OPENVINO_INSTALL_DIR to the folder \
         holding libopenvino_c.so"
    )]
    NotFound { searched: String },
    #[error("the OpenVINO runtime at {path} could not be loaded: {reason}")]
    Load { path: PathBuf, reason: String },
}

/// The C library inside a folder: `libopenvino_c.so`, else a versioned one.
fn lib_in(dir: &Path) -> Option<PathBuf> {
    let plain = dir.join("libopenvino_c.so");
    if plain.is_file() {
        return Some(plain);
    }
    let mut versioned: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("libopenvino_c.so."))
        })
        .collect();
    versioned.sort();
    versioned.pop()
}

/// The library under an install prefix, a wheel's `openvino/` folder or a venv.
fn lib_under(root: &Path) -> Option<PathBuf> {
    if root.is_file() {
        return Some(root.to_path_buf());
    }
    let direct = [
        root.to_path_buf(),
        root.join("libs"),
        root.join("openvino/libs"),
        root.join("runtime/lib/intel64"),
        root.join("lib"),
    ];
    if let Some(found) = direct.iter().find_map(|d| lib_in(d)) {
        return Some(found);
    }
    // A virtualenv: lib/python3.*/site-packages/openvino/libs
    let lib = root.join("lib");
    let mut pys: Vec<PathBuf> = std::fs::read_dir(&lib)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("python3"))
        })
        .collect();
    pys.sort();
    pys.iter()
        .rev()
        .find_map(|p| lib_in(&p.join("site-packages/openvino/libs")))
}

/// Candidate roots, in search order.
fn candidates(configured: Option<&Path>) -> Vec<PathBuf> {
    let mut c = Vec::new();
    if let Some(p) = configured {
        c.push(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("OPENVINO_INSTALL_DIR") {
        c.push(PathBuf::from(p));
    }
    c.push(PathBuf::from(INSTALLED_RUNTIME));
    c.push(PathBuf::from(".venv"));
    if let Ok(exe) = std::env::current_exe() {
        // target/<profile>/onemed → the checkout's .venv
        for anc in exe.ancestors().skip(1).take(4) {
            c.push(anc.join(".venv"));
        }
    }
    c.push(Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv"));
    c
}

/// Finds the C library without loading it.
pub fn locate(configured: Option<&Path>) -> Result<PathBuf, RuntimeError> {
    let cands = candidates(configured);
    // A configured path that does not hold the library is an error, not a fallback.
    if let Some(p) = configured {
        return lib_under(p).ok_or_else(|| RuntimeError::NotFound {
            searched: p.display().to_string(),
        });
    }
    cands
        .iter()
        .find_map(|root| lib_under(root))
        .or_else(openvino_sys::library::find)
        .ok_or_else(|| RuntimeError::NotFound {
            searched: cands
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// Locates and loads the runtime (once per process); returns its path.
pub fn load(configured: Option<&Path>) -> Result<PathBuf, RuntimeError> {
    let path = locate(configured)?;
    openvino_sys::library::load_from(path.clone()).map_err(|reason| RuntimeError::Load {
        path: path.clone(),
        reason,
    })?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_versioned_library_in_a_wheel_layout() {
        let d = tempfile::tempdir().unwrap();
        let libs = d.path().join("lib/python3.11/site-packages/openvino/libs");
        std::fs::create_dir_all(&libs).unwrap();
        std::fs::write(libs.join("libopenvino_c.so.2641"), b"").unwrap();
        assert_eq!(
            lib_under(d.path()),
            Some(libs.join("libopenvino_c.so.2641"))
        );
    }

    #[test]
    fn configured_folder_without_library_says_what_to_install() {
        let d = tempfile::tempdir().unwrap();
        let e = locate(Some(d.path())).unwrap_err().to_string();
        assert!(
            e.contains("make venv") && e.contains("OPENVINO_INSTALL_DIR"),
            "{e}"
        );
    }
}
