"""Linear-quadratic mean-field game (MFAX ``linear_quadratic``).

State s in {0..S-1} (position, cells); action a in {-M..M} (move, cells/period).

    drift_t   = sigma rho eps_t,  eps_t = -c z (t < t_early), +c z (t > t_late), 0 otherwise
    s_bar     = floor(clip(s + a + drift_t, 0, S-1))                  (decision stage)
    s'        = clip(s_bar + round(sigma sqrt(1-rho^2) k), 0, S-1),   k ~ p_k prop. to phi(k), |k| <= K
    m_t       = sum_s s mu_t(s)
    r_t(s, a) = -c_a a^2 + q a (m_{t+1} - s) - (kappa/2)(m_{t+1} - s)^2      (t < T-1)
    r_T-1(s)  = -(c_term/2)(m_{T} - s)^2                                      (replaces the step reward)

z = +-1 with probability 1/2 each, drawn at reset and fixed for the episode (0
without common noise). The shared observation is m_t (z is not observed; it
shows in the drift of m from t = 1 on).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from econ_envs.meanfield.games.base import MeanFieldGame
from econ_envs.meanfield.params import LQParams


@njit(cache=True)
def lq_drift(t, z, sigma, rho, scale, t_early, t_late):
    """Common drift sigma*rho*eps_t in cells for period t."""
    if t < t_early:
        return -sigma * rho * scale * z
    if t > t_late:
        return sigma * rho * scale * z
    return 0.0


@njit(cache=True)
def lq_move(s, move, drift, n_states):
    """Decision stage: position after the chosen move and the common drift (before noise)."""
    x = s + move + drift
    if x < 0.0:
        x = 0.0
    elif x > n_states - 1:
        x = n_states - 1.0
    return np.int64(math.floor(x))


@njit(cache=True)
def lq_reward(s, move, m_next, terminal, c_action, q, kappa, c_term):
    """Step reward, or the terminal reward (which replaces it) at the last period."""
    d = m_next - s
    if terminal:
        return -0.5 * c_term * d * d
    return -c_action * move * move + q * move * d - 0.5 * kappa * d * d


@njit(cache=True)
def _lq_rows(moves, drifts, didx, dw):
    n_paths, n_states, n_actions = didx.shape[0], didx.shape[1], didx.shape[2]
    for p in range(n_paths):
        for s in range(n_states):
            for a in range(n_actions):
                didx[p, s, a, 0] = lq_move(s, moves[a], drifts[p], n_states)
                dw[p, s, a, 0] = 1.0


@njit(cache=True, error_model="numpy")
def _lq_rewards(m_next, moves, terminal, c_action, q, kappa, c_term, out):
    n_paths, n_states, n_actions = out.shape
    for p in range(n_paths):
        for s in range(n_states):
            for a in range(n_actions):
                out[p, s, a] = lq_reward(s, moves[a], m_next[p], terminal, c_action, q, kappa, c_term)


@njit(cache=True)
def _lq_agent_rows(states, actions, moves, drift, n_states):
    n = states.shape[0]
    adidx = np.empty((n, 1), dtype=np.int64)
    for i in range(n):
        adidx[i, 0] = lq_move(states[i], moves[actions[i]], drift, n_states)
    return adidx, np.ones((n, 1))


@njit(cache=True, error_model="numpy")
def _lq_agent_rewards(states, actions, moves, m_next, terminal, c_action, q, kappa, c_term):
    n = states.shape[0]
    out = np.empty(n)
    for i in range(n):
        out[i] = lq_reward(states[i], moves[actions[i]], m_next, terminal, c_action, q, kappa, c_term)
    return out


class LQGame(MeanFieldGame):
    """Linear-quadratic game: quadratic costs of moving and of distance to the next mean position."""

    key = "lq"
    title = "linear-quadratic"
    params_class = LQParams
    state_feature_names = ("position",)
    aggregate_names = ("mean_position",)
    base_obs_names = ("mean_position",)
    params: LQParams

    def _setup(self) -> None:
        p = self.params
        self.n_states = p.n_states
        self.moves = np.arange(-p.max_move, p.max_move + 1, dtype=np.float64)
        self.n_actions = len(self.moves)
        self.action_values = self.moves.copy()
        self.state_features = np.arange(p.n_states, dtype=np.float64)[:, None]
        if p.idio_noise:
            k = np.arange(-p.noise_atoms_per_side, p.noise_atoms_per_side + 1, dtype=np.float64)
            w = np.exp(-0.5 * k * k)
            self.noise_probs = w / w.sum()
            self.noise_moves = np.round(p.sigma * math.sqrt(1.0 - p.rho**2) * k)
        else:
            self.noise_probs = np.ones(1)
            self.noise_moves = np.zeros(1)
        self.k_noise = len(self.noise_probs)
        self._costs = (float(p.c_action), float(p.q), float(p.kappa), float(p.c_term))

    # -- common noise ------------------------------------------------------------
    def sample_common(self, rng, n):
        T = self.horizon
        if self.params.common_noise:
            zs = np.where(rng.random(n) < 0.5, 1.0, -1.0)
        else:
            zs = np.zeros(n)
        return np.zeros((n, 0)), np.repeat(zs[:, None], T + 1, axis=1)

    def enumerate_common(self):
        T = self.horizon
        if self.params.common_noise:
            return np.zeros((2, 0)), np.array([[1.0] * (T + 1), [-1.0] * (T + 1)]), np.array([0.5, 0.5])
        return np.zeros((1, 0)), np.zeros((1, T + 1)), np.ones(1)

    def _revealed(self, t: int) -> bool:
        """Whether m_t reveals z: some period before t had a non-zero drift."""
        p = self.params
        return (p.drift_early >= 1 and t >= 1) or t >= p.drift_late + 2

    def info_key(self, static_row, z_row, t):
        return z_row[:1].tobytes() if self._revealed(t) else b""

    def drift(self, t: int, z: float) -> float:
        p = self.params
        if not p.common_noise:
            return 0.0
        return float(lq_drift(t, z, p.sigma, p.rho, p.drift_scale, p.drift_early, p.drift_late))

    # -- population model ---------------------------------------------------------------
    def _base_obs_bounds(self):
        return [0.0], [self.n_states - 1.0]

    def initial_distribution(self, static):
        return np.full((static.shape[0], self.n_states), 1.0 / self.n_states)

    def aggregate(self, mu, static, z_t):
        return (mu @ self.state_features[:, 0])[:, None]

    def _observation(self, agg, static, z_t):
        return agg[:, :1].copy()

    def noise_rows(self, static):
        P, S = static.shape[0], self.n_states
        dest = np.clip(np.arange(S)[:, None] + self.noise_moves[None, :].astype(np.int64), 0, S - 1)
        nidx = np.ascontiguousarray(np.broadcast_to(dest, (P, S, self.k_noise)), dtype=np.int64)
        nw = np.ascontiguousarray(np.broadcast_to(self.noise_probs, (P, S, self.k_noise)))
        return nidx, nw

    def _fill_decision_rows(self, agg, static, z_t, t, didx, dw):
        drifts = np.array([self.drift(t, z) for z in z_t])
        _lq_rows(self.moves, drifts, didx, dw)

    def _fill_rewards(self, agg, agg_next, static, z_t, z_next, t, out):
        terminal = t == self.horizon - 1
        _lq_rewards(np.ascontiguousarray(agg_next[:, 0]), self.moves, terminal, *self._costs, out)

    def agent_decisions(self, states, actions, agg, static, z_t, t):
        return _lq_agent_rows(states, actions, self.moves, self.drift(t, z_t), self.n_states)

    def agent_rewards(self, states, actions, agg, agg_next, static, z_t, z_next, t):
        terminal = t == self.horizon - 1
        return _lq_agent_rewards(states, actions, self.moves, float(agg_next[0]), terminal, *self._costs)
