"""Households that optimise: the dynamic programme, its validation, exploitability and equilibrium."""

from __future__ import annotations

import math

import numpy as np
import pytest

from econ_envs.taxai import optimal as op
from econ_envs.taxai.params import TaxParams
from econ_envs.taxai.policies import BufferStock, ConstantSaving

YEARS = 60


@pytest.fixture(scope="module")
def us_path():
    """U.S. federal brackets, buffer-stock households, 60 years, 60 households."""
    return op.record_path(TaxParams(n_households=60, episode_length=YEARS), "us_federal", "buffer_stock", seed=3)


@pytest.fixture(scope="module")
def us_br(us_path):
    return op.best_response(us_path)


@pytest.fixture(scope="module")
def hsv_path():
    """An HSV schedule with a wealth tax and spending (levies through the fiscal rule)."""
    p = TaxParams(n_households=60, episode_length=YEARS)
    from econ_envs.taxai.policies import FixedPolicy

    gov = FixedPolicy(p, np.array([0.25, 0.15, 0.01, 0.2, 0.1]))
    return op.record_path(p, gov, "buffer_stock", seed=4)


def test_path_simulator_is_the_env_budget(hsv_path):
    """Replaying the env's households (a deterministic rule, the recorded shocks) gives the env's utilities."""
    path = op.record_path(hsv_path.params, "free_market", "constant_saving", seed=5)
    sim = op.simulate_on_path(path, ConstantSaving(path.params), path.a0, path.e)
    np.testing.assert_allclose(sim["utility"], path.utility, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(sim["a_end"], path.a_end, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    "which, mean_bound, p99_bound",
    [
        ("us", -5.0, -3.0),  # brackets: kinks in income are absorbed by hours (bunching), residuals stay tiny
        ("hsv", -3.5, -1.8),  # progressive wealth tax: households near its threshold (a kink in a') are less exact
    ],
)
def test_euler_and_hours_residuals_are_small(which, mean_bound, p99_bound, us_br, hsv_path):
    br = us_br if which == "us" else op.best_response(hsv_path)
    res = br.euler_residuals()
    assert res["euler_points"] > 2_000
    assert res["euler_mean_log10"] < mean_bound, res
    assert res["euler_p99_log10"] < p99_bound, res
    assert res["hours_mean_log10"] < -4.0, res
    assert br.nonmonotone == 0


def test_dp_value_matches_monte_carlo_in_the_env(us_path, us_br):
    """The DP value of its own policy = households following it with the env's ability process (MC error)."""
    br = us_br
    M = 6000
    for k, j in ((br.chain.log_nodes.size // 2, 40), (br.chain.log_nodes.size // 2 + 2, 60)):
        a0 = np.full(M, br.wealth[j])
        e = op.ability_paths(us_path.params, np.full(M, br.chain.nodes[k]), us_path.T, seed=11)
        v = op.simulate_on_path(us_path, br, a0, e, terminal=br)["value"]
        se = v.std(ddof=1) / math.sqrt(M)
        # four standard errors plus the ability-discretisation error (0.3 % of the value, measured)
        assert abs(v.mean() - br.V[0, k, j]) < 4 * se + 3e-3 * abs(br.V[0, k, j]), (k, j, v.mean(), br.V[0, k, j], se)


def test_best_response_beats_every_rule_on_the_same_path(us_path, us_br):
    prm = us_path.params
    a0, e = us_path.a0, us_path.e
    best = op.simulate_on_path(us_path, us_br, a0, e, terminal=us_br)["value"]
    for rule in (BufferStock(prm), ConstantSaving(prm), ConstantSaving(prm, saving_rate=0.95, labour_share=0.3)):
        v = op.simulate_on_path(us_path, rule, a0, e, terminal=us_br)["value"]
        assert best.mean() > v.mean(), rule
        assert np.mean(best >= v - 1e-6) > 0.9  # on the same shocks, almost every household does better


def test_exploitability_positive_for_buffer_stock(us_path, us_br):
    x = op.household_exploitability(us_path, us_br)
    assert x.consumption_equivalent > 0.005  # the rule leaves more than 0.5 % of consumption on the table
    assert x.gain > 5 * x.standard_error


def test_exploitability_near_zero_in_equilibrium():
    p = TaxParams(n_households=40, episode_length=YEARS)
    eq = op.equilibrium_path(p, "free_market", seed=2)
    assert eq.converged
    assert abs(eq.exploitability.consumption_equivalent) < 1e-3  # below 0.1 % of consumption
    # the equilibrium's households reproduce its path in a simulation
    again = op.record_path(p, "free_market", eq.households(), seed=2)
    np.testing.assert_allclose(again.env, eq.path.env, rtol=1e-12, atol=1e-12)


def test_optimal_households_from_observations_match_the_env_state():
    """The observation-based households (a frozen RLlib module's view) recover the schedule exactly."""
    from econ_envs.taxai.env import TaxEnv

    # no fiscal rule: the observation's last mean transfer and the rule's next transfer are both 0
    p = TaxParams(n_households=30, episode_length=10, fiscal_rule_strength=0.0)
    pol = np.array([0.2, 0.1, 0.01, 0.1, 0.0])
    env = TaxEnv(params=p)
    env.reset_batch(seed=0, options={"policy": pol})
    env.step_batch({"government": pol[None, :], "household": BufferStock(p)(env.batch_observations()["household"])})
    obs = env.batch_observations()["household"]
    by_env = op.AnticipatedUtilityHouseholds(p, env=env)
    by_obs = op.AnticipatedUtilityHouseholds(p)
    row_env, _, _ = by_env._rows_from_env()
    row_obs, _, _ = by_obs._rows_from_obs(obs[0, 2:])
    np.testing.assert_allclose(row_obs, row_env, rtol=2e-6, atol=1e-7)  # float32 observations
    a_env, a_obs = by_env(obs), by_obs(obs)
    assert a_env.shape == (30, 2) and np.all((a_env >= 0) & (a_env <= 1))
    np.testing.assert_allclose(a_obs, a_env, atol=1e-3)
    with pytest.raises(ValueError, match="HSV"):
        op.AnticipatedUtilityHouseholds(p.replace(income_tax="brackets"))(obs)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="wealth_first"):
        op.DPGrid(wealth_first=0.2, wealth_max=1e4, n_wealth=100)
    with pytest.raises(ValueError, match="tol_hours"):
        op.DPGrid(tol_hours=0.1)
    with pytest.raises(TypeError, match="AggregatePath"):
        op.best_response({"r": [0.04]})
    p = TaxParams(n_households=20, episode_length=5)
    path = op.record_path(p, "free_market", "buffer_stock", seed=0)
    with pytest.raises(ValueError, match="another economy"):
        op.best_response(path, params=p.replace(crra=2.0))
    br = op.best_response(path)
    hh = op.OptimalHouseholds(br)
    with pytest.raises(ValueError, match="shape"):
        hh(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="ability paths"):
        op.simulate_on_path(path, br, path.a0, path.e[:2])
    bad = op.AggregatePath(**{**path.__dict__})
    bad.env = path.env.copy()
    bad.env[2, 0] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        op.best_response(bad)


def test_simulate_with_optimal_households(tmp_path):
    from econ_envs.core.simulate import simulate

    summary = simulate("taxai-v0", policy="free_market", households="optimal", seed=1, out=tmp_path,
                       overrides={"n_households": 20, "episode_length": 15}, progress=False)  # fmt: skip
    assert summary["steps_run"] == 15
    assert summary["profile"] == "free_market+optimal"
    with pytest.raises(ValueError, match="household"):  # monetary households are rules only
        simulate("monetary-v0", households="optimal", out=tmp_path / "m", steps=2, progress=False)


def test_planner_view_with_optimal_households():
    import gymnasium

    import econ_envs  # noqa: F401

    env = gymnasium.make("econ_envs/TaxAI-Planner-v0", household_policy="optimal", n_households=20)
    obs, _ = env.reset(seed=0)
    for _ in range(3):
        obs, reward, terminated, truncated, info = env.step(np.array([0.2, 0.1, 0.0, 0.0, 0.0], dtype=np.float32))
    assert np.isfinite(reward) and not terminated
    hh = env.unwrapped.household_policy
    assert hh.solves >= 1


def test_optimal_households_as_a_frozen_rllib_rule():
    """``make_rule("optimal")`` (what a FrozenRuleModule calls) acts on a batch of observations from several
    economies at once, solving once per distinct environment."""
    from econ_envs.taxai.env import TaxEnv
    from econ_envs.taxai.policies import make_rule

    cfg = {"n_households": 12, "episode_length": 10}
    rule = make_rule("optimal", cfg)
    rows = []
    for seed, pol in ((0, [0.2, 0.1, 0.0, 0.0, 0.0]), (1, [0.1, 0.0, 0.0, 0.0, 0.0])):
        env = TaxEnv(**cfg)
        env.reset_batch(seed=seed, options={"policy": np.array(pol)})
        rows.append(env.batch_observations()["household"])
    acts = rule(np.concatenate(rows))
    assert acts.shape == (24, 2) and np.all((acts >= 0) & (acts <= 1))
    assert rule.solves == 2


def test_stationary_equilibrium_clears_markets():
    """Aiyagari steady state: asset market and government budget hold; households save more with a higher r."""
    p = TaxParams(n_households=100)
    se = op.stationary_equilibrium(p, np.array([0.2, 0.1, 0.0, 0.0, 0.0]))
    assert se.residual < 1e-3
    assert 0.0 < se.interest_rate < 1.0 / p.discount - 1.0  # precautionary saving: r below the discount rate
    assert 2.0 < se.capital_output < 6.0 and 0.5 < se.wealth_gini < 1.0
    mu = se.distribution
    assert abs(mu.sum() - 1.0) < 1e-9 and np.all(mu >= 0)
    with pytest.raises(ValueError, match="fiscal_rule_strength"):
        op.stationary_equilibrium(p.replace(fiscal_rule_strength=0.0), np.zeros(5))
    with pytest.raises(ValueError, match="outside the action box"):
        op.stationary_equilibrium(p, np.array([0.9, 0.0, 0.0, 0.0, 0.0]))


def test_best_hsv_is_a_named_baseline():
    from econ_envs.taxai.best_hsv import load_best_hsv
    from econ_envs.taxai.policies import BestHSV, make_government_policy

    p = TaxParams(task="social_welfare")
    rule = make_government_policy("best_hsv", p)
    assert isinstance(rule, BestHSV)
    np.testing.assert_allclose(rule(np.zeros(3)), load_best_hsv("social_welfare"))
    with pytest.raises(ValueError, match="no best HSV policy for task"):
        load_best_hsv("no_such_task")
    with pytest.raises(ValueError, match="income_tax='hsv'"):
        BestHSV(p.replace(income_tax="brackets"))
