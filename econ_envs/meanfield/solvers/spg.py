"""Structural policy gradient (SPG) and its recurrent version (RSPG), in torch.

A neural mean-field policy pi_theta(a | s, o_t) (SPG) or pi_theta(a | s, h_t) with
h_t = GRU(h_{t-1}, o_t) over the shared observations (RSPG) is trained by the
exact gradient of the representative agent's mu_0-weighted value against the
current mean-field flow (Yang et al. 2025; Wibault et al. 2026):

1. roll the exact mean field forward under pi_theta on every common-noise path
   (no gradient: the flow, the observations and the rewards are held fixed);
2. run the backward recursion V_t = sum_a pi_theta(a|s, .) (R_t + gamma P_t V_{t+1})
   in torch, the sparse rows P_t entering as index/weight tensors (gather, never a
   dense matrix), and differentiate -sum_p w_p mu_0^p . V_0^p through it.

Architecture and optimiser follow MFAX's: state embedding (64; an ``Embedding`` for
grid games, a linear layer on normalised (wealth, income) for the macro game),
observation embedding (64), a linear layer to 128, two ReLU layers of 128, a
logit head; RSPG feeds a ``GRU(128)`` embedding (linear 128 of ReLU(h)) instead of
the observation. Adam with global-norm clipping at 1 and a linear decay of the
learning rate to 10 % over the run.

Differences from MFAX, on purpose: where the common noise has finite support
(LQ, beach bar, crowd) every iteration uses the exact enumeration of the paths
instead of 8 sampled ones (an exact gradient); the macro game samples
``n_paths`` fresh paths per iteration as MFAX does. After the rollout, the
policy for every period, path and state is recomputed in one batched forward
pass (the flow is held fixed, so this is the same computation graph).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from econ_envs.meanfield import kernels
from econ_envs.meanfield.exploitability import exploitability
from econ_envs.meanfield.games.base import MeanFieldGame, Paths
from econ_envs.meanfield.solvers.tabular import CurvePoint, SolverResult


def normalised_state_features(game: MeanFieldGame) -> np.ndarray:
    """Individual states scaled to [0, 1] (geometric scaling for the macro grids, as MFAX)."""
    feats = game.state_features
    out = np.empty_like(feats)
    for j in range(feats.shape[1]):
        x = feats[:, j]
        lo, hi = x.min(), x.max()
        if game.key == "macro":
            p = max(abs(lo), 0.25)
            ratio = (hi + p) / (lo + p)
            out[:, j] = np.log((x + p) / (lo + p)) / math.log(ratio) if ratio > 1 + 1e-9 else 0.0
        else:
            out[:, j] = (x - lo) / (hi - lo) if hi > lo else 0.0
    return np.clip(out, 0.0, 1.0)


class ObsNormaliser:
    """Scales each shared-observation component to [0, 1] by its bounds where both are finite."""

    def __init__(self, game: MeanFieldGame):
        lo, hi = game.obs_bounds()
        finite = np.isfinite(lo) & np.isfinite(hi) & (hi > lo)
        self.shift = np.where(finite, lo, 0.0)
        self.scale = np.where(finite, 1.0 / np.where(finite, hi - lo, 1.0), 1.0)

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        return (obs - self.shift) * self.scale


class MeanFieldNet(nn.Module):
    """pi_theta(a | s, o_t) or, with ``recurrent``, pi_theta(a | s, GRU history of o)."""

    def __init__(
        self,
        n_states: int,
        n_actions: int,
        obs_dim: int,
        state_features: np.ndarray | None,
        recurrent: bool = False,
        hidden: int = 128,
        embed: int = 64,
    ):
        super().__init__()
        self.recurrent = recurrent
        if state_features is None:
            self.state_embed: nn.Module = nn.Embedding(n_states, embed)
            self.register_buffer("state_input", torch.arange(n_states))
        else:
            self.state_embed = nn.Linear(state_features.shape[1], embed)
            self.register_buffer("state_input", torch.as_tensor(state_features, dtype=torch.float32))
        if recurrent:
            self.gru = nn.GRU(obs_dim, hidden, batch_first=True)
            self.gru_out = nn.Linear(hidden, hidden)
            self.obs_embed = nn.Linear(hidden, embed)
        else:
            self.obs_embed = nn.Linear(obs_dim, embed)
        self.mix_state = nn.Linear(embed, hidden, bias=False)
        self.mix_obs = nn.Linear(embed, hidden)
        self.body = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.head = nn.Linear(hidden, n_actions)
        self._init_like_mfax()

    def _init_like_mfax(self) -> None:
        """Flax's defaults, as in MFAX: LeCun-normal kernels, zero biases, embeddings N(0, 1/embed)."""
        for m in self.modules():
            if isinstance(m, nn.Linear):
                std = 1.0 / math.sqrt(m.in_features) / 0.87962566103423978  # truncation at 2 sd shrinks the sd
                nn.init.trunc_normal_(m.weight, 0.0, std, -2.0 * std, 2.0 * std)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Embedding):
                nn.init.normal_(m.weight, 0.0, 1.0 / math.sqrt(m.embedding_dim))
        nn.init.normal_(self.head.bias, 0.0, 0.01)

    def obs_features(self, obs: torch.Tensor, h0: torch.Tensor | None = None):
        """obs [P, L, d] -> (embedding [P, L, embed], last hidden state or None)."""
        if self.recurrent:
            out, h = self.gru(obs, h0)
            return self.obs_embed(self.gru_out(torch.relu(out))), h
        return self.obs_embed(obs), None

    def logits(self, obs_emb: torch.Tensor) -> torch.Tensor:
        """obs_emb [..., embed] -> logits [..., S, A] for every state."""
        s = self.mix_state(self.state_embed(self.state_input))  # [S, H]
        o = self.mix_obs(obs_emb)  # [..., H]
        x = o.unsqueeze(-2) + s  # [..., S, H]: the first layer on concat(state, obs), without activation
        return self.head(self.body(x))


