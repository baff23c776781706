"""Fixed-tax welfare tables and best-response gains of the RBC economy (``rbc-v0``), as Markdown.

    python scripts/rbc_tables.py [--set key=value ...]

Against the rule baseline (cost-plus firms: 25 % mark-up at 22 $/h; budget-share
consumers: half the budget, 520 h/quarter, best-paying employer), for the open
and the closed economy:

1. social welfare per episode (sum over 10 quarters of the government's reward:
   consumer utility + 0.0025 x firm reward) for every fixed (income-tax,
   corporate-tax) pair;
2. the best-response gain (epsilon) of each agent type against the others' fixed
   rules: exact over the government's 36 fixed actions, plus a per-quarter
   sequence search; for consumers and firms a search over a family of type-wide
   rules (a lower bound on their gain).

The economy has no shocks and the rules are deterministic, so each number is one
exact episode (one replica per candidate).
"""

from __future__ import annotations

import argparse
import time

from econ_envs.core.params import parse_assignments
from econ_envs.rbc.bestresponse import government_best_response, type_best_response
from econ_envs.rbc.params import RBCParams


def welfare_table(res: dict) -> str:
    t = res["table"]
    head = "| income tax \\ corporate tax | " + " | ".join(f"{c:.1f}" for c in t["corporate_tax"]) + " |"
    lines = [head, "| ---: |" + " ---: |" * len(t["corporate_tax"])]
    best = t["welfare"].max()
    for i, rate in enumerate(t["income_tax"]):
        cells = []
        for v in t["welfare"][i]:
            cells.append(f"**{v:,.0f}**" if v == best else f"{v:,.0f}")
        lines.append(f"| {rate:.1f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def pair(params: RBCParams, index: int) -> str:
    n = len(params.corporate_tax_choices)
    return f"{params.income_tax_choices[index // n]:g}/{params.corporate_tax_choices[index % n]:g}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="RBCParams field")
    args = ap.parse_args()
    overrides = parse_assignments(args.set)
    t0 = time.perf_counter()
    rows = []
    for label, open_economy in (("open", True), ("closed", False)):
        params = RBCParams(**{"open_economy": open_economy, **overrides})
        gov = government_best_response(params)
        print(f"### Social welfare per episode, {label} economy (utils; bold: best)\n")
        print(welfare_table(gov))
        print()
        for role in ("consumer", "firm"):
            r = type_best_response(params, role)
            rows.append(
                (
                    label,
                    role,
                    r["baseline"],
                    r["baseline_reward"],
                    r["best_rule"],
                    r["best_reward"],
                    r["gain"],
                    r["epsilon"],
                    f"{r['candidates']} type-wide rules (lower bound)",
                )
            )
        rates = gov["best_fixed_rates"]
        rows.append(
            (
                label,
                "government",
                gov["baseline"],
                gov["baseline_welfare"],
                f"fixed_tax({rates[0]:g},{rates[1]:g})",
                gov["best_fixed_welfare"],
                gov["gain"],
                gov["epsilon"],
                "all 36 fixed actions (exact)",
            )
        )
        rows.append(
            (
                label,
                "government",
                gov["baseline"],
                gov["baseline_welfare"],
                "per quarter (income/corporate): " + ", ".join(pair(params, a) for a in gov["sequence"][:-1]),
                gov["sequence_welfare"],
                gov["sequence_gain"],
                gov["sequence_epsilon"],
                "coordinate ascent over quarters (lower bound)",
            )
        )
    print("### Best-response gains against the rule baseline\n")
    print("| economy | type | baseline | baseline reward | best response | its reward | gain | epsilon | search |")
    print("| --- | --- | --- | ---: | --- | ---: | ---: | ---: | --- |")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:,.4g} | {r[4]} | {r[5]:,.4g} | {r[6]:,.4g} | {r[7]:.1%} | {r[8]} |")
    print(
        "\nRewards per episode (10 quarters): consumers utils per consumer, firms $ per firm, government utils "
        "(social welfare); epsilon = gain / |baseline reward|."
    )
    print(f"\n({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
