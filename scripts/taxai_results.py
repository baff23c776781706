"""Train taxai_dsmfg and its ablations, evaluate each against the baselines, write one table.

    python scripts/taxai_results.py --households 100 --task social_welfare --iters 300 --episodes 5 \
        --out runs/taxai_results

For each experiment (taxai_dsmfg, taxai_no_stackelberg, taxai_no_meanfield,
taxai_independent, taxai_ai_economist, taxai_real_households) this runs ``econ-envs train`` with the same
budget, then ``econ-envs evaluate`` on the final checkpoint (5 evaluation seeds by
default). ``results.md`` collects: every learned government against its own learned
households, and the free-market, U.S. federal 2022 and Saez governments against the
same households - so each row pair differs only in the government - plus the same
governments against the buffer-stock rule households.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from econ_envs.rllib.evaluate import evaluate
from econ_envs.rllib.train import train

EXPERIMENTS = [
    "taxai_dsmfg",
    "taxai_no_stackelberg",
    "taxai_no_meanfield",
    "taxai_independent",
    "taxai_ai_economist",
    "taxai_real_households",
]
METRICS = ["task_reward_per_year", "gdp_per_household", "social_welfare", "wealth_gini", "income_gini", "years"]


def fmt(row: dict, key: str) -> str:
    v, sd = row[key], row.get(f"{key}_sd", 0.0)
    if abs(v) >= 1000:
        return f"{v:,.0f} ± {sd:,.0f}"
    return f"{v:.4g} ± {sd:.2g}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=100)
    ap.add_argument("--task", default="social_welfare")
    ap.add_argument("--iters", type=int, default=300)
    ap.add_argument("--episodes", type=int, default=5)
    ap.add_argument("--experiments", nargs="+", default=EXPERIMENTS)
    ap.add_argument("--out", default="runs/taxai_results")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    lines = [
        f"Tax economy, {args.households} households, task `{args.task}`, {args.iters} training iterations per "
        f"experiment, {args.episodes} evaluation seeds (mean ± sd). Regenerate: `python scripts/taxai_results.py "
        f"--households {args.households} --task {args.task} --iters {args.iters} --episodes {args.episodes}`.",
        "",
        "| experiment | government | households | " + " | ".join(METRICS) + " |",
        "|" + "---|" * (len(METRICS) + 3),
    ]
    summary = {}
    for name in args.experiments:
        t0 = time.time()
        overrides = {"n_households": args.households, "task": args.task}
        stats = train(name, overrides, stop_iters=args.iters, out=out / name, checkpoint_every=50, verbose=0)
        ev = evaluate(stats["checkpoint"], episodes=args.episodes, out=out / name / "evaluation")
        summary[name] = {"train_seconds": time.time() - t0, "iterations": stats.get("iterations"),
                         "checkpoint": stats["checkpoint"], "rows": ev["rows"]}  # fmt: skip
        for row in ev["rows"]:
            cells = " | ".join(fmt(row, k) for k in METRICS)
            lines.append(f"| {name} | {row['government']} | {row['households']} | {cells} |")
        (out / "results.md").write_text("\n".join(lines) + "\n")
        (out / "results.json").write_text(json.dumps(summary, indent=2, default=str))
        print(f"{name}: done in {time.time() - t0:.0f} s", flush=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
