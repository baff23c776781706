"""RLlib training for the mean-field games: MFAX's IPPO and RIPPO, and the exact exploitability of a module.

The sampled games (``meanfield/{lq,beach_bar,macro,crowd}-v0``) have N agents that share
one module ``agent``; every agent observes its own state (``game.state_feature_names``)
followed by the shared observation (``game.obs_names``: LQ m_t; beach bar m_t, z_t, b;
macro r_t, w_t; crowd mu_t and t), exactly what MFAX's single-agent learners see.

* :func:`meanfield_ppo_experiment` - **IPPO** (MFAX ``ippo.py``): one shared-parameter PPO
  module, the batched population path (:mod:`econ_envs.rllib.population`) by default, the
  per-agent RLlib path with ``batched=False``.
* :func:`meanfield_recurrent_ppo_experiment` - **RIPPO** (MFAX ``rippo.py``): the same, with
  a GRU over the *shared* observations only, on the per-agent path (RLlib's recurrent
  machinery: state-in columns, sequences of ``max_seq_len``). As in MFAX the individual
  state enters after the GRU, so the hidden state h_t is a function of the common
  observation history o_0..o_t and the policy pi(a | s_t, h_t) is a mean-field policy
  that the exact exploitability can evaluate. (The tax economy's
  :class:`~econ_envs.rllib.modules.RecurrentModule` feeds the agent's whole observation,
  own state included, to its GRU; its memory then differs between agents in the same state
  and is not a mean-field policy, which :func:`module_exploitability` detects and refuses.)
* :func:`meanfield_momd_experiment` - deep Munchausen online mirror descent, see
  :mod:`econ_envs.rllib.munchausen`.

Modules (:class:`MeanFieldPolicyModule`; the Q-network of M-OMD in ``munchausen``) reuse the
SPG/RSPG network :class:`~econ_envs.meanfield.solvers.spg.MeanFieldNet`, MFAX's architecture
and initialisation: a state embedding (an ``Embedding`` of the grid index for the 1-D games,
a linear layer on the normalised (wealth, income) for macro), an embedding of the shared
observation (scaled to [0, 1] by its bounds) - or, recurrent, of a ``GRU(128)`` over it -,
a linear layer to 128, two ReLU layers of 128 and the head. Actor and critic are separate
networks (as MFAX's). The critic's output is multiplied by ``value_scale`` (per game, the
order of magnitude of an episode's return), and the builders set PPO's ``vf_loss_coeff`` to
``0.5 / value_scale**2``: the value loss is then 0.5 (V/scale - R/scale)^2, on the same
scale as the policy loss under the shared global-norm gradient clip.

Differences from MFAX, on purpose: the sampled population *is* the learners (N agents
acting with the current stochastic policy in one sampled game per episode) instead of a
frozen mean-field sequence of 10,000 greedy agents plus separate representative agents;
one optimiser per module (RLlib's) for actor and critic, with the scaled value loss above
instead of two Adam optimisers; no learning-rate annealing (MFAX's schedule is counted in
the wrong unit, its notes say, and reaches 10 % within the first few iterations).

:func:`module_exploitability` turns any of these modules into a
:class:`~econ_envs.meanfield.policies.MeanFieldPolicy` - the module's categorical
distribution at every state of the grid, given each common-noise path's shared
observations (and, for recurrent modules, the hidden state carried along the path) - and
computes its exact exploitability on the push-forward model; ``greedy=True`` scores the
deterministic argmax policy instead. :func:`evaluate_meanfield` is the ``econ-envs
evaluate`` evaluator of the mean-field env ids.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from ray.rllib.core.columns import Columns
from ray.rllib.core.rl_module.apis.value_function_api import ValueFunctionAPI
from ray.rllib.core.rl_module.rl_module import RLModuleSpec
from ray.rllib.core.rl_module.torch import TorchRLModule

from econ_envs.core.progress import Progress
from econ_envs.meanfield.exploitability import ExploitabilityResult, exploitability
from econ_envs.meanfield.games import game_class
from econ_envs.meanfield.games.base import MeanFieldGame, Paths
from econ_envs.meanfield.policies import validate_tables
from econ_envs.meanfield.solvers.spg import MeanFieldNet, ObsNormaliser, normalised_state_features

# Order of magnitude of an episode's discounted return per agent (the critic's output unit).
VALUE_SCALE = {"lq": 100.0, "beach_bar": 100.0, "macro": 10.0, "crowd": 10.0}
# Sampled agents per game (PPO): the batched path (IPPO) and the per-agent path (RLlib episodes, RIPPO).
N_AGENTS_BATCHED = 1000
N_AGENTS_PER_AGENT = 64
ROLE = "agent"  # the sampled games' only role; every agent maps to the module of this id


# ----------------------------------------------------------------------------------------- games
def resolve_game(game: str, game_params: Mapping[str, Any] | None = None) -> MeanFieldGame:
    """The game ``game`` (``lq``, ``beach_bar``, ``macro``, ``crowd`` or an env id) with ``game_params``.

    An unknown name raises ``ValueError`` listing the games; an unknown or bad parameter raises
    the game's parameter error (naming the field and the valid names or range).
    """
    cls = game_class(game)  # ValueError naming the game and the choices
    return cls(**dict(game_params or {}))


def game_from_config(env_id: str, env_config: Mapping[str, Any]) -> MeanFieldGame:
    """The game behind an RLlib config's ``env`` / ``env_config`` (``n_agents`` dropped)."""
    params = {k: v for k, v in dict(env_config).items() if k != "n_agents"}
    return resolve_game(env_id, params)


