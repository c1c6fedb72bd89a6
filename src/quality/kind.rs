//! The kind of image a tool accepts, and a cheap guard that refuses images of
//! another kind before any model sees them. Safety-critical: the redness model
//! calls almost every fundus photo "redness", and the CT model answers for any
//! picture at all, so each tool must only see its own kind of image.
//!
//! The rules are colour statistics of the fitted frame (see [`Metrics`]),
//! calibrated on the sample images (`tests/quality.rs` prints them):
//! - grey: CT slices have at most 0.6% coloured pixels (one has a thin red
//!   annotation circle); every colour photo has at least 31% (12% even when
//!   darkened to 15%).
//! - fundus: the retina is orange-red all over. Of the lit pixels, fundus photos
//!   have 97-100% with red >= 1.8 x green (other photos at most 65%) and a
//!   blue/green ratio of 0.44-0.72 (other photos at least 0.85). Both must hold.
//!   Dark corners are *not* required: the sample fundus photos fill the whole
//!   centre crop (no black surround in what the model sees); a black field
//!   stop, as other cameras give, changes neither statistic.
//!
//! The rules need a readable image: on a near-black frame colour is mostly
//! noise, on a washed-out one it is clipped away (an overexposed skin photo is
//! white, i.e. grey). [`is_readable`] says when the guard's verdict can come
//! before the exposure checks; on other images it comes after them.

use super::metrics::Metrics;
use crate::i18n::{tr, trf, Lang};

/// The kinds of image the screening tools are trained on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImageKind {
    /// A retinal photo from a fundus camera: orange-red, often on black.
    FundusPhoto,
    /// A photo of the front of the eye (lids, sclera, iris).
    ExternalEyePhoto,
    /// A close-up of a skin lesion.
    DermatoscopePhoto,
    /// A grey CT slice.
    CtSlice,
}

/// Below this colour fraction an image is grey. Measured: CT <= 0.006, colour
/// photos >= 0.31.
pub const MAX_GREY_COLOUR_FRACTION: f32 = 0.05;
/// Fundus photos: red-dominant fraction of lit pixels at least this. Measured:
/// fundus >= 0.968, other photos <= 0.645.
pub const MIN_FUNDUS_RED_FRACTION: f32 = 0.8;
/// Fundus photos: blue/green ratio of lit pixels at most this. Measured:
/// fundus <= 0.719, other photos >= 0.848.
pub const MAX_FUNDUS_BLUE_GREEN: f32 = 0.78;

impl ImageKind {
    pub const ALL: [ImageKind; 4] = [
        ImageKind::FundusPhoto,
        ImageKind::ExternalEyePhoto,
        ImageKind::DermatoscopePhoto,
        ImageKind::CtSlice,
    ];

    /// The stable id used in manifests and records (`fundus-photo`, ...).
    pub fn id(self) -> &'static str {
        match self {
            ImageKind::FundusPhoto => "fundus-photo",
            ImageKind::ExternalEyePhoto => "external-eye-photo",
            ImageKind::DermatoscopePhoto => "dermatoscope-photo",
            ImageKind::CtSlice => "ct-slice",
        }
    }

    /// The name a nurse reads ("fundus photo").
    /// Whether pictures of this kind show one eye (so the eye side is recorded).
    pub fn is_eye(self) -> bool {
        matches!(self, ImageKind::FundusPhoto | ImageKind::ExternalEyePhoto)
    }

    pub fn label(self) -> &'static str {
        match self {
            ImageKind::FundusPhoto => "fundus photo",
            ImageKind::ExternalEyePhoto => "external eye photo",
            ImageKind::DermatoscopePhoto => "skin lesion photo",
            ImageKind::CtSlice => "CT slice",
        }
    }

    /// The label with its article ("an external eye photo"): "an" before a
    /// vowel letter, the rule the capture screen uses too (`Words` in
    /// ui/words.slint).
    pub fn a_label(self) -> String {
        let label = self.label();
        let vowel = label
            .chars()
            .next()
            .is_some_and(|c| "aeiou".contains(c.to_ascii_lowercase()));
        format!("{} {label}", if vowel { "an" } else { "a" })
    }

    /// What the nurse does to get an image of this kind.
    pub fn how_to_get(self) -> &'static str {
        match self {
            ImageKind::FundusPhoto => "take the photo with the fundus (retina) camera",
            ImageKind::ExternalEyePhoto => "take a close photo of the front of the eye",
            ImageKind::DermatoscopePhoto => "take a close-up photo of the skin lesion",
            ImageKind::CtSlice => "import the CT slices",
        }
    }
}

