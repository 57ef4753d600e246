"""The build step of the `libvwo` distribution: compile libvwo with cargo and bundle the shared library.

The Rust crate is found at VWO_CARGO_MANIFEST (a Cargo.toml) or two directories up (the repository this
package lives in). VWO_PREBUILT_LIBRARY (a libvwo.so) skips cargo. The wheel is platform-specific.
"""

import os
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))
LIB = "libvwo.so"


def _manifest():
    m = os.environ.get("VWO_CARGO_MANIFEST") or os.path.join(HERE, "..", "..", "Cargo.toml")
    return os.path.abspath(m)


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
    subprocess.check_call([cargo, "build", "--release", "--lib", "--manifest-path", manifest])
    meta = subprocess.check_output(
        [cargo, "metadata", "--format-version", "1", "--no-deps", "--manifest-path", manifest]
    )
    import json

    target = json.loads(meta)["target_directory"]
    return os.path.join(target, "release", LIB)


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


setup(version=_version(), cmdclass={"build_py": BuildPyWithLibvwo}, distclass=BinaryDistribution)
