//! A whole patient visit on the kiosk with real devices: the patient ID from a
//! barcode scanner, captures by a foot-pedal trigger, both eyes with two
//! tools, the slip on an ESC/POS printer, history, reprint and export, all
//! against real SQLite and real pseudo-terminals from `socat`. Also the
//! admin PIN with its lockout, and a full or read-only data disk.

use crate::common;
use crate::common::kiosk::*;
use onemed::admin::{AdminFile, Overrides};
use onemed::kiosk::ui::{HistoryPage, OutcomeKind, Screen};
use onemed::kiosk::Kiosk;
use onemed::records::Store;
use onemed::settings::{PortSettings, PrinterSettings, SerialSettings, Settings, TriggerSettings};
use serialport::SerialPort;
use sha2::{Digest, Sha256};
use slint::{ComponentHandle, Model};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A socat pty pair: the kiosk opens `dev`, the test plays the device on `peer`.
struct Pty {
    child: Child,
    dev: PathBuf,
    peer: Box<dyn SerialPort>,
}

impl Pty {
    fn new(dir: &Path, name: &str) -> Pty {
        let dev = dir.join(format!("{name}-dev"));
        let peer = dir.join(format!("{name}-peer"));
        let child = crate::common::pty_pair(&dev, &peer);
        let peer = serialport::new(peer.to_string_lossy(), 9600)
            .timeout(Duration::from_millis(100))
            .open()
            .expect("peer opens");
        Pty { child, dev, peer }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.peer.write_all(bytes).unwrap();
        self.peer.flush().unwrap();
    }

