"""Throughput of an economy: ``econ-envs bench ENV_ID --agents N [--steps K]``.

Three paths are timed on the same actions (those of the family's default
policy profile - or of ``EnvSpec.bench_policy`` when set - in its first step, so
the rule's own cost is excluded):

* ``core``      - the batched core's step on arrays (no validation, no dicts);
* ``batch_api`` - ``env.step_batch({role: array})``: the core plus input validation;
* ``facade``    - ``env.step({agent_id: action})``: the PettingZoo API with dicts.

If the economy has a vector interface (``EnvSpec.vector_entry_point``), a fourth
path is timed: ``vector`` - ``B`` replicas stepped together by the vector env's
``core_step`` on the same actions repeated in every replica (``--replicas B``,
default ``EnvSpec.default_replicas``); it is reported as replica-steps per
second (``replica_steps_per_s`` = B x vector steps per second).

Cloud VMs are noisy (CPU steal), so each path runs ``repeats`` batches of
``steps`` steps and the best batch is reported (``statistic`` says so); the
median is reported too. Episode ends are handled by resetting outside the timed
region.

Numbers that hold on any machine: the same run also times a small fixed
*reference kernel* (:func:`reference_kernel`: pure numba arithmetic - a square
root, a log and an exp per element over 4,096 float64 values, 100 passes per
batch - that depends on nothing in the package's economics). Its batches are
interleaved with the benchmark's (one reference batch after every benchmark
batch), so both see the same CPU, clock and neighbours' load. The result gives
the reference throughput (``reference_passes_per_s``) and, beside each absolute
number, its ratio to it (``ratio_to_reference``: benchmark steps per reference
pass, best over best). A host that is 0.6x as fast gives 0.6x the absolute
numbers and about the same ratios, so ratios are what to compare across hosts;
``host`` records the date, the CPU model and the load average before and after.
"""

from __future__ import annotations

import datetime
import math
import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit

from econ_envs.core.progress import Progress
from econ_envs.core.registry import spec as get_spec

REFERENCE_SIZE = 4096  # float64 elements the reference kernel updates per pass (32 KiB)
REFERENCE_PASSES = 100  # passes per timed reference batch (about 10-40 ms on a 2020s core)


@njit(cache=True)
def reference_kernel(passes: int, size: int = REFERENCE_SIZE) -> float:
    """Fixed arithmetic work: ``passes`` passes of sqrt, log and exp over ``size`` float64 values.

    Deterministic, allocation of one array, no branches that depend on the data; the
    returned sum keeps the compiler from dropping the work.
    """
    buf = np.empty(size)
    for i in range(size):
        buf[i] = i / size
    acc = 0.0
    for _ in range(passes):
        for i in range(size):
            x = buf[i]
            y = math.sqrt(x * x + 1.0) - 0.5 * x  # > 0 for every x
            x = math.log(y + 1.0) + 0.25 * math.exp(-y)
            buf[i] = x
            acc += x
    return acc


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else ``platform``)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except (OSError, AttributeError):
        return None


def host_info() -> dict[str, Any]:
    """Date (UTC), CPU model, logical CPUs and the 1-minute load average now."""
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "load_average_1min_before": _load_average(),
    }


class _Timer:
    """Interleaves timed benchmark batches with reference-kernel batches (one after each)."""

    def __init__(self, progress: Progress):
        self.reference_rates: list[float] = []
        self.progress = progress
        reference_kernel(1, 8)  # compile (or load from the cache) outside the timed region

    def reference_batch(self) -> None:
        t0 = time.perf_counter()
        reference_kernel(REFERENCE_PASSES)
        self.reference_rates.append(REFERENCE_PASSES / (time.perf_counter() - t0))

    def batches(self, name: str, step_fn: Callable[[], Any], reset_fn: Callable[[], Any],
                done_fn: Callable[[], bool], steps: int, repeats: int) -> tuple[float, float]:  # fmt: skip
        """(best, median) steps per second of ``repeats`` batches of ``steps`` steps."""
        rates = []
        for _ in range(repeats):
            elapsed = 0.0
            done = 0
            while done < steps:
                if done_fn():
                    reset_fn()
                t0 = time.perf_counter()
                step_fn()
                elapsed += time.perf_counter() - t0
                done += 1
            rates.append(steps / elapsed)
            self.reference_batch()
            self.progress.advance(note=f"{name}: {rates[-1]:,.0f} steps/s")
        return max(rates), statistics.median(rates)

    def reference(self) -> tuple[float, float]:
        return max(self.reference_rates), statistics.median(self.reference_rates)


def _ratio(x: float, ref: float) -> float:
    """x / ref to 3 significant digits."""
    return float(f"{x / ref:.3g}")


