"""Bad input gets a clear error naming the culprit and leaves the environment exactly as it was."""

import pickle

import numpy as np
import pytest

import econ_envs
from econ_envs.rbc.params import RBCParams
from econ_envs.rbc.vector import RBCVectorEnv


def snapshot(core: RBCVectorEnv):
    st = core.state
    obs = core.observations()
    return (
        pickle.dumps(core.rng.bit_generator.state),
        st.t,
        st.FS.copy(),
        st.CS.copy(),
        st.GS.copy(),
        {k: v.copy() for k, v in obs.items()},
        core.last,
        core.episode_over,
    )


def assert_same(a, b):
    assert a[0] == b[0] and a[1] == b[1] and a[6] is b[6] and a[7] == b[7]
    for x, y in zip(a[2:5], b[2:5]):
        assert np.array_equal(x, y)
    assert all(np.array_equal(a[5][k], b[5][k]) for k in a[5])


@pytest.fixture
def env():
    e = econ_envs.make("rbc-v0", n_consumers=10, n_firms=3)
    e.reset(seed=5)
    for _ in range(2):
        e.step(good_actions(e))
    return e


def good_actions(env):
    acts = {a: np.array([1, 0, 2, 2, int(a.split("_")[1]) % 3]) for a in env.agents if a.startswith("consumer")}
    acts.update({a: 13 for a in env.agents if a.startswith("firm")})
    acts["government"] = 7
    return acts


def rejected(env, actions, exc, match):
    before = snapshot(env.core)
    agents = list(env.agents)
    with pytest.raises(exc, match=match):
        env.step(actions)
    assert_same(before, snapshot(env.core))
    assert env.agents == agents
    env.step(good_actions(env))  # still usable afterwards


@pytest.mark.parametrize(
    "agent,value,exc,match",
    [
        (
            "consumer_7",
            np.array([1, 0, 11, 2, 0]),
            ValueError,
            r"consumer_7: action component 2 = 11 is outside \[0, 10\]",
        ),
        (
            "consumer_7",
            np.array([1, 0, 1, 5, 0]),
            ValueError,
            r"consumer_7: action component 3 = 5 is outside \[0, 4\]",
        ),
        (
            "consumer_2",
            np.array([1, 0, 1, 1, 3]),
            ValueError,
            r"consumer_2: action component 4 = 3 is outside \[0, 2\]",
        ),
        ("consumer_2", np.array([-1, 0, 1, 1, 0]), ValueError, r"consumer_2: action component 0 = -1"),
        ("firm_1", 30, ValueError, r"firm_1: action 30 is outside \[0, 29\]"),
        ("firm_0", -1, ValueError, r"firm_0: action -1 is outside"),
        ("government", 36, ValueError, r"government: action 36 is outside \[0, 35\]"),
        ("consumer_3", np.array([1.0, 0, np.nan, 1, 0]), ValueError, r"consumer_3: discrete action is not finite"),
        ("firm_2", np.inf, ValueError, r"firm_2: discrete action is not finite"),
        ("consumer_3", np.array([1.5, 0, 1, 1, 0]), TypeError, r"consumer_3: discrete actions must be integers"),
        ("consumer_4", np.array([1, 0, 1]), ValueError, r"consumer_4: action must have shape \(5,\)"),
        ("firm_0", np.array([1, 2]), ValueError, r"firm_0: action must have shape \(\)"),
        ("consumer_1", "3", TypeError, r"consumer_1"),
        ("firm_1", None, TypeError, r"firm_1"),
        ("government", True, TypeError, r"government"),
    ],
)
def test_bad_actions_are_rejected_and_state_untouched(env, agent, value, exc, match):
    a = good_actions(env)
    a[agent] = value
    rejected(env, a, exc, match)


def test_missing_and_unknown_agents(env):
    a = good_actions(env)
    del a["firm_2"]
    rejected(env, a, ValueError, r"missing action\(s\) for \['firm_2'\]")
    a = good_actions(env)
    a["consumer_10"] = np.zeros(5, dtype=int)
    rejected(env, a, ValueError, r"unknown agent id\(s\) \['consumer_10'\]")
    rejected(env, "not a dict", TypeError, "dict")


