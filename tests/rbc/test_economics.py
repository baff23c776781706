"""Hand-checked cases of each equation: timing, rationing, exports, production, taxes, interest, penalties, start."""

import math

import numpy as np
import pytest

from econ_envs.rbc.kernels import crra_utility
from econ_envs.rbc.params import RBCParams
from econ_envs.rbc.vector import RBCVectorEnv


def actions(venv, units, hours_idx, employer, firm, gov):
    N, F = venv.n_consumers, venv.n_firms
    c = np.zeros((1, N, F + 2), dtype=np.int64)
    c[0, :, :F] = units
    c[0, :, F] = hours_idx
    c[0, :, F + 1] = employer
    return {
        "consumer": c,
        "firm": np.asarray(firm, dtype=np.int64).reshape(1, F),
        "government": np.array([[gov]], dtype=np.int64),
    }


def test_initial_state_matches_the_original():
    venv = RBCVectorEnv(n_replicas=1)
    venv.reset(seed=0)
    st = venv.state
    assert np.all(st.price == 1000) and np.all(st.wage == 0) and np.all(st.inventory == 0)
    assert np.all(st.consumer_budget == 2000) and np.all(st.firm_budget == 2.2e6)
    assert st.capital[0].tolist() == [5000.0] * 5 + [10000.0] * 5
    assert venv.alpha.tolist() == [0.2, 0.3, 0.4, 0.6, 0.8] * 2
    theta = st.theta[0]
    assert theta[0] == 0.01 and math.isclose(theta[50], 0.01 * 0.5**0.25) and math.isclose(theta[99], 0.01 * 0.01**0.25)
    assert np.all(np.diff(theta) < 0)
    venv.reset(options={"theta_scale": 0.25})
    np.testing.assert_allclose(venv.state.theta[0], 0.25 * theta)


def test_timing_prices_wages_and_taxes_act_next_quarter():
    venv = RBCVectorEnv(
        n_replicas=1, n_consumers=4, n_firms=2, initial_inventory=50.0, consumer_initial_budget=1e4, open_economy=False
    )
    venv.reset()
    k = venv.firm_action_index(4, 4)  # price 2000, wage 44
    g = venv.government_action_index(3, 2)  # income 0.6, corporate 0.4
    venv.step(actions(venv, 1, 2, 0, [k, k], g))
    rec = venv.last
    # quarter 0: initial price 1000 and wage 0, no taxes
    assert np.all(rec.spend[0] == 2 * 1000) and np.all(rec.labour_income == 0) and rec.income_tax.sum() == 0
    assert venv.state.price[0].tolist() == [2000, 2000] and venv.state.wage[0].tolist() == [44, 44]
    assert venv.state.income_tax[0] == 0.6 and venv.state.corporate_tax[0] == 0.4
    venv.step(actions(venv, 1, 2, 0, [0, 0], 0))
    rec = venv.last
    assert np.all(rec.spend[0] == 2 * 2000) and np.all(rec.labour_income[0] == 44 * 520)
    np.testing.assert_allclose(rec.income_tax[0], 0.6 * 44 * 520)
    assert venv.state.price[0].tolist() == [0, 0]


def test_budget_scaling_and_proportional_rationing():
    p = RBCParams(n_consumers=3, n_firms=2, initial_inventory=3.0, consumer_initial_budget=5000.0)
    venv = RBCVectorEnv(p)
    venv.reset()
    units = np.array([[2, 0], [4, 0], [1, 0]])  # good 0: demand 7 > inventory 3 -> rationed by 3/7
    units[0, 1] = 10  # consumer 0 attempts 2*1000 + 10*1000 = 12000 > 5000: scaled by 5/12
    venv.step(actions(venv, units, 0, 0, [0, 0], 0))
    rec = venv.last
    d = np.array([[2 * 5 / 12, 10 * 5 / 12], [4, 0], [1, 0]])
    D0 = d[:, 0].sum()
    assert venv.state.overdemanded[0].tolist() == [1.0, 1.0]  # good 1: demand 4.17 > 3
    np.testing.assert_allclose(rec.demand[0], d.sum(0))
    want = d * np.array([3 / D0, 3 / d[:, 1].sum()])
    np.testing.assert_allclose(rec.consumption[0], want)
    np.testing.assert_allclose(rec.sales[0], [3, 3])
    np.testing.assert_allclose(rec.spend[0], 1000 * want.sum(1))
    assert rec.spend[0, 0] <= 5000


