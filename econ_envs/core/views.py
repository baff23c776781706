"""Finite observation bounds for the single-agent (Gymnasium) views.

Gymnasium expects a ``Box`` observation space with finite bounds (``check_env``
warns on infinite ones, and normalising wrappers need them). A view's
observation space is built from its role's space in three steps:

1. the role's finite bounds are kept (shares in [0, 1], tax rates in their grid ...);
2. components with a natural bound the role's space does not state get it by name
   (``natural``: e.g. ``time`` in [0, 1], a rate inside its policy corridor);
3. every bound still infinite becomes +-:data:`SATURATION`, in the component's own
   unit (e.g. 1e6 times mean income, 1e6 %/yr): a value beyond it means the economy
   has already blown up, and the view clips it there and reports the number of
   clipped components in ``info["clipped_observation"]``.

The PettingZoo environments keep their roles' spaces (and unclipped observations).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from gymnasium import spaces

SATURATION = 1e6  # |observation| bound of components without a natural one, in the component's unit


def finite_box(
    space: spaces.Box, names: Sequence[str] | None = None, natural: Mapping[str, tuple[float, float]] | None = None
) -> spaces.Box:
    """``space`` with natural bounds set by component name and the remaining infinite bounds at +-SATURATION."""
    low = np.array(np.broadcast_to(space.low, space.shape), dtype=np.float64)
    high = np.array(np.broadcast_to(space.high, space.shape), dtype=np.float64)
    if natural:
        if names is None or len(names) != low.size:
            raise ValueError(f"natural bounds need one name per component ({low.size}), got {names!r}")
        unknown = sorted(set(natural) - set(names))
        if unknown:
            raise ValueError(f"natural bounds for unknown component(s) {unknown}")
        for i, name in enumerate(names):
            if name in natural:
                low[i], high[i] = natural[name]
    low[~np.isfinite(low)] = -SATURATION
    high[~np.isfinite(high)] = SATURATION
    if np.any(low > high):
        raise ValueError("observation bounds with low > high")
    return spaces.Box(low.astype(np.float32), high.astype(np.float32), dtype=np.float32)


def clip_observation(obs: np.ndarray, space: spaces.Box, info: dict[str, Any]) -> np.ndarray:
    """``obs`` clipped into ``space`` as float32; ``info["clipped_observation"]`` counts clipped components.

    NaN components are left as they are (a NaN is a bug to see, not a value to hide).
    """
    x = np.asarray(obs, dtype=np.float32)
    out = np.clip(x, space.low, space.high)
    n = int(np.count_nonzero(out != x) - np.count_nonzero(np.isnan(x)))
    if n:
        info["clipped_observation"] = n
    return out
