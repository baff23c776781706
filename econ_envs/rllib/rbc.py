"""RLlib training of the AI-Economist real-business-cycle economy (``rbc-v0``).

The original (Curry et al., arXiv:2201.01163; ``ai_economist/real_business_cycle``)
trains one shared policy network per agent type - consumers, firms, government - with
PPO (or plain policy gradient) on a GPU, 128 replicas of 111 agents per update, and a
curriculum. Here RLlib's PPO stands in, on the batched population path
(:mod:`econ_envs.rllib.population`: every agent of a type is a row of one array, K
economies per EnvRunner), with the same structure:

* one shared-parameter module per type (``consumer``, ``firm``, ``government``; an MLP
  with the original's two 128-unit ReLU layers, symlog inputs and a separate value net);
* rewards divided by the original's per-type scales inside the loss (consumer 5,
  firm 30,000, government 1,000: its paper sweep), returns that end at the 10-quarter
  horizon (time is in the observation; the original's returns are reward-to-go with
  gamma 0.9999, no bootstrap), gradients clipped at norm 2 (per parameter tensor, so the
  value net's large early errors cannot shrink the policy's step), PPO clip, entropy
  annealed linearly from a start to a floor after each type starts training (the original's
  schedule, with smaller coefficients and per-type learning rates: see ``DEFAULT_ENTROPY``);
* the original's curriculum (:class:`RBCCurriculum`), as a callback that switches
  the role -> module mapping, the trainable modules (on every Learner and EnvRunner)
  and the annealing parameters of the frozen rule modules and of the EnvRunners'
  economies at the configured iterations:

  1. ``firm_anneal_iters``: consumers learn; firms are a frozen rule sampling uniformly
     in a price x wage box that opens linearly from (1,000 $/unit, 22 $/h) to the whole
     grid (the original's untrained, action-masked firm network); taxes are zero;
  2. ``fixed_tax_iters``: firms (and consumers) learn under fixed (zero) taxes;
  3. ``tax_anneal_iters``: taxes are annealed in - the government is a frozen rule
     sampling uniformly among the tax pairs whose rates are at most a cap rising
     linearly from 0 to 1 (the original's action-range annealing of its untrained
     government; the original does not anneal reward scales);
  4. the government's learnable module takes over and every type trains.

  Throughout, each consumer's disutility of work is multiplied by
  ``1 - exp(-iteration / theta_tau_iters)`` at every reset (the original's labour
  annealing, ``1 - exp(-episode / 10,000)``). Evaluation and best responses use the
  full disutility.

The original's best-response check (``train_bestresponse.py``): from a trained profile,
one type's shared policy keeps training while the other two are frozen; the gain of
that type's mean reward, relative to the improvement achieved during training, is the
type's epsilon (paper Table 3: consumers < 3 %, firms < 10 %, government < 1 %). Here the
improvement in training is measured against the same (trained) opponents: the type's reward
with its trained module minus its reward with a freshly initialised one.
:func:`rbc_best_response` builds that run from a checkpoint (the deviator is a copy,
``<module>__br``, of the type's module; PPO stands in for the original's plain policy
gradient); :func:`government_exact_best_response` adds the government's exact best
response among its 36 fixed tax actions against the learned consumers and firms.

Rules for frozen modules (:func:`make_rule`) read the model's observations, convert
them to the raw layout the rules of :mod:`econ_envs.rbc.policies` expect, and return
the rule's action indices.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from ray.rllib.algorithms.algorithm_config import AlgorithmConfig
from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.callbacks.callbacks import RLlibCallback
from ray.rllib.core.columns import Columns

import econ_envs
from econ_envs.core.progress import Progress
from econ_envs.rbc import kernels as kr
from econ_envs.rbc import policies as P
from econ_envs.rbc.params import RBCParams
from econ_envs.rbc.vector import ROLES, RBCVectorEnv
from econ_envs.rllib.callbacks import EconomyMetrics, set_trainable
from econ_envs.rllib.env import RoleMapping
from econ_envs.rllib.experiments import DEFAULT_PPO, base_config, module_spec
from econ_envs.rllib.modules import FrozenRuleModule
from econ_envs.rllib.population import PopulationEnvRunner, UniformEnd

ENV_ID = "rbc-v0"
RULE_FACTORY = "econ_envs.rllib.rbc:make_rule"

# Per-type entropy (start, floor) and learning rates. The original: entropy 0.5 -> 0.05 and lr 1e-3 for every
# type (government 5e-5 in its code, 5e-4 in the paper) over 200,000 episodes of 128 replicas. In our budget
# (about a thousand iterations of 16 replicas) 0.5 kept the consumers' 12-head policy uniform (entropy 27.65
# of 27.88 after 60 iterations), and with equal rates the firms converged to wage 0 before the consumers
# learned to refuse unpaid work, after which nobody worked (measured in pilot runs). So: consumers learn fast
# with little entropy, firms and the government slowly with more.
DEFAULT_ENTROPY = {"consumer": (0.02, 0.002), "firm": (0.1, 0.03), "government": (0.1, 0.01)}
DEFAULT_LR = {"consumer": 1e-3, "firm": 1e-4, "government": 1e-4}

# The original's per-type reward scales (paper sweep, Table 2): rewards are divided by them in the loss.
REWARD_SCALES = {"consumer": 5.0, "firm": 30_000.0, "government": 1_000.0}

RBC_PPO = {
    **DEFAULT_PPO,
    "lr": 3e-4,
    "gamma": 0.9999,  # the original's (its returns are almost exactly undiscounted reward-to-go)
    "lambda_": 0.95,  # the original uses Monte-Carlo returns (lambda 1); 0.95 learned faster in our short runs
    "clip_param": 0.2,  # paper: 0.1 or 0.2
    "num_epochs": 4,  # the original's ppo_num_updates: 2 or 4
    "grad_clip": 2.0,  # the original's clip_grad_norm
    "grad_clip_by": "norm",  # per tensor: the value net's errors do not rescale the policy's gradient
    "vf_clip_param": 1e6,  # no value-loss clipping (the original uses a Huber loss)
    "vf_loss_coeff": 0.5,
}


def rbc_params(env_config: Mapping[str, Any] | None) -> RBCParams:
    """The :class:`RBCParams` of an ``rbc-v0`` env_config (``preset`` and any field)."""
    return RBCParams.from_kwargs(**dict(env_config or {}))


# ------------------------------------------------------------------------------ observations
def raw_multipliers(params: RBCParams, role: str) -> np.ndarray:
    """Per-column factors m with raw observation = model observation x m (``scaled``/``raw`` modes)."""
    if role not in ROLES:
        raise ValueError(f"unknown rbc role {role!r}; roles are {list(ROLES)}")
    if params.observation_mode == "digits":
        raise ValueError(
            "rbc rule modules and module profiles convert the model's observations to the raw layout; "
            "observation_mode='digits' cannot be converted back - use 'scaled' (default) or 'raw'"
        )
    s = RBCVectorEnv(params, n_replicas=1).obs_scales
    F = params.n_firms
    cols = [s[kr.OS_PRICE]] * F + [s[kr.OS_WAGE]] * F + [s[kr.OS_STOCK]] * F + [1.0] * F + [1.0, 1.0, s[kr.OS_TIME]]
    if role == "consumer":
        cols += [s[kr.OS_CBUDGET], s[kr.OS_THETA]]
    elif role == "firm":
        cols += [s[kr.OS_FBUDGET], s[kr.OS_CAPITAL], 1.0] + [1.0] * F
    return np.asarray(cols, dtype=np.float64)


class ObsConverter:
    """Model observations <-> the raw layout, for one role.

    Prices and wages are snapped back to their grid (or the initial value) after the
    conversion, so rules that compare them behave exactly as on the raw state; the other
    columns carry float32 rounding (relative 1e-7).
    """

    def __init__(self, params: RBCParams, role: str):
        self.params = params
        self.role = role
        self.mult = raw_multipliers(params, role)
        F = params.n_firms
        self.price = slice(0, F)
        self.wage = slice(F, 2 * F)
        self.time = 4 * F + 2
        self.price_grid = np.unique(np.append(np.asarray(params.price_choices, float), params.initial_price))
        self.wage_grid = np.unique(np.append(np.asarray(params.wage_choices, float), params.initial_wage))

    @staticmethod
    def _snap(x: np.ndarray, grid: np.ndarray) -> np.ndarray:
        k = np.clip(np.searchsorted(grid, x), 1, max(1, grid.size - 1)) if grid.size > 1 else np.zeros(x.shape, int)
        lo = grid[np.maximum(k - 1, 0)]
        hi = grid[k]
        near = np.where(np.abs(x - lo) <= np.abs(hi - x), lo, hi)
        return np.where(np.abs(near - x) <= 1e-5 * np.maximum(1.0, np.abs(x)), near, x)

    def to_raw(self, obs: np.ndarray) -> np.ndarray:
        x = np.asarray(obs, dtype=np.float64)
        if x.shape[-1] != self.mult.size:
            raise ValueError(f"{self.role} observations must have {self.mult.size} columns, got shape {x.shape}")
        raw = x * self.mult
        raw[..., self.price] = self._snap(raw[..., self.price], self.price_grid)
        raw[..., self.wage] = self._snap(raw[..., self.wage], self.wage_grid)
        raw[..., self.time] = np.round(raw[..., self.time])
        return raw

    def to_model(self, raw: np.ndarray) -> np.ndarray:
        x = np.asarray(raw, dtype=np.float64)
        if x.shape[-1] != self.mult.size:
            raise ValueError(f"{self.role} raw observations must have {self.mult.size} columns, got shape {x.shape}")
        return (x / self.mult).astype(np.float32)


# ------------------------------------------------------------------------------------ rules
def _tax_table(params: RBCParams) -> np.ndarray:
    inc = np.repeat(np.asarray(params.income_tax_choices, float), len(params.corporate_tax_choices))
    cor = np.tile(np.asarray(params.corporate_tax_choices, float), len(params.income_tax_choices))
    return np.stack([inc, cor], axis=1)  # row k = (income, corporate), k = n_corporate x income_idx + corporate_idx


def _check_progress(value: float) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.integer, np.floating))
        or not (0.0 <= float(value) <= 1.0)
    ):
        raise ValueError(f"annealing progress must be a number in [0, 1], got {value!r}")
    return float(value)


class AnnealedTax:
    """Uniformly random tax pair among those with both rates at most ``progress`` x the top rate.

    At progress 0 only the lowest rates (0, 0) are allowed: the zero taxes of the original's
    first stages; at 1 the whole grid. The original's untrained government network under its
    tax-range mask acts (almost) like this.
    """

    def __init__(self, params: RBCParams, progress: float = 0.0, seed: int = 0):
        self.params = params
        self.table = _tax_table(params)
        self.progress = _check_progress(progress)
        self.rng = np.random.default_rng(seed)
        self.name = "annealed_tax"

    def set_progress(self, value: float) -> None:
        self.progress = _check_progress(value)

    def allowed(self) -> np.ndarray:
        p = self.params
        cap_i = self.progress * max(p.income_tax_choices)
        cap_c = self.progress * max(p.corporate_tax_choices)
        ok = (self.table[:, 0] <= cap_i + 1e-12) & (self.table[:, 1] <= cap_c + 1e-12)
        if not ok.any():  # a grid without a zero rate: its lowest pair
            ok = (self.table[:, 0] == self.table[:, 0].min()) & (self.table[:, 1] == self.table[:, 1].min())
        return np.flatnonzero(ok)

    def __call__(self, obs: Any) -> np.ndarray:
        x = np.asarray(obs)
        if x.ndim < 1 or x.shape[-1] != 4 * self.params.n_firms + 3:
            raise ValueError(f"government rule: raw observations must have {4 * self.params.n_firms + 3} columns")
        return self.rng.choice(self.allowed(), size=x.shape[:-1]).astype(np.int64)


class AnnealedPriceWage:
    """Uniformly random (price, wage) in a box that opens with ``progress`` from (``price``, ``wage``) to the grid.

    price in [p0 - (p0 - p_min) e, p0 + (p_max - p0) e], wage likewise, e = progress: the
    original's firm action mask ([1000 - 1000e, 1000 + 1500e] $/unit, [22 - 22e, 22 + 22e] $/h),
    under which its firms act untrained (almost uniformly) before they start to learn.
    """

    def __init__(self, params: RBCParams, progress: float = 0.0, price: float = 1000.0, wage: float = 22.0,
                 seed: int = 0):  # fmt: skip
        self.params = params
        self.prices = np.asarray(params.price_choices, float)
        self.wages = np.asarray(params.wage_choices, float)
        for name, v, grid in (("price", price, self.prices), ("wage", wage, self.wages)):
            if not np.isfinite(v) or not grid.min() <= v <= grid.max():
                raise ValueError(f"{name} {v!r} must lie within the {name} grid [{grid.min():g}, {grid.max():g}]")
        self.p0, self.w0 = float(price), float(wage)
        self.progress = _check_progress(progress)
        self.rng = np.random.default_rng(seed)
        self.name = "annealed_price_wage"

    def set_progress(self, value: float) -> None:
        self.progress = _check_progress(value)

    @staticmethod
    def _window(grid: np.ndarray, c: float, e: float) -> np.ndarray:
        lo, hi = c - (c - grid.min()) * e, c + (grid.max() - c) * e
        ok = (grid >= lo - 1e-9) & (grid <= hi + 1e-9)
        return np.flatnonzero(ok) if ok.any() else np.array([int(np.argmin(np.abs(grid - c)))])

    def allowed(self) -> np.ndarray:
        pi = self._window(self.prices, self.p0, self.progress)
        wi = self._window(self.wages, self.w0, self.progress)
        nw, nk = self.wages.size, len(self.params.investment_choices)
        return ((pi[:, None] * nw + wi[None, :]) * nk).reshape(-1).astype(np.int64)

    def __call__(self, obs: Any) -> np.ndarray:
        x = np.asarray(obs)
        if x.ndim < 1 or x.shape[-1] != 5 * self.params.n_firms + 6:
            raise ValueError(f"firm rule: raw observations must have {5 * self.params.n_firms + 6} columns")
        return self.rng.choice(self.allowed(), size=x.shape[:-1]).astype(np.int64)


class RandomRule:
    """Uniformly random actions of one role from its own generator."""

    def __init__(self, params: RBCParams, role: str, seed: int = 0):
        self.sampler = P.RandomActions(params, role)
        self.rng = np.random.default_rng(seed)
        self.name = f"random_{role}"

    def __call__(self, obs: Any) -> np.ndarray:
        return self.sampler.sample(np.asarray(obs).shape[:-1], self.rng)


RULES: dict[str, dict[str, Callable[..., Any]]] = {
    "consumer": {"budget_share": P.BudgetShare, "random": lambda params, **kw: RandomRule(params, "consumer", **kw)},
    "firm": {
        "cost_plus": P.CostPlus,
        "fixed_price_wage": P.FixedPriceWage,
        "annealed_price_wage": AnnealedPriceWage,
        "random": lambda params, **kw: RandomRule(params, "firm", **kw),
    },
    "government": {
        "fixed_tax": P.FixedTax,
        "annealed_tax": AnnealedTax,
        "random": lambda params, **kw: RandomRule(params, "government", **kw),
    },
}


class ObsRule:
    """A raw-layout rule acting on the model's observations (what a FrozenRuleModule is given)."""

    def __init__(self, rule: Callable[[np.ndarray], np.ndarray], params: RBCParams, role: str):
        self.rule = rule
        self.params = params
        self.role = role
        self.converter = ObsConverter(params, role)
        self.name = getattr(rule, "name", type(rule).__name__)

    def set_progress(self, value: float) -> None:
        """Set the annealing progress of an annealed rule (raises for the others)."""
        if not hasattr(self.rule, "set_progress"):
            raise ValueError(f"rule {self.name!r} has no annealing progress")
        self.rule.set_progress(value)

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        return np.asarray(self.rule(self.converter.to_raw(obs)))

    def raw(self, raw_obs: np.ndarray) -> np.ndarray:
        """The rule on observations already in the raw layout."""
        return np.asarray(self.rule(raw_obs))


