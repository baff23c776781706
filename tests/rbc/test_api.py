"""The standard contracts: PettingZoo's parallel API and seed tests, Gymnasium's env checker, spaces and layouts."""

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from pettingzoo.test import parallel_api_test, parallel_seed_test

import econ_envs
from econ_envs.rbc import make_vector
from econ_envs.rbc.planner import RBCGovernmentEnv


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"n_consumers": 12, "n_firms": 3, "open_economy": False},
        {"n_consumers": 5, "n_firms": 2, "observation_mode": "digits"},
    ],
)
def test_parallel_api(kwargs):
    env = econ_envs.make("rbc-v0", episode_length=30, **kwargs)
    parallel_api_test(env, num_cycles=40)


@pytest.mark.parametrize("n", [8, 100])
def test_parallel_seed(n):
    parallel_seed_test(lambda: econ_envs.make("rbc-v0", n_consumers=n, n_firms=4), num_cycles=12)


def test_agents_spaces_and_layouts():
    env = econ_envs.make("rbc-v0")
    assert env.possible_agents[:2] == ["consumer_0", "consumer_1"]
    assert env.possible_agents[100:111] == [f"firm_{i}" for i in range(10)] + ["government"]
    assert len(env.possible_agents) == 111
    assert env.action_space("consumer_5").nvec.tolist() == [11] * 10 + [5, 10]
    assert env.action_space("firm_3").n == 30 and env.action_space("government").n == 36
    assert env.observation_space("consumer_0").shape == (45,)
    assert env.observation_space("firm_0").shape == (56,)
    assert env.observation_space("government").shape == (43,)
    for role in ("consumer", "firm", "government"):
        assert len(env.observation_names(role)) == env.core.obs_dims[role]
    obs, infos = env.reset(seed=0)
    assert set(obs) == set(env.possible_agents) == set(infos)
    for agent, o in obs.items():
        assert o.dtype == np.float32 and env.observation_space(agent).contains(o)
    digits = econ_envs.make("rbc-v0", observation_mode="digits")
    assert [digits.observation_space(a).shape[0] for a in ("consumer_0", "firm_0", "government")] == [144, 155, 133]


def test_observation_modes_encode_the_same_state():
    raw = make_vector(2, observation_mode="raw")
    scaled = make_vector(2)
    digits = make_vector(2, observation_mode="digits")
    rng = np.random.default_rng(0)
    for v in (raw, scaled, digits):
        v.reset(seed=0)
    for _ in range(4):
        acts = {
            "consumer": rng.integers(0, raw.consumer_nvec, size=(2, 100, 12)),
            "firm": rng.integers(0, 30, size=(2, 10)),
            "government": rng.integers(0, 36, size=(2, 1)),
        }
        for v in (raw, scaled, digits):
            v.step(acts)
    r, s, d = raw.observations(), scaled.observations(), digits.observations()
    st = raw.state
    F = 10
    # raw layout: global state then private parts, in natural units
    np.testing.assert_array_equal(r["government"][:, 0, :F], st.price.astype(np.float32))
    np.testing.assert_array_equal(r["government"][:, 0, 2 * F : 3 * F], st.inventory.astype(np.float32))
    np.testing.assert_array_equal(
        r["government"][:, 0, 4 * F : 4 * F + 3],
        np.c_[st.income_tax, st.corporate_tax, np.full(2, 4.0)].astype(np.float32),
    )
    np.testing.assert_array_equal(r["consumer"][:, :, 4 * F + 3], st.consumer_budget.astype(np.float32))
    np.testing.assert_array_equal(r["firm"][:, :, 4 * F + 4], st.capital.astype(np.float32))
    np.testing.assert_array_equal(r["firm"][0, 3, 4 * F + 6 :], np.eye(F, dtype=np.float32)[3])
    assert np.array_equal(raw.raw_observations()["consumer"], r["consumer"])
    assert np.array_equal(scaled.raw_observations()["firm"], r["firm"])
    # scaled: divided by the documented constants
    np.testing.assert_allclose(s["consumer"][..., :F], r["consumer"][..., :F] / 2500, rtol=1e-6)
    np.testing.assert_allclose(s["consumer"][..., F : 2 * F], r["consumer"][..., F : 2 * F] / 44, rtol=1e-6)
    np.testing.assert_allclose(s["consumer"][..., 2 * F : 3 * F], r["consumer"][..., 2 * F : 3 * F] / 100, rtol=1e-6)
    np.testing.assert_allclose(s["consumer"][..., 4 * F + 2], 0.4, rtol=1e-6)
    np.testing.assert_allclose(s["consumer"][..., 4 * F + 3], st.consumer_budget / 2000, rtol=1e-6)
    np.testing.assert_allclose(s["consumer"][..., 4 * F + 4], st.theta / 0.01, rtol=1e-6)
    np.testing.assert_allclose(s["firm"][..., 4 * F + 3], st.firm_budget / 2.2e6, rtol=1e-6)
    np.testing.assert_allclose(s["firm"][..., 4 * F + 4], st.capital / 10000, rtol=1e-6)
    # digits: (x mod 10^k) / 10^k, as Python's floor-mod, in place of inventory and budget
    names = digits.observation_names("firm")
    for b in range(2):
        for i in range(F):
            x = float(st.firm_budget[b, i])
            k0 = names.index("budget_digit_1")
            want = [(x % 10.0**k) / 10.0**k for k in range(1, 11)]
            np.testing.assert_allclose(d["firm"][b, i, k0 : k0 + 10], want, rtol=1e-6, atol=1e-7)
            y = float(st.inventory[b, i])
            j0 = names.index(f"inventory_{i}_digit_1")
            np.testing.assert_allclose(
                d["firm"][b, i, j0 : j0 + 10], [(y % 10.0**k) / 10.0**k for k in range(1, 11)], rtol=1e-6, atol=1e-7
            )
    neg = make_vector(1, observation_mode="digits", firm_initial_budget=-1234.5)
    obs = neg.reset()
    k0 = neg.observation_names("firm").index("budget_digit_1")
    np.testing.assert_allclose(
        obs["firm"][0, 0, k0 : k0 + 3], [(-1234.5 % 10) / 10, (-1234.5 % 100) / 100, (-1234.5 % 1000) / 1000], rtol=1e-6
    )


