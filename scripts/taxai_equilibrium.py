"""Tax economy with optimal households: the best HSV schedule and the table economists read.

    python scripts/taxai_equilibrium.py --search      # best HSV per task -> econ_envs/taxai/data/best_hsv.json
    python scripts/taxai_equilibrium.py               # table -> docs/taxai/equilibrium/
    python scripts/taxai_equilibrium.py --n 100 --seeds 2   # smaller

For each population size N and seed: every government (free market, U.S. federal 2022,
Saez, best HSV) with optimal households (the perfect-foresight equilibrium,
``econ_envs.taxai.optimal.equilibrium_path``) and with buffer-stock households (the rule),
300 years from the calibrated start. Per row, mean +- sd over seeds: years survived,
social welfare per year, consumption-equivalent welfare relative to free market with
optimal households, GDP per household, K/Y, r, wealth and income Ginis, and the
households' exploitability (consumption-equivalent %). Results per (N, government,
households, seed) are cached in ``runs/taxai_equilibrium/`` so an interrupted run resumes.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from econ_envs.taxai import best_hsv as bh
from econ_envs.taxai.optimal import (
    best_response,
    equilibrium_path,
    household_exploitability,
    record_path,
)
from econ_envs.taxai.params import TaxParams

GOVERNMENTS = ("free_market", "us_federal", "saez", "best_hsv")
HOUSEHOLDS = ("optimal", "buffer_stock")
LABELS = {"free_market": "free market", "us_federal": "U.S. federal 2022", "saez": "Saez", "best_hsv": "best HSV"}
OUT = Path("docs/taxai/equilibrium")
CACHE = Path("runs/taxai_equilibrium")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def metrics(path, expl) -> dict:
    agg = path.aggregates

    def mean(k: str) -> float:
        return float(np.mean([row[k] for row in agg]))

    return {
        "years": path.T,
        "end": path.end,
        "social_welfare": mean("social_welfare"),
        "gdp_per_household": mean("gdp_per_household"),
        "capital_to_gdp": mean("capital_to_gdp"),
        "interest_rate": mean("interest_rate"),
        "wealth_gini": mean("wealth_gini"),
        "income_gini": mean("income_gini"),
        "saving_rate": mean("saving_rate"),
        "hours_per_household": mean("hours_per_household"),
        "exploitability_ce": expl.consumption_equivalent,
        "exploitability_utils_per_year": expl.gain_per_year,
        "exploitability_se": expl.standard_error,
        "final_wealth_gini": float(agg[-1]["wealth_gini"]),
        "final_capital_to_gdp": float(agg[-1]["capital_to_gdp"]),
    }


def run_cell(n: int, gov: str, hh: str, seed: int, task: str) -> dict:
    f = CACHE / f"n{n}_{gov}_{hh}_seed{seed}.json"
    if f.exists():
        return json.loads(f.read_text())
    params = TaxParams(n_households=n, task=task)
    t0 = time.perf_counter()
    extra: dict = {}
    if hh == "optimal":
        eq = equilibrium_path(params, gov, seed=seed)
        path, expl = eq.path, eq.exploitability
        extra = {"equilibrium_iterations": eq.iterations, "equilibrium_distance": eq.distance,
                 "converged": eq.converged}  # fmt: skip
        if n == 1000 and seed == 0:
            save_policy_and_wealth(eq, gov)
    else:
        path = record_path(params, gov, hh, seed)
        expl = household_exploitability(path, best_response(path))
    res = {"n": n, "government": gov, "households": hh, "seed": seed, **metrics(path, expl), **extra,
           "seconds": time.perf_counter() - t0}  # fmt: skip
    CACHE.mkdir(parents=True, exist_ok=True)
    f.write_text(json.dumps(res, indent=1))
    log(f"N={n} {gov:12s} {hh:13s} seed {seed}: {res['years']} yrs, SW {res['social_welfare']:.4f}, "
        f"expl {100 * res['exploitability_ce']:.3f} % CE ({res['seconds']:.0f} s)")  # fmt: skip
    return res


def save_policy_and_wealth(eq, gov: str) -> None:
    """Policy functions (year 150) and wealth distributions for the plots (N=1000, seed 0)."""
    br = eq.best_response
    path = eq.path
    k_nodes = br.chain.log_nodes.size
    picks = {"low ability": 1, "median ability": k_nodes // 2, "high ability": k_nodes - 2}
    t = min(150, br.T - 1)
    data = {
        "wealth_y0": br.wealth.tolist(),
        "year": t,
        "saving": {k: br.saving[t, i].tolist() for k, i in picks.items()},
        "hours": {k: br.hours[t, i].tolist() for k, i in picks.items()},
        "ability": {k: float(br.chain.nodes[i]) for k, i in picks.items()},
        "a0": np.sort(path.a0).tolist(),
        "a_end": np.sort(path.a_end).tolist(),
    }
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / f"plotdata_{gov}.json").write_text(json.dumps(data))


def fmt(xs: list[float], scale: float = 1.0, digits: int = 3) -> str:
    a = np.array(xs, dtype=float) * scale
    if a.size == 1:
        return f"{a[0]:.{digits}f}"
    return f"{a.mean():.{digits}f} ± {a.std(ddof=1):.{digits}f}"


def table(n: int, seeds: list[int], task: str) -> str:
    rows = {}
    for gov in GOVERNMENTS:
        for hh in HOUSEHOLDS:
            rows[(gov, hh)] = [run_cell(n, gov, hh, s, task) for s in seeds]
    base = {r["seed"]: r["social_welfare"] for r in rows[("free_market", "optimal")]}
    lines = [
        f"### N = {n} households, seeds {seeds[0]}-{seeds[-1]} ({len(seeds)} seeds), 300 years",
        "",
        "Mean ± sd across seeds (the seed draws the initial population and every shock). Social welfare: "
        "mean household utility per year (utils; log consumption in units of y0 minus the hours disutility), "
        "averaged over the years. CE vs free market: the uniform % change in every household's consumption "
        "that moves free market-with-optimal-households' welfare per year to the row's, exp(ΔSW) - 1, paired by "
        "seed. Money in USD/yr, r in %/yr, K/Y in years of output; Ginis and K/Y, r averaged over the years. "
        "Exploitability: the population-average gain of one household switching alone to the exact best "
        "response, as a consumption-equivalent % (≈ 0 in equilibrium).",
        "",
        "| government | households | years | social welfare / yr | CE vs free market (%) | GDP / household | "
        "K/Y | r (%) | saving share | wealth Gini | income Gini | exploitability (CE %) | equilibrium iterations |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (gov, hh), rs in rows.items():
        ce = [100 * (math.exp(r["social_welfare"] - base[r["seed"]]) - 1) for r in rs]
        its = [r.get("equilibrium_iterations") for r in rs]
        conv = all(r.get("converged", True) for r in rs)
        it_txt = "" if its[0] is None else (f"{np.mean(its):.0f}" + ("" if conv else " (not all converged)"))
        lines.append(
            f"| {LABELS[gov]} | {hh.replace('_', ' ')} | {fmt([r['years'] for r in rs], digits=0)} | "
            f"{fmt([r['social_welfare'] for r in rs], digits=4)} | {fmt(ce, digits=2)} | "
            f"{fmt([r['gdp_per_household'] for r in rs], digits=0)} | "
            f"{fmt([r['capital_to_gdp'] for r in rs], digits=2)} | "
            f"{fmt([r['interest_rate'] for r in rs], 100, 2)} | {fmt([r['saving_rate'] for r in rs])} | "
            f"{fmt([r['wealth_gini'] for r in rs])} | "
            f"{fmt([r['income_gini'] for r in rs])} | {fmt([r['exploitability_ce'] for r in rs], 100, 3)} | {it_txt} |"
        )
    lines.append("")
    # leader gaps: best HSV's welfare gain over each classical government (optimal households)
    best = {r["seed"]: r["social_welfare"] for r in rows[("best_hsv", "optimal")]}
    gaps = []
    for gov in ("free_market", "us_federal", "saez"):
        g = [100 * (math.exp(best[r["seed"]] - r["social_welfare"]) - 1) for r in rows[(gov, "optimal")]]
        wins = sum(best[r["seed"]] > r["social_welfare"] for r in rows[(gov, "optimal")])
        gaps.append(f"{LABELS[gov]} {fmt(g, digits=2)} % (best HSV higher on {wins}/{len(g)} seeds)")
    lines.append("Leader gap (best HSV's welfare over each classical government, optimal households, CE %): "
                 + "; ".join(gaps) + ".")  # fmt: skip
    lines.append("")
    return "\n".join(lines)


def stationary_table(task: str) -> str:
    """The stationary (Aiyagari) equilibria of the fixed policies (Saez adapts, so it has none)."""
    from econ_envs.taxai.optimal import env_params, stationary_equilibrium
    from econ_envs.taxai.policies import make_government_policy

    lines = ["### Stationary equilibria (optimal households, fixed policies)", "",
             "The Aiyagari steady state each fixed policy leads to (`econ_envs.taxai.optimal.stationary_equilibrium`; "
             "Saez re-estimates its rates and has none). r in %/yr, K/Y and B/Y in years of output, transfer in USD "
             "per household per year, social welfare in utils per household-year.", "",
             "| government | r (%) | K/Y | B/Y | GDP / household | saving share | hours / yr | transfer | "
             "wealth Gini | income Gini | social welfare / yr | seconds |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for gov in ("free_market", "us_federal", "best_hsv"):
        f = CACHE / f"stationary_{gov}_{task}.json"
        if f.exists():
            d = json.loads(f.read_text())
        else:
            params = env_params(TaxParams(n_households=100, task=task), gov)
            pol = make_government_policy(gov, params).policy
            d = stationary_equilibrium(params, pol).summary()
            f.write_text(json.dumps(d))
        lines.append(
            f"| {LABELS[gov]} | {100 * d['interest_rate']:.2f} | {d['capital_output']:.2f} | {d['debt_output']:.2f} | "
            f"{d['gdp_per_household']:,.0f} | {d['saving_rate']:.3f} | {d['hours_per_household']:,.0f} | "
            f"{d['transfer']:,.0f} | {d['wealth_gini']:.3f} | {d['income_gini']:.3f} | {d['social_welfare']:.4f} | "
            f"{d['seconds']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def plots() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    f = CACHE / "plotdata_us_federal.json"
    if f.exists():
        d = json.loads(f.read_text())
        w = np.array(d["wealth_y0"])
        fig, ax = plt.subplots(1, 2, figsize=(10, 4))
        for k in d["saving"]:
            lab = f"{k} (e = {d['ability'][k]:.2f})"
            ax[0].plot(w[1:], d["saving"][k][1:], label=lab)
            ax[1].plot(w[1:], d["hours"][k][1:], label=lab)
        for a, yl in zip(ax, ("saving share of cash on hand p", "hours share of the endowment ĥ")):
            a.set_xscale("log")
            a.set_xlabel("wealth (multiples of y0 = 69,920 USD)")
            a.set_ylabel(yl)
            a.grid(alpha=0.3)
        ax[0].legend(fontsize=8)
        fig.suptitle(f"Optimal household policy, U.S. federal 2022 equilibrium, year {d['year']} (N = 1,000, seed 0)")
        fig.tight_layout()
        fig.savefig(OUT / "policy_functions.png", dpi=110)
        plt.close(fig)
    fig, ax = plt.subplots(figsize=(5.5, 5))
    drawn = False
    for gov in GOVERNMENTS:
        f = CACHE / f"plotdata_{gov}.json"
        if not f.exists():
            continue
        d = json.loads(f.read_text())
        for key, style, lab in (("a0", "k--", "calibrated start (target: Gini 0.83, SCF 2022)"),
                                ("a_end", "-", f"{LABELS[gov]}, year 300")):  # fmt: skip
            if key == "a0" and drawn:
                continue
            a = np.maximum(np.array(d[key]), 0.0)
            cum = np.concatenate([[0.0], np.cumsum(a)]) / max(a.sum(), 1e-12)
            x = np.linspace(0, 1, cum.size)
            ax.plot(x, cum, style, label=lab)
        drawn = True
    ax.plot([0, 1], [0, 1], color="grey", lw=0.5)
    ax.set_xlabel("population share (poorest first)")
    ax.set_ylabel("wealth share")
    ax.set_title("Wealth Lorenz curves, optimal households (N = 1,000, seed 0)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(OUT / "wealth_distribution.png", dpi=110)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--search", action="store_true", help="search the best HSV policy first")
    ap.add_argument("--tasks", nargs="+", default=["social_welfare"], help="tasks to search")
    ap.add_argument("--max-evals", type=int, default=40)
    ap.add_argument("--n", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--task", default="social_welfare", help="the table's task (best HSV is searched for it)")
    ap.add_argument("--no-table", action="store_true")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.search:
        for task in args.tasks:
            log(f"searching the best HSV policy for task {task}")
            res = bh.search_best_hsv(task, max_evaluations=args.max_evals, log=log,
                                     cache_file=CACHE / f"search_{task}.json")  # fmt: skip
            bh.save_best_hsv(res)
            lines = [f"# Best HSV search, task {task}", "",
                     f"{res.evaluations} equilibria, {res.seconds:.0f} s; best {res.policy} -> {res.objective:.5f}", "",
                     "| tau | xi | tau_a | xi_a | G/Y | objective per year | equilibrium iterations | converged |",
                     "|---|---|---|---|---|---|---|---|"]  # fmt: skip
            for tr in res.trace:
                lines.append("| " + " | ".join(f"{v:.4f}" for v in tr["policy"])
                             + f" | {tr['objective']:.5f} | {tr['iterations']} | {tr['converged']} |")  # fmt: skip
            (OUT / f"best_hsv_search_{task}.md").write_text("\n".join(lines) + "\n")
            log(f"best HSV for {task}: {res.policy} ({res.objective:.5f}, {res.evaluations} evaluations)")
    if args.no_table:
        return
    seeds = list(range(args.seeds))
    parts = ["# Tax economy with optimal households", "",
             "Regenerate: `python scripts/taxai_equilibrium.py` (cells cached in runs/taxai_equilibrium/).", ""]
    for n in args.n:
        parts.append(table(n, seeds, args.task))
        (OUT / "table.md").write_text("\n".join(parts))
    parts.append(stationary_table(args.task))
    (OUT / "table.md").write_text("\n".join(parts))
    plots()
    log(f"wrote {OUT}/table.md, policy_functions.png, wealth_distribution.png")


if __name__ == "__main__":
    main()
