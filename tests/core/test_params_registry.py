import gymnasium
import pytest

import econ_envs
from econ_envs.core.params import check_number, parse_assignments, parse_value


def test_check_number_messages():
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\]"):
        check_number("rate", 1.5, 0, 1)
    with pytest.raises(ValueError, match="finite"):
        check_number("rate", float("nan"), 0, 1)
    with pytest.raises(TypeError, match="must be a number"):
        check_number("rate", "high", 0, 1)
    with pytest.raises(TypeError, match="must be a number"):
        check_number("flag", True)
    with pytest.raises(TypeError, match="integer"):
        check_number("n", 2.5, integer=True)


def test_parse_assignments():
    assert parse_assignments(["a=1", "b=0.5", "c=true", "d=hsv", "e=[1, 2]"]) == {
        "a": 1,
        "b": 0.5,
        "c": True,
        "d": "hsv",
        "e": [1, 2],
    }
    assert parse_value("none") is None
    with pytest.raises(ValueError, match="key=value"):
        parse_assignments(["oops"])


def test_registry_make_and_list():
    envs = econ_envs.list_envs()
    assert "taxai-v0" in envs and envs["taxai-v0"]
    env = econ_envs.make("taxai-v0", n_households=10)
    assert len(env.possible_agents) == 11
    with pytest.raises(ValueError, match="unknown environment"):
        econ_envs.make("nope-v0")


def test_gymnasium_views_registered():
    env = gymnasium.make("econ_envs/TaxAI-Planner-v0", n_households=10)
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs)
