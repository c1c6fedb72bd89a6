//! The inference engine: one OpenVINO `Core`, each tool's model read, checked
//! against its manifest, compiled once and reused.
//!
//! Precision is pinned: OpenVINO runs models in bf16 on CPUs that have it (and
//! f16 on iGPUs) unless told otherwise, which moves these models' outputs by up
//! to 0.40. Every compile sets `INFERENCE_PRECISION_HINT=f32`, and a model whose
//! compiled precision is not f32 is refused. `Core` is `Send` but not `Sync`:
//! one worker thread owns the engine.
//!
//! Only pinned weights run: a model's files are read once, checked against the
//! sha256 pins in its manifest and handed to OpenVINO from memory
//! ([`pinned`]); the compiled-model cache keeps each model's blobs in a folder
//! of its own and deletes any blob whose sha256 is not the one recorded when
//! it was compiled ([`cache`]).

pub mod cache;
pub mod pinned;
pub mod runtime;

use crate::catalog::{Manifest, ModelFiles};
use cache::ModelCache;
use openvino::{
    CompiledModel, Core, DeviceType, ElementType, InferRequest, PropertyKey, RwPropertyKey, Tensor,
};
use pinned::PinnedModel;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub use cache::CacheError;
pub use pinned::PinError;
pub use runtime::RuntimeError;

/// The device asked for in the settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Device {
    #[default]
    Cpu,
    /// The Intel iGPU.
    Gpu,
    /// The GPU when OpenVINO reports one, else the CPU.
    Auto,
}

impl std::str::FromStr for Device {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "CPU" => Ok(Device::Cpu),
            "GPU" => Ok(Device::Gpu),
            "AUTO" => Ok(Device::Auto),
            other => Err(format!("unknown device {other:?} (CPU, GPU or AUTO)")),
        }
    }
}

/// How to set up the engine.
#[derive(Debug, Clone, Default)]
pub struct EngineConfig {
    pub device: Device,
    /// OpenVINO's compiled-model cache; `None` disables it.
    pub cache_dir: Option<PathBuf>,
    /// Where the runtime library is (file or folder); `None` searches.
    pub runtime: Option<PathBuf>,
}

/// Why the engine could not load a model or infer.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error(transparent)]
    Pin(#[from] PinError),
    #[error("OpenVINO could not start: {0}")]
    Setup(String),
    #[error("model for {tool} cannot be read ({path}): {reason}")]
    Read {
        tool: String,
        path: PathBuf,
        reason: String,
    },
    #[error("model for {tool} does not match its manifest: {problem}")]
    Mismatch { tool: String, problem: String },
    #[error("model for {tool} could not be compiled for {device}: {reason}")]
    Compile {
        tool: String,
        device: String,
        reason: String,
    },
    #[error("model for {tool} compiled with {precision} precision, not f32; refusing to use it")]
    Precision { tool: String, precision: String },
    #[error("model for {0} is not loaded")]
    NotLoaded(String),
    #[error("input for {tool} has {got} values, expected {expected}")]
    InputSize {
        tool: String,
        got: usize,
        expected: usize,
    },
    #[error("inference failed for {tool}: {reason}")]
    Infer { tool: String, reason: String },
    #[error(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
}

/// What was loaded, for traceability and the `models` command.
#[derive(Debug, Clone, Serialize)]
pub struct ModelInfo {
    pub tool: String,
    pub xml: PathBuf,
    /// sha256 over model.xml then model.bin: of the bytes that were checked
    /// against the manifest's pins and compiled.
    pub sha256: String,
    pub version: String,
    pub device: String,
    /// The precision OpenVINO reports for the compiled model (always f32).
    pub precision: String,
    pub load_ms: f64,
}

struct Loaded {
    info: ModelInfo,
    request: InferRequest,
    input_name: String,
    output_name: String,
    input_len: usize,
    // Keeps the compiled model alive as long as its request.
    _compiled: CompiledModel,
    // The verified weights OpenVINO read the model from, kept as long as it.
    _weights: Tensor,
}

