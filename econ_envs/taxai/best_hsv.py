"""The best classical tax schedule: the stationary HSV policy that maximises a task against optimal households.

``search_best_hsv(task)`` maximises the government's objective (its reward per year,
averaged over the 300-year episode from the calibrated start) over stationary HSV
policies (tau, xi, tau_a, xi_a, G/Y) inside the action box, each candidate judged in
the perfect-foresight equilibrium with optimal households
(:func:`econ_envs.taxai.optimal.equilibrium_path`). The optimiser is derivative-free:
a coarse grid over the income-tax level and progressivity, then a bounded compass
(pattern) search over all five components whose steps halve when no move improves,
each equilibrium warm-started from the nearest one solved before.

``python scripts/taxai_equilibrium.py --search`` runs it and writes
``econ_envs/taxai/data/best_hsv.json``, which the ``best_hsv`` government rule
(:class:`econ_envs.taxai.policies.BestHSV`) reads.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from econ_envs.taxai.optimal import DPGrid, OptimalHouseholds, equilibrium_path
from econ_envs.taxai.params import TaxParams

DATA_FILE = Path(__file__).parent / "data" / "best_hsv.json"


@dataclass
class SearchResult:
    task: str
    policy: list[float]
    objective: float
    evaluations: int
    seconds: float
    trace: list[dict[str, Any]] = field(default_factory=list)


def objective_of(eq: Any) -> float:
    """The government's reward per year over the episode (collapse penalty included)."""
    rewards = [row["government_reward"] for row in eq.path.aggregates]
    return float(np.mean(rewards)) if rewards else float("-inf")


def search_best_hsv(
    task: str = "social_welfare",
    n_households: int = 100,
    seed: int = 0,
    grid: DPGrid | None = None,
    max_evaluations: int = 60,
    min_step: float = 0.02,
    log: Callable[[str], None] | None = None,
    cache_file: str | Path | None = None,
) -> SearchResult:
    """Maximise ``task``'s objective over stationary HSV policies (see the module docstring).

    ``min_step`` is the smallest step as a fraction of each component's range; the search
    stops there or after ``max_evaluations`` equilibria. ``cache_file`` (JSON) keeps every
    evaluation, so an interrupted search resumes where it stopped.
    """
    params = TaxParams(n_households=n_households, task=task, income_tax="hsv")
    low, high = (np.array(v, dtype=np.float64) for v in params.policy_bounds())
    span = high - low
    t0 = time.perf_counter()
    cache: dict[tuple, tuple[float, Any]] = {}
    trace: list[dict[str, Any]] = []

    done: dict[tuple, float] = {}
    if cache_file is not None and Path(cache_file).exists():  # resume: evaluations of an interrupted search
        for tr in json.loads(Path(cache_file).read_text()):
            done[tuple(np.round(tr["policy"], 6))] = tr["objective"]
            trace.append(tr)

    def evaluate(x: np.ndarray) -> float:
        x = np.clip(x, low, high)
        key = tuple(np.round(x, 6))
        if key in cache:
            return cache[key][0]
        if key in done:
            cache[key] = (done[key], None)
            return done[key]
        start: Any = "buffer_stock"
        solved = [k for k in cache if cache[k][1] is not None]
        if solved:  # warm start from the nearest solved equilibrium
            near = min(solved, key=lambda k: float(np.sum(((np.array(k) - x) / span) ** 2)))
            start = OptimalHouseholds(cache[near][1].best_response)
        from econ_envs.taxai.policies import FixedPolicy

        gov = FixedPolicy(params, x)
        eq = equilibrium_path(params, gov, seed=seed, grid=grid, start=start)
        val = objective_of(eq)
        cache[key] = (val, eq)
        trace.append({"policy": [float(v) for v in x], "objective": val, "converged": eq.converged,
                      "iterations": eq.iterations, "years": eq.path.T})  # fmt: skip
        if cache_file is not None:
            Path(cache_file).parent.mkdir(parents=True, exist_ok=True)
            Path(cache_file).write_text(json.dumps(trace))
        if log is not None:
            log(f"[{len(cache):3d}] {np.round(x, 4).tolist()} -> {val:.5f} (equilibrium: {eq.iterations} it, "
                f"converged {eq.converged})")  # fmt: skip
        return val

    # coarse grid over the income-tax level and progressivity (no wealth tax, no spending)
    best_x = low.copy()
    best = evaluate(best_x)
    for tau in (0.1, 0.2, 0.3):
        for xi in (0.0, 0.1, 0.2):
            x = low.copy()
            x[0], x[1] = tau, xi
            v = evaluate(x)
            if v > best:
                best, best_x = v, x
    # bounded compass search over all components
    step = np.full(low.size, 0.25)
    while len(cache) < max_evaluations and step.max() >= min_step:
        improved = False
        for k in range(low.size):
            for sgn in (1.0, -1.0):
                if len(cache) >= max_evaluations:
                    break
                x = best_x.copy()
                x[k] = np.clip(x[k] + sgn * step[k] * span[k], low[k], high[k])
                if np.allclose(x, best_x):
                    continue
                v = evaluate(x)
                if v > best + 1e-7:
                    best, best_x, improved = v, x, True
                    break
        if not improved:
            step *= 0.5
    return SearchResult(
        task=task, policy=[float(v) for v in best_x], objective=best, evaluations=len(cache),
        seconds=time.perf_counter() - t0, trace=trace,
    )  # fmt: skip


def load_best_hsv(task: str) -> list[float]:
    """The searched best HSV policy for ``task`` (from ``data/best_hsv.json``)."""
    if not DATA_FILE.exists():
        raise FileNotFoundError(
            f"{DATA_FILE} is missing; run `python scripts/taxai_equilibrium.py --search` to compute the best HSV policy"
        )
    data = json.loads(DATA_FILE.read_text())
    if task not in data:
        raise ValueError(
            f"no best HSV policy for task {task!r} in {DATA_FILE} (have {sorted(data)}); run "
            f"`python scripts/taxai_equilibrium.py --search --tasks {task}`"
        )
    return [float(v) for v in data[task]["policy"]]


def save_best_hsv(result: SearchResult) -> None:
    DATA_FILE.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(DATA_FILE.read_text()) if DATA_FILE.exists() else {}
    data[result.task] = {
        "policy": result.policy,
        "names": ["tau", "xi", "tau_a", "xi_a", "spending_share"],
        "objective_per_year": result.objective,
        "evaluations": result.evaluations,
        "seconds": round(result.seconds, 1),
        "setting": "n_households=100, seed 0, perfect-foresight equilibrium with optimal households, 300 years",
    }
    tmp = DATA_FILE.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2))
    tmp.replace(DATA_FILE)
