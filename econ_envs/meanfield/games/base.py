"""The model interface every mean-field game implements, and the common-noise path sets.

A game is defined once, by small numba functions for its deterministic step,
its idiosyncratic noise and its reward (in the game's module). The methods
below wrap them into the two forms the population updates need:

* whole-state-space sparse rows (``decision_rows``, ``noise_rows``,
  ``reward_table``) for the push-forward update, exploitability and solvers;
* per-agent versions (``agent_decisions``, ``agent_rewards``) for the sampled
  population of N agents.

Everything is batched over common-noise *paths*: ``static[p]`` holds the
episode's drawn constants (the beach bar's location) and ``z[p, t]`` the
common noise at period t, for t = 0..T. Common noise in these games is
exogenous (it does not depend on the population), so a path is drawn whole.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from econ_envs.meanfield import kernels


@dataclass(frozen=True)
class Paths:
    """A set of common-noise paths with probabilities and their public-information nodes.

    Attributes:
        static: [P, n_static] constants drawn at reset (beach bar: the bar location).
        z: [P, T+1] common noise z_0..z_T of each path.
        weight: [P] probability of each path (sums to 1).
        exact: True when the paths enumerate the whole (finite) support of the common noise.
        node: [T, P] id of the public-information node of each path at each period:
            paths with the same id at t share the same public history up to t (so a
            non-anticipative best response must act the same on them). Ids are
            numbered 0..n_nodes-1 over all periods.
        node_local: [T, P] the same nodes numbered 0..n_nodes_at[t]-1 within period t.
    """

    static: np.ndarray
    z: np.ndarray
    weight: np.ndarray
    exact: bool
    node: np.ndarray
    node_local: np.ndarray
    n_nodes_at: np.ndarray

    @property
    def n_paths(self) -> int:
        return int(self.weight.shape[0])

    @property
    def n_nodes(self) -> int:
        return int(self.n_nodes_at.sum())


class MeanFieldGame(ABC):
    """One mean-field game: spaces, common noise, initial distribution, rows and rewards.

    Subclasses set the class attributes and implement the abstract methods on
    arrays batched over paths. Construct with a params dataclass or keyword
    overrides: ``LQGame(common_noise=True)``.
    """

    key: ClassVar[str]
    title: ClassVar[str]
    params_class: ClassVar[type]
    state_feature_names: tuple[str, ...]
    static_names: ClassVar[tuple[str, ...]] = ()
    base_obs_names: tuple[str, ...]
    aggregate_names: tuple[str, ...]  # names of the columns of aggregate()
    k_decision: int = 1  # K1: entries of a decision row
    k_noise: int = 1  # K2: atoms of the idiosyncratic noise

    def __init__(self, params: Any = None, **overrides: Any):
        if params is None:
            params = self.params_class.from_kwargs(**overrides)
        elif not isinstance(params, self.params_class):
            raise TypeError(f"params must be a {self.params_class.__name__}, got {type(params).__name__}")
        elif overrides:
            params = params.replace(**overrides)
        self.params = params
        self.horizon = int(params.horizon)
        self.gamma = float(params.discount)
        self._setup()
        self.state_features.setflags(write=False)
        self.action_values.setflags(write=False)

    # ----------------------------------------------------------------- description
    @abstractmethod
    def _setup(self) -> None:
        """Build grids: set n_states, n_actions, state_features [S, d], action_values [A], k_noise ..."""

    @property
    def obs_names(self) -> tuple[str, ...]:
        """Names of the shared (aggregate) observation components."""
        return self.base_obs_names + (("t",) if self.params.observe_time else ())

    @property
    def obs_dim(self) -> int:
        return len(self.obs_names)

    @property
    def state_dim(self) -> int:
        return len(self.state_feature_names)

    def _base_obs_bounds(self) -> tuple[list[float], list[float]]:
        """Bounds of the shared observation without time (override; default unbounded)."""
        n = len(self.base_obs_names)
        return [-np.inf] * n, [np.inf] * n

    def obs_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) of the shared observation, in natural units."""
        lo, hi = self._base_obs_bounds()
        if self.params.observe_time:
            lo, hi = [*lo, 0.0], [*hi, float(self.horizon)]
        return np.array(lo, dtype=np.float64), np.array(hi, dtype=np.float64)

    def agent_obs_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) of an agent's observation: own state features, then the shared observation."""
        lo, hi = self.obs_bounds()
        return (
            np.concatenate([self.state_features.min(axis=0), lo]),
            np.concatenate([self.state_features.max(axis=0), hi]),
        )

    @property
    def has_common_noise(self) -> bool:
        return bool(getattr(self.params, "common_noise", False))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params!r})"

    # ----------------------------------------------------------------- common noise
    @abstractmethod
    def sample_common(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Draw n paths: (static [n, n_static], z [n, T+1])."""

    @abstractmethod
    def enumerate_common(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Every path with its probability (static, z, prob), or None if the support is infinite."""

    def info_key(self, static_row: np.ndarray, z_row: np.ndarray, t: int) -> bytes:
        """The public history of common noise revealed by the shared observations up to period t.

        Default: the static draw (observed from t = 0) and z_0..z_t. Override where an
        observation reveals the common noise later than it is drawn.
        """
        return static_row.tobytes() + z_row[: t + 1].tobytes()

    def make_paths(self, static: np.ndarray, z: np.ndarray, weight: np.ndarray, exact: bool) -> Paths:
        """Attach information nodes to a set of paths."""
        static = np.ascontiguousarray(static, dtype=np.float64).reshape(len(weight), len(self.static_names))
        z = np.ascontiguousarray(z, dtype=np.float64)
        weight = np.ascontiguousarray(weight, dtype=np.float64)
        n, T = len(weight), self.horizon
        if z.shape != (n, T + 1):
            raise ValueError(f"z must have shape ({n}, {T + 1}), got {z.shape}")
        if np.any(weight < 0) or abs(weight.sum() - 1.0) > 1e-9:
            raise ValueError("path weights must be non-negative and sum to 1")
        node = np.empty((T, n), dtype=np.int64)
        local = np.empty((T, n), dtype=np.int64)
        counts = np.empty(T, dtype=np.int64)
        offset = 0
        for t in range(T):
            ids: dict[bytes, int] = {}
            for p in range(n):
                key = self.info_key(static[p], z[p], t)
                local[t, p] = ids.setdefault(key, len(ids))
            counts[t] = len(ids)
            node[t] = local[t] + offset
            offset += len(ids)
        for arr in (static, z, weight, node, local, counts):
            arr.setflags(write=False)
        return Paths(static, z, weight, exact, node, local, counts)

    def paths(self, n_paths: int = 8, seed: int | None = 0, exact: bool | None = None) -> Paths:
        """Common-noise paths for evaluation or solving.

        ``exact=None`` (default) enumerates the support when it is finite (LQ, beach bar,
        crowd; macro without common noise) and otherwise samples ``n_paths`` paths from
        ``numpy.random.default_rng(seed)``; ``exact=True`` insists on enumeration,
        ``exact=False`` always samples (MFAX's protocol: 8 sampled paths).
        """
        if exact is None or exact:
            enum = self.enumerate_common()
            if enum is not None:
                static, z, prob = enum
                return self.make_paths(static, z, prob, True)
            if exact:
                raise ValueError(f"{self.key}: the common noise has infinite support; use exact=False")
        if isinstance(n_paths, bool) or not isinstance(n_paths, (int, np.integer)) or n_paths < 1:
            raise ValueError(f"n_paths must be a positive integer, got {n_paths!r}")
        rng = np.random.default_rng(seed)
        static, z = self.sample_common(rng, int(n_paths))
        return self.make_paths(static, z, np.full(int(n_paths), 1.0 / n_paths), False)

    # ------------------------------------------------------------- population model
    @abstractmethod
    def initial_distribution(self, static: np.ndarray) -> np.ndarray:
        """mu_0 of each path: [P, S]."""

    @abstractmethod
    def aggregate(self, mu: np.ndarray, static: np.ndarray, z_t: np.ndarray) -> np.ndarray:
        """The mean-field summary rewards and transitions depend on: [P, n_agg]."""

    @abstractmethod
    def _observation(self, agg: np.ndarray, static: np.ndarray, z_t: np.ndarray) -> np.ndarray:
        """Shared observation without time: [P, len(base_obs_names)]."""

    def observation(self, agg: np.ndarray, static: np.ndarray, z_t: np.ndarray, t: int) -> np.ndarray:
        """Shared observation of period t (natural units; time t in periods if observed): [P, obs_dim]."""
        obs = self._observation(agg, static, z_t)
        if self.params.observe_time:
            obs = np.concatenate([obs, np.full((obs.shape[0], 1), float(t))], axis=1)
        return obs

    @abstractmethod
    def noise_rows(self, static: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Idiosyncratic-noise rows of each path: (nidx [P, S, K2] int64, nw [P, S, K2])."""

    def decision_rows(
        self,
        agg: np.ndarray,
        static: np.ndarray,
        z_t: np.ndarray,
        t: int,
        out: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Decision rows of period t: (didx [P, S, A, K1] int64, dw [P, S, A, K1]).

        ``out`` (from :meth:`row_buffers`) is filled in place: large games reuse
        the same buffers every period instead of allocating fresh memory.
        """
        if out is None:
            out = self.row_buffers(agg.shape[0])
        self._fill_decision_rows(agg, static, z_t, t, out[0], out[1])
        return out

    def reward_table(
        self,
        agg: np.ndarray,
        agg_next: np.ndarray,
        static: np.ndarray,
        z_t: np.ndarray,
        z_next: np.ndarray,
        t: int,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """R_t[p, s, a] (the terminal reward at t = T-1 where the game has one): [P, S, A]."""
        if out is None:
            out = np.empty((agg.shape[0], self.n_states, self.n_actions))
        self._fill_rewards(agg, agg_next, static, z_t, z_next, t, out)
        return out

    def row_buffers(self, n_paths: int) -> tuple[np.ndarray, np.ndarray]:
        """Empty (didx, dw) buffers for :meth:`decision_rows`."""
        shape = (n_paths, self.n_states, self.n_actions, self.k_decision)
        return np.empty(shape, dtype=np.int64), np.empty(shape)

    # True for a FusedGame: its rows are computed on the fly by fused kernels instead of stored
    fused: bool = False

    @abstractmethod
    def _fill_decision_rows(self, agg, static, z_t, t, didx, dw) -> None:
        """Write the decision rows of period t into didx, dw."""

    @abstractmethod
    def _fill_rewards(self, agg, agg_next, static, z_t, z_next, t, out) -> None:
        """Write R_t into out [P, S, A]."""

    # ------------------------------------------------------------- sampled agents
    @abstractmethod
    def agent_decisions(
        self, states: np.ndarray, actions: np.ndarray, agg: np.ndarray, static: np.ndarray, z_t: float, t: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Decision rows of N agents in one scenario: (adidx [N, K1], adw [N, K1])."""

    @abstractmethod
    def agent_rewards(
        self,
        states: np.ndarray,
        actions: np.ndarray,
        agg: np.ndarray,
        agg_next: np.ndarray,
        static: np.ndarray,
        z_t: float,
        z_next: float,
        t: int,
    ) -> np.ndarray:
        """Rewards of N agents in one scenario: [N]."""

    def sample_initial_states(self, static: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        """n agents drawn independently from mu_0 (inverse CDF of one uniform each)."""
        mu0 = self.initial_distribution(static.reshape(1, -1))[0]
        cdf = np.cumsum(mu0)
        idx = np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right")
        return np.minimum(idx, self.n_states - 1).astype(np.int64)

    # ------------------------------------------------------------- helpers
    def uniform_policy(self) -> np.ndarray:
        """The uniform policy table [S, A]."""
        return np.full((self.n_states, self.n_actions), 1.0 / self.n_actions)

    def mean_reward(self, mu: np.ndarray, pi: np.ndarray, pi_of_path: np.ndarray, reward: np.ndarray) -> np.ndarray:
        """Population-average reward of each path: sum_s mu(s) sum_a pi(a|s) R(s,a): [P]."""
        return np.einsum("ps,psa,psa->p", mu, pi[pi_of_path], reward)

    def empirical_distribution(self, states: np.ndarray) -> np.ndarray:
        """Histogram of agents over states (sums to 1)."""
        return kernels.histogram(np.ascontiguousarray(states, dtype=np.int64), self.n_states)


class FusedGame(MeanFieldGame):
    """A game whose decision rows are too large to store: the push-forward and the backward
    pass compute them on the fly (``fused`` is True; callers branch on it)."""

    fused: bool = True

    def fused_cache(self, n_paths: int) -> np.ndarray | None:
        """Optional per-period scratch [T, P, ...] the fused push-forward fills for the backward pass."""
        return None

    @abstractmethod
    def pushforward_fused(self, mu, pi, pi_of_path, agg, static, z_t, t, nidx, nw, cache=None) -> np.ndarray:
        """mu_{t+1} without materialising the decision rows; fills ``cache`` if given."""

    @abstractmethod
    def backward_fused(
        self, agg, agg_next, static, z_t, z_next, t, nidx, nw, pi, pi_of_path, values, outs, cache=None
    ) -> None:
        """:func:`~econ_envs.meanfield.kernels.backward_step` without rows in memory.

        ``values`` = (v_pi, v_br, v_na, node, weight) and ``outs`` = (out_pi, out_br, act, q_na, qbar,
        out_na, act_na), as for the generic kernel; ``cache`` is what the push-forward of period t filled.
        """
