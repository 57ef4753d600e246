#!/usr/bin/env bash
# Installs what `make test` and `make dist` need when it is missing, or, where it cannot install (not
# root, no apt-get), stops at once with the list of what is missing and the commands that install it.
#
#   tools/deps.sh test   everything `make test` runs (it includes the release and its install tests)
#   tools/deps.sh dist   only what `make dist` needs
#   tools/deps.sh fuzz   only what `make fuzz-smoke` needs (cargo-fuzz; the nightly toolchain itself is
#                        the caller's: tools/fuzz.sh skips without one)
#
# Installed here, each only when missing: Debian packages (apt-get, as root), the rustfmt and clippy
# components (rustup), pytest (pip, for the machine's python3), cargo-zigbuild (cargo install, from
# crates.io) and the release tools of tools/requirements-dist.txt in a venv at target/tools (PyPI).
# Cannot be installed here (a toolchain each; the message says where to get it): cargo and rustc
# (>= 1.82), Go (>= 1.22), a C compiler, python3 (>= 3.9) with venv.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-test}
CARGO_ZIGBUILD_VERSION=0.24.1
CARGO_FUZZ_VERSION=0.13.1
TOOLS=target/tools

missing=()      # what cannot be installed here: "what: how to get it"
apt=()          # Debian packages to install
have() { command -v "$1" >/dev/null 2>&1; }

have cargo && have rustc || missing+=("cargo and rustc >= 1.82: https://rustup.rs (rustup toolchain install stable)")
have cc || apt+=(gcc)
have make || apt+=(make)
have strip && have objdump || apt+=(binutils)
if [ "$mode" = fuzz ]; then
    have c++ || apt+=(g++)      # libfuzzer-sys compiles libFuzzer
fi
have python3 || missing+=("python3 >= 3.9 with venv and pip: apt-get install python3 python3-venv python3-pip")
if [ "$mode" = test ]; then
    have pkg-config || apt+=(pkg-config)
    have redis-server || apt+=(redis-server)
    have valgrind || apt+=(valgrind)
    have cmake || apt+=(cmake)
    if have go; then
        gov=$(go env GOVERSION 2>/dev/null | sed 's/^go//')
        printf '1.22\n%s\n' "$gov" | sort -V -C 2>/dev/null || missing+=("Go >= 1.22 (this is $gov): https://go.dev/dl")
    else
        missing+=("Go >= 1.22: https://go.dev/dl")
    fi
fi

can_apt=false
if [ "$(id -u)" = 0 ] && have apt-get; then can_apt=true; fi
if [ ${#apt[@]} -gt 0 ]; then
    if $can_apt; then
        echo "tools/deps.sh: apt-get install ${apt[*]}"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt[@]}" >/dev/null
    else
        missing+=("Debian packages: sudo apt-get install ${apt[*]}")
    fi
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "tools/deps.sh: cannot go on; missing:" >&2
    printf '  - %s\n' "${missing[@]}" >&2
    exit 1
fi

if [ "$mode" = fuzz ]; then
    if ! cargo fuzz --version 2>/dev/null | grep -q " $CARGO_FUZZ_VERSION\$"; then
        echo "tools/deps.sh: cargo install cargo-fuzz $CARGO_FUZZ_VERSION (about 2 minutes)"
        cargo install --quiet --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION"
    fi
    exit 0
fi
if have rustup; then
    for c in rustfmt clippy; do
        rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c"
    done
fi
if [ "$mode" = test ] && ! python3 -m pytest --version >/dev/null 2>&1; then
    echo "tools/deps.sh: pip install pytest"
    python3 -m pip install --quiet --disable-pip-version-check pytest
fi
if ! cargo-zigbuild --version 2>/dev/null | grep -q " $CARGO_ZIGBUILD_VERSION\$"; then
    echo "tools/deps.sh: cargo install cargo-zigbuild $CARGO_ZIGBUILD_VERSION (about 2 minutes)"
    cargo install --quiet --locked cargo-zigbuild --version "$CARGO_ZIGBUILD_VERSION"
fi
# The release tools' venv, remade when tools/requirements-dist.txt changes.
if ! cmp -s tools/requirements-dist.txt "$TOOLS/requirements-dist.txt" 2>/dev/null; then
    echo "tools/deps.sh: release tools into $TOOLS (pip: tools/requirements-dist.txt)"
    rm -rf "$TOOLS"
    python3 -m venv "$TOOLS"
    "$TOOLS/bin/python" -m pip install --quiet --disable-pip-version-check -r tools/requirements-dist.txt
    cp tools/requirements-dist.txt "$TOOLS/requirements-dist.txt"
fi
