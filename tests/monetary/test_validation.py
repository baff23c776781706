"""Bad input gets a clear error naming the culprit and leaves the environment exactly as it was."""

import dataclasses
import pickle

import numpy as np
import pytest

import econ_envs
from econ_envs.monetary.central_bank import CentralBankEnv
from econ_envs.monetary.params import MonetaryParams


def snapshot(env):
    eco = env.economy
    st = eco.state
    return (
        pickle.dumps(eco.rng.bit_generator.state), st.fs.copy(), st.is_.copy(),
        {k: v.copy() for k, v in eco.obs.items()}, dict(eco.aggregates()), list(env.agents), env.episode_over,
        None if eco.last is None else eco.last.frec.copy(),
    )  # fmt: skip


def assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        if isinstance(x, np.ndarray):
            assert x.tobytes() == y.tobytes()
        elif isinstance(x, dict):
            assert x.keys() == y.keys()
            for k in x:
                u, v = x[k], y[k]
                if isinstance(u, np.ndarray):
                    assert u.tobytes() == v.tobytes()
                else:
                    assert u == v or (u != u and v != v)
        else:
            assert x == y


def good_actions(env):
    acts = {a: 22 for a in env.agents if a.startswith("firm")}
    acts.update({a: 16 for a in env.agents if a.startswith("household")})
    acts.update({a: 37 for a in env.agents if a.startswith("bank")})
    acts["central_bank"] = 2
    return acts


@pytest.fixture
def env():
    e = econ_envs.make("monetary-v0", n_banks=3, n_households=30, n_firms=5)
    e.reset(seed=5)
    for _ in range(3):
        e.step(good_actions(e))
    return e


def rejected(env, actions, exc, match):
    before = snapshot(env)
    with pytest.raises(exc, match=match):
        env.step(actions)
    assert_same(before, snapshot(env))
    env.step(good_actions(env))  # still usable afterwards


@pytest.mark.parametrize(
    "agent,value,match",
    [("firm_2", 45, r"firm_2: action 45 is outside \[0, 44\]"), ("household_4", -1, r"household_4: action -1"),
     ("bank_0", 75, r"bank_0: action 75"), ("central_bank", 5, r"central_bank: action 5 is outside \[0, 4\]")],
)  # fmt: skip
def test_out_of_range_index(env, agent, value, match):
    a = good_actions(env)
    a[agent] = value
    rejected(env, a, ValueError, match)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_action(env, bad):
    a = good_actions(env)
    a["household_7"] = bad
    rejected(env, a, ValueError, r"household_7: discrete action is not finite")


@pytest.mark.parametrize("bad", [2.5, "3", None, [1, 2], True, np.array([1])])
def test_wrong_type_or_shape(env, bad):
    a = good_actions(env)
    a["firm_1"] = bad
    rejected(env, a, (TypeError, ValueError), r"firm_1")


def test_missing_and_unknown_agents(env):
    a = good_actions(env)
    del a["bank_2"]
    rejected(env, a, ValueError, r"missing action\(s\) for \['bank_2'\]")
    a = good_actions(env)
    a["firm_99"] = 0
    rejected(env, a, ValueError, r"unknown agent id\(s\) \['firm_99'\]")
    rejected(env, [1, 2], TypeError, "dict")


def test_batched_api_errors_leave_state_untouched(env):
    ok = {"central_bank": np.array([2]), "bank": np.full(3, 37), "household": np.full(30, 16), "firm": np.full(5, 22)}
    cases = [
        ({k: v for k, v in ok.items() if k != "firm"}, ValueError, "missing actions for role"),
        (ok | {"government": np.zeros(1)}, ValueError, "unknown role"),
        (ok | {"household": np.full(29, 16)}, ValueError, r"household: actions must have shape \(30,\)"),
        (ok | {"bank": np.array([1.0, 2.0, 3.5])}, TypeError, "discrete actions must be integers"),
        (ok | {"firm": np.array([1, 2, 3, 4, 99])}, ValueError, r"firm_4: action 99"),
        (ok | {"central_bank": np.array([True])}, TypeError, "booleans"),
    ]
    for acts, exc, match in cases:
        before = snapshot(env)
        with pytest.raises(exc, match=match):
            env.step_batch(acts)
        assert_same(before, snapshot(env))
    env.step_batch(ok)


