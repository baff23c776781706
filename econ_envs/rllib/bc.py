"""Behaviour cloning: warm-start a module from recorded rollouts of a rule (the seed's ``--bc``).

A supervised warm start rather than RLlib's offline API: the rule is rolled out in
the economy (other roles on given fixed actions or rules, else uniformly random), its (observation, action)
pairs are recorded, and the module's action mean is fitted to the rule's actions
(in RLlib's normalised [-1, 1] units) by least squares, with the action noise set
to ``log_std``. The value function is left alone; PPO fits it in the first
iterations. :func:`bc_warm_start_callback` does this on every Learner when the
algorithm is built and syncs the weights to the EnvRunners.
"""

from __future__ import annotations

from collections.abc import Mapping
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
) -> tuple[np.ndarray, np.ndarray]:
    """(observations, actions) of ``role`` following ``rule``.

    ``others`` gives the other roles' behaviour: a callable (observations -> actions) or a fixed
    action (broadcast to every agent of the role); roles not in it act uniformly at random. At
    most ``max_rows`` rows are kept (an even subsample of the steps' agents, so large
    populations cost no more than small ones).
    """
    env = econ_envs.make(env_id, **dict(env_config))
    others = dict(others or {})
    unknown = sorted(set(others) - set(env.roles))
    if unknown or role not in env.roles:
        raise ValueError(f"unknown role(s) {unknown or [role]} for {env_id}; roles: {sorted(env.roles)}")
    rng = np.random.default_rng(seed)
    per_step = max(1, max_rows // max(1, steps * episodes))
    obs_list, act_list = [], []
    for ep in range(episodes):
        obs, _ = env.reset_batch(seed=seed + ep)
        for _ in range(steps):
            actions = {}
            for name, r in env.roles.items():
                if name == role:
                    actions[name] = np.asarray(rule(obs[name]))
                    keep = slice(None) if r.count <= per_step else rng.choice(r.count, per_step, replace=False)
                    obs_list.append(np.asarray(obs[name], dtype=np.float32)[keep])
                    act_list.append(np.asarray(actions[name]).reshape(r.count, -1)[keep])
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
            if res.terminated or res.truncated:
                break
    return np.concatenate(obs_list), np.concatenate(act_list)


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
) -> float:
    """Fit ``module``'s Gaussian mean to ``actions`` (env units); returns the final mean squared error."""
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
    opt = torch.optim.Adam(params, lr=lr)
    gen = torch.Generator().manual_seed(seed)
    dim = y.shape[1]
    loss = torch.tensor(0.0)
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=gen)
        for s in range(0, len(x), batch_size):
            idx = perm[s : s + batch_size]
            batch = {Columns.OBS: x[idx]}
            if init_state:
                batch[Columns.STATE_IN] = {k: v.expand(len(idx), *v.shape) for k, v in init_state.items()}
            mean = module._forward(batch)[Columns.ACTION_DIST_INPUTS][:, :dim]
            loss = torch.mean((mean - y[idx]) ** 2)
            opt.zero_grad()
            loss.backward()
            opt.step()
    if hasattr(module, "log_std"):
        with torch.no_grad():
            module.log_std.fill_(log_std)
    return float(loss.detach())


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
) -> type:
    """A callback class cloning the rule into ``module_id`` when the algorithm is built.

    ``others``: fixed actions (or rule factories' outputs) of the other roles while the rule is
    recorded (see :func:`rule_dataset`).
    """
    rule_kwargs = dict(rule_kwargs)
    env_config = dict(env_config)
    others = dict(others or {})

    class BCWarmStart(RLlibCallback):
        def on_algorithm_init(self, *, algorithm: Any, **kwargs: Any) -> None:
            rule = load_entry_point(rule_factory)(**rule_kwargs)
            obs, act = rule_dataset(env_id, env_config, role, rule, steps=steps, episodes=episodes, others=others)
            space = econ_envs.make(env_id, **env_config).roles[role].action_space

            def clone(learner: Any) -> float:
                return behaviour_clone(learner.module[module_id], obs, act, space)

            results = algorithm.learner_group.foreach_learner(clone)
            errors = [r.get() if hasattr(r, "get") else r for r in results]
            algorithm.env_runner_group.sync_weights(
                from_worker_or_learner_group=algorithm.learner_group, policies=[module_id], inference_only=True
            )
            algorithm.bc_warm_start_mse = errors

    return BCWarmStart
