//! Model files checked against their pins: each tool's manifest pins the
//! sha256 of its `model.xml` and `model.bin`, and only those exact bytes run.
//!
//! Each file is read once into memory and hashed there; OpenVINO then reads
//! the model from that same memory (`read_model_from_buffer`), never from the
//! file again, so a file swapped after the check is never the one that runs.
//! A mismatch names the tool in a nurse's words and says what to do.

use crate::catalog::{Manifest, ModelFiles};
use openvino::{ElementType, Shape, Tensor};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Larger model files are refused unread (these models are ~2 MB).
const MAX_MODEL_FILE: u64 = 1 << 30;

/// Why a tool's model files cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PinError {
    #[error("model file for {tool} does not match its pinned hash — reinstall the model ({file})")]
    Mismatch { tool: String, file: String },
    #[error("model file for {tool} cannot be read ({path}): {reason}")]
    Read {
        tool: String,
        path: PathBuf,
        reason: String,
    },
}

/// A tool's model as verified bytes in memory, ready for OpenVINO.
pub struct PinnedModel {
    /// `model.xml`, exactly as hashed.
    pub xml: Vec<u8>,
    /// `model.bin` in an OpenVINO tensor, exactly as hashed.
    pub weights: Tensor,
    /// sha256 over `model.xml` then `model.bin`: the identity every result carries.
    pub sha256: String,
}

/// sha256 of some bytes, as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    crate::preprocess::hex(&Sha256::digest(bytes))
}

/// The manifest lines pinning the model at `xml` (and the `.bin` beside it).
pub fn pin_lines(xml: &Path) -> std::io::Result<String> {
    let bin = xml.with_extension("bin");
    let read = |p: &Path| {
        read_bounded(p).map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", p.display())))
    };
    let (x, b) = (read(xml)?, read(&bin)?);
    let mut whole = Sha256::new();
    whole.update(&x);
    whole.update(&b);
    Ok(format!(
        "# {} and {}\n# model_sha256 in records: {}\n[model]\nxml_sha256 = \"{}\"\nbin_sha256 = \"{}\"\n",
        xml.display(),
        bin.display(),
        crate::preprocess::hex(&whole.finalize()),
        sha256_hex(&x),
        sha256_hex(&b),
    ))
}

/// Reads a file whole; a file over `MAX_MODEL_FILE` is an error, read no further.
fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_MODEL_FILE + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_MODEL_FILE {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "larger than 1 GiB, not a model file",
        ));
    }
    Ok(bytes)
}

impl PinnedModel {
    /// Reads the tool's model files, each once, and checks them against the
    /// manifest's pins.
    pub fn read(tool: &Manifest, files: &ModelFiles) -> Result<PinnedModel, PinError> {
        let read = |path: &Path| {
            read_bounded(path).map_err(|e| PinError::Read {
                tool: tool.name.clone(),
                path: path.to_path_buf(),
                reason: e.to_string(),
            })
        };
        let mismatch = |which: &str| PinError::Mismatch {
            tool: tool.name.clone(),
            file: Path::new(&tool.model.path)
                .with_extension(which)
                .display()
                .to_string(),
        };
        let xml = read(&files.xml)?;
        if sha256_hex(&xml) != tool.model.xml_sha256 {
            return Err(mismatch("xml"));
        }
        let bin = read(&files.bin)?;
        if bin.is_empty() {
            return Err(mismatch("bin"));
        }
        // The weights are copied into OpenVINO's tensor first and hashed there:
        // what is checked is exactly what OpenVINO reads.
        let tensor_err = |e: openvino::InferenceError| PinError::Read {
            tool: tool.name.clone(),
            path: files.bin.clone(),
            reason: format!("cannot hold the weights in memory: {e}"),
        };
        let shape = Shape::new(&[bin.len() as i64]).map_err(tensor_err)?;
        let mut weights = Tensor::new(ElementType::U8, &shape).map_err(tensor_err)?;
        weights
            .get_raw_data_mut()
            .map_err(tensor_err)?
            .copy_from_slice(&bin);
        drop(bin);
        let held = weights.get_raw_data().map_err(tensor_err)?;
        if sha256_hex(held) != tool.model.bin_sha256 {
            return Err(mismatch("bin"));
        }
        let mut whole = Sha256::new();
        whole.update(&xml);
        whole.update(held);
        let sha256 = crate::preprocess::hex(&whole.finalize());
        Ok(PinnedModel {
            xml,
            weights,
            sha256,
        })
    }
}