/// Owns the OpenVINO core and the compiled models.
pub struct Engine {
    core: Core,
    config: EngineConfig,
    /// Cores that compiled some of the models (kept alive with them).
    helper_cores: Vec<Core>,
    device: String,
    /// Set when the device asked for was not available.
    device_note: Option<String>,
    runtime_path: PathBuf,
    /// The compiled-model cache's folder, when it can be used.
    cache_root: Option<PathBuf>,
    models: HashMap<String, Loaded>,
}

fn ov_err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

impl Engine {
    /// Loads the runtime, creates the core and settles the device.
    pub fn new(cfg: &EngineConfig) -> Result<Engine, EngineError> {
        let runtime_path = runtime::load(cfg.runtime.as_deref())?;
        let mut core = Core::new().map_err(|e| EngineError::Setup(ov_err(e)))?;
        let available: Vec<String> = core
            .available_devices()
            .map(|d| d.iter().map(|d| d.to_string()).collect())
            .unwrap_or_default();
        let has_gpu = available.iter().any(|d| d.starts_with("GPU"));
        let (device, device_note) = match cfg.device {
            Device::Cpu => ("CPU".to_string(), None),
            Device::Gpu | Device::Auto if has_gpu => ("GPU".to_string(), None),
            Device::Auto => ("CPU".to_string(), None),
            Device::Gpu => {
                // Shown to the admin, in the screen's language.
                let note =
                    crate::i18n::n_("GPU asked for but OpenVINO reports none; using the CPU")
                        .to_string();
                log::warn!("{note}");
                ("CPU".to_string(), Some(note))
            }
        };
        let dev = DeviceType::from(device.as_str());
        core.set_property(&dev, &RwPropertyKey::HintInferencePrecision, "f32")
            .map_err(|e| {
                EngineError::Setup(format!("cannot pin f32 precision on {device}: {e}"))
            })?;
        // The cache folder is set per model, just before its compile (see `guard_cache`).
        let mut cache_root = None;
        if let Some(dir) = &cfg.cache_dir {
            match std::fs::create_dir_all(dir) {
                Ok(()) => {
                    cache_root = Some(dir.clone());
                    // Larger cache files that load faster: start-up is what matters here.
                    if let Err(e) =
                        core.set_property(&dev, &RwPropertyKey::CacheMode, "OPTIMIZE_SPEED")
                    {
                        log::info!("cache mode not set: {e}");
                    }
                }
                Err(e) => log::warn!("model cache disabled, cannot create {}: {e}", dir.display()),
            }
        }
        log::info!(
            "OpenVINO runtime {} on {device} (available: {})",
            runtime_path.display(),
            available.join(", ")
        );
        Ok(Engine {
            core,
            config: cfg.clone(),
            helper_cores: Vec::new(),
            device,
            device_note,
            runtime_path,
            cache_root,
            models: HashMap::new(),
        })
    }

    /// Points OpenVINO's cache at this model's own folder after deleting any
    /// blob there that is not the one recorded at its compile. Returns the
    /// folder to seal after the compile, or `None` when the model is compiled
    /// without the cache (no cache configured, or the folder cannot be vetted).
    fn guard_cache(
        &mut self,
        tool: &str,
        model_sha256: &str,
    ) -> Result<Option<ModelCache>, EngineError> {
        let Some(root) = &self.cache_root else {
            return Ok(None);
        };
        let dev = DeviceType::from(self.device.as_str());
        let cache = ModelCache::for_model(root, model_sha256);
        let target = match cache.vet() {
            Ok(removed) => {
                if !removed.is_empty() {
                    log::warn!(
                        "{tool}: deleted {} compiled-model cache file(s) that were not the ones compiled from the pinned model ({}); compiling afresh",
                        removed.len(),
                        removed.join(", ")
                    );
                }
                Some(cache)
            }
            Err(e) => {
                log::warn!("{tool}: compiled without the cache: {e}");
                None
            }
        };
        let dir = target
            .as_ref()
            .map(|c| c.dir().to_string_lossy().into_owned())
            .unwrap_or_default();
        // An empty folder turns OpenVINO's cache off; if even that fails, the
        // core may still point at another model's folder, so do not compile.
        self.core
            .set_property(&dev, &RwPropertyKey::CacheDir, &dir)
            .map_err(|e| {
                EngineError::Setup(format!("cannot set the model cache for {tool}: {e}"))
            })?;
        Ok(target)
    }

