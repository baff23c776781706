"""Beach bar 1D (MFAX ``beach_bar_1d``): walk to a bar that may close half-way through the day.

State s in {0..S-1} (position, cells); action a in {-M..M} (move, cells/period);
the bar b is drawn uniformly from bar_min..bar_max at reset and no agent can
reach or cross it:

    Proj(s, x) = b-1 if s < b <= x;  b+1 if x <= b < s;  x otherwise
    s_bar      = Proj(s, clip(s + a, 0, S-1))                       (decision stage)
    s'         = Proj(s_bar, clip(s_bar + d, 0, S-1)),  d ~ noise atoms
    r_t(s, a)  = -|b - s| z_t - [|b - s| = 1][z_{t+1} = 0] penalty - move_cost |a|    (also at T-1)

z_t = 1 (bar open) until the closure period t_c = T//2, where z_{t_c} ~ Bernoulli(1 -
closure_prob) once if common noise is on, then z stays. The shared observation is
(m_t, z_t, b). mu_0 is uniform on the positions other than b.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from econ_envs.meanfield.games.base import MeanFieldGame
from econ_envs.meanfield.params import BeachBarParams


@njit(cache=True)
def bb_project(s, x, bar):
    """Stop a move from s to x before the bar: agents never reach or cross it."""
    if s < bar and x >= bar:
        return bar - 1
    if s > bar and x <= bar:
        return bar + 1
    return x


@njit(cache=True)
def bb_clip(x, n_states):
    if x < 0:
        return 0
    if x > n_states - 1:
        return n_states - 1
    return x


@njit(cache=True)
def bb_move(s, move, bar, n_states):
    """Decision stage: the chosen move, clipped to the beach and stopped at the bar."""
    return bb_project(s, bb_clip(s + move, n_states), bar)


@njit(cache=True)
def bb_noise_dest(sb, d, bar, n_states):
    """Noise stage: a displacement d from s_bar, clipped and stopped at the bar."""
    return bb_project(sb, bb_clip(sb + d, n_states), bar)


@njit(cache=True)
def bb_reward(s, move, bar, z_t, z_next, penalty, move_cost):
    dist = abs(bar - s)
    r = -dist * z_t - move_cost * abs(move)
    if dist == 1 and z_next == 0.0:
        r -= penalty
    return r


@njit(cache=True)
def _bb_rows(bars, moves, didx, dw):
    n_paths, n_states, n_actions = didx.shape[0], didx.shape[1], didx.shape[2]
    for p in range(n_paths):
        for s in range(n_states):
            for a in range(n_actions):
                didx[p, s, a, 0] = bb_move(s, moves[a], bars[p], n_states)
                dw[p, s, a, 0] = 1.0


@njit(cache=True)
def _bb_noise_rows(bars, n_states, atoms, probs):
    n_paths = bars.shape[0]
    k = atoms.shape[0]
    nidx = np.empty((n_paths, n_states, k), dtype=np.int64)
    nw = np.empty((n_paths, n_states, k))
    for p in range(n_paths):
        for sb in range(n_states):
            for j in range(k):
                nidx[p, sb, j] = bb_noise_dest(sb, atoms[j], bars[p], n_states)
                nw[p, sb, j] = probs[j]
    return nidx, nw


@njit(cache=True)
def _bb_rewards(bars, z_t, z_next, moves, penalty, move_cost, out):
    n_paths, n_states, n_actions = out.shape
    for p in range(n_paths):
        for s in range(n_states):
            for a in range(n_actions):
                out[p, s, a] = bb_reward(s, moves[a], bars[p], z_t[p], z_next[p], penalty, move_cost)


@njit(cache=True)
def _bb_agent_rows(states, actions, moves, bar, n_states):
    n = states.shape[0]
    adidx = np.empty((n, 1), dtype=np.int64)
    for i in range(n):
        adidx[i, 0] = bb_move(states[i], moves[actions[i]], bar, n_states)
    return adidx, np.ones((n, 1))


@njit(cache=True)
def _bb_agent_rewards(states, actions, moves, bar, z_t, z_next, penalty, move_cost):
    n = states.shape[0]
    out = np.empty(n)
    for i in range(n):
        out[i] = bb_reward(states[i], moves[actions[i]], bar, z_t, z_next, penalty, move_cost)
    return out


class BeachBarGame(MeanFieldGame):
    """Beach bar: distance to a bar that may close at T//2, a penalty for being caught next to it."""

    key = "beach_bar"
    title = "beach bar 1D"
    params_class = BeachBarParams
    state_feature_names = ("position",)
    aggregate_names = ("mean_position",)
    static_names = ("bar",)
    base_obs_names = ("mean_position", "bar_open", "bar")
    params: BeachBarParams

    def _setup(self) -> None:
        p = self.params
        self.n_states = p.n_states
        self.moves = np.arange(-p.max_move, p.max_move + 1, dtype=np.int64)
        self.n_actions = len(self.moves)
        self.action_values = self.moves.astype(np.float64)
        self.state_features = np.arange(p.n_states, dtype=np.float64)[:, None]
        self.atoms = np.asarray(p.noise_moves, dtype=np.int64)
        self.atom_probs = np.asarray(p.noise_probs, dtype=np.float64)
        self.k_noise = len(self.atoms)
        self.bars = np.arange(p.bar_min, p.bar_max + 1)

    def _z_path(self, closed: bool) -> np.ndarray:
        z = np.ones(self.horizon + 1)
        if closed:
            z[self.params.closure_period :] = 0.0
        return z

    def sample_common(self, rng, n):
        bars = rng.integers(self.params.bar_min, self.params.bar_max + 1, size=n)
        if self.params.common_noise:
            closed = rng.random(n) < self.params.closure_prob
        else:
            closed = np.zeros(n, dtype=bool)
        return bars[:, None].astype(np.float64), np.stack([self._z_path(c) for c in closed])

    def enumerate_common(self):
        nb = len(self.bars)
        if self.params.common_noise:
            pc = self.params.closure_prob
            cases = [(False, 1.0 - pc), (True, pc)]
            cases = [c for c in cases if c[1] > 0]
        else:
            cases = [(False, 1.0)]
        static, z, prob = [], [], []
        for b in self.bars:
            for closed, pz in cases:
                static.append([float(b)])
                z.append(self._z_path(closed))
                prob.append(pz / nb)
        return np.array(static), np.array(z), np.array(prob)

    def _bars(self, static: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(static[:, 0]).astype(np.int64)

    def _base_obs_bounds(self):
        p = self.params
        return [0.0, 0.0, float(p.bar_min)], [self.n_states - 1.0, 1.0, float(p.bar_max)]

    def initial_distribution(self, static):
        bars = self._bars(static)
        mu = np.full((len(bars), self.n_states), 1.0 / (self.n_states - 1))
        mu[np.arange(len(bars)), bars] = 0.0
        return mu

    def aggregate(self, mu, static, z_t):
        return (mu @ self.state_features[:, 0])[:, None]

    def _observation(self, agg, static, z_t):
        return np.stack([agg[:, 0], np.asarray(z_t, dtype=np.float64), static[:, 0]], axis=1)

    def noise_rows(self, static):
        return _bb_noise_rows(self._bars(static), self.n_states, self.atoms, self.atom_probs)

    def _fill_decision_rows(self, agg, static, z_t, t, didx, dw):
        _bb_rows(self._bars(static), self.moves, didx, dw)

    def _fill_rewards(self, agg, agg_next, static, z_t, z_next, t, out):
        p = self.params
        _bb_rewards(
            self._bars(static),
            np.ascontiguousarray(z_t, dtype=np.float64),
            np.ascontiguousarray(z_next, dtype=np.float64),
            self.moves,
            float(p.adjacency_penalty),
            float(p.move_cost),
            out,
        )

    def agent_decisions(self, states, actions, agg, static, z_t, t):
        return _bb_agent_rows(states, actions, self.moves, int(static[0]), self.n_states)

    def agent_rewards(self, states, actions, agg, agg_next, static, z_t, z_next, t):
        p = self.params
        return _bb_agent_rewards(
            states, actions, self.moves, int(static[0]), z_t, z_next, float(p.adjacency_penalty), float(p.move_cost)
        )