@pytest.mark.parametrize(
    "shocks,exc,match",
    [({"earthquake": 1.0}, ValueError, "unknown shock 'earthquake'"), ({"policy_rate": "big"}, TypeError, "number"),
     ({"demand": float("nan")}, ValueError, "finite"), ({"credit": 150.0}, ValueError, r"\[0, 100\] %"),
     ({"demand": -200.0}, ValueError, "more than 100 %"), ({"cost_push": -100.0}, ValueError, "cost_push")],
)  # fmt: skip
def test_bad_shocks_leave_state_untouched(env, shocks, exc, match):
    before = snapshot(env)
    with pytest.raises(exc, match=match):
        env.reset(seed=1, options={"shocks": shocks})
    assert_same(before, snapshot(env))
    kind, size = next(iter(shocks.items()))
    with pytest.raises(exc, match=match):
        env.apply_shock(kind, size)
    assert_same(before, snapshot(env))
    with pytest.raises(TypeError, match="dict"):
        env.reset(seed=1, options={"shocks": [1.0]})
    assert_same(before, snapshot(env))


def test_step_after_episode_end_and_before_reset():
    env = econ_envs.make("monetary-v0", n_households=20, n_firms=4, n_banks=2, episode_length=2)
    with pytest.raises(ValueError, match="reset"):
        env.step({})
    env.reset(seed=0)
    env.step(good_actions(env))
    _, _, _, trunc, _ = env.step(good_actions(env))
    assert all(trunc.values()) and env.agents == []
    with pytest.raises(ValueError, match="episode is over"):
        env.step_batch({"central_bank": [2]})
    with pytest.raises(ValueError, match="episode is over"):
        env.apply_shock("demand", -1.0)


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"n_households": 5}, ValueError, r"n_households must be in \[10, 1000000\]"),
        ({"n_firms": 60}, ValueError, "n_firms must be at most n_households / 2"),
        ({"n_banks": 0}, ValueError, "n_banks"),
        ({"n_banks": 2.5}, TypeError, "n_banks must be an integer"),
        ({"inflation_target": float("nan")}, ValueError, "inflation_target must be finite"),
        ({"initial_policy_rate": -1.0}, ValueError, "initial_policy_rate"),
        ({"zero_lower_bound": "yes"}, TypeError, "zero_lower_bound"),
        ({"lending_spreads": (1.0, 2.0)}, ValueError, "lending_spreads must be a tuple of 5"),
        ({"price_changes": (0, 0, 0, 0, 0)}, ValueError, "strictly increasing"),
        ({"target_capital_ratio": 0.05}, ValueError, "at least min_capital_ratio"),
        ({"separation_rate": "high"}, TypeError, "separation_rate must be a number"),
        ({"bargaining_power": 1.0}, ValueError, "bargaining_power"),
        ({"markup": 0.1, "replacement_rate": 0.99}, ValueError, "bargained wage"),
        ({"no_such_field": 1}, TypeError, "unknown parameter"),
    ],
)
def test_bad_parameters(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        econ_envs.make("monetary-v0", **kwargs)


def test_params_are_frozen_and_round_trip():
    p = MonetaryParams()
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.n_banks = 3  # type: ignore[misc]
    q = p.replace(n_banks=7, lending_spreads=[1.0, 1.0, 2.0, 3.0, 3.0])
    assert q.n_banks == 7 and q.lending_spreads == (1.0, 1.0, 2.0, 3.0, 3.0)
    assert MonetaryParams(**{k: tuple(v) if isinstance(v, list) else v for k, v in q.to_dict().items()}) == q
    with pytest.raises(TypeError, match="params must be a MonetaryParams"):
        econ_envs.make("monetary-v0", params={"n_banks": 3})


def test_central_bank_view_rejects_bad_actions_and_policies():
    env = CentralBankEnv(n_households=20, n_firms=4, n_banks=2)
    env.reset(seed=0)
    before = snapshot(env.env)

    def rule_state():
        return pickle.dumps([env.household_policy.rng.bit_generator.state, env.firm_policy.rng.bit_generator.state])

    rules = rule_state()
    for bad, exc in ((7, ValueError), (np.array([1, 2]), ValueError), (1.5, TypeError), (np.nan, ValueError)):
        with pytest.raises(exc, match="central_bank"):
            env.step(bad)
        assert_same(before, snapshot(env.env))
    assert rules == rule_state()
    with pytest.raises(ValueError, match="unknown household rule"):
        CentralBankEnv(household_policy="hand_to_mouth")
    with pytest.raises(TypeError, match="callable"):
        CentralBankEnv(firm_policy=42)