impl std::fmt::Display for ImageKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// The image is not of the kind the tool was trained on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.reason())]
pub struct KindMismatch {
    pub expected: ImageKind,
    /// What the image looks like instead, when the rules can tell.
    pub looks_like: Option<ImageKind>,
}

impl KindMismatch {
    /// What is wrong and what to do, in a nurse's words (English).
    pub fn reason(&self) -> String {
        self.reason_in(Lang::En)
    }

    /// The same, in `lang`: one sentence per case, so that each language
    /// orders its words itself.
    pub fn reason_in(&self, lang: Lang) -> String {
        let expected = tr(lang, &self.expected.a_label());
        let how = tr(lang, self.expected.how_to_get());
        match self.looks_like {
            Some(k) if k != self.expected => trf(
                lang,
                "This looks like {}, not {} — {}",
                &[&tr(lang, &k.a_label()), &expected, &how],
            ),
            // Not grey, not a fundus: some other colour photo.
            _ if self.expected == ImageKind::CtSlice => trf(
                lang,
                "This looks like a colour photo, not {} — {}",
                &[&expected, &how],
            ),
            _ => trf(lang, "This does not look like {} — {}", &[&expected, &how]),
        }
    }
}

/// The colour rules are trusted only on an image at least this bright (mean
/// luma; clean samples >= 78, copies darkened to 15% <= 31) ...
pub const MIN_READABLE_MEAN_LUMA: f32 = 40.0;
/// ... with at most this fraction of clipped pixels (clean samples <= 0.17,
/// overexposed copies >= 0.48).
pub const MAX_READABLE_SATURATED: f32 = 0.35;

/// Exposed well enough for the kind rules to mean something, whatever the kind.
pub fn is_readable(m: &Metrics) -> bool {
    m.mean_luma >= MIN_READABLE_MEAN_LUMA && m.saturated_fraction <= MAX_READABLE_SATURATED
}

/// Grey: (nearly) no coloured pixels.
pub fn is_grey(m: &Metrics) -> bool {
    m.colour_fraction < MAX_GREY_COLOUR_FRACTION
}

/// Orange-red almost everywhere it is lit, with little blue.
pub fn is_fundus_like(m: &Metrics) -> bool {
    !is_grey(m)
        && m.red_fraction >= MIN_FUNDUS_RED_FRACTION
        && m.blue_green_ratio <= MAX_FUNDUS_BLUE_GREEN
}

/// The kind the cheap rules recognise, if any. A colour photo that is not a
/// fundus photo may be an eye or a skin photo; the rules cannot tell: `None`.
pub fn looks_like(m: &Metrics) -> Option<ImageKind> {
    if is_grey(m) {
        Some(ImageKind::CtSlice)
    } else if is_fundus_like(m) {
        Some(ImageKind::FundusPhoto)
    } else {
        None
    }
}

