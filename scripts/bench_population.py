"""Household-steps/s of sampling + learning: RLlib's per-agent path vs the batched population path.

    python scripts/bench_population.py [--households 100 1000 10000] [--iters 3] [--rollout 20]

Both paths train the same experiment (taxai_dsmfg: mean-field households, Stackelberg
schedule, PPO with the same epochs and minibatch size) for ``--iters`` timed iterations
after one warm-up iteration, in this one process, one size after the other. A household-
step is one household acting for one year; throughput counts the households' steps of
the rollouts and the whole iteration time (sampling, GAE, PPO epochs, weight sync).
Prints one JSON line per (path, size) and a Markdown table with the ratios. The per-agent
path at 10,000 households takes minutes per iteration; ``--per-agent-max`` skips it above
a size.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import ray

from econ_envs.rllib.experiments import taxai_experiment


def run(n: int, batched: bool, iters: int, rollout: int, minibatch: int, epochs: int) -> dict:
    cfg, _ = taxai_experiment(n_households=n, batched=batched, rollout_length=rollout, minibatch_size=minibatch,
                              ppo={"num_epochs": epochs}, env_overrides={"episode_length": 300})  # fmt: skip
    algo = cfg.build_algo()
    try:
        algo.train()  # warm-up: compilation, first allocations
        t0 = time.perf_counter()
        for _ in range(iters):
            algo.train()
        dt = time.perf_counter() - t0
    finally:
        algo.stop()
    hh_steps = iters * rollout * n
    return {
        "path": "batched" if batched else "per_agent",
        "households": n,
        "household_steps_per_s": round(hh_steps / dt, 1),
        "seconds_per_iteration": round(dt / iters, 2),
        "rollout": rollout,
        "iterations": iters,
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, nargs="+", default=[100, 1000, 10000])
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--rollout", type=int, default=20)
    ap.add_argument("--minibatch", type=int, default=4096)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--per-agent-max", type=int, default=10_000)
    args = ap.parse_args()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    rows = []
    for n in args.households:
        pair = {}
        for batched in (True, False):
            if not batched and n > args.per_agent_max:
                continue
            r = run(n, batched, args.iters, args.rollout, args.minibatch, args.epochs)
            print(json.dumps(r), flush=True)
            pair[r["path"]] = r
        rows.append((n, pair))
    print("\n| households | per-agent path (hh-steps/s) | batched path (hh-steps/s) | ratio |")
    print("| ---: | ---: | ---: | ---: |")
    for n, pair in rows:
        b = pair.get("batched", {}).get("household_steps_per_s")
        p = pair.get("per_agent", {}).get("household_steps_per_s")
        ratio = f"{b / p:.0f}x" if b and p else "-"
        print(f"| {n:,} | {p if p else '-'} | {b} | {ratio} |")
    ray.shutdown()


if __name__ == "__main__":
    main()
