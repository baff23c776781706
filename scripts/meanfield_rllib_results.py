"""Train the RLlib mean-field experiments and compare their exact exploitability with the solvers.

    python scripts/meanfield_rllib_results.py --iters 20 --out runs/meanfield_rllib

For each run (default: IPPO and M-OMD on the LQ game, RIPPO on the LQ game with common
noise) this runs ``econ-envs train`` with the given budget, then ``econ-envs evaluate`` on
the final checkpoint: the learned policy's exact exploitability (stochastic, and its argmax)
next to the uniform policy, fictitious play (200 iterations), online mirror descent (100)
and SPG (200) on the same game. ``results.md`` has one row per run, ``results.json`` the
rows of every evaluation.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from econ_envs.rllib.evaluate import evaluate
from econ_envs.rllib.train import train

# (experiment, game overrides)
RUNS = {
    "ppo_lq": ("meanfield_ppo", {"game": "lq"}),
    "momd_lq": ("meanfield_momd", {"game": "lq"}),
    "rippo_lq_cn": ("meanfield_recurrent_ppo", {"game": "lq", "common_noise": True}),
    "ppo_lq_cn": ("meanfield_ppo", {"game": "lq", "common_noise": True}),
    "momd_lq_cn": ("meanfield_momd", {"game": "lq", "common_noise": True}),
    "ppo_crowd": ("meanfield_ppo", {"game": "crowd"}),
    "momd_crowd": ("meanfield_momd", {"game": "crowd"}),
    "rippo_crowd": ("meanfield_recurrent_ppo", {"game": "crowd"}),
}
POLICIES = ["learned", "learned (greedy)", "uniform", "fp", "omd", "spg"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iters", type=int, default=20, help="training iterations per run")
    ap.add_argument("--episodes", type=int, default=2, help="sampled games checking the learned policy's value")
    ap.add_argument("--runs", nargs="+", default=["ppo_lq", "momd_lq", "rippo_lq_cn"], choices=sorted(RUNS))
    ap.add_argument("--out", default="runs/meanfield_rllib")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    lines = [
        f"Exact exploitability (MFAX's definition, push-forward) after {args.iters} training iterations. "
        f"Regenerate: `python scripts/meanfield_rllib_results.py --iters {args.iters} --runs {' '.join(args.runs)}`.",
        "",
        "| run | experiment | game | train s | " + " | ".join(POLICIES) + " |",
        "|" + "---|" * 4 + "---:|" * len(POLICIES),
    ]
    summary = {}
    for run in args.runs:
        name, overrides = RUNS[run]
        t0 = time.time()
        stats = train(name, overrides, stop_iters=args.iters, out=out / run, checkpoint_every=max(1, args.iters),
                      verbose=0)  # fmt: skip
        train_s = time.time() - t0
        ev = evaluate(stats["checkpoint"], episodes=args.episodes, out=out / run / "evaluation")
        rows = {r["policy"]: r for r in ev["rows"]}
        summary[run] = {"experiment": name, "overrides": overrides, "iterations": stats.get("iterations"),
                        "train_seconds": train_s, "checkpoint": stats["checkpoint"], "rows": ev["rows"]}  # fmt: skip
        game = ", ".join(f"{k}={v}" for k, v in overrides.items())
        cells = " | ".join(f"{rows[p]['exploitability']:.4g}" if p in rows else "" for p in POLICIES)
        lines.append(f"| {run} | {name} | {game} | {train_s:.0f} | {cells} |")
        (out / "results.md").write_text("\n".join(lines) + "\n")
        (out / "results.json").write_text(json.dumps(summary, indent=2, default=str))
        print(f"{run}: done in {time.time() - t0:.0f} s", flush=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
