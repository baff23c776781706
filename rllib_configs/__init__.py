"""One short file per experiment: each defines ``build(**overrides) -> (AlgorithmConfig, stop)``.

``econ-envs train NAME [--set key=value ...]`` and ``scripts/train.py NAME`` look the
experiment up here; ``--set`` values are passed to ``build`` as keyword arguments.

Optional module attributes: ``SELECTION = {"every": N, "seeds": [...]}`` (keep the best checkpoint
on held-out seeds, as ``train --select-every N``; see :mod:`econ_envs.rllib.selection`) and
``WINNING_COMMAND = "econ-envs train ..."`` (a command known to train a government that beats every
baseline on the experiment's task; a taxai verdict that is not a win points to it, see
:mod:`econ_envs.rllib.verdict`).
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from pathlib import Path
from types import ModuleType
from typing import Any


def names() -> list[str]:
    """The experiments shipped in this package."""
    return sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if not m.name.startswith("_"))


def load(name_or_path: str) -> ModuleType:
    """An experiment module by name (``taxai_dsmfg``) or by path to a .py file with a ``build``."""
    path = Path(name_or_path)
    if path.suffix == ".py" and path.exists():
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        assert spec.loader is not None
        spec.loader.exec_module(module)
    elif name_or_path in names():
        module = importlib.import_module(f"rllib_configs.{name_or_path}")
    else:
        raise ValueError(f"unknown experiment {name_or_path!r}; choose from {names()} or give a path to a .py file")
    if not callable(getattr(module, "build", None)):
        raise ValueError(f"{name_or_path}: an experiment file must define build(**overrides)")
    return module


def build(name_or_path: str, **overrides: Any):
    """``(AlgorithmConfig, stop)`` of an experiment, with keyword overrides."""
    return load(name_or_path).build(**overrides)
