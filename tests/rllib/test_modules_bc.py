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
