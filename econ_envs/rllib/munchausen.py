"""Deep Munchausen online mirror descent (M-OMD) on RLlib's new API stack, for the mean-field games.

RLlib has no mean-field or mirror-descent algorithm, and its DQN samples one replay
buffer across iterations and acts epsilon-greedily - not what OMD needs. M-OMD here is a
DQN-style regression Learner (:class:`MunchausenLearner`) plugged into the batched
population path (:mod:`econ_envs.rllib.population`), so the whole sampled population of
a mean-field game is the data of one iteration:

* **acting** (:class:`MunchausenQModule`): the policy is pi_k = softmax(Q_k / tau), the
  softmax of the accumulated Q (see below); every agent of the sampled population plays it
  (``ACTION_DIST_INPUTS`` = Q / tau, sampled categorically; ``greedy`` evaluation takes the
  argmax). This is OMD's population, the same policy the exploitability scores.
* **one RLlib iteration = one mirror-descent iteration k**: the EnvRunner
  (:class:`MunchausenEnvRunner`) plays whole games with pi_k and adds each row's next
  observation and termination flag; the Learner then freezes Q_k (the network that acted:
  pi_prev = softmax(Q_k / tau)) and regresses Q on the Munchausen target

      y = r + alpha tau ln pi_prev(a|s) + gamma (1 - done) sum_a' pi_prev(a'|s') [Q_tgt(s', a') - tau ln pi_prev(a'|s')]

  (ln pi clipped at ``log_clip`` = ln 1e-6 as in MFAX), with a mean-squared loss over
  ``num_epochs`` passes of minibatches; the target network Q_tgt is a copy of Q refreshed
  at the start of the update and every ``target_update_every`` minibatch steps.
* **why it is mirror descent**: the fixed point of that regression is
  Q_{k+1} = q^{pi_k}_soft + alpha (Q_k - tau logsumexp(Q_k / tau)), so
  pi_{k+1} = softmax(Q_{k+1} / tau) is proportional to pi_k^alpha exp(q^{pi_k} / tau): with
  alpha = 1 exactly OMD's pi_{k+1} = softmax(eta sum_{j<=k} q^{pi_j}) at learning rate
  eta = 1 / tau (Vieillard et al. 2020; Lauriere et al. 2022). The default tau is
  1 / the exact tabular OMD's rate for the game (:data:`DEFAULT_OMD_RATES`), alpha 0.99.

Differences from MFAX's ``m_omd.py``, on purpose: the population that generates the data
plays pi_k itself (MFAX: a frozen mean-field sequence of greedy argmax-Q agents, with
epsilon-greedy representative agents); each iteration's data are that iteration's
samples only (MFAX resets its replay buffer every iteration too, but fills it over
several target periods); tau defaults to the exact OMD's step (MFAX: tau 0.05, which on
games with rewards of order 10-100 makes pi almost greedy).
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from ray.rllib.algorithms.ppo.torch.ppo_torch_learner import PPOTorchLearner
from ray.rllib.core.columns import Columns
from ray.rllib.core.learner.learner import POLICY_LOSS_KEY
from ray.rllib.core.rl_module.apis.value_function_api import ValueFunctionAPI
from ray.rllib.core.rl_module.rl_module import RLModuleSpec
from ray.rllib.core.rl_module.torch import TorchRLModule

from econ_envs.meanfield.games.base import MeanFieldGame
from econ_envs.meanfield.solvers.spg import MeanFieldNet
from econ_envs.meanfield.solvers.tabular import DEFAULT_OMD_RATES
from econ_envs.rllib.meanfield import (
    VALUE_SCALE,
    AgentObservation,
    _cfg,
    agent_head,
    check_spaces,
    game_params_dict,
    module_game,
)
from econ_envs.rllib.population import PopulationEnvRunner

QF_PREDS = "qf_preds"
LOG_CLIP = math.log(1e-6)  # MFAX clips ln pi at pi >= 1e-6


def default_tau(game: MeanFieldGame) -> float:
    """tau = 1 / eta of the exact tabular OMD on ``game`` (pi_{k+1} ~ pi_k exp(q / tau))."""
    return 1.0 / DEFAULT_OMD_RATES.get(game.key, 0.1)


class MunchausenQModule(TorchRLModule, ValueFunctionAPI):
    """Q-network of M-OMD on the sampled game's agent observations; acts with softmax(Q / tau).

    ``model_config``: ``game``, ``game_params``, ``tau`` (default :func:`default_tau`), ``hidden``
    (128), ``embed`` (64), ``value_scale`` (the Q unit, default per game). The network is
    MFAX's (:class:`~econ_envs.meanfield.solvers.spg.MeanFieldNet`, non-recurrent) with one
    output per action, multiplied by ``value_scale``. ``compute_values`` is the soft value
    tau logsumexp(Q / tau) (the population runner asks every module for values).
    """

    def setup(self) -> None:
        game = module_game(self)
        check_spaces(self, game)
        self.tau = float(_cfg(self, "tau", default_tau(game)))
        self.value_scale = float(_cfg(self, "value_scale", VALUE_SCALE[game.key]))
        for name, v in (("tau", self.tau), ("value_scale", self.value_scale)):
            if not (math.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be a positive number, got {v!r}")
        hidden, embed = int(_cfg(self, "hidden", 128)), int(_cfg(self, "embed", 64))
        self.split = AgentObservation(game)
        self.q_net = MeanFieldNet(game.n_states, game.n_actions, game.obs_dim, self.split.state_features,
                                  recurrent=False, hidden=hidden, embed=embed)  # fmt: skip

    def q_values(self, obs: torch.Tensor, net: MeanFieldNet | None = None) -> torch.Tensor:
        """Q(obs, .) [B, A] of the module's network, or of ``net`` (a frozen copy of it)."""
        state_in, shared = self.split(obs)
        net = self.q_net if net is None else net
        return agent_head(net, state_in, net.obs_embed(shared)) * self.value_scale

    def _forward(self, batch: dict[str, Any], **kwargs) -> dict[str, Any]:
        q = self.q_values(batch[Columns.OBS])
        return {QF_PREDS: q, Columns.ACTION_DIST_INPUTS: q / self.tau}

    def compute_values(self, batch: dict[str, Any], embeddings: Any = None) -> torch.Tensor:
        q = self.q_values(batch[Columns.OBS])
        return self.tau * torch.logsumexp(q / self.tau, dim=-1)


