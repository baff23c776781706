"""The PettingZoo (sampled) and Gymnasium (push-forward) facades: contracts, agreement, bad input."""

import pickle

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from pettingzoo.test import parallel_api_test, parallel_seed_test

import econ_envs
from econ_envs.meanfield.env import PolicyTableSpace
from econ_envs.meanfield.population import pushforward_rollout

KEYS = ["lq", "beach_bar", "macro", "crowd"]
GYM_IDS = {
    "lq": "econ_envs/MeanField-LQ-v0",
    "beach_bar": "econ_envs/MeanField-BeachBar-v0",
    "macro": "econ_envs/MeanField-Macro-v0",
    "crowd": "econ_envs/MeanField-Crowd-v0",
}


@pytest.mark.parametrize("key", KEYS)
def test_parallel_api_and_seed(key):
    env = econ_envs.make(f"meanfield/{key}-v0", n_agents=12)
    parallel_api_test(env, num_cycles=200)
    parallel_seed_test(lambda: econ_envs.make(f"meanfield/{key}-v0", n_agents=12), num_cycles=40)


@pytest.mark.parametrize("key", KEYS)
def test_gymnasium_push_forward_env_passes_check_env(key):
    env = gymnasium.make(GYM_IDS[key])
    check_env(env.unwrapped, skip_render_check=True)
    obs, info = env.reset(seed=3)
    assert env.observation_space.contains(obs) and np.isclose(info["mu"].sum(), 1.0)


def test_agents_observe_own_state_and_shared_observation():
    env = econ_envs.make("meanfield/beach_bar-v0", n_agents=50, common_noise=True)
    obs, _ = env.reset(seed=4)
    assert env.observation_names() == ["position", "mean_position", "bar_open", "bar"]
    pop = env.population
    for i, a in enumerate(env.agents):
        assert obs[a][0] == pop.states[i]
        assert np.allclose(obs[a][1:], [pop.states.mean(), 1.0, pop.static[0]], atol=1e-4)
    assert np.all(pop.states != int(pop.static[0]))  # nobody starts on the bar
    agg = env.aggregates()
    assert agg["bar"] == pop.static[0] and agg["period"] == 0.0


def run_episode(env, seed, table=None):
    obs, _ = env.reset(seed=seed)
    out = [np.stack([obs[a] for a in env.possible_agents])]
    rewards = []
    while env.agents:
        acts = env.act_with(table if table is not None else env.game.uniform_policy())
        res = env.step_batch(acts)
        out.append(res.observations["agent"].copy())
        rewards.append(res.rewards["agent"].copy())
    return np.stack(out), np.stack(rewards)


@pytest.mark.parametrize("key", KEYS)
def test_same_seed_same_trajectory(key):
    kw = {"horizon": 10} if key == "macro" else {}
    a = run_episode(econ_envs.make(f"meanfield/{key}-v0", n_agents=30, **kw), 7)
    b = run_episode(econ_envs.make(f"meanfield/{key}-v0", n_agents=30, **kw), 7)
    c = run_episode(econ_envs.make(f"meanfield/{key}-v0", n_agents=30, **kw), 8)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize(
    "key,kw,n",
    [
        ("lq", {"common_noise": True}, 20000),
        ("beach_bar", {"common_noise": True}, 20000),
        ("crowd", {}, 20000),
        ("macro", {"horizon": 10}, 50000),
    ],
)
def test_sampled_histogram_matches_push_forward(key, kw, n):
    """Same scenario, same policy: each period's histogram is within Monte Carlo error of mu_t."""
    env = econ_envs.make(f"meanfield/{key}-v0", n_agents=n, **kw)
    g = env.game
    rng = np.random.default_rng(0)
    table = rng.exponential(size=(g.horizon, g.n_states, g.n_actions))
    table /= table.sum(axis=2, keepdims=True)
    env.reset(seed=1)
    scenario = (env.population.static.copy(), env.population.z.copy())
    env.reset(seed=1, options={"scenario": scenario})
    paths = g.make_paths(scenario[0][None], scenario[1][None], np.ones(1), exact=False)
    ro = pushforward_rollout(g, table, paths)
    slack = 4.0 if key == "macro" else 3.0  # macro prices feed sampling error back into the flow
    for t in range(g.horizon):
        hist = env.empirical_distribution()
        mu = ro.mu[t, 0]
        assert np.isclose(hist.sum(), 1.0)
        bound = slack * np.sum(np.sqrt(mu * (1 - mu) / n)) + 1e-12
        assert np.abs(hist - mu).sum() < bound, (t, np.abs(hist - mu).sum(), bound)
        env.step_batch(env.act_with(table[t]))
    assert not env.agents


def snapshot(env):
    pop = env.population
    return pickle.dumps(env.rng.bit_generator.state), pop.states.copy(), pop.t, pop.agg.copy(), list(env.agents)


def same(a, b):
    return all(np.array_equal(x, y) if isinstance(x, np.ndarray) else x == y for x, y in zip(a, b))


