"""``vwo.helpers`` as in vwo-python-sdk: only ``vwo.helpers.settings_file_util.get`` (the settings fetch) is
provided; vwo-python-sdk's other helpers (campaign, feature, impression, segment, uuid, validation
utilities) are its implementation, which is libvwo's core here."""

from . import settings_file_util

__all__ = ["settings_file_util"]
