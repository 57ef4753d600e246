"""``vwo.models.user.context_vwo_model`` as in vwo-fme-python-sdk: the context's ``_vwo`` entry."""

from ..._fme import ContextVWOModel

VWOContext = ContextVWOModel

__all__ = ["ContextVWOModel", "VWOContext"]
