"""SPG and RSPG on the linear-quadratic game with common noise, side by side with MFAX's.

    python scripts/meanfield_spg_vs_mfax.py [--algorithms spg rspg] [--seeds 0 1 2 3 4]
                                            [--learning-rate 1e-3 3e-3] [--iterations 200] [--out docs/meanfield]

MFAX (reference/meanfield.md, section 4: CPU, 2 cores, ``--lr 0.001
--num-iterations 200``, 8 sampled paths, one seed) measured exploitability
SPG 2281 / 371 / 169 / 162 / 145 and RSPG 2277 / 1129 / 242 / 140 / 52.5 at
iterations 0 / 50 / 100 / 150 / 200, in 53 s and 57 s of training (JIT included).
This script trains this package's SPG/RSPG (MFAX's network, Adam, clipping and
linear decay over the run; the two common-noise paths exactly instead of 8
samples) for each algorithm, learning rate and seed, evaluates MFAX's
exploitability every 10 iterations, and reports per setting how many seeds reach
145 (MFAX's SPG at 200 iterations), when (iteration and training seconds, JIT
excluded) and where they end. Writes ``spg_lq_common_noise.csv`` (every run) and
``spg_lq_common_noise.png``; the whole process time is printed at the end.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from pathlib import Path

START = time.perf_counter()

from econ_envs.meanfield.games import make_game  # noqa: E402
from econ_envs.meanfield.solvers.spg import structural_policy_gradient  # noqa: E402

MFAX = {
    "spg": {"iteration": [0, 50, 100, 150, 200], "exploitability": [2281, 371, 169, 162, 145], "seconds": 53.0},
    "rspg": {"iteration": [0, 50, 100, 150, 200], "exploitability": [2277, 1129, 242, 140, 52.5], "seconds": 57.0},
}
TARGET = 145.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--algorithms", nargs="+", default=["spg", "rspg"], choices=["spg", "rspg"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument("--learning-rate", type=float, nargs="+", default=[1e-3, 3e-3])
    ap.add_argument("--eval-every", type=int, default=10)
    ap.add_argument("--out", default="docs/meanfield")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    g = make_game("lq", common_noise=True)
    structural_policy_gradient(g, 1, eval_every=1, recurrent=True)  # warm-up: compile kernels, initialise torch
    runs = {}
    with open(out / "spg_lq_common_noise.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["algorithm", "learning_rate", "seed", "iteration", "train_time_s", "exploitability",
                    "nonanticipative_exploitability"])  # fmt: skip
        for alg in args.algorithms:
            for lr in args.learning_rate:
                for seed in args.seeds:
                    res = structural_policy_gradient(
                        g, args.iterations, recurrent=alg == "rspg", learning_rate=lr, seed=seed,
                        eval_every=args.eval_every,
                    )  # fmt: skip
                    runs[alg, lr, seed] = res
                    for p in res.curve:
                        w.writerow([alg, lr, seed, p.iteration, p.wall_time_s, p.exploitability,
                                    p.nonanticipative_exploitability])  # fmt: skip

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(args.algorithms), 2, figsize=(11, 3.8 * len(args.algorithms)), squeeze=False)
    colours = {lr: c for lr, c in zip(args.learning_rate, ("tab:blue", "tab:red", "tab:green", "tab:purple"))}
    for row, alg in enumerate(args.algorithms):
        ax_it, ax_t = axes[row]
        for (a, lr, seed), res in runs.items():
            if a != alg:
                continue
            label = f"lr {lr:g}" if seed == args.seeds[0] else None
            ex = [p.exploitability for p in res.curve]
            ax_it.plot([p.iteration for p in res.curve], ex, color=colours[lr], alpha=0.6, linewidth=1, label=label)
            ax_t.plot([p.wall_time_s for p in res.curve], ex, color=colours[lr], alpha=0.6, linewidth=1, label=label)
        ref = MFAX[alg]
        ax_it.plot(ref["iteration"], ref["exploitability"], "ko--", label=f"MFAX {alg.upper()} (lr 1e-3)")
        ax_t.plot([ref["seconds"]], [ref["exploitability"][-1]], "ko", label=f"MFAX at 200 it ({ref['seconds']:g} s)")
        for ax, xl in ((ax_it, "iteration"), (ax_t, "training wall time (s)")):
            ax.axhline(TARGET, color="grey", linestyle=":", linewidth=1)
            ax.set_yscale("log")
            ax.set_xlabel(xl)
            ax.set_ylabel("exploitability (MFAX definition)")
            ax.set_title(f"{alg.upper()}: {len(args.seeds)} seeds per learning rate", fontsize=10)
            ax.grid(alpha=0.3, which="both")
            ax.legend(fontsize=7)
    fig.suptitle("Linear-quadratic game with common noise")
    fig.tight_layout()
    fig.savefig(out / "spg_lq_common_noise.png", dpi=110)
    plt.close(fig)

    print("| algorithm | learning rate | seeds reaching <= 145 | iteration (median) | training s (median) "
          "| final at 200 (median, range) | training s for 200 (median) |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for alg in args.algorithms:
        for lr in args.learning_rate:
            rs = [runs[alg, lr, s] for s in args.seeds]
            hits = [next((p for p in r.curve if p.exploitability <= TARGET), None) for r in rs]
            ok = [h for h in hits if h is not None]
            finals = [r.curve[-1].exploitability for r in rs]
            it_med = statistics.median(h.iteration for h in ok) if ok else float("nan")
            t_med = statistics.median(h.wall_time_s for h in ok) if ok else float("nan")
            print(
                f"| {alg.upper()} | {lr:g} | {len(ok)}/{len(rs)} | {it_med:.0f} | {t_med:.1f} "
                f"| {statistics.median(finals):.1f} ({min(finals):.1f}-{max(finals):.1f}) "
                f"| {statistics.median(r.curve[-1].wall_time_s for r in rs):.1f} |"
            )
    print("MFAX, one seed, lr 1e-3: SPG 145 at iteration 200 after 53 s; RSPG 52.5 at 200 after 57 s.")
    print(f"Whole process here: {time.perf_counter() - START:.1f} s; wrote {out}/spg_lq_common_noise.csv and .png")


if __name__ == "__main__":
    main()
