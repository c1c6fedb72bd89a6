//! The model catalogue: the screening tools (manifests shipped in `models/`,
//! built into the binary) and where their model files live on this machine.
//!
//! Model files resolve against a models folder: the setting, then
//! `ONEMED_MODELS`, then `../shared/models` when present. Weights never enter
//! the repository.

pub mod manifest;

pub use manifest::{
    ClassSpec, Coverage, GateSpec, Manifest, ManifestError, ModelSpec, PreprocessSpec,
};

use std::path::{Path, PathBuf};

/// The manifests shipped with this build, in home-screen order.
const BUILTIN: [(&str, &str); 5] = [
    ("cataract.toml", include_str!("../../models/cataract.toml")),
    (
        "diabetic-retinopathy.toml",
        include_str!("../../models/diabetic-retinopathy.toml"),
    ),
    ("redness.toml", include_str!("../../models/redness.toml")),
    (
        "skin-lesion.toml",
        include_str!("../../models/skin-lesion.toml"),
    ),
    ("covid-ct.toml", include_str!("../../models/covid-ct.toml")),
];

/// Why the catalogue or a model file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("unknown tool {0:?}; the tools are: {1}")]
    UnknownTool(String, String),
    #[error("no models folder found: set models_dir in the settings or ONEMED_MODELS, or place the models in ../shared/models")]
    NoModelsDir,
    #[error("model file missing: {0}")]
    MissingFile(PathBuf),
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read manifests from {path}: {source}")]
    ManifestDir {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// All tools, in display order.
#[derive(Debug, Clone)]
pub struct Catalog {
    tools: Vec<Manifest>,
}

impl Catalog {
    /// The manifests built into this binary.
    pub fn builtin() -> Result<Catalog, CatalogError> {
        let tools = BUILTIN
            .iter()
            .map(|(file, text)| Manifest::parse(file, text))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Catalog { tools })
    }

    /// A catalogue with no tools (the kiosk shows none rather than failing).
    pub fn empty() -> Catalog {
        Catalog { tools: Vec::new() }
    }

    /// Manifests from a folder of `<tool>.toml` files (sorted by file name).
    pub fn from_dir(dir: &Path) -> Result<Catalog, CatalogError> {
        let io = |source| CatalogError::ManifestDir {
            path: dir.to_path_buf(),
            source,
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        let mut tools = Vec::new();
        for f in files {
            let text = std::fs::read_to_string(&f).map_err(|source| CatalogError::Read {
                path: f.clone(),
                source,
            })?;
            tools.push(Manifest::parse(&f.display().to_string(), &text)?);
        }
        Ok(Catalog { tools })
    }

    pub fn tools(&self) -> &[Manifest] {
        &self.tools
    }

    /// What a complete screening with a tool is (one picture when the
    /// catalogue does not know the tool).
    pub fn coverage(&self, id: &str) -> Coverage {
        self.tool(id)
            .map(|t| t.coverage)
            .unwrap_or(Coverage::OneImage)
    }

    /// The tool with this ID, or an error listing the real ones.
    pub fn tool(&self, id: &str) -> Result<&Manifest, CatalogError> {
        self.tools.iter().find(|t| t.id == id).ok_or_else(|| {
            let ids: Vec<&str> = self.tools.iter().map(|t| t.id.as_str()).collect();
            CatalogError::UnknownTool(id.to_string(), ids.join(", "))
        })
    }

    /// Overrides one tool's gate margin (never below the manifest minimum).
    pub fn set_margin(&mut self, id: &str, margin: f32) -> Result<(), CatalogError> {
        let idx = self.tools.iter().position(|t| t.id == id);
        let Some(i) = idx else {
            return self.tool(id).map(|_| ());
        };
        let mut t = self.tools[i].clone();
        t.gate.margin = margin;
        t.validate()?;
        self.tools[i] = t;
        Ok(())
    }
}

/// The models folder: `configured`, else `ONEMED_MODELS`, else `../shared/models`
/// beside the working directory or beside this source checkout.
pub fn models_dir(configured: Option<&Path>) -> Result<PathBuf, CatalogError> {
    if let Some(p) = configured {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("ONEMED_MODELS") {
        return Ok(PathBuf::from(p));
    }
    let candidates = [
        PathBuf::from("../shared/models"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/models"),
    ];
    candidates
        .into_iter()
        .find(|p| p.is_dir())
        .ok_or(CatalogError::NoModelsDir)
}

/// A tool's model files on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelFiles {
    pub xml: PathBuf,
    pub bin: PathBuf,
}

impl ModelFiles {
    /// Locates `model.xml` and the `.bin` beside it; both must exist.
    pub fn locate(models_dir: &Path, spec: &ModelSpec) -> Result<ModelFiles, CatalogError> {
        let xml = models_dir.join(&spec.path);
        let bin = xml.with_extension("bin");
        for f in [&xml, &bin] {
            if !f.is_file() {
                return Err(CatalogError::MissingFile(f.clone()));
            }
        }
        Ok(ModelFiles { xml, bin })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogue_has_the_five_tools_in_order() {
        let c = Catalog::builtin().unwrap();
        let ids: Vec<&str> = c.tools().iter().map(|t| t.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "cataract",
                "diabetic-retinopathy",
                "redness",
                "skin-lesion",
                "covid-ct"
            ]
        );
    }

    #[test]
    fn covid_index_zero_is_covid_and_refers() {
        let c = Catalog::builtin().unwrap();
        let t = c.tool("covid-ct").unwrap();
        assert_eq!(t.classes[0].id, "covid");
        assert!(t.classes[0].refer);
        let s = c.tool("skin-lesion").unwrap();
        assert_eq!(s.classes[1].id, "malignant");
        assert!(s.classes[1].refer && !s.classes[0].refer);
    }

    #[test]
    fn manifest_quality_is_the_calibrated_set_for_its_kind() {
        // tests/quality.rs calibrates `defaults_for`; the manifests must carry those values.
        for t in Catalog::builtin().unwrap().tools() {
            assert_eq!(
                t.quality,
                crate::quality::defaults_for(t.image_kind),
                "{}",
                t.id
            );
        }
    }

    #[test]
    fn unknown_tool_lists_the_real_ones() {
        let c = Catalog::builtin().unwrap();
        let e = c.tool("xray").unwrap_err().to_string();
        assert!(e.contains("xray") && e.contains("covid-ct"), "{e}");
    }

    #[test]
    fn a_manifest_without_valid_pins_is_refused() {
        let text = BUILTIN[3].1;
        let c = Catalog::builtin().unwrap();
        let pin = &c.tools()[3].model.bin_sha256;
        for bad in ["", "abc", &pin.to_uppercase(), &format!("{pin}0")] {
            let e = Manifest::parse("skin-lesion.toml", &text.replace(pin.as_str(), bad))
                .unwrap_err()
                .to_string();
            assert!(e.contains("bin_sha256"), "{bad:?}: {e}");
        }
        let without: String = text
            .lines()
            .filter(|l| !l.starts_with("xml_sha256"))
            .map(|l| format!("{l}\n"))
            .collect();
        let e = Manifest::parse("skin-lesion.toml", &without).unwrap_err();
        assert!(e.to_string().contains("xml_sha256"), "{e}");
    }

    #[test]
    fn margin_below_minimum_is_refused() {
        let mut c = Catalog::builtin().unwrap();
        assert!(c.set_margin("cataract", 0.2).is_err());
        assert_eq!(c.tool("cataract").unwrap().gate.margin, 0.5);
        c.set_margin("cataract", 0.6).unwrap();
        assert_eq!(c.tool("cataract").unwrap().gate.margin, 0.6);
    }
}
