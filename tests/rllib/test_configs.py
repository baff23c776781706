"""Every experiment in rllib_configs/ builds and trains one small iteration (its SMOKE settings)."""

import math

import pytest

import rllib_configs


@pytest.mark.parametrize("name", rllib_configs.names())
def test_experiment_trains_one_small_iteration(ray_session, name):
    module = rllib_configs.load(name)
    assert module.__doc__, f"{name} must say what it is and which RLlib algorithm stands in"
    smoke = dict(module.SMOKE)
    cfg, stop = module.build(**smoke)
    assert "training_iteration" in stop
    algo = cfg.build_algo()
    try:
        for _ in range(stop["training_iteration"]):
            result = algo.train()
        runners = result["env_runners"]
        assert runners["num_env_steps_sampled_lifetime"] > 0
        learners = {k: v for k, v in result["learners"].items() if k != "__all_modules__"}
        trained = [m for m, v in learners.items() if "policy_loss" in v]
        assert trained, "some module must have been updated"
        for m in trained:
            assert math.isfinite(float(learners[m]["policy_loss"])), m
        assert result["perf"]["peak_rss_gb"] > 0.05  # EconomyMetrics reports the training process's peak memory
    finally:
        algo.stop()


def test_unknown_experiment_and_bad_file(tmp_path):
    with pytest.raises(ValueError, match="unknown experiment"):
        rllib_configs.load("taxai_nope")
    bad = tmp_path / "exp.py"
    bad.write_text("x = 1\n")
    with pytest.raises(ValueError, match="must define build"):
        rllib_configs.load(str(bad))
