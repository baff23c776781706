"""The ``econ-envs`` command line.

econ-envs list
econ-envs simulate ENV_ID --policy NAME [--steps T] [--seed S] [--out DIR] [--set key=value ...]
econ-envs bench ENV_ID --agents N [--steps K] [--repeats R] [--policy NAME] [--set key=value ...]
econ-envs analyze ENV_ID ANALYSIS [options]   (families with analyses: see _ANALYZERS)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from econ_envs.core.params import parse_assignments


def _cmd_list(args: argparse.Namespace) -> int:
    import econ_envs

    envs = econ_envs.list_envs()
    width = max(len(k) for k in envs) if envs else 0
    for env_id, desc in envs.items():
        spec = econ_envs.spec(env_id)
        pols = ", ".join(sorted(spec.simulate_policies))
        print(f"{env_id:<{width}}  {desc}")
        if pols:
            print(f"{'':<{width}}  policies: {pols} (default: {spec.default_policy})")
    import gymnasium

    gym_ids = sorted(k for k in gymnasium.registry if k.startswith("econ_envs/"))
    if gym_ids:
        print("\nGymnasium single-agent views (gymnasium.make):")
        for k in gym_ids:
            print(f"  {k}")
    return 0


def _cmd_simulate(args: argparse.Namespace) -> int:
    from econ_envs.core.simulate import simulate

    summary = simulate(
        args.env_id,
        policy=args.policy,
        steps=args.steps,
        seed=args.seed,
        out=args.out,
        overrides=parse_assignments(args.set),
        progress=not args.quiet,
    )
    avg = summary["averages"]
    keys = [k for k in ("gdp_per_household", "wealth_gini", "income_gini", "social_welfare", "debt_to_gdp",
                        "inflation", "unemployment") if k in avg]  # fmt: skip
    print(f"{summary['env_id']} / {summary['policy']}: {summary['steps_run']} steps, {summary['termination']}")
    for k in keys:
        print(f"  mean {k:<20s} {avg[k]:.6g}")
    print(f"wrote {summary['out']}/history.csv, summary.json, macro_variables.png")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from econ_envs.core.bench import bench

    result = bench(
        args.env_id,
        agents=args.agents,
        steps=args.steps,
        repeats=args.repeats,
        policy=args.policy,
        seed=args.seed,
        overrides=parse_assignments(args.set),
    )
    print(json.dumps(result))
    return 0


# env id -> "module:function" taking the remaining command-line arguments (a list of strings)
_ANALYZERS = {
    "monetary-v0": "econ_envs.monetary.analysis:run_cli",
}


def _cmd_analyze(args: argparse.Namespace) -> int:
    from econ_envs.core.registry import load_entry_point

    entry = _ANALYZERS.get(args.env_id)
    if entry is None:
        raise ValueError(f"no analyses for {args.env_id!r}; available for {sorted(_ANALYZERS)}")
    return int(load_entry_point(entry)(args.rest) or 0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="econ-envs", description="Multi-agent economies for RL research.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list the registered economies")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("simulate", help="run a baseline policy profile and write history, summary and plots")
    p.add_argument("env_id")
    p.add_argument("--policy", default=None, help="baseline profile (see `econ-envs list`)")
    p.add_argument("--steps", type=int, default=None, help="number of steps (default: one full episode)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="output folder (default: runs/ENV_POLICY_seedS)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="environment argument")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_simulate)

    p = sub.add_parser("bench", help="env steps per second of the batched core and of the PettingZoo facade")
    p.add_argument("env_id")
    p.add_argument("--agents", type=int, default=None, help="population size (households, consumers, ...)")
    p.add_argument("--steps", type=int, default=200, help="steps per timed batch")
    p.add_argument("--repeats", type=int, default=5, help="timed batches (the best is reported)")
    p.add_argument("--policy", default=None, help="profile whose first actions are replayed")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="environment argument")
    p.set_defaults(func=_cmd_bench)

    p = sub.add_parser(
        "analyze",
        help="a family's analyses (monetary-v0: simulate, irf, reaction, loss-table, gini, zlb, all)",
        add_help=False,
    )
    p.add_argument("env_id")
    p.add_argument("rest", nargs=argparse.REMAINDER, help="the analysis and its options (--help for details)")
    p.set_defaults(func=_cmd_analyze)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError) as exc:
        print(f"econ-envs {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
