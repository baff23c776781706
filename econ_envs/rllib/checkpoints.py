"""Checkpoint I/O: our JSON metadata beside RLlib's checkpoints, and a weights-only export.

An RLlib checkpoint is code: RLlib restores it by unpickling ``class_and_ctor_args.pkl``,
``algorithm_state.pkl`` and the module states, and an unpickled file can run any command.
Load checkpoints only from a trusted source. This module never unpickles anything itself:

* :func:`save_checkpoint` writes an RLlib checkpoint atomically (into ``NAME.partial``, then
  renamed) and never over an existing folder, with ``econ_envs_checkpoint.json`` beside
  RLlib's files: the experiment and its overrides (enough to rebuild the config from code),
  the training iteration and Tune-style counters. :func:`checkpoint_config` rebuilds the
  config from that JSON instead of unpickling RLlib's copy.
* :func:`export_weights` writes a *weights-only* export: one ``<module>.safetensors`` file per
  module (tensors only; safetensors cannot carry code) and ``export.json`` (experiment,
  overrides, environment, iteration, and each module's class, spaces and tensor shapes as
  plain data, with a SHA-256 of every file). :func:`load_export` rebuilds the modules from the
  experiment's code and fills them from those files; ``econ-envs evaluate`` and
  ``best-response`` accept an export folder in place of a checkpoint. Exporting itself reads the
  checkpoint through RLlib (so, again, only export checkpoints you trust).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

META_FILE = "econ_envs_checkpoint.json"
META_FORMAT = "econ_envs.checkpoint/1"
EXPORT_FILE = "export.json"
EXPORT_FORMAT = "econ_envs.weights/1"
TRUST_NOTE = (
    "An RLlib checkpoint can execute code when it is loaded (RLlib unpickles its files): load only "
    "checkpoints from a trusted source. `econ-envs export-weights` writes a weights-only export "
    "(safetensors + JSON) that loads without unpickling anything."
)


# ------------------------------------------------------------------------------ JSON helpers
def to_json(value: Any, where: str = "value") -> Any:
    """``value`` as JSON data; tuples are tagged so that :func:`from_json` gives them back as tuples."""
    if isinstance(value, tuple):
        return {"__tuple__": [to_json(v, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [to_json(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"{where}: key {k!r} is not a string; cannot store it as JSON")
            out[k] = to_json(v, f"{where}.{k}")
        return out
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return to_json(value.tolist(), where)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"{where} = {value!r} ({type(value).__name__}) cannot be stored as JSON")


def from_json(value: Any) -> Any:
    if isinstance(value, list):
        return [from_json(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"__tuple__"}:
            return tuple(from_json(v) for v in value["__tuple__"])
        return {k: from_json(v) for k, v in value.items()}
    return value


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename (never a half-written file)."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_json(path: Path, what: str) -> dict[str, Any]:
    """A JSON object from ``path``; a missing, unreadable or malformed file raises ValueError naming it."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ValueError(f"{what}: {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{what}: cannot read {path}: {exc}") from None
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError, ValueError) as exc:
        raise ValueError(f"{what}: {path} is not valid JSON ({str(exc)[:200]})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{what}: {path} holds a {type(data).__name__}, not a JSON object")
    return data


# ------------------------------------------------------------------------------ checkpoints
def checkpoint_name(iteration: int) -> str:
    """The folder of the checkpoint taken after training iteration ``iteration``."""
    return f"checkpoint_{iteration:06d}"