    /// Reads what the kiosk wrote until `end` has arrived, pumping the UI.
    fn read_until(&mut self, k: &Kiosk, end: &[u8]) -> Vec<u8> {
        let mut got = Vec::new();
        let t0 = Instant::now();
        let mut buf = [0u8; 4096];
        while !got.windows(end.len()).any(|w| w == end) {
            k.pump();
            match self.peer.read(&mut buf) {
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(e) => panic!("printer peer: {e}"),
            }
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "printer got only {got:?}"
            );
        }
        got
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const CUT: &[u8] = &[0x1d, 0x56];

fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn sha256_hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// A recorded result for this eye; after the right eye, on to the left.
fn result_then_next_eye(k: &Kiosk, eye: &str) {
    wait(k, "the result", |k| g(k).get_screen() == Screen::Result);
    assert_ne!(
        capture_page(k).get_outcome(),
        OutcomeKind::Error,
        "{}",
        capture_page(k).get_advice()
    );
    assert!(
        capture_page(k).get_trace().contains("record"),
        "saved before shown"
    );
    if eye == "right" {
        assert!(capture_page(k).get_next_eye_pending());
        tap(k, "Now the left eye");
    }
}

#[test]
fn a_whole_visit_with_scanner_trigger_printer_history_and_export() {
    let ptys = tempfile::tempdir().unwrap();
    let mut scanner = Pty::new(ptys.path(), "scanner");
    let mut trigger = Pty::new(ptys.path(), "trigger");
    let mut printer = Pty::new(ptys.path(), "printer");
    let fundus = folder_of(&["eye/diabetic-retinopathy/02_dr.JPG"]);
    let eyes = folder_of(&["eye/cataract/C_(1).jpg"]);
    let stick = tempfile::tempdir().unwrap();
    let programme = common::Programme::new();
    let settings = Settings {
        export_recipients: vec![programme.public.clone()],
        serial: SerialSettings {
            trigger: Some(TriggerSettings {
                port: trigger.dev.clone(),
                baud: 9600,
                matches: "byte:0x20".into(),
            }),
            scanner: Some(PortSettings {
                port: scanner.dev.clone(),
                baud: 9600,
            }),
            printer: Some(PrinterSettings {
                port: printer.dev.clone(),
                baud: 9600,
                width: 32,
                dots: None,
            }),
        },
        ..settings(
            &format!("replay:{}?fps=30", fundus.path().display()),
            vec![eyes.path().to_path_buf(), stick.path().to_path_buf()],
            common::models_dir(),
        )
    };
    // The site's admin PIN, set before the kiosk's first visit.
    let pin = Overrides {
        pin_hash: Some(onemed::admin::pin::hash("246802").unwrap()),
        ..Default::default()
    };
    AdminFile::in_dir(&settings.data_dir).save(&pin).unwrap();
    let k = start_signed_in(&settings);
    wait(&k, "all three devices connected", |k| {
        let s = home_page(k).get_status_devices().to_string();
        s.matches('●').count() == 3
    });
    shot(&k, "15-home-with-devices");

    // The patient ID comes from the scanner.
    scanner.send(b"PAT-0042\r\n");
    wait(&k, "the scanned ID", |k| {
        visit_page(k).get_entry_id() == "PAT-0042"
    });
    assert_eq!(g(&k).get_screen(), Screen::VisitStart);
    tap(&k, "Start screening");
    wait(&k, "the visit", |k| g(k).get_in_visit());
    assert_eq!(g(&k).get_screen(), Screen::Home);

    // Diabetic retinopathy, both eyes, each captured by the foot pedal.
    tap(&k, "Diabetic retinopathy");
    assert_eq!(g(&k).get_screen(), Screen::Capture);
    for eye in ["right", "left"] {
        assert_eq!(capture_page(&k).get_eye_left(), eye == "left");
        // The camera rests off the capture screen: the nurse frames the
        // eye in the live preview, then presses the pedal.
        wait_live_preview(&k);
        trigger.send(b" ");
        wait(&k, "the pedal's capture", |k| {
            g(k).get_screen() == Screen::Review
        });
        tap(&k, "Analyse");
        result_then_next_eye(&k, eye);
    }
    assert!(!capture_page(&k).get_next_eye_pending(), "both eyes done");

    // Cataract, both eyes, from imported pictures.
    tap(&k, "Another tool");
    tap(&k, "Cataract");
    for eye in ["right", "left"] {
        assert_eq!(capture_page(&k).get_eye_left(), eye == "left");
        tap(&k, "Import image");
        tap(&k, &eyes.path().file_name().unwrap().to_string_lossy());
        wait(&k, "the file", |k| {
            ct_page(k).get_ct_slices().row_count() == 1
        });
        wait(&k, "the file checked", |k| {
            ct_page(k).get_ct_candidate_count() == 1
        });
        tap(&k, "C_(1).jpg");
        // An imported picture is reviewed first, like a camera still.
        wait(&k, "the review", |k| g(k).get_screen() == Screen::Review);
        tap(&k, "Analyse");
        result_then_next_eye(&k, eye);
    }
    tap(&k, "Finish visit");
    assert_eq!(g(&k).get_screen(), Screen::VisitSummary);
    let lines: Vec<String> = (0..visit_page(&k).get_visit_lines().row_count())
        .filter_map(|i| visit_page(&k).get_visit_lines().row_data(i))
        .map(|l| l.label.to_string())
        .collect();
    assert_eq!(
        lines,
        [
            "Diabetic retinopathy, right eye",
            "Diabetic retinopathy, left eye",
            "Cataract, right eye",
            "Cataract, left eye"
        ]
    );
    let referral = visit_page(&k).get_referral_line().to_string();
    assert!(
        referral.starts_with("REFER") || referral.starts_with("No referral"),
        "{referral}"
    );
    shot(&k, "16-visit-summary-four-results");

    // The slip, on the printer.
    tap(&k, "Print slip");
    let slip = printer.read_until(&k, CUT);
    assert_eq!(&slip[..2], &[0x1b, b'@'], "ESC @ first");
    let text = text_of(&slip);
    for want in [
        "Patient: PAT-0042",
        "Kiosk: test-kiosk",
        "Diabetic retinopathy, right eye:",
        "Diabetic retinopathy, left eye:",
        "Cataract, right eye:",
        "Cataract, left eye:",
        "Assistive screening, not a",
    ] {
        assert!(text.contains(want), "{want:?} not printed in {text:?}");
    }
    assert!(
        text.contains(&referral[..20]),
        "the referral line is printed: {text:?}"
    );
    wait(&k, "printed", |k| {
        visit_page(k).get_print_status().starts_with("Printed")
    });
    tap(&k, "Next patient");
    assert!(!g(&k).get_in_visit());

    // History: today's visit, its records, what was printed; reprint.
    tap(&k, "History");
    wait(&k, "today's visits", |k| {
        history_page(k).get_history_rows().row_count() == 1
    });
    let row = history_page(&k).get_history_rows().row_data(0).unwrap();
    assert_eq!(row.patient, "PAT-0042");
    assert_eq!(row.count, 4);
    shot(&k, "17-history");
    tap(&k, &format!("Visit PAT-0042 {}", row.time));
    wait(&k, "the visit", |k| {
        g(k).get_screen() == Screen::VisitDetail
    });
    assert_eq!(history_page(&k).get_detail_records().row_count(), 4);
    assert!(
        history_page(&k)
            .get_detail_slip()
            .contains("Patient: PAT-0042"),
        "{}",
        history_page(&k).get_detail_slip()
    );
    wait(&k, "the saved picture", |k| {
        history_page(k).get_detail_image().size().width > 0
    });
    shot(&k, "18-history-visit");
    tap(&k, "Reprint slip");
    let copy = text_of(&printer.read_until(&k, CUT));
    assert!(
        copy.contains("COPY (reprint)") && copy.contains("Patient: PAT-0042"),
        "{copy}"
    );
    wait(&k, "the reprint's note", |k| {
        g(k).get_message().starts_with("Slip reprinted")
    });
    tap(&k, "OK");
    // The visit shows the reprint at once: its count and the text printed.
    fn view(k: &Kiosk) -> HistoryPage<'_> {
        k.window().global::<HistoryPage>()
    }
    assert_eq!(view(&k).get_printed_note(), "printed 2 times");
    assert!(
        history_page(&k)
            .get_detail_slip()
            .contains("COPY (reprint)"),
        "{}",
        history_page(&k).get_detail_slip()
    );
    // A copy of a copy: headed once, the same text.
    tap(&k, "Reprint slip");
    let again = text_of(&printer.read_until(&k, CUT));
    assert_eq!(again.matches("COPY (reprint)").count(), 1, "{again}");
    assert!(again.contains("Patient: PAT-0042"), "{again}");
    wait(&k, "the second reprint's note", |k| {
        g(k).get_message().starts_with("Slip reprinted")
    });
    tap(&k, "OK");
    assert_eq!(view(&k).get_printed_note(), "printed 3 times");
    // The list was read again from the register after the reprint.
    wait(&k, "the list to show the reprints", |k| {
        view(k).get_row_printed().row_data(0).unwrap_or_default() == "printed 3 times"
    });
    shot(&k, "18-history-visit-reprinted");

