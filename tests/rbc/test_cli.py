"""Command line: list, simulate, bench (replica-steps/s) for rbc-v0."""

import json

import numpy as np

from econ_envs.cli import main
from econ_envs.core.simulate import read_history


def test_list_shows_rbc(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "rbc-v0" in out and "econ_envs/RBC-Government-v0" in out


def test_simulate_rule_profile(tmp_path):
    out = tmp_path / "sim"
    assert main(["simulate", "rbc-v0", "--out", str(out), "--quiet", "--set", "n_consumers=30"]) == 0
    hist = read_history(out / "history.csv")
    assert len(hist["step"]) == 10 and np.all(np.isfinite(hist["output"]))
    assert np.all(np.abs(hist["money_residual"]) < 1e-6) and np.all(np.abs(hist["goods_residual"]) < 1e-9)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["settings"]["n_consumers"] == 30 and summary["termination"].startswith("truncated")


def test_bench_reports_replica_steps(capsys):
    assert (
        main(
            [
                "bench",
                "rbc-v0",
                "--replicas",
                "4",
                "--steps",
                "10",
                "--repeats",
                "2",
                "--set",
                "n_consumers=20",
                "--set",
                "n_firms=3",
            ]
        )
        == 0
    )
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["replicas"] == 4 and result["replica_steps_per_s"] > 0 and result["core_steps_per_s"] > 0
    assert result["agents"] == 24 and "replica_steps_per_s" in result["median"]
    assert main(["bench", "taxai-v0", "--agents", "20", "--replicas", "4"]) == 2
    assert "no vector" in capsys.readouterr().err
