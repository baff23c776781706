"""Checkpoint I/O: the run log a resume cuts back, atomic checkpoints, and the weights-only export."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from econ_envs.rllib.checkpoints import (
    EXPORT_FILE,
    META_FILE,
    export_weights,
    from_json,
    list_checkpoints,
    load_export,
    save_checkpoint,
    space_from_data,
    space_to_data,
    to_json,
)
from econ_envs.rllib.runlog import RunLog

SMOKE = {"n_households": 12, "batched": True, "rollout_length": 6, "minibatch_size": 32}


def _result(it: int, extra: dict | None = None) -> dict:
    return {"training_iteration": it, "timestamp": 1_700_000_000 + it, "config": {"big": "dropped"},
            "env_runners": {"episode_return_mean": -float(it), "hist": [1, 2]}, **(extra or {})}  # fmt: skip


def test_run_log_stays_rectangular_and_truncation_keeps_earlier_rows_unchanged(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    log = RunLog(tmp_path)
    for it in range(1, 6):  # learner metrics appear from iteration 3 on (as a leader's sparse updates do)
        log.append(_result(it, {"learners": {"government": {"entropy": 0.5 * it}}} if it >= 3 else None))
    log.close()
    with open(tmp_path / "progress.csv") as f:
        table = list(csv.reader(f))
    assert len({len(r) for r in table}) == 1 and len(table) == 6 and "config" not in table[0]
    assert "learners/government/entropy" in table[0]
    before = (tmp_path / "result.json").read_text().splitlines()
    with open(tmp_path / "result.json", "a") as f:
        f.write('{"training_iteration": 6, "timest')  # a line cut off by kill -9
    log = RunLog(tmp_path)
    assert log.last_iteration() == 5
    assert log.truncate(3) == [4, 5]
    assert (tmp_path / "result.json").read_text().splitlines() == before[:3]  # byte for byte
    discarded = [json.loads(x) for x in (tmp_path / "discarded_results.json").read_text().splitlines()]
    assert [d["row"]["training_iteration"] for d in discarded] == [4, 5]
    assert all(d["resumed_from_iteration"] == 3 for d in discarded)
    for it in (4, 5, 6):
        log.append(_result(it, {"learners": {"government": {"entropy": 0.5 * it}}}))
    log.close()
    rows = [json.loads(x) for x in (tmp_path / "result.json").read_text().splitlines()]
    assert [r["training_iteration"] for r in rows] == [1, 2, 3, 4, 5, 6]
    with open(tmp_path / "progress.csv") as f:
        table = list(csv.reader(f))
    assert len({len(r) for r in table}) == 1 and len(table) == 7
    acc = EventAccumulator(str(tmp_path))
    acc.Reload()
    assert [e.step for e in acc.Scalars("env_runners/episode_return_mean")] == [1, 2, 3, 4, 5, 6]
    assert [e.value for e in acc.Scalars("env_runners/episode_return_mean")] == [-1, -2, -3, -4, -5, -6]
    assert [e.step for e in acc.Scalars("learners/government/entropy")] == [3, 4, 5, 6]


def test_truncating_to_an_iteration_without_rows_is_refused(tmp_path):
    log = RunLog(tmp_path)
    log.append(_result(1))
    log.close()
    with pytest.raises(ValueError, match="do not cover 1..2"):
        RunLog(tmp_path).truncate(2)


class _FakeConfig:
    env = "taxai-v0"
    env_config = {"n_households": 12, "shape": (2, 3)}


class _FakeAlgo:
    config = _FakeConfig()

    def __init__(self, iteration):
        self.iteration = iteration

    def save_to_path(self, path):
        Path(path).mkdir(parents=True)
        (Path(path) / "algorithm_state.pkl").write_bytes(b"state")
        return path


def test_checkpoints_are_atomic_never_overwritten_and_listed_by_iteration(tmp_path):
    save_checkpoint(_FakeAlgo(2), tmp_path / "checkpoint_000002", experiment="x", overrides={"hidden": (16, 16)})
    meta = json.loads((tmp_path / "checkpoint_000002" / META_FILE).read_text())
    assert meta["iteration"] == 2 and from_json(meta["overrides"]) == {"hidden": (16, 16)}
    with pytest.raises(FileExistsError, match="not overwriting"):
        save_checkpoint(_FakeAlgo(2), tmp_path / "checkpoint_000002", experiment="x")
    (tmp_path / "checkpoint_000004.partial").mkdir()  # a save killed half way
    (tmp_path / "checkpoint_000005").mkdir()  # no metadata: not a checkpoint of ours
    assert [it for it, _ in list_checkpoints(tmp_path)] == [2]
    save_checkpoint(_FakeAlgo(4), tmp_path / "checkpoint_000004", experiment="x")  # replaces the stale .partial
    assert [it for it, _ in list_checkpoints(tmp_path)] == [2, 4]
    assert not (tmp_path / "checkpoint_000004.partial").exists()
    with pytest.raises(TypeError, match="overrides.fn"):
        to_json({"fn": print}, "overrides")


def test_spaces_round_trip_as_plain_data():
    import gymnasium as gym

    spaces = [gym.spaces.Box(-np.inf, np.inf, (3,), np.float32), gym.spaces.Box(0.0, 1.0, (2, 2)),
              gym.spaces.Discrete(5, start=1), gym.spaces.MultiDiscrete([3, 4]),
              gym.spaces.Tuple([gym.spaces.Discrete(2), gym.spaces.Box(-1, 1, (1,))])]  # fmt: skip
    for s in spaces:
        data = json.loads(json.dumps(space_to_data(s), allow_nan=False))  # strict JSON
        assert space_from_data(data, "x") == s
    with pytest.raises(ValueError, match="where: malformed Box"):
        space_from_data({"type": "Box", "shape": [2], "low": [0], "high": [1, 1], "dtype": "float32"}, "where")


@pytest.fixture(scope="module")
def tiny_checkpoint(ray_session, tmp_path_factory):
    """A one-iteration taxai_dsmfg checkpoint written as `econ-envs train` writes them, and its actions."""
    import rllib_configs
    from econ_envs.rllib.evaluate import module_actor

    tmp = tmp_path_factory.mktemp("ckpt")
    cfg, _ = rllib_configs.build("taxai_dsmfg", **SMOKE)
    algo = cfg.build_algo()
    try:
        algo.train()
        ckpt = save_checkpoint(algo, tmp / "checkpoint_000001", experiment="taxai_dsmfg", overrides=SMOKE)
        rng = np.random.default_rng(0)
        obs, actions = {}, {}
        for mid in ("government", "household"):
            module = algo.get_module(mid)
            obs[mid] = rng.normal(size=(7, module.observation_space.shape[0])).astype(np.float32)
            actions[mid] = module_actor(module, module.action_space)(obs[mid])
    finally:
        algo.stop()
    return ckpt, obs, actions


@pytest.mark.slow
def test_weights_only_export_acts_as_the_checkpoint_and_evaluates(tiny_checkpoint, tmp_path):
    from econ_envs.rllib.evaluate import evaluate, module_actor

    ckpt, obs, actions = tiny_checkpoint
    res = export_weights(ckpt, tmp_path / "export")
    export = tmp_path / "export"
    assert set(res["modules"]) >= {"government", "household"} and res["iteration"] == 1
    assert {p.name for p in export.iterdir()} == {EXPORT_FILE, *(f"{m}.safetensors" for m in res["modules"])}
    info = json.loads((export / EXPORT_FILE).read_text())
    assert info["experiment"] == "taxai_dsmfg" and info["env"] == "taxai-v0"
    loaded = load_export(export)
    assert loaded.iteration == 1 and loaded.config.env == "taxai-v0"
    for mid, obs_m in obs.items():
        module = loaded.get_module(mid)
        np.testing.assert_array_equal(module_actor(module, module.action_space)(obs_m), actions[mid])
    summary = evaluate(export, episodes=1, out=tmp_path / "eval")  # no RLlib checkpoint involved
    assert {r["government"] for r in summary["rows"]} >= {"learned", "saez"}
    with pytest.raises(ValueError, match="not empty"):
        export_weights(ckpt, export)
    from econ_envs.rllib.best_response import best_response

    br = best_response(export, "household", iters=1, episodes=1, out=tmp_path / "br")
    assert br["other_modules_unchanged"] is True and np.isfinite(br["gain"])


@pytest.mark.slow
def test_a_corrupt_export_or_checkpoint_is_named_in_the_error(tiny_checkpoint, tmp_path):
    import shutil

    from econ_envs.rllib.evaluate import load_checkpoint

    ckpt, _, _ = tiny_checkpoint
    export_weights(ckpt, tmp_path / "good")

    def copy(name):
        shutil.copytree(tmp_path / "good", tmp_path / name)
        return tmp_path / name

    bad = copy("truncated")
    f = bad / "household.safetensors"
    f.write_bytes(f.read_bytes()[:100])
    with pytest.raises(ValueError, match=r"household\.safetensors: SHA-256 differs"):
        load_checkpoint(bad)
    bad = copy("garbage")  # a consistent hash, but not a safetensors file
    f = bad / "household.safetensors"
    f.write_bytes(b"\x00" * 64)
    info = json.loads((bad / EXPORT_FILE).read_text())
    import hashlib

    info["modules"]["household"]["sha256"] = hashlib.sha256(f.read_bytes()).hexdigest()
    (bad / EXPORT_FILE).write_text(json.dumps(info))
    with pytest.raises(ValueError, match=r"household\.safetensors: not a readable safetensors file"):
        load_checkpoint(bad)
    bad = copy("json")
    (bad / EXPORT_FILE).write_text((bad / EXPORT_FILE).read_text()[:50])
    with pytest.raises(ValueError, match=r"export\.json is not valid JSON"):
        load_checkpoint(bad)
    # an RLlib checkpoint whose class_and_ctor_args.pkl is garbage, or a pickle of something else
    ck = tmp_path / "ck"
    shutil.copytree(ckpt, ck)
    (ck / "class_and_ctor_args.pkl").write_bytes(b"garbage, not a pickle")
    with pytest.raises(ValueError, match=r"class_and_ctor_args\.pkl is corrupt or truncated"):
        load_checkpoint(ck)
    (ck / "class_and_ctor_args.pkl").write_bytes(b"\x80\x04N.")  # the pickle of None
    with pytest.raises(ValueError, match=r"class_and_ctor_args\.pkl does not hold an algorithm class and config"):
        load_checkpoint(ck)


def test_the_help_of_commands_that_load_checkpoints_says_they_can_run_code():
    from econ_envs.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for cmd in ("evaluate", "best-response", "export-weights"):
        text = " ".join(sub.choices[cmd].format_help().split()).replace("- ", "-")  # argparse wraps at hyphens
        assert "can execute code when it is loaded" in text and "trusted source" in text, cmd
        assert "export-weights" in text, cmd
