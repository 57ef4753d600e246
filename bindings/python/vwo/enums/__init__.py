"""``vwo.enums`` as in vwo-python-sdk: ``LogLevelEnum`` is :data:`vwo.LOG_LEVELS` (the same class, as in
vwo-python-sdk). vwo-python-sdk's ``LogMessageEnum``, ``FileNameEnum``, ``HooksEnum`` and segment enums
name its own log texts, source files and DSL keywords and are not provided: libvwo's messages are its own."""

from .._client import LOG_LEVELS as LogLevelEnum

__all__ = ["LogLevelEnum"]
