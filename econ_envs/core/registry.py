"""Registry of economies: ``econ_envs.make(env_id, **kwargs)`` and ``econ_envs.list_envs()``.

Each family registers an :class:`EnvSpec` when ``econ_envs`` is imported. Entry
points are ``"module:attr"`` strings imported on first use, so importing the
package stays cheap and families never import each other.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


def load_entry_point(path: str | Callable[..., Any]) -> Callable[..., Any]:
    """Resolve ``"package.module:attribute"`` (or pass a callable through)."""
    if callable(path):
        return path
    module_name, _, attr = path.partition(":")
    if not attr:
        raise ValueError(f"entry point must look like 'module:attribute', got {path!r}")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attr)
    except AttributeError as exc:
        raise ValueError(f"entry point {path!r}: module {module_name!r} has no attribute {attr!r}") from exc


@dataclass(frozen=True)
class EnvSpec:
    """How to build one economy and how the CLI runs it.

    Attributes:
        id: registry id, e.g. ``"taxai-v0"``.
        description: one line shown by ``econ-envs list``.
        entry_point: ``"module:factory"``; ``factory(**kwargs)`` returns the ParallelEnv.
        simulate_policies: policy-profile name -> ``"module:factory"``; ``factory(env)``
            returns an object with ``reset(env, seed)`` and ``act(env)`` (see
            :mod:`econ_envs.core.simulate`). ``econ-envs simulate --policy NAME`` uses it.
        default_policy: the profile used when ``--policy`` is omitted (also by ``bench``,
            unless ``bench_policy`` is set).
        plot_panels: ``(title, (aggregate keys...))`` pairs for ``macro_variables.png``; a title
            ending in ``(unit)`` gives the panel's y label.
        plot_labels: legend entries for aggregate keys: a mapping, or ``"module:function"`` /
            a callable taking the env and returning one (e.g. bracket rates labelled with
            the env's thresholds). Unmapped keys are written out in words.
        agents_kwarg: the keyword that sets the size of the largest population
            (``econ-envs bench --agents N`` passes ``{agents_kwarg: N}``).
        vector_entry_point: optional ``"module:factory"``; ``factory(n_replicas=B, **kwargs)``
            returns a vector env stepping B replicas at once (``reset(seed=...)``,
            ``check_actions({role: (B, count, ...) array})``, ``core_step(...)``,
            ``episode_over``). ``econ-envs bench`` then also reports replica-steps/s.
        default_replicas: replicas ``econ-envs bench`` uses when ``--replicas`` is omitted
            (only with a ``vector_entry_point``; None: no replica benchmark by default).
        bench_policy: the profile whose actions ``econ-envs bench`` replays when ``--policy``
            is omitted, for economies whose step cost depends on the actions (None: default_policy).
        rollout_entry_point: optional ``"module:function"`` behind ``econ-envs rollout``;
            called with ``replicas, episodes, out, policy, seed, overrides, overwrite, progress``
            and returning a summary dict.
    """

    id: str
    description: str
    entry_point: str | Callable[..., Any]
    simulate_policies: Mapping[str, str | Callable[..., Any]] = field(default_factory=dict)
    default_policy: str | None = None
    plot_panels: tuple[tuple[str, tuple[str, ...]], ...] = ()
    plot_labels: Mapping[str, str] | str | Callable[..., Any] | None = None
    agents_kwarg: str | None = None
    vector_entry_point: str | Callable[..., Any] | None = None
    default_replicas: int | None = None
    rollout_entry_point: str | Callable[..., Any] | None = None
    bench_policy: str | None = None

    def make(self, **kwargs: Any) -> Any:
        return load_entry_point(self.entry_point)(**kwargs)

    def labels_for(self, env: Any) -> dict[str, str]:
        """The legend entries of ``env``'s aggregates (see ``plot_labels``)."""
        if self.plot_labels is None:
            return {}
        if isinstance(self.plot_labels, Mapping):
            return dict(self.plot_labels)
        return dict(load_entry_point(self.plot_labels)(env))

    def make_vector(self, n_replicas: int, **kwargs: Any) -> Any:
        """Build the vector env (B replicas) of this economy; ``ValueError`` if it has none."""
        if self.vector_entry_point is None:
            raise ValueError(f"{self.id} has no vector (many-replica) interface")
        return load_entry_point(self.vector_entry_point)(n_replicas=n_replicas, **kwargs)

    def policy_factory(self, name: str) -> Callable[..., Any]:
        if name not in self.simulate_policies:
            raise ValueError(f"unknown policy {name!r} for {self.id}; choose from {sorted(self.simulate_policies)}")
        return load_entry_point(self.simulate_policies[name])


_REGISTRY: dict[str, EnvSpec] = {}


def register(spec: EnvSpec) -> None:
    """Add ``spec`` to the registry (re-registering the same id replaces it)."""
    _REGISTRY[spec.id] = spec


def spec(env_id: str) -> EnvSpec:
    """The :class:`EnvSpec` of ``env_id``; an unknown id raises ``ValueError`` listing the known ones."""
    if not isinstance(env_id, str):
        raise TypeError(f"env_id must be a string, got {type(env_id).__name__}")
    try:
        return _REGISTRY[env_id]
    except KeyError:
        raise ValueError(f"unknown environment {env_id!r}; registered: {sorted(_REGISTRY)}") from None


def make(env_id: str, **kwargs: Any) -> Any:
    """Build the PettingZoo ``ParallelEnv`` registered as ``env_id`` with ``kwargs``."""
    return spec(env_id).make(**kwargs)


def list_envs() -> dict[str, str]:
    """Registered ids mapped to their one-line descriptions, sorted by id."""
    return {k: _REGISTRY[k].description for k in sorted(_REGISTRY)}
