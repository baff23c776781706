"""The ``econ-envs`` command line.

econ-envs list
econ-envs simulate ENV_ID --policy NAME [--steps T] [--seed S] [--out DIR] [--set key=value ...]
econ-envs bench ENV_ID --agents N [--steps K] [--repeats R] [--policy NAME] [--set key=value ...]
econ-envs solve GAME --solver fp|omd|spg|rspg [--iterations N] [--seed S] --out DIR [--set key=value ...]
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


def _cmd_solve(args: argparse.Namespace) -> int:
    from econ_envs.meanfield.solvers.runner import solve

    summary = solve(
        args.game,
        args.solver,
        out=args.out,
        iterations=args.iterations,
        seed=args.seed,
        overrides=parse_assignments(args.set),
        learning_rate=args.learning_rate,
        eval_every=args.eval_every,
        n_paths=args.paths,
        progress=not args.quiet,
    )
    final = summary["final"]
    print(
        f"{summary['game']} / {summary['solver']}: exploitability {final['exploitability']:.6g} after "
        f"{final['iteration']} iterations ({final['wall_time_s']:.1f} s; uniform policy "
        f"{summary['uniform_exploitability']:.6g}, ratio {summary['final_over_uniform']:.3g})"
    )
    print(f"wrote {summary['out']}/curve.csv, curve.png, summary.json")
    return 0


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

    p = sub.add_parser("solve", help="run a mean-field solver and write its exploitability curve (CSV and PNG)")
    p.add_argument("game", help="lq, beach_bar, macro, crowd (or a meanfield/...-v0 id)")
    p.add_argument("--solver", required=True, choices=["fp", "omd", "spg", "rspg"])
    p.add_argument("--iterations", type=int, default=None, help="default: fp 200, omd 100, spg/rspg 200")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--learning-rate", type=float, default=None, help="omd step size or spg/rspg Adam rate")
    p.add_argument("--eval-every", type=int, default=None, help="iterations between evaluations")
    p.add_argument("--paths", type=int, default=8, help="sampled common-noise paths where not enumerable")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="game parameter")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=_cmd_solve)
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
