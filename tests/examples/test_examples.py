"""The third-party examples run end to end for a few hundred steps (skipped without the [examples] extra)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"econ_envs_example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sb3_ppo_trains_the_tax_planner_view(capsys):
    pytest.importorskip("stable_baselines3")
    example = _load("sb3_taxai_planner")
    result = example.main(["--timesteps", "256", "--households", "30", "--seed", "0"])
    assert 1 <= result["years"] <= 300 and np.isfinite(result["return"])
    assert result["end"]  # the view says why the episode ended
    low, high = (0.0,) * 5, (0.5, 0.5, 0.1, 0.5, 0.3)  # the government's action bounds
    assert len(result["last_action"]) == 5
    assert all(lo - 1e-6 <= a <= hi + 1e-6 for a, lo, hi in zip(result["last_action"], low, high))  # SB3 clips
    assert "evaluation episode:" in capsys.readouterr().out


def test_supersuit_wraps_the_parallel_env_for_sb3(capsys):
    pytest.importorskip("stable_baselines3")
    pytest.importorskip("supersuit")
    example = _load("supersuit_sb3_meanfield")
    venv = example.make_vec_env(agents=6)
    assert venv.num_envs == 6  # one row per agent of the ParallelEnv
    venv.seed(3)
    first = venv.reset()
    venv.seed(3)
    assert np.array_equal(venv.reset(), first)  # seed() applies to the next reset, as in SB3's own vector envs
    venv.close()
    result = example.main(["--timesteps", "320", "--agents", "10", "--seed", "0"])
    assert np.isfinite(result["ppo"]) and np.isfinite(result["random"])
    assert "PPO" in capsys.readouterr().out