def save_checkpoint(
    algo: Any, path: str | Path, *, experiment: str, overrides: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Path:  # fmt: skip
    """Save ``algo`` to the new folder ``path`` with our JSON metadata; refuse to overwrite.

    RLlib's files go to ``path.partial`` first; the metadata is written last and the folder then
    renamed, so a folder named ``path`` is always a complete checkpoint. A stale ``.partial`` (from a
    killed save) is removed.
    """
    path = Path(path).resolve()
    if path.exists():
        raise FileExistsError(f"checkpoint {path} already exists; not overwriting it")
    meta = {
        "format": META_FORMAT,
        "experiment": str(experiment),
        "overrides": to_json(dict(overrides or {}), "overrides"),
        "iteration": int(algo.iteration),
        "algorithm": type(algo).__name__,
        "env": to_json(algo.config.env, "env"),
        "env_config": _json_or_repr(dict(algo.config.env_config or {})),
        "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        **to_json(dict(extra or {}), "extra"),
    }
    partial = path.with_name(path.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    algo.save_to_path(str(partial))
    write_json_atomic(partial / META_FILE, meta)
    os.replace(partial, path)
    return path


def _json_or_repr(d: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in d.items():
        try:
            out[str(k)] = to_json(v, k)
        except TypeError:
            out[str(k)] = {"__repr__": repr(v)}
    return out


def checkpoint_meta(checkpoint: str | Path) -> dict[str, Any]:
    """The ``econ_envs_checkpoint.json`` of a checkpoint folder, checked."""
    path = Path(checkpoint)
    if not path.is_dir():
        raise ValueError(f"checkpoint {path} is not a folder")
    if not (path / META_FILE).exists():
        raise ValueError(f"{path} is not a checkpoint written by `econ-envs train` (no {META_FILE})")
    meta = read_json(path / META_FILE, f"checkpoint {path}")
    if meta.get("format") != META_FORMAT:
        raise ValueError(f"{path / META_FILE}: format {meta.get('format')!r}, expected {META_FORMAT!r}")
    for key, kind in (("experiment", str), ("overrides", dict), ("iteration", int)):
        if not isinstance(meta.get(key), kind) or isinstance(meta.get(key), bool):
            raise ValueError(f"{path / META_FILE}: {key!r} must be a {kind.__name__}, got {meta.get(key)!r}")
    return meta


def build_experiment(experiment: str, overrides: Mapping[str, Any], source: Path) -> Any:
    """The AlgorithmConfig of ``experiment`` (an ``rllib_configs`` name or a .py path) with ``overrides``."""
    try:
        import rllib_configs
    except ImportError as exc:  # pragma: no cover - rllib_configs ships with the package
        raise ValueError(f"{source}: rebuilding experiment {experiment!r} needs rllib_configs ({exc})") from None
    try:
        config, _ = rllib_configs.build(experiment, **from_json(dict(overrides)))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{source}: cannot rebuild experiment {experiment!r} with {dict(overrides)}: {exc}") from exc
    return config


def checkpoint_config(checkpoint: str | Path) -> tuple[Any, int]:
    """(the AlgorithmConfig, the training iteration) of a checkpoint written by ``econ-envs train``.

    The config is rebuilt from the experiment and overrides in ``econ_envs_checkpoint.json``
    (nothing is unpickled); its environment must match the one recorded there.
    """
    path = Path(checkpoint)
    meta = checkpoint_meta(path)
    config = build_experiment(meta["experiment"], meta["overrides"], path / META_FILE)
    if "env" in meta and meta["env"] != config.env:
        raise ValueError(f"{path / META_FILE}: recorded env {meta['env']!r} but experiment "
                         f"{meta['experiment']!r} now builds {config.env!r}")  # fmt: skip
    return config, int(meta["iteration"])


def list_checkpoints(trial_dir: str | Path) -> list[tuple[int, Path]]:
    """(iteration, folder) of every complete checkpoint in ``trial_dir``, oldest first."""
    out = []
    for p in Path(trial_dir).glob("checkpoint_*"):
        if p.is_dir() and not p.name.endswith(".partial") and (p / META_FILE).is_file():
            try:
                it = int(checkpoint_meta(p)["iteration"])
            except ValueError:
                continue
            out.append((it, p))
    return sorted(out)


# ------------------------------------------------------------------------------ spaces as data
def space_to_data(space: Any) -> dict[str, Any]:
    """A gymnasium space as plain JSON data (RLlib's own serializer unpickles arrays; this does not)."""
    import gymnasium as gym

    def arr(a: np.ndarray) -> list:
        flat = [v if np.isfinite(v) else str(v) for v in np.asarray(a, dtype=np.float64).ravel().tolist()]
        return flat

    if isinstance(space, gym.spaces.Box):
        return {"type": "Box", "shape": list(space.shape), "dtype": str(space.dtype), "low": arr(space.low),
                "high": arr(space.high)}  # fmt: skip
    if isinstance(space, gym.spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, gym.spaces.MultiDiscrete):
        return {"type": "MultiDiscrete", "nvec": np.asarray(space.nvec).tolist()}
    if isinstance(space, gym.spaces.MultiBinary):
        return {"type": "MultiBinary", "n": to_json(space.n)}
    if isinstance(space, gym.spaces.Tuple):
        return {"type": "Tuple", "spaces": [space_to_data(s) for s in space.spaces]}
    if isinstance(space, gym.spaces.Dict):
        return {"type": "Dict", "spaces": {k: space_to_data(s) for k, s in space.spaces.items()}}
    raise TypeError(f"cannot store a {type(space).__name__} space as data")


def space_from_data(d: Any, where: str) -> Any:
    import gymnasium as gym

    if not isinstance(d, dict) or "type" not in d:
        raise ValueError(f"{where}: not a space description: {str(d)[:100]}")
    try:
        kind = d["type"]
        if kind == "Box":
            shape = tuple(int(s) for s in d["shape"])
            dtype = np.dtype(d["dtype"])
            low = np.asarray([float(v) for v in d["low"]], dtype=np.float64).reshape(shape).astype(dtype)
            high = np.asarray([float(v) for v in d["high"]], dtype=np.float64).reshape(shape).astype(dtype)
            return gym.spaces.Box(low, high, shape=shape, dtype=dtype)
        if kind == "Discrete":
            return gym.spaces.Discrete(int(d["n"]), start=int(d.get("start", 0)))
        if kind == "MultiDiscrete":
            return gym.spaces.MultiDiscrete(np.asarray(d["nvec"], dtype=np.int64))
        if kind == "MultiBinary":
            return gym.spaces.MultiBinary(from_json(d["n"]))
        if kind == "Tuple":
            return gym.spaces.Tuple([space_from_data(s, f"{where}[{i}]") for i, s in enumerate(d["spaces"])])
        if kind == "Dict":
            return gym.spaces.Dict({k: space_from_data(s, f"{where}.{k}") for k, s in d["spaces"].items()})
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{where}: malformed {d.get('type')} space ({type(exc).__name__}: {exc})") from None
    raise ValueError(f"{where}: unknown space type {kind!r}")


# ------------------------------------------------------------------------------ weights-only export
def _flat_state(state: Mapping[str, Any], prefix: str = "") -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for k, v in state.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(_flat_state(v, key + "/"))
        else:
            a = v.detach().cpu().numpy() if hasattr(v, "detach") else np.asarray(v)
            if a.dtype == object:
                raise TypeError(f"module state entry {key!r} is not an array")
            out[key] = np.ascontiguousarray(a)
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def export_weights(checkpoint: str | Path, out: str | Path) -> dict[str, Any]:
    """Write the weights-only export of ``checkpoint`` (a trusted ``econ-envs train`` checkpoint) to ``out``.

    Reads the modules through RLlib (which unpickles the checkpoint's files) and writes one
    ``<module>.safetensors`` per module plus ``export.json``. Refuses a non-empty ``out``.
    """
    from ray.rllib.core.rl_module.multi_rl_module import MultiRLModule
    from safetensors.numpy import save_file

    ckpt = Path(checkpoint).resolve()
    meta = checkpoint_meta(ckpt)
    out_dir = Path(out).resolve()
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ValueError(f"export folder {out_dir} is not empty; choose a new folder")
    base = ckpt / "learner_group" / "learner" / "rl_module"
    if not base.is_dir():
        raise ValueError(f"checkpoint {ckpt} has no module weights (no {base})")
    try:
        multi = MultiRLModule.from_checkpoint(str(base))
    except Exception as exc:  # noqa: BLE001 - a corrupt checkpoint: say which
        raise ValueError(f"could not read the modules of checkpoint {ckpt}: {type(exc).__name__}: {exc}") from exc
    out_dir.mkdir(parents=True, exist_ok=True)
    modules = {}
    for mid in sorted(multi.keys()):
        module = multi[mid]
        tensors = _flat_state(module.get_state())
        fname = f"{mid}.safetensors"
        if "/" in mid or mid.startswith("."):
            raise ValueError(f"module id {mid!r} cannot be a file name")
        save_file(tensors, str(out_dir / fname), metadata={"module_id": mid, "format": EXPORT_FORMAT})
        modules[mid] = {
            "file": fname,
            "sha256": _sha256(out_dir / fname),
            "class": f"{type(module).__module__}.{type(module).__qualname__}",
            "observation_space": space_to_data(module.observation_space),
            "action_space": space_to_data(module.action_space),
            "tensors": {k: {"shape": list(a.shape), "dtype": str(a.dtype)} for k, a in tensors.items()},
        }
    export = {
        "format": EXPORT_FORMAT,
        "experiment": meta["experiment"],
        "overrides": meta["overrides"],
        "iteration": meta["iteration"],
        "env": meta.get("env"),
        "env_config": meta.get("env_config"),
        "source_checkpoint": str(ckpt),
        "modules": modules,
    }
    write_json_atomic(out_dir / EXPORT_FILE, export)
    return {"out": str(out_dir), "modules": sorted(modules), "iteration": meta["iteration"]}


def is_export(path: str | Path) -> bool:
    return (Path(path) / EXPORT_FILE).is_file()


class ExportedPolicies:
    """What ``evaluate`` and ``best-response`` use of an Algorithm, rebuilt from a weights-only export:
    ``config``, ``iteration``, ``get_module(module_id)`` and ``stop()``."""

    def __init__(self, config: Any, modules: Mapping[str, Any], iteration: int, path: Path) -> None:
        self.config = config
        self.iteration = iteration
        self.path = path
        self._modules = dict(modules)

    def get_module(self, module_id: str | None = None) -> Any:
        from ray.rllib.core import DEFAULT_MODULE_ID

        mid = DEFAULT_MODULE_ID if module_id is None else module_id
        if mid not in self._modules:
            raise ValueError(f"export {self.path} has no module {mid!r}; it has {sorted(self._modules)}")
        return self._modules[mid]

    def stop(self) -> None:
        pass


def load_export(path: str | Path) -> ExportedPolicies:
    """Rebuild the modules of a weights-only export (see the module docstring); nothing is unpickled.

    The modules' classes and hyper-parameters come from the experiment's code (rebuilt from the
    recorded experiment and overrides), their spaces and weights from the export; every file is
    checked (JSON structure, SHA-256, tensor names and shapes) and a bad one named in the error.
    """
    import torch
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    root = Path(path).resolve()
    jpath = root / EXPORT_FILE
    info = read_json(jpath, f"weights export {root}")
    if info.get("format") != EXPORT_FORMAT:
        raise ValueError(f"{jpath}: format {info.get('format')!r}, expected {EXPORT_FORMAT!r}")
    for key, kind in (("experiment", str), ("overrides", dict), ("iteration", int), ("modules", dict)):
        if not isinstance(info.get(key), kind) or isinstance(info.get(key), bool):
            raise ValueError(f"{jpath}: {key!r} must be a {kind.__name__}, got {str(info.get(key))[:100]}")
    config = build_experiment(info["experiment"], info["overrides"], jpath)
    if info.get("env") is not None and info["env"] != config.env:
        raise ValueError(f"{jpath}: recorded env {info['env']!r} but experiment {info['experiment']!r} "
                         f"now builds {config.env!r}")  # fmt: skip
    spaces = {}
    for mid, m in info["modules"].items():
        if not isinstance(m, dict):
            raise ValueError(f"{jpath}: modules.{mid} must be an object")
        spaces[mid] = (space_from_data(m.get("observation_space"), f"{jpath}: modules.{mid}.observation_space"),
                       space_from_data(m.get("action_space"), f"{jpath}: modules.{mid}.action_space"))  # fmt: skip
    from ray.rllib.core.rl_module.multi_rl_module import MultiRLModuleSpec

    spec = config.get_multi_rl_module_spec(spaces=spaces, inference_only=False)
    specs = dict(spec.rl_module_specs)
    if set(specs) != set(spaces):
        raise ValueError(f"{jpath}: export has modules {sorted(spaces)}, experiment {info['experiment']!r} "
                         f"builds {sorted(specs)}")  # fmt: skip
    for mid, (obs, act) in spaces.items():
        specs[mid].observation_space, specs[mid].action_space = obs, act
    multi = MultiRLModuleSpec(rl_module_specs=specs).build()
    modules = {}
    for mid, m in info["modules"].items():
        module = multi[mid]
        cls = f"{type(module).__module__}.{type(module).__qualname__}"
        if m.get("class") != cls:
            raise ValueError(f"{jpath}: module {mid!r} was a {m.get('class')}, the experiment now builds a {cls}")
        fname = m.get("file")
        if not isinstance(fname, str) or Path(fname).name != fname:
            raise ValueError(f"{jpath}: modules.{mid}.file must be a plain file name, got {fname!r}")
        fpath = root / fname
        if not fpath.is_file():
            raise ValueError(f"weights export {root}: module {mid!r} file {fpath} is missing")
        if m.get("sha256") != _sha256(fpath):
            raise ValueError(f"{fpath}: SHA-256 differs from {jpath} (the file is corrupt, truncated or modified)")
        try:
            tensors = load_file(str(fpath))
        except (SafetensorError, OSError, ValueError) as exc:
            raise ValueError(f"{fpath}: not a readable safetensors file ({exc})") from None
        expected = _flat_state(module.get_state())
        if set(tensors) != set(expected):
            missing, extra = sorted(set(expected) - set(tensors)), sorted(set(tensors) - set(expected))
            raise ValueError(f"{fpath}: tensors do not match module {mid!r} (missing {missing}, unexpected {extra})")
        for k, a in tensors.items():
            if a.shape != expected[k].shape:
                raise ValueError(f"{fpath}: tensor {k!r} has shape {a.shape}, module {mid!r} needs "
                                 f"{expected[k].shape}")  # fmt: skip
        module.set_state(_nest({k: torch.from_numpy(a.copy()) for k, a in tensors.items()}))
        module.eval()
        modules[mid] = module
    return ExportedPolicies(config, modules, int(info["iteration"]), root)


def _nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in flat.items():
        parts = k.split("/")
        d = out
        for p in parts[:-1]:
            d = d.setdefault(p, {})
        d[parts[-1]] = v
    return out


# ------------------------------------------------------------------------------ RLlib checkpoints
RLLIB_PICKLES = ("class_and_ctor_args.pkl", "algorithm_state.pkl")


def _check_pickle_structure(path: Path) -> None:
    """Walk the opcodes of a pickle file without executing any (pickletools); raise naming the file when it
    is not a complete pickle stream. This catches corrupt and truncated files, not malicious ones."""
    import pickletools

    try:
        with open(path, "rb") as f:
            head = f.read(2)
            if len(head) < 2 or head[0] != 0x80 or not 2 <= head[1] <= 5:
                raise ValueError("it does not start like a pickle written by RLlib (protocol 2 to 5)")
            f.seek(0)
            last = None
            for op, _, _ in pickletools.genops(f):
                last = op.name
            if last != "STOP":
                raise ValueError("it ends before the pickle's STOP")
    except (ValueError, EOFError, OSError) as exc:
        raise ValueError(f"checkpoint file {path} is corrupt or truncated ({exc})") from None


def check_rllib_checkpoint(path: Path) -> None:
    """Plain checks of an RLlib checkpoint folder before RLlib loads it, each naming the bad file."""
    if not path.is_dir():
        raise ValueError(f"checkpoint {path} is not a folder")
    if not (path / "algorithm_state.pkl").exists() and not (path / "rllib_checkpoint.json").exists():
        raise ValueError(f"{path} does not look like an RLlib checkpoint (no algorithm_state.pkl)")
    if (path / "rllib_checkpoint.json").exists():
        read_json(path / "rllib_checkpoint.json", f"checkpoint {path}")
    for name in RLLIB_PICKLES:
        if (path / name).exists():
            _check_pickle_structure(path / name)
    if not (path / "class_and_ctor_args.pkl").exists():
        raise ValueError(f"checkpoint {path} lacks class_and_ctor_args.pkl (the algorithm's class and config)")


def rllib_restore_error(path: Path, exc: BaseException) -> ValueError:
    """A clear error for a checkpoint RLlib failed to restore, naming the file where we can tell."""
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, AttributeError) and "NoneType" in str(exc):
        # RLlib falls back to a config-less Algorithm when class_and_ctor_args.pkl does not hold a
        # class and its arguments, and then fails on the missing config
        return ValueError(f"could not restore the checkpoint in {path}: {path / 'class_and_ctor_args.pkl'} does "
                          f"not hold an algorithm class and config (RLlib: {text})")  # fmt: skip
    return ValueError(f"could not restore the checkpoint in {path}: {text}")