def test_vector_env_errors_name_replica_and_agent_and_leave_state_untouched():
    venv = RBCVectorEnv(n_replicas=4, n_consumers=6, n_firms=2)
    venv.reset(seed=0)
    good = {
        "consumer": np.zeros((4, 6, 4), dtype=np.int64),
        "firm": np.zeros((4, 2), dtype=np.int64),
        "government": np.zeros((4, 1), dtype=np.int64),
    }
    venv.step(good)
    cases = []
    bad = {k: v.copy() for k, v in good.items()}
    bad["consumer"][2, 5, 3] = 2
    cases.append((bad, ValueError, r"consumer_5 \(replica 2\): action component 3 = 2 is outside \[0, 1\]"))
    bad = {k: v.copy() for k, v in good.items()}
    bad["firm"][3, 1] = 99
    cases.append((bad, ValueError, r"firm_1 \(replica 3\): action = 99 is outside \[0, 29\]"))
    bad = {k: v.copy() for k, v in good.items()}
    bad["government"] = np.zeros((4,), dtype=np.int64)
    cases.append((bad, ValueError, r"government: actions must have shape \(4, 1\)"))
    bad = {k: v for k, v in good.items()}
    bad["firm"] = np.zeros((4, 2))
    bad["firm"][1, 0] = np.nan
    cases.append((bad, ValueError, r"firm: action of replica 1 is not finite"))
    bad = dict(good, firm=np.zeros((4, 2), dtype=bool))
    cases.append((bad, TypeError, r"firm: actions must be integer indices"))
    cases.append(
        ({k: v for k, v in good.items() if k != "firm"}, ValueError, r"missing actions for role\(s\) \['firm'\]")
    )
    cases.append((dict(good, bank=good["firm"]), ValueError, r"unknown role\(s\) \['bank'\]"))
    for acts, exc, match in cases:
        before = snapshot(venv)
        with pytest.raises(exc, match=match):
            venv.step(acts)
        assert_same(before, snapshot(venv))
    venv.step(good)


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"n_consumers": 0}, ValueError, r"n_consumers must be in \[1, 1000000\]"),
        ({"n_firms": 2.5}, TypeError, "n_firms must be an integer"),
        ({"episode_length": 0}, ValueError, "episode_length"),
        ({"price_choices": (0.0, -500.0)}, ValueError, r"price_choices\[1\] must be in"),
        ({"wage_choices": (22.0, 11.0)}, ValueError, "wage_choices must be strictly increasing"),
        ({"hours_choices": ()}, ValueError, "hours_choices must be a non-empty tuple"),
        ({"income_tax_choices": (0.0, 1.5)}, ValueError, r"income_tax_choices\[1\] must be in \[0, 1\]"),
        ({"alpha_levels": (0.2, 1.0)}, ValueError, r"alpha_levels\[1\] must be in \(0, 1\)"),
        ({"crra": 1.0}, ValueError, "crra must differ from 1"),
        ({"technology": float("nan")}, ValueError, "technology must be finite"),
        ({"interest_rate": -0.1}, ValueError, "interest_rate"),
        ({"open_economy": 1}, TypeError, "open_economy must be true or false"),
        ({"observation_mode": "pixels"}, ValueError, "observation_mode must be one of"),
        ({"capital_low": 0.0}, ValueError, "capital_low"),
        ({"consumer_initial_budget": float("inf")}, ValueError, "consumer_initial_budget must be finite"),
        ({"bogus": 1}, TypeError, r"unknown parameter\(s\) \['bogus'\]"),
        ({"preset": "nope"}, ValueError, "preset must be one of"),
    ],
)
def test_bad_config(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        econ_envs.make("rbc-v0", **kwargs)


def test_bad_constructor_and_reset_arguments():
    with pytest.raises(ValueError, match="n_replicas must be in"):
        RBCVectorEnv(n_replicas=0)
    with pytest.raises(TypeError, match="n_replicas must be an integer"):
        RBCVectorEnv(n_replicas=2.0)
    with pytest.raises(TypeError, match="parallel must be"):
        RBCVectorEnv(parallel="yes")
    with pytest.raises(TypeError, match="params must be an RBCParams"):
        RBCVectorEnv(params={"n_firms": 2})
    venv = RBCVectorEnv(n_replicas=2, n_consumers=4, n_firms=2)
    venv.reset(seed=1)
    before = snapshot(venv)
    with pytest.raises(ValueError, match=r"theta_scale must be in \[0, 1\]"):
        venv.reset(options={"theta_scale": 2.0})
    with pytest.raises(TypeError, match="seed must be an integer"):
        venv.reset(seed="abc")
    with pytest.raises(TypeError, match="options must be a dict"):
        venv.reset(options=[1])
    assert_same(before, snapshot(venv))
    env = econ_envs.make("rbc-v0", n_consumers=4, n_firms=2)
    with pytest.raises(ValueError, match="call reset"):
        env.step({})
    assert RBCParams.template().initial_wage == 22.0 and RBCParams.template().interest_rate == 0.1
