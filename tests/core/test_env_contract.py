"""The facade's contract across every family: culprits named, views check shapes, reset first, bounded populations."""

import re

import gymnasium
import numpy as np
import pytest

import econ_envs

DISCRETE_ENVS = [
    ("monetary-v0", {}),
    ("rbc-v0", {"n_consumers": 12, "n_firms": 4}),
    ("meanfield/lq-v0", {"n_agents": 100}),
    ("meanfield/beach_bar-v0", {"n_agents": 100}),
    ("meanfield/macro-v0", {"n_agents": 100}),
    ("meanfield/crowd-v0", {"n_agents": 100}),
]


def _discrete_roles(env):
    return [name for name, r in env.roles.items() if isinstance(r.action_space, (gymnasium.spaces.Discrete,
                                                                                  gymnasium.spaces.MultiDiscrete))]


def _integer_actions(env, seed=0):
    acts = {}
    for i, a in enumerate(env.agents):
        space = env.action_space(a)
        space.seed(seed + i)
        acts[a] = space.sample()
    return acts


@pytest.mark.parametrize("env_id,kwargs", DISCRETE_ENVS)
def test_whole_number_float_among_integer_actions_names_that_agent(env_id, kwargs):
    env = econ_envs.make(env_id, **kwargs)
    env.reset(seed=0)
    roles = _discrete_roles(env)
    assert roles
    for role in roles:
        ids = env.agent_ids(role)
        culprit = ids[-1]  # household_99 in the report; the last agent of every discrete role here
        acts = _integer_actions(env)
        acts[culprit] = np.asarray(acts[culprit]).astype(np.float64)  # whole numbers, float dtype
        with pytest.raises(TypeError, match=rf"^{culprit}: discrete actions must be integers") as exc:
            env.step(acts)
        if len(ids) > 1:
            assert ids[0] + ":" not in str(exc.value)
        # a plain Python float among ints too, and a fractional one is preferred as the culprit
        acts = _integer_actions(env)
        if np.ndim(acts[ids[0]]) == 0:
            acts[ids[-1]] = float(acts[ids[-1]])
            if len(ids) > 2:
                acts[ids[1]] = float(acts[ids[1]]) + 0.5
                with pytest.raises(TypeError, match=rf"^{ids[1]}: .* also gave non-integer actions"):
                    env.step(acts)
            else:
                with pytest.raises(TypeError, match=rf"^{ids[-1]}:"):
                    env.step(acts)
    # nothing changed: the same integer actions still step
    obs, *_ = env.step(_integer_actions(env))
    assert set(obs) == set(env.possible_agents)


@pytest.mark.parametrize("env_id,kwargs", DISCRETE_ENVS[:3])
def test_batch_of_whole_number_floats_names_the_role_not_agent_0(env_id, kwargs):
    env = econ_envs.make(env_id, **kwargs)
    obs, _ = env.reset_batch(seed=0)
    acts = {}
    for name, role in env.roles.items():
        rows = np.stack([role.action_space.sample() for _ in range(role.count)])
        acts[name] = rows
    role = _discrete_roles(env)[0]
    acts[role] = acts[role].astype(np.float64)
    with pytest.raises(TypeError, match=rf"^{role}: discrete actions must be an integer array, got dtype float64"):
        env.step_batch(acts)
    acts[role] = acts[role].copy()
    acts[role][-1] = acts[role][-1] + 0.25
    last = env.roles[role].agent_id(env.roles[role].count - 1)
    with pytest.raises(TypeError, match=rf"^{last}: discrete actions must be integers"):
        env.step_batch(acts)


VIEWS = {
    "econ_envs/TaxAI-Planner-v0": ("government", {"n_households": 20}),
    "econ_envs/Monetary-CentralBank-v0": ("central_bank", {}),
    "econ_envs/RBC-Government-v0": ("government", {"n_consumers": 12, "n_firms": 4}),
}


@pytest.mark.parametrize("env_id", sorted(VIEWS))
def test_views_reject_wrong_action_shapes_naming_the_role(env_id):
    role, kwargs = VIEWS[env_id]
    env = gymnasium.make(env_id, **kwargs).unwrapped
    env.reset(seed=1)
    good = env.action_space.sample()
    shape = env.action_space.shape
    wrong = [np.asarray(good)[None, None], np.zeros((*shape, 2), dtype=np.asarray(good).dtype)]
    if shape == ():
        wrong += [np.array([[3]]), np.array([3, 4])]  # the report's two cases
    else:
        wrong += [np.asarray(good)[:-1], np.asarray(good).reshape(1, -1)]
    for action in wrong:
        before = env.aggregates()
        with pytest.raises(ValueError, match="^" + re.escape(f"{role}: action must have shape {shape}")):
            env.step(action)
        assert env.aggregates() == before
    # the right shape, and a one-element vector for a scalar space, still step
    _, reward, *_ = env.step(good)
    assert np.isfinite(reward)
    if shape == ():
        _, reward, *_ = env.step(np.array([int(good)]))
        with pytest.raises(TypeError, match=rf"^{role}: discrete actions must be"):
            env.step(float(good))
        with pytest.raises(ValueError, match=rf"^{role}: action .* outside"):
            env.step(env.action_space.n)


def test_views_refuse_steps_before_reset():
    for env_id, (_, kwargs) in VIEWS.items():
        env = gymnasium.make(env_id, **kwargs).unwrapped
        with pytest.raises(ValueError, match="call reset"):
            env.step(env.action_space.sample())


@pytest.mark.parametrize("env_id", sorted(econ_envs.list_envs()))
def test_aggregates_before_reset_is_the_same_clear_error_everywhere(env_id):
    spec = econ_envs.spec(env_id)
    kwargs = {spec.agents_kwarg: 100} if spec.agents_kwarg else {}
    env = econ_envs.make(env_id, **kwargs)
    with pytest.raises(RuntimeError, match=r"call reset\(\) first"):
        env.aggregates()
    with pytest.raises(RuntimeError, match=r"call reset\(\) first"):
        env.batch_observations()
    env.reset(seed=0)
    assert all(np.isfinite(v) or k == "mean_reward" for k, v in env.aggregates().items())


@pytest.mark.parametrize("key", ["lq", "beach_bar", "macro", "crowd"])
def test_meanfield_population_is_bounded_like_the_other_families(key):
    for n in (10**9, 1_000_001, 0, -3, 2.0, True):
        with pytest.raises(ValueError, match=r"n_agents must be an integer in \[1, 1,000,000\]"):
            econ_envs.make(f"meanfield/{key}-v0", n_agents=n)
    env = econ_envs.make(f"meanfield/{key}-v0", n_agents=3)
    with pytest.raises(RuntimeError, match=r"call reset\(\) first"):
        env.empirical_distribution()
    env.reset(seed=0)
    assert env.empirical_distribution().sum() == pytest.approx(1.0)
