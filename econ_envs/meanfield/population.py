"""The two mean-field updates over one game definition.

* :func:`pushforward_rollout` - the exact (push-forward) flow mu_{t+1} = A_t^T mu_t of a
  policy on a set of common-noise paths, by sparse scatter (:mod:`.kernels`).
* :class:`SampledPopulation` - N agents stepped with sampled idiosyncratic noise;
  the mean field is their empirical distribution.

Both use the game's decision and noise rows, so the sampled population is a
Monte Carlo simulation of exactly the push-forward law.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from econ_envs.meanfield import kernels
from econ_envs.meanfield.games.base import MeanFieldGame, Paths
from econ_envs.meanfield.policies import as_policy

MAX_AGENTS = 1_000_000  # the largest population of a sampled game (the other families bound theirs alike)


@dataclass
class Rollout:
    """The mean-field flow of a policy on a path set.

    Attributes:
        mu: [T+1, P, S] distributions mu_0..mu_T.
        agg: [T+1, P, n_agg] aggregates of each mu_t.
        obs: [T+1, P, obs_dim] shared observations o_0..o_T.
        pi: per period, the (tables, pi_of_path) the policy returned.
        noise: (nidx, nw) idiosyncratic-noise rows of the paths.
        mean_reward: [T, P] population-average reward of each period.
        cache: scratch the fused push-forward filled for the backward pass (games with ``fused``), or None.
    """

    game: MeanFieldGame
    paths: Paths
    mu: np.ndarray
    agg: np.ndarray
    obs: np.ndarray
    pi: list[tuple[np.ndarray, np.ndarray]]
    noise: tuple[np.ndarray, np.ndarray]
    mean_reward: np.ndarray
    cache: np.ndarray | None = None

    def rows(self, t: int, out: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Decision rows of period t (recomputed from the stored aggregates)."""
        return self.game.decision_rows(self.agg[t], self.paths.static, self.paths.z[:, t], t, out=out)

    def reward(self, t: int, out: np.ndarray | None = None) -> np.ndarray:
        """R_t [P, S, A] (recomputed from the stored aggregates)."""
        z = self.paths.z
        return self.game.reward_table(self.agg[t], self.agg[t + 1], self.paths.static, z[:, t], z[:, t + 1], t, out=out)

    def discounted_value(self) -> np.ndarray:
        """sum_t gamma^t E[r_t] of each path from the forward flow (equals mu_0 . V^pi_0)."""
        disc = self.game.gamma ** np.arange(self.game.horizon)
        return disc @ self.mean_reward


def pushforward_rollout(game: MeanFieldGame, policy: Any, paths: Paths, *, rewards: bool = True) -> Rollout:
    """Roll the exact mean field forward under ``policy`` on every path of ``paths``."""
    pol = as_policy(policy, game)
    T, P, S = game.horizon, paths.n_paths, game.n_states
    static, z = paths.static, paths.z
    mu = np.ascontiguousarray(game.initial_distribution(static))
    nidx, nw = game.noise_rows(static)
    pol.start(game, paths)
    agg0 = game.aggregate(mu, static, z[:, 0])
    mus = np.empty((T + 1, P, S))
    aggs = np.empty((T + 1, P, agg0.shape[1]))
    obs = np.empty((T + 1, P, game.obs_dim))
    mean_reward = np.zeros((T, P))
    pis = []
    rows = None if game.fused else game.row_buffers(P)
    cache = game.fused_cache(P) if game.fused else None
    reward = np.empty((P, S, game.n_actions)) if rewards else None
    mus[0], aggs[0] = mu, agg0
    obs[0] = game.observation(agg0, static, z[:, 0], 0)
    for t in range(T):
        pi, pi_of_path = pol.step(t, obs[t])
        pis.append((pi, pi_of_path))
        if game.fused:
            ct = None if cache is None else cache[t]
            mu = game.pushforward_fused(mu, pi, pi_of_path, aggs[t], static, z[:, t], t, nidx, nw, ct)
        else:
            didx, dw = game.decision_rows(aggs[t], static, z[:, t], t, out=rows)
            mu = kernels.pushforward(mu, pi, pi_of_path, didx, dw, nidx, nw)
        mus[t + 1] = mu
        aggs[t + 1] = game.aggregate(mu, static, z[:, t + 1])
        obs[t + 1] = game.observation(aggs[t + 1], static, z[:, t + 1], t + 1)
        if rewards:
            R = game.reward_table(aggs[t], aggs[t + 1], static, z[:, t], z[:, t + 1], t, out=reward)
            mean_reward[t] = game.mean_reward(mus[t], pi, pi_of_path, R)
    return Rollout(game, paths, mus, aggs, obs, pis, (nidx, nw), mean_reward, cache)


