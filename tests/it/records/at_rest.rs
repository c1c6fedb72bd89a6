//! The register at rest, searched byte by byte as someone holding the disk
//! would: with the key, no patient ID and no picture is readable in any file
//! of the data folder; purge leaves nothing of a purged patient in any file
//! (shown on a plain register, where it would be visible); the key decides
//! what opens; and `onemed register encrypt` turns a plain register into an
//! encrypted one without losing a record.

use super::support::*;
use onemed::records::{Protection, RecordsError, RegisterKey, Store, DB_FILE};
use std::path::Path;

const SECRET_ID: &str = "PATIENT-SECRET-";

/// Files under `dir` whose bytes hold `needle`.
fn files_holding(dir: &Path, needle: &[u8]) -> Vec<String> {
    files_under(dir)
        .into_iter()
        .filter(|f| {
            std::fs::read(f)
                .map(|b| b.windows(needle.len()).any(|w| w == needle))
                .unwrap_or(false)
        })
        .map(|f| f.display().to_string())
        .collect()
}

/// Files under `dir` that start like a picture a viewer would open.
fn readable_pictures(dir: &Path) -> Vec<String> {
    files_under(dir)
        .into_iter()
        .filter(|f| {
            let b = std::fs::read(f).unwrap_or_default();
            b.starts_with(&[0xFF, 0xD8, 0xFF]) || b.starts_with(b"\x89PNG")
        })
        .map(|f| f.display().to_string())
        .collect()
}

fn mark_all_exported(store: &mut Store) {
    let ids: Vec<_> = store
        .records_since(None)
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    store.mark_exported(&ids, chrono::Utc::now()).unwrap();
}

#[test]
fn with_the_key_no_file_shows_a_patient_id_or_a_picture() {
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data");
    let mut store = filled_store_as(&data, 3, 2, &crate::common::protection(), SECRET_ID);
    // Both while the register is open (WAL in use) and after.
    assert_eq!(
        files_holding(&data, SECRET_ID.as_bytes()),
        Vec::<String>::new()
    );
    assert_eq!(readable_pictures(&data), Vec::<String>::new());
    let head = std::fs::read(data.join(DB_FILE)).unwrap();
    assert!(
        !head.starts_with(b"SQLite format 3"),
        "the database is plain"
    );
    // The store itself reads them back as taken.
    for r in store.records_since(None).unwrap() {
        let img = store.read_image(&r).unwrap();
        assert_eq!(sha256_hex(&img), r.image_sha256);
        assert!(img.starts_with(&[0xFF, 0xD8, 0xFF]));
        assert!(r.patient_id.starts_with(SECRET_ID));
    }
    mark_all_exported(&mut store);
    store.purge_exported().unwrap();
    drop(store);
    assert_eq!(
        files_holding(&data, SECRET_ID.as_bytes()),
        Vec::<String>::new()
    );
    assert_eq!(readable_pictures(&data), Vec::<String>::new());
}

#[test]
fn purge_leaves_nothing_of_a_purged_patient_in_any_file() {
    // A plain register (development), where a left-over row would be visible.
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data");
    let mut store = filled_store_as(&data, 2, 2, &Protection::Plain, SECRET_ID);
    assert!(
        !files_holding(&data, SECRET_ID.as_bytes()).is_empty(),
        "a plain register shows the IDs (else this test proves nothing)"
    );
    assert_eq!(readable_pictures(&data).len(), 4);
    mark_all_exported(&mut store);
    let purged = store.purge_exported().unwrap();
    assert_eq!((purged.records, purged.visits), (4, 2));
    // Still open: the write-ahead log and the freed pages are checked too.
    assert_eq!(
        files_holding(&data, SECRET_ID.as_bytes()),
        Vec::<String>::new(),
        "a purged patient ID is still in the data folder"
    );
    assert_eq!(readable_pictures(&data), Vec::<String>::new());
    // The register goes on working.
    let v = store.start_visit(&new_visit("P-NEXT")).unwrap();
    store
        .save(&jpeg_record(v, std::fs::read(skin_jpeg()).unwrap()))
        .unwrap();
}

