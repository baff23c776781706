"""Run a solver on a game and write its exploitability curve: ``econ-envs solve GAME --solver ...``.

Outputs in ``out``:
    curve.csv     iteration, wall_time_s (solver time; numba kernels are compiled by a warm-up run
                  first), exploitability (MFAX's anticipative definition),
                  nonanticipative_exploitability, policy_value
    curve.png     exploitability against iterations and against wall time (log scale)
    summary.json  game, parameters, solver settings, uniform-policy exploitability, final point,
                  versions
    policy.npz    tabular solvers: one table per information node, with the paths (node ids, z, weights)
    policy.pt     SPG/RSPG: the network's state_dict
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from econ_envs.meanfield.exploitability import exploitability
from econ_envs.meanfield.games import make_game
from econ_envs.meanfield.solvers.tabular import CurvePoint, SolverResult, fictitious_play, online_mirror_descent

SOLVERS = ("fp", "omd", "spg", "rspg")
DEFAULT_ITERATIONS = {"fp": 200, "omd": 100, "spg": 200, "rspg": 200}
CURVE_FIELDS = ("iteration", "wall_time_s", "exploitability", "nonanticipative_exploitability", "policy_value")


def run_solver(
    game: str,
    solver: str,
    *,
    iterations: int | None = None,
    seed: int = 0,
    overrides: Mapping[str, Any] | None = None,
    learning_rate: float | None = None,
    eval_every: int | None = None,
    n_paths: int = 8,
    progress: bool = False,
) -> SolverResult:
    """Build the game, run the solver, return its result (curve and policy)."""
    if solver not in SOLVERS:
        raise ValueError(f"unknown solver {solver!r}; choose from {list(SOLVERS)}")
    g = make_game(game, **dict(overrides or {}))
    iterations = DEFAULT_ITERATIONS[solver] if iterations is None else iterations

    def show(pt: CurvePoint) -> None:
        if progress:
            print(
                f"{solver} it {pt.iteration:5d}  {pt.wall_time_s:8.2f} s  exploitability {pt.exploitability:.6g}"
                f"  (non-anticipative {pt.nonanticipative_exploitability:.6g})",
                flush=True,
            )

    if solver in ("fp", "omd"):
        every = 1 if eval_every is None else eval_every
        if solver == "fp":
            return fictitious_play(g, iterations, n_paths=n_paths, seed=seed, eval_every=every, progress=show)
        return online_mirror_descent(
            g, iterations, learning_rate=learning_rate, n_paths=n_paths, seed=seed, eval_every=every, progress=show
        )
    from econ_envs.meanfield.solvers.spg import structural_policy_gradient

    kw: dict[str, Any] = {} if learning_rate is None else {"learning_rate": learning_rate}
    return structural_policy_gradient(
        g,
        iterations,
        recurrent=solver == "rspg",
        n_paths=n_paths,
        seed=seed,
        eval_every=10 if eval_every is None else eval_every,
        progress=show,
        **kw,
    )


def write_curve(result: SolverResult, path: Path) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(CURVE_FIELDS)
        for pt in result.curve:
            w.writerow([pt.iteration] + [repr(float(getattr(pt, k))) for k in CURVE_FIELDS[1:]])


def read_curve(path: str | Path) -> dict[str, np.ndarray]:
    """Read a ``curve.csv`` back as column arrays."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise ValueError(f"{path}: no rows")
    return {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}


def plot_curves(curves: Mapping[str, Mapping[str, np.ndarray]], path: Path, title: str) -> None:
    """One PNG: exploitability (log scale) against iterations and against wall time, one line per label."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from econ_envs.core.plotting import legend_outside

    fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), layout="constrained")
    for label, c in curves.items():
        y = np.maximum(c["exploitability"], 1e-12)
        markers = {"marker": "o", "markersize": 3} if len(y) <= 30 else {}  # evaluations every k-th iteration
        axes[0].plot(c["iteration"], y, label=label, linewidth=1.5, **markers)
        axes[1].plot(c["wall_time_s"], y, label=label, linewidth=1.5, **markers)
    for ax, xl in zip(axes, ("solver iteration", "wall time (s)")):
        ax.set_yscale("log")
        ax.set_xlabel(xl)
        ax.set_ylabel("exploitability (reward per agent, log scale)")
        ax.grid(alpha=0.3, which="both")
    legend_outside(axes[1], fontsize=8)
    fig.suptitle(title + ": exploitability = best-response gain against the population (0 = Nash equilibrium)",
                 fontsize=10)  # fmt: skip
    fig.savefig(path, dpi=120)
    plt.close(fig)


def solve(
    game: str,
    solver: str,
    *,
    out: str | Path,
    iterations: int | None = None,
    seed: int = 0,
    overrides: Mapping[str, Any] | None = None,
    learning_rate: float | None = None,
    eval_every: int | None = None,
    n_paths: int = 8,
    progress: bool = False,
) -> dict[str, Any]:
    """Run a solver and write curve.csv, curve.png, summary.json and the policy to ``out``."""
    from econ_envs.core.simulate import versions

    out_dir = Path(out)
    g0 = make_game(game, **dict(overrides or {}))
    # warm-up: load/compile every kernel the run uses, so the curve's wall time is the solver's own
    uniform = exploitability(g0, g0.uniform_policy(), n_paths=n_paths, seed=seed)
    run_solver(game, solver, iterations=0, seed=seed, overrides=overrides, n_paths=n_paths)
    start = time.perf_counter()
    res = run_solver(
        game, solver, iterations=iterations, seed=seed, overrides=overrides, learning_rate=learning_rate,
        eval_every=eval_every, n_paths=n_paths, progress=progress,
    )  # fmt: skip
    wall = time.perf_counter() - start
    g = res.game
    out_dir.mkdir(parents=True, exist_ok=True)
    write_curve(res, out_dir / "curve.csv")
    names = {"fp": "fictitious play", "omd": "online mirror descent", "spg": "structural policy gradient",
             "rspg": "recurrent structural policy gradient"}  # fmt: skip
    label = f"{names.get(solver, solver)} on meanfield/{g.key}" + (" (common noise)" if g.has_common_noise else "")
    plot_curves({label: read_curve(out_dir / "curve.csv")}, out_dir / "curve.png", label)
    if solver in ("fp", "omd"):
        pol = res.policy
        np.savez_compressed(
            out_dir / "policy.npz", tables=pol.tables, node=pol.paths.node, z=pol.paths.z,
            static=pol.paths.static, weight=pol.paths.weight,
        )  # fmt: skip
    else:
        import torch

        torch.save(res.policy.net.state_dict(), out_dir / "policy.pt")
    last = res.curve[-1]
    summary = {
        "game": g.key,
        "params": {k: getattr(g.params, k) for k in g.params.field_names()},
        "solver": solver,
        "seed": seed,
        "settings": res.settings,
        "uniform_exploitability": uniform.exploitability,
        "final": {k: getattr(last, k) for k in CURVE_FIELDS},
        "final_over_uniform": last.exploitability / uniform.exploitability,
        "wall_time_s": wall,
        "versions": versions(),
    }
    with open(out_dir / "summary.json", "w") as f:
        json.dump(summary, f, indent=2, default=float)
    summary["out"] = str(out_dir)
    return summary
