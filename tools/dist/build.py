#!/usr/bin/env python3
"""Assembles a release from the release build of libvwo (`make dist` runs cargo first, then this).

    build.py LIB_DIR OUT_DIR

LIB_DIR holds libvwo.so and libvwo.a of the `dist` profile, linked against glibc 2.17. OUT_DIR
(target/dist) receives:
    c/libvwo-<ver>-linux-x86_64.tar.gz       lib/, include/, pkg-config, CMake package, LICENSE, README
    goproxy/                                  the Go module, laid out as a module proxy serves it
    python/libvwo-<ver>-py3-none-manylinux_2_17_x86_64.whl and python/libvwo-<ver>.tar.gz (sdist)
    symbols/libvwo.so, symbols/libvwo.a       the libraries as linked, unstripped, for crash reports
and prints the size of each. The only version is Cargo.toml's. Every file comes from git (what is
committed), the build, or a template of the repository: a release is built from a clean checkout.
"""

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GO_MODULE = "github.com/libvwo/libvwo/bindings/go"
GLIBC_FLOOR = (2, 17)
WHEEL_PLATFORM = "manylinux_2_17_x86_64"


def fail(message):
    sys.exit("make dist: " + message)


def run(*cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def version():
    with open(os.path.join(ROOT, "Cargo.toml"), encoding="utf-8") as f:
        m = re.search(r'^version = "([^"]+)"', f.read(), re.M)
    if not m:
        fail("no version in Cargo.toml")
    return m.group(1)


def git_files(under):
    out = subprocess.check_output(["git", "-C", ROOT, "ls-files", "-z", "--", under])
    return [p for p in out.decode().split("\0") if p]


def commit_time():
    """The release's time: HEAD's commit time in UTC (the same build gives the same .info)."""
    out = subprocess.check_output(["git", "-C", ROOT, "log", "-1", "--format=%ct"]).decode().strip()
    import datetime

    t = datetime.datetime.fromtimestamp(int(out), tz=datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def template(path, ver):
    major, minor, patch = ver.split("-")[0].split(".")
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        text = f.read()
    for k, v in {"VERSION": ver, "VERSION_MAJOR": major, "VERSION_MINOR": minor, "VERSION_PATCH": patch}.items():
        text = text.replace("@%s@" % k, v)
    return text


def check_glibc(lib):
    """No symbol of libvwo.so may need a glibc newer than the floor (what the manylinux tag promises)."""
    out = subprocess.check_output(["objdump", "-T", lib]).decode()
    versions = {tuple(int(x) for x in m.split(".")) for m in re.findall(r"GLIBC_(\d+(?:\.\d+)+)", out)}
    newest = max(versions) if versions else (0,)
    if newest > GLIBC_FLOOR:
        fail("%s needs GLIBC_%s, newer than the floor %d.%d" % (lib, ".".join(map(str, newest)), *GLIBC_FLOOR))
    return ".".join(map(str, newest))


def strip_libraries(lib_dir, out):
    """symbols/ keeps the libraries as linked; stage/ gets the stripped copies that ship."""
    sym, stage = os.path.join(out, "symbols"), os.path.join(out, "stage")
    for d in (sym, stage):
        os.makedirs(d, exist_ok=True)
    for name in ("libvwo.so", "libvwo.a"):
        src = os.path.join(lib_dir, name)
        if not os.path.exists(src):
            fail("%s is missing (the release build comes first: make dist)" % src)
        shutil.copyfile(src, os.path.join(sym, name))
    # The shared library keeps only its dynamic symbols; the archive keeps its symbol table (a linker
    # needs it) and loses debug sections.
    run("strip", "--strip-all", "-o", os.path.join(stage, "libvwo.so"), os.path.join(lib_dir, "libvwo.so"))
    run("strip", "--strip-debug", "-o", os.path.join(stage, "libvwo.a"), os.path.join(lib_dir, "libvwo.a"))
    return stage


def add_bytes(tar, name, data, mode=0o644):
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), mode
    tar.addfile(info, io.BytesIO(data))


def c_tarball(stage, out, ver):
    top = "libvwo-%s-linux-x86_64" % ver
    path = os.path.join(out, "c", top + ".tar.gz")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    pc = template("bindings/c/vwo.pc.in", ver).replace("@PREFIX@", "${pcfiledir}/../..")
    with tarfile.open(path, "w:gz") as tar:
        tar.add(os.path.join(stage, "libvwo.so"), top + "/lib/libvwo.so")
        tar.add(os.path.join(stage, "libvwo.a"), top + "/lib/libvwo.a")
        tar.add(os.path.join(ROOT, "include", "vwo.h"), top + "/include/vwo.h")
        add_bytes(tar, top + "/lib/pkgconfig/vwo.pc", pc.encode())
        for name in ("vwoConfig.cmake", "vwoConfigVersion.cmake"):
            text = template("bindings/c/cmake/%s.in" % name, ver)
            add_bytes(tar, top + "/lib/cmake/vwo/" + name, text.encode())
        tar.add(os.path.join(ROOT, "LICENSE"), top + "/LICENSE")
        add_bytes(tar, top + "/README.md", template("bindings/c/dist/README.md", ver).encode())
        tar.add(os.path.join(ROOT, "bindings", "c", "examples", "quickstart.c"), top + "/examples/quickstart.c")
        tar.add(os.path.join(ROOT, "bindings", "c", "examples", "CMakeLists.txt"), top + "/examples/CMakeLists.txt")
        tar.add(os.path.join(ROOT, "src", "bin", "vwo-demo", "settings.json"), top + "/examples/settings.json")
    return [path]


def go_module_files(stage):
    """(name in the module, bytes) of the module as a release has it: the committed files of bindings/go
    without nested modules, plus the header and the prebuilt archive inside the package with the cgo
    lines, and the licence."""
    files = []
    base = "bindings/go/"
    nested = {os.path.dirname(p[len(base):]) for p in git_files(base) if p.endswith("/go.mod") and p != base + "go.mod"}
    for p in git_files(base):
        rel = p[len(base):]
        if any(rel.startswith(d + "/") for d in nested if d):
            continue
        with open(os.path.join(ROOT, p), "rb") as f:
            files.append((rel, f.read()))
    capi = "internal/capi/"
    with open(os.path.join(ROOT, "include", "vwo.h"), "rb") as f:
        files.append((capi + "vwo.h", f.read()))
    with open(os.path.join(stage, "libvwo.a"), "rb") as f:
        files.append((capi + "libvwo_linux_amd64.a", f.read()))
    if not any(rel == "LICENSE" for rel, _ in files):
        with open(os.path.join(ROOT, "LICENSE"), "rb") as f:
            files.append(("LICENSE", f.read()))
    return sorted(files)


def go_proxy(stage, out, ver):
    """The layout of GOPROXY=file://OUT/goproxy: <module>/@v/{list, vX.info, vX.mod, vX.zip}."""
    v = "v" + ver
    d = os.path.join(out, "goproxy", GO_MODULE, "@v")
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    files = go_module_files(stage)
    gomod = dict(files)["go.mod"]
    if not re.search(rb"^module %s\s*$" % re.escape(GO_MODULE.encode()), gomod, re.M):
        fail("bindings/go/go.mod does not declare module " + GO_MODULE)
    if re.search(rb"^\s*replace\b", gomod, re.M):
        fail("bindings/go/go.mod has a replace directive: a released module must not")
    # The Go code cannot read Cargo.toml: its constant must say the same (a test checks it too).
    const = re.search(rb'SDKVersion\s*=\s*"([^"]+)"', dict(files)["pkg/constants/constants.go"])
    if not const or const.group(1).decode() != ver:
        fail("bindings/go/pkg/constants/constants.go: SDKVersion must be Cargo.toml's version %s" % ver)
    zpath = os.path.join(d, v + ".zip")
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as z:
        for rel, data in files:
            info = zipfile.ZipInfo("%s@%s/%s" % (GO_MODULE, v, rel), date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    with open(os.path.join(d, v + ".mod"), "wb") as f:
        f.write(gomod)
    with open(os.path.join(d, v + ".info"), "w") as f:
        json.dump({"Version": v, "Time": commit_time()}, f)
    with open(os.path.join(d, "list"), "w") as f:
        f.write(v + "\n")
    return [zpath]


def cargo_manifest_for_sdist():
    """Cargo.toml without the targets whose sources an sdist leaves out (benchmarks, examples)."""
    with open(os.path.join(ROOT, "Cargo.toml"), encoding="utf-8") as f:
        text = f.read()
    out, skip = [], False
    for line in text.splitlines():
        if line.startswith("["):
            skip = line.strip() in ("[[bench]]", "[[example]]", "[dev-dependencies]")
        if not skip:
            out.append(line)
    return "\n".join(out).rstrip() + "\n"


def python_stage(out):
    """bindings/python (package, metadata, README) with the crate under rust/: the sdist's tree."""
    staging = os.path.join(out, "build", "python")
    if os.path.isdir(staging):
        shutil.rmtree(staging)
    base = "bindings/python/"
    for p in git_files(base):
        rel = p[len(base):]
        if rel.startswith("tests/") or rel.startswith("bench"):
            continue
        dst = os.path.join(staging, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(os.path.join(ROOT, p), dst)
    crate = os.path.join(staging, "rust")
    for p in git_files("src") + ["build.rs", "cbindgen.toml", "Cargo.lock", "include/vwo.h", "README.md", "LICENSE"]:
        dst = os.path.join(crate, p)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(os.path.join(ROOT, p), dst)
    with open(os.path.join(crate, "Cargo.toml"), "w", encoding="utf-8") as f:
        f.write(cargo_manifest_for_sdist())
    shutil.copyfile(os.path.join(ROOT, "LICENSE"), os.path.join(staging, "LICENSE"))
    return staging


def python_dists(stage, out, ver):
    staging = python_stage(out)
    pyout = os.path.join(out, "python")
    if os.path.isdir(pyout):
        shutil.rmtree(pyout)
    py = os.environ.get("DIST_PYTHON", sys.executable)
    env = dict(os.environ, VWO_PREBUILT_LIBRARY=os.path.join(stage, "libvwo.so"), VWO_WHEEL_PLATFORM=WHEEL_PLATFORM)
    env.pop("VWO_CARGO_MANIFEST", None)
    built = subprocess.run([py, "-m", "build", "--sdist", "--wheel", "--outdir", pyout, staging], env=env,
                           capture_output=True, text=True)
    if built.returncode != 0:
        fail("python -m build failed:\n%s%s" % (built.stdout, built.stderr))
    wheel = os.path.join(pyout, "libvwo-%s-py3-none-%s.whl" % (ver, WHEEL_PLATFORM))
    sdist = os.path.join(pyout, "libvwo-%s.tar.gz" % ver)
    for p in (wheel, sdist):
        if not os.path.exists(p):
            fail("python -m build did not produce %s (it made %s)" % (p, os.listdir(pyout)))
    # auditwheel judges the wheel as a package index does: its library's symbols and needed libraries.
    shown = subprocess.run([py, "-m", "auditwheel", "show", wheel], capture_output=True, text=True)
    tags = re.findall(r'"(manylinux_(\d+)_(\d+)_x86_64)"', shown.stdout)
    if shown.returncode != 0 or not tags or max((int(a), int(b)) for _, a, b in tags) > GLIBC_FLOOR:
        fail("auditwheel does not accept %s for %s:\n%s%s" % (wheel, WHEEL_PLATFORM, shown.stdout, shown.stderr))
    return [wheel, sdist]


def size(path):
    n = os.path.getsize(path)
    return "%.1f MB" % (n / 1e6) if n >= 1e5 else "%d bytes" % n


def main():
    if len(sys.argv) != 3:
        fail("usage: build.py LIB_DIR OUT_DIR")
    lib_dir, out = (os.path.abspath(a) for a in sys.argv[1:])
    ver = version()
    os.makedirs(out, exist_ok=True)
    stage = strip_libraries(lib_dir, out)
    newest = check_glibc(os.path.join(stage, "libvwo.so"))
    artifacts = c_tarball(stage, out, ver) + go_proxy(stage, out, ver) + python_dists(stage, out, ver)
    print("libvwo %s: the release in %s (libvwo.so needs at most GLIBC_%s)" % (ver, os.path.relpath(out, ROOT), newest))
    for p in artifacts + [os.path.join(stage, n) for n in ("libvwo.so", "libvwo.a")] + [
        os.path.join(out, "symbols", n) for n in ("libvwo.so", "libvwo.a")
    ]:
        print("  %-12s %s" % (size(p), os.path.relpath(p, ROOT)))


if __name__ == "__main__":
    main()