def test_exports_open_closed_and_price_rule():
    for inclusive, open_economy, price_idx, expect in [
        (True, True, 1, 40.0),
        (False, True, 1, 0.0),
        (False, True, 2, 40.0),
        (True, False, 3, 0.0),
    ]:
        p = RBCParams(
            n_consumers=2,
            n_firms=1,
            initial_inventory=50.0,
            export_quantity=40.0,
            initial_price=0.0,
            export_price_inclusive=inclusive,
            open_economy=open_economy,
        )
        venv = RBCVectorEnv(p)
        venv.reset()
        venv.step(actions(venv, 0, 0, 0, [venv.firm_action_index(price_idx, 0)], 0))  # sets the price (no exports at 0)
        assert venv.last.exports[0, 0] == 0.0
        venv.step(actions(venv, 1, 0, 0, [0], 0))  # 2 units to consumers, then exports at price p_x = 500 or more
        rec = venv.last
        assert rec.sales[0, 0] == 2.0 and rec.exports[0, 0] == expect
        price = p.price_choices[price_idx]
        assert rec.revenue[0, 0] == price * (2 + expect)
        assert venv.state.inventory[0, 0] == 48 - expect


def test_production_investment_and_corporate_tax():
    p = RBCParams(n_consumers=4, n_firms=2, initial_wage=22.0, labor_floor=600.0)
    venv = RBCVectorEnv(p)
    venv.reset()
    g = venv.government_action_index(0, 2)  # corporate 0.4 from next quarter
    k = venv.firm_action_index(2, 0)  # price 1000, wage 0 from next quarter
    venv.step(actions(venv, 0, np.array([2, 2, 1, 1]), np.array([0, 0, 1, 1]), [k, k], g))
    rec = venv.last
    assert rec.labour[0].tolist() == [1040.0, 520.0]
    # firm 0: 1040 h >= floor 600 -> Y = 0.01 * 5000^0.8 * 1040^0.2; firm 1: 520 h < floor -> nothing
    assert math.isclose(rec.output[0, 0], 0.01 * 5000**0.8 * 1040**0.2, rel_tol=1e-12)
    assert rec.output[0, 1] == 0.0
    # no sales: operating income -wage bill < 0 -> no investment, no tax, firm reward = -wage bill
    assert rec.investment.sum() == 0 and rec.corporate_tax.sum() == 0
    np.testing.assert_allclose(rec.rewards["firm"][0], [-22 * 1040, -22 * 520])
    # next quarter: sell 2 units of good 0 at 1000 with wage bill 0 -> invest 10 %, tax 40 % of the rest
    venv.step(actions(venv, np.array([[1, 0]] * 2 + [[0, 0]] * 2), 0, 0, [0, 0], 0))
    rec = venv.last
    y0 = 0.01 * 5000**0.8 * 1040**0.2
    assert math.isclose(rec.exports[0, 0], min(y0 - 2, 100.0))  # the rest of the inventory is exported at 1000
    assert math.isclose(rec.revenue[0, 0], 1000.0 * y0)
    assert math.isclose(rec.investment[0, 0], 0.1 * 1000 * y0)
    profit = 0.9 * 1000 * y0
    assert math.isclose(rec.corporate_tax[0, 0], 0.4 * profit)
    assert math.isclose(rec.rewards["firm"][0, 0], 0.6 * profit)
    assert math.isclose(venv.state.capital[0, 0], 5000 + 0.1 * 1000 * y0)
    np.testing.assert_allclose(rec.transfer[0], 0.4 * profit / 4)


