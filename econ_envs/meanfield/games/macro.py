"""Aiyagari-style consumption-savings game with aggregate TFP shocks (MFAX ``endogenous``).

Individual state s = (a, y): wealth a on a geometric grid of n_wealth points in
[wealth_min, wealth_max], income (labour efficiency) y on a geometric grid of
n_income points; flat index s = i_a * n_income + i_y. Action: the share of
cash on hand consumed, a~ = (i + 1/2)/n_actions.

    K_t = sum_s a mu_t(s),  L_t = sum_s y mu_t(s)
    r_t = e^{z_t} alpha (L_t / (K_t + 1e-6))^(1 - alpha)                   (no depreciation)
    w_t = e^{z_t} (1 - alpha) (K_t / (L_t + 1e-6))^alpha
    m   = (1 + r_t) a + w_t y                                             (cash on hand)
    a'  = m (1 - a~),  c = m a~                                          (decision stage: a' split
                                                                          linearly onto its two grid
                                                                          neighbours, capped at the top)
    i_y' = clip(i_y + d, 0, n_income-1),  d ~ income moves                (noise stage)
    r_t(s, a~) = u(c),  r_{T-1}(s) = u(m)  (consume everything; replaces the step reward)
    u(c) = c^(1-sigma)/(1-sigma)  (log c for sigma = 1)
    z_{t+1} = rho z_t + nu eps_t,  z_0 = 0,  eps ~ N(0, 1)  (z = 0 throughout without common noise)

Grids: clip(geomspace(lo + p, hi + p, n) - p, 0) with pivot p = max(|lo|, 0.25).
The shared observation is (r_t, w_t). mu_0 is uniform on the grid.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from econ_envs.meanfield.games.base import FusedGame
from econ_envs.meanfield.kernels import apply_noise, node_best_response, noise_expectations
from econ_envs.meanfield.params import MacroParams


def geometric_grid(lo: float, hi: float, n: int) -> np.ndarray:
    """MFAX's grid: geometric spacing around a pivot p = max(|lo|, 0.25), clipped at 0."""
    p = max(abs(lo), 0.25)
    if n == 1:
        return np.array([float(lo)])
    return np.clip(np.geomspace(lo + p, hi + p, n) - p, 0.0, None)


@njit(cache=True)
def macro_prices(K, L, z, alpha):
    """Factor prices (r, w) from capital K, labour L and TFP z (Cobb-Douglas marginal products)."""
    ez = math.exp(z)
    r = ez * alpha * (L / (K + 1e-6)) ** (1.0 - alpha)
    w = ez * (1.0 - alpha) * (K / (L + 1e-6)) ** alpha
    return r, w


@njit(cache=True)
def macro_utility(c, crra):
    """CRRA utility of consumption c > 0."""
    if crra == 2.0:
        return -1.0 / c
    if crra == 1.0:
        return math.log(c)
    return c ** (1.0 - crra) / (1.0 - crra)


def wealth_lookup(grid: np.ndarray, max_bins: int = 1 << 20) -> tuple[np.ndarray, np.ndarray, float]:
    """(inv_dg, table, inv_width) for :func:`wealth_split`.

    ``table[b]`` is the grid cell holding x = b * width, on uniform bins narrower than
    half the smallest grid cell (so a lookup is off by at most one cell), covering
    four times the top of the grid.
    """
    dg = np.diff(grid)
    width = max(float(dg.min()) / 2.0, 4.0 * float(grid[-1]) / max_bins)
    n_bins = int(4.0 * grid[-1] / width) + 2
    x = np.arange(n_bins) * width
    table = np.clip(np.searchsorted(grid, x, side="right") - 1, 0, len(grid) - 2).astype(np.int32)
    return 1.0 / dg, table, 1.0 / width


@njit(cache=True)
def split_weight(x, g_j, inv_dg_j):
    """Weight on the upper neighbour of x in the grid cell [g_j, g_j+1], capped to [0, 1]."""
    theta = (x - g_j) * inv_dg_j
    if theta < 0.0:
        return 0.0
    if theta > 1.0:
        return 1.0
    return theta


