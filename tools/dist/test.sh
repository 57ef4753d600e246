#!/usr/bin/env bash
# The release of `make dist` installed and used as its users do, in a shell whose PATH has no cargo or
# rustc (only the sdist, the fallback that builds from source, gets cargo). Work goes to target/dist-test.
#   1. Python: the wheel in a fresh venv runs bindings/python/tests, on CPython 3.11 and on the oldest
#      and newest of PY_OTHER the machine has (one py3-none wheel for every CPython 3.9+).
#   2. C: the tarball unpacked elsewhere; the quickstart built with pkg-config (shared and static) and
#      with CMake (find_package(vwo)), and run.
#   3. Go: a program outside the repository (tools/dist/goapp) gets the module from the file proxy with
#      `go get`, is vetted, built and run plain, with `go mod vendor`, and with -tags vwo_dynamic against
#      the C tarball.
#   4. sdist: pip builds and installs it in a fresh venv with cargo on PATH; it imports and decides.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
DIST=$ROOT/target/dist
WORK=$ROOT/target/dist-test
WHEEL=$DIST/python/libvwo-$VERSION-py3-none-manylinux_2_17_x86_64.whl
SDIST=$DIST/python/libvwo-$VERSION.tar.gz
TARBALL=$DIST/c/libvwo-$VERSION-linux-x86_64.tar.gz
SETTINGS=$ROOT/src/bin/vwo-demo/settings.json
PY_OTHER=${PY_OTHER:-3.9 3.13}
for f in "$WHEEL" "$SDIST" "$TARBALL"; do [ -f "$f" ] || { echo "test-dist: $f is missing (make dist)" >&2; exit 1; }; done

# A PATH without any directory that has cargo or rustc (rustup's ~/.cargo/bin among them).
NO_RUST_PATH=
IFS=: read -ra dirs <<< "$PATH"
for d in "${dirs[@]}"; do
    [ -n "$d" ] && [ ! -e "$d/cargo" ] && [ ! -e "$d/rustc" ] && NO_RUST_PATH=${NO_RUST_PATH:+$NO_RUST_PATH:}$d
done
no_rust() { env PATH="$NO_RUST_PATH" CARGO=/nonexistent/cargo "$@"; }
no_rust sh -c '! command -v cargo && ! command -v rustc' >/dev/null || { echo "test-dist: cargo is still on PATH" >&2; exit 1; }
step() { printf '\ntest-dist: %s\n' "$*"; }
# Runs the Go program on the corpus; libvwo's ERROR lines for the corpus's bad inputs go to a file,
# shown only when the run fails.
goapp() { "$@" "${CORPUS[@]}" 2>"$WORK/goapp.stderr" || { cat "$WORK/goapp.stderr" >&2; return 1; }; }
t0=$SECONDS
chmod -R u+w "$WORK" 2>/dev/null || true
rm -rf "$WORK"
mkdir -p "$WORK"

# -------------------------------------------------------------------------------------- 1. the wheel
pythons=(python3)
for v in $PY_OTHER; do
    py=$( (command -v pyenv >/dev/null && ls -d "$(pyenv root)"/versions/"$v".*/bin/python 2>/dev/null | tail -n 1) || true)
    [ -n "$py" ] || py=$(command -v "python$v" || true)
    if [ -n "$py" ]; then pythons+=("$py"); else echo "test-dist: no CPython $v here, the wheel is not tried on it"; fi
