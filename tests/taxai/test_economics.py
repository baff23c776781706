"""Known facts and analytic properties of the tax economy."""

import numpy as np
import pytest

import econ_envs
from econ_envs.core.stats import gini
from econ_envs.taxai import kernels as kr
from econ_envs.taxai.params import US2022_BRACKETS, US2022_RATES, TaxParams

from .identities import python_brackets


def test_calibration_hits_the_2022_targets():
    p = TaxParams()
    cal = p.calibration
    assert cal.y0 == pytest.approx(69_919.51)
    assert cal.r0 == pytest.approx(0.04)  # alpha K/Y^-1 - delta = 0.36/3 - 0.08
    assert cal.tfp * cal.k0**p.capital_share * cal.l0 ** (1 - p.capital_share) == pytest.approx(cal.y0)
    assert p.hours_endowment * p.labour_share_0 == pytest.approx(1810.4, abs=0.1)  # OECD 2022: 1,811 h
    assert 0 < cal.saving_rate < 1
    # presets keep r = 4 % with their own technology
    for preset in (TaxParams.taxai(), TaxParams.dsmfg()):
        assert preset.calibration.r0 == pytest.approx(0.04)


def test_initial_distribution_matches_the_facts_at_scale():
    env = econ_envs.make("taxai-v0", n_households=100_000)
    env.reset(seed=0)
    eco = env.economy
    ag = env.aggregates()
    a = eco.state.a
    assert gini(a) == pytest.approx(0.83, abs=0.02)
    top10 = np.sort(a)[-10_000:].sum() / a.sum()
    assert 0.65 < top10 < 0.78  # SCF 2022: about 0.7
    assert ag["income_gini"] == pytest.approx(0.5, abs=0.06)
    assert ag["gdp_per_household"] == pytest.approx(69_919.51, rel=0.05)
    assert ag["capital_to_gdp"] == pytest.approx(3.0, rel=0.05)
    assert eco.state.B / eco.state.K == pytest.approx(1.2129 / 3.0)
    assert ag["interest_rate"] == pytest.approx(0.04, abs=0.005)


def test_policy_chosen_now_takes_effect_next_year():
    env = econ_envs.make("taxai-v0", n_households=20)
    env.reset_batch(seed=0)
    hh = np.full((20, 2), 0.5)
    high = np.array([0.3, 0.2, 0.0, 0.0, 0.1])
    env.step_batch({"government": high[None], "household": hh})
    assert env.economy.last.t_inc.sum() == 0.0  # year 0 ran under the reset policy (zeros)
    assert np.allclose(env.economy.state.policy, high)
    obs = env.batch_observations()["household"]
    names = env.household_obs_names()
    # households see the schedule they will face: HSV's average rate at mean income is tau
    assert np.allclose(obs[:, names.index("avg_income_tax_1y")], 0.3, atol=1e-6)
    assert np.allclose(obs[:, names.index("spending_share")], 0.1, atol=1e-7)
    mtr = obs[:, names.index("marginal_income_tax_1y")]
    assert np.allclose(mtr, 1 - 0.7 * 0.8, atol=1e-6)  # T'(ybar) = 1 - (1 - tau)(1 - xi)
    env.step_batch({"government": np.zeros((1, 5)), "household": hh})
    assert env.economy.last.t_inc.sum() > 0.0
    assert env.aggregates()["spending_share"] == pytest.approx(0.1)


def test_us_2022_bracket_tax_known_amounts():
    t = np.asarray(US2022_BRACKETS)
    r = np.asarray(US2022_RATES)
    # single filer, 2022: taxable = income - 12,950
    cases = {0.0: 0.0, 12_950.0: 0.0, 50_000.0: 1_027.50 + 0.12 * (37_050 - 10_275)}
    for income, tax in cases.items():
        assert kr.bracket_tax(income, t, r, 12_950.0) == pytest.approx(tax)
    ys = np.random.default_rng(0).lognormal(11, 1.2, 1000)
    np.testing.assert_allclose(kr.bracket_tax_rows(ys, t, np.tile(r, (1000, 1)), 12_950.0),
                               python_brackets(ys, t, r, 12_950.0), rtol=1e-12)  # fmt: skip


def test_hsv_tax_properties():
    tau, xi, ref = 0.2, 0.15, 60_000.0
    assert kr.hsv_tax(ref, tau, xi, ref) == pytest.approx(tau * ref)  # average rate tau at the reference
    assert kr.hsv_tax(0.0, tau, xi, ref) == 0.0
    assert kr.hsv_tax(1_000.0, tau, xi, ref) < 0  # a transfer at low incomes (progressive HSV)
    # average rates rise with income
    ys = np.linspace(1e3, 1e6, 50)
    avg = np.array([kr.hsv_tax(y, tau, xi, ref) / y for y in ys])
    assert np.all(np.diff(avg) > 0)
    out = np.empty(50)
    kr.hsv_tax_into(ys, tau, xi, ref, out)
    np.testing.assert_allclose(out, [kr.hsv_tax(y, tau, xi, ref) for y in ys], rtol=1e-12)


