#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets, fuzz/corpus/<target>/, from tests/vectors.

Deterministic (same files every run, named by their SHA-1 as libFuzzer names its own), and small: the
smallest vector files of each kind, a few hundred KB in all. Run from the repository root after the
vectors change: `python3 tools/fuzz_seeds.py`. The input formats are described in each target's
fuzz/fuzz_targets/<target>.rs.
"""
import hashlib
import json
import os
import random
import shutil
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
V = os.path.join(ROOT, "tests", "vectors")
OUT = os.path.join(ROOT, "fuzz", "corpus")


def compact(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False).encode()


def smallest(folder, n, max_bytes):
    files = sorted(
        (os.path.getsize(os.path.join(folder, f)), f)
        for f in os.listdir(folder)
        if f.endswith(".json")
    )
    return [os.path.join(folder, f) for size, f in files if size <= max_bytes][:n]


def write(target, seeds):
    d = os.path.join(OUT, target)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for s in seeds:
        with open(os.path.join(d, hashlib.sha1(s).hexdigest()), "wb") as f:
            f.write(s)
    print(f"{target}: {len(seeds)} seeds, {sum(map(len, seeds))} bytes")


def read(path):
    with open(path, "rb") as f:
        return f.read()


v1 = [read(p) for p in smallest(os.path.join(V, "data", "settings"), 60, 4000)]
fme = [read(p) for p in smallest(os.path.join(V, "fme", "data", "settings"), 13, 12000)]
write("settings_v1", v1)
ctx = compact({"id": "user-7", "custom_variables": {"price": 100, "browser": "chrome"}})
write("settings_fme", fme + [s + b"\0" + ctx for s in fme[:4]])

# Segmentation: DSL, newline, then "insert, exact operand value" for each custom_variable leaf.
seg = {}
folder = os.path.join(V, "data", "segmentation")
for f in sorted(os.listdir(folder)):
    for case in json.load(open(os.path.join(folder, f)))["cases"]:
        text = compact(case["dsl"])
        if len(text) <= 1500:
            seg.setdefault(text, case)
index = json.load(open(os.path.join(V, "fme", "data", "segmentation-evaluator", "index.json")))
for group in index.values():
    for case in group.values():
        text = compact(case["dsl"])
        if len(text) <= 1500:
            seg.setdefault(text, case)
picked = sorted(seg, key=lambda t: (len(t), t))[:200]
write("segmentation", [t + b"\n" + b"\x01\x00" * 16 + b"\x01\x01" for t in picked])

options = [
    (0, {}),
    (0, {"log_level": "INFO", "is_development_mode": True, "goal_type_to_track": "CUSTOM_GOAL"}),
    (0, {"batch_events": {"events_per_request": 5, "request_time_interval": 2}, "sdk_name_suffix": "c",
         "polling_interval_seconds": 60, "base_url": "http://127.0.0.1:1/"}),
    (0, {"delivery": {"connect_timeout_ms": 100, "timeout_ms": 200, "queue_capacity": 7, "when_full": "drop",
                      "max_attempts": 2, "max_retry_time_ms": 10, "proxy": "http://127.0.0.1:3128",
                      "close_timeout_ms": 5, "flush_timeout_ms": 6, "block_ms": 1}}),
    (0, {"userStorage": {"redis": {"url": "redis://u:p@127.0.0.1:1/2", "keyPrefix": "p", "ttlSeconds": 5}}}),
    (0, {"user_storage": {"memory": {"maxEntries": 10}}}),
    (0, {"user_storage": {"file": {"path": "/nonexistent/x", "maxSizeMb": 1}}}),
    (1, {"custom_variables": {"a": 1, "b": 1.5, "c": "x"}, "user_agent": "UA", "userIpAddress": "1.2.3.4"}),
    (1, {"variationTargetingVariables": {"team": "qa"}, "shouldTrackReturningUser": True,
         "customProperties": {"k": [1, 2]}}),
    (1, {"revenueValue": "12.5", "goalTypeToTrack": "REVENUE_TRACKING", "eventProperties": {"p": 1}}),
]
seeds = [bytes([w]) + compact(o) for w, o in options]
seeds += [b"\x02" + b'{"revenue_value":12.5,"custom_variables":{"a":1}}',
          b"\x02" + b'{"revenue_value":-1e3,"user_agent":"x"}',
          b"\x02" + b'{"revenue_value":1,"revenueValue":2}',
          b"\x02" + b'{"customVariables":{"plan":"pro"},"revenue_value":true}']
write("options", seeds)

# The C ABI: settings NUL options NUL, then calls (op NUL key NUL user NUL options [NUL extra...]).
extra = {3: 1, 4: 1, 5: 1, 6: 1, 7: 1, 9: 1, 10: 2}
ffi = []
for i, s in enumerate(v1[:24]):
    parts = [s, b"" if i % 3 else b'{"batch_events":{"events_per_request":2,"request_time_interval":1}}']
    for op in range(14):
        key = b'["#\\u0001"]' if op == 6 else b"#" + bytes([1 + op])
        opts = b"" if op % 2 else b'{"custom_variables":{"a":1},"revenue_value":3}'
        parts += [bytes([op + 14 * (i % 2)]), key, b"user-%d" % op, opts]
        parts += [b"goal"] * extra.get(op, 0)
    ffi.append(b"\0".join(parts))
ffi.append(b"\xff\xfe{not utf-8\0\0")
write("ffi", ffi)

rnd = random.Random(17)
spool = [bytes(rnd.randrange(256) for _ in range(n)) for n in (16, 64, 128, 256, 512, 1024)]
spool.append(b"\x03" + b"\x02\x05\x07" + b"\x00" * 40 + b"\x02\x09\x01\x07" + b"\x01" * 40)
write("spool", spool)

fetch = [struct.pack("<H", 200) + b"123456\0sdk-key\0\0" + s for s in v1[:12]]
fetch += [struct.pack("<H", 404) + b"1\0k\0http://127.0.0.1:1/\0not found",
          struct.pack("<H", 0xFFFF) + b"1\0k\0\0connection refused",
          struct.pack("<H", 200) + b" \0k\0\0{}"]
write("fetch", fetch)
