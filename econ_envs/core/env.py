"""The PettingZoo facade shared by every economy, over a batched core.

An economy is a set of *roles* (``government``, ``household``, ``bank`` ...).
All agents of a role share one observation space and one action space, so a
role's observations, actions and rewards are arrays with one row per agent.
Families implement two methods on arrays::

    _reset_core(seed, options) -> (observations_by_role, info)
    _step_core(actions_by_role) -> BatchStep

and this class provides both interfaces users expect:

* ``step_batch({"household": (N, 2) array, "government": (1, 5) array})``:
  the fast path for training code, benchmarks and simulations (no per-agent
  Python objects);
* ``step({"household_0": ..., "government": ...})``: the standard PettingZoo
  ``ParallelEnv`` API (``reset``/``step``/``observation_space(agent)`` ...).

Both paths validate before touching anything: a wrong shape or dtype, NaN/inf,
a missing or unknown agent id, or an out-of-range discrete action raises
``ValueError``/``TypeError`` naming the agent, and the environment (its state
and its random generator) is exactly as before the call. Continuous actions
outside their ``Box`` are clipped to it; the number of clipped components per
agent is reported in ``infos[agent]["clipped_actions"]``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from econ_envs.core.checks import check_clip_box


@dataclass
class Role:
    """A group of agents that share spaces; agent ids are ``f"{name}_{i}"`` (or ``name`` if a singleton)."""

    name: str
    count: int
    observation_space: spaces.Space
    action_space: spaces.Space
    indexed: bool = True

    def agent_ids(self) -> list[str]:
        if not self.indexed:
            if self.count != 1:
                raise ValueError(f"role {self.name!r}: a non-indexed role must have exactly one agent")
            return [self.name]
        return [f"{self.name}_{i}" for i in range(self.count)]

    def agent_id(self, i: int) -> str:
        return self.name if not self.indexed else f"{self.name}_{i}"


@dataclass(slots=True)
class BatchStep:
    """Result of one batched step: arrays per role, and whole-economy episode flags.

    ``truncated_roles``: roles for which a termination of the economy is a truncation (their
    agents' futures go on beyond the simulation, so learners bootstrap their values; e.g. the
    households of an economy whose collapse is the government's failure). The facade reports
    those agents as truncated, not terminated.
    """

    observations: dict[str, np.ndarray]
    rewards: dict[str, np.ndarray]
    terminated: bool
    truncated: bool
    info: dict[str, Any] = field(default_factory=dict)
    clipped: dict[str, np.ndarray] = field(default_factory=dict)
    truncated_roles: tuple[str, ...] = ()

    def role_ends(self, role: str) -> tuple[bool, bool]:
        """``(terminated, truncated)`` of the agents of ``role`` after this step."""
        if self.terminated and role in self.truncated_roles:
            return False, True
        return bool(self.terminated), bool(self.truncated)


_NUMERIC_KINDS = "iuf"


def _is_numeric_scalar_or_list(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, float, np.integer, np.floating)):
        return True
    try:
        return np.asarray(v).dtype.kind in _NUMERIC_KINDS
    except (ValueError, TypeError):
        return False


_INTEGER_KINDS = "iu"


def _is_discrete(space: spaces.Space) -> bool:
    return isinstance(space, (spaces.Discrete, spaces.MultiDiscrete))


class EconomyEnv(ParallelEnv, ABC):
    """Base class: roles, spaces, validation, and the dict facade over ``_step_core``."""

    metadata: dict[str, Any] = {"name": "econ_envs", "render_modes": [], "is_parallelizable": True}
    render_mode = None

    # ------------------------------------------------------------------ set-up
    def _init_roles(self, roles: list[Role]) -> None:
        self.roles: dict[str, Role] = {r.name: r for r in roles}
        self._role_ids: dict[str, list[str]] = {r.name: r.agent_ids() for r in roles}
        self.possible_agents: list[str] = [a for r in roles for a in self._role_ids[r.name]]
        self._agent_role: dict[str, tuple[str, int]] = {
            a: (r.name, i) for r in roles for i, a in enumerate(self._role_ids[r.name])
        }
        self.agents: list[str] = []
        self._batch_obs: dict[str, np.ndarray] | None = None
        self._episode_over = True
        self._box_bounds: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    # ------------------------------------------------------------------ spaces
    def role_of(self, agent: str) -> tuple[str, int]:
        """``(role name, row index)`` of ``agent``; unknown ids raise ``ValueError``."""
        try:
            return self._agent_role[agent]
        except (KeyError, TypeError):
            raise ValueError(f"unknown agent {agent!r}; agents look like {self.possible_agents[:3]}...") from None

    def observation_space(self, agent: str) -> spaces.Space:
        return self.roles[self.role_of(agent)[0]].observation_space

    def action_space(self, agent: str) -> spaces.Space:
        return self.roles[self.role_of(agent)[0]].action_space

    def agent_ids(self, role: str) -> list[str]:
        return self._role_ids[role]

    # ------------------------------------------------------------ hooks to fill
    @abstractmethod
    def _reset_core(self, seed: int | None, options: Mapping[str, Any] | None) -> tuple[dict, dict]:
        """Reset the economy; return ``(observations by role, info)``."""

    @abstractmethod
    def _step_core(self, actions: dict[str, np.ndarray]) -> BatchStep:
        """Step the economy on validated, clipped action arrays (must leave state untouched if it raises)."""

    @abstractmethod
    def aggregates(self) -> dict[str, float]:
        """Macro variables of the last step (or of the reset state)."""

    # --------------------------------------------------------------- batched API
    def reset_batch(
        self, seed: int | None = None, options: Mapping[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Reset and return ``(observations by role, info)`` as arrays."""
        obs, info = self._reset_core(seed, options)
        self._batch_obs = obs
        self._episode_over = False
        self.agents = list(self.possible_agents)
        return obs, info

    def batch_observations(self) -> dict[str, np.ndarray]:
        """Latest observations by role (rows in agent order)."""
        self.require_reset()
        return self._batch_obs

    def require_reset(self) -> None:
        """Raise ``RuntimeError("call reset() first")`` if the env was never reset (for state accessors)."""
        if self._batch_obs is None:
            raise RuntimeError("call reset() first")

    def step_batch(self, actions: Mapping[str, Any]) -> BatchStep:
        """Validate actions given as one array per role, step the economy, and return arrays."""
        if self._episode_over:
            raise ValueError("the episode is over (or reset() was never called); call reset() first")
        if not isinstance(actions, Mapping):
            raise TypeError(f"actions must be a mapping role -> array, got {type(actions).__name__}")
        unknown = [k for k in actions if k not in self.roles]
        if unknown:
            raise ValueError(f"unknown role(s) {unknown}; roles are {list(self.roles)}")
        missing = [k for k in self.roles if k not in actions]
        if missing:
            raise ValueError(f"missing actions for role(s) {missing}")
        checked: dict[str, np.ndarray] = {}
        clipped: dict[str, np.ndarray] = {}
        for name, role in self.roles.items():
            checked[name], clipped[name] = self._check_role_array(role, actions[name])
        result = self.core_step(checked)
        result.clipped = clipped
        return result

    def core_step(self, actions: dict[str, np.ndarray]) -> BatchStep:
        """Step on actions that are already validated and inside their spaces (no checks at all).

        For trusted callers that have validated once (benchmarks, training code that
        produces actions inside the spaces); everyone else should use :meth:`step_batch`.
        """
        result = self._step_core(actions)
        self._batch_obs = result.observations
        if result.terminated or result.truncated:
            self._episode_over = True
            self.agents = []
        return result

    @property
    def episode_over(self) -> bool:
        """True before the first reset and after the episode has terminated or been truncated."""
        return self._episode_over

    def single_action(self, role_name: str, action: Any) -> np.ndarray:
        """One action of the single agent of ``role_name`` as its role's ``(1, *shape)`` array, validated.

        For single-agent (Gymnasium) views: the action must have the action space's shape
        (a scalar space also takes a one-element vector), be numeric, finite and, for discrete
        spaces, an integer in range; otherwise ``ValueError``/``TypeError`` naming the role.
        Nothing is changed, so a view calls this before its other agents' rules draw anything.
        Box actions are returned unclipped (``step_batch`` clips them and counts the clipping).
        """
        role = self.roles[role_name]
        if role.count != 1:
            raise ValueError(f"{role_name}: single_action needs a role with one agent, this one has {role.count}")
        shape = role.action_space.shape
        try:
            arr = np.asarray(action)
        except (ValueError, TypeError) as exc:
            raise TypeError(f"{role_name}: action {action!r} is not array-like ({exc})") from None
        if arr.shape != shape and not (shape == () and arr.shape == (1,)):
            raise ValueError(f"{role_name}: action must have shape {shape} ({role.action_space}), got {arr.shape}")
        arr = arr.reshape((1, *shape))
        self._check_role_array(role, arr)
        return arr

    def actions_to_dict(self, actions: Mapping[str, Any]) -> dict[str, Any]:
        """Per-role action arrays -> ``{agent_id: action}`` for :meth:`step`."""
        out: dict[str, Any] = {}
        for name, ids in self._role_ids.items():
            arr = np.asarray(actions[name])
            out.update(zip(ids, arr))
        return out

    # ------------------------------------------------------------ PettingZoo API
    def reset(self, seed: int | None = None, options: dict | None = None):
        obs, info = self.reset_batch(seed=seed, options=options)
        return self._obs_dict(obs), {a: dict(info) if info else {} for a in self.agents}

    def step(self, actions: dict):
        if self._episode_over:
            raise ValueError("the episode is over (or reset() was never called); call reset() first")
        if not isinstance(actions, Mapping):
            raise TypeError(f"actions must be a dict agent_id -> action, got {type(actions).__name__}")
        unknown = [a for a in actions if a not in self._agent_role]
        if unknown:
            raise ValueError(f"unknown agent id(s) {unknown[:5]}{' ...' if len(unknown) > 5 else ''}")
        role_actions = {}
        for name, role in self.roles.items():
            ids = self._role_ids[name]
            missing = [a for a in ids if a not in actions]
            if missing:
                raise ValueError(
                    f"missing action(s) for {missing[:5]}{' ...' if len(missing) > 5 else ''}"
                    f" ({len(missing)} of {len(ids)} {name} agents)"
                )
            role_actions[name] = self._stack_role(role, ids, actions)
        result = self.step_batch(role_actions)
        agents = [a for ids in self._role_ids.values() for a in ids]
        obs = self._obs_dict(result.observations, agents)
        rewards: dict[str, float] = {}
        for name, ids in self._role_ids.items():
            rewards.update(zip(ids, result.rewards[name].tolist()))
        terms: dict[str, bool] = {}
        truncs: dict[str, bool] = {}
        for name, ids in self._role_ids.items():
            term, trunc = result.role_ends(name)
            terms.update(dict.fromkeys(ids, term))
            truncs.update(dict.fromkeys(ids, trunc))
        infos: dict[str, dict] = {a: {} for a in agents}
        reason = result.info.get("termination_reason")
        if reason is not None:
            for a in agents:
                infos[a]["termination_reason"] = reason
        for name, counts in result.clipped.items():
            if counts.any():
                ids = self._role_ids[name]
                for i in np.flatnonzero(counts):
                    infos[ids[i]]["clipped_actions"] = int(counts[i])
        return obs, rewards, terms, truncs, infos

    def close(self) -> None:
        pass

    # ------------------------------------------------------------------ helpers
    def _obs_dict(self, obs: dict[str, np.ndarray], agents: list[str] | None = None) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for name, ids in self._role_ids.items():
            # one C-ordered copy per step (batched cores may return transposed buffers), so every
            # agent's observation is a contiguous row
            arr = np.ascontiguousarray(obs[name])
            out.update(zip(ids, arr))
        return out

    def _stack_role(self, role: Role, ids: list[str], actions: Mapping[str, Any]) -> np.ndarray:
        """Stack one role's per-agent actions into an array, naming the culprit on failure."""
        values = [actions[a] for a in ids]
        # each agent's own dtype must be numeric (stacking would silently upcast a bool or a string)
        ok = all(
            (v.dtype.kind in _NUMERIC_KINDS) if isinstance(v, np.ndarray) else _is_numeric_scalar_or_list(v)
            for v in values
        )
        if ok:
            try:
                arr = np.asarray(values)
                ok = arr.dtype.kind in _NUMERIC_KINDS and arr.shape[1:] == role.action_space.shape
            except (ValueError, TypeError):
                ok = False
        if ok:
            if arr.dtype.kind not in _INTEGER_KINDS and _is_discrete(role.action_space):
                self._raise_non_integer(role, ids, values)
            return arr
        # slow path: find the first agent whose action has the wrong type or shape
        expected = role.action_space.shape
        for a, v in zip(ids, values):
            try:
                x = np.asarray(v)
            except (ValueError, TypeError) as exc:
                raise TypeError(f"{a}: action {v!r} is not array-like ({exc})") from None
            if x.dtype == object or x.dtype.kind not in _NUMERIC_KINDS or isinstance(v, bool):
                raise TypeError(f"{a}: action must be numeric, got dtype {x.dtype} ({v!r})")
            if x.shape != expected:
                raise ValueError(f"{a}: action must have shape {expected}, got {x.shape}")
        raise TypeError(f"{role.name}: actions could not be stacked into one array")

    @staticmethod
    def _raise_non_integer(role: Role, ids: list[str], values: list[Any]) -> None:
        """Name the agent(s) whose own action made a discrete role's stacked actions floating point.

        One float among integers upcasts the whole stack, so the culprit is found per agent: the
        first with a non-finite value (``ValueError``), else with a fractional value, else the
        first whose action is a float at all.
        """
        arrays = [np.asarray(v) for v in values]
        floats = [i for i, x in enumerate(arrays) if x.dtype.kind not in _INTEGER_KINDS]
        for i in floats:
            if not np.all(np.isfinite(arrays[i])):
                raise ValueError(f"{ids[i]}: discrete action is not finite ({arrays[i].tolist()!r})")
        fractional = [i for i in floats if np.any(arrays[i] != np.round(arrays[i]))]
        i = (fractional or floats)[0]
        v = arrays[i]
        others = len(floats) - 1
        raise TypeError(
            f"{ids[i]}: discrete actions must be integers, got {v.tolist()!r} (dtype {v.dtype})"
            + (f"; {others} other {role.name} agent(s) also gave non-integer actions" if others else "")
        )

    def _check_role_array(self, role: Role, value: Any) -> tuple[np.ndarray, np.ndarray]:
        space = role.action_space
        try:
            arr = np.asarray(value)
        except (ValueError, TypeError) as exc:
            raise TypeError(f"{role.name}: actions are not array-like ({exc})") from None
        if arr.dtype == object or arr.dtype.kind not in _NUMERIC_KINDS:
            raise TypeError(
                f"{role.name}: actions must be a numeric array, got dtype {arr.dtype}"
                + (" (booleans are not actions)" if arr.dtype.kind == "b" else "")
            )
        want = (role.count, *space.shape)
        if arr.shape != want:
            raise ValueError(f"{role.name}: actions must have shape {want} (one row per agent), got {arr.shape}")
        if isinstance(space, spaces.Box):
            return self._check_box(role, arr, space)
        if isinstance(space, (spaces.Discrete, spaces.MultiDiscrete)):
            return self._check_discrete(role, arr, space)
        raise TypeError(f"{role.name}: unsupported action space {space}")  # pragma: no cover

    def _check_box(self, role: Role, arr: np.ndarray, space: spaces.Box) -> tuple[np.ndarray, np.ndarray]:
        flat = np.ascontiguousarray(arr.reshape(role.count, -1), dtype=np.float64)
        bounds = self._box_bounds.get(role.name)
        if bounds is None:
            low = np.ascontiguousarray(np.broadcast_to(space.low, space.shape).reshape(-1), dtype=np.float64)
            high = np.ascontiguousarray(np.broadcast_to(space.high, space.shape).reshape(-1), dtype=np.float64)
            bounds = self._box_bounds[role.name] = (low, high)
        out, counts, bad_row, bad_col = check_clip_box(flat, bounds[0], bounds[1])
        if bad_row >= 0:
            raise ValueError(
                f"{role.agent_id(int(bad_row))}: action component {int(bad_col)} is "
                f"{flat[bad_row, bad_col]} (actions must be finite)"
            )
        return out.reshape(arr.shape), counts

    def _check_discrete(self, role: Role, arr: np.ndarray, space: spaces.Space) -> tuple[np.ndarray, np.ndarray]:
        if arr.dtype.kind not in _INTEGER_KINDS:
            if not np.all(np.isfinite(arr)):
                bad = int(np.argwhere(~np.isfinite(arr.reshape(role.count, -1)))[0][0])
                raise ValueError(f"{role.agent_id(bad)}: discrete action is not finite")
            flat = arr.reshape(role.count, -1)
            fractional = np.flatnonzero((flat != np.round(flat)).any(axis=1))
            if fractional.size:
                i = int(fractional[0])
                raise TypeError(
                    f"{role.agent_id(i)}: discrete actions must be integers, got {flat[i].tolist()} "
                    f"(the {role.name} actions have dtype {arr.dtype})"
                )
            # whole numbers in a float array: no agent is to blame, the array's dtype is
            raise TypeError(
                f"{role.name}: discrete actions must be an integer array, got dtype {arr.dtype} "
                f"(whole numbers; convert with .astype(np.int64))"
            )
        x = arr.astype(np.int64)
        if isinstance(space, spaces.Discrete):
            lo = int(space.start)
            hi = lo + int(space.n) - 1
            bad = (x < lo) | (x > hi)
            if bad.any():
                i = int(np.flatnonzero(bad.reshape(role.count, -1).any(axis=1))[0])
                raise ValueError(f"{role.agent_id(i)}: action {x[i]} is outside [{lo}, {hi}]")
        else:
            nvec = np.asarray(space.nvec, dtype=np.int64)
            start = np.asarray(getattr(space, "start", np.zeros_like(nvec)), dtype=np.int64)
            bad = (x < start) | (x >= start + nvec)
            if bad.any():
                i, j = (int(v) for v in np.argwhere(bad.reshape(role.count, -1))[0])
                raise ValueError(
                    f"{role.agent_id(i)}: action component {j} = {x.reshape(role.count, -1)[i, j]} is outside "
                    f"[{start.reshape(-1)[j]}, {start.reshape(-1)[j] + nvec.reshape(-1)[j] - 1}]"
                )
        return x, np.zeros(role.count, dtype=np.int64)
