"""Runs that survive: a killed training run resumes; training works on a two-node Ray cluster."""

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

# each test trains in subprocesses that start Ray clusters of their own: minutes, not seconds
pytestmark = pytest.mark.slow

SMOKE = ["--set", "n_households=12", "--set", "batched=true", "--set", "rollout_length=6", "--set",
         "minibatch_size=32"]  # fmt: skip


def _train_cmd(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "econ_envs.cli", "train", "taxai_dsmfg", *SMOKE, "--stop-iters", "3",
            "--checkpoint-every", "1", "--out", str(out), "--quiet", *extra]  # fmt: skip


def test_killed_run_resumes_from_its_last_checkpoint(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.Popen(_train_cmd(out), start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.time() + 300
    try:
        while time.time() < deadline:  # kill the run (and its Ray processes) after its first checkpoint
            if len(list(out.glob("taxai_dsmfg/*/checkpoint_*"))) >= 1:
                break
            if proc.poll() is not None:
                pytest.fail("training finished or crashed before it could be killed")
            time.sleep(0.5)
        else:
            pytest.fail("no checkpoint within 300 s")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert not (out / "train_stats.json").exists()
    done = subprocess.run(_train_cmd(out, "--resume"), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    stats = json.loads((out / "train_stats.json").read_text())
    assert stats["resumed"] is True and stats["iterations"] == 3
    assert 0.1 < stats["peak_rss_gb"] < 8.0  # the training process's peak memory reaches train_stats.json
    (progress,) = list(out.glob("taxai_dsmfg/*/progress.csv"))
    iters = [int(float(r["training_iteration"])) for r in csv.DictReader(open(progress))]
    # the resumed run continued where the checkpoint left off instead of starting again at 1
    assert iters[-1] == 3 and iters.count(1) == 1
    assert (out / "training_curves.png").exists() and (out / "agent_rewards.png").exists()


def test_training_on_a_two_node_local_cluster(tmp_path):
    script = tmp_path / "cluster.py"
    script.write_text(
        textwrap.dedent("""
        import json, ray
        from ray.cluster_utils import Cluster
        import rllib_configs
        cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
        cluster.add_node(num_cpus=1)
        ray.init(address=cluster.address, include_dashboard=False)
        assert len([n for n in ray.nodes() if n["Alive"]]) == 2
        cfg, _ = rllib_configs.build("taxai_dsmfg", n_households=12, batched=True, rollout_length=6,
                                     minibatch_size=32)
        cfg = cfg.env_runners(num_env_runners=1, num_cpus_per_env_runner=1)
        algo = cfg.build_algo()
        result = algo.train()
        print(json.dumps({"steps": result["env_runners"]["num_env_steps_sampled_lifetime"],
                          "remote_runners": algo.env_runner_group.num_remote_env_runners()}))
        algo.stop(); ray.shutdown(); cluster.shutdown()
    """)
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600,
                          cwd=Path(__file__).parents[2])  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["remote_runners"] == 1 and result["steps"] > 0
