"""Dense rollouts in the original's file layout, and a loader that checks what it reads.

``econ-envs rollout rbc-v0 --replicas B --episodes E --out DIR`` writes::

    DIR/hparams.yaml                   configuration (agents / world / train / metadata)
    DIR/action_arrays.json             decode tables (the original pickles them; JSON is safe to load)
    DIR/episode_XXXX_consumer.npz      one file per episode and agent type, keys:
    DIR/episode_XXXX_firm.npz            states, actions, rewards, action_array, aux_array
    DIR/episode_XXXX_government.npz

Array shapes (B replicas, T quarters, N consumers, F firms), as the original:

============  ======================  ==========================  ================================
key           consumer                firm                        government
============  ======================  ==========================  ================================
states        (B, T, N, 4F+5) float32 (B, T, F, 5F+6) float32     (B, T, 1, 4F+3) float32
actions       (B, T, N, F+2) int64    (B, T, F) int64             (B, T, 1) int64
rewards       (B, T, N) float64       (B, T, F) float64           (B, T, 1) float64
action_array  hours choices (H, 1)    (price, wage, invest) rows  (income, corporate) rows
aux_array     realised c (B,T,N,F)    exports X (B, T, F)         empty (0,) (original: None)
============  ======================  ==========================  ================================

``states`` are the raw pre-step observations (s_t, a_t, r_t aligned). Files are
written to a temporary name and renamed, so an interrupted run never leaves a
half-written file under a final name. :func:`load_rollout` and
:func:`load_episode` read everything with ``allow_pickle=False`` and raise
``ValueError`` naming the file for a truncated, corrupt or inconsistent one.
"""

from __future__ import annotations

import json
import math
import os
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from econ_envs.core.progress import Progress
from econ_envs.rbc.params import RBCParams
from econ_envs.rbc.policies import PROFILES, Profile
from econ_envs.rbc.vector import ROLES, RBCVectorEnv

KEYS = ("states", "actions", "rewards", "action_array", "aux_array")
_EPISODE_RE = re.compile(r"^episode_(\d+)_(consumer|firm|government)\.npz$")


# --------------------------------------------------------------------------- YAML


