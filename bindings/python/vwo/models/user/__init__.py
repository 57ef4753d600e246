"""``vwo.models.user`` as in vwo-fme-python-sdk."""

from . import context_vwo_model, get_flag  # noqa: E402,F401
