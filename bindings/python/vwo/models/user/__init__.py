"""``vwo.models.user`` as in vwo-fme-python-sdk."""
