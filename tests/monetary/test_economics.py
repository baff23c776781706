"""The economy behaves: stable under rules over 20 seeds, monetary policy transmits with the right signs."""

import math

import numpy as np
import pytest

import econ_envs
from econ_envs.monetary import kernels as kr
from econ_envs.monetary import policies as P
from econ_envs.monetary.analysis import impulse_responses, reaction_function
from econ_envs.monetary.params import MonetaryParams
from tests.monetary.identities import assert_month_consistent

SEEDS = range(20)


def test_taylor93_economy_is_stable_for_20_seeds_with_books_checked_every_month():
    env = econ_envs.make("monetary-v0")
    unemployment = []
    for seed in SEEDS:
        prof = P.Taylor93Profile(env)
        prof.reset(env, seed)
        months = 0
        while not env.episode_over:
            res = env.step_batch(prof.act(env))
            assert not res.terminated, res.info
            assert_month_consistent(env.economy)  # finite, non-negative stocks, every identity
            ag = env.aggregates()
            assert all(math.isfinite(v) for v in ag.values()), seed
            assert 0.0 <= ag["unemployment"] <= 1.0
            assert ag["price_level"] > 0 and np.all(env.economy.state.ff[kr.F_PRICE] > 0)
            for role, r in res.rewards.items():
                assert np.all(np.isfinite(r)), role
            for role, o in res.observations.items():
                assert np.all(np.isfinite(o)), role
            unemployment.append(ag["unemployment"])
            months += 1
        assert months == 120
    # a working economy, not a depression: average unemployment within a few points of its natural rate
    assert 0.03 < np.mean(unemployment) < 0.15
    assert np.max(unemployment) < 0.5


def test_policy_rate_shock_lowers_inflation_output_and_credit_within_24_months():
    irf = impulse_responses("policy_rate", 1.0, seeds=20, policy="taylor93", burn_in=24, horizon=24,
                            variables=("policy_rate", "inflation_12m", "gdp", "credit", "lending_rate"))  # fmt: skip
    r = {k: np.array(v["mean"]) for k, v in irf["responses"].items()}
    hi = {k: np.array(v["hi"]) for k, v in irf["responses"].items()}
    assert r["policy_rate"][0] == pytest.approx(1.0, abs=1e-9)  # the shock hits the rate in force at once
    assert r["lending_rate"][0] == pytest.approx(1.0, abs=1e-9)  # banks price over the policy rate
    # inflation falls and stays below the no-shock path on average over the two years
    assert r["inflation_12m"].mean() < 0 and r["inflation_12m"].min() < -0.2
    assert np.any(hi["inflation_12m"] < 0)  # significantly, somewhere in the window
    # output falls in the first year (the Taylor rule later cuts rates, which can overshoot)
    assert r["gdp"][:12].mean() < 0 and r["gdp"].min() < -0.3
    # credit falls: fewer loans are taken at the higher rate
    assert r["credit"][:24].mean() < 0 and np.any(hi["credit"] < 0)


def test_zero_lower_bound_binds_and_can_be_switched_off():
    for zlb in (True, False):
        env = econ_envs.make("monetary-v0", zero_lower_bound=zlb, episode_length=40)
        prof = P.FixedRateProfile(env, central_bank=P.FixedRate(env.params, rate=-3.0 if not zlb else 0.0))
        prof.reset(env, 0)
        env.apply_shock("policy_rate", -4.0)
        rates = []
        while not env.episode_over:
            env.step_batch(prof.act(env))
            rates.append(env.aggregates()["policy_rate"])
        if zlb:
            assert min(rates) == pytest.approx(0.0, abs=1e-9)
        else:
            assert min(rates) < -3.0 and min(rates) >= env.params.rate_floor - 1e-9


def test_output_gap_is_the_production_function_at_natural_hours():
    env = econ_envs.make("monetary-v0")
    prof = P.Taylor93Profile(env)
    prof.reset(env, 1)
    cal = env.params.calibration
    assert cal.natural_unemployment == pytest.approx(0.02 / (0.02 + 0.38))
    for _ in range(10):
        env.step_batch(prof.act(env))
        rec = env.economy.last
        H = rec.rec_h[kr.RH_HOURS].sum()
        gap = (H / cal.natural_hours) ** (1 - env.params.capital_share) - 1
        ag = env.aggregates()
        assert ag["output_gap"] == pytest.approx(100 * gap, rel=1e-12, abs=1e-12)
        assert ag["potential_gdp"] == pytest.approx(ag["gdp"] / (1 + gap), rel=1e-12)