def test_income_tax_redistribution_interest_and_noponzi():
    p = RBCParams(
        n_consumers=2,
        n_firms=1,
        initial_wage=10.0,
        interest_rate=0.05,
        episode_length=2,
        firm_initial_budget=-1000.0,
        firm_noponzi_coef=3.0,
        consumer_noponzi_coef=1.0,
    )
    venv = RBCVectorEnv(p)
    venv.reset()
    g = venv.government_action_index(2, 0)  # income tax 0.4
    venv.step(actions(venv, 0, np.array([4, 0]), 0, [0], g))
    st = venv.state
    # consumer 0 worked 1040 h at 10 $/h, untaxed in quarter 0: budget (2000 + 0.01 + 10400) * 1.05
    assert math.isclose(st.consumer_budget[0, 0], (2000 + 0.01 + 10400) * 1.05)
    assert math.isclose(st.firm_budget[0, 0], -1000 - 10400)  # negative: no interest
    venv.step(actions(venv, 0, np.array([4, 0]), 0, [0], 0))
    rec = venv.last
    z = 0 * 1040  # wage chosen at t=0 is index 0 -> 0 $/h in quarter 1
    assert rec.labour_income[0, 0] == z
    # final quarter: the firm's debt is penalised by coef * debt / 100; consumers are solvent
    debt = -venv.state.firm_budget[0, 0]
    assert math.isclose(rec.rewards["firm"][0, 0], 0.0 - 3.0 * debt / 100)
    u = rec.utility[0]
    np.testing.assert_allclose(rec.rewards["consumer"][0], u)
    np.testing.assert_allclose(rec.rewards["government"][0, 0], u.sum() + 0.0025 * rec.rewards["firm"][0].sum())
    # income tax redistributed lump-sum: one worker, tax 0.4 * 10 * 1040 split between two consumers
    venv2 = RBCVectorEnv(p.replace(interest_rate=0.0, initial_wage=10.0))
    venv2.reset()
    venv2.step(actions(venv2, 0, 0, 0, [venv2.firm_action_index(0, 1)], g))
    venv2.step(actions(venv2, 0, np.array([4, 0]), 0, [0], 0))
    rec = venv2.last
    assert math.isclose(rec.income_tax[0, 0], 0.4 * 11 * 1040)
    np.testing.assert_allclose(rec.transfer[0], 0.4 * 11 * 1040 / 2)


def test_utility_function_and_table_path():
    c = np.array([0.0, 0.5, 1.0, 3.0, 10.0, 1e-12, 123.456, 1e9])
    for eta in (0.1, 0.0, 0.5, 2.0, 50.0):
        want = ((1 + c) ** (1 - eta) - 1) / (1 - eta)
        np.testing.assert_allclose(crra_utility(c, eta), want, rtol=4e-15, atol=1e-15)
    assert math.isclose(crra_utility(np.array([10.0]), 0.1)[0], 8.5053, rel_tol=1e-4)  # U(10) ~ 8.51
    # grid quantities (table) and scaled quantities (computed) give the same utility for the same c
    p = RBCParams(n_consumers=2, n_firms=1, initial_inventory=100.0, consumer_initial_budget=3000.0, theta_base=0.0)
    venv = RBCVectorEnv(p)
    venv.reset()
    venv.step(actions(venv, np.array([[3], [6]]), 0, 0, [0], 0))  # consumer 1 scaled 6 -> 3 units
    r = venv.last.rewards["consumer"][0]
    assert venv.last.consumption[0, :, 0].tolist() == [3.0, 3.0]
    assert r[0] == r[1] == crra_utility(np.array([3.0]), 0.1)[0]


@pytest.mark.parametrize("mode", ["scaled", "raw", "digits"])
def test_last_government_action_never_matters(mode):
    p = RBCParams(n_consumers=5, n_firms=2, episode_length=3, observation_mode=mode)
    rewards = []
    for last in (0, 35):
        venv = RBCVectorEnv(p)
        venv.reset()
        total = 0.0
        for t in range(3):
            out = venv.step(actions(venv, 1, 2, np.arange(5) % 2, [7, 9], last if t == 2 else 20))
            total += out.rewards["government"][0, 0]
        rewards.append(total)
    assert rewards[0] == rewards[1]