    /// The device models are compiled for ("CPU" or "GPU").
    pub fn device(&self) -> &str {
        &self.device
    }

    /// Why the device differs from the one asked for, if it does.
    pub fn device_note(&self) -> Option<&str> {
        self.device_note.as_deref()
    }

    pub fn runtime_path(&self) -> &Path {
        &self.runtime_path
    }

    /// Devices OpenVINO reports on this machine.
    pub fn available_devices(&self) -> Vec<String> {
        self.core
            .available_devices()
            .map(|d| d.iter().map(|d| d.to_string()).collect())
            .unwrap_or_default()
    }

    /// Reads, checks and compiles a tool's model.
    pub fn load(&mut self, tool: &Manifest, files: &ModelFiles) -> Result<&ModelInfo, EngineError> {
        let t0 = Instant::now();
        let id = tool.id.clone();
        let pinned = PinnedModel::read(tool, files)?;
        let model = self
            .core
            .read_model_from_buffer(&pinned.xml, Some(&pinned.weights))
            .map_err(|e| EngineError::Read {
                tool: id.clone(),
                path: files.xml.clone(),
                reason: ov_err(e),
            })?;
        let mismatch = |problem: String| EngineError::Mismatch {
            tool: id.clone(),
            problem,
        };
        let n_in = model.get_inputs_len().map_err(|e| mismatch(ov_err(e)))?;
        let n_out = model.get_outputs_len().map_err(|e| mismatch(ov_err(e)))?;
        if n_in != 1 || n_out != 1 {
            return Err(mismatch(format!(
                "{n_in} inputs and {n_out} outputs, expected 1 and 1"
            )));
        }
        let input = model
            .get_input_by_index(0)
            .map_err(|e| mismatch(ov_err(e)))?;
        let output = model
            .get_output_by_index(0)
            .map_err(|e| mismatch(ov_err(e)))?;
        let in_name = input.get_name().map_err(|e| mismatch(ov_err(e)))?;
        let out_name = output.get_name().map_err(|e| mismatch(ov_err(e)))?;
        let in_shape = input.get_shape().map_err(|e| mismatch(ov_err(e)))?;
        let out_shape = output.get_shape().map_err(|e| mismatch(ov_err(e)))?;
        let in_type = input.get_element_type().map_err(|e| mismatch(ov_err(e)))?;
        let spec = &tool.model;
        if in_name != spec.input_name || out_name != spec.output_name {
            return Err(mismatch(format!(
                "names {in_name:?} -> {out_name:?}, manifest says {:?} -> {:?}",
                spec.input_name, spec.output_name
            )));
        }
        if in_shape.get_dimensions() != spec.input_shape.as_slice() || in_type != ElementType::F32 {
            return Err(mismatch(format!(
                "input {:?} {in_type:?}, manifest says {:?} f32",
                in_shape.get_dimensions(),
                spec.input_shape
            )));
        }
        let classes = tool.classes.len() as i64;
        if out_shape.get_dimensions() != [1, classes] {
            return Err(mismatch(format!(
                "output {:?}, manifest has {classes} classes",
                out_shape.get_dimensions()
            )));
        }
        let cache = self.guard_cache(&id, &pinned.sha256)?;
        let dev = DeviceType::from(self.device.as_str());
        let mut compiled =
            self.core
                .compile_model(&model, dev)
                .map_err(|e| EngineError::Compile {
                    tool: id.clone(),
                    device: self.device.clone(),
                    reason: ov_err(e),
                })?;
        if let Some(c) = &cache {
            // Unrecorded blobs are deleted at the next start, and compiled afresh.
            if let Err(e) = c.seal() {
                log::warn!("{id}: compiled blob not recorded: {e}");
            }
        }
        let precision = compiled
            .get_property(&PropertyKey::Rw(RwPropertyKey::HintInferencePrecision))
            .map(|p| p.to_string())
            .unwrap_or_else(|e| format!("unknown ({e})"));
        if precision != "f32" {
            return Err(EngineError::Precision {
                tool: id,
                precision,
            });
        }
        let request = compiled
            .create_infer_request()
            .map_err(|e| EngineError::Compile {
                tool: id.clone(),
                device: self.device.clone(),
                reason: ov_err(e),
            })?;
        let info = ModelInfo {
            tool: id.clone(),
            xml: files.xml.clone(),
            sha256: pinned.sha256,
            version: spec.version.clone(),
            device: self.device.clone(),
            precision,
            load_ms: t0.elapsed().as_secs_f64() * 1000.0,
        };
        log::info!(
            "loaded {} on {} ({}) in {:.0} ms, sha256 {}",
            id,
            info.device,
            info.precision,
            info.load_ms,
            &info.sha256[..12]
        );
        let input_len = in_shape.get_dimensions().iter().product::<i64>() as usize;
        self.models.insert(
            id.clone(),
            Loaded {
                info,
                request,
                input_name: in_name,
                output_name: out_name,
                input_len,
                _compiled: compiled,
                _weights: pinned.weights,
            },
        );
        self.info(&id).ok_or(EngineError::NotLoaded(id))
    }

