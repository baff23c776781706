"""Rule baselines: they read raw observations, respect their definitions and run on any leading axes."""

import numpy as np
import pytest

from econ_envs.rbc.params import RBCParams
from econ_envs.rbc.policies import BudgetShare, CostPlus, FixedPriceWage, FixedTax, RandomActions, rule_profile
from econ_envs.rbc.vector import RBCVectorEnv


@pytest.fixture(scope="module")
def raw():
    venv = RBCVectorEnv(n_replicas=3, n_consumers=40, n_firms=5)
    venv.reset(seed=0)
    prof = rule_profile(venv.params)
    for _ in range(4):
        venv.step(prof.act(venv))
    return venv, venv.raw_observations()


def test_budget_share_spends_at_most_its_share(raw):
    venv, obs = raw
    rule = BudgetShare(venv.params, share=0.3, hours=780.0, labour="fixed")
    a = rule(obs["consumer"])
    assert a.shape == (3, 40, 7) and a.dtype == np.int64
    F = 5
    prices, stock, budget = (
        obs["consumer"][..., :F],
        obs["consumer"][..., 2 * F : 3 * F],
        obs["consumer"][..., 4 * F + 3],
    )
    spend = (venv.consumption_choices[a[..., :F]] * prices).sum(-1)
    assert np.all(spend <= 0.3 * budget + 1e-6)
    assert np.all(a[..., :F][stock <= 0] == 0)  # nothing attempted from an empty shelf
    assert np.all(a[..., F] == 3)  # 780 hours
    wages = obs["consumer"][..., F : 2 * F]
    best = wages.max(-1, keepdims=True)
    chosen = np.take_along_axis(wages, a[..., F + 1 : F + 2], -1)
    assert np.all(chosen == best)  # works for a best-paying firm
    assert np.array_equal(rule(obs["consumer"][1]), a[1])  # any leading axes
    rr = BudgetShare(venv.params, employer="round_robin")(obs["consumer"])
    assert np.array_equal(rr[0, :, F + 1], np.arange(40) % 5)


def test_nobody_works_for_nothing():
    venv = RBCVectorEnv(n_consumers=6, n_firms=2)  # initial wages are 0
    venv.reset()
    for labour in ("marginal", "fixed"):
        a = BudgetShare(venv.params, labour=labour)(venv.raw_observations()["consumer"])
        assert np.all(a[..., 2] == 0)


def test_marginal_labour_supply_compares_wage_value_with_disutility():
    p = RBCParams(n_consumers=100, n_firms=2, initial_wage=11.0, initial_price=2000.0)
    venv = RBCVectorEnv(p)
    venv.reset()
    raw = venv.raw_observations()["consumer"].copy()
    rule = BudgetShare(p)
    # nothing in stock: p = 2000 (mean price), c = 0 -> an hour is worth (1 - tau) 11 / 2000 utils
    for tau in (0.0, 0.4, 0.8):
        raw[..., 4 * 2] = tau
        hours = rule(raw)[0, :, 2]
        works = (1 - tau) * 11 / 2000 >= 0.5 * raw[0, :, 4 * 2 + 4]
        assert np.array_equal(hours == 4, works) and np.all((hours == 0) | (hours == 4))
    assert works.sum() < 100  # taxes make the consumers with the highest disutility stop working


def test_cost_plus_prices_cover_unit_labour_cost(raw):
    venv, obs = raw
    p = venv.params
    rule = CostPlus(p, markup=0.5, wage=11.0)
    a = rule(obs["firm"])
    dec = venv.decode_firm_actions(a)
    assert np.all(dec["wage"] == 11.0)
    L = p.n_consumers * 520.0 / p.n_firms
    K, alpha = obs["firm"][..., 4 * 5 + 4], obs["firm"][..., 4 * 5 + 5]
    ulc = 11.0 * L / (p.technology * K ** (1 - alpha) * L**alpha)
    target = 1.5 * ulc
    assert np.all((dec["price"] >= target - 1e-9) | (dec["price"] == 2500.0))
    lower = np.array(p.price_choices)[np.maximum(np.searchsorted(p.price_choices, target) - 1, 0)]
    assert np.all((lower < target) | (dec["price"] == lower))


def test_fixed_rules_and_random_actions(raw):
    venv, obs = raw
    p = venv.params
    assert np.all(FixedTax(p, 0.6, 0.2)(obs["government"]) == 3 * 6 + 1)
    assert FixedTax.from_index(p, 19).income_tax == 0.6
    assert np.all(venv.decode_firm_actions(FixedPriceWage(p, 1500.0, 33.0)(obs["firm"]))["price"] == 1500.0)
    with pytest.raises(ValueError, match="is not one of the choices"):
        FixedTax(p, 0.5, 0.2)
    with pytest.raises(ValueError, match="raw observations must have shape"):
        BudgetShare(p)(obs["firm"])
    rng = np.random.default_rng(0)
    a = RandomActions(p, "consumer").sample((3, 40), rng)
    assert a.shape == (3, 40, 7) and a[..., 5].max() == 4 and a[..., 6].max() == 4 and a[..., :5].max() == 10
    venv.check_actions(
        {
            "consumer": a,
            "firm": RandomActions(p, "firm").sample((3, 5), rng),
            "government": RandomActions(p, "government").sample((3, 1), rng),
        }
    )
