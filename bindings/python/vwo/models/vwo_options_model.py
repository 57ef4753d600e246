"""``vwo.models.vwo_options_model`` as in vwo-fme-python-sdk: the init options read as a model."""

from .._fme import VWOOptionsModel

__all__ = ["VWOOptionsModel"]
