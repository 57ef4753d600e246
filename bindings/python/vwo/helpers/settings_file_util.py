"""``vwo.helpers.settings_file_util`` as in vwo-python-sdk: ``get`` is libvwo's :func:`vwo.get_settings_file`
(an alias, not a copy)."""

from .._client import get_settings_file as get

__all__ = ["get"]
