"""``vwo.packages.storage`` as in vwo-fme-python-sdk."""

from . import connector  # noqa: E402,F401