def test_fiscal_rule_keeps_debt_at_target_and_zero_strength_is_pure_debt():
    deficit_policy = np.array([[0.0, 0.0, 0.0, 0.0, 0.1]])  # spending 10 % of GDP, no taxes
    for strength in (1.0, 0.0):
        env = econ_envs.make("taxai-v0", n_households=200, fiscal_rule_strength=strength)
        env.reset_batch(seed=1)
        hh = np.tile([env.economy.cal.saving_rate, env.params.labour_share_0], (200, 1))
        debts, targets = [], []
        for _ in range(20):
            if env.episode_over:
                break
            st = env.economy.state
            targets.append(env.params.debt_target(st.K + st.B, 200))
            env.step_batch({"government": deficit_policy, "household": hh})
            debts.append(env.economy.state.B)
        target = targets[-1]
        if strength == 1.0:
            assert abs(debts[-1] - target) / target < 0.15  # levies finance the spending
            assert env.aggregates()["transfers"] < 0
        else:  # DSMFG's pure debt finance: no transfers, debt grows every year
            assert all(env.economy.last.transfer == 0.0)
            assert np.all(np.diff(debts) > 0) and debts[-1] > 1.5 * target


def test_debt_target_is_a_share_of_household_wealth_by_default():
    p = TaxParams()
    assert p.debt_anchor == "wealth"
    share = p.debt_target_ratio / (p.capital_output_ratio + p.debt_output_ratio)
    assert p.debt_share == pytest.approx(share)
    cal = p.calibration
    # at the calibrated wealth both anchors give the calibrated debt
    a0_total = cal.a0 * p.n_households
    level = TaxParams(debt_anchor="level")
    assert p.debt_target(a0_total) == pytest.approx(level.debt_target(a0_total)) == pytest.approx(cal.b0 * 100)
    assert p.debt_target(2 * a0_total) == pytest.approx(2 * level.debt_target(a0_total))
    assert level.debt_target(2 * a0_total) == pytest.approx(level.debt_target(a0_total))
    with pytest.raises(ValueError, match="debt_anchor"):
        TaxParams(debt_anchor="gdp")
    # the kernel's rule: this year's transfer is (B* - B) / N with B* the share of this year's wealth
    env = econ_envs.make("taxai-v0", n_households=100)
    env.reset_batch(seed=0)
    hh = np.tile([0.7, env.params.labour_share_0], (100, 1))
    for _ in range(5):
        st = env.economy.state
        K, B = st.K, st.B
        env.step_batch({"government": np.array([[0.1, 0.1, 0.0, 0.0, 0.05]]), "household": hh})
        expected = (p.debt_share * (K + B) - B) / 100
        # a levy is capped at cash on hand: households the cap does not bind pay exactly (B* - B) / N
        tr = env.economy.last.transfer
        assert np.mean(np.isclose(tr, expected, rtol=1e-9, atol=1e-6)) > 0.5
        assert np.all(tr >= expected - 1e-6)


@pytest.mark.parametrize("anchor", ["wealth", "level"])
def test_saving_a_little_less_loses_welfare_instead_of_ending_the_world(anchor):
    """A population saving 0.72 of cash on hand (the steady state needs about 0.84) survives with the
    wealth-anchored debt target and collapses when households must keep holding a fixed debt."""
    env = econ_envs.make("taxai-v0", n_households=100, debt_anchor=anchor)
    env.reset_batch(seed=0)
    hh = np.tile([0.72, env.params.labour_share_0], (100, 1))
    years = 0
    while not env.episode_over and years < 120:
        env.step_batch({"government": np.zeros((1, 5)), "household": hh})
        years += 1
    if anchor == "wealth":
        assert years == 120 and env.economy.state.K > 0.1 * env.economy.cal.k0 * 100
    else:
        assert env.episode_over and years < 60


def test_ability_process_moments_and_superstars():
    p = TaxParams(n_households=20_000)
    env = econ_envs.make("taxai-v0", n_households=20_000, superstar_entry=0.01, superstar_persistence=0.9)
    env.reset_batch(seed=2)
    hh = np.full((20_000, 2), 0.8)
    share = []
    for _ in range(30):
        env.step_batch({"government": np.zeros((1, 5)), "household": hh})
        share.append(env.economy.state.star.mean())
    stationary = 0.01 / (1 - 0.9 + 0.01)
    assert np.mean(share[10:]) == pytest.approx(stationary, rel=0.1)
    normal = ~env.economy.state.star
    sd = np.std(env.economy.state.log_e[normal])
    assert sd == pytest.approx(p.calibration.ability_sd, rel=0.05)  # the log AR(1) stays stationary
    stars = env.economy.state.star
    assert np.allclose(env.economy.state.e[stars], env.economy.cal.superstar_ability)


