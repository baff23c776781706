"""Train a monetary experiment, evaluate it against the rule central banks, write the results table.

    python scripts/monetary_results.py --iters 300 --episodes 20 --out docs/monetary/learned

is the same as the two commands

    econ-envs train monetary_central_bank --stop-iters 300 --out runs/monetary_results/monetary_central_bank
    econ-envs evaluate CHECKPOINT --episodes 20 --out docs/monetary/learned

followed by writing ``results.md`` / ``results.json`` (the README table: every central bank on the
same seeds, discounted loss mean ± sd, the change against Taylor 1993, inflation, output gap,
unemployment, rate volatility and the fitted reaction function). ``--checkpoint DIR`` skips
training and evaluates an existing checkpoint; ``--experiment monetary_shared_ppo`` does the same
for the all-learning economy.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import Any

from econ_envs.rllib.evaluate import evaluate
from econ_envs.rllib.train import train


def _pm(row: dict[str, Any], key: str, scale: float = 1.0, digits: int = 2) -> str:
    return f"{scale * row[key]:.{digits}f} ± {scale * row[f'{key}_sd']:.{digits}f}"


def _num(v: Any, digits: int = 2) -> str:
    return "–" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:.{digits}f}"


def results_table(rows: list[dict[str, Any]]) -> list[str]:
    """Markdown lines: one row per (central bank, economy)."""
    lines = [
        "| central bank | economy | discounted loss | median loss | vs Taylor 1993 (mean) | learned lower on seeds | "
        "inflation 12m (%/yr) | output gap (%) | unemployment (%) | rate volatility (pp/month) | φπ | φy | ρ | c | "
        "R² | long-run φπ |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        wins = r.get("learned_lower_on_seeds")
        wins = "–" if wins is None or r["central_bank"] == "learned" else f"{wins}/{r['episodes']}"
        lines.append(
            f"| {r['central_bank']} | {r['economy']} | {r['discounted_loss']:.0f} ± {r['discounted_loss_sd']:.0f} | "
            f"{r['discounted_loss_median']:.0f} | {r['loss_vs_taylor93_pct']:+.1f} % | {wins} | "
            f"{_pm(r, 'inflation_12m')} | {_pm(r, 'output_gap')} | "
            f"{_pm(r, 'unemployment', 100.0, 1)} | {_pm(r, 'rate_volatility')} | {_num(r['phi_pi'], 3)} | "
            f"{_num(r['phi_y'], 3)} | {_num(r['rho'], 3)} | {_num(r['c'])} | {_num(r['r_squared'], 3)} | "
            f"{_num(r['long_run_phi_pi'])} |"
        )
    return lines


def _train_stats(checkpoint: Path) -> dict[str, Any]:
    for folder in checkpoint.resolve().parents:
        f = folder / "train_stats.json"
        if f.exists():
            return json.loads(f.read_text())
    return {}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--experiment", default="monetary_central_bank",
                    choices=["monetary_central_bank", "monetary_shared_ppo"])  # fmt: skip
    ap.add_argument("--iters", type=int, default=300, help="training iterations")
    ap.add_argument("--episodes", type=int, default=20, help="evaluation seeds (the same for every central bank)")
    ap.add_argument("--checkpoint", default=None, help="evaluate this checkpoint instead of training")
    ap.add_argument("--train-out", default="runs/monetary_results", help="training output folder")
    ap.add_argument("--out", default="docs/monetary/learned", help="evaluation output folder")
    args = ap.parse_args()
    if args.episodes < 1 or args.iters < 1:
        raise SystemExit("--episodes and --iters must be >= 1")
    if args.checkpoint is None:
        t0 = time.time()
        stats = train(args.experiment, {}, stop_iters=args.iters, out=Path(args.train_out) / args.experiment,
                      checkpoint_every=10, verbose=0)  # fmt: skip
        stats["wall_time_s"] = stats.get("wall_time_s", time.time() - t0)
        checkpoint = Path(stats["checkpoint"])
    else:
        checkpoint = Path(args.checkpoint)
        stats = _train_stats(checkpoint)
    ev = evaluate(checkpoint, episodes=args.episodes, out=args.out)
    out = Path(args.out)
    iters = stats.get("iterations", "?")
    wall = stats.get("wall_time_s")
    budget = f"{iters} iterations" + (f", {wall / 60:.0f} min wall" if wall else "")
    lines = [
        f"`{args.experiment}` ({budget}), evaluated on {args.episodes} seeds shared by every central bank "
        "(mean ± sd over seeds; loss = sum_t 0.99^t [(pi12 - 2)^2 + 0.5 gap^2 + 0.1 (di)^2] over 120 months; "
        "reaction function fitted by OLS, i_t = c + φπ π_t + φy y_t + ρ i_(t-1), long-run φπ = φπ / (1 - ρ)).",
        "",
        *results_table(ev["rows"]),
    ]
    (out / "results.md").write_text("\n".join(lines) + "\n")
    summary = {"experiment": args.experiment, "checkpoint": str(checkpoint), "episodes": args.episodes,
               "train": {k: stats.get(k) for k in ("iterations", "wall_time_s", "overrides", "algorithm")},
               "rows": ev["rows"]}  # fmt: skip
    (out / "results.json").write_text(json.dumps(summary, indent=2, default=str))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