    /// Loads several tools' models, half of them on a second core so that
    /// reading and compiling overlap. Returns each tool's outcome, in order.
    pub fn load_all(
        &mut self,
        jobs: &[(Manifest, ModelFiles)],
    ) -> Vec<(String, Result<(), String>)> {
        let one = |e: &mut Engine, (m, f): &(Manifest, ModelFiles)| {
            (
                m.id.clone(),
                e.load(m, f).map(|_| ()).map_err(|e| e.to_string()),
            )
        };
        let (mine, theirs) = jobs.split_at(jobs.len().div_ceil(2));
        if theirs.is_empty() {
            return jobs.iter().map(|j| one(self, j)).collect();
        }
        // The helper compiles for the device already settled on (no second fallback warning).
        let mut config = self.config.clone();
        config.device = if self.device == "GPU" {
            Device::Gpu
        } else {
            Device::Cpu
        };
        let (mut results, joined) = std::thread::scope(|s| {
            // The helper core starts up on the other thread, overlapping our loads.
            let other = s.spawn(move || {
                let mut helper = Engine::new(&config).ok()?;
                let r: Vec<_> = theirs.iter().map(|j| one(&mut helper, j)).collect();
                Some((r, helper))
            });
            let r: Vec<_> = mine.iter().map(|j| one(self, j)).collect();
            (r, other.join())
        });
        match joined {
            Ok(Some((r, helper))) => {
                results.extend(r);
                self.models.extend(helper.models);
                self.helper_cores.push(helper.core);
                self.helper_cores.extend(helper.helper_cores);
            }
            // No second core to be had: load the rest here.
            _ => results.extend(theirs.iter().map(|j| one(self, j))),
        }
        results
    }

    /// What is loaded for a tool.
    pub fn info(&self, tool: &str) -> Option<&ModelInfo> {
        self.models.get(tool).map(|m| &m.info)
    }

    /// Runs the tool's model on one NHWC `f32` input; returns its output.
    pub fn infer(&mut self, tool: &str, input: &[f32]) -> Result<Vec<f32>, EngineError> {
        self.infer_with(tool, input.len(), |t| t.copy_from_slice(input))
    }

    /// Runs the tool's model on an input of `len` values that `fill` writes
    /// straight into the request's input tensor; returns its output.
    pub fn infer_with(
        &mut self,
        tool: &str,
        len: usize,
        fill: impl FnOnce(&mut [f32]),
    ) -> Result<Vec<f32>, EngineError> {
        let m = self
            .models
            .get_mut(tool)
            .ok_or_else(|| EngineError::NotLoaded(tool.to_string()))?;
        if len != m.input_len {
            return Err(EngineError::InputSize {
                tool: tool.to_string(),
                got: len,
                expected: m.input_len,
            });
        }
        let fail = |e: openvino::InferenceError| EngineError::Infer {
            tool: tool.to_string(),
            reason: ov_err(e),
        };
        let mut tensor = m.request.get_tensor(&m.input_name).map_err(fail)?;
        fill(tensor.get_data_mut::<f32>().map_err(fail)?);
        m.request.infer().map_err(fail)?;
        let out = m.request.get_tensor(&m.output_name).map_err(fail)?;
        let probs = out.get_data::<f32>().map_err(fail)?.to_vec();
        Ok(probs)
    }
}
