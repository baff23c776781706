"""The standard contracts: PettingZoo's parallel API and seed tests, Gymnasium's env checker, spaces and ids."""

import gymnasium
import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.utils.env_checker import check_env
from pettingzoo.test import parallel_api_test, parallel_seed_test

import econ_envs
from econ_envs.monetary import kernels as kr
from econ_envs.monetary.central_bank import CentralBankEnv
from econ_envs.monetary.economy import BANK_OBS_UNITS, CB_OBS_UNITS, FIRM_OBS_UNITS, HH_OBS_UNITS


@pytest.mark.parametrize("kwargs", [{}, {"n_banks": 2, "n_households": 30, "n_firms": 5}])
def test_parallel_api(kwargs):
    env = econ_envs.make("monetary-v0", episode_length=60, **kwargs)
    parallel_api_test(env, num_cycles=80)


def test_parallel_seed():
    parallel_seed_test(lambda: econ_envs.make("monetary-v0", episode_length=40), num_cycles=40)


def test_agents_and_spaces():
    env = econ_envs.make("monetary-v0", n_banks=3, n_households=40, n_firms=6)
    ids = env.possible_agents
    assert ids[0] == "central_bank"
    assert ids[1:4] == ["bank_0", "bank_1", "bank_2"]
    assert ids[4:44] == [f"household_{i}" for i in range(40)]
    assert ids[44:] == [f"firm_{i}" for i in range(6)]
    counts = {"central_bank": 5, "bank_1": 75, "household_7": 30, "firm_5": 45}
    for agent, n in counts.items():
        space = env.action_space(agent)
        assert isinstance(space, spaces.Discrete) and space.n == n
    assert env.observation_space("household_3") is env.observation_space("household_39")
    obs, infos = env.reset(seed=1)
    assert set(obs) == set(ids) == set(infos)
    for agent, o in obs.items():
        assert o.dtype == np.float32 and env.observation_space(agent).contains(o), agent
    widths = {"central_bank": kr.CB_OBS, "bank": kr.BANK_OBS, "household": kr.HH_OBS, "firm": kr.FIRM_OBS}
    units = {"central_bank": CB_OBS_UNITS, "bank": BANK_OBS_UNITS, "household": HH_OBS_UNITS, "firm": FIRM_OBS_UNITS}
    for role, width in widths.items():
        assert len(env.obs_names(role)) == width == len(units[role])
        agent = env.agent_ids(role)[0]
        assert env.observation_space(agent).shape == (width,)


def test_observations_at_reset_are_the_steady_state():
    env = econ_envs.make("monetary-v0")
    obs, _ = env.reset_batch(seed=0)
    cb = dict(zip(env.obs_names("central_bank"), obs["central_bank"][0]))
    assert cb["policy_rate"] == pytest.approx(3.0, abs=1e-5)
    assert cb["inflation_12m"] == pytest.approx(2.0, abs=1e-5)
    assert cb["inflation_target"] == pytest.approx(2.0, abs=1e-5)
    assert cb["unemployment"] == pytest.approx(5.0, abs=1e-4)
    assert cb["output_gap"] == pytest.approx(0.0, abs=1e-4)
    firm = obs["firm"]
    assert np.allclose(firm[:, list(env.obs_names("firm")).index("relative_price")], 1.0, atol=1e-6)
    assert np.allclose(firm[:, list(env.obs_names("firm")).index("inventory_months")], 1.0 / 0.99, atol=1e-3)


def test_aggregates_have_units_and_are_floats():
    env = econ_envs.make("monetary-v0")
    env.reset(seed=0)
    required = {
        "gdp", "potential_gdp", "output_gap", "inflation", "inflation_12m", "unemployment", "policy_rate",
        "lending_rate", "deposit_rate", "credit", "deposits", "bank_capital_ratio", "wealth_gini", "cb_loss",
        "cb_reward", "bank_reward", "household_reward", "firm_reward",
    }  # fmt: skip
    for _ in range(2):
        ag = env.aggregates()
        assert required <= set(ag)
        assert all(isinstance(v, float) for v in ag.values())
        env.step(env.actions_to_dict({"central_bank": [2], "bank": np.full(5, 37), "household": np.full(100, 16),
                                      "firm": np.full(20, 22)}))  # fmt: skip


@pytest.mark.parametrize("policies", [{}, {"household_policy": "buffer_stock", "firm_policy": "markup"}])
def test_central_bank_view_check_env(policies):
    env = CentralBankEnv(episode_length=50, **policies)
    check_env(env, skip_render_check=True)


def test_central_bank_view_with_callables_for_other_roles():
    calls = []

    def households(obs):
        calls.append(obs.shape)
        return np.full(obs.shape[0], 16)

    env = gymnasium.make(
        "econ_envs/Monetary-CentralBank-v0", household_policy=households, firm_policy=lambda o: np.full(len(o), 22),
        n_households=50, n_firms=5,
    )  # fmt: skip
    obs, _ = env.reset(seed=3)
    assert obs.shape == (kr.CB_OBS,)
    obs, reward, term, trunc, info = env.step(2)
    assert calls == [(50, kr.HH_OBS)]
    assert np.isfinite(reward) and reward <= 0 and "aggregates" in info and not term and not trunc


def test_central_bank_view_reset_reproducible():
    env = CentralBankEnv(episode_length=30)
    trajs = []
    for _ in range(2):
        obs, _ = env.reset(seed=11)
        out = [obs]
        for t in range(30):
            obs, r, term, trunc, _ = env.step(t % 5)
            out.append(obs)
        trajs.append(np.concatenate(out))
    assert trajs[0].tobytes() == trajs[1].tobytes()


def test_central_bank_view_unseeded_reset_continues_the_rules_draws():
    env = CentralBankEnv(episode_length=3, n_households=20, n_firms=4, n_banks=2)
    env.reset(seed=5)
    start = env.household_policy.rng.bit_generator.state
    for _ in range(3):
        env.step(2)
    end = env.household_policy.rng.bit_generator.state
    assert end != start
    env.reset()  # an unseeded reset (RLlib's after the first episode) continues the draws, never replays them
    assert env.household_policy.rng.bit_generator.state == end
    env.reset(seed=5)
    assert env.household_policy.rng.bit_generator.state == start
