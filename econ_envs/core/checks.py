"""Numba kernels for validating batched actions in one pass (used by :mod:`econ_envs.core.env`)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def check_clip_box(x: np.ndarray, low: np.ndarray, high: np.ndarray):
    """Validate and clip rows of a continuous action array in one pass.

    ``x`` is (n, d) float64; ``low``/``high`` have d entries. Returns
    ``(clipped copy, clipped-components per row, first bad row, first bad column)``
    with the bad row = -1 when every value is finite. Nothing is modified in place.
    """
    n, d = x.shape
    out = np.empty((n, d))
    counts = np.zeros(n, dtype=np.int64)
    for i in range(n):
        for j in range(d):
            v = x[i, j]
            if not np.isfinite(v):
                return out, counts, i, j
            if v < low[j]:
                out[i, j] = low[j]
                counts[i] += 1
            elif v > high[j]:
                out[i, j] = high[j]
                counts[i] += 1
            else:
                out[i, j] = v
    return out, counts, -1, -1