def make_rule(role: str, name: str, env_config: Mapping[str, Any] | None = None, **options: Any) -> ObsRule:
    """A rule of ``role`` acting on ``rbc-v0``'s model observations (the FrozenRuleModule factory).

    ``role``/``name``: consumer ``budget_share`` | ``random``; firm ``cost_plus`` |
    ``fixed_price_wage`` | ``annealed_price_wage`` | ``random``; government ``fixed_tax`` |
    ``annealed_tax`` | ``random``. ``options`` go to the rule (e.g. ``income_tax=0.6``).
    """
    if role not in RULES:
        raise ValueError(f"unknown rbc role {role!r}; roles are {list(RULES)}")
    if name not in RULES[role]:
        raise ValueError(f"unknown {role} rule {name!r}; choose from {sorted(RULES[role])}")
    params = rbc_params(env_config)
    try:
        rule = RULES[role][name](params, **options)
    except TypeError as exc:
        raise ValueError(f"rbc {role} rule {name!r}: bad options {sorted(options)} ({exc})") from None
    return ObsRule(rule, params, role)


def rule_module_spec(role: str, name: str, env_config: Mapping[str, Any], **options: Any):
    """A FrozenRuleModule spec playing ``make_rule(role, name, env_config, **options)``."""
    make_rule(role, name, env_config, **options)  # validate now: a bad name fails here, not in a Ray actor
    return module_spec(f"rule:{name}", factory=RULE_FACTORY,
                       kwargs={"role": role, "name": name, "env_config": dict(env_config), **options})  # fmt: skip


