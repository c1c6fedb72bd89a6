//! `onemed bench`: per-stage medians and throughput on the sample images, the
//! cost of a JPEG decode alone, model load times cold and from the cache, peak
//! memory, and — when the baseline venv exists — the original Python pipeline
//! (`../shared/bench/baseline_bench.py --skip-keras`) on the same images in the
//! same run, with the speed-up per image group.

use super::Fatal;
use crate::analysis::Analyzer;
use crate::decode::{self, jpeg};
use crate::settings::Settings;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Runs per image; the median is reported.
    #[arg(long, default_value_t = 7)]
    repeats: usize,
    /// The datasets folder (default: ../shared/datasets beside the models).
    #[arg(long)]
    datasets: Option<PathBuf>,
    /// Python of the baseline venv (default: .bench-venv/bin/python).
    #[arg(long)]
    baseline_python: Option<PathBuf>,
    /// Skip the Python baseline.
    #[arg(long)]
    no_baseline: bool,
    /// Also time the kiosk itself (headless): preview rate, tap-to-screen
    /// latency, CPU per screen.
    #[arg(long)]
    kiosk: bool,
    /// Only replay a camp day of this many patients through the kiosk and
    /// print its peak memory (run alone, so no other figure adds to it).
    #[arg(long)]
    day: Option<usize>,
    /// The camera the kiosk bench uses (default: a 1080p JPEG replayed at
    /// 30 fps, decoded at every frame like an MJPEG camera's).
    #[arg(long, value_name = "SPEC")]
    kiosk_camera: Option<String>,
    /// Only measure how much room camera stills take (MB per 100 patients,
    /// before and after), on the demo camera's frames.
    #[arg(long)]
    stills: bool,
    /// Only measure model loading (used internally in a fresh process).
    #[arg(long, hide = true)]
    load_only: Option<PathBuf>,
}

