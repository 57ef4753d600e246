//! Runs the conformance runner (`src/bin/vwo-conformance`) over every vector of `tests/vectors/` and
//! requires it to succeed: no failed case beyond the deviations listed in `tests/vectors/DEVIATIONS.json`.

use std::path::Path;
use std::process::Command;

#[test]
fn all_vectors_conform() {
    let vectors = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("vectors");
    let output = match Command::new(env!("CARGO_BIN_EXE_vwo-conformance"))
        .arg(&vectors)
        .output()
    {
        Ok(o) => o,
        Err(e) => panic!("cannot run vwo-conformance: {e}"),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    // The per-file lines of failing files, their details, and the summary.
    let report: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("    ") || !l.contains(" 0 failed") || !l.contains(".json:"))
        .collect();
    assert!(
        output.status.success(),
        "vwo-conformance failed:\n{}",
        report.join("\n")
    );
    assert!(
        stdout
            .lines()
            .last()
            .is_some_and(|l| l.ends_with(" 0 failed")),
        "no summary line:\n{stdout}"
    );
}
