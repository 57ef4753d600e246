"""``vwo.packages.logger`` as in vwo-fme-python-sdk."""

from . import enums  # noqa: E402,F401