@njit(cache=True, error_model="numpy")
def wealth_split(x, grid, inv_dg, table, inv_width, j_out, theta_out):
    """Split each next wealth x[k] onto the grid: lower neighbour j_out[k], weight theta_out[k] on j+1.

    Linear interpolation weights, capped at both ends of the grid (wealth above the
    top goes to the top point). The table's bins are narrower than half the smallest
    cell, so the looked-up cell is at most one off either way; one comparison fixes it.
    The only place the wealth split is defined: every kernel calls it on a batch.
    """
    n = grid.shape[0]
    n_bins = table.shape[0]
    for k in range(x.shape[0]):
        v = x[k]
        f = v * inv_width
        if f <= 0.0:
            j = 0
        elif f >= n_bins - 1:
            j = n - 2
        else:
            j = np.int64(table[np.int64(f)])
        if j > 0 and grid[j] > v:
            j -= 1
        elif j < n - 2 and grid[j + 1] <= v:
            j += 1
        j_out[k] = j
        theta_out[k] = split_weight(v, grid[j], inv_dg[j])


@njit(cache=True)
def cash_on_hand(a, y, r, w):
    """m = (1 + r) a + w y."""
    return (1.0 + r) * a + w * y


@njit(cache=True, error_model="numpy")
def _next_wealth(r, w, a_grid, y_grid, keep, x):
    """x[(s, a)] = m(s) (1 - share_a) for every state s = (i_a, i_y) and action, in row order."""
    na, ny, n_actions = a_grid.shape[0], y_grid.shape[0], keep.shape[0]
    k = 0
    for ia in range(na):
        for iy in range(ny):
            m = cash_on_hand(a_grid[ia], y_grid[iy], r, w)
            for a in range(n_actions):
                x[k] = m * keep[a]
                k += 1


@njit(cache=True, error_model="numpy")
def _macro_rows(prices, a_grid, y_grid, keep, inv_dg, table, inv_width, didx, dw):
    """Decision rows of every path into didx, dw [P, S, A, 2]: next wealth split onto the grid."""
    n_paths = prices.shape[0]
    na, ny, n_actions = a_grid.shape[0], y_grid.shape[0], keep.shape[0]
    n = na * ny * n_actions
    x = np.empty(n)
    jj = np.empty(n, dtype=np.int64)
    th = np.empty(n)
    for p in range(n_paths):
        _next_wealth(prices[p, 0], prices[p, 1], a_grid, y_grid, keep, x)
        wealth_split(x, a_grid, inv_dg, table, inv_width, jj, th)
        k = 0
        for ia in range(na):
            for iy in range(ny):
                s = ia * ny + iy
                for a in range(n_actions):
                    didx[p, s, a, 0] = jj[k] * ny + iy
                    didx[p, s, a, 1] = (jj[k] + 1) * ny + iy
                    dw[p, s, a, 0] = 1.0 - th[k]
                    dw[p, s, a, 1] = th[k]
                    k += 1


@njit(cache=True, error_model="numpy")
def _macro_rewards(prices, a_grid, y_grid, shares, crra, terminal, out):
    n_paths = prices.shape[0]
    na, ny, n_actions = a_grid.shape[0], y_grid.shape[0], shares.shape[0]
    for p in range(n_paths):
        r = prices[p, 0]
        w = prices[p, 1]
        for ia in range(na):
            for iy in range(ny):
                s = ia * ny + iy
                m = cash_on_hand(a_grid[ia], y_grid[iy], r, w)
                if terminal:
                    u = macro_utility(m, crra)
                    for a in range(n_actions):
                        out[p, s, a] = u
                else:
                    for a in range(n_actions):
                        out[p, s, a] = macro_utility(m * shares[a], crra)


