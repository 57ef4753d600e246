#!/usr/bin/env python3
"""FW1 (get_flag) and FT (track_event) on this binding's FME API (libvwo) and on vwo-fme-python-sdk 1.65.0, in one run.

Usage: python bindings/python/bench_fme.py [--workloads fw1,ft] [--sdks libvwo,vwo-fme-python-sdk]
                                           [--rounds 3] [--passes 1] [--ops-scale 1] [--as-is-ops 50]
                                           [--out FILE] [--settings FILE]
(`make bench-python-fme` installs the binding into target/python/site and creates target/fme-ref first,
then runs this; BENCH_ARGS passes options, e.g. `BENCH_ARGS="--ops-scale 0.1"` for a short run.)

Both SDKs run the same call stream (the LCG of the shared workload spec, as in benches/fw1 and
benches/fme_reference.py), on benches/data/fme_settings_50.json (50 features):
  FW1  200,000 `get_flag(features[i % 50], {"id": user, "custom_variables": <profile>})`, a 20,000-call
       warm-up (seed 1001), then the timed pass (seed 1). Digest: FNV-1a 64 over
       "<featureKey>|<userId>|<true|false>|<variationId>\\n" per call (variationId from the integrations
       callback: the experiment's variation id, else the rollout's, else 0). libvwo's digest over the whole
       200,000-call stream is computed in the first round at every --ops-scale and must be a2784da89c6e32d4
       (the digest vwo-fme-python-sdk 1.65.0 gives, docs/PERFORMANCE.md "FME: FW1"); the reference's digest
       over its (shorter) streams must equal libvwo's over the same prefix.
  FT   100,000 `track_event(<first metric of features[i % 50]>, {"id": user})` (user from the same LCG,
       seed 5; warm-up 10,000 calls, seed 1005), no event properties: the W-style figure for track_event.
Every call builds its context as benches/fme_reference.py's loop does (`dict(PROFILES[p])` per call), so
the harness does the same work around each SDK. Events: batch_event_data 100 events per request, 600 s;
a pass ends with `flush_events()`, inside the timed interval, so the figures include delivering the pass's
events.

vwo-fme-python-sdk validates its whole settings document against its JSON schema in every get_flag and
track_event. It is measured twice per round: as it is, over the first --as-is-ops calls of the stream (5-call
warm-up), and with that check memoized (`fme_reference.py --memoize-validation`: decisions unchanged) over
the whole (scaled) stream with the (scaled) warm-up. Ratios are given against both.

Both SDKs import as `vwo`, so each run is a child process, alternately (FW1 libvwo, FW1 reference
memoized, FW1 reference as-is, FT libvwo, ...) in --rounds rounds (default 3); every figure is the median
of the rounds'. libvwo's child (`bench_fme.py --child libvwo --workload W`) imports the package from
target/python/site (else the environment's); the reference's child is benches/fme_reference.py in the
virtual environment target/fme-ref (`make fme-ref-venv`: vwo-fme-python-sdk 1.65.0 and its pins of
benches/fme_reference_requirements.txt, from PyPI).

Network: libvwo sends its events over real sockets to a stub collector (bench.py's: a child process
serving HTTP/1.1 on 127.0.0.1, answering 200) through the libvwo extras `settings=` (no fetch) and
`base_url=`; polling is set to an hour so that no settings fetch happens in a run. vwo-fme-python-sdk's
`requests` adapter is stubbed in-process (fme_reference.py: nothing leaves the process, its sends run
inline), so the reference pays no socket or collector cost at all.

Prints a table (µs per call, ratios, the FW1 target ≥ 30×, digests, events per pass); `--out` writes every
figure as JSON. Exit status 1 when a child fails or a digest differs.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (this directory's bench.py: the LCG, the profiles, the stub collector)

sys.path.remove(HERE)  # never the source tree's `vwo` first

OURS, REF = "libvwo", "vwo-fme-python-sdk"
REF_VERSION = "1.65.0"
MEMO, AS_IS = "memoized", "as-is"
PY_SITE = os.path.join(REPO, "target", "python", "site")
REF_PYTHON = os.path.join(REPO, "target", "fme-ref", "bin", "python")
REF_SCRIPT = os.path.join(REPO, "benches", "fme_reference.py")
SETTINGS = os.path.join(REPO, "benches", "data", "fme_settings_50.json")
FW1_DIGEST = "a2784da89c6e32d4"
WORKLOADS = ("fw1", "ft")
# (timed calls, warm-up calls, seed, warm-up seed) at --ops-scale 1
STREAMS = {"fw1": (200000, 20000, 1, 1001), "ft": (100000, 10000, 5, 1005)}
RATIO_TARGETS = {"fw1": 30.0}  # vwo-fme-python-sdk µs per call ÷ libvwo's, at least
BATCH = {"events_per_request": 100, "request_time_interval": 600}
POLL_MS = 3600000
PROFILES, scaled = bench.PROFILES, bench.scaled


# ------------------------------------------------------------------------------------ workload generation
def gen_flag_ops(keys, n, seed):
    """FW1's stream, as benches/fw1 and fme_reference.py draw it: (feature key, user, profile index)."""
    rng = bench.LCG(seed)
    ops = []
    for i in range(n):
        user = bench.pick_user(rng)
        ops.append((keys[i % len(keys)], user, rng.rand(len(PROFILES))))
    return ops


