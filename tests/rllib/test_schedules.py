"""Stackelberg alternation and frozen modules: who may change, when."""

import numpy as np
import pytest

from econ_envs.rllib.experiments import taxai_experiment, unwrap_module_weights

SMALL = {
    "n_households": 12,
    "batched": True,
    "rollout_length": 8,
    "minibatch_size": 32,
    "bc_steps": 20,
    "bc_episodes": 1,
}


def changed(a, b):
    return any(not np.array_equal(a[k], b[k]) for k in a)


def test_stackelberg_leader_frozen_while_followers_learn_and_vice_versa(ray_session):
    cfg, _ = taxai_experiment(**SMALL, stackelberg=True, follower_iters=2, leader_iters=1)
    algo = cfg.build_algo()
    try:
        gov = unwrap_module_weights(algo, "government")
        hh = unwrap_module_weights(algo, "household")
        phases = []
        for _ in range(6):
            result = algo.train()
            phase = result["stackelberg_phase_trained"]
            gov2 = unwrap_module_weights(algo, "government")
            hh2 = unwrap_module_weights(algo, "household")
            if phase == "followers":
                assert not changed(gov, gov2), "the leader changed during a follower phase"
                assert changed(hh, hh2), "the followers did not learn in their phase"
            else:
                assert not changed(hh, hh2), "the followers changed during a leader phase"
                assert changed(gov, gov2), "the leader did not learn in its phase"
            # the EnvRunner acts with the Learner's weights
            runner_gov = algo.env_runner.module["government"].get_state()
            assert all(np.allclose(np.asarray(runner_gov[k]), gov2[k]) for k in runner_gov)
            phases.append(phase)
            gov, hh = gov2, hh2
        assert phases == ["followers", "followers", "leaders"] * 2
    finally:
        algo.stop()


def test_frozen_rule_module_acts_as_the_rule_and_never_changes(ray_session):
    import econ_envs
    from econ_envs.rllib.population import module_actions
    from econ_envs.taxai.policies import make_rule

    cfg, _ = taxai_experiment(**SMALL, households="rule:buffer_stock", government="mlp")
    algo = cfg.build_algo()
    try:
        before = algo.get_module("household").get_state()
        for _ in range(2):
            result = algo.train()
        assert "household" not in {m for m, v in result["learners"].items() if "policy_loss" in v}
        after = algo.get_module("household").get_state()
        assert before.keys() == after.keys() and all(np.array_equal(before[k], after[k]) for k in before)
        env = econ_envs.make("taxai-v0", n_households=12, task="gdp")
        obs, _ = env.reset_batch(seed=3)
        rule = make_rule("buffer_stock", {"n_households": 12, "task": "gdp"})
        acts = module_actions(algo.get_module("household"), obs["household"], env.action_space("household_0"),
                              explore=True)  # fmt: skip
        np.testing.assert_allclose(acts["env"], rule(obs["household"]), atol=1e-5)
    finally:
        algo.stop()


def test_frozen_cloned_households_stay_frozen(ray_session):
    cfg, _ = taxai_experiment(**SMALL, bc_warm_start=True, freeze_households=True, stackelberg=False)
    algo = cfg.build_algo()
    try:
        assert algo.bc_warm_start_mse[0] < 0.05  # the clone imitates the rule (normalised units)
        hh = unwrap_module_weights(algo, "household")
        gov = unwrap_module_weights(algo, "government")
        algo.train()
        assert not changed(hh, unwrap_module_weights(algo, "household"))
        assert changed(gov, unwrap_module_weights(algo, "government"))
    finally:
        algo.stop()


def test_save_restore_gives_identical_actions(ray_session, tmp_path):
    from ray.rllib.algorithms.algorithm import Algorithm

    import econ_envs
    from econ_envs.rllib.population import module_actions

    cfg, _ = taxai_experiment(**SMALL)
    algo = cfg.build_algo()
    try:
        algo.train()
        path = algo.save_to_path(str(tmp_path / "ckpt"))
        env = econ_envs.make("taxai-v0", n_households=12)
        obs, _ = env.reset_batch(seed=1)
        before = {m: module_actions(algo.get_module(m), obs[r], env.roles[r].action_space, explore=False)["env"]
                  for m, r in (("government", "government"), ("household", "household"))}  # fmt: skip
    finally:
        algo.stop()
    restored = Algorithm.from_checkpoint(path)
    try:
        for m, r in (("government", "government"), ("household", "household")):
            after = module_actions(restored.get_module(m), obs[r], env.roles[r].action_space, explore=False)["env"]
            assert np.array_equal(before[m], after), m
    finally:
        restored.stop()


def test_bad_experiment_arguments():
    with pytest.raises(ValueError, match="households must be"):
        taxai_experiment(households="oracle")
    with pytest.raises(ValueError, match="government must be"):
        taxai_experiment(government="oracle")
    with pytest.raises(ValueError, match="recurrent households need the per-agent path"):
        taxai_experiment(households="recurrent", batched=True)


def test_best_response_trains_a_copy_and_leaves_every_other_module_alone(ray_session, tmp_path, capfd):
    import json
    import math

    from econ_envs.rllib.best_response import best_response

    cfg, _ = taxai_experiment(**SMALL, bc_warm_start=False, env_overrides={"episode_length": 12})
    algo = cfg.build_algo()
    try:
        algo.train()
        path = algo.save_to_path(str(tmp_path / "ckpt"))
        weights = {m: unwrap_module_weights(algo, m) for m in ("government", "household")}
    finally:
        algo.stop()
    capfd.readouterr()
    res = best_response(path, "household", iters=2, episodes=1, out=tmp_path / "br")
    err = capfd.readouterr().err
    assert "best-response household [" in err and "4/4 steps" in err  # progress: 1 + 2 iterations + 1 episodes
    assert res["other_modules_unchanged"] is True
    assert res["deviators"] == "household_0" and res["module"] == "household"
    assert math.isfinite(res["return_before"]) and math.isfinite(res["gain"])
    assert res["gain"] == res["return_after"] - res["return_before"]
    assert json.loads((tmp_path / "br" / "best_response.json").read_text())["role"] == "household"
    # the checkpoint itself is untouched: restoring it gives the trained weights back
    from ray.rllib.algorithms.algorithm import Algorithm

    restored = Algorithm.from_checkpoint(path)
    try:
        for m, w in weights.items():
            assert not changed(w, unwrap_module_weights(restored, m)), m
    finally:
        restored.stop()
    with pytest.raises(ValueError, match="unknown role"):
        best_response(path, "bank", iters=1, episodes=1)
