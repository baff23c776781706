"""Tax-policy learning results under one protocol: training seeds, held-out selection, evaluation seeds.

    python scripts/taxai_results.py --households 100 --task social_welfare \
        --experiments taxai_dsmfg taxai_real_households --seeds 0 1 2 --budget-s 900 --episodes 5

For every experiment and training seed (``--set seed=S``) this

1. trains with a wall-clock budget (``time_budget_s``: RLlib's training time; the behaviour-cloning
   warm start and the probes are not counted), scoring the current modules deterministically every
   ``--select-every`` iterations on held-out seeds 1001-1003 and keeping the best checkpoint
   (``best/``; :mod:`econ_envs.rllib.selection`) - never "the last one";
2. evaluates that best checkpoint on ``--episodes`` evaluation seeds (10000, 10001, ...), every
   government (learned, free market, U.S. federal 2022, Saez, best HSV) on the same seeds against
   (a) the learned households, (b) the buffer-stock rule and (c) optimal households (rule
   governments: each seed's perfect-foresight equilibrium; the learned one: anticipated utility),
   with the paired verdict of :mod:`econ_envs.rllib.verdict`;
3. measures the learned households' exact exploitability (consumption-equivalent %) on the
   evaluation seeds (:func:`econ_envs.rllib.taxai_exploitability.checkpoint_exploitability`);
4. writes ``results.md`` / ``results.json`` in ``--docs``: one row per (experiment, training seed,
   households), with the learned government's score and its paired difference to each baseline
   (mean ± sd over the evaluation seeds, and the verdict), years survived, and the exploitability;
   ``comparison.png``: the learned government's score per training seed against each baseline.

Each step is skipped when its output exists (re-running resumes; an interrupted training resumes
from its latest checkpoint).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

BASELINES = ["free_market", "us_federal", "saez", "best_hsv"]
NAMES = {"free_market": "free market", "us_federal": "U.S. federal", "saez": "Saez", "best_hsv": "best HSV",
         "learned": "learned", "buffer_stock": "buffer-stock rule", "optimal": "optimal (DP)"}  # fmt: skip


def run_one(exp: str, seed: int, args: argparse.Namespace, root: Path) -> dict:
    from econ_envs.rllib.evaluate import evaluate
    from econ_envs.rllib.selection import find_best
    from econ_envs.rllib.taxai_exploitability import checkpoint_exploitability
    from econ_envs.rllib.train import latest_trial_dir, train

    out = root / exp / f"seed{seed}"
    done = out / "done.json"
    if done.exists():
        return json.loads(done.read_text())
    t0 = time.time()
    overrides = {"n_households": args.households, "task": args.task, "seed": seed,
                 "time_budget_s": args.budget_s, "stop_iters": args.max_iters}  # fmt: skip
    resume = (out / exp).exists()
    stats = train(exp, overrides, out=out, resume=resume, checkpoint_every=10, verbose=0,
                  select_every=args.select_every, select_seeds=(1001, 1002, 1003))  # fmt: skip
    trial = latest_trial_dir(out / exp)
    best = find_best(trial)
    ckpt = best[0] if best else Path(stats["checkpoint"])
    sel = best[1] if best else {}
    optimal = args.optimal_seeds is None or seed in args.optimal_seeds
    ev = evaluate(ckpt, episodes=args.episodes, out=out / "evaluation", households="optimal" if optimal else None)
    exploit = None
    if (trial / "run.json").exists() and "real_households" not in exp:
        exploit = checkpoint_exploitability(ckpt, seeds=args.episodes, out=out / "exploitability")
    rec = {
        "experiment": exp, "seed": seed, "checkpoint": str(ckpt), "selected_iteration": sel.get("iteration"),
        "selection_score": sel.get("score"), "iterations": stats.get("iterations"),
        "wall_time_s": time.time() - t0, "train_wall_time_s": stats.get("wall_time_s"),
        "per_seed": ev.get("per_seed", []), "verdict": {k: v for k, v in (ev.get("verdict") or {}).items()
                                                         if k != "markdown"},
        "exploitability": exploit, "selection_csv": str(trial / "selection.csv"),
    }  # fmt: skip
    rec["trial"] = str(trial)
    rec["time_to_beat_saez_s"] = time_to_beat(rec, trial)
    done.write_text(json.dumps(rec, indent=1, default=str))
    return rec


def _by(per_seed: list[dict], hh: str, gov: str) -> dict[int, float]:
    return {int(r["seed"]): float(r["task_reward_per_year"]) for r in per_seed
            if r["households"] == hh and r["government"] == gov}  # fmt: skip


def time_to_beat(rec: dict, trial: Path) -> float | None:
    """Training time (RLlib's ``time_total_s``) at the selected checkpoint if that checkpoint beats Saez on the
    evaluation seeds with the learned households (paired win: mean difference > its sd); None otherwise.

    Only selected checkpoints are evaluated against Saez, so this is the time to the first *known* winning
    checkpoint: an upper bound on the time to beat Saez."""
    learned, saez = _by(rec["per_seed"], "learned", "learned"), _by(rec["per_seed"], "learned", "saez")
    seeds = sorted(set(learned) & set(saez))
    if len(seeds) < 2 or rec.get("selected_iteration") is None:
        return None
    d = np.array([learned[s] - saez[s] for s in seeds])
    if not d.mean() > np.std(d, ddof=1):
        return None
    import csv

    for row in csv.DictReader((trial / "progress.csv").open()):
        if int(float(row["training_iteration"])) == int(rec["selected_iteration"]):
            return float(row["time_total_s"])
    return None


def exploit_cell(rec: dict) -> str:
    ex = rec.get("exploitability") or {}
    s = ex.get("summary", {}).get("consumption_equivalent_pct") if isinstance(ex, dict) else None
    if not s or s.get("mean") is None:
        return "–"
    return f"{s['mean']:.2f} ± {(s.get('sd') or 0):.2f}"


def table(records: list[dict], args: argparse.Namespace) -> list[str]:
    lines = [
        f"Tax economy, {args.households} households, task `{args.task}`; training budget {args.budget_s:.0f} s of "
        f"RLlib training time per run (plus the behaviour-cloning warm start); best checkpoint by deterministic "
        f"score on held-out seeds 1001-1003; evaluation seeds 10000-{10000 + args.episodes - 1}. Cells: task "
        f"reward per year (social welfare or GDP reward; higher is better), mean ± sd over the evaluation seeds; "
        f"'vs X' = paired difference learned - X on the same seeds (mean ± sd) and its verdict (win: mean > sd; "
        f"lose: mean < -sd; else tie). Regenerate: `python scripts/taxai_results.py --households {args.households} "
        f"--task {args.task} --experiments {' '.join(args.experiments)} --seeds {' '.join(map(str, args.seeds))} "
        f"--budget-s {args.budget_s:.0f} --episodes {args.episodes}`.",
        "",
        "| experiment | training seed | households | learned | years (min) | "
        + " | ".join(f"vs {NAMES[b]}" for b in BASELINES)
        + " | household exploitability (CE %) | best iteration |",
        "|" + "---|" * (7 + len(BASELINES)),
    ]
    for rec in records:
        ps = rec["per_seed"]
        for hh in ("learned", "buffer_stock", "optimal"):
            learned = _by(ps, hh, "learned")
            if not learned:
                continue
            seeds = sorted(learned)
            lv = np.array([learned[s] for s in seeds])
            years = min(int(r["years"]) for r in ps if r["households"] == hh and r["government"] == "learned")
            cells = []
            for b in BASELINES:
                base = _by(ps, hh, b)
                if not base:
                    cells.append("–")
                    continue
                d = lv - np.array([base[s] for s in seeds])
                sd = float(np.std(d, ddof=1)) if len(d) > 1 else float("nan")
                verdict = "win" if d.mean() > sd else "lose" if d.mean() < -sd else "tie"
                cells.append(f"{d.mean():+.4f} ± {sd:.4f} ({verdict})")
            ex = exploit_cell(rec) if hh == "learned" else ""
            lines.append(
                f"| {rec['experiment']} | {rec['seed']} | {NAMES.get(hh, hh)} | {lv.mean():.4f} ± "
                f"{np.std(lv, ddof=1) if len(lv) > 1 else 0:.4f} | {years} | "
                + " | ".join(cells)
                + f" | {ex} | {rec.get('selected_iteration')} |"
            )
    lines += ["", "Baselines on the same evaluation seeds (task reward per year, mean ± sd):", "",
              "| experiment | training seed | households | " + " | ".join(NAMES[b] for b in BASELINES) + " |",
              "|" + "---|" * (3 + len(BASELINES))]  # fmt: skip
    for rec in records:
        for hh in ("learned", "buffer_stock", "optimal"):
            if not _by(rec["per_seed"], hh, "free_market"):
                continue
            cells = []
            for b in BASELINES:
                v = list(_by(rec["per_seed"], hh, b).values())
                cells.append(f"{np.mean(v):.4f} ± {np.std(v, ddof=1):.4f}" if len(v) > 1 else "–")
            lines.append(f"| {rec['experiment']} | {rec['seed']} | {NAMES.get(hh, hh)} | " + " | ".join(cells) + " |")
    lines += ["", "Time to beat Saez (RLlib training time at the selected checkpoint when it beats Saez on the "
              "evaluation seeds with the learned households, paired; an upper bound, since only selected "
              "checkpoints are evaluated; – = not reached within the budget):", ""]  # fmt: skip
    for rec in records:
        trial = Path(rec.get("trial") or Path(rec["selection_csv"]).parent)
        t = time_to_beat(rec, trial)
        when = "–" if t is None else f"{t:.0f} s"
        minutes = rec.get("wall_time_s", 0) / 60
        lines.append(f"- {rec['experiment']}, seed {rec['seed']}: {when} ({rec.get('iterations')} iterations; "
                     f"{minutes:.1f} min wall clock for training and evaluation in the last process)")  # fmt: skip
    return lines


def plot(records: list[dict], path: Path, task: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = [("learned", "learned households"), ("optimal", "optimal households (DP)")]
    fig, axes = plt.subplots(1, len(groups), figsize=(6 * len(groups), 4.2), squeeze=False)
    colors = {"free_market": "tab:gray", "us_federal": "tab:blue", "saez": "tab:red", "best_hsv": "tab:green"}
    for ax, (hh, title) in zip(axes[0], groups):
        labels = []
        for rec in records:
            lv = list(_by(rec["per_seed"], hh, "learned").values())
            if not lv:
                continue
            labels.append(f"{rec['experiment'].replace('taxai_', '')}\nseed {rec['seed']}")
            x = len(labels) - 1
            ax.errorbar(x, np.mean(lv), yerr=np.std(lv), fmt="o", color="black", capsize=4,
                        label="learned government" if x == 0 else None)  # fmt: skip
            for b in BASELINES:
                bv = list(_by(rec["per_seed"], hh, b).values())
                if bv:
                    ax.hlines(np.mean(bv), x - 0.35, x + 0.35, color=colors[b], lw=2,
                              label=NAMES[b] if x == 0 else None)  # fmt: skip
        ax.set_xticks(range(len(labels)), labels, fontsize=8)
        ax.set_ylabel(f"task reward per year ({task}; utils per household-year)" if task == "social_welfare"
                      else f"task reward per year ({task})")  # fmt: skip
        ax.set_title(f"{title}: mean ± sd over evaluation seeds")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_selection(records: list[dict], path: Path, task: str) -> None:
    """Held-out selection score over training (RLlib training time), one panel per run, with the baselines'
    evaluation scores against the same run's final learned households as reference lines."""
    import csv

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [r for r in records if Path(r.get("selection_csv", "")).exists()]
    if not runs:
        return
    colors = {"free_market": "tab:gray", "us_federal": "tab:blue", "saez": "tab:red", "best_hsv": "tab:green"}
    fig, axes = plt.subplots(1, len(runs), figsize=(4.6 * len(runs), 3.8), squeeze=False, sharey=True)
    for ax, rec in zip(axes[0], runs):
        trial = Path(rec["selection_csv"]).parent
        clock = {}
        for row in csv.DictReader((trial / "progress.csv").open()):
            clock[int(float(row["training_iteration"]))] = float(row["time_total_s"])
        pts = [(clock.get(int(float(r["iteration"]))), float(r["score"]), r.get("new_best") == "1")
               for r in csv.DictReader(Path(rec["selection_csv"]).open())]  # fmt: skip
        pts = [p for p in pts if p[0] is not None]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], "-", color="black", lw=1, label="learned (held-out seeds)")
        ax.plot([p[0] for p in pts if p[2]], [p[1] for p in pts if p[2]], "o", color="black", ms=4,
                label="new best checkpoint")  # fmt: skip
        for b in BASELINES:
            bv = list(_by(rec["per_seed"], "learned", b).values())
            if bv:
                ax.axhline(np.mean(bv), color=colors[b], lw=1.5, ls="--", label=f"{NAMES[b]} (evaluation seeds)")
        ax.set_title(f"{rec['experiment']}, training seed {rec['seed']}", fontsize=9)
        ax.set_xlabel("RLlib training time (s)")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(f"task reward per year ({task})")
    axes[0][-1].legend(fontsize=7, loc="lower right")
    fig.suptitle("Deterministic score of the learned government during training, learned households", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=100)
    ap.add_argument("--task", default="social_welfare")
    ap.add_argument("--experiments", nargs="+", default=["taxai_dsmfg", "taxai_real_households"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--budget-s", type=float, default=900.0)
    ap.add_argument("--max-iters", type=int, default=10_000)
    ap.add_argument("--select-every", type=int, default=10)
    ap.add_argument("--episodes", type=int, default=5)
    ap.add_argument("--optimal-seeds", nargs="*", type=int, default=None,
                    help="training seeds whose evaluation also plays optimal households (default: all; they cost "
                    "each rule government's perfect-foresight equilibrium per evaluation seed)")  # fmt: skip
    ap.add_argument("--out", default="runs/taxai_results")
    ap.add_argument("--docs", default=None, help="where results.md/json and comparison.png go "
                    "(default docs/taxai/learned_n<N>_<task>)")  # fmt: skip
    ap.add_argument("--only-table", action="store_true", help="collect finished runs only")
    args = ap.parse_args()
    root = Path(args.out) / f"n{args.households}_{args.task}"
    docs = Path(args.docs or f"docs/taxai/learned_n{args.households}_{args.task}")
    docs.mkdir(parents=True, exist_ok=True)
    records = []
    for exp in args.experiments:
        for seed in args.seeds:
            done = root / exp / f"seed{seed}" / "done.json"
            if args.only_table:
                if done.exists():
                    records.append(json.loads(done.read_text()))
                continue
            print(f"== {exp} seed {seed}", flush=True)
            records.append(run_one(exp, seed, args, root))
            lines = table(records, args)
            (docs / "results.md").write_text("\n".join(lines) + "\n")
    lines = table(records, args)
    (docs / "results.md").write_text("\n".join(lines) + "\n")
    slim = [{k: v for k, v in r.items() if k != "exploitability"} | {"exploitability_ce_pct": exploit_cell(r)}
            for r in records]  # fmt: skip
    (docs / "results.json").write_text(json.dumps(slim, indent=1, default=str))
    if records:
        plot(records, docs / "comparison.png", args.task)
        plot_selection(records, docs / "selection_curves.png", args.task)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
