"""Household-steps/s of sampling + learning: RLlib's per-agent path vs the batched population path.

    python scripts/bench_population.py [--households 100 1000 10000] [--iters 3] [--rollout 20]

Both paths train the same experiment (taxai_dsmfg: mean-field households, Stackelberg
schedule, PPO with the same epochs and minibatch size) for ``--iters`` timed iterations
after one warm-up iteration, in this one process, one size after the other. A household-
step is one household acting for one year; throughput counts the households' steps of
the rollouts and the whole iteration time (sampling, GAE, PPO epochs, weight sync).
Between the timed iterations (outside their timing) it times the fixed reference kernel of
``econ-envs bench`` (:func:`econ_envs.core.bench.reference_kernel`) and reports each
throughput's ratio to it (``ratio_to_reference``), which carries from one host to another.
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

from econ_envs.core.bench import REFERENCE_PASSES, host_info, reference_kernel
from econ_envs.rllib.experiments import taxai_experiment


def reference_rate() -> float:
    """Passes per second of one batch of the reference kernel."""
    t0 = time.perf_counter()
    reference_kernel(REFERENCE_PASSES)
    return REFERENCE_PASSES / (time.perf_counter() - t0)


def run(n: int, batched: bool, iters: int, rollout: int, minibatch: int, epochs: int) -> dict:
    cfg, _ = taxai_experiment(n_households=n, batched=batched, rollout_length=rollout, minibatch_size=minibatch,
                              ppo={"num_epochs": epochs}, env_overrides={"episode_length": 300})  # fmt: skip
    algo = cfg.build_algo()
    reference_kernel(1, 8)  # compile or load from the cache
    refs = [reference_rate()]
    try:
        algo.train()  # warm-up: compilation, first allocations
        dt = 0.0
        for _ in range(iters):
            t0 = time.perf_counter()
            algo.train()
            dt += time.perf_counter() - t0
            refs.append(reference_rate())
    finally:
        algo.stop()
    hh_steps = iters * rollout * n
    return {
        "path": "batched" if batched else "per_agent",
        "households": n,
        "household_steps_per_s": round(hh_steps / dt, 1),
        "ratio_to_reference": float(f"{hh_steps / dt / max(refs):.3g}"),
        "reference_passes_per_s": round(max(refs), 1),
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
    print(json.dumps(host_info()), flush=True)
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
    print("\n| households | per-agent path (hh-steps/s, / reference) | batched path (hh-steps/s, / reference) "
          "| batched/per-agent |")
    print("| ---: | ---: | ---: | ---: |")
    for n, pair in rows:
        b, p = pair.get("batched", {}), pair.get("per_agent", {})
        cell = {k: f"{r['household_steps_per_s']:,.0f} ({r['ratio_to_reference']:g})" if r else "-"
                for k, r in (("b", b), ("p", p))}  # fmt: skip
        ratio = f"{b['household_steps_per_s'] / p['household_steps_per_s']:.0f}x" if b and p else "-"
        print(f"| {n:,} | {cell['p']} | {cell['b']} | {ratio} |")
    ray.shutdown()


if __name__ == "__main__":
    main()
