"""Module initialisation and behaviour-cloning warm starts (no Ray needed)."""

import gymnasium as gym
import numpy as np
import pytest
import torch
from ray.rllib.core.columns import Columns
from ray.rllib.core.rl_module.rl_module import RLModuleSpec

from econ_envs.rllib.bc import behaviour_clone, rule_dataset
from econ_envs.rllib.experiments import taxai_government_start
from econ_envs.rllib.modules import EconMLPModule, RecurrentModule
from econ_envs.taxai import policies as P
from econ_envs.taxai.params import TaxParams

BOX = gym.spaces.Box(np.array([0.0, 0.0, 0.0], np.float32), np.array([0.5, 0.5, 0.3], np.float32))
OBS = gym.spaces.Box(-np.inf, np.inf, (4,), np.float32)


def build(cls, **model_config):
    spec = RLModuleSpec(module_class=cls, observation_space=OBS, action_space=BOX, model_config=model_config)
    return spec.build()


def mean_action(module, obs):
    out = module._forward({Columns.OBS: torch.as_tensor(obs)})[Columns.ACTION_DIST_INPUTS][:, :3]
    norm = out.detach().numpy().astype(np.float64)
    return BOX.low + (norm + 1.0) / 2.0 * (BOX.high - BOX.low)


def test_init_action_sets_the_initial_mean_action():
    module = build(EconMLPModule, init_action=[0.15, 0.05, 0.1])
    obs = np.random.default_rng(0).normal(size=(64, 4)).astype(np.float32)
    acts = mean_action(module, obs)
    # small initial weights: every observation starts at (almost exactly) the requested action
    np.testing.assert_allclose(acts, np.tile([0.15, 0.05, 0.1], (64, 1)), atol=0.01)
    plain = mean_action(build(EconMLPModule), obs)
    np.testing.assert_allclose(plain, np.tile((BOX.low + BOX.high) / 2, (64, 1)), atol=0.01)


@pytest.mark.parametrize(
    "bad, match",
    [([0.1, 0.1], "must be 3 finite"), ([0.1, np.nan, 0.1], "must be 3 finite"), ([0.1, 0.9, 0.1], "outside")],
)
def test_bad_init_action_is_refused(bad, match):
    with pytest.raises(ValueError, match=match):
        build(EconMLPModule, init_action=bad)


def test_government_start_lies_inside_the_policy_box():
    for cfg in ({}, {"income_tax": "brackets"}, {"tau_max": 0.1, "spending_max": 0.05}):
        start = taxai_government_start(cfg)
        low, high = TaxParams.from_kwargs(**cfg).policy_bounds()
        assert len(start) == len(low)
        assert all(lo <= v <= hi for v, lo, hi in zip(start, low, high))


def test_rule_dataset_other_roles_and_row_cap():
    cfg = {"n_households": 50}
    rule = P.make_rule("buffer_stock", cfg)
    gov = taxai_government_start(cfg)
    obs, act = rule_dataset("taxai-v0", cfg, "household", rule, steps=20, episodes=1, others={"government": gov},
                            max_rows=400)  # fmt: skip
    assert obs.shape[0] == act.shape[0] == 20 * 20  # 400 rows / 20 steps = 20 households per step
    assert obs.shape[1] == 19 and act.shape[1] == 2
    np.testing.assert_allclose(act, rule(obs), rtol=1e-5, atol=1e-6)  # the recorded actions are the rule's
    with pytest.raises(ValueError, match="unknown role"):
        rule_dataset("taxai-v0", cfg, "household", rule, steps=2, others={"planner": gov})


def test_behaviour_clone_fits_a_recurrent_module_from_its_initial_state():
    rng = np.random.default_rng(0)
    obs = rng.normal(size=(2000, 4)).astype(np.float32)
    target = np.stack([0.25 + 0.1 * np.tanh(obs[:, 0]), 0.1 + 0.05 * np.tanh(obs[:, 1]), np.full(2000, 0.2)], 1)
    module = build(RecurrentModule, hidden=[32], cell_size=32)
    mse = behaviour_clone(module, obs, target, BOX, epochs=60, batch_size=500)
    assert mse < 0.01


