"""Dense rollouts: the original's files and shapes, a safe loader, clear errors on corrupt or truncated files."""

import json
import zipfile

import numpy as np
import pytest

from econ_envs.cli import main
from econ_envs.rbc.params import RBCParams
from econ_envs.rbc.rollout import dump_yaml, load_episode, load_rollout, parse_yaml, run_rollout
from econ_envs.rbc.vector import RBCVectorEnv


@pytest.fixture(scope="module")
def rollout_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("rollout") / "run"
    code = main(
        [
            "rollout",
            "rbc-v0",
            "--replicas",
            "3",
            "--episodes",
            "2",
            "--out",
            str(out),
            "--quiet",
            "--set",
            "n_consumers=12",
            "--set",
            "n_firms=4",
            "--policy",
            "random",
            "--seed",
            "5",
        ]
    )
    assert code == 0
    return out


def test_files_keys_and_shapes(rollout_dir, capsys):
    names = sorted(p.name for p in rollout_dir.iterdir())
    assert names == [
        "action_arrays.json",
        "episode_0000_consumer.npz",
        "episode_0000_firm.npz",
        "episode_0000_government.npz",
        "episode_0001_consumer.npz",
        "episode_0001_firm.npz",
        "episode_0001_government.npz",
        "hparams.yaml",
    ]
    B, T, N, F = 3, 10, 12, 4
    with np.load(rollout_dir / "episode_0001_consumer.npz", allow_pickle=False) as z:
        assert sorted(z.files) == sorted(["states", "actions", "rewards", "action_array", "aux_array"])
        assert z["states"].shape == (B, T, N, 4 * F + 5) and z["actions"].shape == (B, T, N, F + 2)
        assert z["rewards"].shape == (B, T, N) and z["aux_array"].shape == (B, T, N, F)
        assert z["action_array"].tolist() == [[0.0], [260.0], [520.0], [780.0], [1040.0]]
    with np.load(rollout_dir / "episode_0000_firm.npz", allow_pickle=False) as z:
        assert z["states"].shape == (B, T, F, 5 * F + 6) and z["actions"].shape == (B, T, F)
        assert z["action_array"].shape == (30, 3) and z["aux_array"].shape == (B, T, F)
    with np.load(rollout_dir / "episode_0000_government.npz", allow_pickle=False) as z:
        assert z["states"].shape == (B, T, 1, 4 * F + 3) and z["actions"].shape == (B, T, 1)
        assert z["action_array"].shape == (36, 2) and z["aux_array"].shape == (0,)
    tables = json.loads((rollout_dir / "action_arrays.json").read_text())
    assert set(tables) == {"consumption_choices", "work_choices", "price_and_wage", "tax_choices"}


def test_loader_round_trip_and_replay(rollout_dir):
    ro = load_rollout(rollout_dir)
    assert ro.episodes == [0, 1] and ro.replicas == 3
    assert ro.params == RBCParams(n_consumers=12, n_firms=4)
    assert ro.hparams["metadata"]["policy"] == "random" and ro.hparams["world"]["maxtime"] == 10
    ep = ro.episode(1)
    # replaying the stored actions reproduces the stored states, rewards and aux arrays exactly
    venv = RBCVectorEnv(ro.params, n_replicas=3, observation_mode="raw")
    venv.reset()
    for t in range(10):
        for role in ("consumer", "firm", "government"):
            assert np.array_equal(ep[role]["states"][:, t], venv.observations()[role])
        acts = {role: ep[role]["actions"][:, t] for role in ("consumer", "firm", "government")}
        out = venv.step(acts)
        for role in ("consumer", "firm", "government"):
            assert np.array_equal(ep[role]["rewards"][:, t], out.rewards[role])
        assert np.array_equal(ep["consumer"]["aux_array"][:, t], venv.last.consumption)
        assert np.array_equal(ep["firm"]["aux_array"][:, t], venv.last.exports)
    # two episodes with different seeds of the random profile differ
    assert not np.array_equal(ro.episode(0)["firm"]["actions"], ep["firm"]["actions"])


def test_hparams_is_valid_yaml(rollout_dir):
    yaml = pytest.importorskip("yaml")
    text = (rollout_dir / "hparams.yaml").read_text()
    assert yaml.safe_load(text) == parse_yaml(text)
    tricky = {"s": {"a": 1e-05, "b": 1e20, "c": -2.5e-7, "d": [0.1, 3], "e": None, "f": "x: y", "g": True}}
    assert yaml.safe_load(dump_yaml(tricky)) == parse_yaml(dump_yaml(tricky)) == tricky


