"""The build step of the `libvwo` distribution: bundle libvwo's shared library into the `vwo` package.

The package is pure Python over libvwo.so, loaded with ctypes, so one wheel serves every CPython 3.9+:
its tag is py3-none-<platform>. Where the library comes from, first match wins:
1. VWO_PREBUILT_LIBRARY (a libvwo.so): no cargo; what `make dist` and `make python-install` use;
2. the crate bundled in an sdist (rust/Cargo.toml, the fallback for platforms without a wheel): built
   with cargo, stripped, in the release profile `dist`;
3. VWO_CARGO_MANIFEST (a Cargo.toml), or the repository this package lives in (../../Cargo.toml).
VWO_WHEEL_PLATFORM sets the wheel's platform tag (make dist: manylinux_2_17_x86_64); by default it is
the build machine's (e.g. linux_x86_64), which only that kind of machine can install.
"""

import json
import os
import shutil
import subprocess
import sys

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))
BUNDLED_CRATE = os.path.join(HERE, "rust", "Cargo.toml")
if sys.platform == "darwin":
    LIB = "libvwo.dylib"
else:
    LIB = "libvwo.so"


def _manifest():
    if os.environ.get("VWO_CARGO_MANIFEST"):
        return os.path.abspath(os.environ["VWO_CARGO_MANIFEST"])
    if os.path.exists(BUNDLED_CRATE):
        return BUNDLED_CRATE
    return os.path.abspath(os.path.join(HERE, "..", "..", "Cargo.toml"))


def _version():
    with open(_manifest()) as f:
        for line in f:
            if line.startswith("version"):
                return line.split("=", 1)[1].strip().strip('"')
    raise RuntimeError("no version in " + _manifest())


def _build_library():
    pre = os.environ.get("VWO_PREBUILT_LIBRARY")
    if pre:
        return pre
    manifest = _manifest()
    cargo = os.environ.get("CARGO", "cargo")
    env = dict(os.environ)
    if manifest == BUNDLED_CRATE:
        # An sdist: the release profile of a release, and a stripped library (the wheel's is stripped too).
        profile = "dist"
        env.setdefault("CARGO_PROFILE_DIST_STRIP", "symbols")
    else:
        profile = "release"
    try:
        subprocess.check_call(
            [cargo, "rustc", "--profile", profile, "--lib", "--crate-type", "cdylib", "--manifest-path", manifest],
            env=env,
        )
    except FileNotFoundError:
        raise RuntimeError(
            "building libvwo from source needs a Rust toolchain (cargo 1.82 or newer, https://rustup.rs); "
            "or install a prebuilt wheel of libvwo for this platform"
        ) from None
    meta = subprocess.check_output(
        [cargo, "metadata", "--format-version", "1", "--no-deps", "--manifest-path", manifest], env=env
    )
    target = json.loads(meta)["target_directory"]
    return os.path.join(target, profile, LIB)


class BuildPyWithLibvwo(build_py):
    def run(self):
        super().run()
        src = _build_library()
        dst_dir = os.path.join(self.build_lib, "vwo")
        os.makedirs(dst_dir, exist_ok=True)
        shutil.copyfile(src, os.path.join(dst_dir, LIB))


class BinaryDistribution(Distribution):
    def has_ext_modules(self):
        return True


class PlatformWheel(bdist_wheel):
    """py3-none-<platform>: any CPython 3 (no extension module), one platform (the bundled library)."""

    def finalize_options(self):
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self):
        _, _, plat = super().get_tag()
        return "py3", "none", os.environ.get("VWO_WHEEL_PLATFORM") or plat


setup(
    version=_version(),
    cmdclass={"build_py": BuildPyWithLibvwo, "bdist_wheel": PlatformWheel},
    distclass=BinaryDistribution,
)