def split_overrides(game: str, overrides: Mapping[str, Any], experiment_args: set[str]) -> dict[str, Any]:
    """The game parameters among a config file's ``--set`` overrides; anything else is an error.

    ``experiment_args`` are the builder's own keywords (already taken out by the caller).
    """
    cls = game_class(game)
    fields = set(cls.params_class.field_names())
    unknown = sorted(k for k in overrides if k not in fields)
    if unknown:
        raise TypeError(
            f"unknown setting(s) {unknown} for a {cls.title} experiment; experiment settings: "
            f"{sorted(experiment_args)}; game parameters: {sorted(fields)}"
        )
    return dict(overrides)


# ----------------------------------------------------------------------------------------- modules
class AgentObservation(torch.nn.Module):
    """Splits an agent's observation [..., state_dim + obs_dim] into the state input and the scaled shared part.

    The state input is the grid index (long) for games whose single state feature is the
    index itself (LQ, beach bar, crowd), otherwise the normalised features (macro: geometric
    scaling of wealth and income, as MFAX). The shared observation is scaled to [0, 1] by
    its bounds where they are finite (:class:`~econ_envs.meanfield.solvers.spg.ObsNormaliser`).
    """

    def __init__(self, game: MeanFieldGame):
        super().__init__()
        feats = game.state_features
        self.state_dim = game.state_dim
        self.obs_dim = game.obs_dim
        self.n_states = game.n_states
        self.indexed = feats.shape[1] == 1 and np.array_equal(feats[:, 0], np.arange(game.n_states))
        norm = ObsNormaliser(game)
        self.register_buffer("obs_shift", torch.as_tensor(norm.shift, dtype=torch.float32))
        self.register_buffer("obs_scale", torch.as_tensor(norm.scale, dtype=torch.float32))
        self.macro = game.key == "macro"
        lo, hi = feats.min(axis=0), feats.max(axis=0)
        self.register_buffer("feat_lo", torch.as_tensor(lo, dtype=torch.float32))
        self.register_buffer("feat_hi", torch.as_tensor(hi, dtype=torch.float32))
        # the features normalised_state_features() gives the grid, used by MeanFieldNet's linear embedding
        self.state_features = None if self.indexed else normalised_state_features(game)

    def state_input(self, own: torch.Tensor) -> torch.Tensor:
        if self.indexed:
            return torch.clamp(torch.round(own[..., 0]), 0, self.n_states - 1).long()
        lo, hi = self.feat_lo, self.feat_hi
        if self.macro:  # MFAX's geometric normalisation with pivot max(|lo|, 0.25)
            p = torch.clamp(torch.abs(lo), min=0.25)
            ratio = torch.log((hi + p) / (lo + p))
            u = torch.log((own + p) / (lo + p)) / torch.where(ratio > 1e-9, ratio, torch.ones_like(ratio))
        else:
            u = (own - lo) / torch.where(hi > lo, hi - lo, torch.ones_like(hi))
        return torch.clamp(u, 0.0, 1.0)

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        obs = obs.float()
        own = obs[..., : self.state_dim]
        shared = (obs[..., self.state_dim :] - self.obs_shift) * self.obs_scale
        return self.state_input(own), shared


def agent_head(net: MeanFieldNet, state_in: torch.Tensor, obs_emb: torch.Tensor) -> torch.Tensor:
    """MeanFieldNet's output for one (state, observation embedding) pair per row (not for every state)."""
    x = net.mix_state(net.state_embed(state_in)) + net.mix_obs(obs_emb)
    return net.head(net.body(x))


