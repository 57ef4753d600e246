"""Built-in user storage through the Python binding: vwo-python-sdk's ``redis_creds`` against a real
redis-server started here on 127.0.0.1 (``make test`` installs it: tools/deps.sh; set VWO_SKIP_REDIS=1 to skip these
explicitly), and the embedded file store across a fork and a relaunch."""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

import vwo
from conftest import MemoryStorage, QuietLogger, in_forked_child


def settings(weights=(50, 50)):
    def campaign(id_, key):
        return {"id": id_, "key": key, "name": key, "status": "RUNNING", "type": "VISUAL_AB",
                "percentTraffic": 100, "isForcedVariationEnabled": False, "segments": {},
                "goals": [{"id": 201, "identifier": "CUSTOM", "type": "CUSTOM_GOAL"}],
                "variations": [{"id": 1, "name": "Control", "weight": weights[0], "changes": {}},
                               {"id": 2, "name": "Variation-1", "weight": weights[1], "changes": {}}]}
    return json.dumps({"accountId": 123456, "sdkKey": "abcdef0123456789abcdef0123456789", "version": 1,
                       "campaigns": [campaign(11, "ab")]})


def command(port, *args):
    """One RESP command; the reply's first line, or a bulk string's value (None for a nil)."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        req = "*%d\r\n" % len(args) + "".join("$%d\r\n%s\r\n" % (len(a.encode()), a) for a in args)
        s.sendall(req.encode())
        data = b""
        while not data.endswith(b"\r\n") or (data.startswith(b"$") and data.count(b"\r\n") < 2
                                              and not data.startswith(b"$-1")):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    text = data.decode("utf-8")
    if text.startswith("$-1"):
        return None
    if text.startswith("$"):
        return text.split("\r\n", 1)[1][:-2]
    return text.strip()


@pytest.fixture
def redis_server():
    yield from _redis_server()


def _redis_server(*extra):
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("VWO_SKIP_REDIS") == "1":
            pytest.skip("redis-server not installed and VWO_SKIP_REDIS=1")
        pytest.fail("redis-server not found on PATH: make test installs it (tools/deps.sh; apt-get install -y redis-server); "
                    "set VWO_SKIP_REDIS=1 to skip explicitly")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    d = tempfile.mkdtemp(prefix="vwo-py-redis-")
    p = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                          "--dir", d, *extra], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 10
        while True:
            try:
                command(port, "PING")
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.02)
        yield port
    finally:
        p.kill()
        p.wait()
        shutil.rmtree(d, ignore_errors=True)


def test_redis_creds_sticky_across_a_restart_in_vwo_python_sdk_format(redis_server):
    port = redis_server
    creds = {"url": "127.0.0.1:%d" % port, "user_id": None, "password": None}
    c = vwo.launch(settings(), is_development_mode=True, redis_creds=creds)
    first = {u: c.activate("ab", u) for u in ("u%d" % i for i in range(30))}
    assert set(first.values()) == {"Control", "Variation-1"}
    assert c.close(timeout=5) is True
    assert command(port, "GET", "ab:u0") == json.dumps({"userId": "u0", "campaignKey": "ab",
                                                        "variationName": first["u0"]})
    assert c.storage_counters()["pending"] == 0
    # A new client whose weights send every new user to Control keeps the stored assignments.
    c2 = vwo.launch(settings((100, 0)), is_development_mode=True, redis_creds=creds)
    assert {u: c2.get_variation_name("ab", u) for u in first} == first
    assert c2.track("ab", "u1", "CUSTOM") == {"ab": True}
    assert c2.track("ab", "u1", "CUSTOM") == {"ab": False}
    counters = c2.storage_counters()
    assert counters["hits"] >= 30 and counters["read_errors"] == 0
    c2.close(timeout=5)
    assert json.loads(command(port, "GET", "ab:u1"))["goalIdentifiers"] == "CUSTOM"


@pytest.fixture
def redis_with_acl():
    yield from _redis_server("--user", "default", "off", "--user", "alice", "on", ">s3cret", "~*", "&*", "+@all")


def test_redis_creds_user_id_and_password_authenticate(redis_with_acl):
    port = redis_with_acl
    good = vwo.launch(settings(), is_development_mode=True,
                      redis_creds={"url": "127.0.0.1:%d" % port, "user_id": "alice", "password": "s3cret"})
    v = good.activate("ab", "Ashley")
    assert good.close(timeout=5) is True
    assert good.storage_counters()["written"] == 1
    # Wrong password: decisions still work (as with nothing stored); the failures are counted.
    bad = vwo.launch(settings(), is_development_mode=True, logger=QuietLogger(),
                     redis_creds={"url": "127.0.0.1:%d" % port, "user_id": "alice", "password": "nope"})
    assert bad.activate("ab", "Bill") in ("Control", "Variation-1")
    assert bad.get_variation_name("ab", "Ashley") is None
    assert bad.storage_counters()["read_errors"] >= 1
    bad.close(timeout=0)
    assert v in ("Control", "Variation-1")


def test_user_storage_object_wins_over_redis_creds():
    storage = MemoryStorage()
    c = vwo.launch(settings(), is_development_mode=True, user_storage=storage,
                   redis_creds={"url": "127.0.0.1:1"})
    v = c.activate("ab", "Ashley")
    assert storage.records[("Ashley", "ab")]["variationName"] == v
    assert c.storage_counters()["reads"] == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_builtin_file_storage_across_fork_and_relaunch(tmp_path):
    opts = {"file": {"path": str(tmp_path / "store")}}
    c = vwo.launch(settings(), is_development_mode=True, builtin_user_storage=opts)
    parent = c.activate("ab", "Ashley")
    def child():  # the binding relaunches the client; the store is reopened for this process
        got = [c.get_variation_name("ab", "Ashley")] + [c.activate("ab", "c%d" % i) for i in range(20)]
        c.close(timeout=5)
        return got

    got = in_forked_child(child)
    assert got[0] == parent
    # The child's writes are on disk, seen by the parent's client and by a new one with other weights.
    c2 = vwo.launch(settings((0, 100)), is_development_mode=True, builtin_user_storage=opts)
    for i, v in enumerate(got[1:]):
        assert c.get_variation_name("ab", "c%d" % i) == v
        assert c2.get_variation_name("ab", "c%d" % i) == v


def test_builtin_storage_errors_name_the_option():
    logger = QuietLogger()
    assert vwo.launch(settings(), logger=logger, builtin_user_storage={"redis": {"url": "x", "timeoutMs": 0}}) is None
    assert any("options.user_storage.redis.timeoutMs" in m for _l, m in logger.messages), logger.messages
    d = tempfile.mkdtemp()
    try:
        with open(os.path.join(d, "data.mdb"), "wb") as f:
            f.write(b"\x5a" * 65536)
        logger = QuietLogger()
        assert vwo.launch(settings(), logger=logger, builtin_user_storage={"file": {"path": d}}) is None
        assert any("status 11" in m and d in m for _l, m in logger.messages), logger.messages
    finally:
        shutil.rmtree(d, ignore_errors=True)