#[test]
fn the_key_decides_what_opens_and_nothing_is_changed_on_refusal() {
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data");
    let key = crate::common::protection();
    let store = filled_store_as(&data, 1, 2, &key, SECRET_ID);
    let records = store.records_since(None).unwrap();
    drop(store);
    let db = data.join(DB_FILE);
    let before = std::fs::read(&db).unwrap();

    let other = Protection::Encrypted(RegisterKey::from_secret(&[0x5A; 32]).unwrap());
    let e = Store::open(&data, &other).err().unwrap();
    assert!(matches!(e, RecordsError::WrongKey), "{e:?}");
    let e = Store::open(&data, &Protection::Plain).err().unwrap();
    assert!(matches!(e, RecordsError::EncryptedNoKey), "{e:?}");
    assert!(e.to_string().contains("no key"), "{e}");
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "a refusal changed the file"
    );

    // One record's picture put in place of another's does not open.
    let mut store = Store::open(&data, &key).unwrap();
    let other_picture = std::fs::read(crate::common::datasets_dir().join("eye/cataract/C_(1).jpg"));
    let b = store
        .save(&jpeg_record(records[0].visit, other_picture.unwrap()))
        .unwrap();
    let a = &records[0];
    assert_ne!(a.image_sha256, b.image_sha256);
    std::fs::copy(store.image_path(a), store.image_path(&b)).unwrap();
    assert!(store.read_image(a).is_ok());
    let e = store.read_image(&b).unwrap_err();
    assert!(matches!(e, RecordsError::Corrupt(_)), "{e:?}");

    // A plain register is never opened with a key in its place.
    let plain = d.path().join("plain");
    drop(filled_store_as(&plain, 1, 1, &Protection::Plain, "P-"));
    let e = Store::open(&plain, &key).err().unwrap();
    assert!(matches!(e, RecordsError::NotEncrypted(_)), "{e:?}");
    assert!(e.to_string().contains("onemed register encrypt"), "{e}");
}

#[test]
fn without_a_key_nothing_is_recorded_unless_settings_allow_a_plain_register() {
    use onemed::settings::Settings;
    let no_key = Settings {
        credentials_dir: None,
        ..Settings::default()
    };
    assert!(matches!(
        Protection::from_settings(&no_key),
        Err(RecordsError::NoKey)
    ));
    let dev = Settings {
        unencrypted_register: true,
        ..no_key.clone()
    };
    assert!(matches!(
        Protection::from_settings(&dev),
        Ok(Protection::Plain)
    ));
    // A key present wins over the development setting.
    let with_key = Settings {
        credentials_dir: Some(crate::common::credentials()),
        ..dev
    };
    assert!(Protection::from_settings(&with_key).unwrap().is_encrypted());
    // A short key file is refused, not used.
    let bad = tempfile::tempdir().unwrap();
    std::fs::write(bad.path().join("register-key"), b"1234").unwrap();
    let e = Protection::from_settings(&Settings {
        credentials_dir: Some(bad.path().to_path_buf()),
        ..no_key
    })
    .unwrap_err();
    assert!(matches!(e, RecordsError::BadKey(_)), "{e:?}");
}

#[test]
fn onemed_register_encrypt_keeps_every_record_and_leaves_no_plain_byte() {
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data");
    let store = filled_store_as(&data, 2, 2, &Protection::Plain, SECRET_ID);
    let before = store.records_since(None).unwrap();
    drop(store);
    assert!(!files_holding(&data, SECRET_ID.as_bytes()).is_empty());
    let data_s = data.to_str().unwrap();

    let out = crate::common::onemed(&["register", "encrypt", "--data", data_s]);
    assert!(out.status.success(), "{}", crate::common::text(&out.stderr));
    let said = crate::common::text(&out.stdout);
    assert!(
        said.contains("4 pictures sealed") && said.contains("The plain database was overwritten"),
        "{said}"
    );
    assert_eq!(
        files_holding(&data, SECRET_ID.as_bytes()),
        Vec::<String>::new()
    );
    assert_eq!(readable_pictures(&data), Vec::<String>::new());
    let leftovers: Vec<_> = files_under(&data)
        .into_iter()
        .filter(|f| {
            let n = f.file_name().unwrap().to_string_lossy();
            n.contains(".plain") || n.contains(".encrypting") || n.contains(".sealing")
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let store = crate::common::open_store(&data);
    let after = store.records_since(None).unwrap();
    assert_eq!(after.len(), before.len());
    for (a, b) in after.iter().zip(&before) {
        assert_eq!(
            (a.id, &a.patient_id, &a.image_sha256),
            (b.id, &b.patient_id, &b.image_sha256)
        );
        assert_eq!(sha256_hex(&store.read_image(a).unwrap()), a.image_sha256);
    }
    drop(store);

    // Again: nothing to do. Without a key: refused with the way to give one.
    let again = crate::common::onemed(&["register", "encrypt", "--data", data_s]);
    assert!(crate::common::text(&again.stdout).contains("already encrypted"));
    let no_key = std::process::Command::new(env!("CARGO_BIN_EXE_onemed"))
        .args(["register", "encrypt", "--data", data_s])
        .env_remove("CREDENTIALS_DIRECTORY")
        .env_remove("ONEMED_CONFIG")
        .output()
        .unwrap();
    assert_eq!(no_key.status.code(), Some(2));
    assert!(
        crate::common::text(&no_key.stderr).contains("no register key"),
        "{}",
        crate::common::text(&no_key.stderr)
    );
}
