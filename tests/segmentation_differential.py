#!/usr/bin/env python3
"""Differential test of libvwo's segmentation against vwo-python-sdk 1.68.2 (black box).

Not run by `cargo test` (the Python SDK is not installed in CI). Usage:
    python3 -m venv /tmp/segvenv && /tmp/segvenv/bin/pip install vwo-python-sdk==1.68.2
    /tmp/segvenv/bin/python tests/segmentation_differential.py [N] [SEED]
Generates N random DSL/variables pairs, evaluates them with the SDK's SegmentEvaluator (an exception
counts as False, as in the SDK's callers) and with `evaluate_dsl` (ignored test `segmentation_differential`),
and prints the disagreements.
"""
import json, logging, os, random, subprocess, sys, tempfile

logging.disable(logging.CRITICAL)
from vwo.services.segmentor.segment_evaluator import SegmentEvaluator

N = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)

NAMES = ["lower", "wildcard", "regex", "gt", "gte", "lt", "lte", "equals", "contains", "startswith",
         "endswith", "greaterthan", "lessthanequalto", "greater_than", "LOWER", "x", ""]
ATOMS = ["a", "A", "ab", "*", "**", "5", "5.0", "-5", "1e3", "1_000", " 12 ", "0", "0.0", "nan", "inf",
         "0.00005", "1e300", "1e16", "(", ")", "\n", "$", "^", ".", "[", "]", "{", "}", "\\", "\\d", "\\Z",
         "?", "+", "|", "é", "İ", "\u00a0", "\u0661", "true", "True", ",", " ", "x y", "[[]", "a{2}", "(?=b)",
         "(a)\\1", "\\p{L}", "&&", "--", "\u001c"]

def rand_text(k=3):
    return "".join(rng.choice(ATOMS) for _ in range(rng.randint(0, k)))

def rand_operand():
    r = rng.random()
    if r < 0.75:
        return f"{rng.choice(NAMES)}({rand_text()}){rand_text(1) if rng.random() < 0.1 else ''}"
    if r < 0.95:
        return rand_text()
    return rng.choice([5, None, True, ["x"], {"a": "b"}])

def rand_value():
    r = rng.random()
    if r < 0.6:
        return rand_text()
    return rng.choice([5, -5, 0, 5.0, 0.5, 1e16, 0.00005, 1e300, True, False, None, ["a", 1], {"k": "v"}, [],
                       12345678901234567890, -0.0])

KEYS = ["a", "b"]

def rand_node(depth=0):
    r = rng.random()
    if depth > 3 or r < 0.45:
        if rng.random() < 0.1:
            return {"user": rng.choice(["a, b", rand_text(), 5])}
        if rng.random() < 0.03:
            return rng.choice([{}, [], "x", None, 5, [0], [1, "x"], {"foo": 1}, {"custom_variable": {}},
                               {"custom_variable": [1, "x"]}])
        return {"custom_variable": {rng.choice(KEYS): rand_operand()}}
    if r < 0.65:
        return {"and": [rand_node(depth + 1) for _ in range(rng.randint(0, 3))]}
    if r < 0.85:
        return {"or": [rand_node(depth + 1) for _ in range(rng.randint(0, 3))]}
    if r < 0.97:
        return {"not": rand_node(depth + 1)}
    return rng.choice([{"and": {}}, {"or": ""}, {"and": "ab"}, {"not": []}])

def rand_vars():
    v = {k: rand_value() for k in KEYS if rng.random() < 0.85}
    if rng.random() < 0.3:
        v["_vwo_user_id"] = rng.choice(["a", "b", "", 5])
    return v

cases = [[rand_node(), rand_vars()] for _ in range(N)]
ev = SegmentEvaluator()
def py(dsl, variables):
    try:
        return bool(ev.evaluate(dsl, variables))
    except Exception:
        return False
expected = [py(d, v) for d, v in cases]

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
with tempfile.TemporaryDirectory() as tmp:
    inp, out = os.path.join(tmp, "in.json"), os.path.join(tmp, "out.json")
    with open(inp, "w") as f:
        json.dump(cases, f)
    env = dict(os.environ, VWO_SEG_DIFF_IN=inp, VWO_SEG_DIFF_OUT=out)
    subprocess.run(["cargo", "test", "-q", "--test", "segmentation_vectors", "--", "--ignored",
                    "segmentation_differential"], cwd=root, env=env, check=True, capture_output=True)
    got = json.load(open(out))

bad = [(c, e, g) for c, e, g in zip(cases, expected, got) if e != g]
for (dsl, variables), e, g in bad[:40]:
    print(f"python={e} libvwo={g} dsl={json.dumps(dsl)} vars={json.dumps(variables)}")
print(f"{N - len(bad)}/{N} agree")
sys.exit(1 if bad else 0)