/// An image group: a tool and the dataset folders of its kind of image.
const GROUPS: [(&str, &str, &[&str]); 4] = [
    (
        "fundus 3504x2336 JPEG",
        "diabetic-retinopathy",
        &["eye/diabetic-retinopathy", "eye/no-diabetic-retinopathy"],
    ),
    (
        "external eye JPEG",
        "cataract",
        &["eye/cataract", "eye/redness"],
    ),
    (
        "skin 224x224 JPEG",
        "skin-lesion",
        &["skin-lesion/benign", "skin-lesion/malignant"],
    ),
    (
        "CT slices PNG/JPEG",
        "covid-ct",
        &["covid-ct/covid", "covid-ct/non-covid"],
    ),
];

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn peak_rss_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn files_in(dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = dirs
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flat_map(|rd| rd.flatten().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

#[derive(Default)]
struct Row {
    total: f64,
    decode_only: Option<f64>,
    stages: [f64; 4],
}

fn measure(an: &mut Analyzer, tool: &str, file: &Path, repeats: usize) -> anyhow::Result<Row> {
    let mut totals = Vec::new();
    let mut stages: [Vec<f64>; 4] = Default::default();
    let mut decode_only = Vec::new();
    for _ in 0..repeats.max(1) {
        let t0 = Instant::now();
        let bytes = decode::read_file(file)?;
        let a = an.analyze_bytes(tool, &bytes)?;
        std::hint::black_box(&a);
        totals.push(t0.elapsed().as_secs_f64() * 1000.0);
        let t = a.timings_ms;
        for (s, v) in stages
            .iter_mut()
            .zip([t.decode, t.preprocess, t.quality, t.infer])
        {
            s.push(v);
        }
        if decode::sniff(&bytes) == Some(decode::ImageFormat::Jpeg) {
            let t1 = Instant::now();
            let mut sink = 0usize;
            jpeg::decode_region(&bytes, 0..usize::MAX, None, &mut |b| {
                sink ^= b.rows.len();
                Ok(())
            })?;
            std::hint::black_box(sink);
            decode_only.push(t1.elapsed().as_secs_f64() * 1000.0);
        }
    }
    Ok(Row {
        total: median(totals),
        decode_only: (!decode_only.is_empty()).then(|| median(decode_only)),
        stages: stages.map(median),
    })
}

#[derive(Deserialize)]
struct Baseline {
    ways: HashMap<String, BaselineWay>,
}
#[derive(Deserialize)]
struct BaselineWay {
    images: Vec<BaselineRow>,
}
#[derive(Deserialize)]
struct BaselineRow {
    image: String,
    total_ms: f64,
}

/// Runs the original pipeline on `files`; image path → total ms.
fn baseline(
    python: &Path,
    script: &Path,
    model_dir: &Path,
    files: &[PathBuf],
    repeats: usize,
) -> anyhow::Result<HashMap<String, f64>> {
    let out = tempfile::NamedTempFile::new()?;
    let status = Command::new(python)
        .arg(script)
        .arg(model_dir)
        .args(files)
        .args(["--skip-keras", "--repeats", &repeats.to_string(), "--json"])
        .arg(out.path())
        .stdout(std::process::Stdio::null())
        .status()?;
    if !status.success() {
        anyhow::bail!("baseline exited with {status}");
    }
    let b: Baseline = serde_json::from_slice(&std::fs::read(out.path())?)?;
    let way = b
        .ways
        .get("openvino")
        .ok_or_else(|| anyhow::anyhow!("baseline has no openvino rows"))?;
    Ok(way
        .images
        .iter()
        .map(|r| (r.image.clone(), r.total_ms))
        .collect())
}

/// Loads all five models in this process and prints the time as JSON.
fn load_only(settings: &Settings, cache: &Path) -> anyhow::Result<()> {
    let mut s = settings.clone();
    s.cache_dir = Some(cache.to_path_buf());
    let t0 = Instant::now();
    let a = Analyzer::new(&s, &[]).map_err(|e| Fatal(e.to_string()))?;
    let ms = t0.elapsed().as_secs_f64() * 1000.0;
    if !a.unavailable().is_empty() {
        return Err(Fatal(format!("unavailable: {:?}", a.unavailable())).into());
    }
    println!(
        "{{\"load_ms\": {ms:.1}, \"peak_rss_mb\": {:.1}}}",
        peak_rss_mb().unwrap_or(f64::NAN)
    );
    Ok(())
}

fn child_load(cache: &Path, settings_args: &[String]) -> anyhow::Result<f64> {
    let exe = std::env::current_exe()?;
    let out = Command::new(exe)
        .args(settings_args)
        .arg("bench")
        .arg("--load-only")
        .arg(cache)
        .output()?;
    if !out.status.success() {
        anyhow::bail!("{}", String::from_utf8_lossy(&out.stderr));
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    v["load_ms"]
        .as_f64()
        .ok_or_else(|| anyhow::anyhow!("no load_ms"))
}

pub fn run(settings: &Settings, args: &Args) -> anyhow::Result<()> {
    if let Some(cache) = &args.load_only {
        return load_only(settings, cache);
    }
    let models = crate::catalog::models_dir(settings.models_dir.as_deref())?;
    let datasets = args
        .datasets
        .clone()
        .unwrap_or_else(|| models.join("../datasets"));
    if let Some(n) = args.day {
        return day_bench(settings, &datasets, n);
    }
    if args.stills {
        return super::bench_stills::run(&datasets.join(super::bench_stills::DEMO_CAMERA));
    }
    let shared = models.join("..");
    let script = shared.join("bench/baseline_bench.py");
    let python = args
        .baseline_python
        .clone()
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".bench-venv/bin/python"));
    let use_baseline = !args.no_baseline && python.is_file() && script.is_file();
    if !use_baseline && !args.no_baseline {
        println!(
            "(no baseline: {} not found; `make bench-venv` builds it)\n",
            python.display()
        );
    }

    // Model loading in fresh processes: cold (empty cache), then from the cache.
    let mut pass = vec!["--models".to_string(), models.display().to_string()];
    if let Some(r) = &settings.openvino_runtime {
        pass.extend(["--runtime".to_string(), r.display().to_string()]);
    }
    let cache = tempfile::tempdir()?;
    let cold = child_load(cache.path(), &pass)?;
    let warm = child_load(cache.path(), &pass)?;
    println!("load+compile all 5 models: cold {cold:.0} ms, from cache {warm:.0} ms\n");

    let mut an = Analyzer::new(settings, &[]).map_err(|e| Fatal(e.to_string()))?;
    println!(
        "{:<22} {:>3} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>7} {:>10} {:>8}",
        "group",
        "n",
        "decode",
        "prep",
        "quality",
        "infer",
        "TOTAL",
        "jpeg-only",
        "tot/dec",
        "baseline",
        "speed-up"
    );
    for (name, tool, dirs) in GROUPS {
        let files = files_in(&dirs.iter().map(|d| datasets.join(d)).collect::<Vec<_>>());
        if files.is_empty() {
            continue;
        }
        let rows = files
            .iter()
            .map(|f| measure(&mut an, tool, f, args.repeats))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let base = if use_baseline {
            match baseline(&python, &script, &models.join(tool), &files, args.repeats) {
                Ok(b) => Some(b),
                Err(e) => {
                    println!("(baseline failed for {tool}: {e})");
                    None
                }
            }
        } else {
            None
        };
        let col = |i: usize| median(rows.iter().map(|r| r.stages[i]).collect());
        let total = median(rows.iter().map(|r| r.total).collect());
        let dec: Vec<f64> = rows.iter().filter_map(|r| r.decode_only).collect();
        let ratios: Vec<f64> = rows
            .iter()
            .filter_map(|r| r.decode_only.map(|d| r.total / d))
            .collect();
        let (bl, speedup) = match &base {
            Some(b) => {
                let per: Vec<(f64, f64)> = files
                    .iter()
                    .zip(&rows)
                    .filter_map(|(f, r)| {
                        b.get(&f.display().to_string())
                            .map(|&bt| (bt, bt / r.total))
                    })
                    .collect();
                (
                    format!("{:.2}", median(per.iter().map(|p| p.0).collect())),
                    format!("{:.2}x", median(per.iter().map(|p| p.1).collect())),
                )
            }
            None => ("-".into(), "-".into()),
        };
        println!(
            "{:<22} {:>3} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>9.2} {:>8} {:>7} {:>10} {:>8}",
            name,
            files.len(),
            col(0),
            col(1),
            col(2),
            col(3),
            total,
            if dec.is_empty() {
                "-".into()
            } else {
                format!("{:.2}", median(dec))
            },
            if ratios.is_empty() {
                "-".into()
            } else {
                format!("{:.2}x", median(ratios))
            },
            bl,
            speedup
        );
        println!(
            "{:<22} throughput {:.0} images/s (one at a time)",
            "",
            1000.0 / total
        );
    }
    println!(
        "\nmedians over images of the median of {} runs, ms; TOTAL = file read → gated result;\n\
         jpeg-only = the same JPEG decoded alone; speed-up = baseline (Python OpenVINO, f32) / TOTAL per image",
        args.repeats
    );
    if args.kiosk {
        kiosk_bench(settings, &datasets, args.kiosk_camera.as_deref())?;
        // The day in a process of its own: its peak is the day's alone.
        day_in_child()?;
    }
    if let Some(rss) = peak_rss_mb() {
        println!("peak RSS of this process: {rss:.0} MB");
    }
    Ok(())
}

/// `onemed bench --day N` in a fresh process; prints its lines.
fn day_in_child() -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    let mut cmd = Command::new(exe);
    for a in std::env::args().skip(1).take_while(|a| a != "bench") {
        cmd.arg(a);
    }
    let out = cmd.args(["bench", "--day", "200"]).output()?;
    print!("{}", String::from_utf8_lossy(&out.stdout));
    if !out.status.success() {
        println!(
            "  camp day: failed: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
    }
    Ok(())
}

/// `--day N`: a camp day through the kiosk, for its memory.
fn day_bench(settings: &Settings, datasets: &Path, patients: usize) -> anyhow::Result<()> {
    let spec = format!(
        "replay:{}?fps=30",
        datasets.join("eye/diabetic-retinopathy").display()
    );
    let d = crate::kiosk::day::run(settings, &spec, patients)?;
    println!(
        "
camp day through the kiosk ({} patients, fundus 3504x2336 replay camera, history every 20, export at the end; {:.0} s):",
        d.patients, d.seconds
    );
    println!(
        "  peak RSS: models loaded {:.0} MB, after {} patients {:.0} MB, after all {:.0} MB, after the export {:.0} MB (goal < 300 MB); now {:.0} MB",
        d.rss_ready_mb,
        d.patients.div_ceil(10),
        d.rss_early_mb,
        d.rss_visits_mb,
        d.rss_export_mb,
        d.rss_now_mb
    );
    println!(
        "  stored: {} pictures, {:.1} MB exported = {:.0} MB per 100 patients",
        d.records,
        d.stored_bytes as f64 / 1e6,
        d.stored_bytes as f64 / 1e6 * 100.0 / d.patients.max(1) as f64
    );
    Ok(())
}

/// A folder with one 1920x1080 JPEG cut from a sample fundus photo.
fn hd_replay(datasets: &Path) -> anyhow::Result<tempfile::TempDir> {
    let src = datasets.join("eye/diabetic-retinopathy/02_dr.JPG");
    let (_, frame) = decode::decode(&decode::read_file(&src)?, &Settings::default().limits())?;
    let img = image::RgbImage::from_raw(
        frame.width() as u32,
        frame.height() as u32,
        frame.into_data(),
    )
    .ok_or_else(|| anyhow::anyhow!("bad frame"))?;
    let (x, y) = ((img.width() - 1920) / 2, (img.height() - 1080) / 2);
    let crop = image::imageops::crop_imm(&img, x, y, 1920, 1080).to_image();
    let dir = tempfile::tempdir()?;
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&crop)?;
    std::fs::write(dir.path().join("fundus-1080p.jpg"), out)?;
    Ok(dir)
}