def _cfg(module: TorchRLModule, key: str, default: Any) -> Any:
    cfg = module.model_config or {}
    return cfg.get(key, default) if isinstance(cfg, dict) else getattr(cfg, key, default)


def module_game(module: TorchRLModule) -> MeanFieldGame:
    """The game a mean-field module was built for (``model_config['game']`` and ``['game_params']``)."""
    name = _cfg(module, "game", None)
    if name is None:
        raise ValueError("a mean-field module needs model_config['game'] (lq, beach_bar, macro or crowd)")
    return resolve_game(name, _cfg(module, "game_params", {}))


def check_spaces(module: TorchRLModule, game: MeanFieldGame) -> None:
    """The module's spaces must be the sampled game's agent spaces."""
    obs, act = module.observation_space, module.action_space
    if not isinstance(act, gym.spaces.Discrete) or int(act.n) != game.n_actions:
        raise ValueError(f"{type(module).__name__} for {game.key}: action space must be Discrete({game.n_actions}), "
                         f"got {act}")  # fmt: skip
    want = game.state_dim + game.obs_dim
    if obs is None or tuple(obs.shape) != (want,):
        raise ValueError(f"{type(module).__name__} for {game.key}: observation must have {want} components "
                         f"({list(game.state_feature_names) + list(game.obs_names)}), got {obs}")  # fmt: skip


class MeanFieldPolicyModule(TorchRLModule, ValueFunctionAPI):
    """Actor-critic for the mean-field games (IPPO; RIPPO with ``recurrent=True``). See the module docstring.

    ``model_config``: ``game``, ``game_params`` (the sampled env's parameters), ``recurrent``
    (default False), ``hidden`` (128), ``embed`` (64), ``value_scale`` (default per game).
    Recurrent state: ``{"pi": h, "vf": h}``, one GRU(hidden) each for actor and critic, both
    fed with the shared observation only.
    """

    def setup(self) -> None:
        game = module_game(self)
        check_spaces(self, game)
        self.recurrent = bool(_cfg(self, "recurrent", False))
        self.hidden = int(_cfg(self, "hidden", 128))
        embed = int(_cfg(self, "embed", 64))
        self.value_scale = float(_cfg(self, "value_scale", VALUE_SCALE[game.key]))
        if not (math.isfinite(self.value_scale) and self.value_scale > 0):
            raise ValueError(f"value_scale must be a positive number, got {self.value_scale!r}")
        self.split = AgentObservation(game)
        feats = self.split.state_features
        S, A, d = game.n_states, game.n_actions, game.obs_dim
        self.pi_net = MeanFieldNet(S, A, d, feats, recurrent=self.recurrent, hidden=self.hidden, embed=embed)
        self.vf_net = MeanFieldNet(S, 1, d, feats, recurrent=self.recurrent, hidden=self.hidden, embed=embed)

    def get_initial_state(self) -> dict[str, torch.Tensor]:
        if not self.recurrent:
            return {}
        return {"pi": torch.zeros(self.hidden), "vf": torch.zeros(self.hidden)}

    def _embed(self, net: MeanFieldNet, shared: torch.Tensor, h: torch.Tensor | None):
        if not self.recurrent:
            return net.obs_embed(shared), None
        emb, h_out = net.obs_features(shared, h.unsqueeze(0).contiguous())
        return emb, h_out.squeeze(0)

    def _inputs(self, batch: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor, bool]:
        obs = batch[Columns.OBS]
        single = self.recurrent and obs.dim() == 2  # one step per row: add a time axis for the GRU
        if single:
            obs = obs.unsqueeze(1)
        state_in, shared = self.split(obs)
        return state_in, shared, single

    def _forward(self, batch: dict[str, Any], **kwargs) -> dict[str, Any]:
        state_in, shared, single = self._inputs(batch)
        h = batch.get(Columns.STATE_IN) if self.recurrent else None
        emb, h_pi = self._embed(self.pi_net, shared, None if h is None else h["pi"])
        logits = agent_head(self.pi_net, state_in, emb)
        out: dict[str, Any] = {}
        if self.recurrent:
            emb_vf, h_vf = self._embed(self.vf_net, shared, h["vf"])
            out[Columns.STATE_OUT] = {"pi": h_pi, "vf": h_vf}
            out[Columns.EMBEDDINGS] = emb_vf.squeeze(1) if single else emb_vf
        out[Columns.ACTION_DIST_INPUTS] = logits.squeeze(1) if single else logits
        return out

    def compute_values(self, batch: dict[str, Any], embeddings: Any = None) -> torch.Tensor:
        state_in, shared, single = self._inputs(batch)
        if embeddings is None:
            h = batch[Columns.STATE_IN]["vf"] if self.recurrent else None
            embeddings, _ = self._embed(self.vf_net, shared, h)
        elif single:
            embeddings = embeddings.unsqueeze(1)
        v = agent_head(self.vf_net, state_in, embeddings).squeeze(-1) * self.value_scale
        return v.squeeze(1) if single else v