@pytest.mark.parametrize("household_collapse", ["truncation", "termination"])
def test_collapse_is_reported_and_penalised(household_collapse):
    env = econ_envs.make("taxai-v0", n_households=50, household_collapse=household_collapse)
    obs, _ = env.reset(seed=0)
    # every household consumes all its cash on hand: household wealth vanishes, debt is left unbacked
    acts = {a: np.array([0.0, 0.5]) for a in env.agents}
    acts["government"] = np.zeros(5)
    _, rewards, terms, truncs, infos = env.step(acts)
    assert infos["household_0"]["termination_reason"].startswith("capital_depleted")
    assert terms["government"] and not truncs["government"] and rewards["government"] < -50
    households = [a for a in terms if a != "government"]
    if household_collapse == "truncation":  # the simulation ends, the households' lives do not
        assert not any(terms[a] for a in households) and all(truncs[a] for a in households)
        assert rewards["household_3"] > -50
    else:
        assert all(terms[a] for a in households) and not any(truncs[a] for a in households)
        assert rewards["household_3"] < -50
    assert env.agents == []


def test_tasks_define_the_government_reward():
    rewards = {}
    for task in ("gdp", "gini", "social_welfare", "gdp_gini"):
        env = econ_envs.make("taxai-v0", n_households=100, task=task)
        env.reset_batch(seed=0)
        res = env.step_batch({"government": np.zeros((1, 5)), "household": np.full((100, 2), 0.8)})
        ag = env.aggregates()
        rewards[task] = res.rewards["government"][0]
        if task == "gdp":
            assert rewards[task] == pytest.approx(ag["gdp_per_household"] / 69_919.51)
        if task == "gini":
            assert rewards[task] == pytest.approx(1 - (ag["wealth_gini"] + ag["disposable_income_gini"]) / 2)
        if task == "social_welfare":
            assert rewards[task] == pytest.approx(ag["social_welfare"])
            assert rewards[task] == pytest.approx(res.rewards["household"].mean())
        if task == "gdp_gini":
            assert rewards[task] == pytest.approx(
                ag["gdp_per_household"] / 69_919.51 * (1 - ag["disposable_income_gini"])
            )


def test_household_reward_is_the_documented_utility():
    env = econ_envs.make("taxai-v0", n_households=30)
    env.reset_batch(seed=0)
    hh = np.column_stack([np.linspace(0, 1, 30), np.linspace(1, 0, 30)])
    res = env.step_batch({"government": np.zeros((1, 5)), "household": hh})
    c = env.economy.last.c
    expected = np.log(np.maximum(c / 69_919.51, 1e-3)) - 10 * hh[:, 1] ** 3 / 3
    np.testing.assert_allclose(res.rewards["household"], expected, rtol=1e-12, atol=1e-12)
    assert np.all(np.isfinite(res.rewards["household"]))  # zero consumption is floored, not -inf


def test_households_see_the_same_features_whatever_the_parametrisation():
    """A bracket schedule and an HSV schedule are described by the same household columns."""
    from econ_envs.taxai import kernels as kr

    t = np.asarray(US2022_BRACKETS)
    rates = np.asarray(US2022_RATES)
    pol = np.concatenate([rates, [0.0, 0.0, 0.05]])
    f = kr.policy_features(pol, kr.BRACKETS, t, 12_950.0, 70_000.0, 300_000.0)
    ni = kr.INCOME_POINTS.size
    for k, m in enumerate(kr.INCOME_POINTS):
        y = m * 70_000.0
        assert f[k] == pytest.approx(kr.bracket_tax(y, t, rates, 12_950.0) / y)
    assert f[ni + 1] == 0.22  # marginal rate at 70,000 USD: taxable 57,050 -> 22 % bracket
    assert f[ni + 3] == 0.35  # at 350,000 USD: taxable 337,050 -> 35 % bracket
    assert f[-1] == 0.05
    h = kr.policy_features(np.array([0.2, 0.1, 0.02, 0.0, 0.0]), kr.HSV, t, 12_950.0, 70_000.0, 300_000.0)
    assert h[1] == pytest.approx(0.2) and h[2 * ni] == pytest.approx(0.02) and h[2 * ni + 1] == pytest.approx(0.02)
    assert f.shape == h.shape == (kr.N_POLICY_FEATURES,)
