"""The batched core of the RBC economy: ``B`` replicas stepped in one numba call.

:class:`RBCVectorEnv` is what training code drives: every role's
observations, actions and rewards are arrays with a replica axis first and an
agent axis second, and no per-agent Python object is ever built::

    venv = RBCVectorEnv(n_replicas=128)
    obs = venv.reset(seed=0)          # {"consumer": (B, N, dc), "firm": (B, F, df), "government": (B, 1, dg)}
    out = venv.step({"consumer": (B, N, F + 2) ints, "firm": (B, F) ints, "government": (B, 1) ints})
    out.rewards["consumer"]           # (B, N); out.truncated: (B,) bools

All replicas run in lockstep (same start, same horizon, as the original's
batch of CUDA blocks). ``step`` validates the actions (clear error naming the
replica, agent and component; the state is untouched); ``core_step`` skips the
checks for trusted callers. The PettingZoo facade (``econ_envs.rbc.env``) is
this class with one replica.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np
from gymnasium import spaces

from econ_envs.rbc import kernels as kr
from econ_envs.rbc.params import DIGITS, RBCParams

ROLES = ("consumer", "firm", "government")
_PARALLEL_MIN_REPLICAS = 4  # below this the thread start-up costs more than it saves


@dataclass
class RBCState:
    """State at the start of quarter ``t``: packed arrays (see :mod:`econ_envs.rbc.kernels` for the rows)."""

    t: int
    FS: np.ndarray  # (B, 6, F): price, wage, inventory, over-demanded flag, budget, capital of each firm
    CS: np.ndarray  # (B, 2, N): budget and theta of each consumer
    GS: np.ndarray  # (B, 2): income-tax and corporate-tax rates in force

    @property
    def price(self) -> np.ndarray:
        return self.FS[:, kr.FS_PRICE]

    @property
    def wage(self) -> np.ndarray:
        return self.FS[:, kr.FS_WAGE]

    @property
    def inventory(self) -> np.ndarray:
        return self.FS[:, kr.FS_STOCK]

    @property
    def overdemanded(self) -> np.ndarray:
        return self.FS[:, kr.FS_FLAG]

    @property
    def firm_budget(self) -> np.ndarray:
        return self.FS[:, kr.FS_BUDGET]

    @property
    def capital(self) -> np.ndarray:
        return self.FS[:, kr.FS_CAPITAL]

    @property
    def consumer_budget(self) -> np.ndarray:
        return self.CS[:, kr.CS_BUDGET]

    @property
    def theta(self) -> np.ndarray:
        return self.CS[:, kr.CS_THETA]

    @property
    def income_tax(self) -> np.ndarray:
        return self.GS[:, kr.GS_ITAX]

    @property
    def corporate_tax(self) -> np.ndarray:
        return self.GS[:, kr.GS_CTAX]


_FB_NAMES = {
    "demand": kr.FB_DEMAND, "sales": kr.FB_SALES, "exports": kr.FB_EXPORT, "labour": kr.FB_LABOUR,
    "output": kr.FB_OUTPUT, "revenue": kr.FB_REVENUE, "wage_bill": kr.FB_WAGEBILL, "investment": kr.FB_INVEST,
    "profit": kr.FB_PROFIT, "corporate_tax": kr.FB_CORPTAX, "firm_interest": kr.FB_INTEREST,
}  # fmt: skip
_CB_NAMES = {
    "spend": kr.CB_SPEND, "hours": kr.CB_HOURS, "labour_income": kr.CB_LABINC, "income_tax": kr.CB_INCTAX,
    "transfer": kr.CB_TRANSFER, "consumer_interest": kr.CB_INTEREST, "utility": kr.CB_UTILITY,
}  # fmt: skip


class RBCRecord:
    """Everything one step computed, for analysis and tests (arrays with the replica axis first).

    ``before``/``after`` are the states; ``actions`` the (int64) action indices;
    ``consumption`` the realised c_ij (B, N, F); ``rewards`` by role. Per-firm rows
    (B, F): ``demand, sales, exports, labour, output, revenue, wage_bill, investment,
    profit, corporate_tax, firm_interest``; per-consumer rows (B, N): ``spend, hours,
    labour_income, income_tax, transfer, consumer_interest, utility``.
    """

    __slots__ = ("before", "after", "actions", "consumption", "FB", "CB", "rewards")

    def __init__(self, before, after, actions, consumption, FB, CB, rewards):
        self.before: RBCState = before
        self.after: RBCState = after
        self.actions: dict[str, np.ndarray] = actions
        self.consumption: np.ndarray = consumption
        self.FB: np.ndarray = FB
        self.CB: np.ndarray = CB
        self.rewards: dict[str, np.ndarray] = rewards

    def __getattr__(self, name: str) -> np.ndarray:
        if name in _FB_NAMES:
            return self.FB[:, _FB_NAMES[name]]
        if name in _CB_NAMES:
            return self.CB[:, _CB_NAMES[name]]
        raise AttributeError(name)

    def money_flows(self, endowment: float) -> dict[str, np.ndarray]:
        """Per-replica money flows of the step ($) and the residual of the money identity.

        money(after) - money(before) = endowments + export receipts + interest - investment
        - government balance, where money is every consumer and firm budget and the
        government balance (tax collected - transfers paid) is zero up to rounding: all tax
        revenue is paid out in the same quarter. ``endowment`` is $ per consumer per quarter.
        """
        b0, b1 = self.before, self.after
        before = b0.consumer_budget.sum(1) + b0.firm_budget.sum(1)
        after = b1.consumer_budget.sum(1) + b1.firm_budget.sum(1)
        n = b0.CS.shape[2]
        collected = self.income_tax.sum(1) + self.corporate_tax.sum(1)
        paid = self.transfer.sum(1)
        flows = {
            "money_before": before,
            "money_after": after,
            "endowments": np.full(before.shape, endowment * n),
            "export_receipts": (b0.price * self.exports).sum(1),
            "interest": self.consumer_interest.sum(1) + self.firm_interest.sum(1),
            "investment": self.investment.sum(1),
            "tax_collected": collected,
            "transfers_paid": paid,
            "government_balance": collected - paid,
        }
        flows["residual"] = (after - before) - (
            flows["endowments"]
            + flows["export_receipts"]
            + flows["interest"]
            - flows["investment"]
            - flows["government_balance"]
        )
        return flows


def _prefer_passive_openmp() -> None:
    """Make idle OpenMP worker threads sleep instead of spinning, unless the user chose otherwise.

    numba's OpenMP layer reads ``OMP_WAIT_POLICY`` when it starts its threads (the first
    parallel kernel call). By default idle workers busy-wait for a while after every
    parallel region; a step takes about a millisecond, so on a shared or busy machine the
    spinning threads take the cores the next step needs (measured here: 2-4x slower with
    another process running). A value set by the user is left alone.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


