"""``vwo.packages.logger.enums`` as in vwo-fme-python-sdk."""

from . import log_level_enum  # noqa: E402,F401
