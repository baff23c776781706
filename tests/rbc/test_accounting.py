"""Money and goods balance every quarter in long runs, open and closed; the kernels match a direct restatement."""

import numpy as np
import pytest

from econ_envs.rbc.params import RBCParams
from econ_envs.rbc.policies import rule_profile
from econ_envs.rbc.vector import RBCVectorEnv

from .helpers import assert_identities, random_actions
from .reference import reference_step, state_of


@pytest.mark.parametrize("open_economy", [True, False])
@pytest.mark.parametrize("afford", [False, True])
def test_identities_every_step_long_random_runs(open_economy, afford):
    # 16 replicas x 400 quarters of random actions (40 episodes of 10 quarters)
    venv = RBCVectorEnv(n_replicas=16, open_economy=open_economy)
    rng = np.random.default_rng(7 + open_economy + 2 * afford)
    steps = 0
    rationed = 0.0
    for _ in range(40):
        venv.reset(seed=int(rng.integers(1 << 30)))
        while not venv.episode_over:
            out = venv.step(random_actions(venv, rng, afford=afford))
            assert_identities(venv)
            for role, obs in out.observations.items():  # observations stay inside their documented bounds
                space = venv.single_observation_space(role)
                assert np.all(obs >= space.low) and np.all(obs <= space.high), role
            rationed += venv.state.overdemanded.sum()
            steps += 1
    assert steps == 400
    assert rationed > 0  # the runs exercise proportional rationing


def test_identities_long_episode_with_interest_and_rules():
    # 300 quarters in one episode, positive interest, rule-based agents (open economy), plus random taxes
    venv = RBCVectorEnv(n_replicas=4, episode_length=300, interest_rate=0.02, n_consumers=30, n_firms=6)
    prof = rule_profile(venv.params)
    rng = np.random.default_rng(0)
    venv.reset(seed=0)
    while not venv.episode_over:
        acts = prof.act(venv)
        acts["government"] = rng.integers(0, 36, size=(4, 1))
        venv.step(acts)
        assert_identities(venv)
    assert venv.state.t == 300
    assert venv.last.consumer_interest.sum() > 0


def test_firms_can_borrow_and_consumers_cannot():
    # firms pay the top wage for every hour offered and sell nothing (price 0 goods are still sold, so
    # use the highest price and consumers who never buy): firm budgets fall below zero, consumers' never do
    p = RBCParams(n_consumers=50, n_firms=5, firm_initial_budget=1000.0, episode_length=20)
    venv = RBCVectorEnv(p, n_replicas=2)
    venv.reset(seed=1)
    F = 5
    cons = np.zeros((2, 50, F + 2), dtype=np.int64)
    cons[..., F] = 4  # 1040 hours
    cons[..., F + 1] = np.arange(50) % F
    firm = np.full((2, F), venv.firm_action_index(5, 4))  # price 2500, wage 44
    while not venv.episode_over:
        venv.step({"consumer": cons, "firm": firm, "government": np.zeros((2, 1), dtype=np.int64)})
        assert_identities(venv)
    assert venv.state.firm_budget.min() < 0
    assert venv.state.consumer_budget.min() > 0


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"open_economy": False},
        {"interest_rate": 0.1, "firm_revenue_bonus": 0.5, "consumer_noponzi_coef": 2.0, "firm_noponzi_coef": 1.0},
        {"labor_floor": 600.0, "export_price_inclusive": False, "crra": 2.5, "investment_choices": (0.0, 0.3)},
        {"n_consumers": 7, "n_firms": 3, "consumer_endowment": 0.0, "initial_wage": 22.0, "initial_inventory": 5.0},
    ],
)
def test_kernel_matches_reference_restatement(overrides):
    p = RBCParams(**overrides)
    venv = RBCVectorEnv(p, n_replicas=3)
    venv.reset(seed=0)
    rng = np.random.default_rng(3)
    t = 0
    while not venv.episode_over:
        acts = random_actions(venv, rng, afford=t % 2 == 1)
        before = [state_of(venv, b) for b in range(3)]
        out = venv.step(acts)
        rec = venv.last
        for b in range(3):
            ref = reference_step(
                p,
                before[b],
                acts["consumer"][b],
                acts["firm"][b],
                int(acts["government"][b, 0]),
                final=venv.episode_over,
            )
            got = state_of(venv, b)
            for k in ("price", "wage", "stock", "flag", "budget_f", "capital", "budget_c", "theta"):
                np.testing.assert_allclose(got[k], ref[k], rtol=1e-10, atol=1e-8, err_msg=k)
            assert got["tau"] == ref["tau"] and got["sigma"] == ref["sigma"]
            np.testing.assert_allclose(rec.consumption[b], ref["c"], rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(rec.exports[b], ref["X"], rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(rec.output[b], ref["Y"], rtol=1e-12)
            np.testing.assert_allclose(rec.labour[b], ref["L"], rtol=0)
            np.testing.assert_allclose(out.rewards["consumer"][b], ref["r_consumer"], rtol=1e-11, atol=1e-10)
            np.testing.assert_allclose(out.rewards["firm"][b], ref["r_firm"], rtol=1e-11, atol=1e-6)
            np.testing.assert_allclose(out.rewards["government"][b, 0], ref["r_government"], rtol=1e-11)
        assert_identities(venv)
        t += 1
