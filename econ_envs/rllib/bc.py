"""Behaviour cloning: warm-start a module from recorded rollouts of a rule (the seed's ``--bc``).

A supervised warm start rather than RLlib's offline API: the rule is rolled out in
the economy (other roles on given fixed actions or rules, else uniformly random), its (observation, action)
pairs are recorded, and the module's action mean is fitted to the rule's actions
(in RLlib's normalised [-1, 1] units) by least squares, with the action noise set
to ``log_std``. The critic is warm-started with the actor: it is fitted to the rule's
value at each recorded observation - the rule's own ``values(obs)`` where it has one
(the optimal households' dynamic-programming value V(a, e)), else the discounted
Monte-Carlo return the rule earned from there (``gamma``; the tail beyond the recorded
steps is closed with the last reward as a perpetuity). A cloned actor with an untrained
critic would otherwise be pushed around by advantages that are pure critic error in
PPO's first iterations. :func:`bc_warm_start_callback` does this on every Learner when
the algorithm is built and syncs the weights to the EnvRunners.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from ray.rllib.callbacks.callbacks import RLlibCallback
from ray.rllib.core.columns import Columns

import econ_envs
from econ_envs.core.registry import load_entry_point


def rule_dataset(
    env_id: str,
    env_config: Mapping[str, Any],
    role: str,
    rule: Any,
    steps: int = 300,
    episodes: int = 2,
    seed: int = 0,
    others: Mapping[str, Any] | None = None,
    max_rows: int = 200_000,
    values: bool = False,
    gamma: float = 0.99,
) -> tuple[np.ndarray, ...]:
    """(observations, actions) of ``role`` following ``rule``; with ``values``, also the value targets.

    ``others`` gives the other roles' behaviour: a callable (observations -> actions) or a fixed
    action (broadcast to every agent of the role); roles not in it act uniformly at random. At
    most ``max_rows`` rows are kept (an even subsample of the steps' agents, so large
    populations cost no more than small ones). ``values``: the rule's ``values(obs)`` if it has
    that method, else each agent's discounted return (``gamma``) from the recorded step on, with
    the tail after the episode's last recorded step valued as a perpetuity of its last reward.
    """
    if values and not (0.0 < gamma < 1.0):
        raise ValueError(f"gamma must be in (0, 1) for Monte-Carlo value targets, got {gamma!r}")
    own_values = values and callable(getattr(rule, "values", None))
    env = econ_envs.make(env_id, **dict(env_config))
    others = dict(others or {})
    unknown = sorted(set(others) - set(env.roles))
    if unknown or role not in env.roles:
        raise ValueError(f"unknown role(s) {unknown or [role]} for {env_id}; roles: {sorted(env.roles)}")
    rng = np.random.default_rng(seed)
    per_step = max(1, max_rows // max(1, steps * episodes))
    obs_list, act_list, val_list = [], [], []
    for ep in range(episodes):
        obs, _ = env.reset_batch(seed=seed + ep)
        rewards, kept = [], []
        for _ in range(steps):
            actions = {}
            for name, r in env.roles.items():
                if name == role:
                    actions[name] = np.asarray(rule(obs[name]))
                    keep = np.arange(r.count) if r.count <= per_step else rng.choice(r.count, per_step, replace=False)
                    kept.append(keep)
                    obs_list.append(np.asarray(obs[name], dtype=np.float32)[keep])
                    act_list.append(np.asarray(actions[name]).reshape(r.count, -1)[keep])
                    if own_values:
                        val_list.append(np.asarray(rule.values(obs[name]), dtype=np.float64).reshape(-1)[keep])
                elif name in others:
                    how = others[name]
                    if callable(how):
                        actions[name] = np.asarray(how(obs[name]))
                    else:
                        actions[name] = np.broadcast_to(
                            np.asarray(how, dtype=np.float64), (r.count, *r.action_space.shape)
                        )
                else:
                    space = r.action_space
                    if isinstance(space, gym.spaces.Box):
                        actions[name] = rng.uniform(space.low, space.high, (r.count, *space.shape))
                    else:
                        actions[name] = np.stack([space.sample() for _ in range(r.count)])
            res = env.step_batch(actions)
            obs = res.observations
            if values and not own_values:
                rewards.append(np.asarray(res.rewards[role], dtype=np.float64).reshape(-1))
            if res.terminated or res.truncated:
                break
        if values and not own_values and rewards:
            ret = np.asarray(rewards[-1]) / (1.0 - gamma)  # the tail: a perpetuity of the last reward
            returns = []
            for rew in reversed(rewards):
                ret = rew + gamma * ret
                returns.append(ret)
            returns.reverse()
            val_list.extend(g[k] for g, k in zip(returns, kept))
    if not values:
        return np.concatenate(obs_list), np.concatenate(act_list)
    v = np.concatenate(val_list)
    if not np.all(np.isfinite(v)):
        raise ValueError("the rule's value targets are not all finite")
    return np.concatenate(obs_list), np.concatenate(act_list), v


def dataset_cache_dir() -> Path:
    """Where recorded rule datasets are kept: ``$ECON_ENVS_CACHE/bc`` (default ``~/.cache/econ_envs/bc``)."""
    root = os.environ.get("ECON_ENVS_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "econ_envs")
    return Path(root) / "bc"


def cached_rule_dataset(key: Mapping[str, Any], make: Any, cache: bool = True) -> tuple[np.ndarray, ...]:
    """``make()`` (a :func:`rule_dataset` call), kept on disk under a hash of ``key`` (JSON-able: everything
    the data depend on). A corrupt or unreadable cache file is recomputed and replaced, never trusted."""
    if not cache:
        return make()
    blob = json.dumps(key, sort_keys=True, default=repr).encode()
    path = dataset_cache_dir() / f"{hashlib.sha256(blob).hexdigest()[:24]}.npz"
    if path.exists():
        try:
            with np.load(path) as z:
                return tuple(z[f"a{i}"] for i in range(int(z["n"])))
        except Exception:  # noqa: BLE001 - a damaged file is rebuilt below
            pass
    data = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
    os.close(fd)
    try:
        with open(tmp, "wb") as f:
            np.savez(f, n=len(data), **{f"a{i}": a for i, a in enumerate(data)})
        os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the whole new one
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return data


def behaviour_clone(
    module: Any,
    obs: np.ndarray,
    actions: np.ndarray,
    space: gym.spaces.Box,
    epochs: int = 30,
    batch_size: int = 4096,
    lr: float = 3e-3,
    log_std: float = -1.5,
    seed: int = 0,
    values: np.ndarray | None = None,
) -> float:
    """Fit ``module``'s Gaussian mean to ``actions`` (env units); returns the final mean squared error of the
    action means (normalised units).

    ``values``: value targets (one per row); the module's critic is then fitted to them too (loss on
    the critic's own scale, ``model_config["value_scale"]``), in the same epochs.
    """
    if not isinstance(space, gym.spaces.Box):
        raise ValueError("behaviour cloning here supports Box actions")
    low = space.low.astype(np.float64)
    high = space.high.astype(np.float64)
    target = 2.0 * (np.clip(actions, low, high) - low) / np.where(high > low, high - low, 1.0) - 1.0
    x = torch.from_numpy(np.ascontiguousarray(obs, dtype=np.float32))
    y = torch.from_numpy(target.astype(np.float32))
    # a recurrent module is fitted one step at a time from its initial state (its memory starts empty)
    init_state = module.get_initial_state() if hasattr(module, "get_initial_state") else {}
    params = [p for n, p in module.named_parameters() if not n.startswith("_vf") and n != "log_std"]
    v_target = None
    if values is not None:
        values = np.asarray(values, dtype=np.float64).reshape(-1)
        if values.shape[0] != len(x) or not np.all(np.isfinite(values)):
            raise ValueError(f"values must be {len(x)} finite numbers (one per observation), got shape {values.shape}")
        scale = float(getattr(module, "_value_scale", 1.0))
        v_target = torch.from_numpy((values / scale).astype(np.float32))
        params = params + [p for n, p in module.named_parameters() if n.startswith("_vf")]
    opt = torch.optim.Adam(params, lr=lr)
    gen = torch.Generator().manual_seed(seed)
    dim = y.shape[1]
    action_loss = torch.tensor(0.0)
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=gen)
        for s in range(0, len(x), batch_size):
            idx = perm[s : s + batch_size]
            batch = {Columns.OBS: x[idx]}
            if init_state:
                batch[Columns.STATE_IN] = {k: v.expand(len(idx), *v.shape) for k, v in init_state.items()}
            mean = module._forward(batch)[Columns.ACTION_DIST_INPUTS][:, :dim]
            action_loss = torch.mean((mean - y[idx]) ** 2)
            loss = action_loss
            if v_target is not None:
                v = module.compute_values(batch) / float(getattr(module, "_value_scale", 1.0))
                loss = loss + torch.mean((v - v_target[idx]) ** 2)
            opt.zero_grad()
            loss.backward()
            opt.step()
    if hasattr(module, "log_std"):
        with torch.no_grad():
            module.log_std.fill_(log_std)
    return float(action_loss.detach())


def bc_warm_start_callback(
    module_id: str,
    rule_factory: str,
    rule_kwargs: Mapping[str, Any],
    *,
    env_id: str,
    env_config: Mapping[str, Any],
    role: str,
    steps: int = 300,
    episodes: int = 2,
    others: Mapping[str, Any] | None = None,
    values: bool = True,
    gamma: float = 0.99,
    cache: bool = True,
) -> type:
    """A callback class cloning the rule into ``module_id`` when the algorithm is built.

    ``others``: fixed actions (or callables, e.g. :class:`SwitchingAction`) of the other roles while
    the rule is recorded (see :func:`rule_dataset`). ``values``: warm-start the critic too (the
    rule's ``values`` or its discounted returns at ``gamma``, the module's discount). ``cache``: keep the
    recorded dataset on disk (:func:`dataset_cache_dir`), so other runs and training seeds of the same
    economy and rule reuse it (recording the optimal households takes minutes).
    """
    rule_kwargs = dict(rule_kwargs)
    env_config = dict(env_config)
    others_spec = dict(others or {})

    class BCWarmStart(RLlibCallback):
        def on_algorithm_init(self, *, algorithm: Any, **kwargs: Any) -> None:
            rule = load_entry_point(rule_factory)(**rule_kwargs)
            others = {k: (v.fresh() if hasattr(v, "fresh") else v) for k, v in others_spec.items()}
            key = {"env_id": env_id, "env_config": env_config, "role": role, "rule": rule_factory,
                   "rule_kwargs": rule_kwargs, "steps": steps, "episodes": episodes, "others": others,
                   "values": values, "gamma": gamma, "version": econ_envs.__version__}  # fmt: skip
            data = cached_rule_dataset(
                key,
                lambda: rule_dataset(env_id, env_config, role, rule, steps=steps, episodes=episodes, others=others,
                                     values=values, gamma=gamma),
                cache=cache,
            )  # fmt: skip
            obs, act = data[0], data[1]
            vals = data[2] if values else None
            space = econ_envs.make(env_id, **env_config).roles[role].action_space

            def clone(learner: Any) -> float:
                return behaviour_clone(learner.module[module_id], obs, act, space, values=vals)

            results = algorithm.learner_group.foreach_learner(clone)
            errors = [r.get() if hasattr(r, "get") else r for r in results]
            algorithm.env_runner_group.sync_weights(
                from_worker_or_learner_group=algorithm.learner_group, policies=[module_id], inference_only=True
            )
            algorithm.bc_warm_start_mse = errors

    return BCWarmStart


class SwitchingAction:
    """A role's exploratory behaviour while a rule is recorded: one fixed action, redrawn every ``every`` steps.

    Uniform in ``[low, high]`` (per dimension, environment units), the same for every agent of the
    role. A follower cloned under one fixed leader action never sees the leader move, and its clone
    then ignores the leader's policy: recording it under a switching leader teaches the clone the
    follower's reaction (the policy features of its observation).
    """

    def __init__(self, low: Any, high: Any, every: int = 10, seed: int = 0, first: Any = None):
        self.low = np.asarray(low, dtype=np.float64).reshape(-1)
        self.high = np.asarray(high, dtype=np.float64).reshape(-1)
        if self.low.shape != self.high.shape or not np.all(np.isfinite(self.low) & np.isfinite(self.high)):
            raise ValueError(f"low and high must be finite and of one shape, got {low!r} and {high!r}")
        if np.any(self.low > self.high):
            raise ValueError(f"low {self.low.tolist()} exceeds high {self.high.tolist()}")
        if int(every) < 1:
            raise ValueError(f"every must be a positive number of steps, got {every!r}")
        self.every = int(every)
        self.seed = seed
        self.first = None if first is None else np.asarray(first, dtype=np.float64).reshape(-1)
        self.rng = np.random.default_rng(seed)
        self.calls = 0
        self.action = self.rng.uniform(self.low, self.high) if first is None else self.first.copy()

    def fresh(self) -> SwitchingAction:
        """The same behaviour from its first step (a recording must not depend on earlier use)."""
        return SwitchingAction(self.low, self.high, self.every, self.seed, self.first)

    def __repr__(self) -> str:  # what a dataset cache key needs: everything the actions depend on
        first = None if self.first is None else self.first.tolist()
        return (f"SwitchingAction(low={self.low.tolist()}, high={self.high.tolist()}, every={self.every}, "
                f"seed={self.seed}, first={first})")  # fmt: skip

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        if self.calls and self.calls % self.every == 0:
            self.action = self.rng.uniform(self.low, self.high)
        self.calls += 1
        n = np.asarray(obs).shape[0] if np.asarray(obs).ndim > 1 else 1
        return np.broadcast_to(self.action, (n, self.action.size)).copy()
