"""Public decode tables: counts as the seed states, encode/decode round trips, natural units."""

import numpy as np
import pytest

from econ_envs.monetary import actions as A
from econ_envs.monetary.params import MonetaryParams


def test_counts_match_the_seed():
    assert A.N_ACTIONS == {"central_bank": 5, "bank": 75, "household": 30, "firm": 45}
    assert A.RATE_CHANGES_BP == (-50.0, -25.0, 0.0, 25.0, 50.0)


@pytest.mark.parametrize("role", list(A.COMPONENTS))
def test_round_trip(role):
    n = A.N_ACTIONS[role]
    idx = np.arange(n)
    parts = A.decode(role, idx)
    assert np.array_equal(A.encode(role, *parts), idx)
    for k in range(n):
        assert A.encode(role, *A.decode(role, k)) == k
    assert len(A.action_table(role)) == n


def test_meanings():
    p = MonetaryParams()
    bank = A.action_table("bank", p)
    assert bank[0] == {"lending_spread_pct_per_year": 1.0, "deposit_spread_pct_per_year": 0.0, "risk_tolerance": "low",
                       "household_dsti_cap": 0.25, "firm_leverage_cap": 0.3}  # fmt: skip
    assert bank[74]["risk_tolerance"] == "high" and bank[74]["lending_spread_pct_per_year"] == 3.0
    hh = A.action_table("household", p)[A.encode("household", 2, 1, 0)]
    assert hh["consumption_rate"] == 0.8 and hh["borrow"] == "yes" and hh["hours_if_employed"] == 0.8
    firm = A.action_table("firm", p)[A.encode("firm", 4, 2, 0)]
    assert firm["price_change_pct"] == 2.0 and firm["hiring"] == "hire" and firm["investment"] == "low"
    assert A.action_table("central_bank")[1] == {"rate_change_bp": -25.0}


def test_bad_indices():
    with pytest.raises(ValueError, match=r"outside \[0, 74\]"):
        A.decode("bank", 75)
    with pytest.raises(TypeError, match="integers"):
        A.decode("firm", 1.5)
    with pytest.raises(ValueError, match="unknown role"):
        A.decode("government", 0)
    with pytest.raises(ValueError, match=r"component borrow must be in \[0, 1\]"):
        A.encode("household", 0, 2, 0)
    with pytest.raises(ValueError, match="expected 3 components"):
        A.encode("firm", 0, 0)
