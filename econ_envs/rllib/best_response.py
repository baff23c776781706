"""Best-response check of a trained checkpoint: how much can one role gain by deviating?

``econ-envs best-response CHECKPOINT --role ROLE [--iters N] [--episodes K]``.

Unlike the reference code (whose "clones" were shallow copies sharing networks and
optimisers with the live agents), this builds a *separate* algorithm from the
checkpoint's config, loads every module's weights into it, and adds a new module
``<module>__br`` initialised from the role's module. Only that module trains; every
other module is frozen. For a role with many agents, one agent deviates (``<role>_0``,
or ``--deviators all`` for the whole role). The deviators' mean return on fixed
evaluation seeds is measured before and after; the gain, absolute and relative to
|return before|, is the role's exploitability estimate (an approximate best response:
N PPO iterations).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np

import econ_envs
from econ_envs.core.progress import Progress
from econ_envs.rllib.env import RoleMapping
from econ_envs.rllib.evaluate import EVAL_SEED0, load_checkpoint, module_actor


def _deviator_returns(
    env_id: str, env_config: dict, modules: dict[str, Any], mapping: RoleMapping, role: str,
    deviators: list[int] | None, seeds: list[int], bar: Progress | None = None, what: str = "",
) -> float:  # fmt: skip
    """Mean (over seeds and deviators) episode return of the deviating agents (one ``bar`` step per seed)."""
    totals = []
    for seed in seeds:
        env = econ_envs.make(env_id, **env_config)
        env.reset_batch(seed=seed)
        groups = {}
        for name, r in env.roles.items():
            mids = np.array([mapping(r.agent_id(i), None) for i in range(r.count)])
            groups[name] = [(mid, np.flatnonzero(mids == mid)) for mid in np.unique(mids)]
        ret = None
        while not env.episode_over:
            obs = env.batch_observations()
            actions = {}
            for name, r in env.roles.items():
                act = None
                for mid, idx in groups[name]:
                    a = module_actor(modules[mid], r.action_space)(obs[name][idx])
                    if act is None:
                        act = np.empty((r.count, *np.shape(a)[1:]), dtype=np.asarray(a).dtype)
                    act[idx] = a
                actions[name] = act
            res = env.step_batch(actions)
            rew = np.asarray(res.rewards[role], dtype=float)
            ret = rew if ret is None else ret + rew
        sel = ret if deviators is None else ret[deviators]
        totals.append(float(np.mean(sel)))
        if bar is not None:
            bar.advance(note=f"{what}: seed {seed} return {totals[-1]:.4g}")
    return float(np.mean(totals))


def _as_policy_spec(spec: Any) -> Any:
    """A PolicySpec from what a restored config holds (a PolicySpec or its tuple form)."""
    from ray.rllib.policy.policy import PolicySpec

    if isinstance(spec, PolicySpec):
        return spec
    if isinstance(spec, (tuple, list)) and len(spec) >= 3:
        return PolicySpec(policy_class=spec[0], observation_space=spec[1], action_space=spec[2])
    raise ValueError(f"cannot read the spaces of policy spec {spec!r}")


def deviation_config(
    cfg: Any,
    mapping: RoleMapping,
    role: str,
    one: bool,
    callbacks: list[type] | None = None,
    agent_id: str | None = None,
) -> tuple[Any, str, RoleMapping]:
    """A copy of ``cfg`` in which a new module ``<module>__br`` (a copy of ``role``'s module's spec) plays for
    one agent of ``role`` (``one``; ``agent_id``, default ``<role>_0``) or the whole role, and is the only
    module that trains. Returns (config, deviator module id, its role mapping). Callbacks are replaced by
    ``callbacks`` (default: economy metrics only; no schedule)."""
    from ray.rllib.core.rl_module.multi_rl_module import MultiRLModuleSpec
    from ray.rllib.policy.policy import PolicySpec

    from econ_envs.rllib.callbacks import EconomyMetrics

    mid = mapping.mapping.get(role, role)
    br_mid = f"{mid}__br"
    agents = {agent_id or f"{role}_0": br_mid} if one else {}
    br_map = RoleMapping(mapping.mapping if one else {**mapping.mapping, role: br_mid}, agents)
    specs = dict(cfg.rl_module_spec.rl_module_specs)
    specs[br_mid] = copy.deepcopy(specs[mid])
    pols = {m: _as_policy_spec(v) for m, v in cfg.policies.items()}
    pols[br_mid] = PolicySpec(observation_space=pols[mid].observation_space, action_space=pols[mid].action_space)
    new_cfg = (
        cfg.copy(copy_frozen=False)
        .multi_agent(policies=pols, policy_mapping_fn=br_map, policies_to_train=[br_mid])
        .rl_module(rl_module_spec=MultiRLModuleSpec(rl_module_specs=specs))
        .callbacks(callbacks or EconomyMetrics)
    )
    # the deviator inherits the module's per-module settings (learning rate, entropy, reward scale)
    per_module = dict(cfg.algorithm_config_overrides_per_module or {})
    if mid in per_module:
        new_cfg = new_cfg.rl_module(algorithm_config_overrides_per_module={br_mid: dict(per_module[mid])})
    lcd = dict(cfg.learner_config_dict or {})
    if mid in (lcd.get("reward_scales") or {}):
        lcd["reward_scales"] = {**lcd["reward_scales"], br_mid: lcd["reward_scales"][mid]}
        new_cfg.learner_config_dict = lcd
    return new_cfg, br_mid, br_map


def active_mapping(algo: Any) -> RoleMapping:
    """The role mapping in force at the algorithm's iteration: its config's stored schedule
    (``learner_config_dict["role_mapping_schedule"]``, written by curricula that switch modules), else
    the config's mapping function."""
    cfg = algo.config
    sched = (cfg.learner_config_dict or {}).get("role_mapping_schedule")
    mapping = cfg.policy_mapping_fn
    if sched:
        current = None
        for start, roles in sched:
            if algo.iteration >= start:
                current = roles
        if current is not None:
            return RoleMapping(current, getattr(mapping, "agents", None))
    return mapping


