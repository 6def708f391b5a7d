"""Binary search in sorted fixed-width key arrays, the reader's way to find a subject."""

from __future__ import annotations

import numpy as np


def span(keys: np.ndarray, key: str) -> tuple[int, int]:
    """Where `key` sits in the sorted fixed-width `keys`: [start, stop), empty if absent."""
    encoded = key.encode("utf-8", "replace")
    if len(encoded) > keys.dtype.itemsize:  # NumPy would cut it to fit, and find a prefix
        return 0, 0
    probe = np.array(encoded, dtype=keys.dtype)
    return (
        int(np.searchsorted(keys, probe, side="left")),
        int(np.searchsorted(keys, probe, side="right")),
    )