class _ModeTuner:
    """Chooses the single- or multi-threaded kernel by measured speed (results are identical either way).

    Each replica is computed by the same code in both kernels, so the choice changes
    only the speed. With ``fixed`` set, that mode is always used. Otherwise, when threads
    are available and there are enough replicas, the tuner runs the kernel that has been
    faster (moving average of the time per step) and now and then times a few steps of
    the other: on a shared machine another process on one core can make the threaded
    kernel much slower than the serial one (a thread descheduled mid-step stalls the
    whole step), and that changes over time. It switches only if the other kernel's mean
    over the probe is at least 10 % faster; a probe that loses doubles the wait before the
    next one (16 steps up to 1,024), so probing costs little.
    """

    min_interval = 16
    max_interval = 1024
    probe_len = 4
    margin = 0.9

    def __init__(self, fixed: bool | None, can_thread: bool, enough_replicas: bool):
        self.fixed = fixed if fixed is not None else (None if (can_thread and enough_replicas) else False)
        if self.fixed and not can_thread:
            self.fixed = False  # one numba thread: the parallel kernel would run serially anyway
        self.avg = {True: 0.0, False: 0.0}
        self.current = False  # start serial, probe the threads first
        self.interval = self.min_interval
        self.next_probe = 2  # after one call that may include compilation, and one timed call
        self.probe: list[float] = []
        self.calls = 0
        self.parallel_calls = 0
        self.timed = 0

    def choose(self) -> bool:
        self.calls += 1
        if self.fixed is not None:
            return self.fixed
        if self.calls > self.next_probe:
            return not self.current
        return self.current

    def record(self, mode: bool, seconds: float) -> None:
        self.parallel_calls += int(mode)
        if self.fixed is not None:
            return
        if mode == self.current:
            self.timed += 1
            if self.timed > 1:  # the first call of a kernel may include its compilation
                a = self.avg[mode]
                self.avg[mode] = seconds if a == 0.0 else 0.8 * a + 0.2 * seconds
            return
        self.probe.append(seconds)
        if len(self.probe) < self.probe_len + 1:
            return
        mean = sum(self.probe[1:]) / self.probe_len  # the first probe step may compile or wake threads
        self.probe = []
        if self.avg[self.current] == 0.0 or mean < self.margin * self.avg[self.current]:
            self.avg[mode] = mean
            self.current = mode
            self.interval = self.min_interval
        else:
            self.interval = min(2 * self.interval, self.max_interval)
        self.next_probe = self.calls + self.interval

    def share(self) -> float:
        return self.parallel_calls / self.calls if self.calls else 0.0


