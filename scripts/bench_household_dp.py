"""Speed of the household dynamic programme (issue targets: best response <= 1 s, stationary equilibrium <= 10 s).

    python scripts/bench_household_dp.py [--repeats 3] [--households 1000]

Prints, after compilation, best of ``--repeats`` (each timing interleaved with the fixed
reference kernel of ``econ-envs bench``, so the ratio to it is comparable across machines):

* the exact best response over a 300-year U.S.-federal path on the default grid
  (100 wealth points x 12 ability nodes; backward induction plus the terminal continuation,
  whose share and iterations it also prints);
* the stationary (Aiyagari) equilibrium under a fixed HSV policy;
* the cost per simulated year of optimal households at N households: the perfect-foresight
  equilibrium (all its fixed-point iterations) per year of the episode, and anticipated-utility
  households (re-solved as the environment moves) per year of a simulation.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from econ_envs.core.bench import host_info, reference_kernel
from econ_envs.taxai import optimal as op
from econ_envs.taxai.params import TaxParams


def timed(fn, repeats: int) -> tuple[float, float, object]:
    """(best seconds of fn, reference-kernel passes per second measured between the calls, last result)."""
    best, ref_best, out = float("inf"), 0.0, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
        t0 = time.perf_counter()
        reference_kernel(100)
        ref_best = max(ref_best, 100 / (time.perf_counter() - t0))
    return best, ref_best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--households", type=int, default=1000)
    args = ap.parse_args()
    reference_kernel(1)
    p = TaxParams(n_households=100)
    path = op.record_path(p, "us_federal", "buffer_stock", seed=0)
    op.best_response(path)  # compile
    br_s, ref1, br = timed(lambda: op.best_response(path), args.repeats)
    term_s = br.terminal_seconds  # of the last repeat
    pol = np.array([0.2, 0.1, 0.0, 0.0, 0.0])
    op.stationary_equilibrium(p, pol, max_iterations=2)  # compile
    se_s, ref2, se = timed(lambda: op.stationary_equilibrium(p, pol), args.repeats)

    pn = TaxParams(n_households=args.households)
    t0 = time.perf_counter()
    eq = op.equilibrium_path(pn, "us_federal", seed=0)
    eq_s = time.perf_counter() - t0
    import gymnasium

    import econ_envs  # noqa: F401

    env = gymnasium.make("econ_envs/TaxAI-Planner-v0", household_policy="optimal", n_households=args.households)
    env.reset(seed=0)
    t0 = time.perf_counter()
    years = 100
    for _ in range(years):
        env.step(pol.astype(np.float32))
    au_s = time.perf_counter() - t0
    hh = env.unwrapped.household_policy
    ref = max(ref1, ref2)
    out = {
        "host": host_info(),
        "reference_passes_per_s": ref,
        "best_response_300y_s": br_s,
        "best_response_target_s": 1.0,
        "best_response_ratio_to_reference": br_s * ref,
        "best_response_terminal_iterations": br.stationary_iterations,
        "best_response_terminal_s": term_s,
        "stationary_equilibrium_s": se_s,
        "stationary_equilibrium_target_s": 10.0,
        "stationary_equilibrium_ratio_to_reference": se_s * ref,
        "stationary_equilibrium_evaluations": se.iterations,
        "households": args.households,
        "equilibrium_path_s": eq_s,
        "equilibrium_iterations": eq.iterations,
        "equilibrium_s_per_simulated_year": eq_s / eq.path.T,
        "equilibrium_s_per_simulated_year_per_iteration": eq_s / eq.path.T / eq.iterations,
        "anticipated_utility_s_per_simulated_year": au_s / years,
        "anticipated_utility_solves_per_100_years": hh.solves,
    }
    print(f"best response, 300 years, default grid: {br_s:.3f} s (target <= 1 s; x reference-kernel rate "
          f"{br_s * ref:.0f} passes; last repeat: terminal continuation {term_s:.3f} s, {br.stationary_iterations} "
          "iterations, the rest backward induction)")  # fmt: skip
    print(f"stationary equilibrium (HSV 0.2/0.1): {se_s:.2f} s, {se.iterations} evaluations (target <= 10 s)")
    print(f"optimal households at N = {args.households:,}: perfect-foresight equilibrium {eq_s:.1f} s "
          f"({eq.iterations} iterations) = {eq_s / eq.path.T:.3f} s per simulated year; anticipated utility "
          f"{au_s / years * 1000:.1f} ms per simulated year ({hh.solves} solves in {years} years)")  # fmt: skip
    print(json.dumps(out))


if __name__ == "__main__":
    main()
