"""Mean-field policies: anything that gives pi_t(a|s) for every state from the shared history.

Because every agent observes the same aggregate history, a population policy
at period t is a table pi_t[S, A] on each common-noise path. Exploitability,
the push-forward Gymnasium environment and the solvers accept:

* a **table**: ``[S, A]`` (stationary) or ``[T, S, A]`` (one per period);
* a **callable** ``f(states, obs_history) -> [S, A]``: ``states`` is the
  ``[S, state_dim]`` array of every individual state in natural units
  (``game.state_features``) and ``obs_history`` the ``[t+1, obs_dim]`` shared
  observations o_0..o_t of the path (``game.obs_names``);
* a **torch module** mapping a batch of per-agent observations
  ``[S, state_dim + obs_dim]`` (own state then shared observation, exactly what
  an agent of the sampled PettingZoo environment observes) to action logits
  ``[S, A]``; it is evaluated without gradients;
* an object with ``start(game, paths)`` and ``step(t, obs) -> (pi, pi_of_path)``
  (the :class:`MeanFieldPolicy` protocol; recurrent solver policies use it).

Every table a policy produces is checked: finite, non-negative (down to -1e-9)
and rows summing to 1 within 1e-5; anything else raises ``ValueError`` naming
the period and the state.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from econ_envs.meanfield import kernels
from econ_envs.meanfield.games.base import MeanFieldGame, Paths

ROW_TOL = 1e-5  # allowed |row sum - 1| of a policy table (float32 softmax outputs pass)
NEG_TOL = 1e-9  # allowed negative rounding error of a probability


class MeanFieldPolicy(Protocol):
    """The protocol every policy is adapted to.

    ``start(game, paths)`` is called once before period 0; ``step(t, obs)`` gets
    the shared observations ``[P, obs_dim]`` of period t on every path and returns
    ``(pi, pi_of_path)``: a stack of tables ``[n, S, A]`` and, for every path, the
    index of the table it uses.
    """

    def start(self, game: MeanFieldGame, paths: Paths) -> None: ...

    def step(self, t: int, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...


def validate_tables(pi: np.ndarray, game: MeanFieldGame, what: str) -> np.ndarray:
    """Check a stack of tables [n, S, A] and return it as clean float64 rows summing to 1."""
    arr = np.asarray(pi)
    if arr.dtype == object or arr.dtype.kind not in "iuf":
        raise TypeError(f"{what}: a policy table must be a numeric array, got dtype {arr.dtype}")
    want = (game.n_states, game.n_actions)
    if arr.ndim != 3 or arr.shape[1:] != want:
        raise ValueError(f"{what}: policy tables must have shape (n, {want[0]}, {want[1]}), got {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    j, s, code = kernels.check_tables(arr, ROW_TOL)
    if j >= 0:
        row = arr[j, s]
        reason = {
            1: "contains NaN or inf",
            2: f"has a negative probability ({row.min():.3g})",
            3: f"sums to {row.sum():.8g}, not 1",
        }[int(code)]
        feats = ", ".join(f"{n}={v:g}" for n, v in zip(game.state_feature_names, game.state_features[s]))
        raise ValueError(f"{what}: the row of state {s} ({feats}) is not a probability distribution: it {reason}")
    return kernels.clean_tables(arr)


class TablePolicy:
    """A fixed table [S, A] or [T, S, A], shared by every path."""

    def __init__(self, table: Any, game: MeanFieldGame):
        arr = np.asarray(table)
        if arr.dtype == object or arr.dtype.kind not in "iuf":
            raise TypeError(f"policy table must be a numeric array, got dtype {arr.dtype}")
        S, A, T = game.n_states, game.n_actions, game.horizon
        if arr.shape == (S, A):
            self.tables = validate_tables(arr[None], game, "policy table")
            self.per_period = False
        elif arr.shape == (T, S, A):
            self.tables = np.empty((T, S, A))
            for t in range(T):
                self.tables[t] = validate_tables(arr[t : t + 1], game, f"policy table at t={t}")[0]
            self.per_period = True
        else:
            raise ValueError(f"policy table must have shape (S, A)=({S}, {A}) or (T, S, A)=({T}, {S}, {A}), "
                             f"got {arr.shape}")  # fmt: skip

    def start(self, game: MeanFieldGame, paths: Paths) -> None:
        self._zeros = np.zeros(paths.n_paths, dtype=np.int64)

    def step(self, t: int, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.per_period:
            return self.tables[t : t + 1], self._zeros
        return self.tables, self._zeros


class NodeTablePolicy:
    """One table per public-information node of a fixed path set (what the tabular solvers produce).

    ``tables[node]`` is pi at that node; ``paths.node[t, p]`` names the node of path p at t.
    It can only be evaluated on the paths it was built for.
    """

    def __init__(self, tables: np.ndarray, paths: Paths, game: MeanFieldGame):
        if tables.shape != (paths.n_nodes, game.n_states, game.n_actions):
            raise ValueError(
                f"node tables must have shape ({paths.n_nodes}, {game.n_states}, {game.n_actions}), got {tables.shape}"
            )
        self.tables = np.ascontiguousarray(tables, dtype=np.float64)
        self.paths = paths
        self.game = game

    def start(self, game: MeanFieldGame, paths: Paths) -> None:
        if paths is not self.paths and not (
            paths.n_paths == self.paths.n_paths
            and np.array_equal(paths.z, self.paths.z)
            and np.array_equal(paths.static, self.paths.static)
        ):
            raise ValueError("a NodeTablePolicy can only be evaluated on the paths it was solved on (policy.paths)")

    def step(self, t: int, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.tables, self.paths.node[t]

    def table_at(self, t: int, path: int = 0) -> np.ndarray:
        """pi_t[S, A] on one path."""
        return self.tables[self.paths.node[t, path]]


class CallablePolicy:
    """Adapts ``f(states [S, d], obs_history [t+1, obs_dim]) -> [S, A]``.

    Paths whose observation histories are bitwise identical share one call.
    """

    def __init__(self, fn: Callable[[np.ndarray, np.ndarray], Any]):
        self.fn = fn

    def start(self, game: MeanFieldGame, paths: Paths) -> None:
        self.game = game
        self.history = np.zeros((paths.n_paths, game.horizon + 1, game.obs_dim))

    def step(self, t: int, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.history[:, t] = obs
        groups: dict[bytes, int] = {}
        index = np.empty(len(obs), dtype=np.int64)
        outs = []
        for p in range(len(obs)):
            h = self.history[p, : t + 1]
            key = h.tobytes()
            j = groups.get(key)
            if j is None:
                j = groups[key] = len(outs)
                out = self.fn(self.game.state_features, h.copy())
                outs.append(np.asarray(out))
            index[p] = j
        shapes = {o.shape for o in outs}
        want = (self.game.n_states, self.game.n_actions)
        if shapes != {want}:
            raise ValueError(f"policy callable must return an array of shape {want}, got {sorted(shapes)} at t={t}")
        return validate_tables(np.stack(outs), self.game, f"policy at t={t}"), index


class TorchModulePolicy:
    """Adapts a torch module mapping per-agent observations [S, state_dim + obs_dim] to logits [S, A]."""

    def __init__(self, module: Any):
        self.module = module

    def start(self, game: MeanFieldGame, paths: Paths) -> None:
        import torch

        self.torch = torch
        self.game = game
        self.states = torch.tensor(game.state_features, dtype=torch.float32)

    def step(self, t: int, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        torch = self.torch
        groups: dict[bytes, int] = {}
        index = np.empty(len(obs), dtype=np.int64)
        outs = []
        S = self.game.n_states
        for p in range(len(obs)):
            key = obs[p].tobytes()
            j = groups.get(key)
            if j is None:
                j = groups[key] = len(outs)
                o = torch.as_tensor(obs[p], dtype=torch.float32).expand(S, -1)
                with torch.no_grad():
                    logits = self.module(torch.cat([self.states, o], dim=1))
                if tuple(logits.shape) != (S, self.game.n_actions):
                    raise ValueError(
                        f"torch policy must return logits of shape ({S}, {self.game.n_actions}), "
                        f"got {tuple(logits.shape)} at t={t}"
                    )
                outs.append(torch.softmax(logits.double(), dim=-1).numpy())
            index[p] = j
        return validate_tables(np.stack(outs), self.game, f"torch policy at t={t}"), index


def _is_torch_module(obj: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


def as_policy(policy: Any, game: MeanFieldGame) -> MeanFieldPolicy:
    """Adapt a table, a callable, a torch module or a protocol object to :class:`MeanFieldPolicy`."""
    if policy is None:
        raise TypeError("policy is None; pass a table [S, A] / [T, S, A], a callable, a torch module or a policy")
    if hasattr(policy, "start") and hasattr(policy, "step") and not _is_torch_module(policy):
        return policy
    if _is_torch_module(policy):
        return TorchModulePolicy(policy)
    if isinstance(policy, np.ndarray) or isinstance(policy, (list, tuple)):
        return TablePolicy(policy, game)
    if callable(policy):
        return CallablePolicy(policy)
    raise TypeError(
        f"unsupported policy of type {type(policy).__name__}: pass a table [S, A] / [T, S, A], "
        "a callable f(states, obs_history), a torch module or an object with start()/step()"
    )


def uniform(game: MeanFieldGame) -> np.ndarray:
    """The uniform policy table [S, A]."""
    return game.uniform_policy()


class UniformProfile:
    """``econ-envs simulate meanfield/...-v0 --policy uniform``: every agent picks an action uniformly at random."""

    name = "uniform"
    env_overrides: dict[str, Any] = {}

    def __init__(self, env: Any):
        self.n_actions = env.game.n_actions
        self.n_agents = env.n_agents
        self.rng = np.random.default_rng()

    def reset(self, env: Any, seed: int | None) -> None:
        env.reset_batch(seed=seed)
        self.rng = np.random.default_rng(None if seed is None else seed + 1)

    def act(self, env: Any) -> dict[str, np.ndarray]:
        return {"agent": self.rng.integers(0, self.n_actions, self.n_agents)}
