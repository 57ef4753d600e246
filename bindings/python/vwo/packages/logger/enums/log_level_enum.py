"""``vwo.packages.logger.enums.log_level_enum`` as in vwo-fme-python-sdk: the ``logger`` option's levels."""

from ...._fme import LogLevelEnum

__all__ = ["LogLevelEnum"]
