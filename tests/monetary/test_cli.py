"""The command line: simulate/bench on monetary-v0 and the analyze subcommand's outputs."""

import json

import numpy as np
import pytest

import econ_envs
from econ_envs.cli import main
from econ_envs.core.simulate import read_history, run_profile
from econ_envs.monetary.analysis import loss_table, loss_table_markdown


def test_simulate_writes_outputs(tmp_path, capsys):
    out = tmp_path / "sim"
    assert main(["simulate", "monetary-v0", "--policy", "npp", "--steps", "24", "--out", str(out), "--quiet"]) == 0
    hist = read_history(out / "history.csv")
    assert len(hist["step"]) == 24 and np.all(np.isfinite(hist["gdp"])) and np.all(hist["unemployment"] <= 1)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["policy"] == "npp" and summary["settings"]["n_households"] == 100
    assert (out / "macro_variables.png").stat().st_size > 10_000


@pytest.mark.parametrize("policy", ["taylor93", "balanced", "npp", "inertial", "fixed_rate"])
def test_every_simulate_profile_runs(policy):
    spec = econ_envs.spec("monetary-v0")
    factory = spec.policy_factory(policy)
    env = spec.make(episode_length=24, **factory.env_overrides)
    rows, reason = run_profile(env, factory(env), 24, seed=1)
    assert len(rows) == 24 and reason.startswith("truncated")
    assert all(np.isfinite(r["cb_loss"]) for r in rows)


def test_bench_prints_one_json_line(capsys):
    assert main(["bench", "monetary-v0", "--steps", "20", "--repeats", "2", "--set", "n_firms=10",
                 "--agents", "200"]) == 0  # fmt: skip
    result = json.loads(capsys.readouterr().out.strip())
    assert result["agents"] == 200 and result["total_agents"] == 1 + 5 + 200 + 10
    assert result["core_steps_per_s"] > 0 and result["facade_steps_per_s"] > 0


def test_analyze_writes_the_seed_outputs(tmp_path, capsys):
    out = tmp_path / "a"
    args = ["analyze", "monetary-v0", "simulate", "--out", str(out), "--months", "30", "--seed", "2"]
    assert main(args) == 0
    for name in ("simulation_history.csv", "macro_variables.png", "agent_rewards.png", "summary.json"):
        assert (out / name).stat().st_size > 500, name
    hist = read_history(out / "simulation_history.csv")
    assert len(hist["month"]) == 30 and {"cb_reward", "bank_reward", "household_reward", "firm_reward"} <= set(hist)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["simulation"]["months_run"] == 30


def test_analyze_irf_loss_table_gini_zlb(tmp_path, capsys):
    out = tmp_path / "b"
    for analysis in ("irf", "loss-table", "gini", "zlb", "reaction"):
        assert main(["analyze", "monetary-v0", analysis, "--seeds", "2", "--months", "30", "--out", str(out),
                     "--set", "n_households=40", "--set", "n_firms=8"]) == 0  # fmt: skip
    irf = json.loads((out / "impulse_responses.json").read_text())
    assert set(irf) == {"policy_rate", "cost_push", "demand", "credit"}
    assert len(irf["policy_rate"]["responses"]["gdp"]["mean"]) == 36
    assert (out / "policy_transmission.png").stat().st_size > 20_000
    table = (out / "loss_table.md").read_text()
    assert all(rule in table for rule in ("taylor93", "balanced", "npp", "inertial", "fixed_rate"))
    assert (out / "wealth_gini.png").exists() and (out / "zlb.png").exists()
    zlb = json.loads((out / "zlb.json").read_text())
    assert zlb["without_zlb"]["min_policy_rate_mean"] <= zlb["with_zlb"]["min_policy_rate_mean"]
    rf = json.loads((out / "reaction_functions.json").read_text())
    assert set(rf["taylor93"]["coefficients"]) == {"c", "phi_pi", "phi_y", "rho"}
    err = capsys.readouterr().err
    assert "analyze monetary-v0 zlb [" in err and "1/1 analyses" in err  # progress on stderr


def test_analyze_all_shows_each_analysis_and_quiet_silences_it(tmp_path, capsys):
    args = ["analyze", "monetary-v0", "all", "--seeds", "1", "--months", "12", "--out", str(tmp_path),
            "--set", "n_households=40", "--set", "n_firms=8"]  # fmt: skip
    assert main(args) == 0
    err = capsys.readouterr().err
    for analysis in ("simulate", "irf", "reaction", "loss-table", "gini", "zlb"):
        assert f"running {analysis} ..." in err
    assert "6/6 analyses" in err
    assert main([*args, "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_analyze_errors(tmp_path, capsys):
    assert main(["analyze", "taxai-v0", "irf"]) == 2
    assert "no analyses for 'taxai-v0'" in capsys.readouterr().err
    assert main(["analyze", "monetary-v0", "irf", "--seeds", "0", "--out", str(tmp_path)]) == 2
    assert "--seeds must be at least 1" in capsys.readouterr().err
    assert main(["analyze", "monetary-v0", "irf", "--set", "n_banks=0", "--out", str(tmp_path)]) == 2
    assert "n_banks" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["analyze", "monetary-v0", "everything"])


def test_loss_table_values():
    lt = loss_table(seeds=2, rules=("taylor93", "fixed_rate"), months=24, n_households=40, n_firms=8)
    for rule in ("taylor93", "fixed_rate"):
        row = lt["table"][rule]
        assert row["discounted_loss_mean"] > 0 and len(row["losses"]) == 2
    assert lt["table"]["fixed_rate"]["policy_rate_mean"] == pytest.approx(3.0)
    md = loss_table_markdown(lt)
    assert md.count("\n") == 4 and "±" in md
