"""Solvers: exact tabular fictitious play and online mirror descent; SPG/RSPG in torch.

``spg``/``rspg`` import torch when called, so this package stays importable without it.
"""

from __future__ import annotations

from typing import Any

from econ_envs.meanfield.solvers.tabular import (
    CurvePoint,
    SolverResult,
    fictitious_play,
    online_mirror_descent,
)


def spg(game: Any, iterations: int = 200, **kwargs: Any) -> SolverResult:
    """Structural policy gradient (see :mod:`econ_envs.meanfield.solvers.spg`; needs torch)."""
    from econ_envs.meanfield.solvers.spg import spg as _spg

    return _spg(game, iterations, **kwargs)


def rspg(game: Any, iterations: int = 200, **kwargs: Any) -> SolverResult:
    """Recurrent structural policy gradient (see :mod:`econ_envs.meanfield.solvers.spg`; needs torch)."""
    from econ_envs.meanfield.solvers.spg import rspg as _rspg

    return _rspg(game, iterations, **kwargs)


__all__ = ["CurvePoint", "SolverResult", "fictitious_play", "online_mirror_descent", "rspg", "spg"]