@dataclass
class VectorStep:
    """Result of one vector step: arrays by role with the replica axis first."""

    observations: dict[str, np.ndarray]
    rewards: dict[str, np.ndarray]
    terminated: np.ndarray  # (B,) bool: always False (the economy has no terminal states)
    truncated: np.ndarray  # (B,) bool: True after ``episode_length`` quarters
    info: dict[str, Any] = field(default_factory=dict)


class RBCVectorEnv:
    """``n_replicas`` copies of the RBC economy stepped together (see the module docstring)."""

    roles = ROLES

    def __init__(
        self, params: RBCParams | None = None, n_replicas: int = 1, parallel: bool | None = None, **kwargs: Any
    ):
        if params is not None and kwargs:
            params = params.replace(**kwargs)
        elif params is None:
            params = RBCParams.from_kwargs(**kwargs)
        elif not isinstance(params, RBCParams):
            raise TypeError(f"params must be an RBCParams, got {type(params).__name__}")
        if isinstance(n_replicas, bool) or not isinstance(n_replicas, (int, np.integer)):
            raise TypeError(f"n_replicas must be an integer, got {n_replicas!r}")
        if not 1 <= int(n_replicas) <= 1_000_000:
            raise ValueError(f"n_replicas must be in [1, 1000000], got {n_replicas}")
        self.params = p = params
        self.n_replicas = B = int(n_replicas)
        self.n_consumers = N = p.n_consumers
        self.n_firms = F = p.n_firms
        self.episode_length = p.episode_length
        self.time_unit = "quarter"
        per_replica = N * F * 8 * 2 + N * (4 * F + 5 + 9 * F + 9) * 4 * 2
        if per_replica * B > 16 * 2**30:
            raise ValueError(
                f"{B} replicas of {N} consumers x {F} firms need about {per_replica * B / 2**30:.0f} GiB per step; "
                "use fewer replicas or agents"
            )
        # --- decode tables (public)
        self.consumption_choices = np.asarray(p.consumption_choices, dtype=np.float64)
        self.hours_choices = np.asarray(p.hours_choices, dtype=np.float64)
        self.firm_action_table = np.asarray(
            list(itertools.product(p.price_choices, p.wage_choices, p.investment_choices)), dtype=np.float64
        ).reshape(-1, 3)
        self.government_action_table = np.asarray(
            list(itertools.product(p.income_tax_choices, p.corporate_tax_choices)), dtype=np.float64
        ).reshape(-1, 2)
        self.consumer_nvec = np.array([len(p.consumption_choices)] * F + [len(p.hours_choices), F], dtype=np.int64)
        self.alpha = np.asarray(p.alphas(), dtype=np.float64)
        self.consumption_utility = kr.crra_utility(self.consumption_choices, p.crra)  # U of each grid quantity
        # --- constants
        kp = np.zeros(kr.KP_SIZE)
        kp[kr.KP_A] = p.technology
        kp[kr.KP_CRRA] = p.crra
        kp[kr.KP_ENDOW] = p.consumer_endowment
        kp[kr.KP_INTEREST] = p.interest_rate
        kp[kr.KP_EXPORT_PRICE] = p.export_price
        kp[kr.KP_EXPORT_Q] = p.export_quantity
        kp[kr.KP_OPEN] = 1.0 if p.open_economy else 0.0
        kp[kr.KP_INCLUSIVE] = 1.0 if p.export_price_inclusive else 0.0
        kp[kr.KP_LABOR_FLOOR] = p.labor_floor
        kp[kr.KP_FIRM_WEIGHT] = p.firm_reward_weight
        kp[kr.KP_BONUS] = p.firm_revenue_bonus
        kp[kr.KP_C_NP_COEF] = p.consumer_noponzi_coef
        kp[kr.KP_C_NP_SCALE] = p.consumer_noponzi_scale
        kp[kr.KP_F_NP_COEF] = p.firm_noponzi_coef
        kp[kr.KP_F_NP_SCALE] = p.firm_noponzi_scale
        self.kp = kp
        self.digits = p.observation_mode == "digits"
        self.obs_scales = self._scales(p.observation_mode)
        self.raw_scales = self._scales("raw")
        g = 4 * F + 3 + (9 * F if self.digits else 0)
        extra = 9 if self.digits else 0
        self.obs_dims = {"consumer": g + 2 + extra, "firm": g + 3 + F + extra, "government": g}
        self.raw_obs_dims = {"consumer": 4 * F + 5, "firm": 5 * F + 6, "government": 4 * F + 3}
        self.counts = {"consumer": N, "firm": F, "government": 1}
        if parallel is not None and not isinstance(parallel, bool):
            raise TypeError(f"parallel must be True, False or None (automatic), got {parallel!r}")
        can_thread = numba.get_num_threads() > 1 and B >= 2 and parallel is not False
        if can_thread:
            _prefer_passive_openmp()
        self._tuner = _ModeTuner(parallel, can_thread, B >= _PARALLEL_MIN_REPLICAS)
        self.rng: np.random.Generator = np.random.default_rng()
        self.state: RBCState | None = None
        self.last: RBCRecord | None = None
        self._obs: dict[str, np.ndarray] | None = None
        self._episode_over = True

    def _scales(self, mode: str) -> np.ndarray:
        p = self.params
        os_ = np.ones(kr.OS_SIZE)
        if mode == "raw":
            return os_
        os_[kr.OS_PRICE] = max(p.price_choices) or 1.0
        os_[kr.OS_WAGE] = max(p.wage_choices) or 1.0
        os_[kr.OS_STOCK] = p.inventory_scale
        os_[kr.OS_TIME] = p.episode_length
        os_[kr.OS_CBUDGET] = p.consumer_initial_budget or 1.0
        os_[kr.OS_THETA] = p.theta_base or 1.0
        os_[kr.OS_FBUDGET] = abs(p.firm_budget0) or 1.0
        os_[kr.OS_CAPITAL] = p.capital_scale
        return os_

    # ------------------------------------------------------------------ spaces
    def single_action_space(self, role: str) -> spaces.Space:
        """Action space of one agent of ``role`` (indices into the decode tables)."""
        if role == "consumer":
            return spaces.MultiDiscrete(self.consumer_nvec.copy(), dtype=np.int64)
        if role == "firm":
            return spaces.Discrete(self.params.n_firm_actions)
        if role == "government":
            return spaces.Discrete(self.params.n_government_actions)
        raise ValueError(f"unknown role {role!r}; roles are {list(ROLES)}")

    def single_observation_space(self, role: str) -> spaces.Box:
        """Observation space of one agent of ``role`` (float32).

        Bounds: prices, wages, flags, tax rates, time, theta, alpha, the one-hot and
        digit features are bounded; inventories and capital are >= 0; budgets are
        unbounded (firms can borrow).
        """
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; roles are {list(ROLES)}")
        p, F, os_ = self.params, self.n_firms, self.obs_scales
        inf = np.inf
        dig = self.digits
        inv = ([0.0] * (F * 10), [1.0] * (F * 10)) if dig else ([0.0] * F, [inf] * F)
        low = [0.0] * (2 * F) + inv[0] + [0.0] * (F + 3)
        high = (
            [max(max(p.price_choices), p.initial_price) / os_[kr.OS_PRICE]] * F
            + [max(max(p.wage_choices), p.initial_wage) / os_[kr.OS_WAGE]] * F
            + inv[1]
            + [1.0] * (F + 2)
            + [p.episode_length / os_[kr.OS_TIME]]
        )
        budget = ([0.0] * 10, [1.0] * 10) if dig else ([-inf], [inf])
        if role == "consumer":
            low += budget[0] + [0.0]
            high += budget[1] + [p.theta_base / os_[kr.OS_THETA]]
        elif role == "firm":
            low += budget[0] + [0.0, 0.0] + [0.0] * F
            high += budget[1] + [inf, 1.0] + [1.0] * F
        return spaces.Box(np.array(low, np.float32), np.array(high, np.float32), dtype=np.float32)

    def observation_names(self, role: str, raw: bool = False) -> list[str]:
        """Name of every observation component of ``role`` (``raw=True``: the raw layout)."""
        F = self.n_firms
        dig = self.digits and not raw
        names = [f"price_{i}" for i in range(F)] + [f"wage_{i}" for i in range(F)]
        if dig:
            names += [f"inventory_{i}_digit_{k}" for i in range(F) for k in range(1, DIGITS + 1)]
        else:
            names += [f"inventory_{i}" for i in range(F)]
        names += [f"overdemanded_{i}" for i in range(F)] + ["income_tax", "corporate_tax", "time"]
        budget = [f"budget_digit_{k}" for k in range(1, DIGITS + 1)] if dig else ["budget"]
        if role == "consumer":
            return names + budget + ["theta"]
        if role == "firm":
            return names + budget + ["capital", "alpha"] + [f"is_firm_{i}" for i in range(F)]
        if role == "government":
            return names
        raise ValueError(f"unknown role {role!r}; roles are {list(ROLES)}")

    # ---------------------------------------------------------------- decoding
    def decode_consumer_actions(self, actions: np.ndarray) -> dict[str, np.ndarray]:
        """Index arrays (..., F + 2) -> attempted units (..., F), hours (...), employer (...)."""
        a = np.asarray(actions)
        F = self.n_firms
        return {
            "consumption": self.consumption_choices[a[..., :F]],
            "hours": self.hours_choices[a[..., F]],
            "employer": a[..., F + 1].astype(np.int64),
        }

    def decode_firm_actions(self, actions: np.ndarray) -> dict[str, np.ndarray]:
        """Index arrays -> price ($/unit), wage ($/hour), investment share."""
        t = self.firm_action_table[np.asarray(actions)]
        return {"price": t[..., 0], "wage": t[..., 1], "investment_share": t[..., 2]}

    def decode_government_actions(self, actions: np.ndarray) -> dict[str, np.ndarray]:
        """Index arrays -> income-tax rate, corporate-tax rate (fractions)."""
        t = self.government_action_table[np.asarray(actions)]
        return {"income_tax": t[..., 0], "corporate_tax": t[..., 1]}

    def firm_action_index(self, price_idx: Any, wage_idx: Any, investment_idx: Any = 0) -> np.ndarray:
        """Index of (price, wage, investment) choices in the firm's Discrete action."""
        nw, nk = len(self.params.wage_choices), len(self.params.investment_choices)
        return (np.asarray(price_idx) * nw + np.asarray(wage_idx)) * nk + np.asarray(investment_idx)

    def government_action_index(self, income_idx: Any, corporate_idx: Any) -> np.ndarray:
        """Index of (income-tax, corporate-tax) choices in the government's Discrete action."""
        return np.asarray(income_idx) * len(self.params.corporate_tax_choices) + np.asarray(corporate_idx)

    # -------------------------------------------------------------------- reset
    def initial_state(self, theta_scale: float = 1.0) -> RBCState:
        """The (deterministic) state every replica starts from."""
        p = self.params
        B, N, F = self.n_replicas, self.n_consumers, self.n_firms
        FS = np.empty((B, kr.FS_ROWS, F))
        FS[:, kr.FS_PRICE] = p.initial_price
        FS[:, kr.FS_WAGE] = p.initial_wage
        FS[:, kr.FS_STOCK] = p.initial_inventory
        FS[:, kr.FS_FLAG] = 0.0
        FS[:, kr.FS_BUDGET] = p.firm_budget0
        FS[:, kr.FS_CAPITAL] = np.asarray(p.initial_capitals())
        CS = np.empty((B, kr.CS_ROWS, N))
        CS[:, kr.CS_BUDGET] = p.consumer_initial_budget
        CS[:, kr.CS_THETA] = np.asarray(p.thetas()) * theta_scale
        GS = np.zeros((B, kr.GS_ROWS))
        return RBCState(0, FS, CS, GS)

    def reset(self, seed: int | None = None, options: Mapping[str, Any] | None = None) -> dict[str, np.ndarray]:
        """Start a new episode in every replica; return the observations by role.

        ``seed`` reseeds ``self.rng`` (used by the sampling baselines; the economy itself
        has no shocks). ``options={"theta_scale": s}`` multiplies every consumer's
        disutility of work by ``s`` in [0, 1] (the original's annealing curriculum); other
        keys are ignored.
        """
        scale = 1.0
        if options is not None:
            if not isinstance(options, Mapping):
                raise TypeError(f"options must be a dict, got {type(options).__name__}")
            if "theta_scale" in options:
                from econ_envs.core.params import check_number

                check_number("theta_scale", options["theta_scale"], 0, 1)
                scale = float(options["theta_scale"])
        if seed is not None:
            if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
                raise TypeError(f"seed must be an integer or None, got {seed!r}")
            self.rng = np.random.default_rng(int(seed))
        self.state = self.initial_state(scale)
        self.last = None
        self._obs = self._observe(self.state, self.obs_scales, self.digits, self.obs_dims)
        self._episode_over = False
        return self._obs

    def _observe(self, st: RBCState, scales: np.ndarray, digits: bool, dims: dict[str, int]) -> dict[str, np.ndarray]:
        B = self.n_replicas
        obs = {r: np.empty((B, self.counts[r], dims[r]), dtype=np.float32) for r in ROLES}
        args = (st.FS, st.CS, st.GS, self.alpha, float(st.t), scales, digits, obs["consumer"], obs["firm"],
                obs["government"])  # fmt: skip
        # writing observations is cheap: threads pay off only for large batches (a thread start-up on a busy
        # machine can cost milliseconds)
        if self._tuner.fixed is not False and B * (self.n_consumers + self.n_firms) * dims["consumer"] >= 4_000_000:
            with numba.parallel_chunksize(2):
                kr.observe_replicas_parallel(*args)
        else:
            kr.observe_replicas_serial(*args)
        return obs

    # --------------------------------------------------------------------- step
    @property
    def episode_over(self) -> bool:
        return self._episode_over

    def observations(self) -> dict[str, np.ndarray]:
        """The latest observations by role (B, count, dim)."""
        if self._obs is None:
            raise RuntimeError("call reset() first")
        return self._obs

    def raw_observations(self) -> dict[str, np.ndarray]:
        """Observations of the current state in the original's raw layout (what rollouts store)."""
        if self.state is None:
            raise RuntimeError("call reset() first")
        if self.params.observation_mode == "raw":
            return self._obs
        return self._observe(self.state, self.raw_scales, False, self.raw_obs_dims)

    def check_actions(self, actions: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """Validate actions by role and return them as int64 arrays (raises naming the culprit)."""
        if not isinstance(actions, Mapping):
            raise TypeError(f"actions must be a mapping role -> array, got {type(actions).__name__}")
        unknown = [k for k in actions if k not in ROLES]
        if unknown:
            raise ValueError(f"unknown role(s) {unknown}; roles are {list(ROLES)}")
        missing = [k for k in ROLES if k not in actions]
        if missing:
            raise ValueError(f"missing actions for role(s) {missing}")
        B = self.n_replicas
        out = {}
        for role in ROLES:
            try:
                arr = np.asarray(actions[role])
            except (ValueError, TypeError) as exc:
                raise TypeError(f"{role}: actions are not array-like ({exc})") from None
            if arr.dtype.kind not in "iu":
                if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
                    b, j = (int(v) for v in np.argwhere(~np.isfinite(arr.reshape(arr.shape[0], -1)))[0][:2])
                    raise ValueError(f"{role}: action of replica {b} is not finite (discrete actions are indices)")
                raise TypeError(f"{role}: actions must be integer indices, got dtype {arr.dtype}")
            shape = (B, self.counts[role]) + ((self.n_firms + 2,) if role == "consumer" else ())
            if arr.shape != shape:
                raise ValueError(f"{role}: actions must have shape {shape} (replica, agent, ...), got {arr.shape}")
            x = np.ascontiguousarray(arr, dtype=np.int64)
            if role == "consumer":
                nvec = self.consumer_nvec
            else:
                nvec = np.array([self.params.n_firm_actions if role == "firm" else self.params.n_government_actions])
            b, j, k = kr.first_bad_index(x.reshape(B, self.counts[role], -1), nvec)
            if b >= 0:
                agent = "government" if role == "government" else f"{role}_{j}"
                comp = f" component {k}" if role == "consumer" else ""
                value = x.reshape(B, self.counts[role], -1)[b, j, k]
                raise ValueError(f"{agent} (replica {b}): action{comp} = {value} is outside [0, {nvec[k] - 1}]")
            out[role] = x
        return out

    def step(self, actions: Mapping[str, Any]) -> VectorStep:
        """Validate the actions, then step every replica (see :meth:`core_step`)."""
        if self._episode_over:
            raise ValueError("the episode is over (or reset() was never called); call reset() first")
        return self.core_step(self.check_actions(actions))

    def core_step(self, actions: Mapping[str, np.ndarray]) -> VectorStep:
        """Step every replica on actions already inside their spaces (int64 arrays; no checks at all)."""
        st = self.state
        if st is None or self._episode_over:
            raise ValueError("the episode is over (or reset() was never called); call reset() first")
        B, N, F = self.n_replicas, self.n_consumers, self.n_firms
        cact = np.ascontiguousarray(actions["consumer"], dtype=np.int64)  # no copy for int64 input
        fact = np.ascontiguousarray(actions["firm"], dtype=np.int64)
        gact = np.ascontiguousarray(actions["government"], dtype=np.int64).reshape(B)
        t_next = st.t + 1
        final = t_next >= self.episode_length
        FS2 = np.empty_like(st.FS)
        CS2 = np.empty_like(st.CS)
        GS2 = np.empty_like(st.GS)
        creal = np.empty((B, N, F))
        FB = np.empty((B, kr.FB_ROWS, F))
        CB = np.empty((B, kr.CB_ROWS, N))
        rc = np.empty((B, N))
        rf = np.empty((B, F))
        rg = np.empty(B)
        dims = self.obs_dims
        obs_c = np.empty((B, N, dims["consumer"]), dtype=np.float32)
        obs_f = np.empty((B, F, dims["firm"]), dtype=np.float32)
        obs_g = np.empty((B, 1, dims["government"]), dtype=np.float32)
        use_parallel = self._tuner.choose()
        t0 = time.perf_counter()
        if use_parallel:
            with numba.parallel_chunksize(2):
                kr.step_replicas_parallel(*self._kernel_args(st, cact, fact, gact, final, FS2, CS2, GS2, creal, FB, CB,
                                                             rc, rf, rg, t_next, obs_c, obs_f, obs_g))  # fmt: skip
        else:
            kr.step_replicas_serial(*self._kernel_args(st, cact, fact, gact, final, FS2, CS2, GS2, creal, FB, CB,
                                                       rc, rf, rg, t_next, obs_c, obs_f, obs_g))  # fmt: skip
        self._tuner.record(use_parallel, time.perf_counter() - t0)
        new = RBCState(t_next, FS2, CS2, GS2)
        rewards = {"consumer": rc, "firm": rf, "government": rg.reshape(B, 1)}
        acts = {"consumer": cact, "firm": fact, "government": gact.reshape(B, 1)}
        self.last = RBCRecord(st, new, acts, creal, FB, CB, rewards)
        self.state = new
        self._obs = {"consumer": obs_c, "firm": obs_f, "government": obs_g}
        self._episode_over = final
        flags = np.full(B, final)
        return VectorStep(self._obs, rewards, np.zeros(B, dtype=bool), flags)

    def _kernel_args(self, st, cact, fact, gact, final, FS2, CS2, GS2, creal, FB, CB, rc, rf, rg, t_next,
                     obs_c, obs_f, obs_g) -> tuple:  # fmt: skip
        return (st.FS, st.CS, st.GS, self.alpha, cact, fact, gact, self.consumption_choices, self.consumption_utility,
                self.hours_choices, self.firm_action_table, self.government_action_table, self.kp, final,
                FS2, CS2, GS2, creal, FB, CB, rc, rf, rg, float(t_next), self.obs_scales, self.digits,
                obs_c, obs_f, obs_g)  # fmt: skip

    @property
    def parallel_share(self) -> float:
        """Share of the steps so far that ran on the multi-threaded kernel."""
        return self._tuner.share()

    # --------------------------------------------------------------- analysis
    def money_flows(self) -> dict[str, np.ndarray]:
        """Per-replica money flows of the last step and ``residual`` of the money identity ($)."""
        if self.last is None:
            raise RuntimeError("no step yet")
        return self.last.money_flows(self.params.consumer_endowment)

    def aggregates(self) -> dict[str, np.ndarray]:
        """Macro variables of the last step per replica (arrays (B,)); at reset, flows are 0.

        Units: goods in units per quarter, money in $ (flows per quarter), hours per
        quarter, rates as fractions.
        """
        st = self.state
        if st is None:
            raise RuntimeError("call reset() first")
        rec = self.last
        B, N = self.n_replicas, self.n_consumers
        zeros = np.zeros(B)
        src = rec.before if rec is not None else st  # prices, wages and taxes in force during the step
        out: dict[str, np.ndarray] = {"quarter": np.full(B, float(st.t))}

        def firm_sum(name: str) -> np.ndarray:
            return getattr(rec, name).sum(1) if rec is not None else zeros

        def cons_sum(name: str) -> np.ndarray:
            return getattr(rec, name).sum(1) if rec is not None else zeros

        output, sales, exports = firm_sum("output"), firm_sum("sales"), firm_sum("exports")
        out["output"] = output
        out["consumption"] = sales
        out["exports"] = exports
        out["demand"] = firm_sum("demand")
        out["inventory"] = st.inventory.sum(1)
        out["overdemanded_goods"] = st.overdemanded.sum(1) if rec is not None else zeros
        out["mean_price"] = src.price.mean(1)
        out["mean_wage"] = src.wage.mean(1)
        out["income_tax_rate"] = src.income_tax.copy()
        out["corporate_tax_rate"] = src.corporate_tax.copy()
        hours = rec.hours if rec is not None else np.zeros((B, N))
        out["hours_per_consumer"] = hours.mean(1)
        out["employment_rate"] = (hours > 0).mean(1)
        if rec is not None:
            out["consumer_utility"] = rec.rewards["consumer"].mean(1)
            out["firm_reward"] = rec.rewards["firm"].sum(1)
            out["social_welfare"] = rec.rewards["government"][:, 0].copy()
        else:
            out["consumer_utility"] = out["firm_reward"] = out["social_welfare"] = zeros
        out["revenue"] = firm_sum("revenue")
        out["wage_bill"] = firm_sum("wage_bill")
        out["investment"] = firm_sum("investment")
        out["income_tax_revenue"] = cons_sum("income_tax")
        out["corporate_tax_revenue"] = firm_sum("corporate_tax")
        out["tax_revenue"] = out["income_tax_revenue"] + out["corporate_tax_revenue"]
        out["transfer_per_consumer"] = out["tax_revenue"] / N
        out["export_receipts"] = (src.price * rec.exports).sum(1) if rec is not None else zeros
        out["mean_consumer_budget"] = st.consumer_budget.mean(1)
        out["total_firm_budget"] = st.firm_budget.sum(1)
        out["money_stock"] = st.consumer_budget.sum(1) + st.firm_budget.sum(1)
        out["capital"] = st.capital.sum(1)
        if rec is not None:
            out["money_residual"] = self.money_flows()["residual"]
            goods = rec.after.inventory - rec.before.inventory - (rec.output - rec.sales - rec.exports)
            out["goods_residual"] = goods.sum(1)
        else:
            out["money_residual"] = out["goods_residual"] = zeros
        return out