def gen_track_ops(events, n, seed):
    """FT's stream (fme_reference.py --workload track_event): (event name, user)."""
    rng = bench.LCG(seed)
    return [(events[i % len(events)], bench.pick_user(rng)) for i in range(n)]


FNV_OFFSET, FNV_PRIME, MASK64 = 0xCBF29CE484222325, 0x100000001B3, 0xFFFFFFFFFFFFFFFF


def fnv1a64_prefixes(lines, lengths):
    """{n: FNV-1a 64 of the first n lines} for each n in lengths."""
    want, out, h = set(lengths), {}, FNV_OFFSET
    for i, line in enumerate(lines, 1):
        for b in line.encode("utf-8"):
            h = ((h ^ b) * FNV_PRIME) & MASK64
        if i in want:
            out[i] = "%016x" % h
    return out


def metric_events(settings):
    return [m["identifier"] for f in settings["features"] for m in f.get("metrics", [])[:1]]


# ------------------------------------------------------------------------------------ libvwo (child)
def libvwo_client(vwo, text, settings, base_url, **extra):
    options = {"sdk_key": settings["sdkKey"], "account_id": settings["accountId"], "settings": text,
               "base_url": base_url, "batch_event_data": dict(BATCH), "poll_interval": POLL_MS}
    options.update(extra)
    client = vwo.init(options)
    assert client is not None, "vwo.init failed"
    return client


def flag_pass(client, ops):
    """One pass of get_flag calls and the final flush_events (ns for the calls, ns with the flush)."""
    gf = client.get_flag
    t0 = time.perf_counter_ns()
    for key, user, prof in ops:
        gf(key, {"id": user, "custom_variables": dict(PROFILES[prof])})
    t1 = time.perf_counter_ns()
    client.flush_events()
    return t1 - t0, time.perf_counter_ns() - t0


def track_pass(client, ops):
    """One pass of track_event calls and the final flush_events (ns, ns with the flush, calls answered True)."""
    te = client.track_event
    tracked = 0
    t0 = time.perf_counter_ns()
    for name, user in ops:
        tracked += bool(te(name, {"id": user}).get(name))
    t1 = time.perf_counter_ns()
    client.flush_events()
    return t1 - t0, time.perf_counter_ns() - t0, tracked


def fw1_digests(vwo, text, settings, base_url, keys, lengths):
    """The digest of the first n calls of FW1's timed stream for each n in lengths (a client with the
    integrations callback, which gives the variation ids; not timed)."""
    last = {}
    client = libvwo_client(vwo, text, settings, base_url, integrations={"callback": lambda d: last.update(d=d)})
    lines, enabled = [], 0
    for key, user, prof in gen_flag_ops(keys, max(lengths), STREAMS["fw1"][2]):
        last.clear()
        on = client.get_flag(key, {"id": user, "custom_variables": dict(PROFILES[prof])}).is_enabled()
        d = last.get("d") or {}
        vid = d.get("experimentVariationId")
        vid = d.get("rolloutVariationId") if vid is None else vid
        lines.append("%s|%s|%s|%s\n" % (key, user, "true" if on else "false", 0 if vid is None else vid))
        enabled += on
    client.close()
    return fnv1a64_prefixes(lines, lengths), enabled


