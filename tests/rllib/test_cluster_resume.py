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


def _train_cmd(out: Path, *extra: str, stop: int = 6) -> list[str]:
    return [sys.executable, "-m", "econ_envs.cli", "train", "taxai_dsmfg", *SMOKE, "--stop-iters", str(stop),
            "--checkpoint-every", "2", "--out", str(out), "--quiet", *extra]  # fmt: skip


ENV = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}  # a Ray of its own, not this worker's


def _proc_table() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, state) of every process."""
    out = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            out[int(d.name)] = (int(fields[1]), fields[0])
    return out


def _descendants(pid: int) -> set[int]:
    table = _proc_table()
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, (pp, _) in table.items() if pp in frontier} - found
        found |= frontier
    return found


def _alive(pids: set[int]) -> set[int]:
    table = _proc_table()
    return {p for p in pids if p in table and table[p][1] != "Z"}


def _rows(run: Path) -> dict[int, dict]:
    rows = [json.loads(line) for line in (run / "result.json").read_text().splitlines() if line.strip()]
    its = [r["training_iteration"] for r in rows]
    assert its == sorted(set(its)), f"result.json iterations {its}: each once, in order"
    return {r["training_iteration"]: json.dumps(r, sort_keys=True) for r in rows}  # text: NaN == NaN


def _checkpoints(run: Path) -> list[int]:
    return sorted(int(p.name.split("_")[1]) for p in run.glob("checkpoint_*") if not p.name.endswith(".partial"))


def _run_until(out: Path, ready, *extra: str, kill: str) -> tuple[Path, dict[int, dict], list[int], set[int]]:
    """Start training, freeze its process group (SIGSTOP) as soon as ``ready(run_dir)`` holds, snapshot the
    results and checkpoints, then kill -9 the driver (``kill="driver"``) or its supervisor
    (``kill="supervisor"``). Returns (run dir, rows, checkpoints, the processes started)."""
    proc = subprocess.Popen(_train_cmd(out, *extra), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=ENV)  # fmt: skip
    deadline = time.time() + 600
    try:
        while True:
            runs = sorted(out.glob("taxai_dsmfg/run_*"))
            if runs and (runs[-1] / ".lock").exists() and ready(runs[-1]):
                break
            if proc.poll() is not None:
                pytest.fail(f"training ended before it could be killed: {proc.stderr.read()[-3000:]}")
            if time.time() > deadline:
                pytest.fail("the kill point was not reached within 600 s")
            time.sleep(0.01)
        run = runs[-1]
        driver = int((run / ".lock").read_text())
        os.killpg(driver, signal.SIGSTOP)  # the driver leads its own process group (the supervisor's child)
        started = _descendants(proc.pid)
        rows, ckpts = _rows(run), _checkpoints(run)
        os.kill(driver if kill == "driver" else proc.pid, signal.SIGKILL)
        os.killpg(driver, signal.SIGCONT)
    finally:
        if proc.poll() is None and kill == "driver":
            proc.wait(timeout=120)
    assert driver in started and len(started) >= 4  # the driver, GCS, raylet, agents...
    return run, rows, ckpts, started


def _no_orphans(started: set[int]) -> None:
    deadline = time.time() + 60
    while _alive(started) and time.time() < deadline:
        time.sleep(0.5)
    left = _alive(started)
    assert not left, f"processes left behind: {[(Path(f'/proc/{p}/cmdline').read_text()[:80]) for p in left]}"


@pytest.mark.slow
def test_runs_killed_right_after_a_checkpoint_and_between_checkpoints_resume_without_loss(tmp_path):
    out = tmp_path / "run"
    # 1. kill -9 the driver the moment checkpoint_000002 is complete
    run, rows1, ck1, started = _run_until(out, lambda r: (r / "checkpoint_000002").is_dir(), kill="driver")
    _no_orphans(started)  # the supervisor ended the driver's whole group: GCS, raylet, agents, workers
    assert ck1 == [2] and max(rows1) >= 2
    assert not (out / "train_stats.json").exists()
    # 2. resume; kill -9 the supervisor between checkpoints 4 and 6 (its child then stops on SIGTERM)
    run2, rows2, ck2, started = _run_until(out, lambda r: (r / "checkpoint_000004").is_dir() and
                                           len((r / "result.json").read_text().splitlines()) >= 5,
                                           "--resume", kill="supervisor")  # fmt: skip
    _no_orphans(started)
    assert run2 == run and ck2[-1] == 4 and max(rows2) >= 5
    for it in range(1, 3):  # rows up to the first checkpoint: unchanged by the resume
        assert rows2[it] == rows1[it]
    # 3. resume again to the end
    done = subprocess.run(_train_cmd(out, "--resume"), capture_output=True, text=True, timeout=600, env=ENV)
    assert done.returncode == 0, done.stderr[-3000:]
    stats = json.loads((out / "train_stats.json").read_text())
    assert stats["resumed"] is True and stats["iterations"] == 6
    assert stats["resumed_from_iteration"] == 4 and stats["resumed_from_checkpoint"].endswith("checkpoint_000004")
    assert stats["redone_iterations"] == [it for it in sorted(rows2) if it > 4]
    assert 0.1 < stats["peak_rss_gb"] < 8.0  # the training process's peak memory reaches train_stats.json
    rows3 = _rows(run)
    assert sorted(rows3) == [1, 2, 3, 4, 5, 6]
    for it in range(1, 5):  # nothing up to the resumed checkpoint was lost or changed
        assert rows3[it] == rows2[it]
    discarded = [json.loads(line) for line in (run / "discarded_results.json").read_text().splitlines()]
    assert sorted(d["row"]["training_iteration"] for d in discarded) == sorted(
        [it for it in rows1 if it > 2] + [it for it in rows2 if it > 4])
    assert _checkpoints(run)[-1] == 6 and len(_checkpoints(run)) == 3  # the newest three are kept
    # progress.csv is rectangular, one row per iteration, the same values as result.json
    with open(run / "progress.csv") as f:
        table = list(csv.reader(f))
    assert len({len(r) for r in table}) == 1 and len(table) == 7
    header = table[0]
    its = [int(float(r[header.index("training_iteration")])) for r in table[1:]]
    assert its == [1, 2, 3, 4, 5, 6]
    ret = header.index("env_runners/num_env_steps_sampled_lifetime")
    assert [float(r[ret]) for r in table[1:]] == [
        float(json.loads(rows3[i])["env_runners"]["num_env_steps_sampled_lifetime"]) for i in its]
    # TensorBoard: one event per iteration and tag
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run))
    acc.Reload()
    steps = [e.step for e in acc.Scalars("env_runners/num_env_steps_sampled_lifetime")]
    assert steps == [1, 2, 3, 4, 5, 6]
    assert (out / "training_curves.png").exists() and (out / "agent_rewards.png").exists()


def test_an_interrupted_run_stops_with_its_ray_processes_and_says_how_to_resume(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.Popen(_train_cmd(out, stop=50), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=ENV)  # fmt: skip
    deadline = time.time() + 600
    while not list(out.glob("taxai_dsmfg/run_*/result.json")):
        assert proc.poll() is None and time.time() < deadline, "no result before the interrupt"
        time.sleep(0.05)
    started = _descendants(proc.pid)
    proc.send_signal(signal.SIGINT)  # what Ctrl-C sends to the foreground process group (the supervisor)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, output[-3000:]
    assert "interrupted: `econ-envs train taxai_dsmfg --resume` continues" in output
    _no_orphans(started)
    assert not (out / "train_stats.json").exists()


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
