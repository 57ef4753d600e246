//! Runs every case of tests/vectors/data/segmentation/*.json through `evaluate_dsl`.
//!
//! Expected values are the upstream SDKs' test expectations, except for the cases where
//! vwo-python-sdk 1.68.2 disagrees (VERIFY_REPORT.json, section "segmentation"): there Python's result
//! is expected (POLICY.md §1), an exception in Python meaning `false`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::Path;

use serde_json::{Map, Value};
use vwo::segmentation::evaluate_dsl;

/// (group, case name, Python's result) for the 11 cases where Python disagrees with the other SDKs.
const PYTHON_WINS: &[(&str, &str, bool)] = &[
    (
        "greater_than_equal_to_operator",
        "is_greater_than_equal_to_operator_string_fail",
        false,
    ),
    (
        "greater_than_operator",
        "is_greater_than_operator_string_fail",
        false,
    ),
    (
        "java_CaseInsensitiveEqualityOperandTests",
        "trimValueTest",
        false,
    ),
    (
        "java_CombinationTests",
        "emptyDslTest/matchingStartWithValue",
        false,
    ),
    ("java_EqualityOperandTests", "trimValueTest", false),
    (
        "java_GreaterThanEqualToOperatorTests",
        "GreaterThanEqualToOperatorStringValueFail",
        false,
    ),
    (
        "java_GreaterThanOperatorTests",
        "GreaterThanOperatorStringValueFail",
        false,
    ),
    (
        "java_LessThanEqualToOperatorTests",
        "LessThanEqualToOperatorStringValueFail",
        false,
    ),
    (
        "java_LessThanOperatorTests",
        "LessThanOperatorStringValueFail",
        false,
    ),
    (
        "less_than_equal_to_operator",
        "is_less_than_equal_to_operator_string_fail",
        false,
    ),
    (
        "less_than_operator",
        "is_less_than_operator_string_fail",
        false,
    ),
];

#[test]
fn segmentation_vectors() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/data/segmentation");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .expect("vector directory")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 37, "segmentation vector files");

    let mut total = 0;
    let mut failed_total = 0;
    let mut overrides_used = 0;
    let mut failures = Vec::new();
    for file in &files {
        let doc: Value =
            serde_json::from_str(&fs::read_to_string(file).expect("read")).expect("json");
        let group = doc["group"].as_str().expect("group");
        let (mut passed, mut failed) = (0, 0);
        for case in doc["cases"].as_array().expect("cases") {
            let name = case["name"].as_str().expect("name");
            let mut expected = case["expected"].as_bool().expect("expected is a bool");
            if let Some(&(_, _, python)) = PYTHON_WINS
                .iter()
                .find(|(g, n, _)| *g == group && *n == name)
            {
                expected = python;
                overrides_used += 1;
            }
            let empty = Map::new();
            let variables = case["variables"].as_object().unwrap_or(&empty);
            let user_id = case.get("userId").and_then(Value::as_str);
            let got = evaluate_dsl(&case["dsl"], variables, user_id);
            if got == expected {
                passed += 1;
            } else {
                failed += 1;
                failures.push(format!("{group}/{name}: expected {expected}, got {got}"));
            }
        }
        println!("{group}: {passed} passed, {failed} failed");
        total += passed + failed;
        failed_total += failed;
    }
    println!(
        "segmentation vectors: {} passed, {failed_total} failed",
        total - failed_total
    );
    assert_eq!(
        overrides_used,
        PYTHON_WINS.len(),
        "every Python override matches a case"
    );
    assert_eq!(total, 604, "case count");
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}

/// Differential run against vwo-python-sdk (see tests/segmentation_differential.py): reads
/// `[[dsl, variables], ...]` from `$VWO_SEG_DIFF_IN`, writes the results to `$VWO_SEG_DIFF_OUT`.
#[test]
#[ignore = "driven by tests/segmentation_differential.py"]
fn segmentation_differential() {
    let (Ok(input), Ok(output)) = (
        std::env::var("VWO_SEG_DIFF_IN"),
        std::env::var("VWO_SEG_DIFF_OUT"),
    ) else {
        return;
    };
    let cases: Vec<(Value, Value)> =
        serde_json::from_str(&fs::read_to_string(input).expect("read")).expect("json");
    let empty = Map::new();
    let results: Vec<bool> = cases
        .iter()
        .map(|(dsl, variables)| evaluate_dsl(dsl, variables.as_object().unwrap_or(&empty), None))
        .collect();
    fs::write(output, serde_json::to_string(&results).expect("json")).expect("write");
}
