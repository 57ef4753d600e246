"""``vwo.constants`` as in vwo-python-sdk: ``vwo.constants.constants``."""

from . import constants

__all__ = ["constants"]
