//! Conformance runner of libvwo: runs the vector files of `tests/vectors/` (oracle corpus runs,
//! expectation tables, scenarios, segmentation, bucketing, uuid) against the library and reports
//! `<file>: N passed, M failed` per file and a total line `N passed, M failed`. Exit code 1 when any
//! case failed (cases listed in `DEVIATIONS.json` are counted as deviations, not failures).
//!
//! Usage: `vwo-conformance [--deviations FILE] FILE_OR_DIR...` (directories are searched for `*.json`;
//! files that are not vector files — settings, indexes, reports — are skipped).

mod common;
mod corpus;
mod policy;
mod report;
mod tables;

use report::{Deviation, FileReport};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Corpus,
    Expectations,
    Scenario,
    Segmentation,
    Bucketing,
    Uuid,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Corpus => "corpus",
            Kind::Expectations => "expectations",
            Kind::Scenario => "scenarios",
            Kind::Segmentation => "segmentation",
            Kind::Bucketing => "bucketing",
            Kind::Uuid => "uuid",
        }
    }
}

const NOT_VECTORS: &[&str] = &[
    "INDEX.json",
    "user_ids.json",
    "VERIFY_REPORT.json",
    "DEVIATIONS.json",
];

fn classify(path: &Path, doc: &Value) -> Option<Kind> {
    let name = path.file_name()?.to_str()?;
    if NOT_VECTORS.contains(&name) {
        return None;
    }
    // FME runs (vwo-fme-python-sdk) are replayed by `tests/fme_corpus.rs` through the FME client.
    if doc
        .pointer("/sdk/name")
        .and_then(Value::as_str)
        .is_some_and(|n| n.starts_with("vwo-fme"))
    {
        return None;
    }
    let has = |k: &str| doc.get(k).is_some();
    let first_case = doc
        .get("cases")
        .and_then(Value::as_array)
        .and_then(|c| c.first());
    let case_has = |k: &str| first_case.is_some_and(|c| c.get(k).is_some());
    if has("frozen") && has("cases") && doc.get("settings").is_some_and(Value::is_object) {
        Some(Kind::Corpus)
    } else if has("derivation") && has("cases") {
        Some(Kind::Expectations)
    } else if has("steps") {
        Some(Kind::Scenario)
    } else if has("group") && has("cases") {
        Some(Kind::Segmentation)
    } else if case_has("uuid") {
        Some(Kind::Uuid)
    } else if case_has("bucketValue") || case_has("seed") {
        Some(Kind::Bucketing)
    } else {
        None
    }
}

fn collect(path: &Path, explicit: bool, out: &mut Vec<(PathBuf, bool)>) -> Result<(), String> {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() || p.extension().is_some_and(|x| x == "json") {
                collect(&p, false, out)?;
            }
        }
        Ok(())
    } else if path.is_file() {
        out.push((path.to_path_buf(), explicit));
        Ok(())
    } else {
        Err(format!("{}: no such file or directory", path.display()))
    }
}

/// `DEVIATIONS.json` files in the arguments' directories or their ancestors.
fn find_deviation_files(args: &[PathBuf]) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = Vec::new();
    for a in args {
        let start = if a.is_dir() {
            Some(a.as_path())
        } else {
            a.parent()
        };
        let mut dir = start.map(Path::to_path_buf);
        while let Some(d) = dir {
            let f = d.join("DEVIATIONS.json");
            if f.is_file() {
                let canon = f.canonicalize().unwrap_or(f);
                if !found.contains(&canon) {
                    found.push(canon);
                }
                break;
            }
            dir = d
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map(Path::to_path_buf);
        }
    }
    found
}

struct Outcome {
    path: PathBuf,
    report: Option<FileReport>,
}