@njit(cache=True, error_model="numpy")
def macro_pushforward(mu, pi, pi_of_path, prices, a_grid, y_grid, keep, inv_dg, table, inv_width, nidx, nw, cache):
    """The push-forward of :func:`econ_envs.meanfield.kernels.pushforward` with the rows computed on the fly.

    When ``cache`` is [P, S*A] (not [P, 0]) the grid cells j of every (s, a) are kept
    there for the backward pass of the same period.
    """
    n_paths, n_states = mu.shape
    na, ny, n_actions = a_grid.shape[0], y_grid.shape[0], keep.shape[0]
    n = n_states * n_actions
    x = np.empty(n)
    jj = np.empty(n, dtype=np.int64)
    th = np.empty(n)
    out = np.zeros((n_paths, n_states))
    mid = np.empty(n_states)
    store = cache.shape[1] == n
    for p in range(n_paths):
        mid[:] = 0.0
        q = pi_of_path[p]
        _next_wealth(prices[p, 0], prices[p, 1], a_grid, y_grid, keep, x)
        wealth_split(x, a_grid, inv_dg, table, inv_width, jj, th)
        if store:
            for k in range(n):
                cache[p, k] = jj[k]
        for ia in range(na):
            for iy in range(ny):
                s = ia * ny + iy
                m0 = mu[p, s]
                if m0 == 0.0:
                    continue
                k = s * n_actions
                for a in range(n_actions):
                    ma = m0 * pi[q, s, a]
                    lo = jj[k + a] * ny + iy
                    t = th[k + a]
                    mid[lo] += ma * (1.0 - t)
                    mid[lo + ny] += ma * t
        apply_noise(mid, nidx, nw, p, out[p])
    return out


@njit(cache=True, error_model="numpy")
def macro_backward_step(
    prices, terminal, crra, a_grid, y_grid, shares, keep, inv_dg, table, inv_width, nidx, nw, gamma,
    pi, pi_of_path, v_pi, v_br, v_na, node, weight, out_pi, out_br, act, q_na, qbar, out_na, act_na, cache,
):  # fmt: skip
    """:func:`econ_envs.meanfield.kernels.backward_step` with rows and rewards computed on the fly.

    Reuses the grid cells the push-forward stored in ``cache`` [P, S*A] when it has them.
    """
    n_paths, n_states = v_pi.shape
    na, ny, n_actions = a_grid.shape[0], y_grid.shape[0], keep.shape[0]
    do_na = q_na.shape[0] == n_paths
    n = n_states * n_actions
    x = np.empty(n)
    jj = np.empty(n, dtype=np.int64)
    th = np.empty(n)
    w1 = np.empty(n_states)
    w2 = np.empty(n_states)
    w3 = np.zeros(n_states)
    for p in range(n_paths):
        noise_expectations(nidx, nw, p, v_pi, v_br, v_na, do_na, w1, w2, w3)
        qp = pi_of_path[p]
        r = prices[p, 0]
        w = prices[p, 1]
        cached = cache.shape[1] == n
        if not cached:
            _next_wealth(r, w, a_grid, y_grid, keep, x)
            wealth_split(x, a_grid, inv_dg, table, inv_width, jj, th)
        for ia in range(na):
            for iy in range(ny):
                s = ia * ny + iy
                m = cash_on_hand(a_grid[ia], y_grid[iy], r, w)
                u_term = macro_utility(m, crra)
                acc = 0.0
                best = 0.0
                b = 0
                k = s * n_actions
                for a in range(n_actions):
                    if cached:
                        j = np.int64(cache[p, k + a])
                        t = split_weight(m * keep[a], a_grid[j], inv_dg[j])
                    else:
                        j = jj[k + a]
                        t = th[k + a]
                    lo = j * ny + iy
                    hi = lo + ny
                    e1 = w1[lo] + t * (w1[hi] - w1[lo])
                    e2 = w2[lo] + t * (w2[hi] - w2[lo])
                    rew = u_term if terminal else macro_utility(m * shares[a], crra)
                    acc += pi[qp, s, a] * (rew + gamma * e1)
                    q = rew + gamma * e2
                    if a == 0 or q > best:
                        best = q
                        b = a
                    if do_na:
                        q_na[p, s, a] = rew + gamma * (w3[lo] + t * (w3[hi] - w3[lo]))
                out_pi[p, s] = acc
                out_br[p, s] = best
                act[p, s] = b
    if do_na:
        node_best_response(q_na, node, weight, qbar, out_na, act_na)


