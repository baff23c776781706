"""Households that optimise: exact best responses, exploitability and equilibrium paths.

See the family manual (``help(econ_envs.taxai)``, section "Households that optimise")
for the objective, the dynamic programme, the equilibrium concept and the definition
of exploitability. The numerical kernels are in :mod:`econ_envs.taxai.dp`.

Typical use::

    from econ_envs.taxai.optimal import record_path, best_response, household_exploitability
    path = record_path(params, government="us_federal", households="buffer_stock", seed=0)
    br = best_response(path)                      # V_t(a, e) and the policies, all years
    household_exploitability(path, br)            # gain of deviating alone, utils/yr and CE %
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numba import njit

from econ_envs.taxai import dp
from econ_envs.taxai import kernels as kr
from econ_envs.taxai.economy import TaxEconomy
from econ_envs.taxai.params import TaxParams

N_COMMON = kr.N_POLICY_FEATURES + 6  # household observation columns after (wealth, ability)


# ----------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class DPGrid:
    """Discretisation and tolerances of the household dynamic programme.

    Wealth (units of y0, GDP per household) on ``n_wealth`` exponentially spaced points
    from 0 to ``wealth_max`` (first positive point ``wealth_first``); log ability on a
    ``n_ability``-point Rouwenhorst chain plus the super-star node; hours by a
    ``n_hours``-point search of the slope refined by the Illinois method to ``tol_hours`` (or,
    where the hours objective has a single local maximum, a search from next year's hours).
    ``tol_stationary`` stops the infinite-horizon iteration (policy and value change), which
    runs ``howard_steps`` policy-evaluation steps after each Bellman step and extrapolates the
    geometric tail of the marginal value (:func:`econ_envs.taxai.dp.stationary`).
    """

    n_wealth: int = 100
    wealth_max: float = 20_000.0
    wealth_first: float = 1e-3
    n_ability: int = 11
    n_hours: int = 9
    tol_hours: float = 1e-6
    tol_stationary: float = 1e-6
    max_stationary_iterations: int = 3000
    howard_steps: int = 10

    def __post_init__(self) -> None:
        if not (isinstance(self.n_wealth, int) and 30 <= self.n_wealth <= 5000):
            raise ValueError(f"DPGrid.n_wealth must be an integer in [30, 5000], got {self.n_wealth!r}")
        if not (isinstance(self.n_ability, int) and 5 <= self.n_ability <= 101):
            raise ValueError(f"DPGrid.n_ability must be an integer in [5, 101], got {self.n_ability!r}")
        if not (isinstance(self.n_hours, int) and 5 <= self.n_hours <= 1001):
            raise ValueError(f"DPGrid.n_hours must be an integer in [5, 1001], got {self.n_hours!r}")
        if not (0 < self.tol_hours <= 1e-3):
            raise ValueError(
                f"DPGrid.tol_hours must be in (0, 1e-3] (hours shares are solved to this tolerance), "
                f"got {self.tol_hours!r}"
            )
        if not (0 < self.tol_stationary <= 1e-4):
            raise ValueError(f"DPGrid.tol_stationary must be in (0, 1e-4], got {self.tol_stationary!r}")
        if not (10.0 <= self.wealth_max <= 1e7):
            raise ValueError(f"DPGrid.wealth_max must be in [10, 1e7] (units of y0), got {self.wealth_max!r}")
        if not (0 < self.wealth_first < self.wealth_max / (self.n_wealth - 1)):
            raise ValueError(
                f"DPGrid.wealth_first must be in (0, wealth_max/(n_wealth-1)), got {self.wealth_first!r}"
            )
        if self.wealth_first > 0.05:
            raise ValueError(
                f"DPGrid.wealth_first={self.wealth_first} (units of y0) is too coarse near the borrowing "
                "limit for the stated tolerance; use at most 0.05"
            )


# ------------------------------------------------------------------------------ the path


@dataclass
class AggregatePath:
    """What one household takes as given, year by year, from a simulation of ``taxai-v0``.

    Money in units of y0. ``env[t]`` holds (r, w H, transfer per household (levy if
    negative, before its cap), HSV income reference, wealth reference, tau, xi, tau_a,
    xi_a, wealth taxed (0/1), wealth-tax cap min(1, 1+r)) - the columns ``dp.E_*``;
    ``rates``/``cums`` the bracket rates and the tax accumulated below each threshold;
    ``policy`` the government action in force; ``obs_common`` the household observation
    columns that are the same for everyone (what rule households read).

    When recorded with ``households=True`` it also holds each simulated household's
    initial wealth ``a0``, ability path ``e`` (T+1, N), end-of-episode wealth ``a_end``,
    discounted utility over the episode ``utility`` and the consumption part of it
    ``utility_c`` (for consumption equivalents).
    """

    params: TaxParams
    env: np.ndarray
    rates: np.ndarray
    cums: np.ndarray
    thresholds: np.ndarray
    policy: np.ndarray
    obs_common: np.ndarray
    end: str  # "truncated" (horizon reached) or "collapse"
    years: int
    seed: int | None = None
    a0: np.ndarray | None = None
    e: np.ndarray | None = None
    a_end: np.ndarray | None = None
    utility: np.ndarray | None = None
    utility_c: np.ndarray | None = None
    aggregates: list[dict[str, float]] = field(default_factory=list)

    @property
    def T(self) -> int:
        return self.env.shape[0]

    def check(self, params: TaxParams) -> None:
        """Raise if this path comes from an economy other than ``params`` describes."""
        mine, theirs = self.params.to_dict(), params.to_dict()
        keys = [
            "income_tax", "bracket_thresholds", "standard_deduction", "consumption_tax", "hours_endowment",
            "crra", "inverse_frisch", "labour_disutility", "consumption_floor", "gdp_per_household",
            "ability_rho", "ability_sigma", "superstar_multiplier", "discount",
        ]  # fmt: skip
        diff = [k for k in keys if mine[k] != theirs[k]]
        if diff:
            raise ValueError(
                "this aggregate path comes from another economy: "
                + ", ".join(f"{k}={mine[k]!r} (path) vs {theirs[k]!r}" for k in diff)
            )


def _const(params: TaxParams, grid: DPGrid) -> np.ndarray:
    c = np.zeros(dp.C_SIZE)
    c[dp.C_TAUC] = params.consumption_tax
    c[dp.C_BETA] = params.discount
    c[dp.C_THETA] = params.crra
    c[dp.C_CHI] = params.labour_disutility
    c[dp.C_ETA] = params.inverse_frisch
    c[dp.C_FLOOR] = params.consumption_floor
    c[dp.C_DED] = params.standard_deduction / params.gdp_per_household
    c[dp.C_MODE] = dp.HSV if params.income_tax == "hsv" else dp.BRACKETS
    c[dp.C_KAPPA] = (1.0 - params.discount) / params.discount if params.crra == 1.0 else 0.0
    c[dp.C_TOLH] = grid.tol_hours
    c[dp.C_NH] = grid.n_hours
    return c


def environment_row(params: TaxParams, r: float, w: float, transfer: float, y_ref: float, a_ref: float,
                    policy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """One year's (env, rates, cums) in y0 units from prices (w per efficiency hour, USD) and policy."""
    y0 = params.gdp_per_household
    thr = np.asarray(params.bracket_thresholds, dtype=np.float64) / y0
    nb = thr.size
    pol = np.asarray(policy, dtype=np.float64)
    row = np.zeros(dp.E_SIZE)
    row[dp.E_R] = r
    row[dp.E_WH] = w * params.hours_endowment / y0
    row[dp.E_TR] = transfer / y0
    row[dp.E_YREF] = y_ref / y0
    row[dp.E_AREF] = a_ref / y0
    if params.income_tax == "hsv":
        tau, xi, tau_a, xi_a = pol[0], pol[1], pol[2], pol[3]
        rates = np.zeros(nb)
    else:
        tau = xi = 0.0
        rates = pol[:nb].copy()
        tau_a, xi_a = pol[nb], pol[nb + 1]
    row[dp.E_TAU], row[dp.E_XI], row[dp.E_TAUA], row[dp.E_XIA] = tau, xi, tau_a, xi_a
    row[dp.E_TAXED] = 1.0 if (tau_a != 0.0 or xi_a != 0.0) else 0.0
    row[dp.E_CAP] = min(1.0, 1.0 + r)
    cum = np.zeros(nb)
    for k in range(1, nb):
        cum[k] = cum[k - 1] + rates[k - 1] * (thr[k] - thr[k - 1])
    return row, rates, cum


# ----------------------------------------------------------------------- recording a path


def _government(government: Any, params: TaxParams):
    from econ_envs.taxai.policies import GovernmentRule, make_government_policy

    if isinstance(government, str):
        return make_government_policy(government, params)
    if isinstance(government, GovernmentRule) or callable(government):
        return government
    raise TypeError(f"government must be a rule name, a GovernmentRule or a callable, got {type(government).__name__}")


def env_params(params: TaxParams, government: Any) -> TaxParams:
    """``params`` with the settings a named government rule needs (e.g. brackets for U.S. federal)."""
    from econ_envs.taxai.policies import GOVERNMENT_RULES

    if isinstance(government, str) and government in GOVERNMENT_RULES:
        over = GOVERNMENT_RULES[government].env_overrides
        if over:
            return params.replace(**over)
    return params


def record_path(
    params: TaxParams,
    government: Any = "us_federal",
    households: Any = "buffer_stock",
    seed: int | None = 0,
    years: int | None = None,
    record_households: bool = True,
) -> AggregatePath:
    """Simulate ``taxai-v0`` and record the aggregate path one household takes as given.

    ``government``: a rule name (``free_market``, ``us_federal``, ``saez``, ``best_hsv``), a
    :class:`~econ_envs.taxai.policies.GovernmentRule` or a callable gov_obs -> policy;
    ``households``: a household rule name, ``"optimal"`` is not accepted here (see
    :func:`equilibrium_path`), or a callable (N, obs_dim) -> (N, 2) (it may have a
    ``reset()`` and a ``year`` attribute, as :class:`OptimalHouseholds` does).
    ``params`` may be any preset; named rules add the settings they need.
    """
    from econ_envs.taxai.env import TaxEnv
    from econ_envs.taxai.policies import make_household_policy

    params = env_params(params, government)
    gov = _government(government, params)
    hh = make_household_policy(households, params)
    env = TaxEnv(params=params)
    eco: TaxEconomy = env.economy
    if hasattr(gov, "reset"):
        gov.reset(seed)
    obs, _ = env.reset_batch(seed=seed)
    first = gov.initial_action(obs["government"][0]) if hasattr(gov, "initial_action") else gov(obs["government"][0])
    if first is not None and not np.allclose(first, 0.0):
        obs, _ = env.reset_batch(seed=seed, options={"policy": np.asarray(first, dtype=np.float64)})
    if hasattr(hh, "reset"):
        hh.reset()
    T = params.episode_length if years is None else int(years)
    n = params.n_households
    y0 = params.gdp_per_household
    beta = params.discount
    rule = params.fiscal_rule_strength
    envs, rates, cums, pols, common, aggs = [], [], [], [], [], []
    e_hist = [eco.state.e.copy()] if record_households else None
    a0 = eco.state.a.copy() if record_households else None
    util = np.zeros(n)
    util_c = np.zeros(n)
    end = "truncated"
    for t in range(T):
        obs = env.batch_observations()
        common.append(np.asarray(obs["household"][0, 2:], dtype=np.float64))
        g_act = np.asarray(gov(obs["government"][0]), dtype=np.float64)
        h_act = hh(obs["household"])
        res = env.step_batch({"government": g_act[None, :], "household": h_act})
        rec = eco.last
        row, rt, cm = environment_row(
            params, rec.r, rec.w, rule * (params.debt_target(rec.K + rec.B, n) - rec.B) / n, rec.y_ref, rec.a_ref,
            rec.policy,
        )
        envs.append(row)
        rates.append(rt)
        cums.append(cm)
        pols.append(np.asarray(rec.policy, dtype=np.float64))
        aggs.append(env.aggregates())
        if record_households:
            disc = beta**t
            util += disc * rec.util
            cu = np.maximum(rec.c / y0, params.consumption_floor)
            util_c += disc * (np.log(cu) if params.crra == 1.0 else cu ** (1 - params.crra) / (1 - params.crra))
            e_hist.append(eco.state.e.copy())
        if res.terminated:
            end = "collapse"
            break
        if res.truncated:
            break
    thr = np.asarray(params.bracket_thresholds, dtype=np.float64) / y0
    return AggregatePath(
        params=params,
        env=np.array(envs),
        rates=np.array(rates),
        cums=np.array(cums),
        thresholds=thr,
        policy=np.array(pols),
        obs_common=np.array(common),
        end=end,
        years=len(envs),
        seed=seed,
        a0=a0 / y0 if record_households else None,
        e=np.array(e_hist) if record_households else None,
        a_end=eco.state.a / y0 if record_households else None,
        utility=util if record_households else None,
        utility_c=util_c if record_households else None,
        aggregates=aggs,
    )


# ------------------------------------------------------------------------ the solution


class AbilityChain:
    """Ability nodes (normal states from Rouwenhorst, then the super-star) and transitions."""

    def __init__(self, params: TaxParams, n: int):
        cal = params.calibration
        nodes, P, stat = dp.rouwenhorst(n, params.ability_rho, params.ability_sigma)
        entry, stay = params.superstar_entry, params.superstar_persistence
        ne = n + 1
        Q = np.zeros((ne, ne))
        Q[:n, :n] = (1.0 - entry) * P
        Q[:n, n] = entry
        Q[n, :n] = (1.0 - stay) * stat
        Q[n, n] = stay
        self.log_nodes = nodes
        self.nodes = np.append(np.exp(nodes), cal.superstar_ability)
        self.P = Q
        self.stationary_normal = stat
        self.star_e = cal.superstar_ability


@dataclass
class BestResponse:
    """Exact best response to an aggregate path: values and policies on the grid, all years.

    ``V[t, k, j]``: value at the start of year t of a household with ability node k and
    wealth grid point j (utils); ``hours``, ``consumption`` (units of y0), ``saving``
    (share of cash on hand) likewise for t < T; index T is the terminal continuation
    (the stationary solution in the last year's environment).
    """

    path: AggregatePath
    grid: DPGrid
    wealth: np.ndarray
    s: float
    chain: AbilityChain
    V: np.ndarray
    Va: np.ndarray
    hours: np.ndarray
    consumption: np.ndarray
    saving: np.ndarray
    mend: np.ndarray
    cend: np.ndarray
    envs: np.ndarray  # T+1 rows (the last repeated for the continuation)
    rates: np.ndarray
    cums: np.ndarray
    const: np.ndarray
    nonmonotone: int
    stationary_iterations: int
    seconds: float
    terminal_change: float = 0.0  # last change of the continuation's infinite-horizon iteration
    terminal_seconds: float = 0.0  # wall time of the continuation's infinite-horizon solve (part of seconds)

    @property
    def T(self) -> int:
        return self.hours.shape[0] - 1

    def act(self, t: int, a: np.ndarray, e: np.ndarray) -> np.ndarray:
        """Actions (saving share of cash on hand, hours share) at year t for wealth a (USD) and ability e."""
        y0 = self.path.params.gdp_per_household
        tt = min(int(t), self.T)
        out = np.empty((np.size(a), 2))
        _act(
            np.ascontiguousarray(a, dtype=np.float64) / y0, np.ascontiguousarray(e, dtype=np.float64),
            self.chain.log_nodes, self.chain.star_e, self.wealth, self.s, self.hours[tt], self.mend[tt],
            self.cend[tt], self.envs[tt], self.rates[tt], self.cums[tt], self.path.thresholds, self.const, out,
        )  # fmt: skip
        return out

    def value(self, t: int, a: np.ndarray, e: np.ndarray) -> np.ndarray:
        """V_t at wealth a (USD) and ability e (interpolated: linear in log ability, transformed in wealth)."""
        y0 = self.path.params.gdp_per_household
        tt = min(int(t), self.T)
        out = np.empty(np.size(a))
        _value(
            np.ascontiguousarray(a, dtype=np.float64) / y0, np.ascontiguousarray(e, dtype=np.float64),
            self.chain.log_nodes, self.chain.star_e, self.wealth, self.s, self.V[tt], self.const[dp.C_KAPPA], out,
        )  # fmt: skip
        return out

    def euler_residuals(self, years: range | None = None) -> dict[str, float]:
        """Euler-equation and hours first-order-condition residuals on the grid's interior.

        Euler: 1 - c_implied / c, c_implied = u'^-1((1 + tau_c) beta E[V_a(a', e')]) at the
        optimal a', with next year's hours interpolated in wealth and its consumption read off
        next year's consumption function at the resulting cash on hand; for states with
        0 < a' < wealth_max and 0 < p < 1, except where a' lies in the grid cell of next
        year's wealth-tax threshold (the HSV wealth tax starts there with a jump in its slope:
        households bunch at the kink and the Euler equation holds only as an inequality).
        Hours: u'(c) dm/dh / (1 + tau_c) / (chi h^eta) - 1 for 0.01 < h < 0.99.
        Reported as log10 of the absolute residual (mean, 99th percentile and max).
        """
        yrs = range(self.T - 1) if years is None else years
        eul, hrs = [], []
        for t in yrs:
            ee, hh = _residuals(
                t, self.wealth, self.s, self.chain.nodes, self.chain.P, self.hours, self.consumption, self.saving,
                self.mend, self.cend, self.envs, self.rates, self.cums, self.path.thresholds, self.const,
            )  # fmt: skip
            eul.append(ee)
            hrs.append(hh)
        e = np.concatenate(eul)
        h = np.concatenate(hrs)
        e = np.log10(np.maximum(np.abs(e[np.isfinite(e)]), 1e-16))
        h = np.log10(np.maximum(np.abs(h[np.isfinite(h)]), 1e-16))
        return {
            "euler_mean_log10": float(e.mean()),
            "euler_p99_log10": float(np.percentile(e, 99)),
            "euler_max_log10": float(e.max()),
            "euler_points": int(e.size),
            "hours_mean_log10": float(h.mean()) if h.size else float("nan"),
            "hours_p99_log10": float(np.percentile(h, 99)) if h.size else float("nan"),
            "hours_points": int(h.size),
        }


@njit(cache=True)
def _ability_weights(e, log_nodes, star_e):
    """(k, w, star): e between normal nodes k and k+1 with weight w on k+1, or the super-star node."""
    if e >= star_e * (1.0 - 1e-6):  # observations are float32
        return log_nodes.size, 0.0, True
    x = math.log(e) if e > 0.0 else -1e300
    n = log_nodes.size
    if x <= log_nodes[0]:
        return 0, 0.0, False
    if x >= log_nodes[n - 1]:
        return n - 2, 1.0, False
    k = int((x - log_nodes[0]) / (log_nodes[1] - log_nodes[0]))
    if k > n - 2:
        k = n - 2
    return k, (x - log_nodes[k]) / (log_nodes[k + 1] - log_nodes[k]), False


@njit(cache=True)
def _interp_a(x, grid, s, row):
    j = dp.grid_index(x, grid, s)
    t = (x - grid[j]) / (grid[j + 1] - grid[j])
    if t > 1.0:
        t = 1.0
    return row[j] + t * (row[j + 1] - row[j])


@njit(cache=True)
def _act(a, e, log_nodes, star_e, grid, s, hours, mend, cend, env, rates, cum, thr, const, out):
    tauc1 = 1.0 + const[dp.C_TAUC]
    ded = const[dp.C_DED]
    mode = int(const[dp.C_MODE])
    for i in range(a.size):
        k, w, star = _ability_weights(e[i], log_nodes, star_e)
        ai = a[i] if a[i] > 0.0 else 0.0
        if star:
            h = _interp_a(ai, grid, s, hours[k])
        else:
            h = (1.0 - w) * _interp_a(ai, grid, s, hours[k]) + w * _interp_a(ai, grid, s, hours[k + 1])
        h = min(max(h, 0.0), 1.0)
        m, _, _ = dp.cash_on_hand(ai, e[i], h, env, rates, cum, thr, ded, mode)
        if star:
            c = dp.interp_c(m, mend[k], cend[k])
        else:
            c = (1.0 - w) * dp.interp_c(m, mend[k], cend[k]) + w * dp.interp_c(m, mend[k + 1], cend[k + 1])
        a_top = grid[grid.size - 1]
        if m - tauc1 * c > a_top:  # the saving cap at the top of the grid, as in the DP
            c = (m - a_top) / tauc1
        if m > 0.0:
            p = 1.0 - tauc1 * c / m
            p = min(max(p, 0.0), 1.0)
        else:
            p = 0.0
        out[i, 0] = p
        out[i, 1] = h


@njit(cache=True)
def _value(a, e, log_nodes, star_e, grid, s, V, kappa, out):
    for i in range(a.size):
        k, w, star = _ability_weights(e[i], log_nodes, star_e)
        ai = a[i] if a[i] > 0.0 else 0.0
        if kappa > 0.0:
            v0 = math.log(max(_interp_a(ai, grid, s, np.exp(kappa * V[k])), 1e-300)) / kappa
            v1 = v0 if star else math.log(max(_interp_a(ai, grid, s, np.exp(kappa * V[k + 1])), 1e-300)) / kappa
        else:
            v0 = _interp_a(ai, grid, s, V[k])
            v1 = v0 if star else _interp_a(ai, grid, s, V[k + 1])
        out[i] = (1.0 - w) * v0 + w * v1


@njit(cache=True)
def _residuals(t, grid, s, nodes, P, hours, cons, saving, mend, cend, envs, rates, cums, thr, const):
    ne, na = hours.shape[1], hours.shape[2]
    tauc1 = 1.0 + const[dp.C_TAUC]
    beta = const[dp.C_BETA]
    theta = const[dp.C_THETA]
    floor = const[dp.C_FLOOR]
    chi = const[dp.C_CHI]
    eta = const[dp.C_ETA]
    ded = const[dp.C_DED]
    mode = int(const[dp.C_MODE])
    eul = np.full(ne * na, np.nan)
    hrs = np.full(ne * na, np.nan)
    a_max = grid[na - 1]
    env1 = envs[t + 1]
    kink = 0.0  # wealth where next year's wealth tax starts (HSV break-even): its slope jumps there
    if env1[dp.E_TAXED] != 0.0 and env1[dp.E_XIA] > 0.0 and env1[dp.E_TAUA] < 1.0:
        kink = env1[dp.E_AREF] * (1.0 - env1[dp.E_TAUA]) ** (1.0 / env1[dp.E_XIA])
    for i in range(ne):
        for j in range(1, na - 1):
            h = hours[t, i, j]
            c = cons[t, i, j]
            p = saving[t, i, j]
            m, _, mh = dp.cash_on_hand(grid[j], nodes[i], h, envs[t], rates[t], cums[t], thr, ded, mode)
            if c <= floor or m <= 0.0:
                continue
            if 0.01 < h < 0.99 and mh > 0.0:
                hrs[i * na + j] = dp.marginal_u(c, theta, floor) * mh / tauc1 / (chi * h**eta) - 1.0
            ap = p * m
            if not (1e-9 < p < 1.0 - 1e-9) or ap >= a_max or ap <= grid[1]:
                continue
            if kink > 0.0:  # a' in the grid cell of next year's wealth-tax threshold: a kink, no Euler equation
                jk = dp.grid_index(ap, grid, s)
                if grid[jk] <= kink <= grid[jk + 1]:
                    continue
            ev = 0.0
            for q in range(ne):
                pq = P[i, q]
                if pq == 0.0:
                    continue
                h1 = min(max(_interp_a(ap, grid, s, hours[t + 1, q]), 0.0), 1.0)
                m1, _, _ = dp.cash_on_hand(ap, nodes[q], h1, envs[t + 1], rates[t + 1], cums[t + 1], thr, ded, mode)
                c1 = min(max(dp.interp_c(m1, mend[t + 1, q], cend[t + 1, q]), 0.0), m1 / tauc1)
                ev += pq * dp.marginal_value(ap, nodes[q], h1, c1, envs[t + 1], rates[t + 1], cums[t + 1], thr, const)
            if ev <= 0.0:
                continue
            c_impl = (tauc1 * beta * ev) ** (-1.0 / theta)
            eul[i * na + j] = 1.0 - c_impl / c
    return eul, hrs


def _initial_guess(chain: AbilityChain, wealth: np.ndarray, env: np.ndarray, const: np.ndarray):
    """A start for the infinite-horizon iteration: consume interest and a third of full-time pay."""
    beta = const[dp.C_BETA]
    tauc1 = 1.0 + const[dp.C_TAUC]
    r = max(env[dp.E_R], 0.005)
    inc = r * wealth[None, :] + env[dp.E_WH] * chain.nodes[:, None] / 3.0 + max(env[dp.E_TR], 0.0)
    c = np.maximum(inc / tauc1, 1e-3)
    theta = const[dp.C_THETA]
    u = np.log(c) if theta == 1.0 else (c ** (1 - theta) - 1) / (1 - theta)
    V = (u - const[dp.C_CHI] / 3.0 ** (1 + const[dp.C_ETA]) / (1 + const[dp.C_ETA])) / (1.0 - beta)
    Va = c ** (-theta) / tauc1 * (1.0 + r)
    return np.ascontiguousarray(V), np.ascontiguousarray(Va)


@dataclass
class StationarySolution:
    """Infinite-horizon household solution in a constant environment (one year's prices and policy)."""

    V: np.ndarray
    Va: np.ndarray
    hours: np.ndarray
    consumption: np.ndarray
    saving: np.ndarray
    mend: np.ndarray
    cend: np.ndarray
    iterations: int
    policy_change: float
    value_change: float


def _converged(grid: DPGrid, dpol: float, dval: float) -> bool:
    return dval < grid.tol_stationary and dpol < _policy_tol(grid)


def _policy_tol(grid: DPGrid) -> float:
    # hours are solved to tol_hours, so they move by that much between iterations; consumption (relative to
    # 1 + c, units of y0) converges slowly at the top of the grid when beta (1 + r) > 1 (wealth keeps growing)
    return 10.0 * grid.tol_hours + 100.0 * grid.tol_stationary


def solve_stationary(
    params: TaxParams, grid: DPGrid, chain: AbilityChain, wealth: np.ndarray, s: float, env: np.ndarray,
    rates: np.ndarray, cum: np.ndarray, thr: np.ndarray, warm: StationarySolution | None = None,
    strict: bool = True,
) -> StationarySolution:  # fmt: skip
    """The stationary solution with ``env`` forever (time iteration + Howard steps).

    Not converged within ``grid.max_stationary_iterations``: a ``RuntimeError`` if ``strict``,
    else the last iterate (its ``policy_change``/``value_change`` say how far it is), unless
    it is not finite.
    """
    const = _const(params, grid)
    ne, na = chain.nodes.size, wealth.size
    if warm is None:
        V, Va = _initial_guess(chain, wealth, env, const)
        h = np.zeros((ne, na))
        c = np.zeros((ne, na))
    else:
        V, Va = warm.V.copy(), warm.Va.copy()
        h, c = warm.hours.copy(), warm.consumption.copy()
    p = np.zeros((ne, na))
    mend = np.zeros((ne, na + 1))
    cend = np.zeros((ne, na + 1))
    it, dpol, dval = dp.stationary(
        V, Va, chain.P, chain.nodes, wealth, s, env, rates, cum, thr, const, h, c, p, mend, cend,
        grid.tol_stationary, _policy_tol(grid), grid.max_stationary_iterations,
        grid.howard_steps,
    )  # fmt: skip
    finite = np.isfinite(V).all() and np.isfinite(Va).all() and np.isfinite(c).all()
    if not finite or (strict and not _converged(grid, dpol, dval)):
        raise RuntimeError(
            f"the infinite-horizon household problem did not converge in {it} iterations "
            f"(policy change {dpol:.3g}, value change {dval:.3g}; tolerance {grid.tol_stationary:g})"
        )
    return StationarySolution(V, Va, h, c, p, mend, cend, int(it), float(dpol), float(dval))


def best_response(path: AggregatePath, grid: DPGrid | None = None, params: TaxParams | None = None) -> BestResponse:
    """Solve one household's problem backward over the path's years (the exact best response).

    The continuation after the last simulated year (the horizon, or a collapse) is the
    stationary solution in that year's environment: the household's life goes on, as the
    RL learners' truncation bootstraps it (see the family manual). ``params`` (optional)
    is checked against the path's economy.
    """
    grid = DPGrid() if grid is None else grid
    if not isinstance(path, AggregatePath):
        raise TypeError(f"path must be an AggregatePath (from record_path), got {type(path).__name__}")
    if params is not None:
        path.check(params)
    prm = path.params
    if prm.household_collapse != "truncation":
        raise ValueError(
            "the household DP continues a household's life after the simulation ends (truncation); "
            f"household_collapse={prm.household_collapse!r} ends it at a collapse, which it does not model"
        )
    if path.T < 1:
        raise ValueError("the aggregate path is empty")
    if not np.all(np.isfinite(path.env)):
        raise ValueError("the aggregate path has non-finite prices or policies")
    t0 = time.perf_counter()
    wealth, s = dp.wealth_grid(grid.n_wealth, grid.wealth_max, grid.wealth_first)
    chain = AbilityChain(prm, grid.n_ability)
    const = _const(prm, grid)
    T = path.T
    envs = np.vstack([path.env, path.env[-1:]])
    rates = np.vstack([path.rates, path.rates[-1:]])
    cums = np.vstack([path.cums, path.cums[-1:]])
    thr = path.thresholds
    # the continuation only shapes the last years; accept a slowly converging one (its change is recorded)
    t_term = time.perf_counter()
    term = solve_stationary(prm, grid, chain, wealth, s, envs[T], rates[T], cums[T], thr, strict=False)
    t_term = time.perf_counter() - t_term
    ne, na = chain.nodes.size, wealth.size
    V = np.empty((T + 1, ne, na))
    Va = np.empty((T + 1, ne, na))
    hours = np.empty((T + 1, ne, na))
    cons = np.empty((T + 1, ne, na))
    saving = np.empty((T + 1, ne, na))
    mend = np.empty((T + 1, ne, na + 1))
    cend = np.empty((T + 1, ne, na + 1))
    hours[T], cons[T], saving[T], mend[T], cend[T] = term.hours, term.consumption, term.saving, term.mend, term.cend
    bad = dp.backward(
        term.V, term.Va, chain.P, chain.nodes, wealth, s, np.ascontiguousarray(path.env),
        np.ascontiguousarray(path.rates), np.ascontiguousarray(path.cums), thr, const,
        V, Va, hours, cons, saving, mend, cend,
    )  # fmt: skip
    return BestResponse(
        path=path, grid=grid, wealth=wealth, s=s, chain=chain, V=V, Va=Va, hours=hours, consumption=cons,
        saving=saving, mend=mend, cend=cend, envs=envs, rates=rates, cums=cums, const=const,
        nonmonotone=int(bad), stationary_iterations=term.iterations, seconds=time.perf_counter() - t0,
        terminal_change=max(term.policy_change, term.value_change), terminal_seconds=t_term,
    )  # fmt: skip


# ------------------------------------------------------------------ simulation on a path


@njit(cache=True)
def _household_year(a, e, actions, env, rates, cum, thr, const, a_next, util, util_c):
    """One year of the env's household budget for households taking the path's prices as given."""
    tauc1 = 1.0 + const[dp.C_TAUC]
    ded = const[dp.C_DED]
    mode = int(const[dp.C_MODE])
    theta = const[dp.C_THETA]
    floor = const[dp.C_FLOOR]
    chi = const[dp.C_CHI]
    eta = const[dp.C_ETA]
    for i in range(a.size):
        p = min(max(actions[i, 0], 0.0), 1.0)
        h = min(max(actions[i, 1], 0.0), 1.0)
        m, _, _ = dp.cash_on_hand(a[i], e[i], h, env, rates, cum, thr, ded, mode)
        c = (1.0 - p) * m / tauc1
        a_next[i] = p * m
        uc = dp.utility_c(c, theta, floor)
        util_c[i] = uc
        util[i] = uc - dp.disutility(h, chi, eta)


def ability_paths(params: TaxParams, e0: np.ndarray, years: int, seed: int | None = 0,
                  log_e0: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """Ability paths (years+1, M) from the env's own ability process (``kernels.next_ability``).

    ``e0``: initial abilities (a super-star has exactly the super-star ability); ``log_e0``
    the normal-state log ability (defaults to log e0 for normal households, 0 for stars).
    """
    e0 = np.asarray(e0, dtype=np.float64)
    eco = TaxEconomy(params.replace(n_households=max(10, params.n_households)))
    star_e = params.calibration.superstar_ability
    star = e0 >= star_e * (1.0 - 1e-9)
    log_e = np.where(star, 0.0, np.log(np.maximum(e0, 1e-300))) if log_e0 is None else np.asarray(log_e0, float)
    rng = np.random.default_rng(seed)
    out = np.empty((years + 1, e0.size))
    out[0] = e0
    n = e0.size
    new_log = np.empty(n)
    new_e = np.empty(n)
    new_star = np.empty(n, dtype=np.bool_)
    for t in range(years):
        extra = n // 32 + 64 + 2 * int(star.sum())
        while True:
            raw = rng.bit_generator.random_raw(n + extra)
            _, used = kr.next_ability(raw, log_e, star, int(star.sum()), eco.kp, False, new_log, new_e, new_star)
            if used >= 0:
                break
            extra = 4 * extra + n
        log_e = new_log.copy()
        star = new_star.copy()
        out[t + 1] = new_e
    return out


def _obs_rows(path: AggregatePath, t: int, a: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Household observations (as the env builds them, float32) for wealth a (y0 units) and ability e."""
    obs = np.empty((a.size, 2 + N_COMMON), dtype=np.float32)
    obs[:, 0] = a
    obs[:, 1] = e
    obs[:, 2:] = path.obs_common[min(t, path.T - 1)][None, :]
    return obs


def simulate_on_path(path: AggregatePath, policy: Any, a0: np.ndarray, e: np.ndarray,
                     terminal: BestResponse | None = None) -> dict[str, np.ndarray]:  # fmt: skip
    """Households following ``policy`` on the path's prices (they do not move the aggregates).

    ``policy``: a :class:`BestResponse` (acts by year, wealth and ability), an object with
    ``act(t, a_usd, e)``, or a household rule / callable on observations (N, obs_dim) ->
    (N, 2). ``a0`` initial wealth in y0 units, ``e`` ability paths (T+1, M) (e.g. a path's
    recorded ``e`` or :func:`ability_paths`). Returns per household: ``utility`` (discounted
    over the path's years), ``utility_c`` (its consumption part), ``a_end`` (y0 units) and,
    with ``terminal``, ``value`` = utility + beta^T V_T(a_end, e_T).
    """
    prm = path.params
    y0 = prm.gdp_per_household
    const = _const(prm, DPGrid())
    beta = prm.discount
    T = path.T
    e = np.asarray(e, dtype=np.float64)
    if e.ndim != 2 or e.shape[0] < T + 1 or e.shape[1] != np.size(a0):
        raise ValueError(f"ability paths must have shape ({T + 1}, {np.size(a0)}), got {e.shape}")
    a = np.asarray(a0, dtype=np.float64).copy()
    n = a.size
    util = np.zeros(n)
    util_c = np.zeros(n)
    u_t = np.empty(n)
    uc_t = np.empty(n)
    a_next = np.empty(n)
    act = getattr(policy, "act", None)
    if isinstance(policy, BestResponse):
        act_fn = lambda t, a_, e_: policy.act(t, a_ * y0, e_)  # noqa: E731
    elif act is not None and not hasattr(policy, "params"):
        act_fn = lambda t, a_, e_: act(t, a_ * y0, e_)  # noqa: E731
    elif callable(policy):
        act_fn = lambda t, a_, e_: np.asarray(policy(_obs_rows(path, t, a_, e_)), dtype=np.float64)  # noqa: E731
    else:
        raise TypeError(f"policy must be a BestResponse, an object with act(t, a, e) or a callable, got {policy!r}")
    for t in range(T):
        actions = np.ascontiguousarray(act_fn(t, a, e[t]), dtype=np.float64)
        if actions.shape != (n, 2):
            raise ValueError(f"the household policy returned shape {actions.shape}, expected ({n}, 2)")
        _household_year(a, e[t], actions, path.env[t], path.rates[t], path.cums[t], path.thresholds, const,
                        a_next, u_t, uc_t)  # fmt: skip
        disc = beta**t
        util += disc * u_t
        util_c += disc * uc_t
        a, a_next = a_next, a
    out = {"utility": util, "utility_c": util_c, "a_end": a.copy()}
    if terminal is not None:
        out["value"] = util + beta**T * terminal.value(T, a * y0, e[T])
    return out


# -------------------------------------------------------------------------- exploitability


@dataclass
class Exploitability:
    """Population-average gain of one household switching alone to the exact best response.

    ``gain``: utils (expected discounted, the episode plus the common continuation);
    ``gain_per_year``: that gain as an annuity over the episode's years, utils/yr;
    ``consumption_equivalent``: the uniform rise in the profile's consumption in every
    episode year (a fraction: 0.01 = 1 %) that gives the profile's households the best
    response's average value; ``standard_error`` of ``gain`` across households.
    """

    gain: float
    gain_per_year: float
    consumption_equivalent: float
    standard_error: float
    households: int
    years: int
    profile_value: float
    best_response_value: float

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.__dict__.items()}


def consumption_equivalent(gain: float, utility_c: float, params: TaxParams, years: int) -> float:
    """Uniform rise lambda in consumption over ``years`` worth ``gain`` utils (average household).

    Log utility: log(1 + lambda) sum_{t<T} beta^t = gain. CRRA theta != 1: (1+lambda)^(1-theta)
    scales the consumption part ``utility_c`` + sum beta^t / (1 - theta).
    """
    beta = params.discount
    annuity = (1.0 - beta**years) / (1.0 - beta)
    theta = params.crra
    if theta == 1.0:
        return math.exp(gain / annuity) - 1.0
    base = utility_c + annuity / (1.0 - theta)  # sum beta^t c^(1-theta)/(1-theta)
    if base == 0.0:
        return float("nan")
    ratio = 1.0 + gain / base
    return ratio ** (1.0 / (1.0 - theta)) - 1.0 if ratio > 0 else float("inf")


def household_exploitability(path: AggregatePath, br: BestResponse | None = None,
                             grid: DPGrid | None = None) -> Exploitability:  # fmt: skip
    """Exploitability of the household profile that produced ``path`` (recorded with households).

    For every simulated household i: the best response's realised value on the same
    ability shocks (the path's recorded ``e``) minus the profile's realised value, both
    with the common continuation beta^T V_T; averaged over households (the deviator is one
    household, so the aggregates do not move). See the family manual for the formula.
    """
    if path.a0 is None or path.e is None or path.utility is None:
        raise ValueError("the path has no household records; record it with record_households=True")
    br = best_response(path, grid) if br is None else br
    if br.path is not path and not (br.path.T == path.T and np.array_equal(br.path.env, path.env)):
        raise ValueError("the best response was solved on another aggregate path")
    prm = path.params
    y0 = prm.gdp_per_household
    T = path.T
    beta = prm.discount
    dev = simulate_on_path(path, br, path.a0, path.e, terminal=br)
    prof = path.utility + beta**T * br.value(T, path.a_end * y0, path.e[T])
    gains = dev["value"] - prof
    gain = float(gains.mean())
    annuity = (1.0 - beta**T) / (1.0 - beta)
    ce = consumption_equivalent(gain, float(path.utility_c.mean()), prm, T)
    return Exploitability(
        gain=gain,
        gain_per_year=gain / annuity,
        consumption_equivalent=ce,
        standard_error=float(gains.std(ddof=1) / math.sqrt(gains.size)) if gains.size > 1 else float("nan"),
        households=int(gains.size),
        years=T,
        profile_value=float(prof.mean()),
        best_response_value=float(dev["value"].mean()),
    )


# ------------------------------------------------------------------- optimal households


class OptimalHouseholds:
    """Households that follow a :class:`BestResponse`: a household policy on observations.

    Maps household observations (N, obs_dim) to actions (N, 2) by year: it counts its
    calls (one per year; :meth:`reset` at the start of an episode) and reads each
    household's wealth and ability from the observation. After the solved years it
    keeps the stationary continuation policy.
    """

    name = "optimal"

    def __init__(self, br: BestResponse):
        self.br = br
        self.y0 = br.path.params.gdp_per_household
        self.year = 0

    def reset(self, seed: int | None = None) -> None:
        self.year = 0

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        x = np.asarray(obs, dtype=np.float64)
        single = x.ndim == 1
        x = x[None, :] if single else x
        if x.ndim != 2 or x.shape[1] != 2 + N_COMMON:
            raise ValueError(f"household observations must have shape (N, {2 + N_COMMON}), got {np.shape(obs)}")
        out = self.br.act(self.year, x[:, 0] * self.y0, x[:, 1])
        self.year += 1
        return out[0] if single else out


@dataclass
class Equilibrium:
    """A perfect-foresight equilibrium path with optimal households (see :func:`equilibrium_path`)."""

    path: AggregatePath
    best_response: BestResponse
    iterations: int
    distance: float
    converged: bool
    exploitability: Exploitability
    seconds: float
    history: list[float]

    def households(self) -> OptimalHouseholds:
        return OptimalHouseholds(self.best_response)


def path_distance(a: AggregatePath, b: AggregatePath) -> float:
    """Largest change between two paths in what a household's problem depends on: interest rate
    (fraction/yr), wage (relative), transfer (y0), bracket rates and - where the schedule uses them
    (HSV progressivity xi != 0, a progressive wealth tax) - the income and wealth references
    (relative). Infinite if their lengths differ."""
    if a.T != b.T:
        return float("inf")
    ea, eb = a.env, b.env
    d = float(np.abs(ea[:, dp.E_R] - eb[:, dp.E_R]).max())
    cols = [dp.E_WH]
    if np.any(ea[:, dp.E_XI] != 0.0) or np.any(eb[:, dp.E_XI] != 0.0):
        cols.append(dp.E_YREF)
    if np.any((ea[:, dp.E_TAXED] != 0.0) & (ea[:, dp.E_XIA] != 0.0)):
        cols.append(dp.E_AREF)
    for col in cols:
        d = max(d, float((np.abs(ea[:, col] - eb[:, col]) / np.maximum(np.abs(eb[:, col]), 1e-9)).max()))
    d = max(d, float(np.abs(ea[:, dp.E_TR] - eb[:, dp.E_TR]).max()))
    d = max(d, float(np.abs(a.rates - b.rates).max()) if a.rates.size else 0.0)
    d = max(d, float(np.abs(ea[:, dp.E_TAU:dp.E_XIA + 1] - eb[:, dp.E_TAU:dp.E_XIA + 1]).max()))
    return float(d)


_PATH_COLS = (dp.E_R, dp.E_WH, dp.E_TR, dp.E_YREF, dp.E_AREF)


def _path_vector(p: AggregatePath) -> np.ndarray:
    return np.concatenate([p.env[:, list(_PATH_COLS)].ravel(), p.rates.ravel()])


def _with_vector(template: AggregatePath, x: np.ndarray) -> AggregatePath:
    """A copy of ``template`` whose prices, transfers, references and bracket rates are ``x``."""
    out = AggregatePath(**{**template.__dict__})
    T = template.T
    k = len(_PATH_COLS)
    env = template.env.copy()
    env[:, list(_PATH_COLS)] = x[: T * k].reshape(T, k)
    env[:, dp.E_YREF] = np.maximum(env[:, dp.E_YREF], 1e-9)
    env[:, dp.E_AREF] = np.maximum(env[:, dp.E_AREF], 1e-9)
    env[:, dp.E_WH] = np.maximum(env[:, dp.E_WH], 1e-12)
    env[:, dp.E_CAP] = np.minimum(1.0, 1.0 + env[:, dp.E_R])
    out.env = env
    nb = template.rates.shape[1]
    rates = np.clip(x[T * k :].reshape(T, nb), 0.0, 1.0)
    out.rates = rates
    thr = template.thresholds
    cums = np.zeros_like(rates)
    for j in range(1, nb):
        cums[:, j] = cums[:, j - 1] + rates[:, j - 1] * (thr[j] - thr[j - 1])
    out.cums = cums
    return out


class _Anderson:
    """Anderson acceleration (type II, memory ``m``) of the fixed point x = g(x), with mixing ``beta``."""

    def __init__(self, m: int = 5, beta: float = 0.5):
        self.m, self.beta = m, beta
        self.xs: list[np.ndarray] = []
        self.fs: list[np.ndarray] = []

    def reset(self) -> None:
        self.xs, self.fs = [], []

    def step(self, x: np.ndarray, gx: np.ndarray) -> np.ndarray:
        f = gx - x
        self.xs.append(x)
        self.fs.append(f)
        if len(self.xs) > self.m + 1:
            self.xs.pop(0)
            self.fs.pop(0)
        if len(self.xs) == 1:
            return x + self.beta * f
        dF = np.array([self.fs[i + 1] - self.fs[i] for i in range(len(self.fs) - 1)]).T
        dX = np.array([self.xs[i + 1] - self.xs[i] for i in range(len(self.xs) - 1)]).T
        gamma, *_ = np.linalg.lstsq(dF, f, rcond=None)
        return x + self.beta * f - (dX + self.beta * dF) @ gamma


def equilibrium_path(
    params: TaxParams,
    government: Any = "us_federal",
    seed: int | None = 0,
    grid: DPGrid | None = None,
    tol: float = 1e-3,
    tol_ce: float = 1e-4,
    check_below: float = 0.01,
    max_iterations: int = 30,
    damping: float = 0.5,
    anderson: int = 5,
    start: Any = "buffer_stock",
    progress: Callable[[int, float], None] | None = None,
) -> Equilibrium:
    """Perfect-foresight equilibrium of the simulated economy with optimal households.

    Every household best-responds to the whole path of prices, transfers, tax references
    and policy, and that path is the one their choices produce in the real env (same seed,
    so the same shocks), with the government rule reacting as it does in a simulation.
    Fixed-point iteration: simulate -> solve the DP on the path -> simulate with the DP
    households -> ..., the next path to solve on mixed from the last ones by Anderson
    acceleration (memory ``anderson``, mixing ``damping``), until the path moves by less than ``tol``
    (:func:`path_distance`) or - checked once it moves by less than ``check_below`` - the
    households' exploitability on the path they produced is below ``tol_ce`` (a consumption-
    equivalent fraction: 1e-4 = 0.01 %), an epsilon-equilibrium in the economist's unit. (An
    adaptive government such as Saez moves its rates in discrete steps, so its path need not
    settle to ``tol`` even when the households are best-responding.) Works for stationary
    governments and for adaptive ones (Saez,
    a learned policy): households foresee the policy path the rule produces. The result
    carries the exploitability of the final households on the final path (~0 in equilibrium).
    """
    grid = DPGrid() if grid is None else grid
    if not (0.0 < damping <= 1.0):
        raise ValueError(f"damping must be in (0, 1], got {damping}")
    t0 = time.perf_counter()
    path = record_path(params, government, start, seed)
    target = path
    hist: list[float] = []
    br = best_response(target, grid)
    dist = float("inf")
    it = 0
    expl: Exploitability | None = None
    converged = False
    accel = _Anderson(m=anderson, beta=damping)
    path_prev = path
    for it in range(1, max_iterations + 1):
        new = record_path(params, government, OptimalHouseholds(br), seed)
        dist = path_distance(new, target)
        hist.append(dist)
        path = new
        expl = None
        if dist < tol:
            converged = True
        elif dist < check_below:  # close: are the households already best-responding to the path they made?
            expl = household_exploitability(new, best_response(new, grid))
            converged = abs(expl.consumption_equivalent) < tol_ce
        if progress is not None:
            progress(it, dist)
        if converged:
            break
        if new.T != target.T:  # a collapse moved the horizon: restart the acceleration from the new path
            accel.reset()
            target = new
        else:
            x_old, x_new = _path_vector(target), _path_vector(new)
            x = accel.step(x_old, x_new)
            # bound the extrapolation: at most one step beyond the range of the last two paths
            lo, hi = np.minimum(x_old, x_new), np.maximum(x_old, x_new)
            x = np.clip(x, lo - (hi - lo), hi + (hi - lo))
            target = _with_vector(new, x)
        try:
            br = best_response(target, grid)
        except RuntimeError:  # an extrapolated path the household problem cannot solve: plain damping instead
            accel.reset()
            target = _with_vector(new, damping * _path_vector(new) + (1 - damping) * _path_vector(path_prev))
            br = best_response(target, grid)
        path_prev = new
    if expl is None:
        expl = household_exploitability(path, best_response(path, grid))
    br_final = br  # the solution the households followed to produce ``path``
    return Equilibrium(
        path=path, best_response=br_final, iterations=it, distance=dist, converged=converged,
        exploitability=expl, seconds=time.perf_counter() - t0, history=hist,
    )  # fmt: skip


# ----------------------------------------------------------- anticipated-utility households


def _row_distance(a: np.ndarray, b: np.ndarray) -> float:
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1.0)
    scale[dp.E_R] = 1.0
    scale[dp.E_TR] = 1.0
    return float(np.max(np.abs(a - b) / scale))


class AnticipatedUtilityHouseholds:
    """Optimal households that take this year's environment as permanent (anticipated utility).

    Each year every household follows the infinite-horizon optimal policy for the
    prices, transfer, tax references and policy it faces now, as if they lasted forever
    (Kreps 1998; Cogley & Sargent 2008): the concept for a government whose future
    actions households cannot foresee (a learning government). The solution is reused
    while the environment moves by less than ``resolve_tol`` (relative, absolute for the
    interest rate and transfer) and re-solved, warm-started, otherwise.

    Two sources of the environment: ``env`` (a ``TaxEnv``; exact - the policy in force,
    its references and this year's rule transfer, with last year's prices), or, without
    ``env``, the household observations (HSV schedules only: tau, xi, tau_a, xi_a are
    recovered exactly from the observed average and marginal rates; last year's prices
    and mean transfer) - the form a frozen RLlib module can use.
    """

    name = "optimal"

    def __init__(self, params: TaxParams, env: Any = None, grid: DPGrid | None = None, resolve_tol: float = 1e-3):
        self.params = params
        self.env = env
        self.grid = DPGrid() if grid is None else grid
        if not (0.0 <= resolve_tol <= 0.1):
            raise ValueError(f"resolve_tol must be in [0, 0.1], got {resolve_tol}")
        self.resolve_tol = resolve_tol
        self.wealth, self.s = dp.wealth_grid(self.grid.n_wealth, self.grid.wealth_max, self.grid.wealth_first)
        self.chain = AbilityChain(params, self.grid.n_ability)
        self.const = _const(params, self.grid)
        self.thr = np.asarray(params.bracket_thresholds, dtype=np.float64) / params.gdp_per_household
        self.solutions: list[tuple[np.ndarray, StationarySolution]] = []
        self.solves = 0
        self.unconverged = 0
        self.solve_seconds = 0.0

    def reset(self, seed: int | None = None) -> None:
        """Nothing to forget between episodes (solutions are kept as warm starts)."""

    def _solution(self, row: np.ndarray, rates: np.ndarray, cum: np.ndarray) -> StationarySolution:
        best, near = float("inf"), None
        for r0, sol in self.solutions:
            d = _row_distance(row, r0)
            if d < best:
                best, near = d, sol
        if near is not None and best <= self.resolve_tol:
            return near
        t0 = time.perf_counter()
        # not strict: where bunching at a tax kink makes the iteration cycle (some progressive wealth taxes), the
        # households follow the last iterate; ``unconverged`` counts those solves (its changes are in the solution)
        sol = solve_stationary(self.params, self.grid, self.chain, self.wealth, self.s, row, rates, cum, self.thr,
                               warm=near, strict=False)  # fmt: skip
        self.solve_seconds += time.perf_counter() - t0
        self.solves += 1
        self.unconverged += int(not _converged(self.grid, sol.policy_change, sol.value_change))
        self.solutions.append((row.copy(), sol))
        if len(self.solutions) > 64:
            self.solutions.pop(0)
        return sol

    def _rows_from_env(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        eco = self.env.economy
        st = eco.state
        if st is None:
            raise RuntimeError("call reset() first")
        p = self.params
        n = p.n_households
        tr = p.fiscal_rule_strength * (p.debt_target(st.K + st.B, n) - st.B) / n
        return environment_row(p, st.prev_r, st.prev_w, tr, st.y_ref, st.a_ref, st.policy)

    def _rows_from_obs(self, common: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p = self.params
        if p.income_tax != "hsv":
            raise ValueError(
                "optimal households read HSV schedules from their observations; with income_tax='brackets' "
                "give them the env (AnticipatedUtilityHouseholds(params, env=env))"
            )
        ni = kr.INCOME_POINTS.size
        i1 = int(np.where(kr.INCOME_POINTS == 1.0)[0][0])
        c = np.asarray(common, dtype=np.float64)
        tau = c[i1]
        mtr = c[ni + i1]
        xi = 1.0 - (1.0 - mtr) / (1.0 - tau) if tau < 1.0 else 0.0
        w1, w10 = c[2 * ni], c[2 * ni + 1]
        tau_a = max(w1, 0.0)
        xi_a = -np.log10(max(1.0 - w10, 1e-12) / max(1.0 - tau_a, 1e-12)) if w10 > 0.0 else 0.0
        g = c[2 * ni + 2]
        nf = kr.N_POLICY_FEATURES
        y0 = p.gdp_per_household
        mean_wealth, mean_income, wage_index, r, _, transfer = c[nf : nf + 6]
        low, high = p.policy_bounds()
        pol = np.clip([tau, max(xi, 0.0), tau_a, max(xi_a, 0.0), g], low, high)
        return environment_row(p, r, wage_index * p.calibration.w0, transfer * y0, mean_income * y0,
                               mean_wealth * y0, pol)  # fmt: skip

    def _groups(self, obs: np.ndarray) -> tuple[np.ndarray, bool, list]:
        x = np.asarray(obs, dtype=np.float64)
        single = x.ndim == 1
        x = x[None, :] if single else x
        if x.ndim != 2 or x.shape[1] != 2 + N_COMMON:
            raise ValueError(f"household observations must have shape (N, {2 + N_COMMON}), got {np.shape(obs)}")
        if self.env is not None:
            groups = [(np.arange(x.shape[0]), self._rows_from_env())]
        else:
            keys, inv = np.unique(x[:, 2:], axis=0, return_inverse=True)
            groups = [(np.flatnonzero(inv.ravel() == k), self._rows_from_obs(keys[k])) for k in range(keys.shape[0])]
        return x, single, groups

    def values(self, obs: np.ndarray) -> np.ndarray:
        """V(a, e) of each observed household: its expected discounted utility (the env's reward, discounted
        at ``params.discount``) under the optimal policy, the environment it faces taken as permanent."""
        x, single, groups = self._groups(obs)
        out = np.empty(x.shape[0])
        for idx, (row, rates, cum) in groups:
            sol = self._solution(row, rates, cum)
            part = np.empty(idx.size)
            _value(
                np.ascontiguousarray(x[idx, 0]), np.ascontiguousarray(x[idx, 1]), self.chain.log_nodes,
                self.chain.star_e, self.wealth, self.s, sol.V, self.const[dp.C_KAPPA], part,
            )  # fmt: skip
            out[idx] = part
        return out[:1] if single else out

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        x, single, groups = self._groups(obs)
        out = np.empty((x.shape[0], 2))
        for idx, (row, rates, cum) in groups:
            sol = self._solution(row, rates, cum)
            part = np.empty((idx.size, 2))
            _act(
                np.ascontiguousarray(x[idx, 0]), np.ascontiguousarray(x[idx, 1]), self.chain.log_nodes,
                self.chain.star_e, self.wealth, self.s, sol.hours, sol.mend, sol.cend, row, rates, cum, self.thr,
                self.const, part,
            )  # fmt: skip
            out[idx] = part
        return out[0] if single else out


# ------------------------------------------------------------ stationary (Aiyagari) equilibrium


@dataclass
class StationaryEquilibrium:
    """Aiyagari steady state of ``taxai-v0`` with optimal households under a stationary policy.

    Prices clear the asset market (household wealth = capital + government debt) with
    competitive r and w; debt, transfer and the tax references are constant: the fiscal rule's
    transfer phi (B* - B)/N balances the budget (r B + G + transfers = taxes), the HSV
    references are mean income and mean wealth. Per household, money in USD.
    """

    interest_rate: float
    wage: float
    transfer: float
    capital_output: float
    debt_output: float
    gdp_per_household: float
    saving_rate: float
    hours_per_household: float
    wealth_gini: float
    income_gini: float
    social_welfare: float
    distribution: np.ndarray
    solution: StationarySolution
    iterations: int
    residual: float
    seconds: float

    def summary(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.__dict__.items() if isinstance(v, (int, float))}


def _gini_weighted(x: np.ndarray, w: np.ndarray) -> float:
    o = np.argsort(x)
    x, w = np.maximum(x[o], 0.0), w[o]
    cw = np.cumsum(w)
    cx = np.cumsum(x * w)
    if cx[-1] <= 0:
        return 0.0
    # area under the Lorenz curve by trapezoids over population shares
    lor = cx / cx[-1]
    pop = cw / cw[-1]
    area = np.sum((pop - np.concatenate([[0.0], pop[:-1]])) * (lor + np.concatenate([[0.0], lor[:-1]]))) / 2
    return float(1.0 - 2.0 * area)


def stationary_equilibrium(
    params: TaxParams,
    policy: np.ndarray,
    grid: DPGrid | None = None,
    tol: float = 1e-3,
    tol_r: float = 1e-4,
    max_iterations: int = 30,
    verbose: bool = False,
) -> StationaryEquilibrium:
    """The stationary equilibrium under a fixed government ``policy`` (natural units, as the env's action).

    Optimal households (infinite horizon, warm-started) and their stationary distribution
    (Young's method) at guesses of (r, transfer, income reference, wealth reference) give the
    excess asset supply A - K(r) - B (capital demanded at r, debt B = B* - N tr / phi from the
    rule), the budget-balancing transfer and the references; r by bisection on the excess supply
    to ``tol_r``, the others by substitution, then a few evaluations at the final r until the
    transfer and references move by less than ``tol`` (relative; absolute in y0 for the transfer).
    Needs a fiscal rule (``fiscal_rule_strength`` > 0): without one, steady-state debt is
    undetermined.
    """
    grid = DPGrid() if grid is None else grid
    if params.fiscal_rule_strength <= 0:
        raise ValueError("stationary_equilibrium needs fiscal_rule_strength > 0 (steady-state debt is undetermined)")
    pol = np.asarray(policy, dtype=np.float64)
    low, high = params.policy_bounds()
    if pol.shape != (params.n_policy,) or not np.all(np.isfinite(pol)):
        raise ValueError(f"policy must be {params.n_policy} finite numbers ({params.policy_names()}), got {policy!r}")
    if np.any(pol < np.array(low) - 1e-12) or np.any(pol > np.array(high) + 1e-12):
        raise ValueError(f"policy {pol.tolist()} outside the action box {low} .. {high}")
    t0 = time.perf_counter()
    cal = params.calibration
    y0 = cal.y0
    alpha, delta, A_tfp, H = params.capital_share, params.depreciation, cal.tfp, params.hours_endowment
    phi = params.fiscal_rule_strength
    b_star = params.debt_target_ratio  # units of y0 per household
    g = pol[-1]
    wealth, s = dp.wealth_grid(grid.n_wealth, grid.wealth_max, grid.wealth_first)
    chain = AbilityChain(params, grid.n_ability)
    const = _const(params, grid)
    thr = np.asarray(params.bracket_thresholds, dtype=np.float64) / y0
    ne, na = chain.nodes.size, wealth.size
    mu = np.zeros((ne, na))
    stat = np.append((1 - cal.superstar_share) * chain.stationary_normal, cal.superstar_share)
    mu[:, grid_index_of(wealth, cal.a0 / y0)] = stat
    tr, y_ref, a_ref = 0.0, 1.0, cal.a0 / y0
    idx = np.empty((ne, na), dtype=np.int64)
    wgt = np.empty((ne, na))
    flows = np.empty((ne, na, 8))
    sol = None
    res = np.inf
    it = 0
    # bracket of r: excess asset supply < 0 at lo (little saving, much capital demanded), > 0 at hi
    # (beta (1 + r) near or above 1: wealth piles up); bisection, the transfer and references by substitution
    lo, hi = -0.02, max(0.12, 2.0 * (1.0 / params.discount - 1.0))
    w = cal.w0
    K = Y = b = 0.0
    evaluations = 0

    def evaluate(r: float, tr: float, y_ref: float, a_ref: float):
        nonlocal sol, evaluations
        evaluations += 1
        kl = (alpha * A_tfp / (r + delta)) ** (1.0 / (1.0 - alpha))  # K/L from r = alpha A (K/L)^(alpha-1) - delta
        w = (1.0 - alpha) * A_tfp * kl**alpha  # USD per efficiency hour
        row, rates, cum = environment_row(params, r, w, tr * y0, y_ref * y0, a_ref * y0, pol)
        sol = solve_stationary(params, grid, chain, wealth, s, row, rates, cum, thr, warm=sol, strict=False)
        dp.state_flows(wealth, s, chain.nodes, row, rates, cum, thr, const, sol.hours, sol.consumption, idx, wgt,
                       flows)  # fmt: skip
        dp.stationary_distribution(mu, chain.P, idx, wgt, 1e-10, 20_000)
        mu[:] /= mu.sum()
        agg = np.tensordot(mu, flows, axes=([0, 1], [0, 1]))
        A = float(np.sum(mu * wealth[None, :]))
        L = agg[6] * H  # efficiency hours per household
        y_mean, T_inc, T_w, tr_eff, C = agg[1], agg[2], agg[3], agg[4], agg[5]
        # steady-state debt under the rule, tr = phi (B* - b) with B* a level or the share s of wealth A
        b = (params.debt_share * A if params.debt_anchor == "wealth" else b_star) - tr / phi
        K = kl * L / y0  # capital demanded at r, units of y0 per household
        Y = A_tfp * (K * y0) ** alpha * L ** (1.0 - alpha) / y0
        taxes = T_inc + T_w + params.consumption_tax * C
        tr_new = tr + (taxes - g * Y - r * b - tr_eff)  # the transfer that balances the budget
        if verbose:
            print(f"r {r:.5f} tr {tr:.4f} A {A:.3f} K {K:.3f} b {b:.3f} excess {A - K - b:.4f} tr_new {tr_new:.4f} "
                  f"y_mean {y_mean:.3f} iters {sol.iterations}")  # fmt: skip
        return dict(A=A, K=K, b=b, Y=Y, w=w, excess=A - K - b, tr_new=tr_new, y_mean=y_mean)

    def settle(r: float, state: tuple[float, float, float], rounds: int):
        """Substitution on (transfer, references) at r; None if wealth runs to the top of the grid."""
        out = None
        for _ in range(rounds):
            out = evaluate(r, *state)
            if out["A"] > 0.25 * wealth[-1]:
                return None, state, np.inf
            new = (out["tr_new"], out["y_mean"], out["A"])
            change = max(abs(new[0] - state[0]), abs(new[1] - state[1]) / max(state[1], 1e-9),
                         abs(new[2] - state[2]) / max(state[2], 1e-9))  # fmt: skip
            state = new
            if change < tol:
                return out, state, change
        return out, state, change

    state = (tr, y_ref, a_ref)
    it = 0
    while hi - lo > tol_r and it < max_iterations:
        it += 1
        r = 0.5 * (lo + hi)
        out, new_state, _ = settle(r, state, 3)
        if out is None or out["excess"] > 0:
            hi = r
        else:
            lo = r
        if out is not None:
            state = new_state
    r = 0.5 * (lo + hi)
    out, state, res = settle(r, state, 8)
    if out is None:
        raise RuntimeError(f"no stationary equilibrium found below r = {hi:.4f}: wealth runs to the grid's top")
    tr, y_ref, a_ref = state
    K, Y, b, w = out["K"], out["Y"], out["b"], out["w"]
    it = evaluations
    weights = mu.ravel()
    a_states = np.broadcast_to(wealth[None, :], mu.shape).ravel()
    y_states = flows[:, :, 1].ravel()
    cash = float(np.sum(mu * (flows[:, :, 0] + (1 + params.consumption_tax) * flows[:, :, 5])) / mu.sum())
    return StationaryEquilibrium(
        interest_rate=float(r), wage=float(w), transfer=float(tr * y0),
        capital_output=float(K / Y) if Y > 0 else float("nan"), debt_output=float(b / Y) if Y > 0 else float("nan"),
        gdp_per_household=float(Y * y0), saving_rate=float(np.sum(mu * flows[:, :, 0]) / mu.sum() / cash),
        hours_per_household=float(np.sum(mu * sol.hours) / mu.sum() * H),
        wealth_gini=_gini_weighted(a_states, weights), income_gini=_gini_weighted(y_states, weights),
        social_welfare=float(np.sum(mu * flows[:, :, 7]) / mu.sum()), distribution=mu, solution=sol,
        iterations=it, residual=float(res), seconds=time.perf_counter() - t0,
    )  # fmt: skip


def grid_index_of(grid: np.ndarray, x: float) -> int:
    return int(np.clip(np.searchsorted(grid, x), 0, grid.size - 1))