def child_main(args):
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != HERE]
    import vwo

    assert hasattr(vwo, "library_path"), "libvwo child imported another vwo package: " + vwo.__file__
    with open(args.settings, encoding="utf-8") as f:
        text = f.read()
    settings = json.loads(text)
    n, warm_n, seed, warm_seed = STREAMS[args.workload]
    n, warm_n = scaled(n, args.ops_scale), scaled(warm_n, args.ops_scale)
    result = {"sdk": OURS, "workload": args.workload, "ops": n, "warm_ops": warm_n, "package": os.path.dirname(
        os.path.abspath(vwo.__file__)), "library": vwo.library_path, "runtime": "CPython " + sys.version.split()[0]}
    with bench.StubCollector() as stub:
        client = libvwo_client(vwo, text, settings, stub.base_url)
        calls, total, events, tracked = [], [], [], None
        if args.workload == "fw1":
            keys = [f["key"] for f in settings["features"]]
            flag_pass(client, gen_flag_ops(keys, warm_n, warm_seed))
            ops = gen_flag_ops(keys, n, seed)
            for _ in range(args.passes):
                e0 = client.delivery_counters()["delivered"]
                c, t = flag_pass(client, ops)
                calls.append(c)
                total.append(t)
                events.append(client.delivery_counters()["delivered"] - e0)
        else:
            names = metric_events(settings)
            track_pass(client, gen_track_ops(names, warm_n, warm_seed))
            ops = gen_track_ops(names, n, seed)
            for _ in range(args.passes):
                e0 = client.delivery_counters()["delivered"]
                c, t, tracked = track_pass(client, ops)
                calls.append(c)
                total.append(t)
                events.append(client.delivery_counters()["delivered"] - e0)
        counters = client.delivery_counters()
        client.close()
        result.update({
            "us_per_op_median": statistics.median(total) / n / 1000,  # the calls and the final flush
            "us_per_op_all": [x / n / 1000 for x in total],
            "calls_only_us_per_op_median": statistics.median(calls) / n / 1000,
            "events_per_pass": events,
            "events_failed": counters["failed"],
            "events_dropped": counters["dropped"],
        })
        if tracked is not None:
            result["tracked"] = tracked
        if args.workload == "fw1" and args.first:
            lengths = sorted({n, args.as_is_ops, STREAMS["fw1"][0]})
            digests, enabled = fw1_digests(vwo, text, settings, stub.base_url, keys, lengths)
            result.update({"digests": {str(k): v for k, v in digests.items()}, "digest_full": digests[
                STREAMS["fw1"][0]], "digest_ok": digests[STREAMS["fw1"][0]] == FW1_DIGEST,
                "enabled_full": enabled})
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


# ------------------------------------------------------------------------------------ runs
def run_json(cmd, env, sdk, workload, variant):
    t0 = time.monotonic()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True)
    wall = time.monotonic() - t0
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0 or not lines:
        return {"sdk": sdk, "workload": workload, "variant": variant, "wall_s": wall,
                "error": "child exited with status %d" % proc.returncode}
    res = json.loads(lines[-1])
    res.update(wall_s=wall, variant=variant, loadavg=os.getloadavg())
    return res


def run_libvwo(workload, args, first):
    cmd = [sys.executable, os.path.abspath(__file__), "--child", OURS, "--workload", workload, "--ops-scale",
           repr(args.ops_scale), "--passes", str(args.passes), "--as-is-ops", str(args.as_is_ops),
           "--settings", os.path.abspath(args.settings)] + (["--first"] if first else [])
    env = dict(os.environ)
    if os.path.isdir(PY_SITE):
        env["PYTHONPATH"] = os.pathsep.join(p for p in (PY_SITE, env.get("PYTHONPATH")) if p)
    return run_json(cmd, env, OURS, workload, None)


def run_ref(workload, variant, args):
    n, warm_n, seed, warm_seed = STREAMS[workload]
    if variant == MEMO:
        n, warm_n, extra = scaled(n, args.ops_scale), scaled(warm_n, args.ops_scale), ["--memoize-validation"]
    else:
        n, warm_n, extra = args.as_is_ops, 5, []
    cmd = [args.ref_python, "-I", REF_SCRIPT, "--settings", os.path.abspath(args.settings), "--workload",
           {"fw1": "get_flag", "ft": "track_event"}[workload], "--ops", str(n), "--warm-ops", str(warm_n),
           "--seed", str(seed), "--warm-seed", str(warm_seed), "--reps", str(args.passes)] + extra
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    res = run_json(cmd, env, REF, workload, variant)
    if "error" not in res:
        res["us_per_op_median"] = res["median_ns"] / 1000
        assert res.get("version") == REF_VERSION, "vwo-fme-python-sdk %s, expected %s" % (res.get("version"),
                                                                                           REF_VERSION)
    return res


def label(sdk, variant):
    return sdk if variant is None else "%s (%s)" % (sdk, variant)


def fmt(x, nd=2):
    return bench.fmt(x, nd)


