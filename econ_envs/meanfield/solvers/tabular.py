"""Exact tabular solvers: fictitious play and online mirror descent.

Both work on a fixed set of common-noise paths (enumerated when the common
noise has finite support, otherwise sampled) with one policy table per
public-information node (``paths.node``): a policy may depend on the period,
the individual state and the common-noise history the shared observations
reveal (the beach bar's location, whether it closed, the LQ drift's sign), but
not on the future. Each iteration is one exact push-forward of the current
policy, one backward pass (policy evaluation, the non-anticipative best
response the solver uses, and MFAX's anticipative best response for the
reported exploitability), and an update:

* **fictitious play** (Perrin et al. 2020): the new policy is the mixture of
  all best responses so far and the initial policy, weighted by the state
  occupancy each induced (pi_bar = sum_i rho_i pi_i / sum_i rho_i at every node
  and state), so its occupancy is the average occupancy;
* **online mirror descent** (Perolat et al. 2022): y <- y + eta Q^pi (Q of the
  node, averaged over its paths with weights w_p mu_t^p(s)), pi = softmax(y).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from econ_envs.meanfield import kernels
from econ_envs.meanfield.games.base import MeanFieldGame, Paths
from econ_envs.meanfield.policies import NodeTablePolicy
from econ_envs.meanfield.population import Rollout, pushforward_rollout


@dataclass
class CurvePoint:
    """Exploitability of the policy at the start of an iteration."""

    iteration: int
    wall_time_s: float  # solver time spent before this evaluation (evaluations included)
    exploitability: float  # MFAX's anticipative exploitability on the solver's paths
    nonanticipative_exploitability: float
    policy_value: float


@dataclass
class SolverResult:
    """A solver's final policy and its exploitability curve."""

    solver: str
    game: MeanFieldGame
    policy: Any
    curve: list[CurvePoint] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def final_exploitability(self) -> float:
        return self.curve[-1].exploitability


@dataclass
class _Backward:
    v_pi0: np.ndarray
    v_ant0: np.ndarray
    v_na0: np.ndarray
    br_node_actions: np.ndarray | None  # [n_nodes, S] non-anticipative best response per node


def _backward(
    ro: Rollout,
    node_update: Callable[[int, np.ndarray, np.ndarray], None] | None = None,
    need_br: bool = False,
) -> _Backward:
    """Backward pass on a rollout; calls ``node_update(t, q_pi, nodes_t)`` per period (latest first).

    ``q_pi`` is the node-level Q^pi [n_nodes_t, S, A] (mass-weighted over the node's paths)
    and ``nodes_t`` the global ids of those nodes.
    """
    game, paths = ro.game, ro.paths
    T, P, S, A = game.horizon, paths.n_paths, game.n_states, game.n_actions
    nidx, nw = ro.noise
    v_pi = np.zeros((P, S))
    v_ant = np.zeros((P, S))
    v_na = np.zeros((P, S))
    own = np.arange(P, dtype=np.int64)
    rows = game.row_buffers(P)
    reward = np.empty((P, S, A))
    br = np.zeros((paths.n_nodes, S), dtype=np.int64) if need_br else None
    for t in range(T - 1, -1, -1):
        didx, dw = ro.rows(t, out=rows)
        R = ro.reward(t, out=reward)
        pi, pi_of_path = ro.pi[t]
        q_pi = kernels.q_backup(R, didx, dw, nidx, nw, game.gamma, v_pi)
        v_pi = kernels.policy_average(q_pi, pi, pi_of_path)
        q = kernels.q_backup(R, didx, dw, nidx, nw, game.gamma, v_ant)
        v_ant, _ = kernels.best_response_backup(q, own, paths.weight, P)
        q = kernels.q_backup(R, didx, dw, nidx, nw, game.gamma, v_na)
        local = paths.node_local[t]
        n_t = int(paths.n_nodes_at[t])
        v_na, act = kernels.best_response_backup(q, local, paths.weight, n_t)
        nodes_t = np.empty(n_t, dtype=np.int64)
        nodes_t[local] = paths.node[t]
        if br is not None:
            br[paths.node[t]] = act  # identical on every path of a node
        if node_update is not None:
            q_node = kernels.mass_weighted_node_q(q_pi, ro.mu[t], local, paths.weight, n_t)
            node_update(t, q_node, nodes_t)
    return _Backward(v_pi, v_ant, v_na, br)


def _record(res: SolverResult, ro: Rollout, bw: _Backward, iteration: int, start: float, progress) -> None:
    """Append the curve point of this iteration to ``res.curve`` (and report it to ``progress``)."""
    w = ro.paths.weight
    mu0 = ro.mu[0]
    val = float(w @ np.einsum("ps,ps->p", mu0, bw.v_pi0))
    ant = float(w @ np.einsum("ps,ps->p", mu0, bw.v_ant0))
    na = float(w @ np.einsum("ps,ps->p", mu0, bw.v_na0))
    pt = CurvePoint(iteration, time.perf_counter() - start, ant - val, na - val, val)
    res.curve.append(pt)
    if progress is not None:
        progress(pt)


