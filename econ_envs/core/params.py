"""Helpers for the frozen parameter dataclasses of every economy.

Each family keeps one frozen dataclass of calibration constants (``TaxParams``,
...). These helpers give them uniform validation (a bad value raises
``ValueError`` naming the field and the allowed range) and uniform overriding
from keyword arguments (an unknown name raises ``TypeError`` listing the valid
ones), which is what ``econ_envs.make(env_id, **kwargs)`` and
``econ-envs simulate --set key=value`` rely on.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

P = TypeVar("P")


def check_number(
    name: str,
    value: Any,
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
    integer: bool = False,
) -> None:
    """Raise if ``value`` is not a finite real number in the given interval.

    ``TypeError`` for a non-number (bool counts as a non-number), ``ValueError``
    for NaN/inf or a value outside ``[lo, hi]`` (open ends as requested). The
    message names the field and shows the allowed range.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
        raise TypeError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    if integer:
        if isinstance(value, float) and not value.is_integer():
            raise TypeError(f"{name} must be an integer, got {value!r}")
        if not isinstance(value, (int, float)) and int(value) != float(value):
            raise TypeError(f"{name} must be an integer, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    left = "(" if lo_open else "["
    right = ")" if hi_open else "]"
    rng = f"{left}{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}{right}"
    if lo is not None and (v < lo or (lo_open and v == lo)):
        raise ValueError(f"{name} must be in {rng}, got {value!r}")
    if hi is not None and (v > hi or (hi_open and v == hi)):
        raise ValueError(f"{name} must be in {rng}, got {value!r}")


def check_choice(name: str, value: Any, choices: Sequence[Any]) -> None:
    """Raise ``ValueError`` if ``value`` is not one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")


def check_increasing(name: str, values: Sequence[float], *, strictly: bool = True) -> None:
    """Raise ``ValueError`` unless ``values`` is a (strictly) increasing sequence of finite numbers."""
    for i, v in enumerate(values):
        check_number(f"{name}[{i}]", v)
    for i in range(1, len(values)):
        bad = values[i] <= values[i - 1] if strictly else values[i] < values[i - 1]
        if bad:
            raise ValueError(f"{name} must be {'strictly ' if strictly else ''}increasing, got {list(values)}")


def field_names(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def with_overrides(params: P, overrides: Mapping[str, Any]) -> P:
    """Return a copy of the frozen dataclass ``params`` with ``overrides`` applied.

    Unknown names raise ``TypeError`` listing the valid ones; the new values go
    through the class's own ``__post_init__`` validation. Tuple-typed fields
    accept lists.
    """
    names = field_names(type(params))
    unknown = [k for k in overrides if k not in names]
    if unknown:
        raise TypeError(f"unknown parameter(s) {unknown} for {type(params).__name__}; valid names: {sorted(names)}")
    fixed = {}
    for k, v in overrides.items():
        current = getattr(params, k)
        if isinstance(current, tuple) and isinstance(v, list):
            v = tuple(v)
        fixed[k] = v
    return dataclasses.replace(params, **fixed)


def parse_value(text: str) -> Any:
    """Parse a ``--set key=value`` value: JSON-like numbers, booleans, lists; otherwise a string."""
    import json

    t = text.strip()
    lowered = t.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    try:
        return json.loads(t)
    except (json.JSONDecodeError, ValueError):
        return t


def parse_assignments(items: Sequence[str] | None) -> dict[str, Any]:
    """Parse ``["a=1", "b=x"]`` into ``{"a": 1, "b": "x"}``; a malformed item raises ``ValueError``."""
    out: dict[str, Any] = {}
    for item in items or ():
        if "=" not in item:
            raise ValueError(f"--set expects key=value, got {item!r}")
        key, _, value = item.partition("=")
        key = key.strip()
        if not key:
            raise ValueError(f"--set expects key=value, got {item!r}")
        out[key] = parse_value(value)
    return out