# ---------------------------------------------------------------------------- env runner
class RBCVectorEnvRunner(PopulationEnvRunner):
    """The population EnvRunner with its K economies as the K replicas of one :class:`RBCVectorEnv`.

    The generic runner steps K one-replica economies one after another, calling every module K
    times per quarter; here each module acts once per quarter on all K economies' agents (K x N
    consumer rows), and one numba call steps all replicas. The training columns are the
    generic runner's (its GAE, reward scales and horizon handling, per-module advantage
    standardisation), with the K replicas' agents laid out as one population, replica-major.
    Rule modules act on each replica's raw observations (exactly as the rule on one economy).
    Replicas run in lockstep: all start and end their episodes together.
    """

    def make_env(self) -> None:
        env_id = self.config.env
        if env_id != ENV_ID:
            raise ValueError(f"RBCVectorEnvRunner steps {ENV_ID!r} only, got config.env={env_id!r}")
        cfg = dict(self.config.env_config or {})
        self.env = econ_envs.make(env_id, **cfg)  # one replica: roles and spaces
        self.envs = [self.env]
        self.venv = RBCVectorEnv(self.env.params, n_replicas=self.num_envs)
        self._needs_reset = [True]
        self._vec_returns: list[dict[str, float]] = []

    def _reset_vector(self) -> None:
        K = self.num_envs
        seed = self._seed_for(0) if self._episode_counter == 0 else None
        self.venv.reset(seed=seed, options=self.reset_options)
        self._episode_counter += K
        self._needs_reset[0] = False
        self._ongoing_returns = [{} for _ in range(K)]
        self._ongoing_lengths = [0] * K
        self._ongoing_econ = [{} for _ in range(K)]
        self._ongoing_econ_n = [0] * K

    def _slots(self, groups: dict[str, list[tuple[str, np.ndarray | None]]]) -> list[tuple[str, str, Any, Any]]:
        """(role, module, rows within a replica or None, rows of the flattened K x count array or None)."""
        K = self.num_envs
        slots = []
        for name, glist in groups.items():
            count = self.venv.counts[name]
            taken = np.zeros(count, dtype=bool)
            for _mid, idx in glist[1:]:
                taken[idx] = True
            for mid, idx in glist:
                rows = idx if idx is not None else (None if not taken.any() else np.flatnonzero(~taken))
                if rows is not None and not rows.size:
                    continue
                flat = None if rows is None else (np.arange(K)[:, None] * count + rows[None, :]).reshape(-1)
                slots.append((name, mid, rows, flat))
        return slots

    def sample(self, *, num_timesteps: int | None = None, explore: bool | None = None, **kwargs: Any):
        """``rollout_fragment_length`` quarters of all K replicas; per-module training columns."""
        if explore is not None:
            self._explore = bool(explore)
        T = num_timesteps or self._fragment_length()
        K, venv = self.num_envs, self.venv
        slots = self._slots(self.role_groups())
        seg_slots = [(name, mid, flat) for name, mid, _rows, flat in slots]
        lcd = self.config.learner_config_dict or {}
        horizon_terminal = bool(lcd.get("time_limit_is_terminal", False))
        per_module: dict[str, list[dict[str, np.ndarray]]] = defaultdict(list)
        buf = [defaultdict(list) for _ in slots]
        trainable = [False] * len(slots)
        rule_slots = [isinstance(self.module[mid], FrozenRuleModule) for _n, mid, _r, _f in slots]
        for t in range(T):
            if self._needs_reset[0]:
                self._reset_vector()
            obs = venv.observations()
            raw = venv.raw_observations() if any(rule_slots) else None
            actions: dict[str, np.ndarray] = {}
            for j, (name, mid, rows, _flat) in enumerate(slots):
                role = self.env.roles[name]
                o = obs[name] if rows is None else obs[name][:, rows]  # (K, n, d)
                n = o.shape[1]
                flat_obs = o.reshape(K * n, o.shape[-1])
                if rule_slots[j]:  # the rule on every replica's raw observations (agent order as in one economy)
                    r_obs = raw[name] if rows is None else raw[name][:, rows]
                    a = np.asarray(self.module[mid].rule.raw(r_obs), dtype=np.int64)
                else:
                    out = self._act(mid, flat_obs, role.action_space)
                    trainable[j] = True
                    a = np.asarray(out["env"], dtype=np.int64).reshape(K, n, *role.action_space.shape)
                    buf[j]["raw"].append(out["raw"])
                    buf[j]["logp"].append(out["logp"])
                    buf[j]["dist_inputs"].append(out["dist_inputs"])
                if rows is None:
                    actions[name] = a
                else:
                    if name not in actions:
                        actions[name] = np.zeros((K, role.count, *role.action_space.shape), dtype=np.int64)
                    actions[name][:, rows] = a
                buf[j]["obs"].append(np.asarray(flat_obs, dtype=np.float32))
            res = venv.step(actions)
            for j, (name, mid, rows, _flat) in enumerate(slots):
                r = np.asarray(res.rewards[name], dtype=np.float64)
                r = r if rows is None else r[:, rows]
                buf[j]["rew"].append(r.reshape(-1))
                per_replica = r.sum(1)
                for k in range(K):
                    self._ongoing_returns[k][mid] = self._ongoing_returns[k].get(mid, 0.0) + float(per_replica[k])
            agg = venv.aggregates()
            for k in range(K):
                self._ongoing_lengths[k] += 1
                econ = self._ongoing_econ[k]
                for key, v in agg.items():
                    if v[k] == v[k]:
                        econ[key] = econ.get(key, 0.0) + float(v[k])
                self._ongoing_econ_n[k] += 1
            done = bool(np.all(res.truncated) or np.all(res.terminated))
            if done or t == T - 1:
                terminal = bool(np.all(res.terminated)) or (done and horizon_terminal)
                final = {name: v.reshape(K * v.shape[1], v.shape[2]) for name, v in res.observations.items()}
                seg = self._segment(buf, final, UniformEnd(terminal), seg_slots, trainable)
                for mid, cols in seg.items():
                    per_module[mid].append(cols)
                buf = [defaultdict(list) for _ in slots]
            if done:
                for k in range(K):
                    self._finish_episode(k)
                self._needs_reset[0] = True
        batch = {mid: {c: np.concatenate([p[c] for p in parts]) for c in parts[0]} for mid, parts in per_module.items()}
        self._finish_batch(batch, T * K)
        return batch


# ------------------------------------------------------------------------------- curriculum
MODULES = {"consumer": "consumer", "firm": "firm", "government": "government"}
FIRM_ANNEAL, GOV_ANNEAL = "firm_anneal", "government_anneal"
STAGES = ("firm_anneal", "fixed_tax", "tax_anneal", "all")