def policy_module_spec(game: MeanFieldGame, *, recurrent: bool = False, **model_config: Any) -> RLModuleSpec:
    """The RLModuleSpec of :class:`MeanFieldPolicyModule` for ``game``."""
    cfg = {"game": game.key, "game_params": game_params_dict(game), "recurrent": recurrent, **model_config}
    if recurrent:
        cfg.setdefault("max_seq_len", game.horizon)  # whole episodes are one sequence (BPTT over the horizon)
    return RLModuleSpec(module_class=MeanFieldPolicyModule, model_config=cfg)


def game_params_dict(game: MeanFieldGame) -> dict[str, Any]:
    """The game's parameters that differ from the defaults (what the env_config carries)."""
    defaults = type(game.params)()
    return {k: getattr(game.params, k) for k in game.params.field_names()
            if getattr(game.params, k) != getattr(defaults, k)}  # fmt: skip


# ------------------------------------------------------------------------------- exploitability
def _module_logits(module: Any, obs: np.ndarray, state_in: Any) -> tuple[torch.Tensor, Any]:
    batch: dict[str, Any] = {Columns.OBS: torch.as_tensor(obs, dtype=torch.float32)}
    if state_in is not None:
        batch[Columns.STATE_IN] = state_in
    with torch.no_grad():
        out = module.forward_inference(batch)
    if Columns.ACTION_DIST_INPUTS not in out:
        raise ValueError(f"{type(module).__name__} returns no action distribution inputs (a frozen rule module?); "
                         "only learned categorical policies have an exploitability here")  # fmt: skip
    return out[Columns.ACTION_DIST_INPUTS], out.get(Columns.STATE_OUT)


def _tree_map(fn, tree: Any) -> Any:
    if isinstance(tree, dict):
        return {k: _tree_map(fn, v) for k, v in tree.items()}
    return fn(tree)


def _tree_leaves(tree: Any) -> list[torch.Tensor]:
    if isinstance(tree, dict):
        return [x for v in tree.values() for x in _tree_leaves(v)]
    return [tree]


