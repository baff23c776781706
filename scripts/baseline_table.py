"""Compare the tax economy's baseline governments over several seeds and print a Markdown table.

    python scripts/baseline_table.py --households 100 1000 --seeds 5 [--household-rule buffer_stock]

For each government rule (free market, U.S. federal 2022, Saez) and population
size, runs full episodes with the household rule and reports mean +- sd over
seeds of: years survived, GDP per household (USD), social welfare (mean
household utility per year), wealth and income Ginis, debt/GDP and the
government reward of each task.
"""

from __future__ import annotations

import argparse

import numpy as np

import econ_envs
from econ_envs.taxai import policies as P

PROFILES = {"free_market": P.FreeMarketProfile, "us_federal": P.USFederalProfile, "saez": P.SaezProfile}
METRICS = ("years", "gdp_per_household", "social_welfare", "wealth_gini", "income_gini", "disposable_income_gini",
           "debt_to_gdp")  # fmt: skip


def run(government: str, n: int, seed: int, household: str) -> dict[str, float]:
    cls = PROFILES[government]
    env = econ_envs.make("taxai-v0", n_households=n, **cls.env_overrides)
    prof = cls(env, household=household)
    prof.reset(env, seed)
    rows = []
    while not env.episode_over:
        env.step_batch(prof.act(env))
        rows.append(env.aggregates())
    out = {k: float(np.mean([r[k] for r in rows])) for k in METRICS if k != "years"}
    out["years"] = float(len(rows))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--household-rule", default="buffer_stock", choices=sorted(P.HOUSEHOLD_RULES))
    args = ap.parse_args()
    print(f"| households | government | {' | '.join(METRICS)} |")
    print("| " + " | ".join(["---"] * (len(METRICS) + 2)) + " |")
    for n in args.households:
        for gov in PROFILES:
            res = [run(gov, n, s, args.household_rule) for s in range(args.seeds)]
            cells = []
            for k in METRICS:
                v = np.array([r[k] for r in res])
                fmt = "{:,.0f} ± {:,.0f}" if k in ("gdp_per_household", "years") else "{:.3f} ± {:.3f}"
                cells.append(fmt.format(v.mean(), v.std()))
            print(f"| {n:,} | {gov} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
