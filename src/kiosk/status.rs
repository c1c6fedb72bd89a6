//! The home screen's status line (the `HomeStatus` global): short items with
//! an icon that always fit on one line ("✓ 5/5 tools", "● Camera",
//! "○ Printer", "CPU") and the full texts the nurse reads on a tap — in
//! words, with no file paths or host names (those go to the log). Also the
//! slip previews' paper width (`SlipFormat`).

use super::app::Kiosk;
use super::ui::{HomeStatus, SlipFormat, StatusItem};
use crate::i18n::{n_, tr, trf, Lang};
use crate::serial::DeviceKind;
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

/// What the status line is made from.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Facts {
    /// The models have loaded (or failed to).
    pub ready: bool,
    pub tools: usize,
    /// Tools that cannot be used: (name, short reason).
    pub unavailable: Vec<(String, String)>,
    pub camera_connected: bool,
    /// The camera's status in words, already in the line's language
    /// ("Camera: Demo camera").
    pub camera: String,
    /// Configured serial devices and whether each is connected.
    pub devices: Vec<(DeviceKind, bool)>,
    /// The inference device ("CPU (f32)"), or a msgid before it is known
    /// ("starting", "none").
    pub device: String,
}

/// How an item reads on the line (`StatusItem.state`).
const NEUTRAL: i32 = 0;
const WORKING: i32 = 1;
const PROBLEM: i32 = 2;

/// The short items and the detail lines, in `lang`.
pub(super) fn lines(f: &Facts, lang: Lang) -> (Vec<(String, i32)>, Vec<String>) {
    let mut items = Vec::new();
    let mut details = Vec::new();
    let ok = f.tools.saturating_sub(f.unavailable.len());
    let (n_ok, n) = (ok.to_string(), f.tools.to_string());
    if !f.ready {
        items.push((format!("○ {}", tr(lang, "Getting ready")), NEUTRAL));
        details.push(tr(
            lang,
            "Screening tools: getting ready — loading the models…",
        ));
    } else {
        let state = if ok == f.tools { WORKING } else { PROBLEM };
        let icon = if ok == f.tools { "✓" } else { "!" };
        items.push((
            format!("{icon} {}", trf(lang, "{}/{} tools", &[&n_ok, &n])),
            state,
        ));
        details.push(trf(lang, "Screening tools: {} of {} ready", &[&n_ok, &n]));
        for (name, reason) in &f.unavailable {
            details.push(trf(
                lang,
                "{}: unavailable — {}",
                &[&tr(lang, name), &tr(lang, reason)],
            ));
        }
    }
    items.push((
        format!(
            "{} {}",
            if f.camera_connected { "●" } else { "○" },
            tr(lang, "Camera")
        ),
        if f.camera_connected { WORKING } else { PROBLEM },
    ));
    details.push(f.camera.clone());
    for (d, connected) in &f.devices {
        items.push((
            format!(
                "{} {}",
                if *connected { "●" } else { "○" },
                tr(lang, short(*d))
            ),
            if *connected { WORKING } else { PROBLEM },
        ));
        let state = if *connected {
            n_("connected")
        } else {
            n_("not connected — check its cable")
        };
        details.push(format!("{}: {}", tr(lang, d.label()), tr(lang, state)));
    }
    let device = tr(lang, &f.device);
    let short = device.split(" (").next().unwrap_or(&device).trim();
    items.push((short.to_string(), NEUTRAL));
    details.push(trf(lang, "Inference device: {}", &[&device]));
    (items, details)
}

/// A device's one-word name for the status line.
fn short(d: DeviceKind) -> &'static str {
    match d {
        DeviceKind::Trigger => n_("Trigger"),
        DeviceKind::Scanner => n_("Scanner"),
        DeviceKind::Printer => n_("Printer"),
    }
}

