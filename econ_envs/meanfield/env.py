"""Environments over the mean-field games.

* :class:`MeanFieldEnv` - the **sample-based** game as a PettingZoo ``ParallelEnv``:
  N agents (``agent_0`` ... ``agent_{N-1}``), each observing its own state and
  the shared aggregate observation, stepped with sampled idiosyncratic noise;
  the mean field is their empirical distribution.
  Ids: ``meanfield/lq-v0``, ``meanfield/beach_bar-v0``, ``meanfield/macro-v0``,
  ``meanfield/crowd-v0`` (``econ_envs.make(id, n_agents=1000, **game_params)``).
* :class:`PushForwardEnv` - the **push-forward** game as a Gymnasium ``Env``
  controlling the whole population: the action is the policy table pi_t[S, A]
  of the current period, the observation the shared aggregate observation, the
  reward the population-average reward, and mu_t evolves exactly.
  Ids: ``econ_envs/MeanField-LQ-v0``, ``-BeachBar-v0``, ``-Macro-v0``, ``-Crowd-v0``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from econ_envs.core.env import BatchStep, EconomyEnv, Role
from econ_envs.core.views import clip_observation, finite_box
from econ_envs.meanfield import kernels
from econ_envs.meanfield.games import make_game
from econ_envs.meanfield.games.base import MeanFieldGame
from econ_envs.meanfield.policies import validate_tables
from econ_envs.meanfield.population import SampledPopulation


def _build_game(game: MeanFieldGame | str, params: Any, overrides: dict[str, Any]) -> MeanFieldGame:
    if isinstance(game, MeanFieldGame):
        if params is not None or overrides:
            return type(game)(params if params is not None else game.params, **overrides)
        return game
    return make_game(game, params, **overrides)


def _scenario_from_options(game: MeanFieldGame, options: Mapping[str, Any] | None):
    """``options={"scenario": (static, z)}`` pins the common-noise path (e.g. to compare with push-forward).

    Other option keys are ignored (as PettingZoo's API test expects).
    """
    if not options:
        return None
    if not isinstance(options, Mapping):
        raise TypeError(f"options must be a dict, got {type(options).__name__}")
    sc = options.get("scenario")
    if sc is None:
        return None
    try:
        static, z = sc
        static = np.asarray(static, dtype=np.float64).reshape(len(game.static_names))
        z = np.asarray(z, dtype=np.float64).reshape(game.horizon + 1)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"options['scenario'] must be (static[{len(game.static_names)}], z[{game.horizon + 1}]): {exc}"
        ) from None
    if not (np.all(np.isfinite(static)) and np.all(np.isfinite(z))):
        raise ValueError("options['scenario'] must be finite")
    return static, z


def aggregate_dict(game: MeanFieldGame, agg: np.ndarray, static: np.ndarray, z_t: float, t: int) -> dict[str, float]:
    """The aggregates of a period as a dict of floats (named after the game's aggregate)."""
    out = {"period": float(t), "common_noise": float(z_t)}
    for name, v in zip(game.static_names, static):
        out[name] = float(v)
    for name, v in zip(game.aggregate_names, agg):
        out[name] = float(v)
    return out


class MeanFieldEnv(EconomyEnv):
    """N agents of a mean-field game, sampled (PettingZoo ``ParallelEnv``).

    Args:
        game: a game name (``"lq"``, ``"beach_bar"``, ``"macro"``, ``"crowd"``) or a
            :class:`~econ_envs.meanfield.games.base.MeanFieldGame`.
        n_agents: population size N (default 1,000; at most 1,000,000, as the other families).
        params / **overrides: the game's parameters (see :mod:`econ_envs.meanfield.params`).

    Every agent ``agent_i`` acts with ``Discrete(A)`` (index into ``game.action_values``)
    and observes ``Box(state_dim + obs_dim)``: its own state in natural units
    (``game.state_feature_names``) then the shared observation (``game.obs_names``).
    Rewards are per agent; ``terminated`` is set for everyone after the horizon.
    ``reset(seed=..., options={"scenario": (static, z)})`` pins the common-noise path.
    The batched core is ``env.population`` (:class:`SampledPopulation`).
    """

    metadata = {"name": "meanfield_v0", "render_modes": [], "is_parallelizable": True}
    game_key: str = ""

    def __init__(self, game: MeanFieldGame | str | None = None, n_agents: int = 1000, params: Any = None, **overrides):
        self.game = _build_game(game if game is not None else self.game_key, params, overrides)
        self.params = self.game.params
        self.env_id = f"meanfield/{self.game.key}-v0"
        self.metadata = dict(self.metadata, name=f"meanfield_{self.game.key}_v0")
        self.population = SampledPopulation(self.game, n_agents)
        self.n_agents = self.population.n_agents
        self.episode_length = self.game.horizon
        self.time_unit = "period"
        g = self.game
        self._init_roles(
            [
                Role(
                    "agent",
                    self.n_agents,
                    spaces.Box(*(b.astype(np.float32) for b in g.agent_obs_bounds()), dtype=np.float32),
                    spaces.Discrete(g.n_actions),
                )
            ]
        )
        self.rng = np.random.default_rng()
        self._last_mean_reward = float("nan")

    def observation_names(self) -> list[str]:
        """Names of an agent's observation components."""
        return list(self.game.state_feature_names) + list(self.game.obs_names)

    def _reset_core(self, seed: int | None, options: Mapping[str, Any] | None):
        scenario = _scenario_from_options(self.game, options)
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.population.reset(self.rng, scenario)
        self._last_mean_reward = float("nan")
        return {"agent": self.population.agent_observations()}, {}

    def _step_core(self, actions: dict[str, np.ndarray]) -> BatchStep:
        acts = np.ascontiguousarray(actions["agent"], dtype=np.int64).reshape(self.n_agents)
        rewards = self.population.step(acts, self.rng)
        self._last_mean_reward = float(rewards.mean())
        done = self.population.done
        return BatchStep(
            observations={"agent": self.population.agent_observations()},
            rewards={"agent": rewards},
            terminated=done,
            truncated=False,
            info={"termination_reason": f"horizon: the game ends after {self.game.horizon} periods"} if done else {},
        )

    def aggregates(self) -> dict[str, float]:
        self.require_reset()
        pop = self.population
        out = aggregate_dict(self.game, pop.agg, pop.static, float(pop.z[pop.t]), pop.t)
        out["mean_reward"] = self._last_mean_reward
        return out

    def empirical_distribution(self) -> np.ndarray:
        """The current mean field: histogram of the agents over the S states."""
        self.require_reset()
        return self.population.mu.copy()

    def act_with(self, table: np.ndarray) -> dict[str, np.ndarray]:
        """Sample every agent's action from a policy table pi_t[S, A] (with the env's generator)."""
        self.require_reset()
        pi = validate_tables(np.asarray(table)[None], self.game, "policy table")[0]
        u = self.rng.random(self.n_agents)
        return {"agent": kernels.sample_rows(pi, self.population.states, u)}


class LQEnv(MeanFieldEnv):
    """``meanfield/lq-v0``: the linear-quadratic game with N sampled agents."""

    game_key = "lq"


class BeachBarEnv(MeanFieldEnv):
    """``meanfield/beach_bar-v0``: the beach bar game with N sampled agents."""

    game_key = "beach_bar"


class MacroEnv(MeanFieldEnv):
    """``meanfield/macro-v0``: the macroeconomic game with N sampled agents."""

    game_key = "macro"


class CrowdEnv(MeanFieldEnv):
    """``meanfield/crowd-v0``: OpenSpiel's 1D crowd-modelling game with N sampled agents."""

    game_key = "crowd"


class PolicyTableSpace(spaces.Box):
    """Policy tables [S, A] whose rows are probability distributions.

    A ``Box(0, 1, (S, A), float64)`` whose ``sample()`` draws each row from a flat
    Dirichlet and whose ``contains()`` also requires rows summing to 1 (within 1e-5).
    """

    def __init__(self, n_states: int, n_actions: int, seed: int | None = None):
        super().__init__(0.0, 1.0, (n_states, n_actions), np.float64, seed=seed)

    def sample(self, mask: Any = None, probability: Any = None) -> np.ndarray:
        if mask is not None or probability is not None:  # as gymnasium's Box, which has no masks either
            raise gym.error.Error(
                f"PolicyTableSpace.sample takes no mask, got mask={mask!r}, probability={probability!r}"
            )
        x = self.np_random.exponential(size=self.shape)
        return x / x.sum(axis=1, keepdims=True)

    def contains(self, x: Any) -> bool:
        if not super().contains(x):
            return False
        rows = np.asarray(x, dtype=np.float64).sum(axis=1)
        return bool(np.all(np.abs(rows - 1.0) <= 1e-5))

    def __repr__(self) -> str:
        return f"PolicyTableSpace({self.shape[0]}, {self.shape[1]})"


class PushForwardEnv(gym.Env):
    """The whole population of a mean-field game, exactly (Gymnasium ``Env``).

    Action: the policy table pi_t[S, A] of the current period (rows are distributions
    over ``game.action_values``; :class:`PolicyTableSpace`). Observation: the shared
    observation o_t (``game.obs_names``, float32). Reward: sum_s mu_t(s) sum_a pi_t(a|s)
    R_t(s, a), the population-average reward. ``terminated`` after T periods.
    ``info`` holds the mean field ``mu`` [S] after the step and the ``aggregates``.
    A table that is not a distribution raises ``ValueError`` and leaves the env as it was.
    """

    metadata = {"render_modes": []}
    game_key: str = ""

    def __init__(self, game: MeanFieldGame | str | None = None, params: Any = None, **overrides: Any):
        self.game = _build_game(game if game is not None else self.game_key, params, overrides)
        g = self.game
        self.observation_space = finite_box(
            spaces.Box(*(b.astype(np.float32) for b in g.obs_bounds()), dtype=np.float32)
        )
        self.action_space = PolicyTableSpace(g.n_states, g.n_actions)
        self._rows = g.row_buffers(1)
        self._t = 0
        self._done = True

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        g = self.game
        scenario = _scenario_from_options(g, options)  # checked before anything changes
        super().reset(seed=seed)
        if scenario is None:
            static, z = g.sample_common(self.np_random, 1)
        else:
            static, z = scenario[0][None], scenario[1][None]
        self.static, self.z = static, z
        self.noise = g.noise_rows(static)
        self.mu = g.initial_distribution(static)
        self.agg = g.aggregate(self.mu, static, z[:, 0])
        self._t = 0
        self._done = False
        info = {"mu": self.mu[0].copy(), "aggregates": self._aggregates()}
        return clip_observation(g.observation(self.agg, static, z[:, 0], 0)[0], self.observation_space, info), info

    def _aggregates(self) -> dict[str, float]:
        return aggregate_dict(self.game, self.agg[0], self.static[0], float(self.z[0, self._t]), self._t)

    def step(self, action):
        if self._done:
            raise ValueError("the episode is over (or reset() was never called); call reset() first")
        g, t = self.game, self._t
        arr = np.asarray(action)
        if arr.ndim != 2:
            raise ValueError(f"action must be a policy table of shape ({g.n_states}, {g.n_actions}), got {arr.shape}")
        pi = validate_tables(arr[None], g, f"policy table at t={t}")
        zero = np.zeros(1, dtype=np.int64)
        static, z = self.static, self.z
        didx, dw = g.decision_rows(self.agg, static, z[:, t], t, out=self._rows)
        mu_next = kernels.pushforward(self.mu, pi, zero, didx, dw, *self.noise)
        agg_next = g.aggregate(mu_next, static, z[:, t + 1])
        R = g.reward_table(self.agg, agg_next, static, z[:, t], z[:, t + 1], t)
        reward = float(g.mean_reward(self.mu, pi, zero, R)[0])
        self.mu, self.agg, self._t = mu_next, agg_next, t + 1
        self._done = self._t >= g.horizon
        info = {"mu": self.mu[0].copy(), "aggregates": self._aggregates()}
        obs = clip_observation(g.observation(self.agg, static, z[:, self._t], self._t)[0], self.observation_space, info)
        return obs, reward, self._done, False, info


class PushForwardLQ(PushForwardEnv):
    """``econ_envs/MeanField-LQ-v0``."""

    game_key = "lq"


class PushForwardBeachBar(PushForwardEnv):
    """``econ_envs/MeanField-BeachBar-v0``."""

    game_key = "beach_bar"


class PushForwardMacro(PushForwardEnv):
    """``econ_envs/MeanField-Macro-v0``."""

    game_key = "macro"


class PushForwardCrowd(PushForwardEnv):
    """``econ_envs/MeanField-Crowd-v0``."""

    game_key = "crowd"


def parallel_env(game: str = "lq", **kwargs: Any) -> MeanFieldEnv:
    """PettingZoo-style factory: ``econ_envs.meanfield.parallel_env("beach_bar", n_agents=500)``."""
    return MeanFieldEnv(game, **kwargs)