@njit(cache=True, error_model="numpy")
def _macro_agent_rows(states, actions, r, w, a_grid, y_grid, keep, inv_dg, table, inv_width):
    n = states.shape[0]
    ny = y_grid.shape[0]
    x = np.empty(n)
    jj = np.empty(n, dtype=np.int64)
    th = np.empty(n)
    for i in range(n):
        ia = states[i] // ny
        iy = states[i] - ia * ny
        x[i] = cash_on_hand(a_grid[ia], y_grid[iy], r, w) * keep[actions[i]]
    wealth_split(x, a_grid, inv_dg, table, inv_width, jj, th)
    adidx = np.empty((n, 2), dtype=np.int64)
    adw = np.empty((n, 2))
    for i in range(n):
        iy = states[i] % ny
        adidx[i, 0] = jj[i] * ny + iy
        adidx[i, 1] = (jj[i] + 1) * ny + iy
        adw[i, 0] = 1.0 - th[i]
        adw[i, 1] = th[i]
    return adidx, adw


@njit(cache=True, error_model="numpy")
def _macro_agent_rewards(states, actions, r, w, a_grid, y_grid, shares, crra, terminal):
    n = states.shape[0]
    ny = y_grid.shape[0]
    out = np.empty(n)
    for i in range(n):
        ia = states[i] // ny
        iy = states[i] - ia * ny
        m = cash_on_hand(a_grid[ia], y_grid[iy], r, w)
        out[i] = macro_utility(m if terminal else m * shares[actions[i]], crra)
    return out