def test_bad_actions_rejected_and_env_untouched():
    env = econ_envs.make("meanfield/lq-v0", n_agents=5)
    env.reset(seed=0)
    good = {a: 3 for a in env.agents}
    env.step(good)
    before = snapshot(env)
    bad_cases = [
        ({**good, "agent_2": 7}, ValueError, "agent_2.*outside"),
        ({**good, "agent_1": -1}, ValueError, "agent_1"),
        ({k: v for k, v in good.items() if k != "agent_4"}, ValueError, "missing.*agent_4"),
        ({**good, "agent_9": 0}, ValueError, "unknown agent"),
        ({**good, "agent_0": 1.5}, TypeError, "integers"),
        ({**good, "agent_3": np.nan}, ValueError, "agent_3.*not finite"),
    ]
    for acts, exc, match in bad_cases:
        with pytest.raises(exc, match=match):
            env.step(acts)
        assert same(before, snapshot(env))
    env.step(good)
    with pytest.raises(ValueError, match="not a probability distribution"):
        env.act_with(np.full((99, 7), 0.5))


def test_push_forward_env_rejects_bad_tables_and_matches_rollout():
    env = gymnasium.make("econ_envs/MeanField-LQ-v0", common_noise=True).unwrapped
    obs, info = env.reset(seed=2)
    g = env.game
    table = np.full((g.n_states, g.n_actions), 1.0 / g.n_actions)
    env.step(table)
    mu, t = env.mu.copy(), env._t
    rng_state = pickle.dumps(env.np_random.bit_generator.state)
    for bad, exc, match in [
        (np.full((99, 7), 0.5), ValueError, "state 0 .*sums to 3.5"),
        (np.full((99, 6), 1 / 6), ValueError, "shape"),
        (np.full((99, 7), np.nan), ValueError, "NaN"),
        (np.full((7,), 1 / 7), ValueError, "shape"),
        (np.ones((99, 7), dtype=bool), TypeError, "numeric"),
    ]:
        with pytest.raises(exc, match=match):
            env.step(bad)
        assert np.array_equal(env.mu, mu) and env._t == t
        assert pickle.dumps(env.np_random.bit_generator.state) == rng_state
    # the same path through the rollout gives the same rewards and flow
    env.reset(seed=5)
    paths = g.make_paths(env.static, env.z, np.ones(1), exact=False)
    ro = pushforward_rollout(g, table, paths)
    total, done = [], False
    while not done:
        _, r, done, trunc, info = env.step(table)
        total.append(r)
    assert np.allclose(total, ro.mean_reward[:, 0], rtol=1e-12) and np.allclose(info["mu"], ro.mu[-1, 0])
    with pytest.raises(ValueError, match="episode is over"):
        env.step(table)


def test_policy_table_space():
    space = PolicyTableSpace(4, 3, seed=0)
    x = space.sample()
    assert x.shape == (4, 3) and space.contains(x) and np.allclose(x.sum(axis=1), 1)
    assert not space.contains(np.full((4, 3), 0.5))
    with pytest.raises(gymnasium.error.Error, match="takes no mask"):  # as gymnasium's Box
        space.sample(mask=np.ones((4, 3), dtype=np.int8))


def test_sampled_rewards_equal_the_reward_table():
    """Each agent's reward is R_t[s_i, a_i] of the push-forward table at the sampled aggregates."""
    env = econ_envs.make("meanfield/macro-v0", n_agents=200, horizon=3)
    g = env.game
    env.reset(seed=9)
    for t in range(3):
        pop = env.population
        s, agg, static, z = pop.states.copy(), pop.agg.copy(), pop.static, pop.z
        acts = env.act_with(g.uniform_policy())
        res = env.step_batch(acts)
        R = g.reward_table(agg[None], pop.agg[None], static[None], z[t : t + 1], z[t + 1 : t + 2], t)[0]
        assert np.allclose(res.rewards["agent"], R[s, acts["agent"]], rtol=1e-12)
    assert res.terminated


def test_simulate_runs_a_mean_field_game(tmp_path, capsys):
    from econ_envs.cli import main
    from econ_envs.core.simulate import read_history

    out = tmp_path / "lq"
    assert main(["simulate", "meanfield/lq-v0", "--out", str(out), "--set", "n_agents=300", "--quiet"]) == 0
    hist = read_history(out / "history.csv")
    assert len(hist["step"]) == 30 and np.all((hist["mean_position"] >= 0) & (hist["mean_position"] <= 98))
    assert "horizon" in capsys.readouterr().out


def test_bad_configuration_and_options():
    with pytest.raises(ValueError, match="n_agents"):
        econ_envs.make("meanfield/lq-v0", n_agents=0)
    with pytest.raises(TypeError, match="unknown parameter"):
        econ_envs.make("meanfield/beach_bar-v0", n_agent=10)
    with pytest.raises(ValueError, match="discount"):
        econ_envs.make("meanfield/macro-v0", discount=1.5)
    with pytest.raises(TypeError, match="common_noise"):
        gymnasium.make("econ_envs/MeanField-LQ-v0", common_noise="yes")
    env = econ_envs.make("meanfield/beach_bar-v0", n_agents=4)
    env.reset(seed=0)
    before = snapshot(env)
    with pytest.raises(ValueError, match="scenario"):
        env.reset(seed=1, options={"scenario": ([40.0], [1.0] * 3)})
    assert same(before, snapshot(env))
    genv = gymnasium.make("econ_envs/MeanField-BeachBar-v0").unwrapped
    genv.reset(seed=0)
    state = pickle.dumps(genv.np_random.bit_generator.state)
    with pytest.raises(ValueError, match="scenario"):
        genv.reset(seed=5, options={"scenario": ([np.nan], np.ones(31))})
    assert pickle.dumps(genv.np_random.bit_generator.state) == state