def best_response(
    checkpoint: str | Path, role: str, iters: int = 10, episodes: int = 3, deviators: str = "one",
    out: str | Path | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Train a best response of ``role`` against the frozen others; report the gain (see module docstring)."""
    if iters < 1 or episodes < 1:
        raise ValueError("--iters and --episodes must be >= 1")
    if deviators not in ("one", "all"):
        raise ValueError(f"--deviators must be 'one' or 'all', got {deviators!r}")
    algo = load_checkpoint(checkpoint)
    cfg = algo.config
    env_id, env_config = cfg.env, dict(cfg.env_config)
    if env_id not in econ_envs.list_envs():
        raise ValueError(f"best responses need a multi-agent economy checkpoint, not {env_id!r}")
    env = econ_envs.make(env_id, **env_config)
    if role not in env.roles:
        raise ValueError(f"unknown role {role!r}; roles are {list(env.roles)}")
    mapping = active_mapping(algo)
    if not isinstance(mapping, RoleMapping):
        raise ValueError("best responses need a role-based policy mapping (RoleMapping)")
    mid = mapping.mapping.get(role, role)
    module_states = {m: algo.get_module(m).get_state() for m in cfg.policies}
    modules_before = {m: algo.get_module(m) for m in cfg.policies}
    seeds = [EVAL_SEED0 + k for k in range(episodes)]
    n = env.roles[role].count
    dev_idx = [0] if (deviators == "one" and n > 1) else None
    bar = Progress(2 * episodes + iters, f"best-response {role}", unit="steps (episodes, iterations)")
    bar.update(0, note="playing the checkpoint's profile")
    before = _deviator_returns(env_id, env_config, modules_before, mapping, role, dev_idx, seeds, bar, "before")
    algo.stop()

    new_cfg, br_mid, br_map = deviation_config(cfg, mapping, role, dev_idx is not None,
                                               agent_id=env.roles[role].agent_id(0))  # fmt: skip
    pols = new_cfg.policies
    br_algo = new_cfg.build_algo()
    try:
        states = dict(module_states)
        states[br_mid] = module_states[mid]
        for m, st in states.items():
            br_algo.learner_group.foreach_learner(lambda learner, m=m, st=st: learner.module[m].set_state(st))
        br_algo.env_runner_group.sync_weights(from_worker_or_learner_group=br_algo.learner_group, inference_only=True)
        history = []
        for _ in range(iters):
            r = br_algo.train()
            history.append(r.get("env_runners", {}).get("module_episode_returns_mean", {}).get(br_mid))
            ret = history[-1]
            bar.advance(note="training the best response" + ("" if ret is None else f": return {ret:.4g}"))
        modules_after = {m: br_algo.get_module(m) for m in pols}
        after = _deviator_returns(env_id, env_config, modules_after, br_map, role, dev_idx, seeds, bar, "after")
        frozen_unchanged = all(
            all(np.array_equal(np.asarray(v), np.asarray(module_states[m][k])) for k, v in
                br_algo.get_module(m).get_state().items())
            for m in cfg.policies
        )  # fmt: skip
    finally:
        bar.close()
        br_algo.stop()
    gain = after - before
    result = {
        "checkpoint": str(checkpoint),
        "env": env_id,
        "role": role,
        "module": mid,
        "deviators": "all" if dev_idx is None else f"{role}_0",
        "iterations": iters,
        "episodes": episodes,
        "return_before": before,
        "return_after": after,
        "gain": gain,
        "relative_gain": gain / abs(before) if before else float("nan"),
        "other_modules_unchanged": bool(frozen_unchanged),
        "br_training_returns": history,
    }
    out_dir = Path(out) if out is not None else Path(checkpoint).parent / f"best_response_{role}"
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "best_response.json", "w") as f:
        json.dump(result, f, indent=2, default=str)
    result["out"] = str(out_dir)
    return result
