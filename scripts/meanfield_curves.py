"""Exploitability curves of fictitious play and online mirror descent on LQ and beach bar (no common noise).

    python scripts/meanfield_curves.py [--out docs/meanfield] [--fp-iterations 200] [--omd-iterations 100]

Runs each solver once per game (after a warm-up that compiles the numba kernels),
writes ``<game>_<solver>.csv`` (iteration, wall_time_s, exploitability, ...) and
``fp_omd_curves.png`` (exploitability relative to the uniform policy's, against
iterations and wall time, with the 1 % line), and prints a Markdown table of the
iterations and seconds each needed to get below 1 % of the uniform policy.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from econ_envs.meanfield.exploitability import exploitability
from econ_envs.meanfield.games import make_game
from econ_envs.meanfield.solvers.runner import read_curve, run_solver, write_curve

GAMES = ("lq", "beach_bar")
SOLVERS = ("fp", "omd")


def first_below(curve: dict[str, np.ndarray], level: float) -> tuple[float, float]:
    idx = np.flatnonzero(curve["exploitability"] < level)
    if idx.size == 0:
        return float("nan"), float("nan")
    return float(curve["iteration"][idx[0]]), float(curve["wall_time_s"][idx[0]])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="docs/meanfield")
    ap.add_argument("--fp-iterations", type=int, default=200)
    ap.add_argument("--omd-iterations", type=int, default=100)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    curves: dict[tuple[str, str], dict[str, np.ndarray]] = {}
    uniform: dict[str, float] = {}
    for game in GAMES:
        g = make_game(game)
        uniform[game] = exploitability(g, g.uniform_policy()).exploitability
        for solver in SOLVERS:
            run_solver(game, solver, iterations=0)  # warm-up: compile/load the kernels
            iters = args.fp_iterations if solver == "fp" else args.omd_iterations
            res = run_solver(game, solver, iterations=iters)
            path = out / f"{game}_{solver}.csv"
            write_curve(res, path)
            curves[game, solver] = read_curve(path)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(11, 7))
    for row, game in enumerate(GAMES):
        for solver in SOLVERS:
            c = curves[game, solver]
            rel = np.maximum(c["exploitability"] / uniform[game], 1e-9)
            axes[row, 0].plot(c["iteration"], rel, label=solver.upper())
            axes[row, 1].plot(c["wall_time_s"], rel, label=solver.upper())
        for col, xl in enumerate(("iteration", "wall time (s)")):
            ax = axes[row, col]
            ax.axhline(0.01, color="grey", linestyle="--", linewidth=1, label="1 % of uniform")
            ax.set_yscale("log")
            ax.set_xlabel(xl)
            ax.set_ylabel("exploitability / uniform's")
            ax.set_title(f"{game} (uniform policy: {uniform[game]:.1f})", fontsize=10)
            ax.grid(alpha=0.3, which="both")
            ax.legend(fontsize=8)
    fig.suptitle("Fictitious play and online mirror descent, exact tabular, no common noise")
    fig.tight_layout()
    fig.savefig(out / "fp_omd_curves.png", dpi=110)
    plt.close(fig)

    print("| game | solver | uniform | final (iterations) | final / uniform | below 1 % at iteration | seconds |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for (game, solver), c in curves.items():
        it, sec = first_below(c, 0.01 * uniform[game])
        print(
            f"| {game} | {solver} | {uniform[game]:.2f} | {c['exploitability'][-1]:.3f} ({int(c['iteration'][-1])}) "
            f"| {c['exploitability'][-1] / uniform[game]:.2e} | {it:.0f} | {sec:.2f} |"
        )
    print(f"wrote {out}/fp_omd_curves.png and {out}/<game>_<solver>.csv")


if __name__ == "__main__":
    main()
