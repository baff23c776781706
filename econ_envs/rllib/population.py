"""Batched training for large populations: every role's agents are rows of one array.

RLlib's per-agent path keeps a Python episode object per agent and costs about
0.3 ms per agent-step here, which caps a 1,000-household economy at a couple of
env steps per second. Agents that share a module do not need to be separate
Python objects: :class:`PopulationEnvRunner` steps the economy's batched API
(``reset_batch``/``step_batch``), runs each module once per step on all of its
agents' observations, and returns per-module training arrays; :class:`PopulationPPO`
feeds them to the ordinary PPO Learners.

Same learning semantics as the per-agent path: each agent's trajectory is its own
episode chunk - GAE per agent with RLlib's conventions (a bootstrap timestep
appended to every chunk and masked out of the loss, truncation bootstrapping from
V(s_T), termination not), advantages standardised per module over the whole batch
exactly as RLlib's ``GeneralAdvantageEstimation`` does (rows ordered chunk by chunk,
agent-major, as RLlib's episode iterator orders them), and PPO's unchanged loss,
Learners, minibatching, weight sync, checkpoints and Tune integration. Memory grows
linearly in the number of agents and no per-agent Python objects are created.

Use it with ``PopulationPPOConfig`` (a ``PPOConfig``): ``.environment(env_id,
env_config)`` names an econ_envs economy, ``.multi_agent(policies=...,
policy_mapping_fn=RoleMapping(...))`` maps roles to modules, and
``.env_runners(rollout_fragment_length=T, num_envs_per_env_runner=K)`` sets T
steps of K economies per runner per iteration. Recurrent modules need the
per-agent path.

Optional hooks for curricula: ``learner_config_dict["reward_scales"]``
(module id -> divisor) divides a module's rewards before GAE (the training signal
only; reported returns stay in the economy's units), and a runner's
``reset_options`` attribute (a dict, e.g. ``{"theta_scale": 0.5}``, set by a
callback through ``foreach_env_runner``) is passed to every economy's reset.
A module's own discount (``algorithm_config_overrides_per_module``, see
:mod:`econ_envs.rllib.discount`) sets the gamma of its GAE.
``learner_config_dict["time_limit_is_terminal"]`` ends the returns at the episode's
time limit (no bootstrap from the value of the last observation), for economies
whose horizon is part of the model.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from ray.rllib.algorithms.ppo import PPO, PPOConfig
from ray.rllib.core import COMPONENT_RL_MODULE
from ray.rllib.core.columns import Columns
from ray.rllib.env.env_runner import EnvRunner
from ray.rllib.evaluation.postprocessing import Postprocessing
from ray.rllib.policy.sample_batch import MultiAgentBatch, SampleBatch
from ray.rllib.utils.checkpoints import Checkpointable
from ray.rllib.utils.metrics import (
    ALL_MODULES,
    ENV_RUNNER_RESULTS,
    ENV_RUNNER_SAMPLING_TIMER,
    EPISODE_LEN_MEAN,
    EPISODE_RETURN_MAX,
    EPISODE_RETURN_MEAN,
    EPISODE_RETURN_MIN,
    LEARNER_RESULTS,
    LEARNER_UPDATE_TIMER,
    NUM_AGENT_STEPS_SAMPLED,
    NUM_AGENT_STEPS_SAMPLED_LIFETIME,
    NUM_ENV_STEPS_SAMPLED,
    NUM_ENV_STEPS_SAMPLED_LIFETIME,
    NUM_EPISODES,
    NUM_EPISODES_LIFETIME,
    NUM_MODULE_STEPS_TRAINED_LIFETIME,
    SYNCH_WORKER_WEIGHTS_TIMER,
    TIMERS,
    WEIGHTS_SEQ_NO,
)
from ray.rllib.utils.spaces.space_utils import unsquash_action

import econ_envs
from econ_envs.rllib.discount import module_gamma
from econ_envs.rllib.env import RoleMapping

VALUE_CHUNK = 65_536  # rows per value-function forward pass after a rollout


def training_columns(
    obs_ext: np.ndarray,
    raw: np.ndarray,
    logp: np.ndarray,
    dist_inputs: np.ndarray,
    rewards: np.ndarray,
    values: np.ndarray,
    terminated: bool,
    gamma: float,
    lambda_: float,
) -> dict[str, np.ndarray]:
    """PPO training columns of one episode chunk of n agents, laid out as RLlib's Learner lays them out.

    Inputs are per step: ``obs_ext`` (L + 1, n, d) including the bootstrap observation,
    ``raw``/``logp``/``dist_inputs`` (L, n, ...), ``rewards`` (L, n) and ``values`` (L + 1, n)
    = V(obs_ext). Rows are agent-major: [agent 0: steps 0..L-1, bootstrap row, agent 1: ...].
    The bootstrap row carries flags False, so - exactly as in RLlib's GAE - its advantage
    continues into the next row of the concatenated batch (the next agent's first step); it is
    masked out of the loss (LOSS_MASK) but enters the per-module advantage standardisation,
    which the caller applies over the whole batch. Advantages are returned unstandardised.
    """
    L, n = rewards.shape
    adv = gae_population(values, rewards, terminated, gamma, lambda_)  # (L, n)
    adv_full = np.zeros((n, L + 1))
    adv_full[:, :L] = adv.T
    nxt_v = np.append(values[0, 1:], 0.0)  # V of the next agent's first step
    nxt_a = np.append(adv[0, 1:], 0.0)
    adv_full[:, L] = gamma * nxt_v - values[L] + gamma * lambda_ * nxt_a
    val_full = np.concatenate([values[:L].T, values[L][:, None]], axis=1)  # (n, L + 1)
    mask = np.ones((n, L + 1), dtype=bool)
    mask[:, L] = False
    rew_full = np.zeros((n, L + 1), dtype=np.float32)
    rew_full[:, :L] = rewards.T
    return {
        Columns.OBS: np.swapaxes(obs_ext, 0, 1).reshape(n * (L + 1), -1),
        Columns.ACTIONS: _agent_major(raw),
        Columns.ACTION_LOGP: _agent_major(logp),
        Columns.ACTION_DIST_INPUTS: _agent_major(dist_inputs),
        Columns.REWARDS: rew_full.reshape(-1),
        Postprocessing.ADVANTAGES: adv_full.reshape(-1),
        Postprocessing.VALUE_TARGETS: (adv_full + val_full).reshape(-1).astype(np.float32),
        Columns.LOSS_MASK: mask.reshape(-1),
    }


def _agent_major(x: np.ndarray) -> np.ndarray:
    """(L, n, ...) per-step arrays -> (n * (L + 1), ...) agent-major rows, the last step duplicated
    for the bootstrap row (as RLlib duplicates the last action and model outputs)."""
    ext = np.concatenate([x, x[-1:]])
    return np.swapaxes(ext, 0, 1).reshape(ext.shape[0] * ext.shape[1], *x.shape[2:])


def unsquash(raw: np.ndarray, space: gym.spaces.Box) -> np.ndarray:
    """RLlib's normalised-action convention, [-1, 1] -> [low, high] then clipped, in RLlib's own
    arithmetic (the space's dtype), so both training paths send bitwise the same actions."""
    return unsquash_action(np.asarray(raw), space)


def gae_population(
    values: np.ndarray,
    rewards: np.ndarray,
    terminated: bool,
    gamma: float,
    lambda_: float,
) -> np.ndarray:
    """Advantages of one episode chunk for many agents at once, RLlib's convention.

    ``values`` is (L + 1, n): V of the chunk's L observations and of the bootstrap
    observation; ``rewards`` is (L, n). The chunk ends in a termination (no
    bootstrap) or a truncation/rollout cut (bootstrap from V(s_L)). Returns (L, n)
    advantages; the bootstrap row's own advantage is added by the caller.
    """
    L = rewards.shape[0]
    adv = np.zeros_like(rewards, dtype=np.float64)
    running = np.zeros(rewards.shape[1], dtype=np.float64)
    for t in range(L - 1, -1, -1):
        last = t == L - 1
        non_terminal = 0.0 if (last and terminated) else 1.0
        delta = rewards[t] + gamma * non_terminal * values[t + 1] - values[t]
        propagate = 0.0 if last else 1.0  # the chunk's last step is terminal or truncated
        running = delta + gamma * lambda_ * propagate * running
        adv[t] = running
    return adv


def module_actions(
    module: Any, obs: np.ndarray, space: gym.Space, *, explore: bool, normalize_actions: bool = True
) -> dict[str, Any]:
    """Actions of one RLModule for a batch of observations, as RLlib's EnvRunners produce them.

    Returns ``raw`` (what RLlib stores as ACTIONS), ``env`` (the action sent to the env:
    unsquashed to the Box bounds, or integer indices) and, for learnable modules,
    ``logp`` and ``dist_inputs``; frozen rule modules (which return actions directly)
    get ``trainable=False``. ``explore=False`` takes the distribution's deterministic action.
    """
    batch = {Columns.OBS: torch.from_numpy(np.ascontiguousarray(obs, dtype=np.float32))}
    with torch.no_grad():
        out = module.forward_exploration(batch) if explore else module.forward_inference(batch)
    if Columns.ACTIONS in out and Columns.ACTION_DIST_INPUTS not in out:  # a frozen rule module
        raw = np.asarray(out[Columns.ACTIONS])
        return {"raw": raw, "env": _to_env(raw, space, normalize_actions), "trainable": False}
    inputs = out[Columns.ACTION_DIST_INPUTS]
    if explore:
        dist = module.get_exploration_action_dist_cls().from_logits(inputs)
    else:
        dist = module.get_inference_action_dist_cls().from_logits(inputs).to_deterministic()
    with torch.no_grad():
        act = dist.sample()
        logp = dist.logp(act) if explore else torch.zeros(act.shape[0])
    raw = act.numpy()
    return {
        "raw": raw,
        "env": _to_env(raw, space, normalize_actions),
        "logp": logp.numpy().astype(np.float32),
        "dist_inputs": inputs.numpy().astype(np.float32),
        "trainable": True,
    }


def _to_env(raw: np.ndarray, space: gym.Space, normalize_actions: bool) -> np.ndarray:
    if isinstance(space, gym.spaces.Box):
        return unsquash(raw, space) if normalize_actions else np.clip(raw, space.low, space.high)
    return np.asarray(raw).astype(np.int64)


class UniformEnd:
    """Segment end shared by every role (``terminated`` or not), for runners that decide it themselves."""

    def __init__(self, terminated: bool) -> None:
        self.terminated = bool(terminated)

    def role_ends(self, role: str) -> tuple[bool, bool]:
        return self.terminated, not self.terminated


class PopulationEnvRunner(EnvRunner, Checkpointable):
    """Samples an econ_envs economy through its batched API (see module docstring)."""

    def __init__(self, *, config: Any, **kwargs: Any):
        super().__init__(config=config, **kwargs)
        self.worker_index = kwargs.get("worker_index") or 0
        self._device = torch.device("cpu")
        self._weights_seq_no = 0
        self._episode_counter = 0
        self._explore = bool(self.config.explore)
        self.envs: list[Any] = []
        self.env = None
        self.module = None
        self.make_env()
        self.make_module()
        self._ongoing_returns: list[dict[str, float]] = []
        self._ongoing_lengths: list[int] = []
        self._ongoing_econ: list[dict[str, float]] = []
        self._ongoing_econ_n: list[int] = []
        self.reset_options: dict[str, Any] | None = None  # passed to every reset (curricula set it)

    # ------------------------------------------------------------------ set-up
    @property
    def num_envs(self) -> int:
        return max(1, int(self.config.num_envs_per_env_runner or 1))

    def _seed_for(self, k: int) -> int | None:
        base = self.config.seed
        return None if base is None else int(base) + 10_000 * self.worker_index + k

    def make_env(self) -> None:
        env_id = self.config.env
        if not isinstance(env_id, str) or env_id not in econ_envs.list_envs():
            raise ValueError(f"PopulationEnvRunner needs an econ_envs economy id as config.env, got {env_id!r}")
        cfg = dict(self.config.env_config or {})
        self.envs = [econ_envs.make(env_id, **cfg) for _ in range(self.num_envs)]
        self.env = self.envs[0]
        self._needs_reset = [True] * self.num_envs

    def role_mapping(self) -> dict[str, str]:
        """Role -> module id of the role's agents (per-agent overrides aside)."""
        return {name: mid for name, groups in self.role_groups().items() for mid, idx in groups if idx is None}

    def role_groups(self) -> dict[str, list[tuple[str, np.ndarray | None]]]:
        """Role -> [(module id, row indices or None for "every other row")], from the mapping fn."""
        fn = self.config.policy_mapping_fn
        out: dict[str, list[tuple[str, np.ndarray | None]]] = {}
        for name, role in self.env.roles.items():
            if isinstance(fn, RoleMapping):
                base = fn.mapping.get(name, name)
                over: dict[str, list[int]] = defaultdict(list)
                for aid, mid in fn.agents.items():
                    try:
                        r, i = self.env.role_of(aid)
                    except ValueError:
                        continue
                    if r == name and mid != base:
                        over[mid].append(i)
            else:  # any other mapping function: ask it about every agent (once per sample call)
                mids = [fn(role.agent_id(i), None) for i in range(role.count)]
                values, counts = np.unique(mids, return_counts=True)
                base = str(values[np.argmax(counts)])
                over = defaultdict(list)
                for i, mid in enumerate(mids):
                    if mid != base:
                        over[mid].append(i)
            groups: list[tuple[str, np.ndarray | None]] = [(base, None)]
            groups += [(mid, np.asarray(sorted(ix), dtype=np.int64)) for mid, ix in over.items()]
            out[name] = groups
        return out

    def set_role_mapping(self, mapping: dict[str, str]) -> None:
        self.config.multi_agent(policy_mapping_fn=RoleMapping(mapping))

    def get_spaces(self) -> dict[str, tuple[gym.Space, gym.Space]]:
        spaces: dict[str, tuple[gym.Space, gym.Space]] = {}
        for name, groups in self.role_groups().items():
            role = self.env.roles[name]
            for mid, _ in groups:
                spaces[mid] = (role.observation_space, role.action_space)
        for mid, spec in (self.config.policies or {}).items():
            if mid in spaces:
                continue
            if getattr(spec, "observation_space", None) is not None:
                spaces[mid] = (spec.observation_space, spec.action_space)
            elif isinstance(spec, (tuple, list)) and len(spec) >= 3 and spec[1] is not None:  # restored config
                spaces[mid] = (spec[1], spec[2])
        return spaces

    def make_module(self) -> None:
        spec = self.config.get_multi_rl_module_spec(spaces=self.get_spaces(), inference_only=True)
        self.module = spec.build()

    def assert_healthy(self) -> None:
        assert self.envs and self.module is not None

    # ------------------------------------------------------------------ acting
    def _act(self, mid: str, obs: np.ndarray, space: gym.Space) -> dict[str, Any]:
        """One forward pass for every agent using module ``mid``."""
        return module_actions(
            self.module[mid], obs, space, explore=self._explore, normalize_actions=bool(self.config.normalize_actions)
        )

    def _values(self, mid: str, obs: np.ndarray) -> np.ndarray:
        module = self.module[mid]
        flat = obs.reshape(-1, obs.shape[-1])
        out = np.empty(flat.shape[0], dtype=np.float64)
        with torch.no_grad():
            for s in range(0, flat.shape[0], VALUE_CHUNK):
                chunk = torch.from_numpy(np.ascontiguousarray(flat[s : s + VALUE_CHUNK], dtype=np.float32))
                out[s : s + VALUE_CHUNK] = module.compute_values({Columns.OBS: chunk}).numpy()
        return out.reshape(obs.shape[:-1])

    # ------------------------------------------------------------------ sampling
    def sample(self, *, num_timesteps: int | None = None, explore: bool | None = None, **kwargs: Any):
        """Run ``rollout_fragment_length`` steps of every economy; return per-module training columns."""
        if explore is not None:
            self._explore = bool(explore)
        T = num_timesteps or self._fragment_length()
        groups = self.role_groups()
        per_module: dict[str, list[dict[str, np.ndarray]]] = defaultdict(list)
        env_steps = 0
        for k, env in enumerate(self.envs):
            for seg in self._rollout(k, env, T, groups):
                for mid, cols in seg.items():
                    per_module[mid].append(cols)
            env_steps += T
        batch = {mid: {c: np.concatenate([p[c] for p in parts]) for c in parts[0]} for mid, parts in per_module.items()}
        self._finish_batch(batch, env_steps)
        return batch

    def _finish_batch(self, batch: dict[str, dict[str, np.ndarray]], env_steps: int) -> None:
        """Standardise every module's advantages over its whole batch; count and log the steps sampled."""
        for cols in batch.values():
            adv = cols[Postprocessing.ADVANTAGES]
            cols[Postprocessing.ADVANTAGES] = ((adv - adv.mean()) / max(1e-4, adv.std())).astype(np.float32)
        self.last_env_steps = env_steps
        self.num_env_steps_sampled_lifetime += env_steps
        self.metrics.log_value(NUM_ENV_STEPS_SAMPLED, env_steps, reduce="sum")
        self.metrics.log_value(NUM_ENV_STEPS_SAMPLED_LIFETIME, env_steps, reduce="lifetime_sum")
        # agent-step counters per role (RLlib keys them per agent id, which would be one metric per agent)
        for name, role in self.env.roles.items():
            self.metrics.log_value((NUM_AGENT_STEPS_SAMPLED, name), env_steps * role.count, reduce="sum")
            self.metrics.log_value(
                (NUM_AGENT_STEPS_SAMPLED_LIFETIME, name), env_steps * role.count, reduce="lifetime_sum"
            )

    def _fragment_length(self) -> int:
        rfl = self.config.rollout_fragment_length
        if isinstance(rfl, int) and rfl > 0:
            return rfl
        per_runner = max(1, self.config.num_env_runners or 1)
        return max(1, math.ceil(self.config.train_batch_size_per_learner / per_runner / self.num_envs))

    def _reset(self, k: int, env: Any) -> None:
        seed = self._seed_for(k) if self._episode_counter < self.num_envs else None
        env.reset_batch(seed=seed, options=self.reset_options)
        self._episode_counter += 1
        self._needs_reset[k] = False
        while len(self._ongoing_returns) <= k:
            self._ongoing_returns.append({})
            self._ongoing_lengths.append(0)
            self._ongoing_econ.append({})
            self._ongoing_econ_n.append(0)
        self._ongoing_returns[k] = {}
        self._ongoing_lengths[k] = 0
        self._ongoing_econ[k] = {}
        self._ongoing_econ_n[k] = 0

    def _rollout(self, k: int, env: Any, T: int, groups: dict[str, list[tuple[str, np.ndarray | None]]]):
        """T steps of economy ``k``; returns one training-column dict per episode segment."""
        if self._needs_reset[k]:
            self._reset(k, env)
        roles = env.roles
        # row indices of each (role, group); None = the whole role (the common case: no copies)
        slots: list[tuple[str, str, np.ndarray | None]] = []
        for name, glist in groups.items():
            n = roles[name].count
            taken = np.zeros(n, dtype=bool)
            for _mid, idx in glist[1:]:
                taken[idx] = True
            for mid, idx in glist:
                if idx is None:
                    rows = None if not taken.any() else np.flatnonzero(~taken)
                else:
                    rows = idx
                if rows is None or rows.size:
                    slots.append((name, mid, rows))
        econ_every = int((self.config.learner_config_dict or {}).get("economy_metrics_every", 1) or 0)
        horizon_terminal = bool((self.config.learner_config_dict or {}).get("time_limit_is_terminal", False))
        segments = []
        buf = [defaultdict(list) for _ in slots]
        trainable = [False] * len(slots)
        for t in range(T):
            obs = env.batch_observations()
            actions: dict[str, np.ndarray] = {}
            for j, (name, mid, rows) in enumerate(slots):
                role = roles[name]
                o = obs[name] if rows is None else obs[name][rows]
                out = self._act(mid, o, role.action_space)
                trainable[j] = out["trainable"]
                if rows is None:
                    actions[name] = out["env"]
                else:
                    if name not in actions:
                        actions[name] = np.empty((role.count, *role.action_space.shape),
                                                 dtype=np.asarray(out["env"]).dtype)  # fmt: skip
                    actions[name][rows] = out["env"]
                b = buf[j]
                b["obs"].append(np.asarray(o, dtype=np.float32))
                if out["trainable"]:
                    b["raw"].append(out["raw"])
                    b["logp"].append(out["logp"])
                    b["dist_inputs"].append(out["dist_inputs"])
            res = env.step_batch(actions)
            ret = self._ongoing_returns[k]
            for j, (name, mid, rows) in enumerate(slots):
                r = np.asarray(res.rewards[name], dtype=np.float64)
                r = r if rows is None else r[rows]
                buf[j]["rew"].append(r)
                ret[mid] = ret.get(mid, 0.0) + float(np.sum(r))
            self._ongoing_lengths[k] += 1
            if econ_every and self._ongoing_lengths[k] % econ_every == 0:
                self._add_economy(k, env)
            done = res.terminated or res.truncated
            if done or t == T - 1:
                # an economy whose horizon is part of the model (time in the observation, returns end at T)
                # may ask that its time limit end the returns like a termination: no bootstrap from V(s_T)
                segments.append(self._segment(buf, res.observations, res, slots, trainable, horizon_terminal))
                buf = [defaultdict(list) for _ in slots]
            if done:
                self._finish_episode(k)
                self._needs_reset[k] = True
                if t < T - 1:
                    self._reset(k, env)
        return segments

    def _segment(
        self, buf, final_obs, res, slots, trainable, horizon_terminal=False
    ) -> dict[str, dict[str, np.ndarray]]:
        """Training columns of one episode chunk (all slots), RLlib's row layout and GAE.

        A chunk that ends the episode bootstraps each role unless that role's agents terminated
        (``BatchStep.role_ends``: a role in ``truncated_roles`` is truncated by a termination).
        """
        lam = float(self.config.lambda_)
        scales = (self.config.learner_config_dict or {}).get("reward_scales") or {}
        out: dict[str, dict[str, np.ndarray]] = {}
        for j, (name, mid, rows) in enumerate(slots):
            if not trainable[j]:
                continue
            b = buf[j]
            obs = np.stack(b["obs"])  # (L, n, d)
            fin = np.asarray(final_obs[name], dtype=np.float32)
            last = (fin if rows is None else fin[rows])[None]
            obs_ext = np.concatenate([obs, last])  # (L + 1, n, d): bootstrap row appended
            values = self._values(mid, obs_ext)  # (L + 1, n)
            rew = np.stack(b["rew"]) / float(scales.get(mid, 1.0))  # (L, n), in the module's training units
            ends = res.role_ends(name)
            terminated = ends[0] or (ends[1] and horizon_terminal)
            gamma = module_gamma(self.config, mid)  # a module may have its own discount
            cols = training_columns(obs_ext, np.stack(b["raw"]), np.stack(b["logp"]), np.stack(b["dist_inputs"]), rew,
                                    values, terminated, gamma, lam)  # fmt: skip
            if mid in out:  # several slots on one module: concatenate in slot order
                for c in cols:
                    out[mid][c] = np.concatenate([out[mid][c], cols[c]])
            else:
                out[mid] = cols
        return out

    # ------------------------------------------------------------------ metrics
    def _add_economy(self, k: int, env: Any) -> None:
        agg = self._ongoing_econ[k]
        for key, v in env.aggregates().items():
            if v == v:
                agg[key] = agg.get(key, 0.0) + float(v)
        self._ongoing_econ_n[k] += 1

    def _finish_episode(self, k: int) -> None:
        rets = self._ongoing_returns[k]
        total = float(sum(rets.values()))
        self.metrics.log_value(EPISODE_RETURN_MEAN, total, window=100)
        self.metrics.log_value(EPISODE_RETURN_MIN, total, reduce="min", window=100)
        self.metrics.log_value(EPISODE_RETURN_MAX, total, reduce="max", window=100)
        self.metrics.log_value(EPISODE_LEN_MEAN, self._ongoing_lengths[k], window=100)
        self.metrics.log_value(NUM_EPISODES, 1, reduce="sum")
        self.metrics.log_value(NUM_EPISODES_LIFETIME, 1, reduce="lifetime_sum")
        for mid, r in rets.items():
            self.metrics.log_value(("module_episode_returns_mean", mid), r, window=100)
        if self._ongoing_econ_n[k]:
            for key, s in self._ongoing_econ[k].items():
                self.metrics.log_value(("economy", key), s / self._ongoing_econ_n[k], window=20)

    def get_metrics(self) -> dict:
        return self.metrics.reduce()

    # ------------------------------------------------------------------ state
    def get_state(self, components=None, *, not_components=None, **kwargs) -> dict:
        state: dict[str, Any] = {NUM_ENV_STEPS_SAMPLED_LIFETIME: self.num_env_steps_sampled_lifetime}
        if self._check_component(COMPONENT_RL_MODULE, components, not_components):
            state[COMPONENT_RL_MODULE] = self.module.get_state(
                components=self._get_subcomponents(COMPONENT_RL_MODULE, components),
                not_components=self._get_subcomponents(COMPONENT_RL_MODULE, not_components),
                **kwargs,
            )
            state[WEIGHTS_SEQ_NO] = self._weights_seq_no
        return state

    def set_state(self, state: dict) -> None:
        if COMPONENT_RL_MODULE in state:
            seq = state.get(WEIGHTS_SEQ_NO, 0)
            if seq == 0 or self._weights_seq_no < seq:
                mstate = state[COMPONENT_RL_MODULE]
                try:
                    import ray

                    if isinstance(mstate, ray.ObjectRef):
                        mstate = ray.get(mstate)
                except ImportError:  # pragma: no cover
                    pass
                self.module.set_state(mstate)
            if seq > 0:
                self._weights_seq_no = seq
        if NUM_ENV_STEPS_SAMPLED_LIFETIME in state:
            self.num_env_steps_sampled_lifetime = state[NUM_ENV_STEPS_SAMPLED_LIFETIME]

    def get_ctor_args_and_kwargs(self):
        return ((), {"config": self.config})

    def get_checkpointable_components(self):
        return [(COMPONENT_RL_MODULE, self.module)]

    def stop(self) -> None:
        for env in self.envs:
            env.close()


class PopulationPPO(PPO):
    """PPO whose EnvRunners sample whole populations as arrays (see module docstring)."""

    def _should_update(self, module_id: str) -> bool:
        """Whether the Learner currently trains ``module_id`` (its own, possibly scheduled, config)."""
        res = list(self.learner_group.foreach_learner(lambda learner: learner.should_module_be_updated(module_id)))
        return bool(res[0].get() if hasattr(res[0], "get") else res[0])

    @classmethod
    def get_default_config(cls) -> PopulationPPOConfig:
        return PopulationPPOConfig()

    def training_step(self) -> None:
        with self.metrics.log_time((TIMERS, ENV_RUNNER_SAMPLING_TIMER)):
            group = self.env_runner_group
            local = group.num_remote_env_runners() == 0
            outs = group.foreach_env_runner(
                lambda er: (er.sample(), er.get_metrics(), er.last_env_steps), local_env_runner=local
            )
            batches = [o[0] for o in outs]
            env_steps = int(sum(o[2] for o in outs))
            self.metrics.aggregate([o[1] for o in outs], key=ENV_RUNNER_RESULTS)
        merged: dict[str, dict[str, np.ndarray]] = {}
        for b in batches:
            for mid, cols in b.items():
                if mid in merged:
                    for c in cols:
                        merged[mid][c] = np.concatenate([merged[mid][c], cols[c]])
                else:
                    merged[mid] = dict(cols)
        if not merged:
            return
        # One Learner update per module, each with minibatches no larger than its own batch. RLlib's
        # default cycles every module's batch until all have done num_epochs with the common minibatch
        # size, which re-slices a leader's few rows hundreds of times per epoch next to a population
        # (gotcha G8 in the notes); separate updates give every module num_epochs passes over its data.
        trainable = [m for m in merged if self._should_update(m)]
        learner_results = []
        with self.metrics.log_time((TIMERS, LEARNER_UPDATE_TIMER)):
            for mid in trainable:
                cols = merged[mid]
                rows = len(cols[Columns.LOSS_MASK])
                batch = MultiAgentBatch({mid: SampleBatch(cols)}, env_steps=env_steps)
                res = self.learner_group.update(
                    batch=batch,
                    timesteps={
                        NUM_ENV_STEPS_SAMPLED_LIFETIME: self.metrics.peek(
                            (ENV_RUNNER_RESULTS, NUM_ENV_STEPS_SAMPLED_LIFETIME), default=0
                        ),
                        NUM_MODULE_STEPS_TRAINED_LIFETIME: self.metrics.peek(
                            (LEARNER_RESULTS, ALL_MODULES, NUM_MODULE_STEPS_TRAINED_LIFETIME), default=0
                        ),
                    },
                    num_epochs=self.config.num_epochs,
                    minibatch_size=min(self.config.minibatch_size or rows, rows),
                    shuffle_batch_per_epoch=self.config.shuffle_batch_per_epoch,
                )
                self.metrics.aggregate(res, key=LEARNER_RESULTS)
                learner_results.extend(res)
        with self.metrics.log_time((TIMERS, SYNCH_WORKER_WEIGHTS_TIMER)):
            modules = {m for r in learner_results for m in r} - {ALL_MODULES}
            self.env_runner_group.sync_weights(
                from_worker_or_learner_group=self.learner_group, policies=modules or None, inference_only=True
            )


class PopulationPPOConfig(PPOConfig):
    """``PPOConfig`` for :class:`PopulationPPO`: the batched population EnvRunner is preset."""

    def __init__(self, algo_class: type | None = None):
        super().__init__(algo_class=algo_class or PopulationPPO)
        self.env_runner_cls = PopulationEnvRunner
        self.rollout_fragment_length = 100
