//! The screening register on real SQLite and real files: every field saved
//! and read back, migrations, a newer schema left alone, private image files
//! whose sha256 matches, search, purge, the worker thread, and how long a
//! save takes. The kill test and the full / read-only disk tests live in
//! `tests/torture.rs` and `records/faults.rs`.

use crate::common;
mod at_rest;
mod faults;
pub(crate) mod support;

use onemed::records::schema::{MIGRATIONS, SCHEMA_VERSION};
use onemed::records::{Eye, ImageData, RecordsError, Sex, Store, DB_FILE};
use onemed::workers::store::{StoreEvent, StoreWorker};
use std::os::unix::fs::PermissionsExt;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use support::*;

fn mode(p: &std::path::Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// A 1920x1080 camera-like frame: the centre of a real fundus photo.
fn camera_frame() -> onemed::frame::RgbFrame {
    let bytes = std::fs::read(sample("eye/diabetic-retinopathy/02_dr.JPG")).unwrap();
    let (_, big) = onemed::decode::decode(&bytes, &onemed::decode::Limits::default()).unwrap();
    let (w, h) = (1920, 1080);
    let (x0, y0) = ((big.width() - w) / 2, (big.height() - h) / 2);
    let mut data = Vec::with_capacity(w * h * 3);
    for y in y0..y0 + h {
        data.extend_from_slice(&big.row(y)[x0 * 3..(x0 + w) * 3]);
    }
    onemed::frame::RgbFrame::new(w, h, data).unwrap()
}

#[test]
fn every_field_is_saved_and_read_back() {
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data");
    let jpeg = std::fs::read(skin_jpeg()).unwrap();
    let a = analysis();
    let (saved, frame_saved, frame) = {
        let mut store = Store::open(&data, &crate::common::protection()).unwrap();
        let visit = store.start_visit(&new_visit("MRN-0042")).unwrap();
        let mut rec = jpeg_record(visit, jpeg.clone());
        rec.eye = Some(Eye::Left);
        let saved = store.save(&rec).unwrap();
        let frame = Arc::new(camera_frame());
        let mut cam = jpeg_record(visit, Vec::new());
        cam.image = ImageData::Frame(frame.clone());
        cam.source = "camera".into();
        cam.eye = Some(Eye::Right);
        cam.shown.kind = onemed::screening::ResultKind::Refer;
        let frame_saved = store.save(&cam).unwrap();
        (saved, frame_saved, frame)
    };
    // Read back after closing and reopening: what is on disk, not a cache.
    let store = Store::open(&data, &crate::common::protection()).unwrap();
    let back = store.record(saved.id).unwrap().unwrap();
    assert_eq!(back, saved);
    assert_eq!(back.kiosk_id, "camp-kiosk-1");
    assert_eq!(back.operator, "nurse-amina");
    assert_eq!(back.patient_id, "MRN-0042");
    assert_eq!(back.eye, Some(Eye::Left));
    assert_eq!(back.source, "import:25.jpg");
    assert_eq!(back.tool, a.tool);
    assert_eq!(back.model_id, a.tool);
    assert_eq!(back.model_version, a.model_version);
    assert_eq!(back.model_sha256, a.model_sha256);
    assert_eq!(back.device, a.device);
    assert_eq!(back.precision, a.precision);
    assert_eq!(back.probabilities, a.probabilities);
    assert_eq!(back.outcome, a.outcome);
    assert_eq!(back.class, a.class);
    assert_eq!(back.refer, a.refer);
    assert_eq!(back.confidence, a.confidence);
    assert_eq!(back.margin, a.margin);
    assert_eq!(back.reason_code, a.reason_code);
    assert_eq!(back.reason, a.reason);
    assert_eq!(
        (back.shown_kind.code(), &back.headline, &back.advice),
        ("clear", &a.headline, &a.advice)
    );
    assert_eq!(back.input_sha256, a.input_sha256);
    assert_eq!((back.width, back.height), (a.width, a.height));
    assert_eq!(back.quality, a.quality);
    assert_eq!(back.timings_ms, a.timings_ms);
    assert_eq!(back.exported_at, None);
    assert!(chrono::DateTime::parse_from_rfc3339(&back.time_utc).is_ok());
    assert!(chrono::DateTime::parse_from_rfc3339(&back.time_local).is_ok());
    assert!(back.time_utc.ends_with('Z'));
    // The original bytes, sealed on disk, private, under their hash.
    let path = store.image_path(&back);
    let on_disk = std::fs::read(&path).unwrap();
    assert!(on_disk.starts_with(onemed::records::sealed::MAGIC));
    assert_eq!(
        on_disk.len(),
        jpeg.len() + onemed::records::sealed::OVERHEAD
    );
    assert_eq!(store.read_image(&back).unwrap(), jpeg);
    assert_eq!(back.image_sha256, sha256_hex(&jpeg));
    assert_eq!(back.image_bytes, jpeg.len() as u64);
    assert!(back.image_file.starts_with("images/"));
    assert!(back.image_file.ends_with(&format!(
        "-v{}-{}.jpg",
        back.visit,
        &back.image_sha256[..12]
    )));
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("images")), 0o700);
    // An uncompressed camera frame is a lossless WebP of exactly the frame.
    let fb = store.record(frame_saved.id).unwrap().unwrap();
    assert_eq!(fb, frame_saved);
    assert!(fb.image_file.ends_with(".webp"), "{}", fb.image_file);
    assert_eq!(sha256_hex(&store.read_image(&fb).unwrap()), fb.image_sha256);
    let webp = image::load_from_memory(&store.read_image(&fb).unwrap())
        .unwrap()
        .to_rgb8();
    assert_eq!((webp.width(), webp.height()), (1920, 1080));
    assert!(
        webp.as_raw() == frame.data(),
        "WebP pixels differ from the frame"
    );
    // The visit holds both, oldest first.
    let v = store.visit(saved.visit).unwrap().unwrap();
    assert_eq!(v.records, vec![saved, frame_saved]);
    assert_eq!(
        (v.visit.age, v.visit.sex, v.visit.record_count),
        (Some(54), Some(Sex::Female), 2)
    );
    store.integrity_check().unwrap();
}

