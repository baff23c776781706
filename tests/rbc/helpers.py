"""Shared helpers of the RBC tests: random actions, identity checks."""

from __future__ import annotations

import numpy as np

from econ_envs.rbc.vector import RBCVectorEnv


def random_actions(venv: RBCVectorEnv, rng: np.random.Generator, afford: bool = False) -> dict[str, np.ndarray]:
    """Uniform random indices; ``afford`` draws small consumption attempts (mostly within budget)."""
    B, N, F = venv.n_replicas, venv.n_consumers, venv.n_firms
    cons = rng.integers(0, venv.consumer_nvec, size=(B, N, F + 2))
    if afford:
        cons[..., :F] = rng.integers(0, 2, size=(B, N, F)) * rng.integers(0, 3, size=(B, N, F))
    return {
        "consumer": cons,
        "firm": rng.integers(0, venv.params.n_firm_actions, size=(B, F)),
        "government": rng.integers(0, venv.params.n_government_actions, size=(B, 1)),
    }


def assert_identities(venv: RBCVectorEnv, rtol: float = 1e-9) -> None:
    """Money and goods balance in every replica, nothing is NaN/inf, budgets behave as documented."""
    rec = venv.last
    b0, b1 = rec.before, rec.after
    for arr in (b1.FS, b1.CS, b1.GS, rec.FB, rec.CB, rec.consumption, *rec.rewards.values()):
        assert np.all(np.isfinite(arr))
    p = venv.params
    N = venv.n_consumers
    price = b0.price
    # --- goods: production = sales + exports + inventory change, per firm
    assert np.allclose(
        b1.inventory - b0.inventory,
        rec.output - rec.sales - rec.exports,
        rtol=0,
        atol=1e-9 * np.maximum(1.0, b0.inventory + rec.output).max(),
    )
    assert np.all(b1.inventory >= 0)
    assert np.allclose(rec.consumption.sum(1), rec.sales, rtol=1e-12, atol=1e-9)
    assert np.all(rec.sales <= b0.inventory * (1 + 1e-12) + 1e-9)  # never sell what is not there
    assert np.all(rec.consumption >= 0) and np.all(rec.exports >= 0)
    assert np.all(rec.exports <= p.export_quantity + 1e-12)
    if not p.open_economy:
        assert np.all(rec.exports == 0)
    # --- money, recomputed from the consumers' and firms' own flows (not from money_flows())
    spend = (rec.consumption * price[:, None, :]).sum(2)
    revenue_consumers = (price * rec.sales).sum(1)
    assert np.allclose(spend.sum(1), revenue_consumers, rtol=1e-11, atol=1e-6)
    wages_paid = (b0.wage * rec.labour).sum(1)
    wages_earned = rec.labour_income.sum(1)
    assert np.allclose(wages_paid, wages_earned, rtol=1e-11, atol=1e-6)
    collected = rec.income_tax.sum(1) + rec.corporate_tax.sum(1)
    assert np.allclose(collected, rec.transfer.sum(1), rtol=1e-11, atol=1e-6)  # government keeps nothing
    money0 = b0.consumer_budget.sum(1) + b0.firm_budget.sum(1)
    money1 = b1.consumer_budget.sum(1) + b1.firm_budget.sum(1)
    inflow = (
        N * p.consumer_endowment
        + (price * rec.exports).sum(1)
        + rec.consumer_interest.sum(1)
        + rec.firm_interest.sum(1)
    )
    outflow = rec.investment.sum(1)
    scale = np.maximum(np.abs(money0) + np.abs(money1), 1.0)
    assert np.all(np.abs(money1 - money0 - (inflow - outflow)) <= rtol * scale)
    flows = venv.money_flows()
    assert np.all(np.abs(flows["residual"]) <= rtol * scale)
    # --- consumers cannot borrow; spending never exceeds the budget
    assert np.all(spend <= np.maximum(b0.consumer_budget, 0) * (1 + 1e-12) + 1e-9)
    if p.consumer_endowment > 0:
        assert np.all(b1.consumer_budget > 0)
    else:
        assert np.all(b1.consumer_budget >= -1e-9 * np.maximum(b0.consumer_budget, 1))
    # --- capital grows by investment, which is never negative
    assert np.all(rec.investment >= 0) and np.allclose(b1.capital, b0.capital + rec.investment, rtol=1e-14)