def bench(
    env_id: str,
    agents: int | None = None,
    steps: int = 200,
    repeats: int = 5,
    policy: str | None = None,
    seed: int = 0,
    facade_steps: int | None = None,
    overrides: dict[str, Any] | None = None,
    replicas: int | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Measure env steps per second of the core, the batched API and the PettingZoo facade.

    With ``replicas`` (or the spec's ``default_replicas``) also replica-steps per second of
    the vector interface. Every number comes with its ratio to the reference kernel timed
    in the same run (see the module docstring); ``progress`` shows a progress line on stderr.
    """
    spec = get_spec(env_id)
    if replicas is not None:
        if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 1:
            raise ValueError(f"replicas must be a positive integer, got {replicas!r}")
        if spec.vector_entry_point is None:
            raise ValueError(f"{env_id} has no vector (many-replica) interface; omit --replicas")
    elif spec.vector_entry_point is not None:
        replicas = spec.default_replicas
    policy = policy or spec.bench_policy or spec.default_policy
    factory = spec.policy_factory(policy)
    kwargs = dict(getattr(factory, "env_overrides", {}))
    kwargs.update(overrides or {})
    if agents is not None:
        if spec.agents_kwarg is None:
            raise ValueError(f"{env_id} has no population-size argument")
        kwargs[spec.agents_kwarg] = agents
    env = spec.make(**kwargs)
    profile = factory(env)
    profile.reset(env, seed)
    actions = profile.act(env)
    checked = {name: env._check_role_array(role, actions[name])[0] for name, role in env.roles.items()}
    dict_actions = env.actions_to_dict(actions)

    def reset() -> None:
        profile.reset(env, seed)

    n_agents = len(env.possible_agents)
    if facade_steps is None:
        facade_steps = max(3, min(steps, 200_000 // max(1, n_agents)))
    facade_repeats = max(2, repeats // 2)
    host = host_info()
    total = 2 * repeats + facade_repeats + (repeats if replicas is not None else 0)
    with Progress(total, f"bench {env_id}", enabled=progress, unit="batches", every_s=2.0) as bar:
        timer = _Timer(bar)
        core_best, core_median = timer.batches(
            "core", lambda: env.core_step(checked), reset, lambda: env.episode_over, steps, repeats
        )
        api_best, api_median = timer.batches(
            "step_batch", lambda: env.step_batch(actions), reset, lambda: env.episode_over, steps, repeats
        )
        fac_best, fac_median = timer.batches(
            "facade", lambda: env.step(dict_actions), reset, lambda: env.episode_over, facade_steps, facade_repeats
        )
        vector = None
        if replicas is not None:
            vector = _bench_vector(spec, kwargs, replicas, actions, seed, steps, repeats, n_agents, timer)
    ref_best, ref_median = timer.reference()
    host["load_average_1min_after"] = _load_average()
    result: dict[str, Any] = {
        "env": env_id,
        "agents": n_agents if agents is None else agents,
        "core_steps_per_s": round(core_best, 1),
        "facade_steps_per_s": round(fac_best, 1),
        "batch_api_steps_per_s": round(api_best, 1),
        "ratio_to_reference": {
            "core_steps_per_s": _ratio(core_best, ref_best),
            "facade_steps_per_s": _ratio(fac_best, ref_best),
            "batch_api_steps_per_s": _ratio(api_best, ref_best),
        },
        "reference_passes_per_s": round(ref_best, 1),
        "median": {
            "core_steps_per_s": round(core_median, 1),
            "facade_steps_per_s": round(fac_median, 1),
            "batch_api_steps_per_s": round(api_median, 1),
            "reference_passes_per_s": round(ref_median, 1),
        },
        "statistic": f"best of {repeats} batches of {steps} steps (facade: {facade_steps} steps)",
        "reference": f"reference_kernel: {REFERENCE_PASSES} passes of sqrt+log+exp over {REFERENCE_SIZE} float64 "
        f"per batch, one batch after each benchmark batch ({len(timer.reference_rates)} in all); "
        "ratio_to_reference = steps/s / reference passes/s, best over best",
        "policy": policy,
        "total_agents": n_agents,
        "host": host,
    }
    if vector is not None:
        result["median"].update(vector.pop("median"))
        result["ratio_to_reference"]["replica_steps_per_s"] = _ratio(vector["replica_steps_per_s"], ref_best)
        result.update(vector)
    return result


def _bench_vector(spec, kwargs, replicas, actions, seed, steps, repeats, n_agents, timer: _Timer) -> dict[str, Any]:
    """Replica-steps/s of the vector env on ``actions`` (one replica's) repeated in every replica."""
    venv = spec.make_vector(replicas, **kwargs)
    venv.reset(seed=seed)
    tiled = {name: np.broadcast_to(np.asarray(a), (replicas, *np.shape(a))) for name, a in actions.items()}
    checked = venv.check_actions(tiled)
    best, median = timer.batches(
        "vector", lambda: venv.core_step(checked), lambda: venv.reset(seed=seed), lambda: venv.episode_over,
        steps, repeats,
    )  # fmt: skip
    out = {
        "replicas": replicas,
        "replica_steps_per_s": round(best * replicas, 1),
        "agent_steps_per_s": round(best * replicas * n_agents, 1),
        "vector_statistic": f"best of {repeats} batches of {steps} vector steps of {replicas} replicas",
    }
    out["median"] = {"replica_steps_per_s": round(median * replicas, 1)}
    share = getattr(venv, "parallel_share", None)
    if share is not None:
        out["parallel_share"] = round(float(share), 3)
    return out