    // The register on disk: four records, each with its image file.
    let store = Store::open(&settings.data_dir, &crate::common::protection()).unwrap();
    store.integrity_check().unwrap();
    let recs = store.records_since(None).unwrap();
    assert_eq!(recs.len(), 4);
    for r in &recs {
        assert_eq!(r.patient_id, "PAT-0042");
        let bytes = store.read_image(r).unwrap();
        assert_eq!(sha256_hex(&bytes), r.image_sha256);
    }
    assert_eq!(recs.iter().filter(|r| r.eye.is_some()).count(), 4);
    drop(store);

    // Export to the "USB stick", from the admin screen (behind the site's PIN:
    // a kiosk with records never offers to choose a first one).
    tap(&k, "‹ Back");
    tap(&k, "‹ Back");
    tap(&k, "Admin");
    assert_eq!(g(&k).get_screen(), Screen::AdminPin);
    enter_pin(&k, "246802");
    shot(&k, "19-admin");
    tap(&k, &format!("Export to {}", stick.path().display()));
    wait(&k, "the export", |k| {
        admin_page(k).get_admin_note().starts_with("Exported")
    });
    let note = admin_page(&k).get_admin_note().to_string();
    assert!(note.contains("4 records"), "{note}");
    let out: Vec<PathBuf> = std::fs::read_dir(stick.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(out.len(), 1, "one export file, no temp left: {out:?}");
    assert!(note.contains("encrypted to the programme's key"), "{note}");
    let sealed = std::fs::read(&out[0]).unwrap();
    assert!(!sealed.windows(8).any(|w| w == b"PAT-0042"));
    let opened = programme.open(&out[0]);
    let csv = std::fs::read_to_string(opened.join("records.csv")).unwrap();
    assert_eq!(csv.lines().count(), 5, "a header and four rows");
    assert_eq!(files_under(&opened.join("images")).len(), 4);
}

#[test]
fn admin_pin_is_hashed_and_five_wrong_lock_it() {
    // A fresh kiosk: no nurses yet (they are added behind the admin PIN).
    let k = start_settings(&settings("none", vec![], common::models_dir()));
    tap(&k, "Admin");
    wait(&k, "the offer to choose a PIN", |k| {
        admin_page(k).get_pin_prompt() == "Choose a new admin PIN"
    });
    shot(&k, "20-admin-pin-first");
    set_first_pin(&k, "135790");
    let file = std::fs::read_to_string(k_data(&k).join("admin.toml")).unwrap();
    assert!(
        file.contains("$argon2id$") && !file.contains("135790"),
        "{file}"
    );

    // A margin can go down to 0.30 and no further, and is saved.
    let before = admin_page(&k).get_admin_margins().row_data(0).unwrap();
    for _ in 0..20 {
        admin_page(&k).invoke_admin_margin(0, -0.05);
    }
    assert!(
        (admin_page(&k)
            .get_admin_margins()
            .row_data(0)
            .unwrap()
            .value
            - 0.3)
            .abs()
            < 1e-6
    );
    tap(&k, "Save and apply");
    wait(&k, "saved", |k| {
        admin_page(k).get_admin_note().starts_with("Saved")
    });
    let file = std::fs::read_to_string(k_data(&k).join("admin.toml")).unwrap();
    assert!(file.contains(&format!("{} = 0.3", before.tool)), "{file}");
    wait(&k, "the engine again", |k| k.is_ready());

    // Five wrong PINs: locked, even for the right one.
    tap(&k, "‹ Back");
    tap(&k, "Admin");
    wait(&k, "the PIN pad", |k| {
        admin_page(k).get_pin_prompt() == "Enter the admin PIN"
    });
    for i in 1..=5 {
        admin_page(&k).set_pin_error("".into());
        type_keys(&k, "000000");
        tap(&k, "OK");
        wait(&k, "the answer", |k| {
            admin_page(k).get_pin_error().starts_with("Wrong PIN")
        });
        if i < 5 {
            let left = match 5 - i {
                1 => "1 wrong PIN left".to_string(),
                n => format!("{n} wrong PINs left"),
            };
            assert!(
                admin_page(&k).get_pin_error().contains(&left),
                "{}",
                admin_page(&k).get_pin_error()
            );
        }
    }
    assert!(
        admin_page(&k)
            .get_pin_error()
            .contains("Admin is locked for 1 more minute"),
        "{}",
        admin_page(&k).get_pin_error()
    );
    type_keys(&k, "135790");
    tap(&k, "OK");
    wait(&k, "the answer", |k| {
        admin_page(k)
            .get_pin_error()
            .starts_with("Too many wrong PINs")
    });
    assert_eq!(g(&k).get_screen(), Screen::AdminPin);
}

/// On the PIN pad: enters the PIN and waits for the admin screen.
fn enter_pin(k: &Kiosk, pin: &str) {
    wait(k, "the PIN pad", |k| {
        admin_page(k).get_pin_prompt() == "Enter the admin PIN"
    });
    type_keys(k, pin);
    tap(k, "OK");
    wait(k, "the admin screen", |k| {
        g(k).get_screen() == Screen::Admin
    });
}

/// A small tmpfs, unmounted on drop (the tests run as root, as CI does).
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn new(size: &str) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap().keep();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "mounting a tmpfs needs root: run the tests as root (CI does)"
        );
        Tmpfs(dir)
    }

    fn remount(&self, mode: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,{mode}")])
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "remount {mode}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn analyse_once(k: &Kiosk) {
    wait_live_preview(k);
    tap(k, "Capture");
    wait(k, "review", |k| g(k).get_screen() == Screen::Review);
    tap(k, "Analyse");
    wait(k, "the answer", |k| g(k).get_screen() == Screen::Result);
}

