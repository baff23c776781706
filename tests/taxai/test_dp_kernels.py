"""Kernels of the household DP: the warm hours search and the extrapolated stationary solve."""

from __future__ import annotations

import numpy as np
import pytest

from econ_envs.taxai import dp
from econ_envs.taxai import optimal as op
from econ_envs.taxai.params import TaxParams


@pytest.fixture(scope="module")
def us_setup():
    """The U.S.-federal economy's year-10 environment and its infinite-horizon solution."""
    path = op.record_path(TaxParams(n_households=20, episode_length=10), "us_federal", "buffer_stock", seed=1)
    g = op.DPGrid()
    wealth, s = dp.wealth_grid(g.n_wealth, g.wealth_max, g.wealth_first)
    chain = op.AbilityChain(path.params, g.n_ability)
    args = (path.params, g, chain, wealth, s, path.env[-1], path.rates[-1], path.cums[-1], path.thresholds)
    return path, g, wealth, s, chain, args, op.solve_stationary(*args)


def test_warm_hours_find_the_scan_root_whatever_the_guess(us_setup):
    path, g, wealth, s, chain, _, sol = us_setup
    const = op._const(path.params, g)
    env, rates, cum, thr = path.env[-1], path.rates[-1], path.cums[-1], path.thresholds
    assert dp.hours_concave(env, rates, const)  # monotone U.S. brackets, no levy
    ne, na = sol.V.shape
    W, Wa, Wt = (np.empty((ne, na)) for _ in range(3))
    dp.expectations(sol.V, sol.Va, chain.P, const[dp.C_BETA], const[dp.C_KAPPA], W, Wa, Wt)
    tol = const[dp.C_TOLH]
    worst = 0.0
    interior = 0
    for i in range(ne):
        assert np.all(np.diff(sol.cend[i]) >= 0.0)
        for j in range(0, na, 3):
            a, e = wealth[j], chain.nodes[i]
            h_scan, _ = dp.best_hours(a, e, env, rates, cum, thr, sol.mend[i], sol.cend[i], wealth, s, Wt[i], const)
            warm = {
                dp.warm_hours(h0, a, e, env, rates, cum, thr, sol.mend[i], sol.cend[i], const)
                for h0 in (np.nan, 0.0, 1.0, 0.37, h_scan, min(h_scan + 0.2, 1.0))
            }
            assert len(warm) == 1, (i, j, warm)  # the bracket, hence the root, does not depend on the guess
            worst = max(worst, abs(warm.pop() - h_scan))
            interior += 0.0 < h_scan < 1.0
    assert interior > 100
    assert worst <= 2 * tol, worst


def test_hours_concave_refuses_schedules_with_several_local_maxima(us_setup):
    path, g, *_ = us_setup
    const = op._const(path.params, g)
    env, rates = path.env[-1].copy(), path.rates[-1].copy()
    falling = rates.copy()
    falling[2] = falling[1] - 0.05  # a marginal rate that falls with income
    assert not dp.hours_concave(env, falling, const)
    hsv = const.copy()
    hsv[dp.C_MODE] = dp.HSV
    env_h = env.copy()
    env_h[dp.E_TAU], env_h[dp.E_XI] = 0.2, 0.1
    assert dp.hours_concave(env_h, rates, hsv)
    env_h[dp.E_R] = -0.01  # negative income untaxed, then a steeply falling marginal rate just above zero
    assert not dp.hours_concave(env_h, rates, hsv)


def test_stationary_solve_is_close_to_a_tight_one(us_setup):
    """The default tolerance with the extrapolated tail: consumption within 1e-3 (relative to 1 + c) of a
    solve to 1e-9 everywhere on the grid, hours within 2e-4 (without the extrapolation: 2.6e-3 in consumption)."""
    path, g, wealth, s, chain, args, sol = us_setup
    tight = op.solve_stationary(
        path.params, op.DPGrid(tol_stationary=1e-9, max_stationary_iterations=6000), *args[2:], strict=False
    )
    assert tight.policy_change < 1e-6
    assert sol.iterations < tight.iterations
    assert np.max(np.abs(sol.consumption - tight.consumption) / (1 + tight.consumption)) < 1e-3
    assert np.max(np.abs(sol.hours - tight.hours)) < 2e-4
    assert np.max(np.abs(sol.V - tight.V)) < 5e-4
