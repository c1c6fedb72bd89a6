//! A full data disk and a read-only one, made for real with a small tmpfs
//! (the tests run as root): saving fails with the nurse's message, nothing
//! half-written is left, earlier records stay intact, and saving works again
//! once space is freed. A read-only disk still shows the history.

use super::support::*;
use onemed::records::{ImageData, RecordsError, Store, StoredRecord};

fn assert_intact(store: &Store, records: &[StoredRecord]) {
    store.integrity_check().unwrap();
    for r in records {
        assert_eq!(store.record(r.id).unwrap().as_ref(), Some(r));
        assert_eq!(sha256_hex(&store.read_image(r).unwrap()), r.image_sha256);
    }
}

fn temp_files(data: &std::path::Path) -> Vec<std::path::PathBuf> {
    files_under(&data.join("images"))
        .into_iter()
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".tmp-")
        })
        .collect()
}

#[test]
fn a_full_disk_refuses_the_save_keeps_history_and_recovers() {
    let fs = Tmpfs::mount("4m");
    let data = fs.path().join("data");
    let jpeg = std::fs::read(skin_jpeg()).unwrap();
    let mut store = Store::open(&data, &crate::common::protection()).unwrap();
    let visit = store.start_visit(&new_visit("FULL-1")).unwrap();
    let earlier: Vec<StoredRecord> = (0..3)
        .map(|_| store.save(&jpeg_record(visit, jpeg.clone())).unwrap())
        .collect();

    let filler = fs.fill();
    let err = store.save(&jpeg_record(visit, jpeg.clone())).unwrap_err();
    assert!(matches!(err, RecordsError::NoSpace), "{err:?}");
    assert!(err.to_string().contains("data disk is full"), "{err}");
    assert!(err.is_storage_fault());
    assert_eq!(
        files_under(&data.join("images")).len(),
        3,
        "a partial image was left"
    );
    assert_intact(&store, &earlier);
    assert_eq!(store.records_since(None).unwrap().len(), 3);

    // Room for a small image but not for the database's log: the row fails,
    // and the image written for it is removed again.
    let len = std::fs::metadata(&filler).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&filler)
        .unwrap()
        .set_len(len.saturating_sub(4096))
        .unwrap();
    let mut tiny = jpeg_record(visit, vec![0xff; 100]);
    tiny.image = ImageData::Encoded {
        bytes: vec![0xff; 100],
        ext: "bin".into(),
    };
    let err = store.save(&tiny).unwrap_err();
    assert!(matches!(err, RecordsError::NoSpace), "{err:?}");
    assert_eq!(
        files_under(&data.join("images")).len(),
        3,
        "the image of a failed row was kept"
    );
    // There was room for the image (so the database's write is what failed).
    let probe = fs.path().join("probe");
    std::fs::write(&probe, [0u8; 100]).expect("room for a small file");
    std::fs::remove_file(&probe).unwrap();
    assert!(temp_files(&data).is_empty());
    assert_intact(&store, &earlier);

    std::fs::remove_file(&filler).unwrap();
    let again = store.save(&jpeg_record(visit, jpeg.clone())).unwrap();
    assert_intact(&store, &[earlier.clone(), vec![again]].concat());
    drop(store);
    // A fresh open (as after a restart) sees the same.
    let store = Store::open(&data, &crate::common::protection()).unwrap();
    assert_intact(&store, &earlier);
    assert_eq!(store.records_since(None).unwrap().len(), 4);
}

#[test]
fn a_read_only_disk_shows_history_and_refuses_saves() {
    let fs = Tmpfs::mount("8m");
    let data = fs.path().join("data");
    let jpeg = std::fs::read(skin_jpeg()).unwrap();
    let earlier = {
        let mut store = Store::open(&data, &crate::common::protection()).unwrap();
        let v = store.start_visit(&new_visit("RO-1")).unwrap();
        let r = store.save(&jpeg_record(v, jpeg.clone())).unwrap();
        store
            .finish_visit(v, &no_referral(), "No referral")
            .unwrap();
        vec![r]
    };
    fs.remount("ro");
    let mut store = Store::open(&data, &crate::common::protection())
        .expect("a read-only disk still opens for viewing");
    assert!(store.is_read_only());
    assert_intact(&store, &earlier);
    let today = chrono::Local::now().date_naive();
    let visits = store.visits_on(today).unwrap();
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].referral.as_deref(), Some("No referral"));
    let err = store
        .save(&jpeg_record(earlier[0].visit, jpeg.clone()))
        .unwrap_err();
    assert!(matches!(err, RecordsError::ReadOnly), "{err:?}");
    assert!(err.to_string().contains("read-only"), "{err}");
    assert!(matches!(
        store.start_visit(&new_visit("RO-2")),
        Err(RecordsError::ReadOnly)
    ));
    drop(store);

    // Writable again: saving works again.
    fs.remount("rw");
    let mut store = Store::open(&data, &crate::common::protection()).unwrap();
    assert!(!store.is_read_only());
    store.save(&jpeg_record(earlier[0].visit, jpeg)).unwrap();
    assert_intact(&store, &earlier);
}

#[test]
fn a_disk_that_turns_read_only_under_an_open_store_refuses_saves() {
    // The image is written first, so a read-only disk fails before any row.
    let fs = Tmpfs::mount("8m");
    let data = fs.path().join("data");
    let jpeg = std::fs::read(skin_jpeg()).unwrap();
    let mut store = Store::open(&data, &crate::common::protection()).unwrap();
    let v = store.start_visit(&new_visit("RO-3")).unwrap();
    let first = store.save(&jpeg_record(v, jpeg.clone())).unwrap();
    // Make the images folder unwritable the way a failing disk does it for
    // one path: a read-only bind mount over it.
    let images = data.join("images");
    let p = images.to_str().unwrap();
    let ok = |args: &[&str]| {
        std::process::Command::new("mount")
            .args(args)
            .status()
            .unwrap()
            .success()
    };
    assert!(ok(&["--bind", p, p]), "this test needs root (mount --bind)");
    let guard = BindGuard(images.clone());
    assert!(
        ok(&["-o", "remount,bind,ro", p]),
        "this test needs root (remount ro)"
    );
    let err = store.save(&jpeg_record(v, jpeg)).unwrap_err();
    assert!(matches!(err, RecordsError::ReadOnly), "{err:?}");
    drop(guard);
    assert_intact(&store, &[first]);
}

struct BindGuard(std::path::PathBuf);

impl Drop for BindGuard {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}