class SampledPopulation:
    """N agents of one game in one common-noise scenario, stepped with sampled idiosyncratic noise.

    All randomness comes from the ``numpy.random.Generator`` passed to :meth:`reset`
    (the scenario, the initial states, then two uniforms per agent per period).
    The mean field of period t is the agents' empirical distribution.
    """

    def __init__(self, game: MeanFieldGame, n_agents: int):
        if isinstance(n_agents, bool) or not isinstance(n_agents, (int, np.integer)) or not 1 <= n_agents <= MAX_AGENTS:
            raise ValueError(f"n_agents must be an integer in [1, {MAX_AGENTS:,}], got {n_agents!r}")
        self.game = game
        self.n_agents = int(n_agents)
        self.t = 0
        self.states = np.zeros(self.n_agents, dtype=np.int64)

    def reset(self, rng: np.random.Generator, scenario: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """Draw (or set) the scenario (static, z path) and the agents' initial states."""
        g = self.game
        if scenario is None:
            static, z = g.sample_common(rng, 1)
            static, z = static[0], z[0]
        else:
            static = np.asarray(scenario[0], dtype=np.float64).reshape(len(g.static_names))
            z = np.asarray(scenario[1], dtype=np.float64).reshape(g.horizon + 1)
        self.static = static
        self.z = z
        self.nidx, self.nw = (a[0] for a in g.noise_rows(static[None]))
        self.states = g.sample_initial_states(static, self.n_agents, rng)
        self.t = 0
        self.mu = g.empirical_distribution(self.states)
        self.agg = g.aggregate(self.mu[None], static[None], z[:1])[0]

    def observation(self) -> np.ndarray:
        """Shared observation of the current period: [obs_dim]."""
        g = self.game
        return g.observation(self.agg[None], self.static[None], self.z[self.t : self.t + 1], self.t)[0]

    def agent_observations(self) -> np.ndarray:
        """Per-agent observations [N, state_dim + obs_dim] float32: own state features, then the shared one."""
        g = self.game
        own = g.state_features[self.states]
        shared = np.broadcast_to(self.observation(), (self.n_agents, g.obs_dim))
        return np.concatenate([own, shared], axis=1).astype(np.float32)

    def step(self, actions: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Move every agent (actions are validated action indices [N]); return the rewards [N]."""
        g = self.game
        t = self.t
        u = rng.random((2, self.n_agents))
        adidx, adw = g.agent_decisions(self.states, actions, self.agg, self.static, float(self.z[t]), t)
        nxt = kernels.sample_next_states(adidx, adw, self.nidx, self.nw, u[0], u[1])
        mu_next = g.empirical_distribution(nxt)
        agg_next = g.aggregate(mu_next[None], self.static[None], self.z[t + 1 : t + 2])[0]
        rewards = g.agent_rewards(
            self.states, actions, self.agg, agg_next, self.static, float(self.z[t]), float(self.z[t + 1]), t
        )
        self.states, self.mu, self.agg, self.t = nxt, mu_next, agg_next, t + 1
        return rewards

    @property
    def done(self) -> bool:
        return self.t >= self.game.horizon
