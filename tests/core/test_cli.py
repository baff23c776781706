import json

import numpy as np
import pytest

from econ_envs.cli import main
from econ_envs.core.simulate import read_history


def test_list(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "taxai-v0" in out and "econ_envs/TaxAI-Planner-v0" in out


def test_simulate_writes_outputs(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["simulate", "taxai-v0", "--policy", "saez", "--steps", "30", "--seed", "3",
                 "--out", str(out), "--set", "n_households=50", "--quiet"])  # fmt: skip
    assert code == 0
    hist = read_history(out / "history.csv")
    assert len(hist["step"]) == 30 and np.all(np.isfinite(hist["gdp"]))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 3 and summary["steps_run"] == 30 and summary["settings"]["n_households"] == 50
    assert summary["termination"].startswith("step_limit")
    assert "numpy" in summary["versions"] and "gdp_per_household" in summary["averages"]
    assert (out / "macro_variables.png").stat().st_size > 10_000


def test_simulate_full_episode_and_progress(tmp_path, capsys):
    out = tmp_path / "full"
    assert main(["simulate", "taxai-v0", "--policy", "free_market", "--out", str(out),
                 "--set", "episode_length=25"]) == 0  # fmt: skip
    err = capsys.readouterr().err
    assert "25/25" in err  # progress shown
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps_run"] == 25 and summary["termination"].startswith("truncated")


def test_bad_cli_input_gives_clear_errors(tmp_path, capsys):
    assert main(["simulate", "taxai-v0", "--policy", "ramsey", "--out", str(tmp_path / "x")]) == 2
    assert "unknown policy 'ramsey'" in capsys.readouterr().err
    assert main(["simulate", "taxai-v0", "--set", "n_households=3", "--out", str(tmp_path / "y")]) == 2
    assert "n_households must be in" in capsys.readouterr().err
    assert main(["simulate", "nope-v0"]) == 2
    assert main(["simulate", "taxai-v0", "--set", "oops"]) == 2


def test_bench_prints_one_json_line(capsys):
    assert main(["bench", "taxai-v0", "--agents", "50", "--steps", "20", "--repeats", "2"]) == 0
    line = capsys.readouterr().out.strip().splitlines()
    assert len(line) == 1
    result = json.loads(line[0])
    assert {"env", "agents", "core_steps_per_s", "facade_steps_per_s"} <= set(result)
    assert result["agents"] == 50 and result["core_steps_per_s"] > 0 and result["facade_steps_per_s"] > 0


def test_bench_gives_ratios_to_the_reference_kernel_with_host(capsys):
    assert main(["bench", "taxai-v0", "--agents", "50", "--steps", "20", "--repeats", "3"]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    ref = result["reference_passes_per_s"]
    assert ref > 0
    for key in ("core_steps_per_s", "batch_api_steps_per_s", "facade_steps_per_s"):
        assert result["ratio_to_reference"][key] == pytest.approx(result[key] / ref, rel=6e-3)  # 3 significant digits
    assert result["host"]["cpu"] and result["host"]["date"][:2] == "20"
    assert "batches" in captured.err and "x reference" in captured.err  # progress and the ratio, on stderr
    # 3 core + 3 step_batch + 2 facade batches, each followed by one reference batch
    assert "(8 in all)" in result["reference"]


def test_reference_kernel_is_fixed_work():
    from econ_envs.core.bench import reference_kernel

    assert reference_kernel(3, 64) == reference_kernel(3, 64)  # deterministic
    assert reference_kernel(2, 64) != reference_kernel(3, 64)


def test_read_history_rejects_corrupt_files(tmp_path):
    bad = tmp_path / "h.csv"
    bad.write_text("step,gdp\n1,2.0\n2,abc\n")
    with pytest.raises(ValueError, match="not a number"):
        read_history(bad)
    bad.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ValueError):
        read_history(bad)