def summarize(runs, workloads, args):
    """The medians, ratios, target verdicts and checks; returns (summary, table lines, failed)."""
    med = {}
    for (w, key), rs in runs.items():
        ok = [r["us_per_op_median"] for r in rs if "error" not in r]
        med[(w, key)] = statistics.median(ok) if ok and len(ok) == len(rs) else None
    summary = {"us_per_op_median": {"%s %s" % (w, k): v for (w, k), v in med.items()}, "ratios": {},
               "targets": {}, "checks": {}}
    rows, failed = [], any("error" in r for rs in runs.values() for r in rs)
    names = {"fw1": "FW1 get_flag", "ft": "FT track_event"}
    for w in workloads:
        o = med.get((w, OURS))
        rows.append((names[w] + ", us/call (pass incl. flush)", fmt(o), fmt(med.get((w, MEMO))),
                     fmt(med.get((w, AS_IS)), 0), "", ""))
        first = next(iter(runs.get((w, OURS), [])), {})
        if "calls_only_us_per_op_median" in first:
            calls = statistics.median(r["calls_only_us_per_op_median"] for r in runs[(w, OURS)] if "error" not in r)
            rows.append(("  libvwo calls alone (no final flush), us/call", fmt(calls), "", "", "", ""))
        for variant in (MEMO, AS_IS):
            r = med.get((w, variant))
            ratio = r / o if (o and r) else None
            summary["ratios"]["%s %s" % (w, variant)] = ratio
            verdict = ""
            target = RATIO_TARGETS.get(w)
            if target is not None and ratio is not None:
                met = ratio >= target
                summary["targets"]["%s_%s_ratio_ge_%g" % (w, variant, target)] = met
                verdict = ">= %gx: %s" % (target, "met" if met else "missed")
            rows.append(("  ratio vs the reference " + variant, "", "", "", fmt(ratio, 1) + "x" if ratio else "-",
                         verdict))
        # events per pass (libvwo: delivered to the collector; the reference: in its stubbed requests)
        ev = [str(next((r.get("events_per_pass", r.get("events_per_rep")) for r in runs.get((w, k), [])
                        if "error" not in r), "-")) for k in (OURS, MEMO, AS_IS)]
        ev = [e.strip("[]") for e in ev]
        rows.append(("  events sent per pass", ev[0], ev[1], ev[2], "", ""))
        if w == "fw1":
            ok_first = next((r for r in runs.get((w, OURS), []) if "digests" in r), None)
            if ok_first is not None:
                full = ok_first["digest_full"]
                summary["checks"]["fw1_digest_libvwo_200000"] = full == FW1_DIGEST
                failed |= full != FW1_DIGEST
                rows.append(("  libvwo digest, 200,000 calls", full, "", "",
                             "ok" if full == FW1_DIGEST else "DIFFERS", "= %s" % FW1_DIGEST))
                cells = []
                for variant in (MEMO, AS_IS):
                    r = next((x for x in runs.get((w, variant), []) if "error" not in x), None)
                    if r is None:
                        cells.append("-")
                        continue
                    mine = ok_first["digests"].get(str(r["ops"]))
                    same = mine == r["digest"]
                    summary["checks"]["fw1_digest_%s_first_%d" % (variant, r["ops"])] = same
                    failed |= not same
                    cells.append("%s %s" % (r["digest"], "= libvwo" if same else "DIFFERS from libvwo %s" % mine))
                rows.append(("  reference digest (its calls) vs libvwo's", "", cells[0], cells[1], "", ""))
        else:
            tr = [str(next((r.get("tracked") for r in runs.get((w, k), []) if "error" not in r), "-"))
                  for k in (OURS, MEMO, AS_IS)]
            rows.append(("  calls answered True", tr[0], tr[1], tr[2], "", ""))
    header = ("", OURS, "%s %s memoized" % (REF, REF_VERSION), "as-is", "ratio", "target")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(6)]
    lines = ["  ".join(c.ljust(widths[i]) if i in (0, 5) else c.rjust(widths[i]) for i, c in enumerate(r)).rstrip()
             for r in [header] + rows]
    lines.append("(reference as-is: the first %d calls of each stream, 5-call warm-up; memoized and libvwo: %s "
                 "calls per pass at --ops-scale %g)" % (args.as_is_ops, ", ".join(
                     "%s %d" % (w.upper(), scaled(STREAMS[w][0], args.ops_scale)) for w in workloads), args.ops_scale))
    for w in workloads:
        for key in (OURS, MEMO, AS_IS):
            rs = [r for r in runs.get((w, key), []) if "error" not in r]
            if rs:
                lines.append("%s %s rounds: %s us; load %s" % (w.upper(), label(REF, key) if key != OURS else OURS,
                             " ".join("%.2f" % r["us_per_op_median"] for r in rs),
                             " ".join("%.1f" % r["loadavg"][0] for r in rs)))
    return summary, lines, failed


