"""Solvers: exact tabular fictitious play and online mirror descent; SPG/RSPG in torch (imported lazily)."""

from econ_envs.meanfield.solvers.tabular import (
    CurvePoint,
    SolverResult,
    fictitious_play,
    online_mirror_descent,
)

__all__ = ["CurvePoint", "SolverResult", "fictitious_play", "online_mirror_descent"]
