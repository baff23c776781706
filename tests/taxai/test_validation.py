"""Bad input gets a clear error naming the culprit, and leaves the environment exactly as it was."""

import copy
import dataclasses
import pickle

import numpy as np
import pytest

import econ_envs
from econ_envs.taxai.params import TaxParams


def snapshot(env):
    eco = env.economy
    st = eco.state
    return (
        pickle.dumps(eco.rng.bit_generator.state),
        st.t, st.K, st.B, st.a.copy(), st.e.copy(), st.log_e.copy(), st.star.copy(), st.policy.copy(),
        eco.household_obs.copy(), eco.government_obs.copy(), copy.deepcopy(eco.aggregates()),
        list(env.agents),
    )  # fmt: skip


def assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        if isinstance(x, np.ndarray):
            assert np.array_equal(x, y)
        elif isinstance(x, dict):
            assert x.keys() == y.keys() and all(x[k] == y[k] or (x[k] != x[k] and y[k] != y[k]) for k in x)
        else:
            assert x == y


@pytest.fixture
def env():
    e = econ_envs.make("taxai-v0", n_households=10)
    e.reset(seed=5)
    for _ in range(3):
        e.step(good_actions(e))
    return e


def good_actions(env):
    acts = {a: np.array([0.8, 0.4], np.float32) for a in env.agents if a != "government"}
    acts["government"] = np.array([0.1, 0.1, 0.0, 0.0, 0.05], np.float32)
    return acts


def rejected(env, actions, exc, match):
    before = snapshot(env)
    with pytest.raises(exc, match=match):
        env.step(actions)
    assert_same(before, snapshot(env))
    env.step(good_actions(env))  # still usable afterwards


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_household_action(env, bad):
    a = good_actions(env)
    a["household_7"] = np.array([0.5, bad])
    rejected(env, a, ValueError, r"household_7: action component 1 is .*finite")


def test_non_finite_government_action(env):
    a = good_actions(env)
    a["government"] = np.array([0.1, np.nan, 0, 0, 0])
    rejected(env, a, ValueError, r"government: action component 1")


def test_wrong_shape(env):
    a = good_actions(env)
    a["household_3"] = np.array([0.5, 0.5, 0.5])
    rejected(env, a, ValueError, r"household_3: action must have shape \(2,\)")
    a = good_actions(env)
    a["government"] = np.zeros(4)
    rejected(env, a, ValueError, r"government: action must have shape \(5,\)")


@pytest.mark.parametrize("bad", ["0.5", None, [0.1, "x"], np.array([True, False]), np.array([1 + 2j, 0])])
def test_wrong_dtype(env, bad):
    a = good_actions(env)
    a["household_2"] = bad
    rejected(env, a, TypeError, r"household_2")


def test_missing_and_unknown_agents(env):
    a = good_actions(env)
    del a["household_9"]
    rejected(env, a, ValueError, r"missing action\(s\) for \['household_9'\]")
    a = good_actions(env)
    a["household_99"] = np.array([0.5, 0.5])
    rejected(env, a, ValueError, r"unknown agent id\(s\) \['household_99'\]")
    rejected(env, "not a dict", TypeError, "dict")


def test_batched_api_errors_leave_state_untouched(env):
    hh = np.full((10, 2), 0.5)
    gov = np.zeros((1, 5))
    for acts, exc, match in [
        ({"household": hh}, ValueError, "missing actions for role"),
        ({"household": hh, "government": gov, "bank": gov}, ValueError, "unknown role"),
        ({"household": hh[:9], "government": gov}, ValueError, r"household: actions must have shape \(10, 2\)"),
        ({"household": hh.astype(str), "government": gov}, TypeError, "numeric"),
        ({"household": np.where(np.eye(10, 2) > 0, np.nan, hh), "government": gov}, ValueError, "household_0"),
    ]:
        before = snapshot(env)
        with pytest.raises(exc, match=match):
            env.step_batch(acts)
        assert_same(before, snapshot(env))


def test_bounds_are_legal_and_outside_values_are_clipped_and_counted(env):
    space = env.action_space("government")
    a = good_actions(env)
    a["government"] = space.high.copy()
    a["household_0"] = np.array([1.0, 1.0])
    a["household_1"] = np.array([0.0, 0.0])
    obs, rew, term, trunc, infos = env.step(a)
    assert all("clipped_actions" not in i for i in infos.values())
    a = good_actions(env)
    a["household_4"] = np.array([1.7, -0.2])
    a["government"] = np.array([9.0, 0.1, 0.0, 0.0, 0.05])
    obs, rew, term, trunc, infos = env.step(a)
    assert infos["household_4"]["clipped_actions"] == 2
    assert infos["government"]["clipped_actions"] == 1
    assert "clipped_actions" not in infos["household_5"]
    rec = env.economy.last
    assert np.array_equal(rec.actions[4], [1.0, 0.0])
    assert env.economy.state.policy[0] == pytest.approx(space.high[0])


def test_step_after_episode_end_and_before_reset():
    env = econ_envs.make("taxai-v0", n_households=10, episode_length=2)
    with pytest.raises(ValueError, match="reset"):
        env.step({})
    env.reset(seed=0)
    env.step(good_actions(env))
    _, _, _, trunc, _ = env.step(good_actions(env))
    assert all(trunc.values()) and env.agents == []
    with pytest.raises(ValueError, match="episode is over"):
        env.step(good_actions(econ_envs.make("taxai-v0", n_households=10)))


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"n_households": 5}, ValueError, r"n_households must be in \[10, 1000000\]"),
        ({"n_households": 10.5}, TypeError, "n_households must be an integer"),
        ({"task": "profit"}, ValueError, "task must be one of"),
        ({"capital_share": 1.2}, ValueError, "capital_share"),
        ({"depreciation": float("nan")}, ValueError, "depreciation must be finite"),
        ({"tau_max": "high"}, TypeError, "tau_max must be a number"),
        ({"bracket_thresholds": (0, 100, 50)}, ValueError, "increasing"),
        ({"income_tax": "flat"}, ValueError, "income_tax must be one of"),
        ({"no_such_field": 1}, TypeError, "unknown parameter"),
        ({"preset": "nordic"}, ValueError, "preset must be one of"),
    ],
)
def test_bad_parameters(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        econ_envs.make("taxai-v0", **kwargs)


def test_bad_reset_policy_leaves_env_untouched(env):
    before = snapshot(env)
    with pytest.raises(ValueError, match="reset policy"):
        env.reset(seed=1, options={"policy": [0.9, 0, 0, 0, 0]})
    assert_same(before, snapshot(env))
    with pytest.raises(ValueError, match=r"shape \(5,\)"):
        env.reset(options={"policy": [0.1, 0.1]})
    assert_same(before, snapshot(env))


def test_params_are_frozen_and_presets_differ():
    p = TaxParams()
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.capital_share = 0.5  # type: ignore[misc]
    assert TaxParams.dsmfg().capital_share == 0.7445
    assert TaxParams.taxai().capital_share == pytest.approx(1 / 3)
    assert TaxParams.us2022() == TaxParams()