/// Refuses an image that does not look like `expected`: the CT tool takes only
/// grey images, the fundus tool only fundus-like ones, the eye and skin tools
/// only colour photos that are not fundus-like.
pub fn guard(expected: ImageKind, m: &Metrics) -> Result<(), KindMismatch> {
    let ok = match expected {
        ImageKind::CtSlice => is_grey(m),
        ImageKind::FundusPhoto => is_fundus_like(m),
        ImageKind::ExternalEyePhoto | ImageKind::DermatoscopePhoto => {
            !is_grey(m) && !is_fundus_like(m)
        }
    };
    if ok {
        Ok(())
    } else {
        Err(KindMismatch {
            expected,
            looks_like: looks_like(m),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_takes_its_article() {
        assert_eq!(ImageKind::FundusPhoto.a_label(), "a fundus photo");
        assert_eq!(
            ImageKind::ExternalEyePhoto.a_label(),
            "an external eye photo"
        );
        assert_eq!(
            ImageKind::DermatoscopePhoto.a_label(),
            "a skin lesion photo"
        );
        assert_eq!(ImageKind::CtSlice.a_label(), "a CT slice");
    }

    fn metrics(colour: f32, red: f32, blue_green: f32) -> Metrics {
        Metrics {
            mean_luma: 120.0,
            std_luma: 40.0,
            dark_fraction: 0.0,
            saturated_fraction: 0.0,
            laplacian_var: 100.0,
            colour_fraction: colour,
            corner_dark_fraction: 0.0,
            centre_red_ratio: 1.0,
            red_fraction: red,
            blue_green_ratio: blue_green,
        }
    }

    #[test]
    fn serde_names_are_kebab_case() {
        for k in ImageKind::ALL {
            let json = serde_json::to_string(&k).expect("serialises");
            assert_eq!(json, format!("\"{}\"", k.id()));
            assert_eq!(serde_json::from_str::<ImageKind>(&json).expect("parses"), k);
        }
        assert!(serde_json::from_str::<ImageKind>("\"fundus\"").is_err());
    }

    #[test]
    fn each_kind_accepts_its_own_and_refuses_the_others() {
        let grey = metrics(0.0, 0.0, 1.0);
        let fundus = metrics(1.0, 0.98, 0.5);
        let photo = metrics(0.6, 0.3, 0.95);
        assert_eq!(looks_like(&grey), Some(ImageKind::CtSlice));
        assert_eq!(looks_like(&fundus), Some(ImageKind::FundusPhoto));
        assert_eq!(looks_like(&photo), None);
        assert!(guard(ImageKind::CtSlice, &grey).is_ok());
        assert!(guard(ImageKind::FundusPhoto, &fundus).is_ok());
        assert!(guard(ImageKind::ExternalEyePhoto, &photo).is_ok());
        assert!(guard(ImageKind::DermatoscopePhoto, &photo).is_ok());
        for k in [ImageKind::ExternalEyePhoto, ImageKind::DermatoscopePhoto] {
            let e = guard(k, &fundus).expect_err("fundus refused");
            assert_eq!(e.looks_like, Some(ImageKind::FundusPhoto));
            assert!(guard(k, &grey).is_err());
        }
        assert!(guard(ImageKind::CtSlice, &fundus).is_err());
        assert!(guard(ImageKind::FundusPhoto, &grey).is_err());
        assert!(guard(ImageKind::FundusPhoto, &photo).is_err());
    }

    #[test]
    fn red_but_bluish_is_not_a_fundus() {
        // A very red eye (crimson, blue about equal to green) stays an eye photo.
        let m = metrics(0.9, 0.95, 0.95);
        assert!(guard(ImageKind::ExternalEyePhoto, &m).is_ok());
        assert!(guard(ImageKind::FundusPhoto, &m).is_err());
    }

    #[test]
    fn reasons_say_what_and_what_to_do() {
        let r = |expected, looks_like| {
            KindMismatch {
                expected,
                looks_like,
            }
            .reason()
        };
        assert_eq!(
            r(ImageKind::CtSlice, None),
            "This looks like a colour photo, not a CT slice — import the CT slices"
        );
        assert_eq!(
            r(ImageKind::ExternalEyePhoto, Some(ImageKind::FundusPhoto)),
            "This looks like a fundus photo, not an external eye photo — take a close photo of the front of the eye"
        );
        assert_eq!(
            r(ImageKind::FundusPhoto, None),
            "This does not look like a fundus photo — take the photo with the fundus (retina) camera"
        );
    }
}
