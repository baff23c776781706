"""The README's main command (``econ-envs train taxai_quickstart --evaluate K``), at its SMOKE size."""

import json
import os

import pytest

import rllib_configs
from econ_envs.cli import main


def test_train_then_evaluate_loads_only_the_modules(ray_session, tmp_path, capsys, monkeypatch):
    import econ_envs.rllib.evaluate as ev

    def no_second_build(*args, **kwargs):
        raise AssertionError("train --evaluate must not build the algorithm a second time")

    monkeypatch.setattr(ev, "load_checkpoint", no_second_build)
    monkeypatch.setenv("ECON_ENVS_NO_SUPERVISOR", "1")  # train in this process, so the patch applies
    smoke = rllib_configs.load("taxai_quickstart").SMOKE
    sets = [a for k, v in smoke.items() if k != "stop_iters" for a in ("--set", f"{k}={v}")]
    out = tmp_path / "qs"
    sets += ["--set", 'env_overrides={"episode_length": 30}']  # 30-year episodes: two seeds in seconds
    code = main(["train", "taxai_quickstart", *sets, "--stop-iters", "1", "--out", str(out), "--quiet",
                 "--evaluate", "2", "--select-every", "1"])  # fmt: skip
    assert code == 0
    captured = capsys.readouterr()
    stdout = captured.out
    assert "evaluating the best checkpoint (iteration 1 of 1" in stdout and "| learned |" in stdout
    assert "evaluate taxai-v0 [" in captured.err  # progress during the evaluation
    stats = json.loads((out / "train_stats.json").read_text())
    summary = json.loads((out / "evaluation" / "evaluation.json").read_text())
    assert summary["checkpoint"] == stats["selection"]["best_checkpoint"] and summary["episodes"] == 2
    governments = {r["government"] for r in summary["rows"]}
    assert {"learned", "free_market", "us_federal", "saez"} <= governments  # + best_hsv where searched
    # the verdict: task, the learned government against each baseline on the paired seeds, the rule, overall
    assert "## Verdict: social_welfare task, 16 households" in stdout and "**Rule:** win = the mean paired" in stdout
    assert "**Overall:** The learned government" in stdout
    verdict = json.loads((out / "evaluation" / "verdict.json").read_text())
    run_dir = next((out / "taxai_quickstart").glob("run_*"))
    assert json.loads((run_dir / "verdict.json").read_text()) == verdict
    main_case = verdict["comparisons"][0]
    assert main_case["households"] == "learned" and main_case["seeds"] == [10000, 10001]
    baselines = {b["government"] for b in main_case["baselines"]}
    assert {"free_market", "us_federal", "saez"} <= baselines and "learned" not in baselines
    for b in main_case["baselines"]:  # each outcome follows from the paired per-seed values
        mine = {r["seed"]: r["task_reward_per_year"] for r in summary["per_seed"]
                if r["households"] == "learned" and r["government"] == "learned"}
        theirs = {r["seed"]: r["task_reward_per_year"] for r in summary["per_seed"]
                  if r["households"] == "learned" and r["government"] == b["government"]}
        assert b["mean_difference"] == pytest.approx(sum(mine[s] - theirs[s] for s in mine) / 2)
        assert b["outcome"] in ("win", "lose", "tie")
    if not verdict["wins_every_baseline"]:
        assert "WINNING_COMMAND" in stdout or "A command that trains a winning government" in stdout


def test_evaluate_wants_config_and_iteration_together(tmp_path):
    from econ_envs.rllib.evaluate import evaluate

    with pytest.raises(ValueError, match="both config and iteration"):
        evaluate(tmp_path, episodes=1, config=object())


def test_training_starts_its_own_ray_next_to_a_running_cluster():
    # a cluster recorded in Ray's address file (as `ray start` or a killed run leaves it) must not be
    # joined by a run without --address, as Ray's default would do (and then refuse num_cpus); Ray's
    # temp dir is a private one here, so nothing else on the machine sees this cluster
    import shutil
    import subprocess
    import sys
    import tempfile
    import textwrap
    from pathlib import Path

    script = textwrap.dedent("""
        import json, ray
        from ray.cluster_utils import Cluster
        from econ_envs.rllib.train import init_ray
        cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
        address = cluster.address
        try:
            ray._private.utils.write_ray_address(address)
            joined_by_default = ray._private.services.canonicalize_bootstrap_address(None)
            init_ray(num_cpus=1)
            own = ray.get_runtime_context().gcs_address
            ray.shutdown()
        finally:
            cluster.shutdown()
        print(json.dumps({"cluster": address, "default": joined_by_default, "own": own}))
    """)
    tmp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: Ray's socket paths live under it
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    try:
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600,
                              cwd=Path(__file__).parents[2], env={**env, "RAY_TMPDIR": tmp})  # fmt: skip
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    assert done.returncode == 0, done.stderr[-3000:]
    res = json.loads(done.stdout.strip().splitlines()[-1])
    assert res["default"] == res["cluster"]  # the situation: Ray's default would join that cluster
    assert res["own"] != res["cluster"]
