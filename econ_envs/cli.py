"""The ``econ-envs`` command line.

econ-envs list
econ-envs simulate ENV_ID --policy NAME [--steps T] [--seed S] [--out DIR] [--set key=value ...]
econ-envs bench ENV_ID --agents N [--replicas B] [--steps K] [--repeats R] [--policy NAME] [--set key=value ...]
econ-envs rollout ENV_ID --replicas B --episodes E --out DIR [--policy NAME] [--seed S] [--set key=value ...]
econ-envs train CONFIG [--set key=value] [--address ADDR] [--num-env-runners N]
                       [--num-gpus-per-learner G] [--stop-iters N] [--out DIR] [--resume] [--wandb] [--evaluate K]
                       [--select-every N] [--select-seeds S1,S2,...]
econ-envs evaluate CHECKPOINT|RUN_FOLDER [--episodes K] [--out DIR]
econ-envs export-weights CHECKPOINT OUT
econ-envs exploitability CHECKPOINT [--seeds N] [--n-households N] [--years T] [--out DIR]
econ-envs best-response CHECKPOINT --role ROLE [--iters N] [--episodes K] [--deviators one|all]
econ-envs sweep CONFIG [--num-samples N] [--stop-iters N] [--set key=value] [--out DIR]

econ-envs analyze ENV_ID ANALYSIS [options]   (families with analyses: see _ANALYZERS)

econ-envs solve GAME --solver fp|omd|spg|rspg [--iterations N] [--seed S] --out DIR [--set key=value ...]

The training commands need the ``rllib`` extra (``pip install 'econ-envs[rllib]'``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

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
        households=args.households,
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
        replicas=args.replicas,
        progress=not args.quiet,
    )
    if not args.quiet:  # the absolute numbers and their ratios to the reference kernel, for people (stderr)
        host = result["host"]
        print(f"{result['env']}, {result['agents']} agents; {host['date']}, {host['cpu']}, load average "
              f"{host['load_average_1min_before']} -> {host['load_average_1min_after']}", file=sys.stderr)  # fmt: skip
        for key, ratio in result["ratio_to_reference"].items():
            print(f"  {key:<24s} {result[key]:>14,.1f}   {ratio:>10g} x reference", file=sys.stderr)
        print(f"  {'reference_passes_per_s':<24s} {result['reference_passes_per_s']:>14,.1f}", file=sys.stderr)
    print(json.dumps(result))
    return 0


def _need_rllib() -> None:
    try:
        import ray  # noqa: F401
        import torch  # noqa: F401
    except ImportError as exc:
        raise ValueError(f"this command needs Ray RLlib and torch: pip install 'econ-envs[rllib]' ({exc})") from None


def _cmd_train(args: argparse.Namespace) -> int:
    import os

    from econ_envs.rllib import train as T

    if os.name == "posix" and not T.is_supervised_child() and not os.environ.get("ECON_ENVS_NO_SUPERVISOR"):
        return T.run_supervised(args.argv)  # the run and its Ray processes in one group, ended together
    if T.is_supervised_child():
        T.supervised_child_setup()
    _need_rllib()
    try:
        return _train_and_report(args)
    except KeyboardInterrupt:
        return 130


def _train_and_report(args: argparse.Namespace) -> int:
    from econ_envs.rllib.train import train

    stats = train(
        args.config,
        parse_assignments(args.set),
        address=args.address,
        num_env_runners=args.num_env_runners,
        num_gpus_per_learner=args.num_gpus_per_learner,
        stop_iters=args.stop_iters,
        out=args.out,
        resume=args.resume,
        checkpoint_every=args.checkpoint_every,
        wandb=args.wandb,
        verbose=0 if args.quiet else 1,
        select_every=args.select_every,
        select_seeds=args.select_seeds,
    )
    keys = ("config", "iterations", "episode_return_mean_last", "episode_return_mean_best", "wall_time_s", "checkpoint")
    print(json.dumps({k: stats.get(k) for k in keys}))
    out_dir = Path(stats["experiment_dir"]).parent
    print(f"wrote train_stats.json, training_curves.png, agent_rewards.png in {out_dir}")
    if args.evaluate:
        import rllib_configs
        from econ_envs.rllib.evaluate import evaluate

        if not stats.get("checkpoint"):
            raise ValueError("--evaluate: the run wrote no checkpoint to evaluate")
        # the config that trained the checkpoint is rebuilt here, so only its modules are loaded
        # (no second algorithm build: that would take longer than the whole quickstart's training);
        # the run's own settings (also on --resume, where --set is left out) come from train_stats
        algo_config, _ = rllib_configs.build(args.config, **stats["overrides"])
        checkpoint, iteration = stats["checkpoint"], stats["iterations"]
        sel = stats.get("selection") or {}
        if sel.get("best_checkpoint"):
            checkpoint, iteration = sel["best_checkpoint"], sel["best_iteration"]
            which = (f"the best checkpoint (iteration {iteration} of {stats['iterations']}: task reward "
                     f"{sel['best_score']:.4g} per year on held-out seeds {sel['seeds']})")  # fmt: skip
        else:
            which = f"the last checkpoint (iteration {iteration}; no --select-every, so no best one was kept)"
        print(f"evaluating {which}, {checkpoint}, and the baselines on {args.evaluate} evaluation seeds "
              f"(from 10000)", flush=True)  # fmt: skip
        summary = evaluate(checkpoint, episodes=args.evaluate, out=out_dir / "evaluation",
                           config=algo_config, iteration=iteration)  # fmt: skip
        _print_results(summary)
    return 0


def _print_results(summary: dict) -> None:
    print(open(Path(summary["out"]) / "comparison.md").read())
    print(f"wrote the comparison with the baselines in {summary['out']}")
    if "verdict" in summary:
        v = summary["verdict"]
        print(v["markdown"])
        print(f"wrote verdict.json and verdict.md in {', '.join(v['written_to'])}")


def _cmd_evaluate(args: argparse.Namespace) -> int:
    _need_rllib()
    from econ_envs.rllib.evaluate import evaluate

    summary = evaluate(args.checkpoint, episodes=args.episodes, out=args.out, households=args.households)
    _print_results(summary)
    out = Path(summary["out"])
    written = sorted(p.name + ("/" if p.is_dir() else "") for p in out.iterdir())
    print(f"results in {out}: {', '.join(written)}")
    return 0


def _cmd_export_weights(args: argparse.Namespace) -> int:
    _need_rllib()
    from econ_envs.rllib.checkpoints import export_weights

    res = export_weights(args.checkpoint, args.out)
    print(f"wrote the weights of modules {', '.join(res['modules'])} (iteration {res['iteration']}) and "
          f"export.json to {res['out']}")
    return 0


def _cmd_exploitability(args: argparse.Namespace) -> int:
    _need_rllib()
    from econ_envs.rllib.taxai_exploitability import checkpoint_exploitability

    res = checkpoint_exploitability(
        args.checkpoint,
        seeds=args.seeds,
        n_households=args.n_households,
        years=args.years,
        out=args.out,
        progress=None if args.quiet else lambda msg: print(f"exploitability: {msg}", file=sys.stderr, flush=True),
    )
    out = Path(res["out"])
    print(open(out / "exploitability.md").read())
    print(f"wrote {out / 'exploitability.json'} and {out / 'exploitability.md'}")
    return 0


def _cmd_best_response(args: argparse.Namespace) -> int:
    _need_rllib()
    from econ_envs.rllib.best_response import best_response

    res = best_response(args.checkpoint, args.role, iters=args.iters, episodes=args.episodes,
                        deviators=args.deviators, out=args.out)  # fmt: skip
    print(json.dumps({k: res[k] for k in ("role", "deviators", "return_before", "return_after", "gain",
                                          "relative_gain", "other_modules_unchanged")}))  # fmt: skip
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    _need_rllib()
    from econ_envs.rllib.sweep import sweep

    res = sweep(args.config, parse_assignments(args.set), num_samples=args.num_samples, stop_iters=args.stop_iters,
                out=args.out, address=args.address)  # fmt: skip
    print(json.dumps({k: res[k] for k in ("config", "best_config", "best_value", "out")}, default=str))


def _cmd_rollout(args: argparse.Namespace) -> int:
    import econ_envs
    from econ_envs.core.registry import load_entry_point

    spec = econ_envs.spec(args.env_id)
    if spec.rollout_entry_point is None:
        raise ValueError(f"{args.env_id} has no rollout writer")
    summary = load_entry_point(spec.rollout_entry_point)(
        replicas=args.replicas,
        episodes=args.episodes,
        out=args.out,
        policy=args.policy,
        seed=args.seed,
        overrides=parse_assignments(args.set),
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    print(json.dumps(summary))
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
    p.add_argument(
        "--households",
        default=None,
        help="taxai-v0: household rule (buffer_stock, constant_saving) or 'optimal' (the perfect-foresight "
        "equilibrium's optimal households, solved before the run)",
    )
    p.add_argument("--steps", type=int, default=None, help="number of steps (default: one full episode)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="output folder (default: runs/ENV_POLICY_seedS)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="environment argument")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_simulate)

    p = sub.add_parser("bench", help="env steps per second of the batched core and of the PettingZoo facade, "
                                     "each with its ratio to a fixed reference kernel timed in the same run")
    p.add_argument("env_id")
    p.add_argument("--agents", type=int, default=None, help="population size (households, consumers, ...)")
    p.add_argument("--steps", type=int, default=200, help="steps per timed batch")
    p.add_argument("--repeats", type=int, default=5, help="timed batches (the best is reported)")
    p.add_argument("--policy", default=None, help="profile whose first actions are replayed")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="environment argument")
    p.add_argument("--replicas", type=int, default=None,
                   help="replicas stepped together by the vector interface (economies that have one)")  # fmt: skip
    p.add_argument("--quiet", action="store_true", help="no progress line and no summary on stderr")
    p.set_defaults(func=_cmd_bench)

    p = sub.add_parser("train", help="train an rllib_configs experiment under Ray Tune")
    p.add_argument("config", help="experiment name in rllib_configs/ (e.g. taxai_dsmfg) or a path to a .py file")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="argument of the experiment")
    p.add_argument("--address", default=None, help="join this Ray cluster (e.g. auto or HEAD:6379)")
    p.add_argument("--num-env-runners", type=int, default=None)
    p.add_argument("--num-gpus-per-learner", type=float, default=None)
    p.add_argument("--stop-iters", type=int, default=None)
    p.add_argument("--checkpoint-every", type=int, default=5, help="iterations between checkpoints")
    p.add_argument("--out", default=None, help="output folder (default runs/train/CONFIG)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run from its last checkpoint")
    p.add_argument("--wandb", action="store_true", help="also log to Weights & Biases (offline without a network)")
    p.add_argument("--evaluate", type=int, default=0, metavar="K",
                   help="afterwards, play the best checkpoint (with --select-every; else the last) and the "
                   "baselines for K episodes, and print a verdict (taxai)")  # fmt: skip
    p.add_argument("--select-every", type=int, default=None, metavar="N",
                   help="every N iterations and at the end, score the modules deterministically on held-out seeds "
                   "and keep the best checkpoint in the run's best/ folder")  # fmt: skip
    p.add_argument("--select-seeds", default=None, metavar="S1,S2,...",
                   help="held-out seeds of --select-every (default 1001-1005; below 10000, not training seeds)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_cmd_train)

    from econ_envs.rllib.checkpoints import TRUST_NOTE

    p = sub.add_parser("evaluate", help="play a checkpoint and the baselines on the same seeds", epilog=TRUST_NOTE)
    p.add_argument("checkpoint", help="an RLlib checkpoint folder, an `export-weights` folder, or a run folder of "
                   "`econ-envs train` (its best checkpoint when it kept one, else its latest)")
    p.add_argument("--episodes", type=int, default=5)
    p.add_argument("--out", default=None)
    p.add_argument("--households", default=None, choices=["optimal"],
                   help="taxai: also play every government against optimal households (rules: each seed's "
                   "perfect-foresight equilibrium; the learned government: anticipated utility)")
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser(
        "exploitability",
        help="household exploitability of a tax checkpoint (exact best response, utils/yr and CE %%)",
        description="Play a trained taxai checkpoint's government and households on evaluation seeds and "
        "measure the population-average gain of one household switching alone to the exact dynamic-programming "
        "best response, in utils per year and as a consumption-equivalent %. Writes exploitability.json and "
        "exploitability.md. RLlib checkpoints are pickles and can execute code when loaded: load only "
        "checkpoints from a trusted source.",
    )
    p.add_argument("checkpoint", help="an RLlib checkpoint folder of taxai-v0 or the TaxAI planner view (trusted)")
    p.add_argument("--seeds", type=int, default=5, help="evaluation seeds, from 10000 (default 5)")
    p.add_argument("--n-households", type=int, default=None, help="households per economy (default: the checkpoint's)")
    p.add_argument("--years", type=int, default=None, help="simulate only the first T years (default: the episode)")
    p.add_argument("--out", default=None, help="output folder (default: exploitability/ beside the checkpoint)")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=_cmd_exploitability)

    p = sub.add_parser("best-response", help="train one role's best response against the frozen others",
                       epilog=TRUST_NOTE)  # fmt: skip
    p.add_argument("checkpoint", help="an RLlib checkpoint folder or an `export-weights` folder")
    p.add_argument("--role", required=True)
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--episodes", type=int, default=3)
    p.add_argument("--deviators", default="one", choices=["one", "all"])
    p.add_argument("--out", default=None)
    p.set_defaults(func=_cmd_best_response)

    p = sub.add_parser("export-weights", epilog=TRUST_NOTE,
                       help="write a checkpoint's module weights as safetensors + JSON (loads without pickle)")
    p.add_argument("checkpoint", help="a checkpoint folder written by `econ-envs train` (trusted: it is unpickled)")
    p.add_argument("out", help="a new (or empty) folder for the export")
    p.set_defaults(func=_cmd_export_weights)

    p = sub.add_parser("sweep", help="hyper-parameter sweep of an experiment with Ray Tune")
    p.add_argument("config")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--num-samples", type=int, default=4)
    p.add_argument("--stop-iters", type=int, default=None)
    p.add_argument("--address", default=None)
    p.add_argument("--out", default=None)
    p.set_defaults(func=_cmd_sweep)
    p = sub.add_parser("rollout", help="write dense rollouts of many replicas (economies that support it)")
    p.add_argument("env_id")
    p.add_argument("--replicas", type=int, required=True, help="replicas per episode (the batch B)")
    p.add_argument("--episodes", type=int, required=True, help="episodes to write")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--policy", default="rule", help="baseline profile (default: rule)")
    p.add_argument("--seed", type=int, default=0, help="seed of episode 0 (episode e uses seed + e)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="environment argument")
    p.add_argument("--overwrite", action="store_true", help="replace rollout files already in --out")
    p.add_argument("--quiet", action="store_true", help="no per-episode progress lines")
    p.set_defaults(func=_cmd_rollout)
    p = sub.add_parser(
        "analyze",
        help="a family's analyses (monetary-v0: simulate, irf, reaction, loss-table, gini, zlb, all)",
        add_help=False,
    )
    p.add_argument("env_id")
    p.add_argument("rest", nargs=argparse.REMAINDER, help="the analysis and its options (--help for details)")
    p.set_defaults(func=_cmd_analyze)
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
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError) as exc:
        print(f"econ-envs {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