impl Kiosk {
    /// Rebuilds the status line from the kiosk's state and the words the
    /// other screens already show.
    pub(super) fn refresh_status(&self) {
        let lang = self.lang();
        let capture = super::controllers::capture::page(self);
        let home = super::controllers::home::page(self);
        let facts = {
            let serial = self.serial.borrow();
            Facts {
                ready: self.home.is_ready(),
                tools: self.catalog.tools().len(),
                unavailable: self
                    .catalog
                    .tools()
                    .iter()
                    .filter_map(|t| {
                        self.home
                            .unavailable(&t.id)
                            .map(|r| (t.name.clone(), super::ui::short_reason(&r)))
                    })
                    .collect(),
                camera_connected: capture.get_camera_connected(),
                camera: self.capture.camera_text(lang),
                devices: [
                    DeviceKind::Trigger,
                    DeviceKind::Scanner,
                    DeviceKind::Printer,
                ]
                .into_iter()
                .filter(|d| serial.has(*d))
                .map(|d| (d, self.home.device_connected(d)))
                .collect(),
                device: home.get_status_device().to_string(),
            }
        };
        let (items, details) = lines(&facts, lang);
        let items: Vec<StatusItem> = items
            .into_iter()
            .map(|(text, state)| StatusItem {
                text: text.into(),
                state,
            })
            .collect();
        let details: Vec<SharedString> = details.into_iter().map(Into::into).collect();
        let s = self.window.global::<HomeStatus>();
        s.set_items(ModelRc::new(VecModel::from(items)));
        s.set_details(ModelRc::new(VecModel::from(details)));
    }

    /// The receipt printer's width in characters (32 without a printer).
    pub(super) fn slip_width(&self) -> u32 {
        self.settings
            .borrow()
            .serial
            .printer
            .as_ref()
            .map(|p| p.width)
            .unwrap_or(32)
    }

    /// The slip previews' paper width: the printer's characters per line.
    pub(super) fn refresh_slip_format(&self) {
        let columns = i32::try_from(self.slip_width()).unwrap_or(i32::MAX);
        self.window
            .global::<SlipFormat>()
            .set_columns(columns.clamp(16, 64));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            ready: true,
            tools: 5,
            unavailable: vec![],
            camera_connected: true,
            camera: "Camera: Demo camera".into(),
            devices: vec![(DeviceKind::Scanner, true), (DeviceKind::Printer, false)],
            device: "CPU (f32)".into(),
        }
    }

    #[test]
    fn short_items_and_the_full_texts() {
        let (items, details) = lines(&facts(), Lang::En);
        let texts: Vec<&str> = items.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(
            texts,
            ["✓ 5/5 tools", "● Camera", "● Scanner", "○ Printer", "CPU"]
        );
        assert_eq!(items[3].1, PROBLEM);
        assert_eq!(
            details,
            [
                "Screening tools: 5 of 5 ready",
                "Camera: Demo camera",
                "Barcode scanner: connected",
                "Receipt printer: not connected — check its cable",
                "Inference device: CPU (f32)",
            ]
        );
    }

    #[test]
    fn an_unavailable_tool_and_no_camera_are_problems() {
        let f = Facts {
            unavailable: vec![("Skin lesion".into(), "model file missing".into())],
            camera_connected: false,
            camera: "No camera connected".into(),
            devices: vec![],
            ..facts()
        };
        let (items, details) = lines(&f, Lang::En);
        assert_eq!(items[0], ("! 4/5 tools".to_string(), PROBLEM));
        assert_eq!(items[1], ("○ Camera".to_string(), PROBLEM));
        assert!(details.contains(&"Skin lesion: unavailable — model file missing".to_string()));
        let loading = lines(
            &Facts {
                ready: false,
                ..facts()
            },
            Lang::En,
        );
        assert_eq!(loading.0[0].0, "○ Getting ready");
        // The same line in Tamil: the words translated, the counts kept.
        let (ta, _) = lines(&f, Lang::Ta);
        assert!(
            ta[0].0.contains('4') && ta[0].0.contains('5'),
            "{:?}",
            ta[0]
        );
        assert_ne!(ta[1].0, "○ Camera");
    }

    #[test]
    fn the_line_in_hindi_keeps_its_counts_and_no_placeholder() {
        let starting = Facts {
            device: "starting".into(),
            ..facts()
        };
        let (en, en_details) = lines(&starting, Lang::En);
        let (hi, hi_details) = lines(&starting, Lang::Hi);
        assert_eq!(en[4].0, "starting");
        for (e, h) in en.iter().zip(&hi).take(4) {
            assert!(!h.0.contains("{}"), "{h:?}");
            // The icons stay; the words change.
            assert_eq!(e.0.chars().next(), h.0.chars().next());
            assert_ne!(e.0, h.0);
        }
        assert_ne!(hi[4].0, "starting", "the device before it is known");
        assert!(hi_details[0].contains('5'), "{hi_details:?}");
        for (e, h) in en_details.iter().zip(&hi_details) {
            assert!(!h.contains("{}"), "{h}");
            if e != "Camera: Demo camera" {
                assert_ne!(e, h);
            }
        }
    }
}
