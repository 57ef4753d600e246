"""``vwo.models`` as in vwo-fme-python-sdk (aliases of libvwo's objects)."""