#[test]
fn bad_requests_leave_nothing_behind() {
    let d = tempfile::tempdir().unwrap();
    let mut store = Store::open(d.path(), &crate::common::protection()).unwrap();
    let jpeg = std::fs::read(skin_jpeg()).unwrap();
    assert!(matches!(
        store.save(&jpeg_record(999, jpeg.clone())),
        Err(RecordsError::NotFound)
    ));
    let v = store.start_visit(&new_visit("X")).unwrap();
    let mut bad = jpeg_record(v, jpeg);
    bad.image = ImageData::Encoded {
        bytes: vec![1, 2, 3],
        ext: "../../etc".into(),
    };
    assert!(matches!(store.save(&bad), Err(RecordsError::Invalid(_))));
    assert!(matches!(
        store.finish_visit(999, &no_referral(), "No referral"),
        Err(RecordsError::NotFound)
    ));
    assert!(files_under(&d.path().join("images")).is_empty());
    assert!(store.records_since(None).unwrap().is_empty());
}

#[test]
fn migrations_run_from_an_empty_file_and_from_the_first_version() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join(DB_FILE), b"").unwrap();
    let store = Store::open(d.path(), &crate::common::protection()).unwrap();
    store.integrity_check().unwrap();
    drop(store);
    let conn = crate::common::raw_register(d.path().join(DB_FILE));
    let v: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");

    // A register at version 1 with a visit in it is upgraded, keeping the visit.
    let d1 = tempfile::tempdir().unwrap();
    let c1 = crate::common::raw_register(d1.path().join(DB_FILE));
    c1.execute_batch(MIGRATIONS[0]).unwrap();
    c1.execute_batch(
        "INSERT INTO visits (started_utc, started_local, local_date, kiosk_id, operator, patient_id)
         VALUES ('2026-01-01T08:00:00.000000Z', '2026-01-01T08:00:00.000000+00:00', '2026-01-01', 'k', 'n', 'OLD-1');
         PRAGMA user_version = 1;",
    )
    .unwrap();
    drop(c1);
    let store = Store::open(d1.path(), &crate::common::protection()).unwrap();
    let found = store.search_patient("old-1").unwrap();
    assert_eq!(found.len(), 1);
    let c = crate::common::raw_register(d1.path().join(DB_FILE));
    let v: i64 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION);
    let idx: i64 = c
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'visits_by_day'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(idx, 1);
}