class ModuleMeanFieldPolicy:
    """An RLModule on the sampled game's agent observations as a mean-field policy (start/step protocol).

    At period t, on every common-noise path, the module is run on the S rows (every individual
    state's features, then the path's shared observation o_t) and its categorical distribution
    (softmax of ``ACTION_DIST_INPUTS``) is the policy table pi_t[S, A]; ``greedy`` puts all the
    mass on the argmax. A stateful module carries its recurrent state along each path (initial
    state at t = 0, the module's ``STATE_OUT`` of the same row afterwards). Its new state must be
    the same for every individual state - memory of the common history only - otherwise the
    policy depends on each agent's own past and no table pi_t[S, A] describes the population:
    that raises ``ValueError``.
    """

    def __init__(self, module: Any, game: MeanFieldGame, *, greedy: bool = False, state_tol: float = 1e-5):
        self.module = module
        self.game = game
        self.greedy = bool(greedy)
        self.state_tol = float(state_tol)
        self.stateful = bool(module.is_stateful())

    def start(self, game: MeanFieldGame, paths: Paths) -> None:
        self.feats = np.asarray(game.state_features, dtype=np.float32)
        self.n_paths = paths.n_paths
        self.state: list[Any] = [None] * paths.n_paths
        if self.stateful:
            init = self.module.get_initial_state()
            S = game.n_states
            self.state = [_tree_map(lambda x: x.unsqueeze(0).expand(S, *x.shape).clone(), init)
                          for _ in range(paths.n_paths)]  # fmt: skip

    def _table(self, logits: torch.Tensor) -> np.ndarray:
        S, A = self.game.n_states, self.game.n_actions
        if tuple(logits.shape) != (S, A):
            raise ValueError(f"the module must give {A} logits per state, got shape {tuple(logits.shape)}")
        if self.greedy:
            table = np.zeros((S, A))
            table[np.arange(S), logits.argmax(dim=-1).numpy()] = 1.0
            return table
        return torch.softmax(logits.double(), dim=-1).numpy()

    def step(self, t: int, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        S = self.game.n_states
        index = np.empty(len(obs), dtype=np.int64)
        tables: list[np.ndarray] = []
        groups: dict[bytes, int] = {}
        for p in range(len(obs)):
            rows = np.concatenate([self.feats, np.broadcast_to(obs[p].astype(np.float32), (S, obs.shape[1]))], axis=1)
            if not self.stateful:  # paths with the same observation share one call
                key = obs[p].tobytes()
                j = groups.get(key)
                if j is None:
                    j = groups[key] = len(tables)
                    tables.append(self._table(_module_logits(self.module, rows, None)[0]))
                index[p] = j
                continue
            logits, state_out = _module_logits(self.module, rows, self.state[p])
            for leaf in _tree_leaves(state_out):
                spread = float((leaf - leaf[:1]).abs().max())
                if spread > self.state_tol:
                    raise ValueError(
                        f"{type(self.module).__name__}'s recurrent state differs between individual states "
                        f"(by {spread:.3g} at t={t}): its memory depends on the agent's own history, so it is not "
                        "a mean-field policy pi(a | s, common history) and has no exact exploitability; feed the "
                        "recurrent core the shared observation only (MeanFieldPolicyModule(recurrent=True))"
                    )
            self.state[p] = state_out
            index[p] = len(tables)
            tables.append(self._table(logits))
        return validate_tables(np.stack(tables), self.game, f"module policy at t={t}"), index


def module_exploitability(
    module: Any,
    game: MeanFieldGame,
    *,
    greedy: bool = False,
    paths: Paths | None = None,
    **kwargs: Any,
) -> ExploitabilityResult:
    """Exact exploitability (push-forward, :func:`econ_envs.meanfield.exploitability`) of a module's policy.

    ``greedy=False`` scores the module's stochastic policy (its categorical distribution),
    ``greedy=True`` the argmax. ``paths`` default: the exact enumeration of the common noise
    where it is finite, else ``n_paths`` (kwargs) sampled paths.
    """
    policy = ModuleMeanFieldPolicy(module, game, greedy=greedy)
    return exploitability(game, policy, paths=paths, **kwargs)


# ----------------------------------------------------------------------------------------- builders
def _check_positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _ppo_experiment(
    *,
    game: str,
    recurrent: bool,
    n_agents: int | None,
    batched: bool | None,
    episodes_per_iteration: int,
    minibatch_size: int | None,
    stop_iters: int,
    seed: int,
    ppo: Mapping[str, Any] | None,
    hidden: int,
    embed: int,
    value_scale: float | None,
    game_params: Mapping[str, Any],
):
    from econ_envs.rllib.experiments import base_config

    g = resolve_game(game, game_params)
    if batched is None:
        batched = not recurrent
    if batched and recurrent:
        raise ValueError("recurrent modules need the per-agent path (batched=False)")
    n = _check_positive_int("n_agents", n_agents if n_agents is not None else
                            (N_AGENTS_BATCHED if batched else N_AGENTS_PER_AGENT))  # fmt: skip
    episodes = _check_positive_int("episodes_per_iteration", episodes_per_iteration)
    scale = VALUE_SCALE[g.key] if value_scale is None else float(value_scale)
    spec = policy_module_spec(g, recurrent=recurrent, hidden=hidden, embed=embed, value_scale=scale)
    T = g.horizon
    settings = {
        "gamma": g.gamma,
        "lr": 1e-3,
        "lambda_": 0.95,
        "clip_param": 0.2,
        "entropy_coeff": 0.01,
        "num_epochs": 2,
        "vf_loss_coeff": 0.5 / scale**2,  # = 0.5 (V/scale - R/scale)^2: see the module docstring
        "vf_clip_param": 1e30,  # RLlib clamps the squared value error here; its default 10 would freeze the critic
        **dict(ppo or {}),
    }
    mb = minibatch_size or max(64, episodes * T * n // 8)  # MFAX: 8 minibatches
    # batched: `episodes` games of T periods sampled side by side; per-agent: one game, `episodes` episodes
    cfg = base_config(
        f"meanfield/{g.key}-v0", {"n_agents": n, **game_params_dict(g)}, {"agent": spec}, {ROLE: "agent"},
        batched=batched, rollout_length=T if batched else T * episodes, minibatch_size=mb, seed=seed,
        ppo=settings, num_envs_per_env_runner=episodes if batched else 1,
    )  # fmt: skip
    return cfg, {"training_iteration": _check_positive_int("stop_iters", stop_iters)}


PPO_ARGS = {"game", "n_agents", "batched", "episodes_per_iteration", "minibatch_size", "stop_iters", "seed", "ppo",
            "hidden", "embed", "value_scale"}  # fmt: skip


def meanfield_ppo_experiment(
    *,
    game: str = "lq",
    n_agents: int | None = None,
    batched: bool | None = None,
    episodes_per_iteration: int = 2,
    minibatch_size: int | None = None,
    stop_iters: int = 100,
    seed: int = 0,
    ppo: Mapping[str, Any] | None = None,
    hidden: int = 128,
    embed: int = 64,
    value_scale: float | None = None,
    **game_params: Any,
):
    """IPPO: N sampled agents of ``game`` share one PPO module (MFAX's network); returns ``(config, stop)``.

    ``batched`` (default True): the population path, ``n_agents`` (default 1,000) agents as rows;
    False: RLlib's per-agent path (default 64 agents). Each iteration samples
    ``episodes_per_iteration`` whole games of T periods. ``game_params`` are the game's parameters
    (``common_noise``, ``horizon``, ...). ``ppo`` overrides the PPO settings (lr 1e-3, entropy 0.01,
    2 epochs of 8 minibatches, gamma = the game's discount).
    """
    params = split_overrides(game, game_params, PPO_ARGS)
    return _ppo_experiment(game=game, recurrent=False, n_agents=n_agents, batched=batched,
                           episodes_per_iteration=episodes_per_iteration, minibatch_size=minibatch_size,
                           stop_iters=stop_iters, seed=seed, ppo=ppo, hidden=hidden, embed=embed,
                           value_scale=value_scale, game_params=params)  # fmt: skip


def meanfield_recurrent_ppo_experiment(
    *,
    game: str = "lq",
    n_agents: int | None = None,
    episodes_per_iteration: int = 2,
    minibatch_size: int | None = None,
    stop_iters: int = 100,
    seed: int = 0,
    ppo: Mapping[str, Any] | None = None,
    hidden: int = 128,
    embed: int = 64,
    value_scale: float | None = None,
    **game_params: Any,
):
    """RIPPO: a GRU over the shared observations, on the per-agent path (default 64 agents); ``(config, stop)``."""
    params = split_overrides(game, game_params, PPO_ARGS - {"batched"})
    return _ppo_experiment(game=game, recurrent=True, n_agents=n_agents, batched=False,
                           episodes_per_iteration=episodes_per_iteration, minibatch_size=minibatch_size,
                           stop_iters=stop_iters, seed=seed, ppo=ppo, hidden=hidden, embed=embed,
                           value_scale=value_scale, game_params=params)  # fmt: skip


MOMD_ARGS = {"game", "n_agents", "episodes_per_iteration", "minibatch_size", "num_epochs", "stop_iters", "seed", "lr",
             "tau", "alpha", "target_update_every", "hidden", "embed", "value_scale"}  # fmt: skip


def meanfield_momd_experiment(
    *,
    game: str = "lq",
    n_agents: int = 256,
    episodes_per_iteration: int = 2,
    minibatch_size: int = 1024,
    num_epochs: int = 4,
    stop_iters: int = 100,
    seed: int = 0,
    lr: float = 3e-3,
    tau: float | None = None,
    alpha: float = 0.99,
    target_update_every: int = 15,
    hidden: int = 128,
    embed: int = 64,
    value_scale: float | None = None,
    **game_params: Any,
):
    """Deep Munchausen OMD (:mod:`econ_envs.rllib.munchausen`) on the batched population path; ``(config, stop)``.

    Stand-in: RLlib has no mean-field/mirror-descent algorithm; a DQN-style regression
    Learner (:class:`~econ_envs.rllib.munchausen.MunchausenLearner`, Munchausen target with
    the alpha tau ln pi bonus) replaces PPO's loss inside the batched PPO algorithm, whose
    sampling, minibatching, optimiser and checkpoints it reuses. One iteration = one
    mirror-descent step: ``episodes_per_iteration`` games of ``n_agents`` agents playing
    pi_k = softmax(Q_k / tau), then ``num_epochs`` passes of ``minibatch_size`` rows
    regressing Q_{k+1}, the target network refreshed every ``target_update_every`` steps
    (defaults: 2 games of 256 agents, 4 epochs of 1,024 rows, lr 3e-3, a refresh every 15
    steps: about 60 steps and 4 backups per iteration). ``tau`` default: 1 / the exact OMD's
    rate (LQ 100, beach bar 20, macro and crowd 1); ``alpha`` 0.99 (MFAX).
    """
    from econ_envs.rllib.experiments import base_config
    from econ_envs.rllib.munchausen import MunchausenEnvRunner, MunchausenLearner, munchausen_settings, q_module_spec

    params = split_overrides(game, game_params, MOMD_ARGS)
    g = resolve_game(game, params)
    n = _check_positive_int("n_agents", n_agents)
    episodes = _check_positive_int("episodes_per_iteration", episodes_per_iteration)
    mb = _check_positive_int("minibatch_size", minibatch_size)
    epochs = _check_positive_int("num_epochs", num_epochs)
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    scale = VALUE_SCALE[g.key] if value_scale is None else float(value_scale)
    mcfg: dict[str, Any] = {"hidden": hidden, "embed": embed, "value_scale": scale}
    if tau is not None:  # checked here: a module's own error would surface late, inside the Learner's build
        if isinstance(tau, bool) or not isinstance(tau, (int, float)) or not (math.isfinite(tau) and tau > 0):
            raise ValueError(f"tau must be a positive number, got {tau!r}")
        mcfg["tau"] = float(tau)
    settings = munchausen_settings(alpha, target_update_every)
    spec = q_module_spec(g, **mcfg)
    T = g.horizon
    cfg = base_config(
        f"meanfield/{g.key}-v0", {"n_agents": n, **game_params_dict(g)}, {"agent": spec}, {ROLE: "agent"},
        batched=True, rollout_length=T, minibatch_size=min(mb, episodes * T * n), seed=seed,
        ppo={"gamma": g.gamma, "lr": float(lr), "num_epochs": epochs, "grad_clip": 1.0, "entropy_coeff": 0.0},
        num_envs_per_env_runner=episodes,
    )  # fmt: skip
    cfg.env_runners(env_runner_cls=MunchausenEnvRunner)
    cfg.learners(learner_class=MunchausenLearner)
    cfg.learner_config_dict = {**(cfg.learner_config_dict or {}), "munchausen": settings}
    return cfg, {"training_iteration": _check_positive_int("stop_iters", stop_iters)}


# ----------------------------------------------------------------------------------------- evaluation
# Baseline solver budgets of the evaluator (iterations); SPG's cost per iteration on macro (about
# 110 s and 4.7 GB on the 2-core VM: every (path, period, state) triple) keeps it off that game.
BASELINE_ITERATIONS = {"fp": 200, "omd": 100, "spg": 200}
SPG_SKIPPED = {"macro": "skipped: SPG on macro takes about 110 s per iteration"}
EVAL_PATHS = 8  # sampled common-noise paths where the noise cannot be enumerated (macro with common noise)
EVAL_SEED0 = 10_000


def _paths(game: MeanFieldGame) -> Paths:
    return game.paths(n_paths=EVAL_PATHS, seed=0)


def sampled_return(module: Any, game: MeanFieldGame, episodes: int, n_agents: int, *, greedy: bool = False) -> float:
    """Mean discounted return per agent of ``module`` in ``episodes`` sampled games of ``n_agents`` agents.

    A Monte-Carlo check of the exact policy value (the same policy, sampled population and noise).
    Stateful modules carry each agent's recurrent state from the module's ``STATE_OUT``.
    """
    import econ_envs
    from econ_envs.rllib.population import module_actions

    env = econ_envs.make(f"meanfield/{game.key}-v0", n_agents=n_agents, params=game.params)
    space = env.roles[ROLE].action_space
    totals = []
    for k in range(episodes):
        env.reset_batch(seed=EVAL_SEED0 + k)
        ret = np.zeros(n_agents)
        disc = 1.0
        state = None
        if module.is_stateful():
            init = module.get_initial_state()
            state = _tree_map(lambda x: x.unsqueeze(0).expand(n_agents, *x.shape).clone(), init)
        while not env.episode_over:
            obs = env.batch_observations()[ROLE]
            if state is None:
                act = module_actions(module, obs, space, explore=not greedy)["env"]
            else:
                logits, state = _module_logits(module, obs, state)
                act = (logits.argmax(-1) if greedy else torch.distributions.Categorical(logits=logits).sample()).numpy()
            res = env.step_batch({ROLE: act})
            ret += disc * np.asarray(res.rewards[ROLE], dtype=np.float64)
            disc *= game.gamma
        totals.append(float(ret.mean()))
    return float(np.mean(totals))


def _row(name: str, res: Any, seconds: float, note: str = "", **extra: Any) -> dict[str, Any]:
    """A comparison row from an ExploitabilityResult or a solver's last CurvePoint (same fields)."""
    expl, na, value = res.exploitability, res.nonanticipative_exploitability, res.policy_value
    return {"policy": name, "exploitability": float(expl),
            "nonanticipative_exploitability": float("nan") if na is None else float(na),
            "policy_value": float(value), "seconds": float(seconds), "note": note, **extra}  # fmt: skip


def meanfield_comparison(
    module: Any,
    game: MeanFieldGame,
    *,
    episodes: int = 0,
    n_agents: int = 1000,
    baselines: tuple[str, ...] = ("fp", "omd", "spg"),
    iterations: Mapping[str, int] | None = None,
    progress: bool = False,
) -> list[dict[str, Any]]:
    """Exact exploitability of ``module`` (stochastic and greedy) next to uniform, FP, OMD and SPG on ``game``.

    Every policy is scored on the same common-noise paths (exact enumeration where finite, else
    :data:`EVAL_PATHS` paths from seed 0). ``episodes`` > 0 adds the learned policy's mean
    discounted return per agent in that many sampled games of ``n_agents`` agents (column
    ``sampled_return``), a Monte-Carlo check of ``policy_value``.
    """
    from econ_envs.meanfield.solvers import fictitious_play, online_mirror_descent
    from econ_envs.meanfield.solvers.spg import structural_policy_gradient

    unknown = sorted(set(baselines) - set(BASELINE_ITERATIONS))
    if unknown:
        raise ValueError(f"unknown baseline(s) {unknown}; choose from {sorted(BASELINE_ITERATIONS)}")
    its = {**BASELINE_ITERATIONS, **dict(iterations or {})}
    paths = _paths(game)
    rows = []
    bar = Progress(3 + len(baselines), f"exploitability on {game.key}", enabled=progress, unit="policies",
                   every_s=0.0)  # fmt: skip

    def say(row: dict[str, Any]) -> None:
        rows.append(row)
        bar.advance(note=f"{row['policy']}: exploitability {row['exploitability']:.6g} ({row['seconds']:.1f} s)")

    for name, greedy in (("learned", False), ("learned (greedy)", True)):
        t0 = time.perf_counter()
        res = module_exploitability(module, game, greedy=greedy, paths=paths)
        extra = {}
        if episodes > 0:
            extra["sampled_return"] = sampled_return(module, game, episodes, n_agents, greedy=greedy)
        say(_row(name, res, time.perf_counter() - t0, "argmax of the learned policy" if greedy else "", **extra))
    t0 = time.perf_counter()
    uniform = np.full((game.n_states, game.n_actions), 1.0 / game.n_actions)
    say(_row("uniform", exploitability(game, uniform, paths=paths), time.perf_counter() - t0))
    kw = {"n_paths": EVAL_PATHS, "seed": 0}
    for b in baselines:
        t0 = time.perf_counter()
        if b == "spg" and game.key in SPG_SKIPPED:
            nan = float("nan")
            say({"policy": "spg", "exploitability": nan, "nonanticipative_exploitability": nan,
                 "policy_value": nan, "seconds": 0.0, "note": SPG_SKIPPED[game.key]})  # fmt: skip
            continue
        if b == "fp":
            res = fictitious_play(game, its["fp"], eval_every=its["fp"], **kw)
        elif b == "omd":
            res = online_mirror_descent(game, its["omd"], eval_every=its["omd"], **kw)
        else:
            res = structural_policy_gradient(game, its["spg"], eval_every=its["spg"], eval_paths=paths, **kw)
        say(_row(b, res.curve[-1], time.perf_counter() - t0, f"{its[b]} iterations"))
    if episodes > 0:  # one column set for every row (the tables index every row by the first row's keys)
        for r in rows:
            r.setdefault("sampled_return", float("nan"))
    return rows


def evaluate_meanfield(algo: Any, episodes: int, out_dir: Path) -> list[dict[str, Any]]:
    """``econ-envs evaluate`` for ``meanfield/*-v0`` checkpoints: exact exploitability against the solvers.

    Writes (besides the standard comparison table) ``exploitability.json``: the game, its
    parameters and the rows. ``episodes`` sampled games check the learned policy's value.
    """
    cfg = algo.config
    env_id = cfg.env
    game = game_from_config(env_id, cfg.env_config)
    mid = cfg.policy_mapping_fn(f"{ROLE}_0", None)
    module = algo.get_module(mid)
    n_agents = int(dict(cfg.env_config).get("n_agents", N_AGENTS_BATCHED))
    rows = meanfield_comparison(module, game, episodes=episodes, n_agents=n_agents, progress=True)
    for r in rows:
        r["game"] = game.key
    with open(Path(out_dir) / "exploitability.json", "w") as f:
        json.dump({"env": env_id, "game": game.key, "game_params": game_params_dict(game), "rows": rows}, f, indent=2,
                  default=lambda o: None if isinstance(o, float) and math.isnan(o) else o)  # fmt: skip
    return rows
