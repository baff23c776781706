"""Throughput table of the RBC economy (``rbc-v0``) for the README, as Markdown.

    python scripts/rbc_bench.py [--repeats 5]

Runs ``econ-envs bench rbc-v0`` (``econ_envs.core.bench.bench``) for the paper's
size (100 consumers, 10 firms, 1 government; 128 replicas) on random and on
rule actions, and for 1,000 consumers and 100 firms (16 replicas), then times
the vector env's single-threaded and threaded kernels side by side on the same
actions. Replica-steps per second: best of ``repeats`` batches. The machine's
load average is printed with the table: on a shared VM other processes change
the numbers by 2x or more. Each number is followed by its ratio to the reference
kernel ``econ-envs bench`` times in the same run (what carries across hosts).
"""

from __future__ import annotations

import argparse
import os
import time

from econ_envs.core.bench import bench
from econ_envs.rbc.policies import RandomProfile
from econ_envs.rbc.vector import RBCVectorEnv


def kernel_modes(replicas: int, steps: int, repeats: int) -> dict[str, float]:
    """Replica-steps/s of the serial and the threaded kernel on the same random actions, interleaved.

    Also replica-steps per CPU-second of the serial kernel (``serial_cpu``): what one core
    delivers when nothing else runs on it (cache sharing with other processes still counts).
    """
    envs = {mode: RBCVectorEnv(n_replicas=replicas, parallel=mode == "threaded") for mode in ("serial", "threaded")}
    acts = None
    best = {mode: 0.0 for mode in envs}
    best["serial_cpu"] = 0.0
    for _ in range(repeats):
        for mode, venv in envs.items():
            venv.reset(seed=0)
            if acts is None:
                acts = venv.check_actions(RandomProfile(venv).act(venv))
            venv.core_step(acts)  # warm-up (compilation)
            elapsed, cpu, done = 0.0, 0.0, 0
            while done < steps:
                if venv.episode_over:
                    venv.reset(seed=0)
                t0, c0 = time.perf_counter(), time.process_time()
                venv.core_step(acts)
                elapsed += time.perf_counter() - t0
                cpu += time.process_time() - c0
                done += 1
            best[mode] = max(best[mode], steps * replicas / elapsed)
            if mode == "serial":
                best["serial_cpu"] = max(best["serial_cpu"], steps * replicas / cpu)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    load_before = os.getloadavg()[0]
    rows = [
        ("100 / 10 / 1", "random", bench("rbc-v0", repeats=args.repeats)),
        ("100 / 10 / 1", "rule", bench("rbc-v0", policy="rule", repeats=args.repeats)),
        (
            "1,000 / 100 / 1",
            "random",
            bench("rbc-v0", agents=1000, overrides={"n_firms": 100}, replicas=16, steps=20, repeats=args.repeats),
        ),
    ]
    print(f"load average before the runs: {load_before:.2f} ({os.cpu_count()} cores)\n")
    print(
        "| consumers / firms / government | actions | replicas | replica-steps/s (vector env) | "
        "agent-steps/s | 1 replica: core steps/s | `step_batch` | PettingZoo facade |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")

    def cell(r: dict, key: str) -> str:  # a number with its ratio to the reference kernel of the same run
        return f"{r[key]:,.0f} ({r[key] / r['reference_passes_per_s']:.3g})"

    for size, pol, r in rows:
        print(
            f"| {size} | {pol} | {r['replicas']} | {cell(r, 'replica_steps_per_s')} | {cell(r, 'agent_steps_per_s')} | "
            f"{cell(r, 'core_steps_per_s')} | {cell(r, 'batch_api_steps_per_s')} | {cell(r, 'facade_steps_per_s')} |"
        )
    print(f"\n{rows[0][2]['host']['date']}, {rows[0][2]['host']['cpu']}; in parentheses: ratio to the reference "
          "kernel timed in the same run")
    modes = kernel_modes(128, 100, args.repeats)
    print(
        f"\nSame run, kernels side by side (128 replicas, random actions): single-threaded "
        f"{modes['serial']:,.0f}, threaded {modes['threaded']:,.0f} replica-steps/s "
        f"(ratio {modes['threaded'] / modes['serial']:.2f}); single-threaded per CPU-second of this process: "
        f"{modes['serial_cpu']:,.0f}; load average after: {os.getloadavg()[0]:.2f}."
    )


if __name__ == "__main__":
    main()