#[test]
fn a_register_from_a_newer_onemed_is_refused_and_untouched() {
    let d = tempfile::tempdir().unwrap();
    let db = d.path().join(DB_FILE);
    let c = crate::common::raw_register(&db);
    c.execute_batch(&format!(
        "CREATE TABLE future (x); INSERT INTO future VALUES (1); PRAGMA user_version = {};",
        SCHEMA_VERSION + 1
    ))
    .unwrap();
    drop(c);
    let before = std::fs::read(&db).unwrap();
    match Store::open(d.path(), &crate::common::protection()) {
        Err(e @ RecordsError::TooNew { found, known }) => {
            assert_eq!((found, known), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
            assert!(e.to_string().contains("newer OneMed"), "{e}");
        }
        Err(e) => panic!("expected TooNew, got {e}"),
        Ok(_) => panic!("a newer register was opened"),
    }
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert!(!d.path().join(format!("{DB_FILE}-wal")).exists());
}

#[test]
fn visits_are_found_by_day_and_by_patient_newest_first() {
    let d = tempfile::tempdir().unwrap();
    let mut store = Store::open(d.path(), &crate::common::protection()).unwrap();
    let a = store.start_visit(&new_visit("AB-123")).unwrap();
    let b = store.start_visit(&new_visit("xy-1")).unwrap();
    let c = store.start_visit(&new_visit("ab-999")).unwrap();
    let ids = |v: Vec<onemed::records::VisitSummary>| v.iter().map(|s| s.id).collect::<Vec<_>>();
    assert_eq!(ids(store.search_patient("aB").unwrap()), vec![c, a]);
    assert_eq!(ids(store.search_patient("B-12").unwrap()), vec![a]);
    assert!(store.search_patient("zzz").unwrap().is_empty());
    let today = chrono::Local::now().date_naive();
    assert_eq!(ids(store.visits_on(today).unwrap()), vec![c, b, a]);
    assert!(store
        .visits_on(today.pred_opt().unwrap())
        .unwrap()
        .is_empty());

    assert_eq!(store.open_visit_of("xy-1").unwrap().map(|v| v.id), Some(b));
    let decision = incomplete(vec![]);
    store
        .finish_visit(b, &decision, "REFER — not fully screened")
        .unwrap();
    assert_eq!(store.open_visit_of("xy-1").unwrap(), None);
    store.set_printed(b, "slip one").unwrap();
    store.set_printed(b, "slip two").unwrap();
    let s = store.visit(b).unwrap().unwrap().visit;
    assert_eq!(s.decision.as_ref(), Some(&decision));
    assert_eq!(s.referral.as_deref(), Some("REFER — not fully screened"));
    assert_eq!(
        (s.printed_text.as_deref(), s.printed_count),
        (Some("slip two"), 2)
    );
    assert_eq!(store.visit(9999).unwrap(), None);
}

#[test]
fn purge_removes_only_exported_records_their_images_and_emptied_visits() {
    let d = tempfile::tempdir().unwrap();
    let mut store = filled_store(d.path(), 3, 2);
    let all = store.records_since(None).unwrap();
    assert_eq!(all.len(), 6);
    // Visit 1 fully exported, visit 2 half, visit 3 not at all.
    let exported = [all[0].id, all[1].id, all[2].id];
    store.mark_exported(&exported, chrono::Utc::now()).unwrap();
    let p = store.purge_exported().unwrap();
    assert_eq!((p.records, p.visits, p.images), (3, 1, 3));
    // Bytes freed on disk: each sealed picture is its image plus the seal.
    let seal = onemed::records::sealed::OVERHEAD as u64;
    assert_eq!(
        p.bytes,
        all[..3].iter().map(|r| r.image_bytes + seal).sum::<u64>()
    );
    for r in &all[..3] {
        assert_eq!(store.record(r.id).unwrap(), None);
        assert!(!store.image_path(r).exists());
    }
    for r in &all[3..] {
        assert_eq!(store.record(r.id).unwrap().as_ref(), Some(r));
        assert_eq!(sha256_hex(&store.read_image(r).unwrap()), r.image_sha256);
    }
    assert_eq!(store.visit(all[0].visit).unwrap(), None);
    assert_eq!(store.visit(all[2].visit).unwrap().unwrap().records.len(), 1);
    assert_eq!(store.visit(all[4].visit).unwrap().unwrap().records.len(), 2);
    assert_eq!(files_under(&d.path().join("images")).len(), 3);
    // Nothing exported: nothing purged.
    assert_eq!(store.purge_exported().unwrap().records, 0);
}

#[test]
fn stale_leftovers_of_a_crash_are_cleaned_at_open() {
    let d = tempfile::tempdir().unwrap();
    let store = filled_store(d.path(), 1, 1);
    let kept = store.records_since(None).unwrap().remove(0);
    let day = store.image_path(&kept).parent().unwrap().to_path_buf();
    drop(store);
    let old_tmp = day.join(".tmp-old.jpg-1-1");
    let orphan = day.join("090000-000000-v1-000000000000.jpg");
    let fresh_tmp = day.join(".tmp-fresh.jpg-2-2");
    let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    for p in [&old_tmp, &orphan, &fresh_tmp] {
        std::fs::write(p, b"x").unwrap();
    }
    for p in [&old_tmp, &orphan, &d.path().join(&kept.image_file)] {
        std::fs::File::options()
            .write(true)
            .open(p)
            .unwrap()
            .set_modified(hour_ago)
            .unwrap();
    }
    let store = Store::open(d.path(), &crate::common::protection()).unwrap();
    assert!(!old_tmp.exists() && !orphan.exists());
    assert!(
        fresh_tmp.exists(),
        "a fresh temp file may be another process's save"
    );
    assert_eq!(
        sha256_hex(&store.read_image(&kept).unwrap()),
        kept.image_sha256
    );
}

#[test]
fn the_worker_answers_every_job_and_recovers_when_the_disk_comes_back() {
    let d = tempfile::tempdir().unwrap();
    // The data folder cannot be made while a file blocks its path.
    let blocker = d.path().join("blocked");
    std::fs::write(&blocker, b"not a folder").unwrap();
    // Each job answers with its own type: here, what it found, as text.
    let (tx, rx) = mpsc::channel();
    let worker: StoreWorker<Result<String, String>> =
        StoreWorker::start(Ok((blocker.join("data"), common::protection())), move |e| {
            let _ = tx.send(e);
        });
    let next = || match rx.recv_timeout(Duration::from_secs(30)).expect("an event") {
        StoreEvent::Done(answer) => answer,
        StoreEvent::Opened(o) => panic!("opened again: {o:?}"),
    };
    match rx.recv_timeout(Duration::from_secs(30)).expect("an event") {
        StoreEvent::Opened(o) => assert!(o.is_err(), "{o:?}"),
        StoreEvent::Done(d) => panic!("{d:?}"),
    }
    let today = |store: Result<&mut Store, String>| {
        let visits = store?
            .visits_on(chrono::Local::now().date_naive())
            .map_err(|e| e.to_string())?;
        Ok(visits
            .iter()
            .map(|v| format!("{} {}", v.patient_id, v.record_count))
            .collect::<Vec<_>>()
            .join(","))
    };
    assert!(worker.submit(Box::new(today)).is_ok());
    assert!(next().is_err(), "the register cannot be open yet");
    std::fs::remove_file(&blocker).unwrap();
    let visit = Arc::new(Mutex::new(None));
    let v = visit.clone();
    assert!(worker
        .submit(Box::new(move |store| {
            let id = store?
                .start_visit(&new_visit("W-1"))
                .map_err(|e| e.to_string())?;
            *v.lock().unwrap() = Some(id);
            Ok(id.to_string())
        }))
        .is_ok());
    next().expect("the visit starts once the disk is back");
    let visit = visit.lock().unwrap().expect("a visit ID");
    let jpeg = std::fs::read(skin_jpeg()).unwrap();
    let saved = Arc::new(Mutex::new(None));
    let sv = saved.clone();
    assert!(worker
        .submit(Box::new(move |store| {
            let r = store?
                .save(&jpeg_record(visit, jpeg))
                .map_err(|e| e.to_string())?;
            *sv.lock().unwrap() = Some(r);
            Ok(String::new())
        }))
        .is_ok());
    next().expect("saved");
    let saved = saved.lock().unwrap().take().expect("a stored record");
    assert!(worker.submit(Box::new(today)).is_ok());
    assert_eq!(next().unwrap(), "W-1 1");
    let records = move |id: i64| {
        Box::new(move |store: Result<&mut Store, String>| {
            match store?.visit(id).map_err(|e| e.to_string())? {
                Some(d) => Ok(format!("{:?}", d.records)),
                None => Err("no such visit".to_string()),
            }
        })
    };
    assert!(worker.submit(records(visit)).is_ok());
    assert_eq!(next().unwrap(), format!("{:?}", vec![saved]));
    assert!(worker.submit(records(12345)).is_ok());
    assert_eq!(next().unwrap_err(), "no such visit");
    drop(worker);
    assert!(blocker.join("data").join(DB_FILE).exists());
}

/// Measures (prints) a camera save and an import save; asserts only that
/// what was saved is exactly what came in.
#[test]
fn save_timings_camera_frame_and_jpeg_import() {
    // RUST_LOG=onemed=debug shows each save's phases.
    let _ = env_logger::builder().is_test(true).try_init();
    let d = tempfile::tempdir().unwrap();
    let mut store = Store::open(d.path(), &crate::common::protection()).unwrap();
    let visit = store.start_visit(&new_visit("TIMING")).unwrap();
    let frame = Arc::new(camera_frame());
    let jpeg = std::fs::read(sample("eye/diabetic-retinopathy/02_dr.JPG")).unwrap();
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (mut cam_ms, mut jpg_ms) = (Vec::new(), Vec::new());
    let mut webp_bytes = 0;
    for _ in 0..7 {
        let mut r = jpeg_record(visit, Vec::new());
        r.image = ImageData::Frame(frame.clone());
        let t = Instant::now();
        let s = store.save(&r).unwrap();
        cam_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        webp_bytes = s.image_bytes;
        let r = jpeg_record(visit, jpeg.clone());
        let t = Instant::now();
        let s = store.save(&r).unwrap();
        jpg_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(
            sha256_hex(&store.read_image(&s).unwrap()),
            sha256_hex(&jpeg)
        );
    }
    eprintln!(
        "save timing: 1920x1080 camera frame (lossless WebP {:.1} MB): median {:.1} ms; \
         {:.1} MB JPEG import: median {:.1} ms (7 saves each)",
        webp_bytes as f64 / 1e6,
        median(cam_ms),
        jpeg.len() as f64 / 1e6,
        median(jpg_ms)
    );
}
