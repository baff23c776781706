"""Same seed, same trajectory; every replica equals a single env; threaded and serial kernels agree bitwise."""

import numpy as np

import econ_envs
from econ_envs.rbc.policies import RandomProfile, rule_profile
from econ_envs.rbc.vector import RBCVectorEnv


def trajectory(seed, **kwargs):
    env = econ_envs.make("rbc-v0", **kwargs)
    prof = RandomProfile(env)
    prof.reset(env, seed)
    out = []
    while not env.episode_over:
        res = env.step_batch(prof.act(env))
        out.append((res.observations, res.rewards))
    return out


def test_same_seed_same_trajectory_bitwise():
    a, b, c = trajectory(3), trajectory(3), trajectory(4)
    assert len(a) == 10
    for (oa, ra), (ob, rb) in zip(a, b):
        for k in oa:
            assert np.array_equal(oa[k], ob[k]) and np.array_equal(ra[k], rb[k])
    assert any(not np.array_equal(x[1]["consumer"], y[1]["consumer"]) for x, y in zip(a, c))


def test_replicas_equal_single_envs_and_threads_do_not_change_results():
    B = 6
    rng = np.random.default_rng(0)
    acts = [
        {
            "consumer": rng.integers(0, [11] * 10 + [5, 10], size=(B, 100, 12)),
            "firm": rng.integers(0, 30, size=(B, 10)),
            "government": rng.integers(0, 36, size=(B, 1)),
        }
        for _ in range(10)
    ]
    runs = {}
    for parallel in (True, False):
        venv = RBCVectorEnv(n_replicas=B, parallel=parallel)
        venv.reset(seed=0)
        runs[parallel] = [venv.step(a) for a in acts]
        assert venv.parallel_share == (1.0 if parallel and venv._tuner.fixed else 0.0)
    for x, y in zip(runs[True], runs[False]):
        for k in x.observations:
            assert np.array_equal(x.observations[k], y.observations[k])
            assert np.array_equal(x.rewards[k], y.rewards[k])
    for b in (0, 4):
        env = econ_envs.make("rbc-v0")
        env.reset(seed=0)
        for t, a in enumerate(acts):
            res = env.step_batch({"consumer": a["consumer"][b], "firm": a["firm"][b], "government": a["government"][b]})
            for k in res.observations:
                assert np.array_equal(res.observations[k], runs[False][t].observations[k][b])
                assert np.array_equal(res.rewards[k], runs[False][t].rewards[k][b])


def test_automatic_kernel_choice_gives_identical_results():
    venv_auto = RBCVectorEnv(n_replicas=8, n_consumers=30, n_firms=5)
    venv_ser = RBCVectorEnv(n_replicas=8, n_consumers=30, n_firms=5, parallel=False)
    prof = rule_profile(venv_auto.params)
    for ep in range(8):  # 80 steps: the tuner probes both kernels
        venv_auto.reset(seed=ep)
        venv_ser.reset(seed=ep)
        while not venv_auto.episode_over:
            a = prof.act(venv_auto)
            x, y = venv_auto.step(a), venv_ser.step(a)
            for k in x.observations:
                assert np.array_equal(x.observations[k], y.observations[k])
                assert np.array_equal(x.rewards[k], y.rewards[k])
