"""The README's main command (``econ-envs train taxai_quickstart --evaluate K``), at its SMOKE size."""

import json

import pytest

import rllib_configs
from econ_envs.cli import main


def test_train_then_evaluate_loads_only_the_modules(ray_session, tmp_path, capsys, monkeypatch):
    import econ_envs.rllib.evaluate as ev

    def no_second_build(*args, **kwargs):
        raise AssertionError("train --evaluate must not build the algorithm a second time")

    monkeypatch.setattr(ev, "load_checkpoint", no_second_build)
    smoke = rllib_configs.load("taxai_quickstart").SMOKE
    sets = [a for k, v in smoke.items() if k != "stop_iters" for a in ("--set", f"{k}={v}")]
    out = tmp_path / "qs"
    code = main(["train", "taxai_quickstart", *sets, "--stop-iters", "1", "--out", str(out), "--quiet",
                 "--evaluate", "1"])  # fmt: skip
    assert code == 0
    stdout = capsys.readouterr().out
    assert "evaluating " in stdout and "| learned |" in stdout
    stats = json.loads((out / "train_stats.json").read_text())
    summary = json.loads((out / "evaluation" / "evaluation.json").read_text())
    assert summary["checkpoint"] == stats["checkpoint"] and summary["episodes"] == 1
    governments = {r["government"] for r in summary["rows"]}
    assert governments == {"learned", "free_market", "us_federal", "saez"}


def test_evaluate_wants_config_and_iteration_together(tmp_path):
    from econ_envs.rllib.evaluate import evaluate

    with pytest.raises(ValueError, match="both config and iteration"):
        evaluate(tmp_path, episodes=1, config=object())