done
for py in "${pythons[@]}"; do
    venv=$WORK/venv-$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    step "the wheel on $("$py" --version) in a fresh venv, without cargo"
    no_rust "$py" -m venv "$venv"
    no_rust "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$WHEEL" pytest
    # The package imported is the installed one, with the library inside it.
    (cd "$WORK" && no_rust "$venv/bin/python" -c '
import sys, vwo
assert vwo.library_path.startswith(sys.prefix), vwo.library_path
assert vwo.__version__ == sys.argv[1], (vwo.__version__, sys.argv[1])
print("vwo", vwo.__version__, "from", vwo.library_path)' "$VERSION")
    no_rust "$venv/bin/python" -m pytest -q -p no:cacheprovider bindings/python/tests
done

# -------------------------------------------------------------------------------------- 2. the C tarball
C=$WORK/c
mkdir -p "$C/opt" && tar -xzf "$TARBALL" -C "$C/opt"
PREFIX=$C/opt/libvwo-$VERSION-linux-x86_64
step "C: the quickstart from the unpacked tarball, with pkg-config (shared and static)"
export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig
[ "$(pkg-config --modversion vwo)" = "$VERSION" ]
no_rust cc -std=c11 -Wall -Werror -o "$C/quickstart" "$PREFIX/examples/quickstart.c" \
    $(pkg-config --cflags --libs vwo) -Wl,-rpath,"$PREFIX/lib"
no_rust "$C/quickstart" "$PREFIX/examples/settings.json"
no_rust cc -std=c11 -Wall -Werror -o "$C/quickstart_static" "$PREFIX/examples/quickstart.c" \
    $(pkg-config --cflags vwo) "$PREFIX/lib/libvwo.a" -lpthread -ldl -lm -lrt
if ldd "$C/quickstart_static" | grep -q libvwo; then echo "test-dist: the static quickstart needs libvwo.so" >&2; exit 1; fi
no_rust "$C/quickstart_static" "$PREFIX/examples/settings.json" >/dev/null
step "C: the quickstart with CMake (find_package(vwo), vwo::vwo and vwo::vwo_static)"
no_rust cmake -S "$PREFIX/examples" -B "$C/cmake-build" -DCMAKE_PREFIX_PATH="$PREFIX" >/dev/null
no_rust cmake --build "$C/cmake-build" >/dev/null
no_rust "$C/cmake-build/quickstart" "$PREFIX/examples/settings.json" >/dev/null
no_rust "$C/cmake-build/quickstart_static" "$PREFIX/examples/settings.json" >/dev/null
echo "cmake: quickstart and quickstart_static ran"

# -------------------------------------------------------------------------------------- 3. the Go module
G=$WORK/go
mkdir -p "$G/app"
cp tools/dist/goapp/main.go "$G/app/"
export GOPROXY=file://$DIST/goproxy GOFLAGS=-mod=mod GONOSUMDB=github.com/libvwo GONOSUMCHECK=1 \
    GOMODCACHE=$G/modcache GOTOOLCHAIN=local GOWORK=off
CORPUS=("$ROOT/tests/vectors/corpus/ab_segments_whitelisting.json" "$ROOT/tests/vectors/corpus/feature_test_T75.json"
    "$ROOT/tests/vectors/corpus/meg_random_groups.json")
step "Go: go get github.com/libvwo/libvwo/bindings/go@v$VERSION from the file proxy, vet, build, run"
(
    cd "$G/app"
    no_rust go mod init example.com/vwoapp >/dev/null 2>&1
    no_rust go get "github.com/libvwo/libvwo/bindings/go@v$VERSION"
    no_rust go vet ./...
    no_rust go build -o app .
    goapp no_rust ./app
    step "Go: the same program vendored (go mod vendor, -mod=vendor)"
    no_rust go mod vendor
    [ -f vendor/github.com/libvwo/libvwo/bindings/go/internal/capi/libvwo_linux_amd64.a ]
    no_rust go build -mod=vendor -o app-vendored .
    goapp no_rust ./app-vendored
    rm -rf vendor
    step "Go: the same program with -tags vwo_dynamic, against the C tarball's libvwo.so"
    no_rust go build -tags vwo_dynamic -o app-dynamic .
    ldd app-dynamic | grep -q "libvwo.so => $PREFIX/lib/libvwo.so" \
        || { LD_LIBRARY_PATH=$PREFIX/lib ldd app-dynamic | grep -q "libvwo.so => $PREFIX/lib/libvwo.so"; }
    LD_LIBRARY_PATH=$PREFIX/lib goapp no_rust ./app-dynamic
    step "Go: where no prebuilt library fits, the build stops naming -tags vwo_dynamic (linux/arm64 and musl, zig as their C compiler)"
    zig="$ROOT/target/tools/bin/python -m ziglang cc"
    for platform in "arm64 aarch64-linux-gnu use_tags_vwo_dynamic" "amd64 x86_64-linux-musl use -tags vwo_dynamic"; do
        read -r goarch triple expected <<< "$platform"
        if out=$(CGO_ENABLED=1 GOARCH=$goarch CC="$zig -target $triple" no_rust go build -o /dev/null . 2>&1); then
            echo "test-dist: the build for $triple succeeded; it must stop with an error" >&2; exit 1
        fi
        grep -q -- "$expected" <<< "$out" || { echo "test-dist: the $triple build failed otherwise:" >&2; echo "$out" >&2; exit 1; }
        echo "$triple: $(grep -m1 -o -- "[^ ]*$expected[^ ]*" <<< "$out") ..."
    done
)
unset PKG_CONFIG_PATH GOPROXY GOFLAGS GONOSUMDB GONOSUMCHECK GOMODCACHE GOTOOLCHAIN GOWORK

# -------------------------------------------------------------------------------------- 4. the sdist
step "sdist: pip install of libvwo-$VERSION.tar.gz in a fresh venv, built with cargo (the fallback)"
python3 -m venv "$WORK/venv-sdist"
# The crates.io dependencies' build is kept between runs (target/sdist-build); the crate is built anew.
CARGO_TARGET_DIR=$ROOT/target/sdist-build "$WORK/venv-sdist/bin/python" -m pip install --quiet \
    --disable-pip-version-check "$SDIST"
(cd "$WORK" && no_rust "$WORK/venv-sdist/bin/python" - "$SETTINGS" <<'PY'
import json, sys, vwo
assert vwo.library_path.startswith(sys.prefix), vwo.library_path
text = open(sys.argv[1]).read()
client = vwo.launch(text, is_development_mode=True)
assert client is not None
keys = [c["key"] for c in json.loads(text)["campaigns"] if c["type"] == "VISUAL_AB"][:3]
names = [client.activate(k, "user-%d" % i) for i, k in enumerate(keys)]
assert any(names), names
print("sdist: vwo", vwo.__version__, "from", vwo.library_path, "decides", names)
PY
)
printf '\ntest-dist: all passed (%d s)\n' $((SECONDS - t0))
