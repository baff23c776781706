"""RLlib RLModules for the economies (torch, new API stack).

* :class:`EconMLPModule` - the default shared-parameter policy of a role: inputs
  pass through ``symlog`` (economic observations span many orders of magnitude),
  an MLP, and a Gaussian (Box actions, in RLlib's normalised [-1, 1] units),
  categorical (Discrete) or multi-categorical (MultiDiscrete) head; a separate
  MLP value function.
* :class:`MeanFieldModule` - a follower that encodes its own state, the leader's
  policy in force and the population summary with three separate encoders
  before a joint trunk (the mean-field policy of DSMFG's households).
* :class:`RecurrentModule` - a GRU over the observation history (RIPPO / the
  AI Economist's LSTM households).
* :class:`FrozenRuleModule` - wraps any rule baseline (a callable from
  observations to actions) so baselines act inside RLlib episodes; it has no
  trainable parameters and must not be in ``policies_to_train``.

``model_config`` keys (all optional): ``hidden`` (list of layer sizes, default
[64, 64]), ``vf_hidden`` (default = ``hidden``), ``activation`` ("tanh" | "relu"),
``inputs`` (list of observation columns the module sees; default all),
``log_std_init`` (initial log standard deviation of Box actions, default -0.5),
``init_action`` (Box actions: the initial mean action in the environment's units; the
policy head's bias is set to it, in RLlib's normalised units, kept 5 % inside the bounds;
default: the middle of the box).
``value_scale`` (the value function predicts ``value_scale`` x its network's output, default 1:
for rewards whose returns run into the hundreds, pair it with ``vf_loss_coeff / value_scale**2``
and ``vf_clip_param * value_scale**2`` so the value loss is that of rewards divided by
``value_scale``; PPO's standardised advantages make the policy loss scale-free anyway).
MeanFieldModule adds ``groups``: ``{"own": [..], "policy": [..], "summary": [..]}``
column lists. RecurrentModule adds ``cell_size`` (default 64).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import torch
from ray.rllib.core.columns import Columns
from ray.rllib.core.distribution.torch.torch_distribution import TorchMultiCategorical
from ray.rllib.core.rl_module.apis.value_function_api import ValueFunctionAPI
from ray.rllib.core.rl_module.torch import TorchRLModule

from econ_envs.core.registry import load_entry_point


def symlog(x: torch.Tensor) -> torch.Tensor:
    """sign(x) log(1 + |x|): keeps small values, compresses wealth-like magnitudes."""
    return torch.sign(x) * torch.log1p(torch.abs(x))


def _mlp(sizes: list[int], activation: str) -> torch.nn.Sequential:
    act = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[activation]
    layers: list[torch.nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        layers.append(act())
    return torch.nn.Sequential(*layers)


def _head_size(space: gym.Space) -> int:
    if isinstance(space, gym.spaces.Box):
        return int(np.prod(space.shape))
    if isinstance(space, gym.spaces.Discrete):
        return int(space.n)
    if isinstance(space, gym.spaces.MultiDiscrete):
        return int(np.sum(space.nvec))
    raise ValueError(f"unsupported action space {space}")


class _EconBase(TorchRLModule, ValueFunctionAPI):
    """Shared pieces: input selection + symlog, action head, distribution classes, value net."""

    def _cfg(self, key: str, default: Any) -> Any:
        cfg = self.model_config or {}
        return cfg.get(key, default) if isinstance(cfg, dict) else getattr(cfg, key, default)

    def _setup_common(self) -> int:
        obs_dim = int(np.prod(self.observation_space.shape))
        inputs = self._cfg("inputs", None)
        self._inputs = None if inputs is None else torch.as_tensor(list(inputs), dtype=torch.long)
        self._in_dim = obs_dim if inputs is None else len(inputs)
        self._activation = self._cfg("activation", "tanh")
        self._hidden = list(self._cfg("hidden", [64, 64]))
        space = self.action_space
        self._box = isinstance(space, gym.spaces.Box)
        self._act_out = _head_size(space)
        if self._box:
            self.log_std = torch.nn.Parameter(torch.full((self._act_out,), float(self._cfg("log_std_init", -0.5))))
        if isinstance(space, gym.spaces.MultiDiscrete):
            self.action_dist_cls = TorchMultiCategorical.get_partial_dist_cls(input_lens=[int(n) for n in space.nvec])
        self._value_scale = float(self._cfg("value_scale", 1.0))
        if not (np.isfinite(self._value_scale) and self._value_scale > 0):
            raise ValueError(f"model_config['value_scale'] must be a positive number, got {self._value_scale!r}")
        vf_hidden = list(self._cfg("vf_hidden", self._hidden))
        self._vf = torch.nn.Sequential(
            _mlp([self._in_dim, *vf_hidden], self._activation),
            torch.nn.Linear(vf_hidden[-1] if vf_hidden else self._in_dim, 1),
        )
        return self._in_dim

    def _init_head(self, head: torch.nn.Linear) -> None:
        """Small initial weights; the bias puts the initial mean action at ``init_action`` (or the middle)."""
        with torch.no_grad():
            head.weight.mul_(0.01)
            head.bias.zero_()
            init = self._cfg("init_action", None)
            if init is None:
                return
            if not self._box:
                raise ValueError("init_action applies to Box action spaces only")
            space = self.action_space
            target = np.asarray(init, dtype=np.float64).reshape(-1)
            if target.size != self._act_out or not np.all(np.isfinite(target)):
                raise ValueError(f"init_action must be {self._act_out} finite numbers, got {list(init)}")
            low = space.low.astype(np.float64)
            high = space.high.astype(np.float64)
            if np.any(target < low) or np.any(target > high):
                raise ValueError(f"init_action {target.tolist()} lies outside the action box [{low}, {high}]")
            norm = 2.0 * (target - low) / np.where(high > low, high - low, 1.0) - 1.0
            head.bias.copy_(torch.as_tensor(np.clip(norm, -0.95, 0.95), dtype=head.bias.dtype))

    def _features(self, obs: torch.Tensor) -> torch.Tensor:
        x = obs.float()
        if self._inputs is not None:
            x = x.index_select(-1, self._inputs.to(x.device))
        return symlog(x)

    def _dist_inputs(self, head_out: torch.Tensor) -> torch.Tensor:
        if self._box:
            log_std = self.log_std.expand_as(head_out)
            return torch.cat([head_out, log_std], dim=-1)
        return head_out

    def compute_values(self, batch: dict[str, Any], embeddings: Any = None) -> torch.Tensor:
        return self._value_scale * self._vf(self._features(batch[Columns.OBS])).squeeze(-1)


class EconMLPModule(_EconBase):
    """Shared-parameter MLP policy for one role (see module docstring)."""

    def setup(self) -> None:
        in_dim = self._setup_common()
        self._pi = _mlp([in_dim, *self._hidden], self._activation)
        self._pi_out = torch.nn.Linear(self._hidden[-1] if self._hidden else in_dim, self._act_out)
        self._init_head(self._pi_out)

    def _forward(self, batch: dict[str, Any], **kwargs) -> dict[str, Any]:
        out = self._pi_out(self._pi(self._features(batch[Columns.OBS])))
        return {Columns.ACTION_DIST_INPUTS: self._dist_inputs(out)}


class MeanFieldModule(_EconBase):
    """Own state, leader policy and population summary, each encoded separately, then a joint head."""

    def setup(self) -> None:
        self._setup_common()
        groups = self._cfg("groups", None)
        if not groups:
            raise ValueError("MeanFieldModule needs model_config['groups'] = {name: [obs columns], ...}")
        self._groups = {k: torch.as_tensor(list(v), dtype=torch.long) for k, v in groups.items()}
        width = int(self._cfg("group_hidden", 32))
        self._encoders = torch.nn.ModuleDict(
            {k: _mlp([len(v), width], self._activation) for k, v in self._groups.items()}
        )
        self._trunk = _mlp([width * len(self._groups), *self._hidden], self._activation)
        self._pi_out = torch.nn.Linear(self._hidden[-1] if self._hidden else width * len(self._groups),
                                       self._act_out)  # fmt: skip
        self._init_head(self._pi_out)

    def _forward(self, batch: dict[str, Any], **kwargs) -> dict[str, Any]:
        x = symlog(batch[Columns.OBS].float())
        parts = [enc(x.index_select(-1, self._groups[k].to(x.device))) for k, enc in self._encoders.items()]
        out = self._pi_out(self._trunk(torch.cat(parts, dim=-1)))
        return {Columns.ACTION_DIST_INPUTS: self._dist_inputs(out)}


class RecurrentModule(_EconBase):
    """A GRU over the observation history; the value function shares the recurrent features."""

    def setup(self) -> None:
        in_dim = self._setup_common()
        self._cell = int(self._cfg("cell_size", 64))
        self._enc = _mlp([in_dim, self._hidden[0] if self._hidden else in_dim], self._activation)
        self._gru = torch.nn.GRU(self._hidden[0] if self._hidden else in_dim, self._cell, batch_first=True)
        self._pi_out = torch.nn.Linear(self._cell, self._act_out)
        self._vf_out = torch.nn.Linear(self._cell, 1)
        self._init_head(self._pi_out)

    def get_initial_state(self) -> dict[str, torch.Tensor]:
        return {"h": torch.zeros(self._cell)}

    def _core(self, batch: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
        obs = batch[Columns.OBS]
        no_time = obs.dim() == 2  # inference/exploration: one step per row
        x = self._enc(self._features(obs))
        if no_time:
            x = x.unsqueeze(1)
        h0 = batch[Columns.STATE_IN]["h"].unsqueeze(0)
        feats, h = self._gru(x, h0.contiguous())
        if no_time:
            feats = feats.squeeze(1)
        return feats, h.squeeze(0)

    def _forward(self, batch: dict[str, Any], **kwargs) -> dict[str, Any]:
        feats, h = self._core(batch)
        out = self._pi_out(feats)
        return {
            Columns.ACTION_DIST_INPUTS: self._dist_inputs(out),
            Columns.STATE_OUT: {"h": h},
            Columns.EMBEDDINGS: feats,
        }

    def compute_values(self, batch: dict[str, Any], embeddings: Any = None) -> torch.Tensor:
        if embeddings is None:
            embeddings, _ = self._core(batch)
        return self._value_scale * self._vf_out(embeddings).squeeze(-1)


class FrozenRuleModule(TorchRLModule, ValueFunctionAPI):
    """A rule baseline acting inside RLlib episodes; never trained.

    ``model_config``: ``factory`` ("module:function") and ``kwargs``; ``factory(**kwargs)``
    returns a callable mapping a batch of observations (numpy, (B, obs_dim)) to actions in
    the environment's units ((B, act_dim) for Box, (B,) indices for Discrete). Box actions are
    returned normalised to [-1, 1], which RLlib unsquashes back to exactly the rule's action.
    """

    def setup(self) -> None:
        cfg = self.model_config or {}
        factory = load_entry_point(cfg["factory"])
        self.rule = factory(**dict(cfg.get("kwargs", {})))
        self._dummy = torch.nn.Parameter(torch.zeros(1), requires_grad=False)  # gives the module a device

    def _actions(self, obs: Any) -> np.ndarray:
        x = obs.detach().cpu().numpy() if isinstance(obs, torch.Tensor) else np.asarray(obs)
        act = np.asarray(self.rule(x))
        space = self.action_space
        if isinstance(space, gym.spaces.Box):
            low = space.low.astype(np.float64)
            high = space.high.astype(np.float64)
            act = np.clip(act, low, high)
            act = 2.0 * (act - low) / np.where(high > low, high - low, 1.0) - 1.0
            return act.astype(np.float32)
        return act.astype(np.int64)

    def _forward(self, batch: dict[str, Any], **kwargs) -> dict[str, Any]:
        return {Columns.ACTIONS: self._actions(batch[Columns.OBS])}

    def _forward_train(self, batch: dict[str, Any], **kwargs) -> dict[str, Any]:
        raise RuntimeError("FrozenRuleModule is a fixed baseline: keep it out of policies_to_train")

    def compute_values(self, batch: dict[str, Any], embeddings: Any = None) -> torch.Tensor:
        return torch.zeros(len(batch[Columns.OBS]))
