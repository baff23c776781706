"""Game-independent numba kernels: the push-forward, backward induction and sampled stepping.

A transition P_t(s'|s,a) is stored as two sparse stages, never as a matrix:

* the *decision* stage ``(s, a) -> s_bar``: ``didx[p, s, a, k]`` with weights
  ``dw[p, s, a, k]`` (K1 entries: 1 for the grid games, 2 for the macro game's
  split of next wealth onto the two neighbouring grid points);
* the *idiosyncratic-noise* stage ``s_bar -> s'``: ``nidx[p, s_bar, k]`` with
  weights ``nw[p, s_bar, k]`` (K2 atoms), which does not depend on the action.

So P_t(s'|s,a) = sum_{k1,k2} dw[s,a,k1] nw[didx[s,a,k1], k2] [nidx[..] = s'], a
sparse row of at most K1*K2 entries, and

* push-forward (scatter):   mu_{t+1}(s') = sum_{s,a} mu_t(s) pi_t(a|s) P_t(s'|s,a)
* expected value (gather):  (P_t v)(s, a) = sum_{k1} dw W[didx],  W(s_bar) = sum_{k2} nw v[nidx]

each costing O(S A K1 + S K2) per path and step. The leading axis ``p`` runs
over common-noise paths. Policies are stacks ``pi[n_pi, S, A]`` with
``pi_of_path[p]`` naming the stack entry path p uses (a table shared by every
path is one entry). No randomness happens here: uniform draws come in as arrays.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def apply_noise(mid, nidx, nw, p, out_row):
    """out_row[s'] += sum over sb of mid[sb] * (idiosyncratic-noise row of sb at path p)."""
    k2 = nidx.shape[2]
    for sb in range(mid.shape[0]):
        m = mid[sb]
        if m == 0.0:
            continue
        for k in range(k2):
            out_row[nidx[p, sb, k]] += m * nw[p, sb, k]


@njit(cache=True, inline="always")
def noise_expectations(nidx, nw, p, v_pi, v_br, v_na, do_na, w1, w2, w3):
    """w[sb] = E[v(s') | sb] over the idiosyncratic noise at path p, for V^pi, V* and (if
    ``do_na``) the non-anticipative V*."""
    k2 = nidx.shape[2]
    for sb in range(w1.shape[0]):
        a1 = 0.0
        a2 = 0.0
        a3 = 0.0
        for k in range(k2):
            i = nidx[p, sb, k]
            wt = nw[p, sb, k]
            a1 += wt * v_pi[p, i]
            a2 += wt * v_br[p, i]
            if do_na:
                a3 += wt * v_na[p, i]
        w1[sb] = a1
        w2[sb] = a2
        w3[sb] = a3


@njit(cache=True, error_model="numpy")
def pushforward(mu, pi, pi_of_path, didx, dw, nidx, nw):
    """mu_{t+1}[p] = A_t^T mu_t[p] for every path (scatter over sparse rows)."""
    n_paths, n_states = mu.shape
    n_actions = pi.shape[2]
    k1 = didx.shape[3]
    out = np.zeros((n_paths, n_states))
    mid = np.empty(n_states)
    for p in range(n_paths):
        mid[:] = 0.0
        q = pi_of_path[p]
        for s in range(n_states):
            m = mu[p, s]
            if m == 0.0:
                continue
            for a in range(n_actions):
                ma = m * pi[q, s, a]
                if ma == 0.0:
                    continue
                for k in range(k1):
                    mid[didx[p, s, a, k]] += ma * dw[p, s, a, k]
        apply_noise(mid, nidx, nw, p, out[p])
    return out


@njit(cache=True, error_model="numpy")
def q_backup(reward, didx, dw, nidx, nw, gamma, v_next):
    """Q[p, s, a] = R[p, s, a] + gamma * sum_s' P_t(s'|s,a) v_next[p, s'] (gather over sparse rows)."""
    n_paths, n_states, n_actions = reward.shape
    k1 = didx.shape[3]
    k2 = nidx.shape[2]
    q = np.empty((n_paths, n_states, n_actions))
    w = np.empty(n_states)
    for p in range(n_paths):
        for sb in range(n_states):
            acc = 0.0
            for k in range(k2):
                acc += nw[p, sb, k] * v_next[p, nidx[p, sb, k]]
            w[sb] = acc
        for s in range(n_states):
            for a in range(n_actions):
                acc = 0.0
                for k in range(k1):
                    acc += dw[p, s, a, k] * w[didx[p, s, a, k]]
                q[p, s, a] = reward[p, s, a] + gamma * acc
    return q


@njit(cache=True, error_model="numpy")
def policy_average(q, pi, pi_of_path):
    """V[p, s] = sum_a pi(a|s) Q[p, s, a]."""
    n_paths, n_states, n_actions = q.shape
    v = np.empty((n_paths, n_states))
    for p in range(n_paths):
        j = pi_of_path[p]
        for s in range(n_states):
            acc = 0.0
            for a in range(n_actions):
                acc += pi[j, s, a] * q[p, s, a]
            v[p, s] = acc
    return v


@njit(cache=True, error_model="numpy")
def node_best_response(q, node, weight, qbar, v_out, act_out):
    """Best response that may only condition on the information node of each path (in place).

    For every node g (paths sharing the same public history), the action is
    argmax_a sum_{p in g} weight[p] Q[p, s, a] (first maximiser on ties), and each
    path keeps its own continuation value V[p, s] = Q[p, s, a*]. With one node per
    path this is the per-path (anticipative) best response. ``qbar`` is a
    [n_nodes, S, A] work buffer; results go to v_out [P, S] and act_out [P, S].
    """
    n_paths, n_states, n_actions = q.shape
    qbar[:, :, :] = 0.0
    for p in range(n_paths):
        g = node[p]
        wp = weight[p]
        for s in range(n_states):
            for a in range(n_actions):
                qbar[g, s, a] += wp * q[p, s, a]
    for p in range(n_paths):
        g = node[p]
        for s in range(n_states):
            b = 0
            bv = qbar[g, s, 0]
            for a in range(1, n_actions):
                if qbar[g, s, a] > bv:
                    bv = qbar[g, s, a]
                    b = a
            act_out[p, s] = b
            v_out[p, s] = q[p, s, b]


def best_response_backup(q: np.ndarray, node: np.ndarray, weight: np.ndarray, n_nodes: int):
    """Allocating wrapper of :func:`node_best_response`: returns (V [P, S], a* [P, S])."""
    n_paths, n_states, n_actions = q.shape
    v = np.empty((n_paths, n_states))
    act = np.empty((n_paths, n_states), dtype=np.int64)
    node_best_response(q, node, weight, np.empty((n_nodes, n_states, n_actions)), v, act)
    return v, act


@njit(cache=True, error_model="numpy")
def backward_step(
    reward, didx, dw, nidx, nw, gamma, pi, pi_of_path, v_pi, v_br, v_na, node, weight,
    out_pi, out_br, act, q_na, qbar, out_na, act_na,
):  # fmt: skip
    """One period of the three backward recursions in a single pass over the sparse rows (in place).

    Writes V^pi_t to out_pi, the anticipative V*_t and its actions to out_br/act, and -
    when ``q_na`` has P rows (pass empty [0, S, A] arrays to skip it) - the
    non-anticipative V*_t to out_na (node rule of :func:`node_best_response`, work
    buffer qbar [n_nodes, S, A]).
    """
    n_paths, n_states, n_actions = reward.shape
    k1 = didx.shape[3]
    do_na = q_na.shape[0] == n_paths
    w1 = np.empty(n_states)
    w2 = np.empty(n_states)
    w3 = np.zeros(n_states)
    for p in range(n_paths):
        noise_expectations(nidx, nw, p, v_pi, v_br, v_na, do_na, w1, w2, w3)
        j = pi_of_path[p]
        for s in range(n_states):
            acc = 0.0
            best = 0.0
            b = 0
            for a in range(n_actions):
                e1 = 0.0
                e2 = 0.0
                e3 = 0.0
                for k in range(k1):
                    i = didx[p, s, a, k]
                    wt = dw[p, s, a, k]
                    e1 += wt * w1[i]
                    e2 += wt * w2[i]
                    e3 += wt * w3[i]
                r = reward[p, s, a]
                acc += pi[j, s, a] * (r + gamma * e1)
                q = r + gamma * e2
                if a == 0 or q > best:
                    best = q
                    b = a
                if do_na:
                    q_na[p, s, a] = r + gamma * e3
            out_pi[p, s] = acc
            out_br[p, s] = best
            act[p, s] = b
    if do_na:
        node_best_response(q_na, node, weight, qbar, out_na, act_na)


@njit(cache=True, error_model="numpy")
def node_average(x, node, weight, n_nodes):
    """Weighted average of per-path arrays x[p, ...] (flattened to [P, n]) within each node."""
    n_paths, n = x.shape
    out = np.zeros((n_nodes, n))
    tot = np.zeros(n_nodes)
    for p in range(n_paths):
        g = node[p]
        tot[g] += weight[p]
        for i in range(n):
            out[g, i] += weight[p] * x[p, i]
    for g in range(n_nodes):
        if tot[g] > 0.0:
            for i in range(n):
                out[g, i] /= tot[g]
    return out


@njit(cache=True, error_model="numpy")
def mass_weighted_node_q(q, mu, node, weight, n_nodes):
    """Q of each node: sum_p w_p mu_p(s) Q_p(s,a) / sum_p w_p mu_p(s) (plain w_p average where no mass)."""
    n_paths, n_states, n_actions = q.shape
    num = np.zeros((n_nodes, n_states, n_actions))
    den = np.zeros((n_nodes, n_states))
    plain = np.zeros((n_nodes, n_states, n_actions))
    wsum = np.zeros(n_nodes)
    for p in range(n_paths):
        g = node[p]
        wp = weight[p]
        wsum[g] += wp
        for s in range(n_states):
            m = wp * mu[p, s]
            den[g, s] += m
            for a in range(n_actions):
                num[g, s, a] += m * q[p, s, a]
                plain[g, s, a] += wp * q[p, s, a]
    for g in range(n_nodes):
        for s in range(n_states):
            if den[g, s] > 1e-300:
                for a in range(n_actions):
                    num[g, s, a] /= den[g, s]
            elif wsum[g] > 0.0:
                for a in range(n_actions):
                    num[g, s, a] = plain[g, s, a] / wsum[g]
    return num


@njit(cache=True, error_model="numpy")
def check_tables(pi, tol):
    """First (entry, state) whose row is not a probability distribution, or (-1, -1).

    A row fails if any entry is NaN/inf or below -tol, or if it sums to more than
    tol away from 1. Returns (entry, state, code) with code 1 = not finite,
    2 = negative, 3 = wrong sum.
    """
    n, n_states, n_actions = pi.shape
    for j in range(n):
        for s in range(n_states):
            tot = 0.0
            for a in range(n_actions):
                x = pi[j, s, a]
                if not np.isfinite(x):
                    return j, s, 1
                if x < -tol:
                    return j, s, 2
                tot += x
            if abs(tot - 1.0) > tol:
                return j, s, 3
    return -1, -1, 0


@njit(cache=True, error_model="numpy")
def clean_tables(pi):
    """Clip tiny negatives to 0 and renormalise every row exactly (after :func:`check_tables`)."""
    n, n_states, n_actions = pi.shape
    out = np.empty((n, n_states, n_actions))
    for j in range(n):
        for s in range(n_states):
            tot = 0.0
            for a in range(n_actions):
                x = pi[j, s, a]
                x = x if x > 0.0 else 0.0
                out[j, s, a] = x
                tot += x
            for a in range(n_actions):
                out[j, s, a] /= tot
    return out


@njit(cache=True, inline="always")
def _invert(weights, u):
    """Index k of the first cumulative weight above the uniform ``u`` (the last index if rounding
    leaves the total below u)."""
    c = 0.0
    for k in range(weights.shape[0]):
        c += weights[k]
        if u < c:
            return k
    return weights.shape[0] - 1


@njit(cache=True, error_model="numpy")
def sample_rows(pi, states, u):
    """Draw one action per agent from pi[states[i], :] by inversion of the uniform u[i]."""
    n = states.shape[0]
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        out[i] = _invert(pi[states[i]], u[i])
    return out


@njit(cache=True, error_model="numpy")
def sample_next_states(adidx, adw, nidx, nw, u1, u2):
    """Next state of each agent: pick a decision branch with u1, then a noise atom with u2.

    ``adidx``/``adw`` are the agents' own decision rows [N, K1]; ``nidx``/``nw`` the
    noise rows [S, K2] of the agents' scenario. The law is exactly the push-forward's.
    """
    n = adidx.shape[0]
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        sb = adidx[i, _invert(adw[i], u1[i])]
        out[i] = nidx[sb, _invert(nw[sb], u2[i])]
    return out


@njit(cache=True)
def histogram(states, n_states):
    """Empirical distribution of agents over states (sums to 1)."""
    h = np.zeros(n_states)
    n = states.shape[0]
    for i in range(n):
        h[states[i]] += 1.0
    for s in range(n_states):
        h[s] /= n
    return h