def parent_main(args):
    workloads = [w.strip().lower() for w in args.workloads.split(",") if w.strip()]
    sdks = [s.strip() for s in args.sdks.split(",") if s.strip()]
    for w in workloads:
        if w not in WORKLOADS:
            raise SystemExit("bench_fme: unknown workload %r (fw1, ft)" % w)
    for s in sdks:
        if s not in (OURS, REF):
            raise SystemExit("bench_fme: unknown SDK %r (%s, %s)" % (s, OURS, REF))
    if REF in sdks and not os.path.exists(args.ref_python):
        raise SystemExit("bench_fme: no %s: run `make fme-ref-venv` (or pass --ref-python)" % args.ref_python)
    started = time.time()
    meta = {"command": [os.path.basename(sys.executable)] + sys.argv, "ops_scale": args.ops_scale,
            "as_is_ops": args.as_is_ops, "settings": os.path.relpath(os.path.abspath(args.settings), REPO),
            "machine": platform.machine(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "loadavg_start": os.getloadavg(), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z",
                                                                         time.localtime(started))}
    runs = {}  # (workload, libvwo | memoized | as-is) -> one result per round
    for rnd in range(args.rounds):
        for w in workloads:
            todo = ([(OURS, None)] if OURS in sdks else []) + ([(REF, MEMO), (REF, AS_IS)] if REF in sdks else [])
            for sdk, variant in todo:
                print("bench_fme: round %d/%d %s %s ..." % (rnd + 1, args.rounds, w.upper(), label(sdk, variant)),
                      file=sys.stderr, flush=True)
                res = run_libvwo(w, args, rnd == 0) if sdk == OURS else run_ref(w, variant, args)
                runs.setdefault((w, variant or OURS), []).append(res)
                if "error" in res:
                    print("bench_fme: %s %s: %s" % (w.upper(), label(sdk, variant), res["error"]), file=sys.stderr,
                          flush=True)
                else:
                    print("bench_fme: %s %s: %.3f us/call (%.0f s)" % (w.upper(), label(sdk, variant),
                          res["us_per_op_median"], res["wall_s"]), file=sys.stderr, flush=True)
    meta["loadavg_end"] = os.getloadavg()
    meta["wall_s"] = time.time() - started
    summary, lines, failed = summarize(runs, workloads, args)
    print("\n".join(lines))
    print("load average (1, 5, 15 min): start %s, end %s; %d CPUs; wall %.0f s" % (
        " ".join("%.2f" % x for x in meta["loadavg_start"]), " ".join("%.2f" % x for x in meta["loadavg_end"]),
        meta["cpus"] or 0, meta["wall_s"]))
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(dict(meta, runs={"%s %s" % k: v for k, v in runs.items()}, **summary), f, indent=1)
            f.write("\n")
        print("full results: " + args.out)
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workloads", default="fw1,ft", help="comma-separated: fw1, ft (default both)")
    ap.add_argument("--sdks", default="%s,%s" % (OURS, REF), help="comma-separated: %s, %s (default both)"
                    % (OURS, REF))
    ap.add_argument("--ops-scale", type=float, default=1.0,
                    help="multiplies the call counts of libvwo and of the memoized reference (e.g. 0.1 for a "
                         "short run); libvwo's FW1 digest is always checked over the whole 200,000-call stream")
    ap.add_argument("--as-is-ops", type=int, default=50,
                    help="calls of the reference as it is (it validates its settings on every call; default 50)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds (default 3); each figure is the rounds' median")
    ap.add_argument("--passes", type=int, default=1, help="timed passes per run (default 1; the run's median)")
    ap.add_argument("--out", help="write every figure as JSON to this file")
    ap.add_argument("--settings", default=SETTINGS)
    ap.add_argument("--ref-python", default=REF_PYTHON, help="the reference venv's python (target/fme-ref)")
    ap.add_argument("--first", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--child", choices=(OURS,), help=argparse.SUPPRESS)
    ap.add_argument("--workload", choices=WORKLOADS, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.ops_scale <= 0:
        ap.error("--ops-scale must be positive")
    if args.rounds < 1 or args.passes < 1 or args.as_is_ops < 1:
        ap.error("--rounds, --passes and --as-is-ops must be at least 1")
    if args.child:
        return child_main(args)
    return parent_main(args)


if __name__ == "__main__":
    sys.exit(main())
