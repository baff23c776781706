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
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from econ_envs.core.registry import spec as get_spec


def _time_batches(step_fn, reset_fn, done_fn, steps: int, repeats: int) -> tuple[float, float]:
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
    return max(rates), statistics.median(rates)


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
) -> dict[str, Any]:
    """Measure env steps per second of the core, the batched API and the PettingZoo facade.

    With ``replicas`` (or the spec's ``default_replicas``) also replica-steps per second of
    the vector interface.
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

    core_best, core_median = _time_batches(
        lambda: env.core_step(checked), reset, lambda: env.episode_over, steps, repeats
    )
    api_best, api_median = _time_batches(
        lambda: env.step_batch(actions), reset, lambda: env.episode_over, steps, repeats
    )
    n_agents = len(env.possible_agents)
    if facade_steps is None:
        facade_steps = max(3, min(steps, 200_000 // max(1, n_agents)))
    fac_best, fac_median = _time_batches(
        lambda: env.step(dict_actions), reset, lambda: env.episode_over, facade_steps, max(2, repeats // 2)
    )
    result: dict[str, Any] = {
        "env": env_id,
        "agents": n_agents if agents is None else agents,
        "core_steps_per_s": round(core_best, 1),
        "facade_steps_per_s": round(fac_best, 1),
        "batch_api_steps_per_s": round(api_best, 1),
        "median": {
            "core_steps_per_s": round(core_median, 1),
            "facade_steps_per_s": round(fac_median, 1),
            "batch_api_steps_per_s": round(api_median, 1),
        },
        "statistic": f"best of {repeats} batches of {steps} steps (facade: {facade_steps} steps)",
        "policy": policy,
        "total_agents": n_agents,
    }
    if replicas is not None:
        vector = _bench_vector(spec, kwargs, replicas, actions, seed, steps, repeats, n_agents)
        result["median"].update(vector.pop("median"))
        result.update(vector)
    return result


def _bench_vector(spec, kwargs, replicas, actions, seed, steps, repeats, n_agents) -> dict[str, Any]:
    """Replica-steps/s of the vector env on ``actions`` (one replica's) repeated in every replica."""
    import numpy as np

    venv = spec.make_vector(replicas, **kwargs)
    venv.reset(seed=seed)
    tiled = {name: np.broadcast_to(np.asarray(a), (replicas, *np.shape(a))) for name, a in actions.items()}
    checked = venv.check_actions(tiled)
    best, median = _time_batches(
        lambda: venv.core_step(checked), lambda: venv.reset(seed=seed), lambda: venv.episode_over, steps, repeats
    )
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
