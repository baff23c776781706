"""Every registered Gymnasium view: finite bounds, a time limit, and check_env with no warnings."""

import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import econ_envs  # noqa: F401  (registers the views)
from econ_envs.core.views import SATURATION, clip_observation, finite_box

ROOT = Path(__file__).resolve().parents[2]
VIEW_IDS = sorted(k for k in gymnasium.registry if k.startswith("econ_envs/"))
SMALL = {  # the views at a size that keeps the test fast; bounds and limits do not depend on it
    "econ_envs/TaxAI-Planner-v0": {"n_households": 100},
    "econ_envs/RBC-Government-v0": {"n_consumers": 12, "n_firms": 4},
}
DEFAULT_LENGTH = {  # the default episode length of each view, in its economy's period
    "econ_envs/TaxAI-Planner-v0": 300,
    "econ_envs/Monetary-CentralBank-v0": 120,
    "econ_envs/RBC-Government-v0": 10,
    "econ_envs/MeanField-LQ-v0": 30,
    "econ_envs/MeanField-BeachBar-v0": 30,
    "econ_envs/MeanField-Macro-v0": 128,
    "econ_envs/MeanField-Crowd-v0": 10,
}


def test_every_view_is_listed():
    assert VIEW_IDS == sorted(DEFAULT_LENGTH)


@pytest.mark.parametrize("env_id", VIEW_IDS)
def test_check_env_passes_with_warnings_as_errors(env_id):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env = gymnasium.make(env_id, **SMALL.get(env_id, {}))
        check_env(env.unwrapped, skip_render_check=True)
    space = env.observation_space
    assert isinstance(space, gymnasium.spaces.Box) and space.dtype == np.float32
    assert np.all(np.isfinite(space.low)) and np.all(np.isfinite(space.high)) and np.all(space.low <= space.high)


@pytest.mark.parametrize("env_id", VIEW_IDS)
def test_max_episode_steps_is_the_default_episode_length(env_id):
    env = gymnasium.make(env_id, **SMALL.get(env_id, {}))
    assert env.spec.max_episode_steps == DEFAULT_LENGTH[env_id]
    inner = env.unwrapped
    own = getattr(inner, "params", None)
    own = getattr(own, "episode_length", None) or inner.game.horizon
    assert own == DEFAULT_LENGTH[env_id]


@pytest.mark.parametrize("env_id", ["econ_envs/RBC-Government-v0", "econ_envs/MeanField-Crowd-v0",
                                    "econ_envs/Monetary-CentralBank-v0"])  # fmt: skip
def test_random_episode_stays_inside_the_space_unclipped(env_id):
    """The time limit and the view end together, and a whole episode never needs clipping."""
    env = gymnasium.make(env_id, **SMALL.get(env_id, {}))
    obs, info = env.reset(seed=4)
    env.action_space.seed(4)
    steps = 0
    while True:
        assert env.observation_space.contains(obs) and "clipped_observation" not in info
        obs, reward, term, trunc, info = env.step(env.action_space.sample())
        steps += 1
        if term or trunc:
            break
    assert steps == DEFAULT_LENGTH[env_id] or term  # the view's own end, not the TimeLimit's alone
    assert env.observation_space.contains(obs) and "clipped_observation" not in info


def test_taxai_planner_natural_bounds_hold_over_an_episode():
    env = gymnasium.make("econ_envs/TaxAI-Planner-v0", household_policy="buffer_stock", n_households=100)
    names = env.unwrapped.env.government_obs_names()
    space = env.observation_space
    bounded = [i for i, n in enumerate(names) if space.high[i] < SATURATION]
    assert {names[i] for i in bounded} >= {"time", "policy_tau", "share_above_1", "welfare_weight_above_1"}
    obs, info = env.reset(seed=0)
    for t in range(40):
        obs, _, term, trunc, info = env.step(env.action_space.sample())
        assert "clipped_observation" not in info, (t, obs)
        if term or trunc:
            break


def test_finite_box_and_clipping_count():
    space = finite_box(gymnasium.spaces.Box(-np.inf, np.inf, (3,), np.float32), ["a", "time", "c"],
                       {"time": (0.0, 1.0)})  # fmt: skip
    assert space.low.tolist() == [-SATURATION, 0.0, -SATURATION]
    assert space.high.tolist() == [SATURATION, 1.0, SATURATION]
    info = {}
    out = clip_observation(np.array([2e6, 0.5, -3.0]), space, info)
    assert out.tolist() == [SATURATION, 0.5, -3.0] and info == {"clipped_observation": 1}
    info = {}
    clip_observation(np.array([1.0, 1.0, 1.0]), space, info)
    assert info == {}
    with pytest.raises(ValueError, match="unknown component"):
        finite_box(space, ["a", "b", "c"], {"nope": (0, 1)})


def test_gymnasium_make_in_a_fresh_interpreter_without_importing_econ_envs():
    """Gymnasium 1.x loads no plugin entry points: the id names the module, and nothing else is needed."""
    code = textwrap.dedent(
        """
        import sys, gymnasium
        assert "econ_envs" not in sys.modules
        env = gymnasium.make("econ_envs:econ_envs/RBC-Government-v0", n_consumers=12, n_firms=4)
        obs, info = env.reset(seed=0)
        assert env.observation_space.contains(obs)
        assert env.spec.max_episode_steps == 10
        # once imported, the plain id works too
        env = gymnasium.make("econ_envs/MeanField-LQ-v0")
        print("ok", type(env.unwrapped).__name__)
        """
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.split() == ["ok", "PushForwardLQ"]