def _check_iters(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or int(value) < 0:
        raise ValueError(f"{name} must be an integer >= 0 (training iterations), got {value!r}")
    return int(value)


@dataclass(frozen=True)
class RBCCurriculum:
    """The original's curriculum in training iterations (see the module docstring).

    ``consumers_learn``/``firms_learn``/``government_learns``: whether the type has a
    learnable module (False: it is played by a fixed rule throughout, and the stages that
    concern it must have length 0).
    """

    firm_anneal_iters: int = 0
    fixed_tax_iters: int = 0
    tax_anneal_iters: int = 0
    theta_tau_iters: float = 0.0
    consumers_learn: bool = True
    firms_learn: bool = True
    government_learns: bool = True

    def __post_init__(self) -> None:
        for name in ("firm_anneal_iters", "fixed_tax_iters", "tax_anneal_iters"):
            object.__setattr__(self, name, _check_iters(name, getattr(self, name)))
        tau = self.theta_tau_iters
        if (
            isinstance(tau, bool)
            or not isinstance(tau, (int, float, np.integer, np.floating))
            or not (math.isfinite(tau) and tau >= 0)
        ):
            raise ValueError(f"theta_tau_iters must be a finite number >= 0 (0: no annealing), got {tau!r}")
        if not self.firms_learn and self.firm_anneal_iters:
            raise ValueError("firm_anneal_iters must be 0 when the firms are a fixed rule")
        if not self.government_learns and (self.fixed_tax_iters or self.tax_anneal_iters):
            raise ValueError("fixed_tax_iters and tax_anneal_iters must be 0 when the government is a fixed rule")

    @property
    def government_start(self) -> int:
        """First iteration in which the government's learnable module acts and trains."""
        return self.firm_anneal_iters + self.fixed_tax_iters + self.tax_anneal_iters

    def stage(self, iteration: int) -> str:
        a, b = self.firm_anneal_iters, self.firm_anneal_iters + self.fixed_tax_iters
        if iteration < a:
            return "firm_anneal"
        if iteration < b:
            return "fixed_tax"
        if iteration < self.government_start:
            return "tax_anneal"
        return "all"

    def role_modules(self, iteration: int) -> dict[str, str]:
        """Role -> module acting in (0-based) iteration ``iteration``."""
        out = dict(MODULES)
        if self.firms_learn and iteration < self.firm_anneal_iters:
            out["firm"] = FIRM_ANNEAL
        if self.government_learns and iteration < self.government_start:
            out["government"] = GOV_ANNEAL
        return out

    def trainable(self, iteration: int) -> list[str]:
        out = []
        if self.consumers_learn:
            out.append("consumer")
        if self.firms_learn and iteration >= self.firm_anneal_iters:
            out.append("firm")
        if self.government_learns and iteration >= self.government_start:
            out.append("government")
        return out

    def start_of(self, module: str) -> int:
        """First iteration in which ``module`` trains."""
        return {"consumer": 0, "firm": self.firm_anneal_iters, "government": self.government_start}[module]

    def firm_progress(self, iteration: int) -> float:
        a = self.firm_anneal_iters
        return 1.0 if a == 0 else min(1.0, iteration / a)

    def tax_cap(self, iteration: int) -> float:
        start = self.firm_anneal_iters + self.fixed_tax_iters
        if iteration < start:
            return 0.0
        c = self.tax_anneal_iters
        return 1.0 if c == 0 else min(1.0, (iteration - start) / c)

    def theta_scale(self, iteration: int) -> float:
        tau = float(self.theta_tau_iters)
        return 1.0 if tau == 0 else 1.0 - math.exp(-iteration / tau)

    def mapping_schedule(self) -> list[list[Any]]:
        """[[first iteration, {role: module}], ...]: the role mapping of every stage (stored in the config)."""
        starts = sorted({0, self.firm_anneal_iters, self.government_start})
        return [[s, self.role_modules(s)] for s in starts]


def scheduled_role_modules(config: AlgorithmConfig, iteration: int) -> dict[str, str] | None:
    """Role -> module in force at ``iteration`` from a config's stored mapping schedule (None if it has none)."""
    sched = (config.learner_config_dict or {}).get("role_mapping_schedule")
    if not sched:
        return None
    current = None
    for start, mapping in sched:
        if iteration >= start:
            current = dict(mapping)
    return current


def limit_torch_threads(algorithm: Any, threads: int | None) -> None:
    """Set torch's intra-op threads in the algorithm's process, its EnvRunners and its Learners.

    The modules are small (hundreds of rows x 128 units): on this project's loaded 2-core VM a
    consumer forward pass took 31 ms with torch's default 2 threads and 1.2 ms with 1.
    """
    if not threads:
        return

    def limit(_: Any = None) -> None:
        torch.set_num_threads(int(threads))

    limit()
    if algorithm.env_runner_group is not None:
        algorithm.env_runner_group.foreach_env_runner(limit, local_env_runner=True)
    algorithm.learner_group.foreach_learner(limit)


def rbc_curriculum_callback(curriculum: RBCCurriculum, torch_threads: int | None = 1) -> type:
    """A callback class applying ``curriculum`` before every training iteration (see the module docstring)."""

    class RBCCurriculumCallback(RLlibCallback):
        CURRICULUM = curriculum

        def _apply(self, algorithm: Any, iteration: int) -> None:
            c = curriculum
            mapping = RoleMapping(c.role_modules(iteration))
            progress = {FIRM_ANNEAL: c.firm_progress(iteration), GOV_ANNEAL: c.tax_cap(iteration)}
            options = {"theta_scale": c.theta_scale(iteration)}

            def on_runner(runner: Any) -> None:
                runner.config.multi_agent(policy_mapping_fn=mapping)
                if hasattr(runner, "set_role_mapping"):
                    runner.set_role_mapping(mapping.mapping)
                runner.reset_options = options
                for mid, value in progress.items():
                    if mid in runner.module:
                        runner.module[mid].rule.set_progress(value)

            if algorithm.env_runner_group is not None:
                algorithm.env_runner_group.foreach_env_runner(on_runner, local_env_runner=True)
            set_trainable(algorithm, c.trainable(iteration))

        def on_algorithm_init(self, *, algorithm: Any, **kwargs: Any) -> None:
            limit_torch_threads(algorithm, torch_threads)
            self._apply(algorithm, algorithm.iteration)

        def on_checkpoint_loaded(self, *, algorithm: Any, **kwargs: Any) -> None:
            self._apply(algorithm, algorithm.iteration)

        def on_train_result(self, *, algorithm: Any, result: dict, **kwargs: Any) -> None:
            done = algorithm.iteration - 1  # the iteration just trained (0-based)
            c = curriculum
            result["rbc_curriculum"] = {
                "stage": STAGES.index(c.stage(done)) + 1,
                "theta_scale": c.theta_scale(done),
                "tax_cap": c.tax_cap(done),
                "firm_box": c.firm_progress(done),
            }
            self._apply(algorithm, algorithm.iteration)

    return RBCCurriculumCallback


# ------------------------------------------------------------------------------ experiment
def _entropy_schedule(start_iter: int, decay_iters: int, steps_per_iter: int, e0: float, e1: float) -> Any:
    """The original's entropy annealing (0.5 -> 0.05 after the type starts training), piecewise linear in env steps."""
    if decay_iters == 0 or e0 == e1:
        return float(e1 if decay_iters == 0 else e0)
    t0, t1 = start_iter * steps_per_iter, (start_iter + decay_iters) * steps_per_iter
    sched = [[0, e0]] if t0 == 0 else [[0, e0], [t0, e0]]
    return sched + [[t1, e1]]


def _check_entropy(name: str, v: Any) -> tuple[float, float]:
    ok = isinstance(v, (list, tuple)) and len(v) == 2
    ok = ok and all(not isinstance(e, bool) and isinstance(e, (int, float)) and 0 <= e < 1e3 for e in v)
    if not ok:
        raise ValueError(f"{name} must be (start, floor), two numbers >= 0, got {v!r}")
    return float(v[0]), float(v[1])


def _check_lr(name: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not (0 < v < 1):
        raise ValueError(f"{name} must be a number in (0, 1), got {v!r}")
    return float(v)


def _per_type(name: str, value: Any, default: Any, check: Callable[[str, Any], Any]) -> dict[str, Any]:
    """A setting for every type from one value or a dict type -> value (missing types: ``default``)."""
    if isinstance(value, Mapping):
        unknown = [k for k in value if k not in ROLES]
        if unknown:
            raise ValueError(f"{name}: unknown type(s) {unknown}; types are {list(ROLES)}")
        return {r: check(f"{name}[{r!r}]", value.get(r, default)) for r in ROLES}
    return {r: check(name, value) for r in ROLES}


def _role_option(value: str, role: str, env_config: Mapping[str, Any]) -> tuple[bool, Any]:
    """(learnable?, module spec) for a role option ``mlp`` or ``rule:<name>``."""
    if value == "mlp":
        return True, None
    if isinstance(value, str) and value.startswith("rule:"):
        return False, rule_module_spec(role, value[5:], env_config)
    raise ValueError(f"{role} must be 'mlp' or 'rule:<name>' (rules: {sorted(RULES[role])}), got {value!r}")


def rbc_shared_ppo(
    *,
    n_consumers: int = 100,
    n_firms: int = 10,
    replicas: int = 16,
    firm_anneal_iters: int = 100,
    fixed_tax_iters: int = 80,
    tax_anneal_iters: int = 80,
    theta_tau_iters: float = 40.0,
    stop_iters: int = 800,
    entropy: Sequence[float] | Mapping[str, Sequence[float]] | None = None,
    entropy_decay_iters: int = 150,
    lr: float | Mapping[str, float] | None = None,
    reward_scales: Mapping[str, float] | None = None,
    hidden: Sequence[int] = (128, 128),
    activation: str = "relu",
    minibatch_size: int = 4096,
    consumers: str = "mlp",
    firms: str = "mlp",
    government: str = "mlp",
    seed: int = 0,
    env_overrides: Mapping[str, Any] | None = None,
    ppo: Mapping[str, Any] | None = None,
    num_env_runners: int = 0,
    torch_threads: int | None = 1,
) -> tuple[AlgorithmConfig, dict[str, Any]]:
    """One shared PPO module per agent type with the original's curriculum (module docstring).

    ``replicas``: economies per EnvRunner per iteration (each 10 quarters, 111 agents by
    default: 16 replicas = 16,000 consumer, 1,600 firm and 160 government steps).
    Stage lengths in iterations: ``firm_anneal_iters``, ``fixed_tax_iters``,
    ``tax_anneal_iters``; ``theta_tau_iters`` the labour-disutility annealing constant (0:
    none). ``entropy`` = (start, floor), reached ``entropy_decay_iters`` after each type
    starts training, or a dict type -> (start, floor); ``lr`` a number or a dict type -> lr
    (defaults: ``DEFAULT_ENTROPY``, ``DEFAULT_LR``; types left out of a dict get (0.02, 0.002)
    and 3e-4). ``reward_scales``: per-type
    divisors of the rewards in the loss (default: the original's). ``consumers``,
    ``firms``, ``government``: ``mlp`` (learn) or ``rule:<name>`` (fixed; see :func:`make_rule`).
    ``torch_threads``: torch threads per process (see :func:`limit_torch_threads`; None: torch's default).
    """
    _check_iters("stop_iters", stop_iters)
    if stop_iters < 1:
        raise ValueError(f"stop_iters must be >= 1, got {stop_iters}")
    _check_iters("entropy_decay_iters", entropy_decay_iters)
    _check_iters("replicas", replicas)
    if replicas < 1:
        raise ValueError(f"replicas must be >= 1 (economies per EnvRunner per iteration), got {replicas}")
    entropies = _per_type("entropy", DEFAULT_ENTROPY if entropy is None else entropy, (0.02, 0.002), _check_entropy)
    lrs = _per_type("lr", DEFAULT_LR if lr is None else lr, RBC_PPO["lr"], _check_lr)
    scales = dict(REWARD_SCALES)
    for k, v in dict(reward_scales or {}).items():
        if k not in REWARD_SCALES:
            raise ValueError(f"reward_scales: unknown type {k!r}; types are {list(REWARD_SCALES)}")
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (v > 0 and math.isfinite(v)):
            raise ValueError(f"reward_scales[{k!r}] must be a positive number, got {v!r}")
        scales[k] = float(v)
    env_config = {"n_consumers": n_consumers, "n_firms": n_firms, **dict(env_overrides or {})}
    params = rbc_params(env_config)  # a bad environment argument fails here, naming the field
    if params.observation_mode == "digits" and (firm_anneal_iters or fixed_tax_iters or tax_anneal_iters):
        raise ValueError("the curriculum's rule modules need observation_mode 'scaled' or 'raw', not 'digits'")
    learn = {}
    modules = {}
    for role, value in (("consumer", consumers), ("firm", firms), ("government", government)):
        learn[role], spec = _role_option(value, role, env_config)
        modules[role] = spec or module_spec("mlp", hidden=list(hidden), activation=activation)
    if activation not in ("tanh", "relu"):
        raise ValueError(f"activation must be 'tanh' or 'relu', got {activation!r}")
    if not any(learn.values()):
        raise ValueError("every type is a fixed rule: nothing to train")
    curriculum = RBCCurriculum(
        firm_anneal_iters=firm_anneal_iters, fixed_tax_iters=fixed_tax_iters, tax_anneal_iters=tax_anneal_iters,
        theta_tau_iters=theta_tau_iters, consumers_learn=learn["consumer"], firms_learn=learn["firm"],
        government_learns=learn["government"],
    )  # fmt: skip
    space_roles = {"consumer": "consumer", "firm": "firm", "government": "government"}
    if curriculum.firm_anneal_iters:
        modules[FIRM_ANNEAL] = rule_module_spec("firm", "annealed_price_wage", env_config, seed=seed)
        space_roles[FIRM_ANNEAL] = "firm"
    if curriculum.government_start:
        modules[GOV_ANNEAL] = rule_module_spec("government", "annealed_tax", env_config, seed=seed)
        space_roles[GOV_ANNEAL] = "government"
    T = params.episode_length
    steps_per_iter = T * replicas * max(1, num_env_runners)
    overrides = {}
    for mid in ("consumer", "firm", "government"):
        if learn[mid]:
            e0, e1 = entropies[mid]
            sched = _entropy_schedule(curriculum.start_of(mid), entropy_decay_iters, steps_per_iter, e0, e1)
            overrides[mid] = PPOConfig.overrides(entropy_coeff=sched, lr=lrs[mid])
    cfg = base_config(
        ENV_ID, env_config, modules, curriculum.role_modules(0), space_roles=space_roles, batched=True,
        rollout_length=T, minibatch_size=minibatch_size, seed=seed, ppo={**RBC_PPO, **dict(ppo or {})},
        callbacks=[rbc_curriculum_callback(curriculum, torch_threads)], trainable=curriculum.trainable(0),
        num_env_runners=num_env_runners, num_envs_per_env_runner=replicas,
    )  # fmt: skip
    cfg = cfg.rl_module(algorithm_config_overrides_per_module=overrides).env_runners(env_runner_cls=RBCVectorEnvRunner)
    cfg.learner_config_dict = {
        **cfg.learner_config_dict,
        "reward_scales": scales,
        "time_limit_is_terminal": True,
        "rbc_curriculum": asdict(curriculum),
        "role_mapping_schedule": curriculum.mapping_schedule(),
        "entropy": {m: list(v) for m, v in entropies.items()},
    }
    return cfg, {"training_iteration": stop_iters}


# --------------------------------------------------------------------- playing module profiles
def _softmax_sample(logits: np.ndarray, u: np.ndarray) -> np.ndarray:
    z = logits - logits.max(-1, keepdims=True)
    p = np.exp(z)
    cdf = np.cumsum(p, -1) / p.sum(-1, keepdims=True)
    return np.minimum((cdf < u[..., None]).sum(-1), logits.shape[-1] - 1)


class ModuleActor:
    """Actions of one RLModule for a role, on the vector env's arrays (replicas first).

    ``explore=True`` samples from the module's distribution with a numpy generator seeded by
    (``seed``, quarter, role): the same draws for the same replica and quarter in every run
    (common random numbers when two profiles are compared); rows repeat every ``period``
    replicas, so candidates laid out in blocks of ``period`` replicas share their draws.
    ``explore=False`` takes the most likely action of every head. A FrozenRuleModule plays its
    rule on the raw observations.
    """

    def __init__(self, module: Any, params: RBCParams, role: str, *, explore: bool = True, seed: int = 0,
                 period: int | None = None):  # fmt: skip
        self.module = module
        self.params = params
        self.role = role
        self.explore = explore
        self.seed = int(seed)
        self.period = period
        self.rule = module.rule if isinstance(module, FrozenRuleModule) else None
        space = RBCVectorEnv(params, n_replicas=1).single_action_space(role)
        self.nvec = [int(n) for n in space.nvec] if hasattr(space, "nvec") else [int(space.n)]
        self.multi = role == "consumer"

    def __call__(self, obs: np.ndarray, raw: np.ndarray, quarter: int) -> np.ndarray:
        """Actions (B, n[, heads]) for model observations ``obs`` and raw ones ``raw``, (B, n, dim)."""
        if self.rule is not None:
            return np.asarray(self.rule.raw(raw) if hasattr(self.rule, "raw") else self.rule(obs))
        B, n, d = obs.shape
        with torch.no_grad():
            out = self.module.forward_inference({Columns.OBS: torch.from_numpy(np.ascontiguousarray(
                obs.reshape(B * n, d), dtype=np.float32))})  # fmt: skip
        logits = out[Columns.ACTION_DIST_INPUTS].numpy().astype(np.float64).reshape(B, n, -1)
        heads = np.split(logits, np.cumsum(self.nvec)[:-1], axis=-1)
        if not self.explore:
            acts = [h.argmax(-1) for h in heads]
        else:
            rng = np.random.default_rng([self.seed, int(quarter), ROLES.index(self.role)])
            per = self.period or B
            if B % per:
                raise ValueError(f"{B} replicas are not a multiple of the sampling period {per}")
            u = rng.random((per, n, len(heads)))
            u = np.tile(u, (B // per, 1, 1))
            acts = [_softmax_sample(h, u[..., k]) for k, h in enumerate(heads)]
        a = np.stack(acts, axis=-1).astype(np.int64)
        return a if self.multi else a[..., 0]


class ModuleRule:
    """A module as a rule on raw observations (..., n, raw dim), for :mod:`econ_envs.rbc.bestresponse` profiles."""

    def __init__(self, actor: ModuleActor):
        self.actor = actor
        self.converter = ObsConverter(actor.params, actor.role)
        self.name = f"module({actor.role})"

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        x = np.asarray(raw, dtype=np.float64)
        lead = x.shape[:-2]
        x3 = x.reshape(-1, *x.shape[-2:])
        quarter = int(round(float(x3[0, 0, self.converter.time]))) if x3.size else 0
        out = self.actor(self.converter.to_model(x3), x3, quarter)
        return out.reshape(*lead, *out.shape[1:])


def play_profile(
    env_config: Mapping[str, Any],
    actors: Mapping[str, Sequence[tuple[np.ndarray | None, ModuleActor]]],
    replicas: int,
    *,
    theta_scale: float = 1.0,
) -> dict[str, Any]:
    """One episode of ``replicas`` replicas of the vector env with ``actors``.

    ``actors``: role -> [(agent rows or None for all, actor)], an actor mapping (model
    observations, raw observations, quarter) to actions, (B, n, ...) each. Returns ``returns``
    (role -> (B, n) episode return of every agent), ``history`` (one dict per quarter: the mean
    over replicas of every aggregate, plus ``<name>_sd``) and ``episode_means`` (aggregate ->
    (B,) mean over the quarters of each replica).
    """
    params = rbc_params(env_config)
    venv = RBCVectorEnv(params, n_replicas=replicas)
    obs = venv.reset(seed=0, options={"theta_scale": theta_scale})
    returns = {r: np.zeros((replicas, venv.counts[r])) for r in ROLES}
    history = []
    sums: dict[str, np.ndarray] = {}
    for t in range(params.episode_length):
        raw = venv.raw_observations()
        acts = {}
        for role in ROLES:
            n = venv.counts[role]
            out = None
            for rows, actor in actors[role]:
                sel = slice(None) if rows is None else rows
                a = actor(obs[role][:, sel], raw[role][:, sel], t)
                if out is None:
                    out = np.zeros((replicas, n, *a.shape[2:]), dtype=np.int64)
                out[:, sel] = a
            acts[role] = out
        res = venv.step(acts)
        obs = res.observations
        for role in ROLES:
            returns[role] += res.rewards[role]
        agg = venv.aggregates()
        row = {"quarter": float(t + 1)}
        for k, v in agg.items():
            if k == "quarter":
                continue
            row[k] = float(np.mean(v))
            row[f"{k}_sd"] = float(np.std(v))
            sums[k] = sums.get(k, 0.0) + np.asarray(v, dtype=float)
        history.append(row)
    means = {k: v / params.episode_length for k, v in sums.items()}
    return {"returns": returns, "history": history, "episode_means": means}


def profile_actors(
    algo_or_modules: Any, role_modules: Mapping[str, str], params: RBCParams, *, explore: bool, seed: int = 0,
    agents: Mapping[str, str] | None = None, period: int | None = None,
) -> dict[str, list[tuple[np.ndarray | None, ModuleActor]]]:  # fmt: skip
    """Role -> [(rows, actor)] for the modules of an Algorithm (or a dict module id -> RLModule).

    ``agents`` overrides single agents (``{"consumer_0": "consumer__br"}``), as RoleMapping does.
    """

    def get(mid: str) -> Any:
        return algo_or_modules[mid] if isinstance(algo_or_modules, Mapping) else algo_or_modules.get_module(mid)

    counts = {"consumer": params.n_consumers, "firm": params.n_firms, "government": 1}
    out: dict[str, list[tuple[np.ndarray | None, ModuleActor]]] = {}
    for role in ROLES:
        over: dict[str, list[int]] = {}
        for aid, mid in (agents or {}).items():
            r, _, idx = aid.rpartition("_") if aid != "government" else ("government", "", "0")
            if r == role:
                over.setdefault(mid, []).append(int(idx))
        base = role_modules[role]
        taken = np.zeros(counts[role], dtype=bool)
        groups = []
        for mid, ix in over.items():
            rows = np.asarray(sorted(ix), dtype=np.int64)
            taken[rows] = True
            groups.append((rows, ModuleActor(get(mid), params, role, explore=explore, seed=seed, period=period)))
        rest = None if not taken.any() else np.flatnonzero(~taken)
        if rest is None or rest.size:
            groups.insert(0, (rest, ModuleActor(get(base), params, role, explore=explore, seed=seed, period=period)))
        out[role] = groups
    return out


def type_rewards(returns: Mapping[str, np.ndarray], role: str, rows: np.ndarray | None = None) -> dict[str, float]:
    """Mean episode reward of a type (over replicas and the agents in ``rows``), its standard error over replicas."""
    r = returns[role] if rows is None else returns[role][:, rows]
    per_replica = r.mean(1)
    n = per_replica.size
    return {"mean": float(per_replica.mean()), "se": float(per_replica.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0}


# -------------------------------------------------------------------------- checkpoints
def checkpoint_config(checkpoint: str | Path) -> tuple[AlgorithmConfig, int]:
    """(the AlgorithmConfig, the training iteration) of a checkpoint written by ``econ-envs train``, without
    building it: the config is rebuilt from the experiment and overrides in ``econ_envs_checkpoint.json``
    (nothing is unpickled; see :mod:`econ_envs.rllib.checkpoints`)."""
    from econ_envs.rllib.checkpoints import checkpoint_config as _checkpoint_config

    return _checkpoint_config(checkpoint)


def checkpoint_module_states(checkpoint: str | Path, module_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The weights of ``module_ids`` saved in a checkpoint (``learner_group/learner/rl_module/<id>``)."""
    from ray.rllib.core.rl_module.rl_module import RLModule

    base = Path(checkpoint) / "learner_group" / "learner" / "rl_module"
    out = {}
    for mid in module_ids:
        if not (base / mid).is_dir():
            raise ValueError(f"checkpoint {checkpoint} has no module {mid!r} (looked in {base / mid})")
        out[mid] = RLModule.from_checkpoint(str(base / mid)).get_state()
    return out


def set_module_states(algorithm: Any, states: Mapping[str, Mapping[str, Any]]) -> None:
    """Load module weights into every Learner and sync them to the EnvRunners."""
    for mid, st in states.items():
        algorithm.learner_group.foreach_learner(lambda learner, m=mid, s=st: learner.module[m].set_state(s))
    algorithm.env_runner_group.sync_weights(from_worker_or_learner_group=algorithm.learner_group,
                                            inference_only=True)  # fmt: skip


def learnable_role_modules(config: AlgorithmConfig, iteration: int) -> dict[str, str]:
    """Role -> module at ``iteration`` for an rbc config (its stored schedule, else its mapping function)."""
    mods = scheduled_role_modules(config, iteration)
    if mods is not None:
        return mods
    fn = config.policy_mapping_fn
    if isinstance(fn, RoleMapping):
        return {r: fn.mapping.get(r, r) for r in ROLES}
    return {r: fn(f"{r}_0" if r != "government" else r, None) for r in ROLES}


# ------------------------------------------------------------------------- best responses
def _br_measure(algorithm: Any, role_modules: Mapping[str, str], role: str, agents: Mapping[str, str] | None,
                rows: np.ndarray | None, replicas: int, seed: int, explore: bool) -> dict[str, float]:  # fmt: skip
    env_config = dict(algorithm.config.env_config)
    params = rbc_params(env_config)
    actors = profile_actors(algorithm, role_modules, params, explore=explore, seed=seed, agents=agents)
    res = play_profile(env_config, actors, replicas)
    return type_rewards(res["returns"], role, rows)


def rbc_best_response_callback(
    *, checkpoint: str | None, role: str, base_module: str, deviator: str, role_modules: Mapping[str, str],
    agents: Mapping[str, str], rows: list[int] | None, load: Sequence[str], eval_replicas: int, eval_every: int,
    stop_iters: int, explore: bool, seed: int,
) -> type:  # fmt: skip
    """Callback of :func:`rbc_best_response`: loads the profile, measures before/after, logs the gains."""
    rows_arr = None if rows is None else np.asarray(rows, dtype=np.int64)
    base_map = dict(role_modules)
    dev_map = dict(role_modules) if agents else {**role_modules, role: deviator}

    class RBCBestResponse(RLlibCallback):
        def _measure(self, algorithm: Any, deviating: bool) -> dict[str, float]:
            return _br_measure(algorithm, dev_map if deviating else base_map, role, agents if deviating else None,
                               rows_arr, eval_replicas, seed, explore)  # fmt: skip

        def on_algorithm_init(self, *, algorithm: Any, **kwargs: Any) -> None:
            limit_torch_threads(algorithm, 1)
            fresh = algorithm.get_module(base_module).get_state()
            if checkpoint is not None:
                states = checkpoint_module_states(checkpoint, load)
            else:
                states = {m: algorithm.get_module(m).get_state() for m in load}
            # the type untrained: its freshly initialised module against the trained others; the type's
            # improvement in training is its reward with the trained module minus this
            set_module_states(algorithm, {**states, base_module: fresh})
            self.initial = self._measure(algorithm, deviating=False)
            states[deviator] = states[base_module]
            set_module_states(algorithm, states)
            self.loaded = {m: {k: np.asarray(v).copy() for k, v in s.items()} for m, s in states.items()
                           if m != deviator}  # fmt: skip
            self.before = self._measure(algorithm, deviating=False)
            self.history: list[list[float]] = []
            self.last: dict[str, Any] | None = None

        def _frozen_unchanged(self, algorithm: Any) -> bool:
            for m, st in self.loaded.items():
                now = algorithm.learner_group.get_state(components=f"learner/rl_module/{m}")
                cur = now["learner"]["rl_module"][m]
                if any(not np.array_equal(np.asarray(cur[k]), st[k]) for k in st):
                    return False
            return True

        def on_train_result(self, *, algorithm: Any, result: dict, **kwargs: Any) -> None:
            it = algorithm.iteration
            if self.last is None or it % max(1, eval_every) == 0 or it >= stop_iters:
                after = self._measure(algorithm, deviating=True)
                self.history.append([it, after["mean"]])
                best = max(self.history, key=lambda h: h[1])
                init, before = self.initial["mean"], self.before["mean"]
                gain = after["mean"] - before
                improvement = before - init
                self.last = {
                    "role": role,
                    "reward_initial": init,
                    "reward_before": before,
                    "reward_before_se": self.before["se"],
                    "reward_after": after["mean"],
                    "reward_after_se": after["se"],
                    "gain": gain,
                    "training_improvement": improvement,
                    # the original's epsilon: the best-response gain relative to the training improvement
                    "epsilon": gain / improvement if improvement > 0 else float("nan"),
                    # the project's convention (econ_envs.rbc.bestresponse): relative to |reward before|
                    "epsilon_vs_before": gain / abs(before) if before else float("nan"),
                    "best_iteration": int(best[0]),
                    "best_gain": best[1] - before,
                    "others_unchanged": self._frozen_unchanged(algorithm),
                }
            result["rbc_best_response"] = dict(self.last)

    return RBCBestResponse


def rbc_best_response(
    *,
    checkpoint: str | None = None,
    role: str = "consumer",
    deviators: str = "all",
    iters: int = 50,
    eval_replicas: int = 64,
    eval_every: int = 10,
    explore: bool = True,
    lr: float | None = None,
    entropy: float | None = None,
    seed: int = 0,
    **train_overrides: Any,
) -> tuple[AlgorithmConfig, dict[str, Any]]:
    """The original's best-response check of one agent type, from an ``rbc_shared_ppo`` checkpoint.

    A separate algorithm: every module keeps the checkpoint's weights and is frozen; a copy of
    ``role``'s module (``<module>__br``) plays for the whole type (``deviators="all"``, the
    original's meta-game deviation; ``"one"``: only agent 0) and trains for ``iters``
    iterations with the training config's PPO settings (entropy: ``entropy``, default the
    training's floor, as the original's 0.1 x initial entropy). Before training and every
    ``eval_every`` iterations the type's mean episode reward is measured on ``eval_replicas``
    replicas (sampled actions with common random numbers, full disutility of work), and
    ``result["rbc_best_response"]`` reports the gain, epsilon = gain / the type's improvement
    in training (its reward with the trained module minus its reward with a freshly initialised
    module, both against the trained others: the paper's "fraction of the reward improvement
    achieved during training", measured against the same opponents) and the gain relative to
    the reward before. ``checkpoint=None`` starts from a freshly
    initialised ``rbc_shared_ppo(**train_overrides)`` profile (for smoke tests).
    """
    from econ_envs.rllib.best_response import deviation_config

    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; roles are {list(ROLES)}")
    if deviators not in ("one", "all"):
        raise ValueError(f"deviators must be 'one' or 'all', got {deviators!r}")
    _check_iters("iters", iters)
    _check_iters("eval_replicas", eval_replicas)
    _check_iters("eval_every", eval_every)
    if iters < 1 or eval_replicas < 1:
        raise ValueError(f"iters and eval_replicas must be >= 1, got {iters} and {eval_replicas}")
    if checkpoint is not None:
        if train_overrides:
            raise ValueError(
                f"with a checkpoint the training settings come from it; unexpected {sorted(train_overrides)}"
            )
        cfg, iteration = checkpoint_config(checkpoint)
        if cfg.env != ENV_ID:
            raise ValueError(f"checkpoint {checkpoint} trained {cfg.env!r}, not {ENV_ID!r}")
        checkpoint = str(Path(checkpoint).resolve())
    else:
        cfg, _ = rbc_shared_ppo(seed=seed, **train_overrides)
        iteration = 10**9  # the final stage: every type's learnable module acts
    role_modules = learnable_role_modules(cfg, iteration)
    mid = role_modules[role]
    spec = cfg.rl_module_spec.rl_module_specs[mid]
    if spec.module_class is FrozenRuleModule:
        raise ValueError(f"the {role}s are played by the fixed rule module {mid!r} in this profile: nothing to train")
    mapping = RoleMapping(role_modules)
    env_config = dict(cfg.env_config)
    params = rbc_params(env_config)
    n = {"consumer": params.n_consumers, "firm": params.n_firms, "government": 1}[role]
    one = deviators == "one" and n > 1
    br_mid = f"{mid}__br"
    agents = {f"{role}_0": br_mid} if one else {}
    learnable = [m for m, s in cfg.rl_module_spec.rl_module_specs.items() if s.module_class is not FrozenRuleModule]
    callback = rbc_best_response_callback(
        checkpoint=checkpoint, role=role, base_module=mid, deviator=br_mid, role_modules=role_modules, agents=agents,
        rows=[0] if one else None, load=learnable, eval_replicas=eval_replicas, eval_every=eval_every,
        stop_iters=iters, explore=explore, seed=seed,
    )  # fmt: skip
    new_cfg, br_mid2, br_map = deviation_config(cfg, mapping, role, one, callbacks=[EconomyMetrics, callback])
    assert br_mid2 == br_mid
    lcd = dict(new_cfg.learner_config_dict or {})  # reward scales: the deviator's copied from the module's
    floors = lcd.get("entropy") or {}
    ent = entropy if entropy is not None else float((floors.get(mid) or [0.0, 0.0])[1])
    base_over = dict((cfg.algorithm_config_overrides_per_module or {}).get(mid, {}))
    over = {**base_over, "entropy_coeff": float(ent)}
    if lr is not None:
        over["lr"] = float(lr)
    new_cfg = new_cfg.rl_module(algorithm_config_overrides_per_module={br_mid: over})
    # no curriculum: full disutility of work, no schedule in force
    new_cfg.learner_config_dict = {k: v for k, v in lcd.items() if k not in ("role_mapping_schedule", "rbc_curriculum")}
    new_cfg.learner_config_dict["rbc_best_response"] = {"role": role, "deviator": br_mid, "checkpoint": checkpoint}
    return new_cfg, {"training_iteration": iters}


def government_exact_best_response(
    env_config: Mapping[str, Any], modules: Any, role_modules: Mapping[str, str], *, explore: bool = False,
    replicas: int = 1, seed: int = 0,
) -> dict[str, Any]:  # fmt: skip
    """The government's best response among its fixed tax actions against the learned consumers and firms.

    A :class:`~econ_envs.rbc.policies.Profile` backed by the modules (``modules``: an
    Algorithm or a dict id -> RLModule) goes to
    :func:`econ_envs.rbc.bestresponse.government_best_response`. With ``explore=False``
    (most likely actions) the economy is deterministic and the result exact; with
    ``explore=True`` every candidate is averaged over ``replicas`` replicas sharing their
    random draws (common random numbers).
    """
    from econ_envs.rbc.bestresponse import government_best_response

    params = rbc_params(env_config)
    if explore is False:
        replicas = 1
    actors = profile_actors(modules, role_modules, params, explore=explore, seed=seed, period=replicas)
    rules = {role: ModuleRule(groups[0][1]) for role, groups in actors.items()}
    res = government_best_response(params, P.Profile(rules, name="learned"), replicas=replicas)
    res["baseline"] = f"learned government ({role_modules['government']})"
    return res


# ------------------------------------------------------------------------------ evaluation
class RuleActor:
    """A raw-layout rule (or a :class:`~econ_envs.rbc.policies.RandomActions`) in :func:`play_profile`."""

    def __init__(self, rule: Any, seed: int = 0):
        self.rule = rule
        self.rng = np.random.default_rng(seed)

    def __call__(self, obs: np.ndarray, raw: np.ndarray, quarter: int) -> np.ndarray:
        if isinstance(self.rule, P.RandomActions):
            return self.rule.sample(raw.shape[:-1], self.rng)
        return np.asarray(self.rule(raw))


def _rule_actors(profile: P.Profile) -> dict[str, list[tuple[None, RuleActor]]]:
    return {role: [(None, RuleActor(rule))] for role, rule in profile.rules.items()}


EVAL_METRICS = ("social_welfare", "consumer_utility", "output", "consumption", "exports", "revenue", "mean_price",
                "mean_wage", "hours_per_consumer", "employment_rate", "income_tax_rate", "corporate_tax_rate",
                "tax_revenue", "wage_bill", "total_firm_budget")  # fmt: skip
EVAL_UNITS = {
    "consumer_return": "utils per consumer per episode",
    "firm_return": "$ per firm per episode",
    "government_return": "social welfare per episode (utils)",
    "social_welfare": "utils per quarter",
    "consumer_utility": "utils per consumer per quarter",
    "output": "units per quarter (production, all firms)",
    "consumption": "units per quarter (domestic sales)",
    "exports": "units per quarter",
    "revenue": "$ per quarter (GDP at the posted prices: domestic sales + exports)",
    "mean_price": "$ per unit",
    "mean_wage": "$ per hour",
    "hours_per_consumer": "hours per quarter",
    "employment_rate": "share of consumers working",
    "income_tax_rate": "fraction",
    "corporate_tax_rate": "fraction",
    "tax_revenue": "$ per quarter",
    "wage_bill": "$ per quarter",
    "total_firm_budget": "$ (end of quarter, all firms)",
}


def _case_row(label: str, env_config: Mapping[str, Any], actors: Any, episodes: int) -> tuple[dict, list[dict]]:
    """Play ``episodes`` replicas; the comparison row (mean and sd over episodes) and the mean history."""
    res = play_profile(env_config, actors, episodes)
    ret = res["returns"]
    per_ep = {
        "consumer_return": ret["consumer"].mean(1),
        "firm_return": ret["firm"].mean(1),
        "government_return": ret["government"][:, 0],
    }
    for key in EVAL_METRICS:
        per_ep[key] = res["episode_means"][key]
    row: dict[str, Any] = {"profile": label, "episodes": episodes}
    for key, v in per_ep.items():
        row[key] = float(np.mean(v))
        row[f"{key}_sd"] = float(np.std(v))
    return row, res["history"]


def evaluate_rbc(algo: Any, episodes: int, out_dir: Path) -> list[dict[str, Any]]:
    """The learned profile next to rule profiles, on the same economies; the government's exact best response.

    Rows: the learned profile with sampled actions (as trained) and with every head's most likely
    action; the learned consumers and firms under the government's best fixed tax against them
    (exact, most likely actions); the rule baseline (fixed 20 %/20 % taxes, cost-plus firms,
    budget-share consumers) and the same rules under the best fixed tax for them. Writes
    ``histories/<profile>.csv`` (mean and sd over episodes of every aggregate per quarter),
    ``epsilon.csv``/``epsilon.md`` (the government's best-response gain over its fixed actions
    against the learned consumers and firms) and ``comparison.png``.
    """
    from econ_envs.core.simulate import write_history
    from econ_envs.rbc.bestresponse import government_best_response

    cfg = algo.config
    env_config = dict(cfg.env_config)
    params = rbc_params(env_config)
    role_modules = learnable_role_modules(cfg, algo.iteration)
    seed = 10_000  # evaluation draws (training samples with other seeds)
    hist_dir = Path(out_dir) / "histories"
    hist_dir.mkdir(parents=True, exist_ok=True)
    cases: list[tuple[str, Any]] = []
    bar = Progress(8, "evaluate rbc-v0", unit="stages")  # 2 best responses, 5 profiles, 1 sampled best response
    sampled = profile_actors(algo, role_modules, params, explore=True, seed=seed)
    likely = profile_actors(algo, role_modules, params, explore=False)
    cases.append(("learned (sampled)", sampled))
    cases.append(("learned (most likely)", likely))
    bar.update(0, note="the government's exact best response to the learned consumers and firms")
    exact = government_exact_best_response(env_config, algo, role_modules, explore=False)
    bar.advance(note="the government's best response to the rules")
    inc, cor = exact["best_fixed_rates"]
    fixed = {role: groups for role, groups in likely.items() if role != "government"}
    fixed["government"] = [(None, RuleActor(P.FixedTax(params, inc, cor)))]
    cases.append((f"learned consumers+firms, best fixed tax {inc:g}/{cor:g}", fixed))
    rule_br = government_best_response(params, P.rule_profile(params))
    bar.advance(note="playing the profiles")
    r_inc, r_cor = rule_br["best_fixed_rates"]
    cases.append(("rules, fixed tax 0.2/0.2", _rule_actors(P.rule_profile(params))))
    cases.append((f"rules, best fixed tax {r_inc:g}/{r_cor:g}",
                  _rule_actors(P.rule_profile(params, income_tax=r_inc, corporate_tax=r_cor))))  # fmt: skip
    rows, histories = [], {}
    for label, actors in cases:
        row, hist = _case_row(label, env_config, actors, episodes)
        bar.advance(note=label)
        rows.append(row)
        histories[label] = hist
        safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in label)
        write_history(hist, hist_dir / f"{safe}.csv")
    bar.update(bar.done, note="the government's best response to sampled actions")
    sampled_br = government_exact_best_response(env_config, algo, role_modules, explore=True, replicas=episodes,
                                                seed=seed)  # fmt: skip
    bar.advance(note="sampled best response done")
    bar.close()
    eps_rows = []
    for how, res in (
        ("most likely actions (exact)", exact),
        (f"sampled actions ({episodes} replicas each)", sampled_br),
    ):
        eps_rows.append({
            "type": "government",
            "against": f"learned consumers and firms, {how}",
            "reward_learned": res["baseline_welfare"],
            "best_fixed_tax": "{:g}/{:g}".format(*res["best_fixed_rates"]),
            "reward_best_fixed": res["best_fixed_welfare"],
            "gain": res["gain"],
            "epsilon_vs_learned": res["epsilon"],
            "best_sequence_gain": res["sequence_gain"],
            "best_sequence_epsilon": res["sequence_epsilon"],
        })  # fmt: skip
    _write_plain_table(eps_rows, Path(out_dir), "epsilon")
    _plot_rbc(rows, histories, Path(out_dir))
    return rows


def _write_plain_table(rows: list[dict[str, Any]], out_dir: Path, name: str) -> None:
    import csv

    keys = list(rows[0])
    with open(out_dir / f"{name}.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)
    with open(out_dir / f"{name}.md", "w") as f:
        f.write("| " + " | ".join(keys) + " |\n|" + "---|" * len(keys) + "\n")
        for r in rows:
            cells = [f"{v:.4g}" if isinstance(v, float) else str(v) for v in r.values()]
            f.write("| " + " | ".join(cells) + " |\n")


def _plot_rbc(rows: list[dict[str, Any]], histories: dict[str, list[dict]], out_dir: Path) -> None:
    import matplotlib.pyplot as plt

    from econ_envs.core.plotting import bar_legend, hbar_panel, legend_outside, plain_numbers, readable

    episodes = int(rows[0].get("episodes", 1)) if rows else 1
    fig = plt.figure(figsize=(17, 4.2 + 0.4 * len(rows)), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.6 + 0.4 * len(rows), 3.4])
    bars = top.subplots(1, 3)
    colors = ["tab:orange" if r["profile"].startswith("learned") else "tab:blue" for r in rows]
    for j, (ax, key) in enumerate(zip(bars, ("consumer_return", "firm_return", "government_return"))):
        hbar_panel(ax, [r["profile"] for r in rows], [r[key] for r in rows], [r[f"{key}_sd"] for r in rows], colors,
                   readable(key)[:1].upper() + readable(key)[1:], EVAL_UNITS[key], show_labels=j == 0)  # fmt: skip
    bar_legend(bars[0], [("tab:orange", "learned agents"), ("tab:blue", "rule agents")],
               f"± 1 sd over {episodes} replica(s)")  # fmt: skip
    lines = bottom.subplots(1, 3)
    for ax, key in zip(lines, ("revenue", "mean_price", "hours_per_consumer")):
        for label, hist in histories.items():
            ax.plot([h["quarter"] for h in hist], [h[key] for h in hist], label=label, linewidth=1.2)
        ax.set_title(f"{readable(key)[:1].upper()}{readable(key)[1:]} (mean over replicas)", fontsize=10)
        ax.set_xlabel("quarter")
        ax.set_ylabel(EVAL_UNITS[key].split(" (")[0], fontsize=9)
        ax.grid(alpha=0.3)
        plain_numbers(ax)
    legend_outside(lines[2], fontsize=7.5)
    fig.suptitle(f"rbc-v0 evaluation: bars = mean over {episodes} replica(s) drawn from the same seed, "
                 "error bars = ± 1 standard deviation over the replicas", fontsize=10)  # fmt: skip
    fig.savefig(out_dir / "comparison.png", dpi=100)
    plt.close(fig)
