//! Export of the register, for real: one file encrypted to the programme's
//! age key that the standard `age` tool opens, with CSV that parses back
//! with one row per record and the promised columns, JSON that parses,
//! images whose sha256 matches; no patient ID readable on the stick; no
//! export at all without a key unless plain exports are allowed; a
//! read-only or full destination leaves nothing behind and marks nothing
//! exported; and `onemed export --since` end to end.

use crate::common;
use crate::records::support::*;
use onemed::export::{export, ExportError, CSV_COLUMNS, VISIT_CSV_COLUMNS};
use onemed::records::{Store, DB_FILE};
use std::path::{Path, PathBuf};

fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

/// An export of everything to a programme key made for the test.
fn to_some_programme(
    store: &mut Store,
    dir: &Path,
) -> Result<onemed::export::ExportSummary, ExportError> {
    export(store, dir, None, &common::Programme::new().sealing())
}

fn assert_nothing_exported(store: &Store) {
    for r in store.records_since(None).unwrap() {
        assert_eq!(r.exported_at, None, "record {} was marked exported", r.id);
    }
}

#[test]
fn an_export_holds_every_record_as_csv_json_and_verified_images() {
    let d = tempfile::tempdir().unwrap();
    let mut store = filled_store(&d.path().join("data"), 2, 2);
    let records = store.records_since(None).unwrap();
    // The first visit finished as "not fully screened", the second left open.
    let decision = incomplete(vec![onemed::screening::Part::new("skin-lesion", None)]);
    store
        .finish_visit(records[0].visit, &decision, "REFER — not fully screened")
        .unwrap();
    let dest = tempfile::tempdir().unwrap();
    let programme = common::Programme::new();
    let s = export(&mut store, dest.path(), None, &programme.sealing()).unwrap();
    assert_eq!((s.records, s.visits, s.images), (4, 2, 4));
    assert_eq!(
        entries(dest.path()),
        vec![s.path.clone()],
        "only the export file is left"
    );
    let name = s.path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("onemed-camp-kiosk-1-") && name.ends_with(".tar.age"),
        "{name}"
    );
    assert!(
        s.to_string()
            .starts_with("Exported 4 records from 2 visits (")
            && s.to_string().ends_with("encrypted to the programme's key."),
        "{s}"
    );
    // On the stick: nothing readable, and only 0600.
    let sealed = std::fs::read(&s.path).unwrap();
    for r in &records {
        assert!(
            !sealed
                .windows(r.patient_id.len())
                .any(|w| w == r.patient_id.as_bytes()),
            "the patient ID {} is readable in the export",
            r.patient_id
        );
    }
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&s.path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let s = onemed::export::ExportSummary {
        path: programme.open(&s.path),
        ..s
    };

    // records.csv: the promised columns, one row per record, values as stored.
    let mut rd = csv::Reader::from_path(s.path.join("records.csv")).unwrap();
    let header: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, CSV_COLUMNS);
    let col = |n: &str| CSV_COLUMNS.iter().position(|c| *c == n).unwrap();
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), records.len());
    for (row, r) in rows.iter().zip(&records) {
        assert_eq!(row[col("record_id")], r.id.to_string());
        assert_eq!(row[col("patient_id")], r.patient_id);
        assert_eq!(row[col("image_sha256")], r.image_sha256);
        assert_eq!(row[col("model_sha256")], r.model_sha256);
        assert_eq!(row[col("headline")], r.headline);
        assert_eq!(&row[col("age")], "54");
        let probs: Vec<f32> = row[col("probabilities")]
            .split(';')
            .filter(|s| !s.is_empty())
            .map(|p| p.parse().unwrap())
            .collect();
        assert_eq!(probs, r.probabilities);
        // The image beside it, byte for byte what was recorded.
        let img = s.path.join(&row[col("image_file")]);
        assert_eq!(file_sha(&img), r.image_sha256);
    }
    let mut vd = csv::Reader::from_path(s.path.join("visits.csv")).unwrap();
    let vh: Vec<String> = vd.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(vh, VISIT_CSV_COLUMNS);
    let vcol = |n: &str| VISIT_CSV_COLUMNS.iter().position(|c| *c == n).unwrap();
    let vrows: Vec<csv::StringRecord> = vd.records().map(Result::unwrap).collect();
    assert_eq!(vrows.len(), 2);
    // The decision as codes, its parts as data; an open visit has none.
    let finished = vrows
        .iter()
        .find(|r| r[vcol("visit_id")] == records[0].visit.to_string())
        .unwrap();
    assert_eq!(&finished[vcol("decision")], "refer-incomplete");
    assert_eq!(&finished[vcol("refer")], "");
    assert_eq!(
        &finished[vcol("not_screened")],
        "cataract:left (Patient refused)"
    );
    assert_eq!(&finished[vcol("not_assessed")], "skin-lesion");
    let open = vrows
        .iter()
        .find(|r| r[vcol("visit_id")] != records[0].visit.to_string())
        .unwrap();
    assert_eq!(&open[vcol("decision")], "");

    // records.json: the visits with their records.
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.path.join("records.json")).unwrap()).unwrap();
    let visits = json["visits"].as_array().unwrap();
    assert_eq!(visits.len(), 2);
    let ids: Vec<i64> = visits
        .iter()
        .flat_map(|v| {
            v["records"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_i64().unwrap())
        })
        .collect();
    assert_eq!(ids, records.iter().map(|r| r.id).collect::<Vec<_>>());
    assert_eq!(json["kiosk_id"], "camp-kiosk-1");
    assert_eq!(
        s.bytes,
        files_under(&s.path)
            .iter()
            .map(|f| std::fs::metadata(f).unwrap().len())
            .sum::<u64>()
    );

    // Now marked exported, and purging removes them.
    for r in store.records_since(None).unwrap() {
        assert!(r.exported_at.is_some());
    }
    assert_eq!(store.purge_exported().unwrap().records, 4);
}

