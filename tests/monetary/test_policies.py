"""Rule agents are plain callables from observations to valid action indices."""

import numpy as np
import pytest

import econ_envs
from econ_envs.monetary import policies as P
from econ_envs.monetary.params import MonetaryParams


def test_rules_map_observations_to_valid_indices():
    env = econ_envs.make("monetary-v0", n_households=300, n_firms=30, n_banks=7)
    obs, _ = env.reset_batch(seed=0)
    p = env.params
    rules = ((P.BankRule(p), "bank", 75), (P.HouseholdRule(p), "household", 30), (P.FirmRule(p), "firm", 45))
    for rule, role, n in rules:
        a = rule(obs[role])
        assert a.dtype == np.int64 and a.shape == (obs[role].shape[0],) and a.min() >= 0 and a.max() < n
        one = rule(obs[role][0])
        assert np.ndim(one) == 0 and 0 <= int(one) < n
        with pytest.raises(ValueError, match="columns"):
            rule(obs[role][:, :3])
    for name in P.CENTRAL_BANK_RULES:
        a = P.make_rule("central_bank", name, p)(obs["central_bank"][0])
        assert isinstance(a, int) and 0 <= a < 5


def test_nearest_rate_change_and_randomised_rounding():
    assert [P.nearest_rate_change(x) for x in (-2.0, -0.3, -0.125, 0.1, 0.4, 0.375, 3.0)] == [0, 1, 2, 2, 4, 3, 4]
    grid = np.array([0.7, 0.75, 0.8, 0.85, 0.9])
    u = np.random.default_rng(0).random(200_000)
    idx = P.randomised_index(np.full(u.size, 0.78), grid, u)
    assert set(np.unique(idx)) == {1, 2}
    assert grid[idx].mean() == pytest.approx(0.78, abs=1e-3)
    assert np.all(P.randomised_index(np.array([0.1, 5.0]), grid, np.array([0.5, 0.5])) == [0, 4])


def test_rule_generators_are_seeded_and_reset():
    p = MonetaryParams()
    env = econ_envs.make("monetary-v0")
    obs, _ = env.reset_batch(seed=0)
    r = P.HouseholdRule(p, seed=4)
    a1 = [r(obs["household"]) for _ in range(3)]
    r.reset(4)
    a2 = [r(obs["household"]) for _ in range(3)]
    assert all(np.array_equal(x, y) for x, y in zip(a1, a2))


def test_make_rule_and_rule_arguments_validate():
    p = MonetaryParams()
    with pytest.raises(ValueError, match="unknown central_bank rule"):
        P.make_rule("central_bank", "volcker", p)
    with pytest.raises(ValueError, match="unknown role"):
        P.make_rule("treasury", None, p)
    with pytest.raises(ValueError, match="rho"):
        P.TaylorRule(p, rho=1.5)
    with pytest.raises(ValueError, match="borrow_rate"):
        P.HouseholdRule(p, borrow_rate=2.0)
    with pytest.raises(ValueError, match="rate must be finite"):
        P.FixedRate(p, rate=float("nan"))
    assert P.TaylorRule(p, r_star=2.0).r_star == 2.0 and P.taylor93(p).r_star == pytest.approx(1.0)