fn kiosk_bench(settings: &Settings, datasets: &Path, camera: Option<&str>) -> anyhow::Result<()> {
    let dir = hd_replay(datasets)?;
    let (spec, what) = match camera {
        Some(c) => (c.to_string(), format!("camera {c}")),
        None => (
            format!("replay:{}?fps=30&decode=each", dir.path().display()),
            "1080p replay camera decoding every frame".into(),
        ),
    };
    let t = crate::kiosk::bench::run(settings, &spec, 9)?;
    println!("\nkiosk (headless software renderer, 1280x800, {what}):");
    println!(
        "  start → home screen usable with models loaded: {:.0} ms",
        t.ready_ms
    );
    println!(
        "  preview shown: {:.1} fps (camera at 30 fps)",
        t.preview_fps
    );
    println!(
        "  capture tap → still on screen: median {:.1} ms, max {:.1} ms",
        median(t.capture_to_review_ms.clone()),
        t.capture_to_review_ms.iter().cloned().fold(0.0, f64::max)
    );
    println!(
        "  analyse tap (0.5 s after the still) → saved → result on screen: median {:.1} ms, max {:.1} ms",
        median(t.analyse_to_result_ms.clone()),
        t.analyse_to_result_ms.iter().cloned().fold(0.0, f64::max)
    );
    println!(
        "  tool tap on home → first preview on screen (camera opened from rest): median {:.1} ms, max {:.1} ms",
        median(t.tool_to_preview_ms.clone()),
        t.tool_to_preview_ms.iter().cloned().fold(0.0, f64::max)
    );
    println!(
        "  retake tap on the result → first preview on screen (camera opened from rest): median {:.1} ms, max {:.1} ms",
        median(t.retake_to_preview_ms.clone()),
        t.retake_to_preview_ms.iter().cloned().fold(0.0, f64::max)
    );
    let cpu: Vec<String> = t
        .cpu
        .iter()
        .map(|c| {
            format!(
                "{} {:.1} % ({} camera frames)",
                c.screen, c.percent, c.camera_frames
            )
        })
        .collect();
    println!(
        "  CPU per screen (process CPU / wall over {:.0} s, % of one core): {}",
        t.cpu.first().map_or(0.0, |c| c.seconds),
        cpu.join(", ")
    );
    Ok(())
}
