//! Reading a DICOMDIR: where one is ([`dicomdirs`]) and the image files its
//! records reference ([`dicomdir_files`]), found even when a CD copy changed
//! their names' case or added an ISO 9660 version.

use crate::decode::dicom;
use crate::decode::{read_file, DecodeError};
use crate::import::natural_cmp;
use dicom_core::value::Value;
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The DICOMDIRs to read: the one in `root`, else those of its immediate
/// (non-hidden) subfolders.
pub(super) fn dicomdirs(root: &Path) -> Vec<PathBuf> {
    let find = |dir: &Path| -> Option<PathBuf> {
        let mut names = entries(dir).ok()?;
        names.sort_by(|a, b| natural_cmp(&a.0, &b.0));
        names
            .into_iter()
            .find(|(n, p)| n.eq_ignore_ascii_case("DICOMDIR") && p.is_file())
            .map(|(_, p)| p)
    };
    if let Some(d) = find(root) {
        return vec![d];
    }
    let mut subdirs: Vec<(String, PathBuf)> = entries(root)
        .unwrap_or_default()
        .into_iter()
        .filter(|(n, p)| !n.starts_with('.') && p.is_dir())
        .collect();
    subdirs.sort_by(|a, b| natural_cmp(&a.0, &b.0));
    subdirs.iter().filter_map(|(_, p)| find(p)).collect()
}

/// A folder's entries (name, path).
pub(super) fn entries(dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        out.push((e.file_name().to_string_lossy().into_owned(), e.path()));
    }
    Ok(out)
}

/// The image files a DICOMDIR lists.
#[derive(Debug, Default)]
pub(super) struct Listed {
    pub(super) files: Vec<PathBuf>,
    /// Records whose file is not there (or whose ReferencedFileID is not a
    /// plain relative path).
    pub(super) missing: usize,
}

pub(super) fn dicomdir_files(path: &Path) -> Result<Listed, DecodeError> {
    let bytes = read_file(path)?;
    let obj = dicom::read_object(&bytes)?;
    let base = path.parent().unwrap_or(Path::new("."));
    let records = match obj
        .element_opt(tags::DIRECTORY_RECORD_SEQUENCE)
        .ok()
        .flatten()
        .map(|e| e.value())
    {
        Some(Value::Sequence(seq)) => seq.items(),
        _ => &[],
    };
    let mut listed = Listed::default();
    let mut resolver = Resolver::default();
    let mut seen = HashSet::new();
    for record in records {
        if text(record, tags::DIRECTORY_RECORD_TYPE).as_deref() != Some("IMAGE") {
            continue;
        }
        let Some(components) = file_id(record) else {
            log::warn!("{}: an IMAGE record names no file", path.display());
            listed.missing += 1;
            continue;
        };
        match resolver.resolve(base, &components) {
            Some(file) => {
                if seen.insert(file.clone()) {
                    listed.files.push(file);
                }
            }
            None => {
                log::warn!(
                    "{}: listed file {} is missing",
                    path.display(),
                    components.join("\\")
                );
                listed.missing += 1;
            }
        }
    }
    Ok(listed)
}

fn text(obj: &InMemDicomObject, tag: dicom_object::Tag) -> Option<String> {
    let e = obj.element_opt(tag).ok().flatten()?;
    Some(e.to_str().ok()?.trim_matches([' ', '\0']).to_string())
}

/// ReferencedFileID's components, when each is a plain file or folder name.
fn file_id(record: &InMemDicomObject) -> Option<Vec<String>> {
    let e = record
        .element_opt(tags::REFERENCED_FILE_ID)
        .ok()
        .flatten()?;
    let parts: Vec<String> = e
        .to_multi_str()
        .ok()?
        .iter()
        .map(|s| s.trim_matches([' ', '\0']).to_string())
        .collect();
    let plain =
        |s: &String| !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '\\', ':']);
    (!parts.is_empty() && parts.iter().all(plain)).then_some(parts)
}

/// Finds listed files whose names changed case (or gained an ISO 9660
/// `;1` version) when the CD was copied; folder listings are cached.
#[derive(Default)]
struct Resolver {
    listings: HashMap<PathBuf, Vec<(String, PathBuf)>>,
}

impl Resolver {
    fn resolve(&mut self, base: &Path, components: &[String]) -> Option<PathBuf> {
        let mut at = base.to_path_buf();
        for c in components {
            let exact = at.join(c);
            if exact.exists() {
                at = exact;
                continue;
            }
            let listing = self
                .listings
                .entry(at.clone())
                .or_insert_with(|| entries(&at).unwrap_or_default());
            let (_, p) = listing
                .iter()
                .find(|(name, _)| cd_name(name).eq_ignore_ascii_case(c))?;
            at = p.clone();
        }
        at.is_file().then_some(at)
    }
}

/// A name without an ISO 9660 version (`;1`) or a trailing dot.
pub(super) fn cd_name(name: &str) -> &str {
    let name = match name.rsplit_once(';') {
        Some((stem, v)) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => stem,
        _ => name,
    };
    name.strip_suffix('.').unwrap_or(name)
}
