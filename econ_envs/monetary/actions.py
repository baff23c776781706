"""Public decode tables of the discrete actions of ``monetary-v0`` (the seed's action counts).

=============  =====  =====================================================================
role           count  index -> meaning (components in this order; the last varies fastest)
=============  =====  =====================================================================
central_bank       5  rate change of the policy rate: -50, -25, 0, +25, +50 bp (annual rate)
bank              75  lending spread (5) x deposit spread (5) x risk tolerance (3)
household         30  consumption rate (5) x borrow (2: no, yes) x labour supply (3)
firm              45  price change (5) x hiring (3: fire, hold, hire) x investment (3: low, replace, expand)
=============  =====  =====================================================================

``index = (c0 * n1 + c1) * n2 + c2`` for components ``(c0, c1, c2)`` with sizes
``(n0, n1, n2)``. :func:`decode` and :func:`encode` convert both ways (arrays
too); :func:`action_table` gives the values each index stands for under given
parameters, e.g. ``action_table("bank", params)[37]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from econ_envs.monetary.params import MonetaryParams

RATE_CHANGES_BP = (-50.0, -25.0, 0.0, 25.0, 50.0)  # central-bank actions, basis points of an annual rate
HIRING = ("fire", "hold", "hire")
INVESTMENT = ("low", "replace", "expand")
BORROW = ("no", "yes")
RISK_TOLERANCE = ("low", "medium", "high")

COMPONENTS: dict[str, tuple[tuple[str, int], ...]] = {
    "central_bank": (("rate_change", 5),),
    "bank": (("lending_spread", 5), ("deposit_spread", 5), ("risk_tolerance", 3)),
    "household": (("consumption_rate", 5), ("borrow", 2), ("labour_supply", 3)),
    "firm": (("price_change", 5), ("hiring", 3), ("investment", 3)),
}
N_ACTIONS = {role: int(np.prod([n for _, n in comps])) for role, comps in COMPONENTS.items()}
assert N_ACTIONS == {"central_bank": 5, "bank": 75, "household": 30, "firm": 45}


def _check_role(role: str) -> tuple[tuple[str, int], ...]:
    if role not in COMPONENTS:
        raise ValueError(f"unknown role {role!r}; roles are {list(COMPONENTS)}")
    return COMPONENTS[role]


def decode(role: str, index: Any) -> tuple[np.ndarray, ...] | tuple[int, ...]:
    """Component indices of action ``index`` (an int or an integer array) of ``role``."""
    comps = _check_role(role)
    x = np.asarray(index)
    if x.dtype.kind not in "iu":
        raise TypeError(f"{role}: action indices must be integers, got dtype {x.dtype}")
    n = N_ACTIONS[role]
    if np.any((x < 0) | (x >= n)):
        raise ValueError(f"{role}: action index outside [0, {n - 1}]")
    out = []
    rest = x.astype(np.int64)
    for _, size in reversed(comps):
        out.append(rest % size)
        rest = rest // size
    parts = tuple(reversed(out))
    if x.ndim == 0:
        return tuple(int(p) for p in parts)
    return parts


def encode(role: str, *components: Any) -> Any:
    """Action index of ``role`` from its component indices (ints or integer arrays)."""
    comps = _check_role(role)
    if len(components) != len(comps):
        raise ValueError(f"{role}: expected {len(comps)} components ({[c for c, _ in comps]}), got {len(components)}")
    idx: Any = 0
    for (name, size), c in zip(comps, components):
        arr = np.asarray(c)
        if arr.dtype.kind not in "iu":
            raise TypeError(f"{role}: component {name} must be integer, got dtype {arr.dtype}")
        if np.any((arr < 0) | (arr >= size)):
            raise ValueError(f"{role}: component {name} must be in [0, {size - 1}], got {c!r}")
        idx = idx * size + arr.astype(np.int64)
    if np.ndim(idx) == 0:
        return int(idx)
    return idx


def action_table(role: str, params: MonetaryParams | None = None) -> list[dict[str, Any]]:
    """What every action index of ``role`` means, in natural units, under ``params``."""
    p = params if params is not None else MonetaryParams()
    _check_role(role)
    rows: list[dict[str, Any]] = []
    for k in range(N_ACTIONS[role]):
        parts = decode(role, k)
        if role == "central_bank":
            rows.append({"rate_change_bp": RATE_CHANGES_BP[parts[0]]})
        elif role == "bank":
            rows.append(
                {
                    "lending_spread_pct_per_year": p.lending_spreads[parts[0]],
                    "deposit_spread_pct_per_year": p.deposit_spreads[parts[1]],
                    "risk_tolerance": RISK_TOLERANCE[parts[2]],
                    "household_dsti_cap": p.household_dsti_caps[parts[2]],
                    "firm_leverage_cap": p.firm_leverage_caps[parts[2]],
                }
            )
        elif role == "household":
            rows.append(
                {
                    "consumption_rate": p.consumption_rates[parts[0]],
                    "borrow": BORROW[parts[1]],
                    "hours_if_employed": p.hours[parts[2]],
                    "search_intensity_if_unemployed": p.search_intensity[parts[2]],
                }
            )
        else:
            rows.append(
                {
                    "price_change_pct": p.price_changes[parts[0]],
                    "hiring": HIRING[parts[1]],
                    "investment_per_depreciation": p.investment_rates[parts[2]],
                    "investment": INVESTMENT[parts[2]],
                }
            )
    return rows