def test_refuses_to_overwrite_and_validates_arguments(rollout_dir, tmp_path):
    before = {p.name: p.stat().st_mtime_ns for p in rollout_dir.iterdir()}
    with pytest.raises(ValueError, match="already holds rollout files"):
        run_rollout(2, 1, rollout_dir)
    assert before == {p.name: p.stat().st_mtime_ns for p in rollout_dir.iterdir()}
    with pytest.raises(ValueError, match="replicas must be an integer"):
        run_rollout(0, 1, tmp_path / "x")
    with pytest.raises(ValueError, match="unknown policy"):
        run_rollout(1, 1, tmp_path / "y", policy="smart")
    assert main(["rollout", "taxai-v0", "--replicas", "1", "--episodes", "1", "--out", str(tmp_path / "z")]) == 2


def test_corrupt_and_truncated_files_give_clear_errors(rollout_dir, tmp_path):
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(rollout_dir, bad)
    params = RBCParams(n_consumers=12, n_firms=4)
    f = bad / "episode_0000_firm.npz"
    data = f.read_bytes()
    f.write_bytes(data[: len(data) // 2])  # truncated
    with pytest.raises(ValueError, match=r"episode_0000_firm.npz: corrupt or truncated"):
        load_episode(f, params, 3)
    with pytest.raises(ValueError, match="corrupt or truncated"):
        load_rollout(bad).episode(0)
    f.write_bytes(b"not a zip file at all")
    with pytest.raises(ValueError, match="corrupt or truncated"):
        load_episode(f)
    # flipped bytes inside a stored array: CRC error
    g = bad / "episode_0001_firm.npz"
    raw = bytearray((rollout_dir / "episode_0001_firm.npz").read_bytes())
    with zipfile.ZipFile(rollout_dir / "episode_0001_firm.npz") as z:
        info = z.getinfo("states.npy")
    pos = info.header_offset + 30 + len(info.filename) + 200
    raw[pos] ^= 0xFF
    g.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="corrupt or truncated"):
        load_episode(g, params, 3)
    # pickled object arrays are refused
    h = bad / "episode_0001_government.npz"
    np.savez(
        h,
        states=np.zeros((3, 10, 1, 19), np.float32),
        actions=np.zeros((3, 10, 1), np.int64),
        rewards=np.zeros((3, 10, 1)),
        action_array=np.zeros((36, 2)),
        aux_array=np.array(None),
    )
    with pytest.raises(ValueError, match=r"episode_0001_government.npz: aux_array holds pickled Python objects"):
        load_episode(h, params, 3)
    # wrong shape, missing key, out-of-range action, NaN
    c = bad / "episode_0001_consumer.npz"
    good = load_episode(rollout_dir / "episode_0001_consumer.npz", params, 3)
    np.savez(c, **{**good, "states": good["states"][:, :9]})
    with pytest.raises(ValueError, match=r"states has shape \(3, 9, 12, 21\), expected \(3, 10, 12, 21\)"):
        load_episode(c, params, 3)
    np.savez(c, **{k: v for k, v in good.items() if k != "aux_array"})
    with pytest.raises(ValueError, match="keys must be"):
        load_episode(c, params, 3)
    acts = good["actions"].copy()
    acts[0, 0, 0, 5] = 4  # employer 4 with 4 firms
    np.savez(c, **{**good, "actions": acts})
    with pytest.raises(ValueError, match="outside the action space"):
        load_episode(c, params, 3)
    rw = good["rewards"].copy()
    rw[1, 2, 3] = np.nan
    np.savez(c, **{**good, "rewards": rw})
    with pytest.raises(ValueError, match="rewards contains NaN"):
        load_episode(c, params, 3)
    # broken configuration files
    (bad / "hparams.yaml").write_text("world:\n  n_firms: [oops\n")
    with pytest.raises(ValueError, match=r"hparams.yaml:2: cannot read the value of 'n_firms'"):
        load_rollout(bad)
    (bad / "hparams.yaml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ValueError, match="not a text file"):
        load_rollout(bad)
    shutil.copy(rollout_dir / "hparams.yaml", bad / "hparams.yaml")
    (bad / "action_arrays.json").write_text('{"consumption_choices": [1, 2]')
    with pytest.raises(ValueError, match="corrupt decode tables"):
        load_rollout(bad)
    shutil.copy(rollout_dir / "action_arrays.json", bad / "action_arrays.json")
    (bad / "episode_0001_government.npz").unlink()
    with pytest.raises(ValueError, match=r"episode 1 lacks file\(s\) for \['government'\]"):
        load_rollout(bad)
    with pytest.raises(ValueError, match="no such rollout folder"):
        load_rollout(tmp_path / "nowhere")


def _forge_header(src, dst, key, shape):
    """Copy the npz ``src`` to ``dst`` with ``key``'s .npy header claiming ``shape`` (same length, same data)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            raw = zin.read(info)
            if info.filename == f"{key}.npy":
                header_len = int.from_bytes(raw[8:10], "little")
                header = raw[10 : 10 + header_len].decode("latin1")
                old = header[header.index("(") : header.index(")") + 1]
                new = "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"
                forged = header.replace(old, new).rstrip(" \n")
                forged = forged + " " * (header_len - 1 - len(forged)) + "\n"
                assert len(forged) == header_len
                raw = raw[:10] + forged.encode("latin1") + raw[10 + header_len :]
            zout.writestr(info, raw)


def test_forged_headers_are_refused_before_allocating(rollout_dir, tmp_path):
    """A header claiming 373 GiB is refused from the header, naming the file (no MemoryError)."""
    params = RBCParams(n_consumers=12, n_firms=4)
    src = rollout_dir / "episode_0000_consumer.npz"
    huge = tmp_path / "episode_0000_consumer.npz"
    _forge_header(src, huge, "states", (1000, 1000, 100_000))  # 1e11 float32: 372.5 GiB
    # without params: the declared size does not fit in the file's bytes
    with pytest.raises(ValueError, match=r"episode_0000_consumer.npz: states declares shape \(1000, 1000, 100000\) "
                                         r"float32 \(400,000,000,000 bytes, 372.5 GiB\), more than the"):
        load_episode(huge)
    # with params: the header shape is checked against the configuration first
    with pytest.raises(ValueError, match=r"episode_0000_consumer.npz: states has shape \(1000, 1000, 100000\), "
                                         r"expected \(3, 10, 12, 21\)"):
        load_episode(huge, params, 3)
    # a header that claims a little more than the data (same configuration otherwise) is refused too
    _forge_header(src, huge, "aux_array", (3, 10, 12, 5))
    with pytest.raises(ValueError, match="aux_array declares shape"):
        load_episode(huge)
    # the untouched copy still loads (the forging helper changes only the header)
    ok = tmp_path / "ok" / "episode_0000_consumer.npz"
    ok.parent.mkdir()
    _forge_header(src, ok, "aux_array", (3, 10, 12, 4))
    assert np.array_equal(load_episode(ok, params, 3)["aux_array"], load_episode(src, params, 3)["aux_array"])


def test_config_parse_errors_name_the_file(rollout_dir, tmp_path):
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(rollout_dir, bad)
    hp = bad / "hparams.yaml"
    text = (rollout_dir / "hparams.yaml").read_text()
    # an integer past Python's 4300-digit conversion limit (10 million digits would also pass the size cap check)
    hp.write_text(text.replace("n_firms: 4", "n_firms: " + "9" * 5000))
    with pytest.raises(ValueError, match=r"hparams.yaml:\d+: cannot read the value of 'n_firms': '9{60}'\.\.\. "
                                         r"\(5,000 characters\)"):
        load_rollout(bad)
    hp.write_text(text.replace("n_firms: 4", "n_firms: " + "9" * 10_000_000))
    with pytest.raises(ValueError, match=r"hparams.yaml: 10,00\d,\d{3} bytes, more than the 1,048,576"):
        load_rollout(bad)
    hp.write_text(text.replace("n_firms: 4", "n_firms: " + "[" * 100_000))
    with pytest.raises(ValueError, match=r"hparams.yaml:\d+: cannot read the value of 'n_firms'"):
        load_rollout(bad)
    hp.write_text(text.replace("n_firms: 4", "n_firms: 1" + "0" * 400))  # an int too large for a float
    with pytest.raises(ValueError, match=r"hparams.yaml: invalid world configuration"):
        load_rollout(bad)
    hp.write_text(text.replace("batch_size: 3", "batch_size: 10000000000"))
    with pytest.raises(ValueError, match=r"hparams.yaml: train.batch_size must be an integer in \[1, 1000000\]"):
        load_rollout(bad)
    hp.write_text(text)
    (bad / "action_arrays.json").write_text('{"consumption_choices": ' + "1" * 5000 + "}")
    with pytest.raises(ValueError, match=r"action_arrays.json: corrupt decode tables \(ValueError"):
        load_rollout(bad)
    (bad / "action_arrays.json").write_text("[" * 100_000)
    with pytest.raises(ValueError, match=r"action_arrays.json: corrupt decode tables \(RecursionError"):
        load_rollout(bad)


def test_rollout_shows_progress_on_stderr(tmp_path, capsys):
    args = ["rollout", "rbc-v0", "--replicas", "2", "--episodes", "2", "--out", str(tmp_path / "r"),
            "--set", "n_consumers=4", "--set", "n_firms=2"]  # fmt: skip
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "rollout rbc-v0 (2 replicas) [" in captured.err and "20/20 quarters" in captured.err
    assert json.loads(captured.out)["episodes"] == 2  # stdout keeps the one JSON summary