def q_module_spec(game: MeanFieldGame, **model_config: Any) -> RLModuleSpec:
    """The RLModuleSpec of :class:`MunchausenQModule` for ``game``."""
    cfg = {"game": game.key, "game_params": game_params_dict(game), **model_config}
    return RLModuleSpec(module_class=MunchausenQModule, model_config=cfg)


class MunchausenEnvRunner(PopulationEnvRunner):
    """The population runner, adding each row's next observation and termination flag.

    Rows come agent-major per episode chunk, [agent 0: steps 0..L-1, bootstrap row, agent 1:
    ...], the bootstrap row (LOSS_MASK False) holding the observation after the chunk's last
    step; so row i's next observation is row i + 1, and the chunk's last step is terminal if
    the chunk ended in a termination. The columns travel with the rows through shuffling.
    """

    def _segment(
        self, buf, final_obs, res, slots, trainable, horizon_terminal=False
    ) -> dict[str, dict[str, np.ndarray]]:
        out = super()._segment(buf, final_obs, res, slots, trainable, horizon_terminal)
        role_of = {mid: name for name, mid, _rows in slots}
        for mid, cols in out.items():
            ends = res.role_ends(role_of[mid])
            terminated = ends[0] or (ends[1] and horizon_terminal)
            obs, mask = cols[Columns.OBS], cols[Columns.LOSS_MASK]
            nxt = np.empty_like(obs)
            nxt[:-1] = obs[1:]
            nxt[-1] = obs[-1]  # the last row is a bootstrap row (masked out)
            term = np.zeros(len(mask), dtype=bool)
            term[np.flatnonzero(~mask) - 1] = bool(terminated)
            cols[Columns.NEXT_OBS] = nxt
            cols[Columns.TERMINATEDS] = term
        return out


def munchausen_settings(alpha: float, target_update_every: int, log_clip: float = LOG_CLIP) -> dict:
    """The Learner's M-OMD settings (``learner_config_dict['munchausen']``), checked (tau is the module's)."""
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not (0.0 <= float(alpha) <= 1.0):
        raise ValueError(f"alpha must be in [0, 1], got {alpha!r}")
    if isinstance(target_update_every, bool) or not isinstance(target_update_every, int) or target_update_every < 1:
        raise ValueError(f"target_update_every must be a positive integer, got {target_update_every!r}")
    if not (math.isfinite(float(log_clip)) and log_clip < 0):
        raise ValueError(f"log_clip must be a negative number, got {log_clip!r}")
    return {"alpha": float(alpha), "target_update_every": int(target_update_every), "log_clip": float(log_clip)}


