"""Every identity, every year, over long random and rule-driven runs."""

import numpy as np
import pytest

import econ_envs
from econ_envs.taxai import policies as P

from .identities import assert_year_consistent


@pytest.mark.parametrize("income_tax", ["hsv", "brackets"])
@pytest.mark.parametrize("preset", ["us2022", "taxai", "dsmfg"])
def test_identities_hold_every_year_under_random_actions(income_tax, preset):
    env = econ_envs.make("taxai-v0", preset=preset, n_households=200, income_tax=income_tax)
    eco = env.economy
    rng = np.random.default_rng(7)
    gov_space = env.action_space("government")
    years = 0
    episode = 0
    while years < 400:
        env.reset_batch(seed=episode)
        assert_year_consistent(eco)  # the reset snapshot is consistent too
        while not env.episode_over:
            gov = rng.uniform(gov_space.low, gov_space.high)[None, :]
            hh = rng.uniform(0.0, 1.0, (200, 2))
            if episode % 2:
                hh[:, 0] = rng.uniform(0.7, 1.0, 200)  # mostly savers: long episodes
            res = env.step_batch({"government": gov, "household": hh})
            assert_year_consistent(eco)
            years += 1
        if res.terminated:  # a collapse is reported with its economic reason
            assert res.info["termination_reason"].startswith("capital_depleted")
        episode += 1


def test_identities_at_extreme_but_legal_actions():
    env = econ_envs.make("taxai-v0", n_households=50)
    eco = env.economy
    high = env.action_space("government").high
    cases = [
        (np.zeros(5), np.zeros((50, 2))),  # nobody works, everybody consumes everything
        (high, np.ones((50, 2))),  # maximal taxes, everyone saves everything and works the whole endowment
        (high, np.column_stack([np.zeros(50), np.ones(50)])),
        (np.zeros(5), np.column_stack([np.ones(50), np.zeros(50)])),
    ]
    for gov, hh in cases:
        env.reset_batch(seed=0)
        for _ in range(5):
            if env.episode_over:
                break
            res = env.step_batch({"government": gov[None, :], "household": hh})
            assert_year_consistent(eco)
            assert all(np.all(np.isfinite(r)) for r in res.rewards.values())
            assert all(np.all(np.isfinite(o)) for o in res.observations.values())


@pytest.mark.parametrize("government", ["free_market", "us_federal", "saez"])
def test_identities_under_baselines(government):
    profile_cls = {"free_market": P.FreeMarketProfile, "us_federal": P.USFederalProfile, "saez": P.SaezProfile}[
        government
    ]
    env = econ_envs.make("taxai-v0", n_households=300, **profile_cls.env_overrides)
    prof = profile_cls(env)
    prof.reset(env, 11)
    while not env.episode_over:
        env.step_batch(prof.act(env))
        assert_year_consistent(env.economy)
