"""The standard contracts: PettingZoo's parallel API and seed tests, Gymnasium's env checker."""

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from pettingzoo.test import parallel_api_test, parallel_seed_test

import econ_envs
from econ_envs.taxai.planner import TaxPlannerEnv


@pytest.mark.parametrize("n", [10, 100])
@pytest.mark.parametrize("income_tax", ["hsv", "brackets"])
def test_parallel_api(n, income_tax):
    env = econ_envs.make("taxai-v0", n_households=n, income_tax=income_tax, episode_length=60)
    parallel_api_test(env, num_cycles=80)


@pytest.mark.parametrize("n", [10, 100])
def test_parallel_seed(n):
    parallel_seed_test(lambda: econ_envs.make("taxai-v0", n_households=n, episode_length=40), num_cycles=40)


def test_spaces_and_agents():
    env = econ_envs.make("taxai-v0", n_households=12)
    assert env.possible_agents[0] == "government"
    assert env.possible_agents[1:] == [f"household_{i}" for i in range(12)]
    assert env.observation_space("household_3") is env.observation_space("household_7")
    assert env.action_space("government").shape == (5,)
    obs, infos = env.reset(seed=1)
    assert set(obs) == set(env.possible_agents) == set(infos)
    assert len(env.household_obs_names()) == env.observation_space("household_0").shape[0]
    assert len(env.government_obs_names()) == env.observation_space("government").shape[0]
    for agent, o in obs.items():
        assert o.dtype == np.float32 and env.observation_space(agent).contains(o)


@pytest.mark.parametrize("household_policy", ["buffer_stock", "constant_saving"])
def test_planner_view_check_env(household_policy):
    env = TaxPlannerEnv(household_policy=household_policy, n_households=20, episode_length=50)
    check_env(env, skip_render_check=True)


def test_planner_via_gymnasium_make_with_callable_households():
    calls = []

    def lazy_households(obs):
        calls.append(obs.shape)
        return np.tile([0.8, 0.4], (obs.shape[0], 1))

    env = gymnasium.make("econ_envs/TaxAI-Planner-v0", household_policy=lazy_households, n_households=30)
    obs, _ = env.reset(seed=3)
    obs, reward, term, trunc, info = env.step(env.action_space.sample())
    assert calls == [(30, env.unwrapped.env.observation_space("household_0").shape[0])]
    assert np.isfinite(reward) and "aggregates" in info and not term


def test_aggregates_keys():
    env = econ_envs.make("taxai-v0", n_households=10)
    env.reset(seed=0)
    required = {
        "gdp",
        "consumption",
        "investment",
        "government_spending",
        "capital",
        "labor",
        "wage",
        "interest_rate",
        "debt",
        "tax_revenue",
        "wealth_gini",
        "income_gini",
        "social_welfare",
    }
    for ag in (env.aggregates(),):
        assert required <= set(ag)
        assert all(isinstance(v, float) for v in ag.values())
    env.step(env.actions_to_dict({"government": np.zeros((1, 5)), "household": np.full((10, 2), 0.5)}))
    assert required <= set(env.aggregates())