def test_value_targets_are_discounted_returns_or_the_rules_own_values():
    cfg = {"n_households": 20}
    rule = P.make_rule("buffer_stock", cfg)
    gov = taxai_government_start(cfg)
    obs, act, v = rule_dataset("taxai-v0", cfg, "household", rule, steps=6, episodes=1, others={"government": gov},
                               values=True, gamma=0.9)  # fmt: skip
    assert obs.shape[0] == act.shape[0] == v.shape[0] == 6 * 20
    # recompute the returns from the rewards: same seed, same rule, same government
    import econ_envs

    env = econ_envs.make("taxai-v0", **cfg)
    o, _ = env.reset_batch(seed=0)
    rewards = []
    for _ in range(6):
        res = env.step_batch({"household": rule(o["household"]), "government": np.asarray(gov)[None, :]})
        o = res.observations
        rewards.append(np.asarray(res.rewards["household"]))
    ret = rewards[-1] / (1 - 0.9)
    expected = []
    for r in reversed(rewards):
        ret = r + 0.9 * ret
        expected.append(ret)
    np.testing.assert_allclose(v, np.concatenate(expected[::-1]), rtol=1e-9)

    class WithValues:
        def __call__(self, x):
            return rule(x)

        def values(self, x):
            return np.asarray(x)[:, 0] * 2.0  # any function of the observation

    obs2, _, v2 = rule_dataset("taxai-v0", cfg, "household", WithValues(), steps=3, episodes=1,
                               others={"government": gov}, values=True)  # fmt: skip
    np.testing.assert_allclose(v2, obs2[:, 0].astype(np.float64) * 2.0, rtol=1e-6)
    with pytest.raises(ValueError, match="gamma"):
        rule_dataset("taxai-v0", cfg, "household", rule, steps=2, values=True, gamma=1.0)


def test_behaviour_clone_fits_the_critic_on_its_own_scale():
    module = build(EconMLPModule, value_scale=40.0)
    rng = np.random.default_rng(0)
    obs = rng.normal(size=(2000, 4)).astype(np.float32)
    target = np.tile([0.2, 0.1, 0.05], (2000, 1))
    values = -40.0 + 10.0 * obs[:, 0]  # returns of tens of utils
    behaviour_clone(module, obs, target, BOX, epochs=80, batch_size=500, values=values)
    v = module.compute_values({Columns.OBS: torch.as_tensor(obs)}).detach().numpy()
    assert np.corrcoef(v, values)[0, 1] > 0.98 and abs(np.mean(v) - np.mean(values)) < 2.0
    with pytest.raises(ValueError, match="values must be 2000 finite"):
        behaviour_clone(module, obs, target, BOX, epochs=1, values=values[:10])


def test_switching_action_holds_then_redraws_inside_the_box():
    from econ_envs.rllib.bc import SwitchingAction

    sw = SwitchingAction([0.0, 0.0], [0.5, 0.1], every=3, seed=1, first=[0.2, 0.05])
    acts = [sw(np.zeros((1, 4)))[0] for _ in range(9)]
    np.testing.assert_allclose(acts[0], [0.2, 0.05])
    assert all(np.array_equal(acts[i], acts[0]) for i in range(3))
    assert not np.array_equal(acts[3], acts[0]) and np.array_equal(acts[3], acts[5])
    assert all(0.0 <= a[0] <= 0.5 and 0.0 <= a[1] <= 0.1 for a in acts)
    for bad in (
        {"low": [0.0], "high": [1.0, 2.0]},
        {"low": [1.0], "high": [0.0]},
        {"low": [0.0], "high": [1.0], "every": 0},
    ):
        with pytest.raises(ValueError):
            SwitchingAction(**bad)