class MacroGame(FusedGame):
    """Consumption-savings with prices from the population's capital and labour and AR(1) TFP."""

    key = "macro"
    title = "macroeconomics (Aiyagari-style)"
    params_class = MacroParams
    state_feature_names = ("wealth", "income")
    base_obs_names = ("interest_rate", "wage")
    aggregate_names = ("capital", "labour", "interest_rate", "wage")
    k_decision = 2
    params: MacroParams

    def _setup(self) -> None:
        p = self.params
        self.wealth_grid = geometric_grid(p.wealth_min, p.wealth_max, p.n_wealth)
        self.income_grid = geometric_grid(p.income_min, p.income_max, p.n_income)
        if np.any(np.diff(self.wealth_grid) <= 0):
            raise ValueError("the wealth grid must be strictly increasing; widen [wealth_min, wealth_max]")
        self._split = wealth_lookup(self.wealth_grid)  # (inv_dg, table, inv_width): wealth_split's arguments
        self.n_states = p.n_wealth * p.n_income
        self.n_actions = p.n_actions
        self.shares = (np.arange(p.n_actions) + 0.5) / p.n_actions
        self.keep = 1.0 - self.shares  # share of cash on hand saved
        self.action_values = self.shares.copy()
        a, y = np.meshgrid(self.wealth_grid, self.income_grid, indexing="ij")
        self.state_features = np.stack([a.ravel(), y.ravel()], axis=1)
        if p.idio_noise:
            self.income_moves = np.asarray(p.income_moves, dtype=np.int64)
            self.income_probs = np.asarray(p.income_probs, dtype=np.float64)
        else:
            self.income_moves = np.zeros(1, dtype=np.int64)
            self.income_probs = np.ones(1)
        self.k_noise = len(self.income_moves)
        ny = p.n_income
        iy = np.arange(self.n_states) % ny
        ia = np.arange(self.n_states) // ny
        dest = ia[:, None] * ny + np.clip(iy[:, None] + self.income_moves[None, :], 0, ny - 1)
        self._noise_idx = dest.astype(np.int64)

    # -- common noise ------------------------------------------------------------------
    def sample_common(self, rng, n):
        T = self.horizon
        z = np.zeros((n, T + 1))
        if self.params.common_noise:
            eps = rng.standard_normal((n, T))
            rho, nu = self.params.tfp_persistence, self.params.tfp_sd
            for t in range(T):
                z[:, t + 1] = rho * z[:, t] + nu * eps[:, t]
        return np.zeros((n, 0)), z

    def enumerate_common(self):
        if self.params.common_noise and self.params.tfp_sd > 0:
            return None
        return np.zeros((1, 0)), np.zeros((1, self.horizon + 1)), np.ones(1)

    # -- population model ---------------------------------------------------------------
    def _base_obs_bounds(self):
        return [0.0, 0.0], [np.inf, np.inf]

    def initial_distribution(self, static):
        return np.full((static.shape[0], self.n_states), 1.0 / self.n_states)

    def aggregate(self, mu, static, z_t):
        K = mu @ self.state_features[:, 0]
        L = mu @ self.state_features[:, 1]
        out = np.empty((mu.shape[0], 4))
        alpha = self.params.capital_share
        for p in range(mu.shape[0]):
            r, w = macro_prices(K[p], L[p], float(z_t[p]), alpha)
            out[p] = (K[p], L[p], r, w)
        return out

    def _observation(self, agg, static, z_t):
        return agg[:, 2:4].copy()

    def noise_rows(self, static):
        P = static.shape[0]
        nidx = np.ascontiguousarray(np.broadcast_to(self._noise_idx, (P, self.n_states, self.k_noise)))
        nw = np.ascontiguousarray(np.broadcast_to(self.income_probs, (P, self.n_states, self.k_noise)))
        return nidx, nw

    def _fill_decision_rows(self, agg, static, z_t, t, didx, dw):
        prices = np.ascontiguousarray(agg[:, 2:4])
        _macro_rows(prices, self.wealth_grid, self.income_grid, self.keep, *self._split, didx, dw)

    # the fused kernels compute the rows on the fly instead of writing S*A*2 entries per period
    def fused_cache(self, n_paths: int, budget_bytes: int = 256 << 20) -> np.ndarray | None:
        """[T, P, S*A] grid cells of next wealth, filled by the push-forward for the backward pass."""
        dtype = np.uint8 if self.params.n_wealth <= 256 else np.uint32
        shape = (self.horizon, n_paths, self.n_states * self.n_actions)
        if np.prod(shape) * np.dtype(dtype).itemsize > budget_bytes:
            return None
        return np.empty(shape, dtype=dtype)

    def _cache_arg(self, cache: np.ndarray | None, n_paths: int) -> np.ndarray:
        return cache if cache is not None else np.empty((n_paths, 0), dtype=np.uint8)

    def pushforward_fused(self, mu, pi, pi_of_path, agg, static, z_t, t, nidx, nw, cache=None):
        prices = np.ascontiguousarray(agg[:, 2:4])
        return macro_pushforward(
            mu, pi, pi_of_path, prices, self.wealth_grid, self.income_grid, self.keep, *self._split, nidx, nw,
            self._cache_arg(cache, mu.shape[0]),
        )  # fmt: skip

    def backward_fused(self, agg, agg_next, static, z_t, z_next, t, nidx, nw, pi, pi_of_path, values, outs,
                       cache=None):  # fmt: skip
        prices = np.ascontiguousarray(agg[:, 2:4])
        terminal = t == self.horizon - 1
        macro_backward_step(
            prices, terminal, float(self.params.crra), self.wealth_grid, self.income_grid, self.shares, self.keep,
            *self._split, nidx, nw, self.gamma, pi, pi_of_path, *values, *outs, self._cache_arg(cache, len(prices)),
        )  # fmt: skip

    def _fill_rewards(self, agg, agg_next, static, z_t, z_next, t, out):
        terminal = t == self.horizon - 1
        prices = np.ascontiguousarray(agg[:, 2:4])
        _macro_rewards(prices, self.wealth_grid, self.income_grid, self.shares, float(self.params.crra), terminal, out)

    def agent_decisions(self, states, actions, agg, static, z_t, t):
        return _macro_agent_rows(
            states, actions, float(agg[2]), float(agg[3]), self.wealth_grid, self.income_grid, self.keep, *self._split
        )

    def agent_rewards(self, states, actions, agg, agg_next, static, z_t, z_next, t):
        terminal = t == self.horizon - 1
        return _macro_agent_rewards(
            states,
            actions,
            float(agg[2]),
            float(agg[3]),
            self.wealth_grid,
            self.income_grid,
            self.shares,
            float(self.params.crra),
            terminal,
        )
