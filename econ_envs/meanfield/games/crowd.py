"""1D crowd modelling on a torus (OpenSpiel ``python_mfg_crowd_modelling``; Perrin et al. 2020, 4.2).

State x in {0..size-1} on a circle; action a in {-1, 0, +1} (move). Undiscounted,
``horizon`` decisions t = 0..H-1, no terminal reward:

    x_bar = (x + a) mod size                      (decision stage)
    x'    = (x_bar + d) mod size,  d ~ {-1, 0, +1} with noise_probs
    r_t(x, a) = 1 - |x - size//2| / (size//2) - log(mu_t(x) + eps) - gamma |a| / size   (t < H-1)
    r_{H-1}(x, a) = 1 - |x - size//2| / (size//2) - log(mu_t(x) + eps)

mu_t is the distribution of x_t (the current positions). OpenSpiel charges the
move cost |a_t|/size at the *next* decision node (and never charges the last
move); charging gamma |a_t|/size when the move is made gives the same values
and keeps the state to x alone. The shared observation is mu_t (and t).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from econ_envs.meanfield.games.base import MeanFieldGame
from econ_envs.meanfield.params import CrowdParams

MOVES = np.array([-1, 0, 1], dtype=np.int64)


@njit(cache=True)
def crowd_move(x, move, size):
    return (x + move) % size


@njit(cache=True)
def crowd_state_reward(x, mu_x, size, eps):
    """Position reward plus congestion: 1 - |x - size//2|/(size//2) - log(mu(x) + eps)."""
    half = size // 2
    return 1.0 - abs(x - half) / half - math.log(mu_x + eps)


@njit(cache=True)
def crowd_move_cost(move, size, gamma, last):
    """Cost of a move, charged (discounted by one period) when made; the last move is free."""
    if last:
        return 0.0
    return gamma * abs(move) / size


@njit(cache=True)
def crowd_destinations(size, moves):
    """(x + move) mod size for every position and move: [size, len(moves)]."""
    out = np.empty((size, moves.shape[0]), dtype=np.int64)
    for x in range(size):
        for j in range(moves.shape[0]):
            out[x, j] = crowd_move(x, moves[j], size)
    return out


@njit(cache=True, error_model="numpy")
def _crowd_rewards(mu, size, eps, gamma, last, out):
    n_paths = mu.shape[0]
    for p in range(n_paths):
        for x in range(size):
            base = crowd_state_reward(x, mu[p, x], size, eps)
            for a in range(3):
                out[p, x, a] = base - crowd_move_cost(a - 1, size, gamma, last)


@njit(cache=True, error_model="numpy")
def _crowd_agent_rewards(states, actions, mu, size, eps, gamma, last):
    n = states.shape[0]
    out = np.empty(n)
    for i in range(n):
        x = states[i]
        out[i] = crowd_state_reward(x, mu[x], size, eps) - crowd_move_cost(actions[i] - 1, size, gamma, last)
    return out


class CrowdGame(MeanFieldGame):
    """Crowd modelling: go to the middle of a circle, avoid crowded places, pay for moving."""

    key = "crowd"
    title = "crowd modelling 1D (OpenSpiel)"
    params_class = CrowdParams
    state_feature_names = ("position",)
    params: CrowdParams

    def _setup(self) -> None:
        p = self.params
        self.n_states = p.size
        self.n_actions = 3
        self.action_values = MOVES.astype(np.float64)
        self.state_features = np.arange(p.size, dtype=np.float64)[:, None]
        self.k_noise = 3
        self.base_obs_names = tuple(f"mu_{x}" for x in range(p.size))
        self.aggregate_names = self.base_obs_names
        # the same displacement rule for the chosen move and for the noise (atoms -1, 0, +1)
        self._move_idx = crowd_destinations(p.size, MOVES)
        self._noise_idx = self._move_idx
        self._noise_w = np.asarray(p.noise_probs, dtype=np.float64)

    def sample_common(self, rng, n):
        return np.zeros((n, 0)), np.zeros((n, self.horizon + 1))

    def enumerate_common(self):
        return np.zeros((1, 0)), np.zeros((1, self.horizon + 1)), np.ones(1)

    def _base_obs_bounds(self):
        return [0.0] * self.n_states, [1.0] * self.n_states

    def initial_distribution(self, static):
        return np.full((static.shape[0], self.n_states), 1.0 / self.n_states)

    def aggregate(self, mu, static, z_t):
        return np.array(mu, dtype=np.float64, copy=True)

    def _observation(self, agg, static, z_t):
        return agg.copy()

    def noise_rows(self, static):
        P, S = static.shape[0], self.n_states
        nidx = np.ascontiguousarray(np.broadcast_to(self._noise_idx, (P, S, 3)))
        nw = np.ascontiguousarray(np.broadcast_to(self._noise_w, (P, S, 3)))
        return nidx, nw

    def _fill_decision_rows(self, agg, static, z_t, t, didx, dw):
        didx[...] = self._move_idx[None, :, :, None]
        dw[...] = 1.0

    def _fill_rewards(self, agg, agg_next, static, z_t, z_next, t, out):
        p = self.params
        last = t == self.horizon - 1
        _crowd_rewards(np.ascontiguousarray(agg), p.size, float(p.log_epsilon), self.gamma, last, out)

    def agent_decisions(self, states, actions, agg, static, z_t, t):
        adidx = self._move_idx[states, actions][:, None].astype(np.int64)
        return np.ascontiguousarray(adidx), np.ones((len(states), 1))

    def agent_rewards(self, states, actions, agg, agg_next, static, z_t, z_next, t):
        p = self.params
        last = t == self.horizon - 1
        return _crowd_agent_rewards(
            states, actions, np.ascontiguousarray(agg), p.size, float(p.log_epsilon), self.gamma, last
        )
