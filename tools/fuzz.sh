#!/usr/bin/env bash
# The fuzz targets of fuzz/ (cargo-fuzz + libFuzzer, nightly toolchain; see docs/RELIABILITY.md,
# "Fuzzing"):
#
#   tools/fuzz.sh smoke                        every target for FUZZ_SECONDS (default 20) each
#   tools/fuzz.sh run <target> <seconds> [libFuzzer options…]   one target, for longer
#   tools/fuzz.sh list                         the targets
#
# Without a nightly toolchain it says "skipped: no nightly toolchain" and succeeds. cargo-fuzz is
# installed by `tools/deps.sh fuzz` (pinned). The committed seeds, fuzz/corpus/<target>, are only read;
# what a run learns goes to fuzz/target/corpus/<target> and crashes to fuzz/artifacts/<target> (both
# git-ignored). A crash fails the run; its input is the file libFuzzer names, to be turned into a
# regression test (tests/fuzz_regressions.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
TARGETS=(settings_v1 settings_fme segmentation options ffi spool fetch)
mode=${1:-smoke}

if [ "$mode" = list ]; then
    printf '%s\n' "${TARGETS[@]}"
    exit 0
fi
if ! command -v rustup >/dev/null 2>&1 || ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    echo "fuzz: skipped: no nightly toolchain (rustup toolchain install nightly)"
    exit 0
fi
tools/deps.sh fuzz

run() {
    local target=$1 seconds=$2
    shift 2
    mkdir -p "fuzz/target/corpus/$target"
    echo "fuzz: $target for ${seconds}s"
    (cd fuzz && cargo +nightly fuzz run --debug-assertions "$target" \
        "target/corpus/$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 "$@")
}

case "$mode" in
smoke)
    # One build of every target first, so that each target's time is spent fuzzing.
    (cd fuzz && cargo +nightly fuzz build --debug-assertions)
    for t in "${TARGETS[@]}"; do
        log=fuzz/target/smoke-$t.log
        if run "$t" "${FUZZ_SECONDS:-20}" >"$log" 2>&1; then
            grep -E 'stat::number_of_executed_units' "$log" | sed "s/^/fuzz: $t: /"
        else
            tail -n 60 "$log"
            echo "fuzz: $t FAILED (log: $log; the input: fuzz/artifacts/$t)"
            exit 1
        fi
    done
    echo "fuzz-smoke: ${#TARGETS[@]} targets passed"
    ;;
run)
    [ $# -ge 3 ] || { echo "usage: tools/fuzz.sh run <target> <seconds> [libFuzzer options]" >&2; exit 2; }
    run "${@:2}"
    ;;
*)
    echo "usage: tools/fuzz.sh smoke | run <target> <seconds> | list" >&2
    exit 2
    ;;
esac