#[test]
fn a_full_or_read_only_disk_shows_no_unrecorded_result_and_loses_nothing() {
    let disk = Tmpfs::new("24m");
    let skin = folder_of(&["skin-lesion/malignant/6.jpg"]);
    let settings = Settings {
        data_dir: disk.0.join("onemed"),
        ..settings(
            &format!("replay:{}?fps=30", skin.path().display()),
            vec![],
            common::models_dir(),
        )
    };
    let k = start_signed_in(&settings);
    begin_visit(&k, "Skin lesion", "PAT-0050");
    wait(&k, "camera", |k| capture_page(k).get_camera_connected());
    analyse_once(&k);
    assert_eq!(
        capture_page(&k).get_outcome(),
        OutcomeKind::Refer,
        "{}",
        capture_page(&k).get_advice()
    );
    let shown_headline = capture_page(&k).get_headline().to_string();

    // Disk full: the result is not shown, and the home screen says why.
    let filler = disk.0.join("filler");
    let _ = std::fs::write(&filler, vec![0u8; 64 << 20]);
    tap(&k, "Finish visit");
    tap(&k, "‹ Back");
    tap(&k, "Skin lesion");
    analyse_once(&k);
    assert_eq!(capture_page(&k).get_outcome(), OutcomeKind::Error);
    assert_eq!(
        capture_page(&k).get_headline(),
        "Not recorded — result not shown"
    );
    assert!(
        capture_page(&k)
            .get_advice()
            .to_lowercase()
            .contains("full"),
        "{}",
        capture_page(&k).get_advice()
    );
    assert_ne!(capture_page(&k).get_headline(), shown_headline.as_str());
    shot(&k, "22-result-not-recorded-disk-full");
    tap(&k, "Finish visit");
    tap(&k, "‹ Back");
    assert!(!home_page(&k).get_register_ok());
    shot(&k, "23-home-register-fault");

    // Space again: recording works and the fault clears.
    std::fs::remove_file(&filler).unwrap();
    tap(&k, "Skin lesion");
    analyse_once(&k);
    assert_eq!(capture_page(&k).get_outcome(), OutcomeKind::Refer);
    assert!(home_page(&k).get_register_ok());

    // Nothing already saved was damaged: the two shown results are there.
    drop(k);
    let store = Store::open(&settings.data_dir, &crate::common::protection()).unwrap();
    store.integrity_check().unwrap();
    let recs = store.records_since(None).unwrap();
    assert_eq!(recs.len(), 2, "exactly the results that were shown");
    for r in &recs {
        assert_eq!(sha256_hex(&store.read_image(r).unwrap()), r.image_sha256);
    }
    drop(store);

    // The kiosk starts on a read-only disk: history can be read, but no visit
    // can start, so nothing can be screened unrecorded.
    disk.remount("ro");
    let k = start_signed_in(&settings);
    wait(&k, "the register's state", |k| {
        home_page(k).get_status_register() != "Register: opening…"
    });
    tap(&k, "Skin lesion");
    type_keys(&k, "PAT-0051");
    tap(&k, "Start screening");
    wait(&k, "a message", |k| !g(k).get_message().is_empty());
    let msg = g(&k).get_message().to_lowercase();
    assert!(
        msg.contains("could not be started") && msg.contains("read-only"),
        "{msg}"
    );
    assert!(!g(&k).get_in_visit());
    shot(&k, "24-visit-refused-read-only");
    tap(&k, "OK");
    tap(&k, "‹ Back");
    tap(&k, "History");
    wait(&k, "today's visits", |k| {
        history_page(k).get_history_rows().row_count() >= 1
    });
    drop(k);
    disk.remount("rw");
}