#[test]
fn a_read_only_destination_leaves_nothing_and_marks_nothing() {
    let d = tempfile::tempdir().unwrap();
    let mut store = filled_store(&d.path().join("data"), 1, 2);
    let stick = Tmpfs::mount("8m");
    stick.remount("ro");
    let err = to_some_programme(&mut store, stick.path()).unwrap_err();
    assert!(matches!(err, ExportError::ReadOnly), "{err:?}");
    assert!(err.to_string().contains("read-only"), "{err}");
    stick.remount("rw");
    assert!(entries(stick.path()).is_empty());
    assert_nothing_exported(&store);
}

#[test]
fn a_full_destination_leaves_nothing_and_marks_nothing() {
    let d = tempfile::tempdir().unwrap();
    let mut store = filled_store(&d.path().join("data"), 2, 2);
    // Room for the CSV and a couple of images, not for all four.
    let stick = Tmpfs::mount("160k");
    let err = to_some_programme(&mut store, stick.path()).unwrap_err();
    assert!(matches!(err, ExportError::NoSpace), "{err:?}");
    assert!(err.to_string().contains("full"), "{err}");
    assert!(
        entries(stick.path()).is_empty(),
        "{:?}",
        files_under(stick.path())
    );
    assert_nothing_exported(&store);
    // With room, the same export succeeds.
    let big = tempfile::tempdir().unwrap();
    assert_eq!(
        to_some_programme(&mut store, big.path()).unwrap().records,
        4
    );
}

#[test]
fn a_damaged_image_stops_the_export() {
    let d = tempfile::tempdir().unwrap();
    let mut store = filled_store(&d.path().join("data"), 1, 2);
    let r = store.records_since(None).unwrap().pop().unwrap();
    let path = store.image_path(&r);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[1000] ^= 0x01;
    std::fs::write(&path, bytes).unwrap();
    let dest = tempfile::tempdir().unwrap();
    let err = to_some_programme(&mut store, dest.path()).unwrap_err();
    assert!(
        matches!(err, ExportError::ImageMismatch { ref file } if *file == r.image_file),
        "{err:?}"
    );
    assert!(entries(dest.path()).is_empty());
    assert_nothing_exported(&store);
    let file = dest.path().join("file");
    std::fs::write(&file, b"x").unwrap();
    assert!(matches!(
        to_some_programme(&mut store, &file),
        Err(ExportError::NotADirectory(_))
    ));
}

#[test]
fn the_export_command_works_end_to_end_with_since() {
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data");
    let store = filled_store(&data, 3, 1);
    let records = store.records_since(None).unwrap();
    drop(store);
    // The first record was made long ago.
    let conn = crate::common::raw_register(data.join(DB_FILE));
    conn.execute(
        "UPDATE records SET time_utc = '2020-01-01T08:00:00.000000Z' WHERE id = ?1",
        [records[0].id],
    )
    .unwrap();
    drop(conn);
    let dest = tempfile::tempdir().unwrap();
    let programme = common::Programme::new();
    let config = d.path().join("kiosk.toml");
    let settings = |text: String| std::fs::write(&config, text).unwrap();
    let run = |args: &[&str]| {
        let mut a = vec![
            "--config",
            config.to_str().unwrap(),
            "export",
            "--data",
            data.to_str().unwrap(),
        ];
        a.extend_from_slice(args);
        common::onemed(&a)
    };
    // No programme key: refused, nothing written, nothing marked.
    settings(String::new());
    let refused = run(&[dest.path().to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        common::text(&refused.stderr).contains("no export key is set"),
        "{}",
        common::text(&refused.stderr)
    );
    assert!(entries(dest.path()).is_empty());

    settings(format!("export_recipients = [\"{}\"]\n", programme.public));
    let out = run(&["--since", "2021-06-01", dest.path().to_str().unwrap()]);
    let stdout = common::text(&out.stdout);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    assert!(
        stdout.starts_with("Exported 2 records from 2 visits")
            && stdout.contains(".tar.age, encrypted to the programme's key."),
        "{stdout}"
    );
    let folder = programme.open(&entries(dest.path()).pop().unwrap());
    let rows = csv::Reader::from_path(folder.join("records.csv"))
        .unwrap()
        .records()
        .count();
    assert_eq!(rows, 2);

    // Bad input: a clear message and exit 2, nothing written.
    let bad = run(&["--since", "June", dest.path().to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(common::text(&bad.stderr).contains("expected a date"));
    let missing = run(&["/nonexistent/stick"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        common::text(&missing.stderr).contains("not a folder"),
        "{}",
        common::text(&missing.stderr)
    );
    assert_eq!(entries(dest.path()).len(), 1);

    // Without --since: everything, including the old record.
    let all = tempfile::tempdir().unwrap();
    let out = run(&[all.path().to_str().unwrap()]);
    assert!(common::text(&out.stdout).starts_with("Exported 3 records from 3 visits"));

    // A plain export only when the settings say so, and it says so.
    settings("plain_export = true\n".into());
    let plain = tempfile::tempdir().unwrap();
    let out = run(&[plain.path().to_str().unwrap()]);
    let stdout = common::text(&out.stdout);
    assert!(
        stdout.contains("NOT encrypted: anyone with the stick can read it."),
        "{stdout}"
    );
    let folder = entries(plain.path()).pop().unwrap();
    assert!(folder.join("records.csv").is_file());
}