def _yaml_scalar(v: Any) -> str:
    """A value as YAML that both PyYAML and JSON parsers read back identically."""
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        x = float(v)
        if not np.isfinite(x):
            raise ValueError(f"cannot write a non-finite number {x!r} to hparams.yaml")
        text = repr(x)
        if "e" in text and "." not in text.split("e")[0]:
            mant, exp = text.split("e")
            text = f"{mant}.0e{exp if exp[0] in '+-' else '+' + exp}"  # YAML 1.1 floats need a dot and a sign
        elif "e" in text and text.split("e")[1][0] not in "+-":
            mant, exp = text.split("e")
            text = f"{mant}e+{exp}"
        return text
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_yaml_scalar(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to hparams.yaml")


def dump_yaml(sections: Mapping[str, Mapping[str, Any]]) -> str:
    """Two-level mapping -> YAML text (flow lists, double-quoted strings; JSON-compatible values)."""
    lines = ["# econ_envs rollout configuration (YAML; every value is also valid JSON)"]
    for name, body in sections.items():
        lines.append(f"{name}:")
        if not body:
            lines[-1] += " {}"
            continue
        for k, v in body.items():
            lines.append(f"  {k}: {_yaml_scalar(v)}")
    return "\n".join(lines) + "\n"


def parse_yaml(text: str, source: str = "hparams.yaml") -> dict[str, dict[str, Any]]:
    """Read back what :func:`dump_yaml` writes (no PyYAML needed); malformed text raises ValueError."""
    out: dict[str, dict[str, Any]] = {}
    current: dict[str, Any] | None = None
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith(" "):
            name, sep, rest = line.partition(":")
            if not sep or not name.strip():
                raise ValueError(f"{source}:{lineno}: expected 'section:', got {line!r}")
            current = out.setdefault(name.strip(), {})
            if rest.strip() not in ("", "{}"):
                raise ValueError(f"{source}:{lineno}: unexpected value after section {name.strip()!r}")
            continue
        if current is None:
            raise ValueError(f"{source}:{lineno}: indented line before any section")
        key, sep, value = line.strip().partition(":")
        if not sep or not key:
            raise ValueError(f"{source}:{lineno}: expected 'key: value', got {line!r}")
        try:
            current[key.strip()] = json.loads(value.strip())
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, integers past Python's digit limit, nesting
            v = value.strip()
            shown = repr(v) if len(v) <= 80 else f"{v[:60]!r}... ({len(v):,} characters)"
            msg = f"{source}:{lineno}: cannot read the value of {key.strip()!r}: {shown}"
            raise ValueError(f"{msg} ({type(exc).__name__}: {str(exc)[:200]})") from None
    return out


# -------------------------------------------------------------------------- writing


def _atomic_write(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _savez(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)

    _atomic_write(path, write)


def action_arrays(venv: RBCVectorEnv) -> dict[str, list]:
    """The decode tables under the original's names (``action_arrays.pickle`` there)."""
    return {
        "consumption_choices": venv.consumption_choices.tolist(),
        "work_choices": venv.hours_choices.tolist(),
        "price_and_wage": venv.firm_action_table.tolist(),
        "tax_choices": venv.government_action_table.tolist(),
    }


def hparams(venv: RBCVectorEnv, episodes: int, policy: str, seed: int | None) -> dict[str, dict[str, Any]]:
    import econ_envs

    p = venv.params
    return {
        "metadata": {
            "env_id": "rbc-v0",
            "econ_envs_version": econ_envs.__version__,
            "policy": policy,
            "seed": seed,
            "state_layout": "raw",
        },  # fmt: skip
        "agents": {"num_consumers": p.n_consumers, "num_firms": p.n_firms, "num_governments": 1},
        "world": {"maxtime": p.episode_length, **p.to_dict()},
        "train": {"batch_size": venv.n_replicas, "num_episodes": episodes},
    }


def run_rollout(
    replicas: int,
    episodes: int,
    out: str | Path,
    policy: str | Profile = "rule",
    seed: int | None = 0,
    overrides: Mapping[str, Any] | None = None,
    overwrite: bool = False,
    progress: bool = False,
) -> dict[str, Any]:
    """Run ``episodes`` episodes of ``replicas`` replicas under a baseline profile and write the files.

    ``policy`` is ``"rule"``, ``"random"`` or a :class:`~econ_envs.rbc.policies.Profile`.
    Refuses to write into a folder that already holds rollout files unless ``overwrite``.
    """
    for name, v, hi in (("replicas", replicas, 1_000_000), ("episodes", episodes, 10_000)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 1 <= v <= hi:
            raise ValueError(f"{name} must be an integer in [1, {hi}], got {v!r}")
    venv = RBCVectorEnv(n_replicas=int(replicas), **dict(overrides or {}))
    if isinstance(policy, str):
        if policy not in PROFILES:
            raise ValueError(f"unknown policy {policy!r}; choose from {sorted(PROFILES)}")
        profile = PROFILES[policy](venv)
        policy_name = policy
    else:
        profile, policy_name = policy, getattr(policy, "name", "custom")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} exists and is not a folder")
    if out.is_dir() and not overwrite:
        existing = sorted(p.name for p in out.iterdir() if _EPISODE_RE.match(p.name) or p.name == "hparams.yaml")
        if existing:
            raise ValueError(f"{out} already holds rollout files ({existing[0]}, ...); pass overwrite=True "
                             "(--overwrite) or choose another folder")  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    p = venv.params
    B, T, N, F = venv.n_replicas, p.episode_length, p.n_consumers, p.n_firms
    config = dump_yaml(hparams(venv, episodes, policy_name, seed))
    _atomic_write(out / "hparams.yaml", lambda tmp: tmp.write_text(config))
    _atomic_write(out / "action_arrays.json", lambda tmp: tmp.write_text(json.dumps(action_arrays(venv), indent=1)))
    static = {
        "consumer": venv.hours_choices.reshape(-1, 1).copy(),
        "firm": venv.firm_action_table.copy(),
        "government": venv.government_action_table.copy(),
    }
    welfare = []
    bar = Progress(episodes * T, f"rollout rbc-v0 ({B} replicas)", enabled=progress, unit="quarters")
    for e in range(episodes):
        venv.reset(seed=None if seed is None else int(seed) + e)
        states = {r: np.empty((B, T, venv.counts[r], venv.raw_obs_dims[r]), dtype=np.float32) for r in ROLES}
        acts = {"consumer": np.empty((B, T, N, F + 2), dtype=np.int64), "firm": np.empty((B, T, F), dtype=np.int64),
                "government": np.empty((B, T, 1), dtype=np.int64)}  # fmt: skip
        rewards = {r: np.empty((B, T, venv.counts[r])) for r in ROLES}
        aux_c = np.empty((B, T, N, F))
        aux_f = np.empty((B, T, F))
        for t in range(T):
            raw = venv.raw_observations()
            a = profile.actions(raw, venv.rng)
            res = venv.step(a)
            for r in ROLES:
                states[r][:, t] = raw[r]
                acts[r][:, t] = venv.last.actions[r]
                rewards[r][:, t] = res.rewards[r]
            aux_c[:, t] = venv.last.consumption
            aux_f[:, t] = venv.last.exports
            bar.advance(note=f"episode {e + 1}/{episodes}" + (f", last mean social welfare {welfare[-1]:.6g}"
                                                                if welfare else ""))  # fmt: skip
        aux = {"consumer": aux_c, "firm": aux_f, "government": np.zeros(0)}
        for r in ROLES:
            _savez(out / f"episode_{e:04d}_{r}.npz", {"states": states[r], "actions": acts[r], "rewards": rewards[r],
                                                      "action_array": static[r], "aux_array": aux[r]})  # fmt: skip
        welfare.append(float(rewards["government"].sum(1).mean()))
    bar.close()
    return {"out": str(out), "replicas": B, "episodes": episodes, "policy": policy_name,
            "mean_social_welfare": float(np.mean(welfare))}  # fmt: skip


# -------------------------------------------------------------------------- reading


@dataclass
class Rollout:
    """A rollout folder read back: configuration, decode tables and the episode numbers present."""

    path: Path
    hparams: dict[str, dict[str, Any]]
    params: RBCParams
    action_arrays: dict[str, np.ndarray]
    episodes: list[int] = field(default_factory=list)

    @property
    def replicas(self) -> int:
        return int(self.hparams["train"]["batch_size"])

    def episode(self, e: int) -> dict[str, dict[str, np.ndarray]]:
        """``{agent type: {key: array}}`` of episode ``e``, checked against the configuration."""
        if e not in self.episodes:
            raise ValueError(f"{self.path}: no episode {e}; episodes present: {self.episodes}")
        return {r: load_episode(self.path / f"episode_{e:04d}_{r}.npz", self.params, self.replicas) for r in ROLES}


def expected_shapes(params: RBCParams, replicas: int, role: str) -> dict[str, tuple[int, ...]]:
    B, T, N, F = replicas, params.episode_length, params.n_consumers, params.n_firms
    if role == "consumer":
        return {"states": (B, T, N, 4 * F + 5), "actions": (B, T, N, F + 2), "rewards": (B, T, N),
                "action_array": (len(params.hours_choices), 1), "aux_array": (B, T, N, F)}  # fmt: skip
    if role == "firm":
        return {"states": (B, T, F, 5 * F + 6), "actions": (B, T, F), "rewards": (B, T, F),
                "action_array": (params.n_firm_actions, 3), "aux_array": (B, T, F)}  # fmt: skip
    return {"states": (B, T, 1, 4 * F + 3), "actions": (B, T, 1), "rewards": (B, T, 1),
            "action_array": (params.n_government_actions, 2), "aux_array": (0,)}  # fmt: skip


class _RolloutFileError(ValueError):
    """A rollout file refused with a message that already names it (not re-wrapped)."""


def _member_header(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype an ``.npy`` member declares, read from its header only (no data)."""
    with z.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ValueError(f"unsupported .npy format version {version}")
    return tuple(int(n) for n in shape), np.dtype(dtype)


def _read_npz(path: Path, role: str | None, params: RBCParams | None, replicas: int | None) -> dict[str, np.ndarray]:
    """Read the five arrays of an episode file, checking every header before any array is allocated.

    The declared shapes must match the configuration (when ``params`` is given) and the declared
    sizes must fit in the bytes the file really holds, so a forged header claiming gigabytes is
    refused instead of being allocated.
    """
    disk = path.stat().st_size
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        keys = [i.filename[:-4] if i.filename.endswith(".npy") else i.filename for i in infos]
        if len(set(keys)) != len(keys) or sorted(keys) != sorted(KEYS):
            raise _RolloutFileError(f"{path}: keys must be {list(KEYS)}, got {sorted(keys)}")
        headers = {k: _member_header(z, i) for k, i in zip(keys, infos)}
        want = None
        if params is not None and role is not None:
            b = replicas if replicas is not None else (headers["states"][0] or (0,))[0]
            want = expected_shapes(params, b, role)
        for (k, (shape, dtype)), info in zip(headers.items(), infos):
            if dtype.hasobject:
                raise _RolloutFileError(f"{path}: {k} holds pickled Python objects (dtype {dtype}), never loaded")
            kind = "f" if k in ("states", "rewards", "action_array", "aux_array") else "i"
            if dtype.kind not in (kind + ("i" if kind == "f" else "")):
                expected = "floating" if kind == "f" else "integer"
                raise _RolloutFileError(f"{path}: {k} has dtype {dtype}, expected {expected}")
            if want is not None and shape != want[k]:
                raise _RolloutFileError(f"{path}: {k} has shape {shape}, expected {want[k]}")
            nbytes = math.prod(shape) * dtype.itemsize
            # a stored member holds its bytes as they are; deflate cannot shrink data more than ~1032 times
            room = min(info.file_size, disk if info.compress_type == zipfile.ZIP_STORED else 1100 * disk)
            if nbytes > room:
                size = f"{nbytes:,} bytes" + (f", {nbytes / 2**30:,.1f} GiB" if nbytes >= 2**30 else "")
                raise _RolloutFileError(
                    f"{path}: {k} declares shape {shape} {dtype} ({size}), more than the "
                    f"{room:,} bytes the file holds: corrupt or forged header"
                )
        return {k: np.lib.format.read_array(z.open(info), allow_pickle=False) for k, info in zip(keys, infos)}


def load_episode(
    path: str | Path, params: RBCParams | None = None, replicas: int | None = None
) -> dict[str, np.ndarray]:
    """Read one ``episode_XXXX_<type>.npz``; with ``params``/``replicas`` also check every shape.

    Raises ``ValueError`` naming the file for a missing, truncated or corrupt file, a
    missing or extra key, pickled (object) data, a wrong shape or dtype, a header that
    declares more data than the file holds (checked before anything is allocated),
    non-finite values or out-of-range action indices.
    """
    path = Path(path)
    m = _EPISODE_RE.match(path.name)
    role = m.group(2) if m else None
    if not path.is_file():
        raise ValueError(f"{path}: no such rollout file")
    try:
        data = _read_npz(path, role, params, replicas)
    except _RolloutFileError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, RuntimeError, MemoryError,
            OverflowError, SyntaxError, TypeError) as exc:  # fmt: skip
        raise ValueError(f"{path}: corrupt or truncated rollout file ({type(exc).__name__}: {exc})") from None
    for k, v in data.items():
        if v.dtype.kind == "f" and v.size and not np.all(np.isfinite(v)):
            raise ValueError(f"{path}: {k} contains NaN or infinite values")
    if params is not None and role is not None:
        a = data["actions"]
        if role == "consumer":
            hi = np.array([len(params.consumption_choices)] * params.n_firms + [len(params.hours_choices),
                                                                                params.n_firms])  # fmt: skip
        else:
            hi = np.array([params.n_firm_actions if role == "firm" else params.n_government_actions])
        if a.size and (a.min() < 0 or np.any(a.reshape(-1, hi.size) >= hi)):
            raise ValueError(f"{path}: actions contain indices outside the action space")
    return data


_MAX_CONFIG_BYTES = 1 << 20  # hparams.yaml is about 2 kB and action_arrays.json a few kB; refuse 1 MiB and more


def _read_config_text(path: Path) -> str:
    """A configuration file's text; too large, unreadable or not UTF-8 raises ValueError naming it."""
    try:
        size = path.stat().st_size
        if size > _MAX_CONFIG_BYTES:
            raise ValueError(f"{path}: {size:,} bytes, more than the {_MAX_CONFIG_BYTES:,} a rollout configuration "
                             "can need; not a rollout file")  # fmt: skip
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text file") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot read ({exc})") from None


def load_rollout(path: str | Path) -> Rollout:
    """Read a rollout folder's ``hparams.yaml`` and ``action_arrays.json`` and list its episodes.

    Episodes are read (and checked) on demand by :meth:`Rollout.episode`; every episode
    must have all three agent-type files.
    """
    path = Path(path)
    if not path.is_dir():
        raise ValueError(f"{path}: no such rollout folder")
    hp_path = path / "hparams.yaml"
    if not hp_path.is_file():
        raise ValueError(f"{path}: hparams.yaml is missing")
    hp = parse_yaml(_read_config_text(hp_path), str(hp_path))
    for section in ("agents", "world", "train", "metadata"):
        if section not in hp:
            raise ValueError(f"{hp_path}: section {section!r} is missing")
    world = {k: v for k, v in hp["world"].items() if k != "maxtime"}
    for section in ("world", "train"):
        if not isinstance(hp[section], dict):
            raise ValueError(f"{hp_path}: section {section!r} must be a mapping")
    try:
        params = RBCParams(**world)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"{hp_path}: invalid world configuration ({exc})") from None
    b = hp["train"].get("batch_size")
    if isinstance(b, bool) or not isinstance(b, int) or not 1 <= b <= 1_000_000:
        raise ValueError(f"{hp_path}: train.batch_size must be an integer in [1, 1000000], got {b!r}")
    aa_path = path / "action_arrays.json"
    if not aa_path.is_file():
        raise ValueError(f"{path}: action_arrays.json is missing")
    try:
        raw = json.loads(_read_config_text(aa_path))
        tables = {k: np.asarray(raw[k], dtype=np.float64) for k in
                  ("consumption_choices", "work_choices", "price_and_wage", "tax_choices")}  # fmt: skip
    except (ValueError, RecursionError, KeyError, TypeError, OverflowError) as exc:
        if str(exc).startswith(str(aa_path)):
            raise
        raise ValueError(f"{aa_path}: corrupt decode tables ({type(exc).__name__}: {str(exc)[:200]})") from None
    if tables["price_and_wage"].shape != (params.n_firm_actions, 3) or tables["tax_choices"].shape != (
        params.n_government_actions,
        2,
    ):
        raise ValueError(f"{aa_path}: decode tables do not match the configuration in hparams.yaml")
    found: dict[int, set[str]] = {}
    for p in path.iterdir():
        m = _EPISODE_RE.match(p.name)
        if m:
            found.setdefault(int(m.group(1)), set()).add(m.group(2))
    for e, roles in sorted(found.items()):
        if roles != set(ROLES):
            raise ValueError(f"{path}: episode {e} lacks file(s) for {sorted(set(ROLES) - roles)}")
    return Rollout(path, hp, params, tables, sorted(found))