class TorchMeanFieldPolicy:
    """An SPG/RSPG network as a :class:`~econ_envs.meanfield.policies.MeanFieldPolicy`."""

    def __init__(self, net: MeanFieldNet, game: MeanFieldGame):
        self.net = net
        self.game = game
        self.norm = ObsNormaliser(game)

    def start(self, game: MeanFieldGame, paths: Paths) -> None:
        self.h = None

    def step(self, t: int, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = torch.as_tensor(self.norm(obs), dtype=torch.float32).unsqueeze(1)  # [P, 1, d]
        with torch.no_grad():
            emb, self.h = self.net.obs_features(x, self.h)
            probs = torch.softmax(self.net.logits(emb[:, 0]).double(), dim=-1)
        return probs.numpy(), np.arange(len(obs), dtype=np.int64)


def _policy_value_loss(
    net: MeanFieldNet,
    game: MeanFieldGame,
    paths: Paths,
    norm: ObsNormaliser,
) -> tuple[torch.Tensor, float]:
    """Roll the exact flow forward, then the differentiable backward recursion; returns (loss, value).

    The rollout runs without gradient tracking; the flow (mu, observations, rewards,
    rows) it produces is held fixed, so the policy of every period, path and state is
    then recomputed in one batched forward pass with gradients (the same values, one
    large graph instead of T small ones).
    """
    T, P, S, A = game.horizon, paths.n_paths, game.n_states, game.n_actions
    static, z = paths.static, paths.z
    mu = np.ascontiguousarray(game.initial_distribution(static))
    mu0 = mu.copy()
    nidx, nw = game.noise_rows(static)
    aggs = [game.aggregate(mu, static, z[:, 0])]
    obs = np.empty((P, T, game.obs_dim))
    own = np.arange(P, dtype=np.int64)
    rows = game.row_buffers(P)
    h = None
    with torch.no_grad():
        for t in range(T):
            obs[:, t] = norm(game.observation(aggs[t], static, z[:, t], t))
            emb, h = net.obs_features(torch.as_tensor(obs[:, t : t + 1], dtype=torch.float32), h)
            pi = torch.softmax(net.logits(emb[:, 0]).double(), dim=-1).numpy()
            pi /= pi.sum(axis=2, keepdims=True)
            if game.fused:
                mu = game.pushforward_fused(mu, pi, own, aggs[t], static, z[:, t], t, nidx, nw)
            else:
                didx, dw = game.decision_rows(aggs[t], static, z[:, t], t, out=rows)
                mu = kernels.pushforward(mu, pi, own, didx, dw, nidx, nw)
            aggs.append(game.aggregate(mu, static, z[:, t + 1]))
    emb, _ = net.obs_features(torch.as_tensor(obs, dtype=torch.float32))
    probs = torch.softmax(net.logits(emb).double(), dim=-1)  # [P, T, S, A], with gradients
    tn_idx = torch.tensor(nidx.reshape(P, -1))
    tn_w = torch.tensor(nw)
    V = torch.zeros(P, S, dtype=torch.float64)
    reward = np.empty((P, S, A))
    for t in range(T - 1, -1, -1):
        didx, dw = game.decision_rows(aggs[t], static, z[:, t], t, out=rows)
        R = torch.tensor(game.reward_table(aggs[t], aggs[t + 1], static, z[:, t], z[:, t + 1], t, out=reward))
        W = (tn_w * V.gather(1, tn_idx).view(P, S, -1)).sum(-1)  # [P, S]
        EV = W.gather(1, torch.tensor(didx.reshape(P, -1))).view(P, S, A, -1)
        EV = (torch.tensor(dw) * EV).sum(-1)
        V = (probs[:, t] * (R + game.gamma * EV)).sum(-1)
    w = torch.tensor(np.array(paths.weight))
    value = (w * (torch.from_numpy(mu0) * V).sum(-1)).sum()
    return -value, float(value.detach())


def structural_policy_gradient(
    game: MeanFieldGame,
    iterations: int = 200,
    *,
    recurrent: bool = False,
    learning_rate: float = 1e-3,
    anneal: bool = True,
    max_grad_norm: float = 1.0,
    n_paths: int = 8,
    seed: int | None = 0,
    eval_every: int = 10,
    eval_paths: Paths | None = None,
    exact: bool | None = None,
    threads: int | None = 1,
    progress: Callable[[CurvePoint], None] | None = None,
) -> SolverResult:
    """Train SPG (``recurrent=False``) or RSPG (``recurrent=True``) and record the exploitability curve.

    The curve's wall time counts training only (evaluations are excluded, as in MFAX's
    ``train_time``); exploitability is MFAX's anticipative one and the
    non-anticipative one on ``eval_paths`` (default: exact enumeration when finite,
    else ``n_paths`` paths from ``seed``). Training uses the exact enumeration of the
    common noise when it is finite (``exact=None`` or ``True``), otherwise (or with
    ``exact=False``, MFAX's protocol) ``n_paths`` fresh sampled paths per iteration.
    """
    if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)) or iterations < 0:
        raise ValueError(f"iterations must be a non-negative integer, got {iterations!r}")
    if not (isinstance(learning_rate, (int, float)) and math.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
    if threads is not None:
        torch.set_num_threads(int(threads))
    torch.manual_seed(0 if seed is None else int(seed))
    rng = np.random.default_rng(seed)
    feats = normalised_state_features(game) if game.key == "macro" else None
    net = MeanFieldNet(game.n_states, game.n_actions, game.obs_dim, feats, recurrent=recurrent)
    opt = torch.optim.Adam(net.parameters(), lr=learning_rate, eps=1e-8)
    norm = ObsNormaliser(game)
    if exact is None:
        exact = game.enumerate_common() is not None
    train_paths = game.paths(exact=True) if exact else None
    eval_paths = eval_paths if eval_paths is not None else game.paths(n_paths=n_paths, seed=seed)
    policy = TorchMeanFieldPolicy(net, game)
    name = "rspg" if recurrent else "spg"
    res = SolverResult(
        name, game, policy,
        settings={"iterations": iterations, "learning_rate": learning_rate, "anneal": anneal,
                  "n_paths": n_paths, "exact_paths": exact, "recurrent": recurrent},
    )  # fmt: skip
    train_time = 0.0

    def evaluate(k: int) -> None:
        r = exploitability(game, policy, paths=eval_paths)
        pt = CurvePoint(k, train_time, r.exploitability, float(r.nonanticipative_exploitability), r.policy_value)
        res.curve.append(pt)
        if progress is not None:
            progress(pt)

    for k in range(iterations + 1):
        if k % eval_every == 0 or k == iterations:
            evaluate(k)
        if k == iterations:
            break
        start = time.perf_counter()
        if anneal and iterations > 0:
            for g in opt.param_groups:
                g["lr"] = learning_rate * (1.0 - 0.9 * k / iterations)
        paths = train_paths if train_paths is not None else game.paths(n_paths=n_paths, seed=rng, exact=False)
        loss, _ = _policy_value_loss(net, game, paths, norm)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), max_grad_norm)
        opt.step()
        train_time += time.perf_counter() - start
    return res


def spg(game: MeanFieldGame, iterations: int = 200, **kwargs: Any) -> SolverResult:
    """Structural policy gradient (memoryless policy on the current shared observation)."""
    return structural_policy_gradient(game, iterations, recurrent=False, **kwargs)


def rspg(game: MeanFieldGame, iterations: int = 200, **kwargs: Any) -> SolverResult:
    """Recurrent structural policy gradient (a GRU over the shared observations)."""
    return structural_policy_gradient(game, iterations, recurrent=True, **kwargs)