def _node_occupancy(ro: Rollout, mu: np.ndarray) -> np.ndarray:
    """rho[node, s] = sum over the node's paths of w_p mu_t^p(s), for every node (mu: [T+1, P, S])."""
    paths = ro.paths
    out = np.zeros((paths.n_nodes, ro.game.n_states))
    for t in range(ro.game.horizon):
        np.add.at(out, paths.node[t], paths.weight[:, None] * mu[t])
    return out


def _flow_of(ro: Rollout, tables: np.ndarray) -> np.ndarray:
    """State distribution [T+1, P, S] of an agent playing ``tables`` against the rollout's population."""
    game, paths = ro.game, ro.paths
    nidx, nw = ro.noise
    nu = np.empty_like(ro.mu)
    nu[0] = ro.mu[0]
    rows = game.row_buffers(paths.n_paths)
    for t in range(game.horizon):
        didx, dw = ro.rows(t, out=rows)
        nu[t + 1] = kernels.pushforward(nu[t], tables, paths.node[t], didx, dw, nidx, nw)
    return nu


def _check_iterations(iterations: int) -> int:
    if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)) or iterations < 0:
        raise ValueError(f"iterations must be a non-negative integer, got {iterations!r}")
    return int(iterations)


def fictitious_play(
    game: MeanFieldGame,
    iterations: int = 200,
    *,
    paths: Paths | None = None,
    n_paths: int = 8,
    seed: int | None = 0,
    eval_every: int = 1,
    progress: Callable[[CurvePoint], None] | None = None,
) -> SolverResult:
    """Fictitious play with occupancy-weighted averaging of exact best responses.

    Returns the averaged policy (a :class:`NodeTablePolicy` on ``paths``) and the
    exploitability of the average at iterations 0, ``eval_every``, ... and the last.
    """
    iterations = _check_iterations(iterations)
    paths = paths if paths is not None else game.paths(n_paths=n_paths, seed=seed)
    S, A = game.n_states, game.n_actions
    tables = np.full((paths.n_nodes, S, A), 1.0 / A)
    numer = np.zeros_like(tables)
    denom = np.zeros((paths.n_nodes, S))
    res = SolverResult("fp", game, None, settings={"iterations": iterations, "n_paths": paths.n_paths})
    start = time.perf_counter()
    for k in range(iterations + 1):
        pol = NodeTablePolicy(tables, paths, game)
        ro = pushforward_rollout(game, pol, paths, rewards=False)
        if k == 0:  # the initial (uniform) policy enters the average with its own occupancy
            rho = _node_occupancy(ro, ro.mu)
            numer += rho[:, :, None] * tables
            denom += rho
        bw = _backward(ro, need_br=k < iterations)
        if k % eval_every == 0 or k == iterations:
            _record(res, ro, bw, k, start, progress)
        if k == iterations:
            break
        br = np.zeros_like(tables)
        np.put_along_axis(br, bw.br_node_actions[:, :, None], 1.0, axis=2)
        rho = _node_occupancy(ro, _flow_of(ro, br))
        numer += rho[:, :, None] * br
        denom += rho
        safe = denom > 0
        tables = np.where(safe[:, :, None], numer / np.where(safe, denom, 1.0)[:, :, None], tables)
    res.policy = NodeTablePolicy(tables, paths, game)
    return res


DEFAULT_OMD_RATES = {"lq": 0.01, "beach_bar": 0.05, "macro": 1.0, "crowd": 1.0}


def online_mirror_descent(
    game: MeanFieldGame,
    iterations: int = 200,
    *,
    learning_rate: float | None = None,
    paths: Paths | None = None,
    n_paths: int = 8,
    seed: int | None = 0,
    eval_every: int = 1,
    progress: Callable[[CurvePoint], None] | None = None,
) -> SolverResult:
    """Online mirror descent: y += eta Q^pi (node-level, exact), pi = softmax(y), from the uniform policy."""
    iterations = _check_iterations(iterations)
    eta = DEFAULT_OMD_RATES.get(game.key, 0.1) if learning_rate is None else float(learning_rate)
    if not np.isfinite(eta) or eta <= 0:
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
    paths = paths if paths is not None else game.paths(n_paths=n_paths, seed=seed)
    S, A = game.n_states, game.n_actions
    y = np.zeros((paths.n_nodes, S, A))
    tables = np.full((paths.n_nodes, S, A), 1.0 / A)
    res = SolverResult(
        "omd", game, None, settings={"iterations": iterations, "learning_rate": eta, "n_paths": paths.n_paths}
    )
    start = time.perf_counter()

    def update(t: int, q_node: np.ndarray, nodes_t: np.ndarray) -> None:
        y[nodes_t] += eta * q_node

    for k in range(iterations + 1):
        pol = NodeTablePolicy(tables, paths, game)
        ro = pushforward_rollout(game, pol, paths, rewards=False)
        bw = _backward(ro, node_update=update if k < iterations else None)
        if k % eval_every == 0 or k == iterations:
            _record(res, ro, bw, k, start, progress)
        if k == iterations:
            break
        z = y - y.max(axis=2, keepdims=True)
        e = np.exp(z)
        tables = e / e.sum(axis=2, keepdims=True)
    res.policy = NodeTablePolicy(tables, paths, game)
    return res