def test_calibrated_steady_state():
    p = MonetaryParams()
    cal = p.calibration
    assert cal.policy_rate_m * 1200 == pytest.approx(3.0) and cal.inflation_target_m * 1200 == pytest.approx(2.0)
    # MPK / (1 + markup) = user cost at k*; one unit of output per worker; w = MPL / (1 + markup)
    assert p.capital_share * 1.0 / cal.capital_per_worker / (1 + p.markup) == pytest.approx(cal.user_cost_m)
    assert cal.tfp * cal.capital_per_worker**p.capital_share == pytest.approx(1.0)
    assert cal.real_wage == pytest.approx((1 - p.capital_share) / (1 + p.markup))
    # the Pissarides wage at steady-state tightness equals that wage
    w = kr.bargained_wage(1 - p.capital_share, cal.outside_option, cal.vacancy_cost, p.steady_state_tightness,
                          p.bargaining_power)  # fmt: skip
    assert w == pytest.approx(cal.real_wage) and cal.vacancy_cost > 0
    assert kr.bargained_wage(1 - p.capital_share, cal.outside_option, cal.vacancy_cost, 2.0, 0.5) > w


def test_taylor_rules_arithmetic():
    p = MonetaryParams()
    names = econ_envs.make("monetary-v0").obs_names("central_bank")
    obs = np.zeros(len(names), dtype=np.float32)
    idx = {n: i for i, n in enumerate(names)}

    def act(rule, pi, gap, rate):
        obs[idx["inflation_12m"]] = pi
        obs[idx["output_gap_3m"]] = gap
        obs[idx["cb_rate"]] = rate
        obs[idx["inflation_target"]] = 2.0
        return rule(obs)

    r_star = p.initial_policy_rate - p.inflation_target
    t93 = P.taylor93(p)
    assert act(t93, 2.0, 0.0, 3.0) == 2  # at the neutral rate: hold
    assert t93.target(obs) == pytest.approx(r_star + 2.0)  # at target the rule asks for the neutral nominal rate
    assert act(t93, 4.0, 2.0, 3.0) == 4  # target 1 + 4 + 1 + 1 = 7: +50 bp (the largest step)
    assert act(t93, 2.0, -0.5, 3.0) == 1  # target 2.75: -25 bp
    assert act(P.balanced(p), 2.0, -1.0, 3.0) == 0  # target 2.0: -50 bp
    assert act(P.npp(p), 2.5, 0.0, 3.0) == 4  # target 1 + 2.5 + 0.5 = 4.0: +50 bp
    assert act(P.inertial(p), 4.0, 0.0, 3.0) == 3  # 0.9 x 3 + 0.1 x 6 = 3.3: +25 bp
    assert act(P.FixedRate(p), 8.0, 5.0, 3.0) == 2
    assert act(t93, -5.0, -10.0, 0.25) == 1  # the floor: only down to 0


def test_rule_agents_respond_to_rates_in_the_right_direction():
    p = MonetaryParams()
    env = econ_envs.make("monetary-v0", n_households=2000, n_firms=200, n_banks=5)
    obs, _ = env.reset_batch(seed=0)
    hh, firm = obs["household"].copy(), obs["firm"].copy()
    H = {n: i for i, n in enumerate(env.obs_names("household"))}
    FM = {n: i for i, n in enumerate(env.obs_names("firm"))}

    def borrow_share(rate_shift):
        x = hh.copy()
        x[:, H["best_lending_rate"]] += rate_shift
        x[:, H["deposit_rate"]] += rate_shift
        acts = np.concatenate([P.HouseholdRule(p, seed=s)(x) for s in range(20)])
        return np.mean((acts // 3) % 2), np.mean(np.asarray(p.consumption_rates)[acts // 6])

    (b0, c0), (b1, c1) = borrow_share(0.0), borrow_share(3.0)
    assert b1 < b0 and c1 < c0  # dearer credit: fewer loans; better return on deposits: lower consumption rate

    def investment(rate_shift):
        x = firm.copy()
        x[:, FM["lending_rate"]] += rate_shift
        acts = np.concatenate([P.FirmRule(p, seed=s)(x) for s in range(20)])
        return np.mean(np.asarray(p.investment_rates)[acts % 3])

    assert investment(3.0) < investment(0.0) < investment(-3.0)
    x = firm.copy()
    x[:, FM["inventory_months"]] = 3.0  # piled-up stock: cut prices
    assert np.mean(np.asarray(p.price_changes)[P.FirmRule(p)(x) // 9]) < 0
    x[:, FM["inventory_months"]] = 0.0
    x[:, FM["normal_unit_labour_cost_to_price"]] *= 1.05  # costs up and stock gone: raise prices
    assert np.mean(np.asarray(p.price_changes)[P.FirmRule(p)(x) // 9]) > 0


def test_reaction_function_recovers_the_taylor_principle():
    fit = reaction_function(seeds=4, policy="taylor93", months=120)
    assert fit["r_squared"] > 0.9
    assert 1.0 < fit["long_run"]["phi_pi"] < 2.0
    assert 0.2 < fit["long_run"]["phi_y"] < 0.8
    assert fit["taylor_principle"]


def test_reaction_function_of_a_fixed_rate_is_not_identified():
    fit = reaction_function(seeds=2, policy="fixed_rate", months=24)
    assert fit["identified"] is False and fit["coefficients"]["phi_pi"] == 0.0 and math.isnan(fit["r_squared"])