@pytest.mark.parametrize("firm_policy", ["cost_plus", "fixed_price_wage"])
def test_government_view_check_env(firm_policy):
    env = RBCGovernmentEnv(firm_policy=firm_policy, n_consumers=20, n_firms=4)
    check_env(env, skip_render_check=True)


def test_government_view_via_gymnasium_make_with_callables():
    calls = []

    def consumers(raw):
        calls.append(raw.shape)
        out = np.zeros((raw.shape[0], 6), dtype=np.int64)
        out[:, 4] = 2  # 520 hours
        out[:, 5] = np.arange(raw.shape[0]) % 4
        return out

    env = gymnasium.make("econ_envs/RBC-Government-v0", consumer_policy=consumers, n_consumers=9, n_firms=4)
    obs, _ = env.reset(seed=1)
    assert obs.shape == (19,)
    total = 0.0
    for t in range(10):
        obs, reward, term, trunc, info = env.step(7)
        total += reward
        assert not term and trunc == (t == 9)
        assert "social_welfare" in info["aggregates"]
    assert calls == [(9, 21)] * 10 and np.isfinite(total)
    with pytest.raises(ValueError, match="unknown consumer rule"):
        RBCGovernmentEnv(consumer_policy="nope")


def test_aggregates_and_simulate_contract():
    env = econ_envs.make("rbc-v0")
    assert env.time_unit == "quarter" and env.episode_length == 10
    env.reset(seed=0)
    keys = {
        "output",
        "consumption",
        "exports",
        "inventory",
        "mean_price",
        "mean_wage",
        "hours_per_consumer",
        "social_welfare",
        "tax_revenue",
        "money_stock",
        "money_residual",
        "goods_residual",
    }
    assert keys <= set(env.aggregates())
    assert all(isinstance(v, float) for v in env.aggregates().values())
    assert "n_consumers" in env.params.to_dict()


def test_vector_interface_shapes():
    venv = make_vector(5, n_consumers=20, n_firms=4)
    obs = venv.reset(seed=0)
    assert {k: v.shape for k, v in obs.items()} == {
        "consumer": (5, 20, 21),
        "firm": (5, 4, 26),
        "government": (5, 1, 19),
    }
    rng = np.random.default_rng(0)
    for t in range(10):
        out = venv.step(
            {
                "consumer": rng.integers(0, venv.consumer_nvec, size=(5, 20, 6)),
                "firm": rng.integers(0, 30, size=(5, 4)),
                "government": rng.integers(0, 36, size=(5, 1)),
            }
        )
        assert {k: v.shape for k, v in out.rewards.items()} == {
            "consumer": (5, 20),
            "firm": (5, 4),
            "government": (5, 1),
        }
        assert out.truncated.shape == (5,) and out.truncated.all() == (t == 9) and not out.terminated.any()
    with pytest.raises(ValueError, match="episode is over"):
        venv.step({})
    assert venv.single_action_space("consumer").nvec.tolist() == [11] * 4 + [5, 4]
    dec = venv.decode_firm_actions(np.array([0, 29, venv.firm_action_index(2, 3)]))
    assert dec["price"].tolist() == [0, 2500, 1000] and dec["wage"].tolist() == [0, 44, 33]
    assert dec["investment_share"].tolist() == [0.1] * 3
    g = venv.decode_government_actions(venv.government_action_index(np.array([1, 5]), np.array([4, 0])))
    assert g["income_tax"].tolist() == [0.2, 1.0] and g["corporate_tax"].tolist() == [0.8, 0.0]
    c = venv.decode_consumer_actions(np.array([3, 0, 10, 1, 4, 2]))
    assert c["consumption"].tolist() == [3, 0, 10, 1] and c["hours"] == 1040 and c["employer"] == 2


def test_no_agent_ceiling():
    env = econ_envs.make("rbc-v0", n_consumers=1000, n_firms=100)
    assert len(env.possible_agents) == 1101
    venv = make_vector(2, n_consumers=1000, n_firms=100)
    venv.reset(seed=0)
    rng = np.random.default_rng(0)
    venv.step(
        {
            "consumer": rng.integers(0, venv.consumer_nvec, size=(2, 1000, 102)),
            "firm": rng.integers(0, 30, size=(2, 100)),
            "government": np.zeros((2, 1), dtype=np.int64),
        }
    )
    assert venv.observations()["consumer"].shape == (2, 1000, 405)
    assert np.all(np.isfinite(venv.observations()["firm"]))
