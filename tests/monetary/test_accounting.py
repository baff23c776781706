"""Every balance sheet adds up every month, and money moves only through documented channels."""

import numpy as np
import pytest

import econ_envs
from econ_envs.monetary import kernels as kr
from econ_envs.monetary import policies as P
from tests.monetary.identities import assert_month_consistent, assert_state_consistent


@pytest.mark.parametrize(
    "kwargs", [{}, {"n_banks": 1, "n_households": 12, "n_firms": 3}, {"n_banks": 8, "n_households": 400, "n_firms": 30}]
)
def test_reset_balance_sheets(kwargs):
    env = econ_envs.make("monetary-v0", **kwargs)
    for seed in range(3):
        env.reset(seed=seed)
        assert_state_consistent(env.economy)


@pytest.mark.parametrize("seed", [0, 1])
def test_identities_every_month_under_random_actions(seed):
    env = econ_envs.make("monetary-v0", episode_length=120)
    env.reset(seed=seed)
    for a in env.possible_agents:
        env.action_space(a).seed(seed)
    while env.agents:
        env.step({a: env.action_space(a).sample() for a in env.agents})
        assert_month_consistent(env.economy)


def test_identities_with_shocks_small_and_large_economies():
    small = {"n_banks": 1, "n_households": 12, "n_firms": 3}
    for kwargs in (small, {"n_banks": 6, "n_households": 600, "n_firms": 40}):
        env = econ_envs.make("monetary-v0", episode_length=60, **kwargs)
        prof = P.Taylor93Profile(env)
        prof.reset(env, 3)
        t = 0
        while not env.episode_over:
            if t == 5:
                env.apply_shock("credit", 20.0)  # a fifth of borrowers default: losses, breaches, resolutions
            if t == 10:
                env.apply_shock("demand", -30.0)
                env.apply_shock("cost_push", 10.0)
            if t == 20:
                env.apply_shock("policy_rate", -3.0)
            env.step_batch(prof.act(env))
            assert_month_consistent(env.economy)
            t += 1


def test_extreme_constant_actions_keep_the_books_straight():
    env = econ_envs.make("monetary-v0", n_banks=3, n_households=60, n_firms=6, episode_length=80)
    cases = [
        {"central_bank": [4], "bank": np.full(3, 0), "household": np.full(60, 29), "firm": np.full(6, 44)},
        {"central_bank": [0], "bank": np.full(3, 74), "household": np.full(60, 3), "firm": np.full(6, 0)},
    ]
    for acts in cases:
        env.reset(seed=0)
        while not env.episode_over:
            env.step_batch(acts)
            assert_month_consistent(env.economy)


def test_money_is_created_by_lending_and_destroyed_by_repayment():
    env = econ_envs.make("monetary-v0")
    prof = P.Taylor93Profile(env)
    prof.reset(env, 0)
    for _ in range(12):
        env.step_batch(prof.act(env))
        rec = env.economy.last
        assert rec.rec_b[kr.RB_ORIG].sum() > 0 and rec.rec_b[kr.RB_PRIN].sum() > 0
    assert_month_consistent(env.economy)
