"""``vwo.models`` as in vwo-fme-python-sdk (aliases of libvwo's objects)."""

from . import batch_event_data, user, vwo_options_model  # noqa: E402,F401