fn run_file(path: &Path, explicit: bool, deviations: &[Deviation]) -> Outcome {
    let doc = match common::read_json(path) {
        Ok(d) => d,
        Err(e) => {
            let mut r = FileReport::new("unreadable", path, deviations);
            r.file_error(e, 1);
            return Outcome {
                path: path.to_path_buf(),
                report: Some(r),
            };
        }
    };
    let Some(kind) = classify(path, &doc) else {
        if explicit {
            eprintln!("{}: skipped (not a vector file)", path.display());
        }
        return Outcome {
            path: path.to_path_buf(),
            report: None,
        };
    };
    let mut rep = FileReport::new(kind.name(), path, deviations);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut r = FileReport::new(kind.name(), path, deviations);
        let res = match kind {
            Kind::Corpus => corpus::run(&doc, &mut r),
            Kind::Expectations => tables::expectations(path, &doc, &mut r),
            Kind::Scenario => tables::scenario(path, &doc, &mut r),
            Kind::Segmentation => tables::segmentation(path, &doc, &mut r),
            Kind::Bucketing => tables::bucketing(path, &doc, &mut r),
            Kind::Uuid => tables::uuid(&doc, &mut r),
        };
        if let Err(e) = res {
            // The cases the error kept from running count as failed.
            let n = ["cases", "steps"]
                .iter()
                .find_map(|k| doc.get(*k).and_then(Value::as_array))
                .map_or(0, Vec::len);
            let done = r.passed + r.failed + r.deviations.len();
            r.file_error(e, n.saturating_sub(done));
        }
        r
    }));
    match result {
        Ok(r) => rep = r,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            let n = ["cases", "steps"]
                .iter()
                .find_map(|k| doc.get(*k).and_then(Value::as_array))
                .map_or(0, Vec::len);
            rep.file_error(format!("panicked: {msg}"), n);
        }
    }
    Outcome {
        path: path.to_path_buf(),
        report: Some(rep),
    }
}

fn main() -> ExitCode {
    let mut args: Vec<PathBuf> = Vec::new();
    let mut deviation_files: Vec<PathBuf> = Vec::new();
    let mut it = std::env::args_os().skip(1);
    while let Some(a) = it.next() {
        if a == "--deviations" {
            match it.next() {
                Some(f) => deviation_files.push(PathBuf::from(f)),
                None => {
                    eprintln!("--deviations needs a file");
                    return ExitCode::from(2);
                }
            }
        } else if a == "-h" || a == "--help" {
            println!("usage: vwo-conformance [--deviations FILE] FILE_OR_DIR...");
            return ExitCode::SUCCESS;
        } else {
            args.push(PathBuf::from(a));
        }
    }
    if args.is_empty() {
        eprintln!("usage: vwo-conformance [--deviations FILE] FILE_OR_DIR...");
        return ExitCode::from(2);
    }
    if deviation_files.is_empty() {
        deviation_files = find_deviation_files(&args);
    }
    let mut deviations: Vec<Deviation> = Vec::new();
    for f in &deviation_files {
        match common::read_json(f).and_then(|v| Deviation::list_from_json(&v)) {
            Ok(mut d) => deviations.append(&mut d),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        }
    }
    let mut files: Vec<(PathBuf, bool)> = Vec::new();
    for a in &args {
        if let Err(e) = collect(a, true, &mut files) {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    }

    // Files run in parallel; output keeps the files' order.
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new((0..files.len()).map(|_| None).collect());
    let workers = std::thread::available_parallelism()
        .map_or(4, |n| n.get())
        .min(files.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((path, explicit)) = files.get(i) else {
                    break;
                };
                let outcome = run_file(path, *explicit, &deviations);
                match results.lock() {
                    Ok(mut r) => r[i] = Some(outcome),
                    Err(p) => p.into_inner()[i] = Some(outcome),
                }
            });
        }
    });
    let results = match results.into_inner() {
        Ok(r) => r,
        Err(p) => p.into_inner(),
    };

    let (mut passed, mut failed) = (0usize, 0usize);
    let mut per_kind: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    let mut all_deviations: Vec<String> = Vec::new();
    for outcome in results.into_iter().flatten() {
        let Some(r) = outcome.report else { continue };
        let file = outcome.path.display().to_string();
        let dev = if r.deviations.is_empty() {
            String::new()
        } else {
            format!(", {} deviations", r.deviations.len())
        };
        println!("{file}: {} passed, {} failed{dev}", r.passed, r.failed);
        for d in &r.details {
            println!("    {d}");
        }
        for n in &r.notes {
            println!("    note: {n}");
        }
        for d in &r.deviations {
            all_deviations.push(format!("{file}: {d}"));
        }
        passed += r.passed;
        failed += r.failed;
        let k = per_kind.entry(r.category).or_default();
        k.0 += r.passed;
        k.1 += r.failed;
        k.2 += r.deviations.len();
    }
    println!();
    for (kind, (p, f, d)) in &per_kind {
        let dev = if *d == 0 {
            String::new()
        } else {
            format!(", {d} deviations")
        };
        println!("{kind}: {p} passed, {f} failed{dev}");
    }
    if !all_deviations.is_empty() {
        println!("allowed deviations ({}):", all_deviations.len());
        for d in &all_deviations {
            println!("    {d}");
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
