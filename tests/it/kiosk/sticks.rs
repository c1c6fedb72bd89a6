//! USB sticks on the real kiosk, with real FAT file systems: FAT32 images
//! (`mkfs.vfat`) mounted read-only below a stick folder as `make install`'s
//! udev rule mounts them, plugged and pulled while the import and export
//! screens are open. The kernel's vfat on a loop device where the kernel has
//! it; else (these VMs' kernels have no vfat) the same image through
//! `fusefat`, a FAT implementation in user space. Needs root (CI runs the
//! tests as root), dosfstools and fusefat (`make setup-system`).

use super::common::kiosk::*;
use crate::records::support::filled_store;
use onemed::admin::{pin, AdminFile, Overrides};
use onemed::kiosk::ui::Screen;
use onemed::kiosk::Kiosk;
use onemed::settings::Settings;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const PIN: &str = "246810";

fn sh(cmd: &mut Command) {
    let o = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e} (make setup-system installs dosfstools)"));
    assert!(
        o.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Whether this kernel mounts FAT itself (else `fusefat` does).
fn kernel_fat() -> bool {
    std::fs::read_to_string("/proc/filesystems").is_ok_and(|t| {
        t.lines()
            .any(|l| l.split_whitespace().last() == Some("vfat"))
    })
}

/// Mounts the FAT image `img` at `at`, read-only or writable.
fn mount_fat(img: &Path, at: &Path, writable: bool) {
    std::fs::create_dir_all(at).unwrap();
    if kernel_fat() {
        let mode = if writable { "rw" } else { "ro" };
        sh(Command::new("mount")
            .args(["-o", &format!("loop,{mode},nosuid,nodev,noexec")])
            .arg(img)
            .arg(at));
    } else {
        let mode = if writable { "rw+" } else { "ro" };
        sh(Command::new("fusefat")
            .args(["-o", &format!("{mode},nosuid,nodev,noexec")])
            .arg(img)
            .arg(at));
    }
}

/// A FAT32 stick image of `mb` MB labelled `label`, holding `files` (copied
/// in through a first writable mount).
fn stick_image(dir: &Path, label: &str, mb: u64, files: &[&str]) -> PathBuf {
    let img = dir.join(format!("{label}.img"));
    let f = std::fs::File::create(&img).unwrap();
    f.set_len(mb << 20).unwrap();
    sh(Command::new("mkfs.vfat")
        .args(["-F", "32", "-n", label])
        .arg(&img));
    if !files.is_empty() {
        let at = dir.join(format!("{label}-fill"));
        mount_fat(&img, &at, true);
        for rel in files {
            let src = crate::common::datasets_dir().join(rel);
            let name = Path::new(rel).file_name().unwrap();
            // Bytes only: fusefat has no chmod, which fs::copy calls.
            std::fs::write(at.join(name), std::fs::read(&src).unwrap()).unwrap();
        }
        sh(Command::new("umount").arg(&at));
    }
    img
}

/// The FAT image checked by `fsck.fat`: no error, nothing to repair.
fn assert_fat_clean(img: &Path) {
    let o = Command::new("fsck.vfat")
        .arg("-n")
        .arg(img)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "fsck.vfat: {out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A stick put in: the image mounted read-only at `at` (as the udev rule
/// does); pulled out (lazily unmounted, as systemd does when the device
/// goes) when dropped, unless already pulled.
struct Stick {
    at: PathBuf,
    mounted: bool,
}

impl Stick {
    fn plug(img: &Path, at: &Path) -> Stick {
        mount_fat(img, at, false);
        Stick {
            at: at.to_path_buf(),
            mounted: true,
        }
    }

    fn pull(&mut self) {
        sh(Command::new("umount").arg("-l").arg(&self.at));
        self.mounted = false;
    }
}

impl Drop for Stick {
    fn drop(&mut self) {
        if self.mounted {
            let _ = Command::new("umount").arg("-l").arg(&self.at).status();
        }
    }
}

/// Whether the mount at `at` is read-write now.
fn read_write(at: &Path) -> bool {
    let table = std::fs::read_to_string("/proc/self/mounts").unwrap();
    table
        .lines()
        .rev()
        .find(|l| l.split_whitespace().nth(1) == Some(at.to_str().unwrap()))
        .is_some_and(|l| {
            l.split_whitespace()
                .nth(3)
                .is_some_and(|o| o.split(',').any(|o| o == "rw"))
        })
}

/// Waits for `cond`, pumping the kiosk; fails past 2 s (the bound
/// for a stick to show or go).
fn within_2s(k: &Kiosk, what: &str, cond: impl Fn(&Kiosk) -> bool) -> Duration {
    wait_within(k, what, Duration::from_secs(2), cond)
}

fn roots(k: &Kiosk) -> Vec<String> {
    let m = ct_page(k).get_ct_roots();
    (0..slint::Model::row_count(&m))
        .filter_map(|i| slint::Model::row_data(&m, i).map(|s| s.to_string()))
        .collect()
}

fn export_roots(k: &Kiosk) -> Vec<String> {
    let m = admin_page(k).get_export_roots();
    (0..slint::Model::row_count(&m))
        .filter_map(|i| slint::Model::row_data(&m, i).map(|s| s.to_string()))
        .collect()
}

fn kiosk_with(
    media: &Path,
    data: &Path,
    write_command: Vec<String>,
    programme: Option<&crate::common::Programme>,
) -> std::rc::Rc<Kiosk> {
    let s = Settings {
        data_dir: data.to_path_buf(),
        usb_mounts: vec![media.to_path_buf()],
        usb_write_command: write_command,
        export_recipients: programme
            .map(|p| vec![p.public.clone()])
            .unwrap_or_default(),
        plain_export: programme.is_none(),
        ..settings("none", vec![], crate::common::models_dir())
    };
    start_signed_in(&s)
}

#[test]
fn a_stick_put_in_and_taken_out_shows_and_goes_on_the_open_import_screen() {
    let tmp = tempfile::tempdir().unwrap();
    let media = tmp.path().join("media");
    std::fs::create_dir_all(&media).unwrap();
    let img = stick_image(
        tmp.path(),
        "CTSCANS",
        40,
        &[
            "covid-ct/covid/2020.01.24.919183-p27-132.png",
            "dicom/CT_small.dcm",
        ],
    );
    let k = kiosk_with(&media, &data_dir(), vec![], None);
    begin_visit(&k, "COVID CT", "PAT-0101");
    assert_eq!(g(&k).get_screen(), Screen::CtImport);
    assert!(roots(&k).is_empty());
    assert_eq!(ct_page(&k).get_ct_folder(), "");

    // Put in while the screen is open: listed and opened, files and all.
    let mut stick = Stick::plug(&img, &media.join("sdb1"));
    let shown = within_2s(&k, "the stick listed", |k| roots(k).len() == 1);
    within_2s(&k, "its files listed", |k| {
        slint::Model::row_count(&ct_page(k).get_ct_slices()) == 2
    });
    assert_eq!(ct_page(&k).get_ct_folder(), "sdb1");
    shot(&k, "08c-ct-import-stick-put-in");
    eprintln!("stick shown {} ms after its mount", shown.as_millis());

    // Taken out: gone from the list, its files off the screen, and said.
    stick.pull();
    within_2s(&k, "the stick gone", |k| roots(k).is_empty());
    assert_eq!(ct_page(&k).get_ct_folder(), "");
    assert_eq!(slint::Model::row_count(&ct_page(&k).get_ct_slices()), 0);
    let said = g(&k).get_message().to_string();
    assert!(said.contains("sdb1 was taken out"), "{said}");
    shot(&k, "08d-ct-import-stick-taken-out");
    tap(&k, "OK");

    // Back in: listed again.
    let _again = Stick::plug(&img, &media.join("sdb1"));
    within_2s(&k, "the stick back", |k| roots(k).len() == 1);
}

/// Enters Admin with the site's PIN.
fn open_admin(k: &Kiosk) {
    tap(k, "Admin");
    wait(k, "the PIN pad", |k| {
        admin_page(k).get_pin_prompt() == "Enter the admin PIN"
    });
    type_keys(k, PIN);
    tap(k, "OK");
    wait(k, "the admin screen", |k| {
        g(k).get_screen() == Screen::Admin
    });
}

/// A data folder with `n` visits of two records each and an admin PIN.
fn data_with_records(n: usize) -> PathBuf {
    let d = data_dir();
    drop(filled_store(&d, n, 2));
    let o = Overrides {
        pin_hash: Some(pin::hash(PIN).unwrap()),
        ..Default::default()
    };
    AdminFile::in_dir(&d).save(&o).unwrap();
    d
}

fn unexported(data: &Path) -> usize {
    let store = crate::common::open_store(data);
    store
        .records_since(None)
        .unwrap()
        .iter()
        .filter(|r| r.exported_at.is_none())
        .count()
}

/// The test's stand-in for `stick-write` (which asks systemd, absent here):
/// the stick `img` mounted again, writable or read-only, done directly as
/// root. While `<dir>/pull` exists, the stick is pulled out (lazily
/// unmounted) as soon as the export's temp file shows on it: half-way.
fn remount_script(dir: &Path, img: &Path) -> Vec<String> {
    let script = dir.join("stick-write");
    let pull = dir.join("pull");
    let remount = if kernel_fat() {
        "mount -o \"remount,$1\" \"$2\" || exit 1".to_string()
    } else {
        format!(
            "umount \"$2\" || exit 1\n\
             if [ \"$1\" = rw ]; then m=rw+; else m=ro; fi\n\
             fusefat -o \"$m,nosuid,nodev,noexec\" '{}' \"$2\" >/dev/null 2>&1 || exit 1",
            img.display()
        )
    };
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n{remount}\n\
             if [ \"$1\" = rw ] && [ -e '{}' ]; then\n\
               ( for i in $(seq 2000); do\n\
                   if ls \"$2\"/.onemed-export-* >/dev/null 2>&1; then umount -l \"$2\"; exit; fi\n\
                   sleep 0.002\n\
                 done ) >/dev/null 2>&1 &\n\
             fi\n",
            pull.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    vec![script.display().to_string()]
}

#[test]
fn export_writes_a_read_only_stick_only_while_it_exports_and_a_pulled_stick_marks_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let media = tmp.path().join("media");
    std::fs::create_dir_all(&media).unwrap();
    let data = data_with_records(40);
    let img = stick_image(tmp.path(), "CAMP", 40, &[]);
    let programme = crate::common::Programme::new();
    let k = kiosk_with(
        &media,
        &data,
        remount_script(tmp.path(), &img),
        Some(&programme),
    );
    open_admin(&k);
    assert!(export_roots(&k).is_empty());

    // A stick put in while the admin screen is open is offered for export.
    let at = media.join("sdc1");
    let mut stick = Stick::plug(&img, &at);
    within_2s(&k, "the stick offered", |k| export_roots(k).len() == 1);
    let offered = export_roots(&k)[0].clone();
    assert!(offered.contains(at.to_str().unwrap()), "{offered}");
    assert!(!read_write(&at));

    // The stick was pulled out while the export was written: the export is
    // refused, and no record counts as exported.
    std::fs::write(tmp.path().join("pull"), b"").unwrap();
    tap(&k, &format!("Export to {offered}"));
    wait(&k, "the export's end", |k| {
        admin_page(k).get_admin_note().contains("export")
            && !admin_page(k).get_admin_note().ends_with("…")
    });
    let note = admin_page(&k).get_admin_note().to_string();
    assert!(
        note.contains("was taken out too soon. No record was marked exported"),
        "{note}"
    );
    shot(&k, "19c-admin-stick-pulled-while-exporting");
    assert_eq!(unexported(&data), 80, "{note}");
    stick.mounted = false;
    within_2s(&k, "the pulled stick gone", |k| export_roots(k).is_empty());

    // Put back: the export is written while the stick is writable, and it is
    // read-only again before the screen says it can be taken out.
    std::fs::remove_file(tmp.path().join("pull")).unwrap();
    let stick = Stick::plug(&img, &at);
    within_2s(&k, "the stick back", |k| export_roots(k).len() == 1);
    tap(&k, &format!("Export to {offered}"));
    wait(&k, "the export", |k| {
        admin_page(k).get_admin_note().starts_with("Exported")
    });
    let note = admin_page(&k).get_admin_note().to_string();
    assert!(note.contains("80 records"), "{note}");
    assert!(
        note.contains("The USB stick can be taken out now."),
        "{note}"
    );
    shot(&k, "19b-admin-exported-to-a-stick");
    assert!(!read_write(&at), "the stick is read-only again");
    assert_eq!(unexported(&data), 0);
    // (fusefat lists the volume label as a file: only exports count.)
    let out: Vec<PathBuf> = std::fs::read_dir(&at)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().contains("onemed"))
        .collect();
    assert_eq!(out.len(), 1, "one export, no temp left: {out:?}");
    let opened = programme.open(&out[0]);
    let csv = std::fs::read_to_string(opened.join("records.csv")).unwrap();
    assert_eq!(csv.lines().count(), 81, "a header and 80 rows");
    drop(stick);
    // Taken out, the stick's FAT is sound (fsck.fat finds nothing to repair).
    std::thread::sleep(Duration::from_millis(200));
    assert_fat_clean(&img);
}

#[test]
fn a_read_only_stick_without_a_write_command_is_refused_in_words() {
    let tmp = tempfile::tempdir().unwrap();
    let media = tmp.path().join("media");
    std::fs::create_dir_all(&media).unwrap();
    let data = data_with_records(1);
    let img = stick_image(tmp.path(), "LOCKED", 40, &[]);
    let at = media.join("sdd1");
    let _stick = Stick::plug(&img, &at);
    let before = std::fs::read_dir(&at).unwrap().count();
    let k = kiosk_with(&media, &data, vec![], None);
    open_admin(&k);
    let offered = export_roots(&k)[0].clone();
    tap(&k, &format!("Export to {offered}"));
    wait(&k, "the export's end", |k| {
        admin_page(k).get_admin_note().starts_with("Export failed")
    });
    let note = admin_page(&k).get_admin_note().to_string();
    assert!(note.contains("read-only"), "{note}");
    assert_eq!(unexported(&data), 2);
    assert_eq!(
        std::fs::read_dir(&at).unwrap().count(),
        before,
        "nothing left on it"
    );
}