class MunchausenLearner(PPOTorchLearner):
    """Regresses Q on the Munchausen target (see the module docstring); one ``update`` = one OMD iteration.

    A PPO Torch Learner only so that the batched population algorithm (a PPO subclass) drives
    it unchanged: its loss is replaced, its optimiser (Adam on the Q-network, global-norm
    clip ``grad_clip``) and learning rate are PPO's settings. ``before_gradient_based_update``
    (once per ``update`` call, i.e. per iteration, before any step) freezes pi_prev and the
    target network; the target is refreshed every ``target_update_every`` minibatch steps.
    Metrics: ``qf_loss`` (also under ``policy_loss`` for generic tooling), ``td_error_abs``,
    ``q_mean``, ``policy_entropy`` (of pi_prev on the batch), ``munchausen_bonus``.
    """

    def build(self) -> None:
        super().build()
        self._prev: dict[str, torch.nn.Module] = {}
        self._target: dict[str, torch.nn.Module] = {}
        self._steps: dict[str, int] = {}

    def _settings(self) -> dict[str, float]:
        cfg = (self.config.learner_config_dict or {}).get("munchausen")
        if cfg is None:
            raise ValueError("MunchausenLearner needs learner_config_dict['munchausen'] (alpha, ...): "
                             "build the config with meanfield_momd_experiment")  # fmt: skip
        return cfg

    @staticmethod
    def _frozen(module: MunchausenQModule) -> torch.nn.Module:
        net = copy.deepcopy(module.q_net)
        for p in net.parameters():
            p.requires_grad_(False)
        return net

    def _q_modules(self) -> dict[str, MunchausenQModule]:
        out = {}
        for mid in self.module.keys():
            m = self.module[mid].unwrapped()
            if isinstance(m, MunchausenQModule):
                out[mid] = m
        return out

    def before_gradient_based_update(self, *, timesteps: dict[str, Any]) -> None:
        super().before_gradient_based_update(timesteps=timesteps)
        for mid, m in self._q_modules().items():
            self._prev[mid] = self._frozen(m)
            self._target[mid] = self._frozen(m)
            self._steps[mid] = 0

    def configure_optimizers_for_module(self, module_id: str, config: Any = None) -> None:
        module = self.module[module_id].unwrapped()
        if not isinstance(module, MunchausenQModule):
            return super().configure_optimizers_for_module(module_id, config)
        params = list(module.q_net.parameters())
        self.register_optimizer(module_id=module_id, optimizer=torch.optim.Adam(params), params=params,
                                lr_or_lr_schedule=config.lr)  # fmt: skip

    def compute_loss_for_module(self, *, module_id: str, config: Any, batch: dict[str, Any], fwd_out: dict) -> Any:
        module = self.module[module_id].unwrapped()
        if not isinstance(module, MunchausenQModule):
            raise TypeError(f"MunchausenLearner trains MunchausenQModule only; module {module_id!r} is "
                            f"{type(module).__name__}")  # fmt: skip
        s = self._settings()
        tau, alpha, clip = module.tau, s["alpha"], s["log_clip"]
        if module_id not in self._prev:  # an update that did not go through update() (should not happen)
            self._prev[module_id] = self._frozen(module)
            self._target[module_id] = self._frozen(module)
            self._steps[module_id] = 0
        if self._steps[module_id] and self._steps[module_id] % int(s["target_update_every"]) == 0:
            self._target[module_id] = self._frozen(module)
        self._steps[module_id] += 1

        q = fwd_out[QF_PREDS]
        actions = batch[Columns.ACTIONS].long()
        q_sa = q.gather(1, actions[:, None]).squeeze(1)
        with torch.no_grad():
            prev, target = self._prev[module_id], self._target[module_id]
            logpi = torch.clamp(F.log_softmax(module.q_values(batch[Columns.OBS], prev) / tau, dim=-1), min=clip)
            nxt = batch[Columns.NEXT_OBS]
            logpi_next = F.log_softmax(module.q_values(nxt, prev) / tau, dim=-1)
            pi_next = logpi_next.exp()
            q_next = module.q_values(nxt, target)
            soft_next = (pi_next * (q_next - tau * torch.clamp(logpi_next, min=clip))).sum(-1)
            done = batch[Columns.TERMINATEDS].float()
            bonus = alpha * tau * logpi.gather(1, actions[:, None]).squeeze(1)
            y = batch[Columns.REWARDS].float() + bonus + float(config.gamma) * (1.0 - done) * soft_next
        err = q_sa - y
        mask = batch.get(Columns.LOSS_MASK)
        if mask is None:
            mask = torch.ones_like(err, dtype=torch.bool)
        n = torch.clamp(mask.sum(), min=1)
        # squared error in value_scale units: the same scale as the other losses under the global-norm clip
        loss = 0.5 * torch.sum((err / module.value_scale)[mask] ** 2) / n
        with torch.no_grad():
            ent = -(logpi.exp() * logpi).sum(-1)
            self.metrics.log_dict(
                {
                    "qf_loss": loss.item(),
                    POLICY_LOSS_KEY: loss.item(),
                    "td_error_abs": (torch.sum(err.abs()[mask]) / n).item(),
                    "q_mean": (torch.sum(q_sa[mask]) / n).item(),
                    "policy_entropy": (torch.sum(ent[mask]) / n).item(),
                    "munchausen_bonus": (torch.sum(bonus[mask]) / n).item(),
                },
                key=module_id,
                window=1,
            )
        return loss
