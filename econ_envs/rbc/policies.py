"""Rule-based baselines of the RBC economy, as plain callables from observations to actions.

Every rule reads observations in the original's **raw** layout (the ``states``
of the rollout files; ``RBCVectorEnv.raw_observations()``), with any leading
axes: consumer rules map ``(..., N, 4F+5)`` to index arrays ``(..., N, F+2)``,
firm rules ``(..., F, 5F+6)`` to ``(..., F)`` and government rules
``(..., 1, 4F+3)`` to ``(..., 1)``. They are vectorised numpy, so one call
serves all replicas. Rules that need the grids take the env's
:class:`~econ_envs.rbc.params.RBCParams` when constructed.

Government: :class:`FixedTax` (any point of the income x corporate grid).
Firms: :class:`FixedPriceWage`, :class:`CostPlus` (price = mark-up over the unit
labour cost at an expected labour input). Consumers: :class:`BudgetShare`
(spend a share of the budget evenly on the goods in stock, fixed hours, work for
the best-paying firm). :class:`RandomActions` samples uniformly (any role).

Profiles (``RuleProfile``, ``RandomProfile``) bundle one rule per role for
``econ-envs simulate/bench/rollout``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from econ_envs.rbc.params import RBCParams


def _nearest(grid: tuple, value: float, name: str) -> int:
    g = np.asarray(grid, dtype=np.float64)
    k = int(np.argmin(np.abs(g - float(value))))
    if not np.isclose(g[k], float(value), rtol=1e-9, atol=1e-12):
        raise ValueError(f"{name} {value!r} is not one of the choices {list(grid)}")
    return k


class RawLayout:
    """Column indices of the raw observation layout for ``n_firms`` firms."""

    def __init__(self, n_firms: int):
        F = self.F = n_firms
        self.price = slice(0, F)
        self.wage = slice(F, 2 * F)
        self.inventory = slice(2 * F, 3 * F)
        self.overdemanded = slice(3 * F, 4 * F)
        self.income_tax = 4 * F
        self.corporate_tax = 4 * F + 1
        self.time = 4 * F + 2
        self.budget = 4 * F + 3
        self.theta = 4 * F + 4  # consumers
        self.capital = 4 * F + 4  # firms
        self.alpha = 4 * F + 5  # firms
        self.one_hot = slice(4 * F + 6, 5 * F + 6)  # firms


def _check_obs(obs: Any, dim: int, role: str) -> np.ndarray:
    x = np.asarray(obs, dtype=np.float64)
    if x.ndim < 2 or x.shape[-1] != dim:
        raise ValueError(f"{role} rule: raw observations must have shape (..., n, {dim}), got {x.shape}")
    return x


# ---------------------------------------------------------------------------- government


class FixedTax:
    """The same (income-tax, corporate-tax) rates every quarter."""

    def __init__(self, params: RBCParams, income_tax: float = 0.2, corporate_tax: float = 0.2):
        self.params = params
        self.income_tax = float(income_tax)
        self.corporate_tax = float(corporate_tax)
        i = _nearest(params.income_tax_choices, income_tax, "income_tax")
        c = _nearest(params.corporate_tax_choices, corporate_tax, "corporate_tax")
        self.index = i * len(params.corporate_tax_choices) + c
        self.name = f"fixed_tax({self.income_tax:g},{self.corporate_tax:g})"

    @classmethod
    def from_index(cls, params: RBCParams, index: int) -> FixedTax:
        n = len(params.corporate_tax_choices)
        if not 0 <= int(index) < params.n_government_actions:
            raise ValueError(f"government action {index} is outside [0, {params.n_government_actions - 1}]")
        return cls(params, params.income_tax_choices[int(index) // n], params.corporate_tax_choices[int(index) % n])

    def __call__(self, obs: Any) -> np.ndarray:
        x = _check_obs(obs, 4 * self.params.n_firms + 3, "government")
        return np.full(x.shape[:-1], self.index, dtype=np.int64)


# ---------------------------------------------------------------------------------- firms


class FixedPriceWage:
    """Every firm posts the same price and wage every quarter."""

    def __init__(self, params: RBCParams, price: float = 1000.0, wage: float = 22.0, investment: float | None = None):
        self.params = params
        pi = _nearest(params.price_choices, price, "price")
        wi = _nearest(params.wage_choices, wage, "wage")
        ki = 0 if investment is None else _nearest(params.investment_choices, investment, "investment share")
        self.index = (pi * len(params.wage_choices) + wi) * len(params.investment_choices) + ki
        self.name = f"fixed_price_wage({price:g},{wage:g})"

    def __call__(self, obs: Any) -> np.ndarray:
        x = _check_obs(obs, 5 * self.params.n_firms + 6, "firm")
        return np.full(x.shape[:-1], self.index, dtype=np.int64)


class CostPlus:
    """Price = the lowest grid price at or above (1 + markup) x unit labour cost; a fixed wage.

    The unit labour cost is w L / Y(K, L) at an expected labour input
    L = N x ``expected_hours`` / F (every consumer working ``expected_hours``,
    spread evenly over the firms), from each firm's own capital and labour
    exponent. Prices above the grid are capped at its top.
    """

    def __init__(self, params: RBCParams, markup: float = 0.25, wage: float = 22.0,
                 expected_hours: float | None = None):  # fmt: skip
        if not np.isfinite(markup) or markup < -1.0:
            raise ValueError(f"markup must be a finite number >= -1, got {markup!r}")
        self.params = params
        self.markup = float(markup)
        self.wage_index = _nearest(params.wage_choices, wage, "wage")
        self.wage = float(params.wage_choices[self.wage_index])
        hours = np.asarray(params.hours_choices)
        self.expected_hours = float(np.median(hours)) if expected_hours is None else float(expected_hours)
        if not np.isfinite(self.expected_hours) or self.expected_hours < 0:
            raise ValueError(f"expected_hours must be a finite number >= 0, got {expected_hours!r}")
        self.layout = RawLayout(params.n_firms)
        self.prices = np.asarray(params.price_choices, dtype=np.float64)
        self.name = f"cost_plus({markup:g},{wage:g})"

    def __call__(self, obs: Any) -> np.ndarray:
        p, lay = self.params, self.layout
        x = _check_obs(obs, 5 * p.n_firms + 6, "firm")
        K = np.maximum(x[..., lay.capital], 1e-12)
        alpha = x[..., lay.alpha]
        L = p.n_consumers * self.expected_hours / p.n_firms
        if L > 0:
            Y = p.technology * np.exp((1.0 - alpha) * np.log(K) + alpha * np.log(L))
            ulc = self.wage * L / Y
        else:
            ulc = np.zeros_like(K)
        target = (1.0 + self.markup) * ulc
        pi = np.minimum(np.searchsorted(self.prices, target, side="left"), self.prices.size - 1)
        nw, nk = len(p.wage_choices), len(p.investment_choices)
        return ((pi * nw + self.wage_index) * nk).astype(np.int64)


# ------------------------------------------------------------------------------ consumers


class BudgetShare:
    """Spend ``share`` of the budget evenly on the goods in stock; work for the best-paying firm.

    Attempted units of good i = the largest grid choice at or below
    share x budget / (number of goods in stock) / p_i (the top choice for a free
    good, none for a good out of stock). The employer is the firm with the
    highest wage in force, ties spread evenly (consumer j takes the (j mod k)-th
    of the k best-paying firms); ``employer="round_robin"`` assigns firm j mod F.

    Hours: with ``labour="marginal"`` (default) a consumer works the most hours on
    the grid when an hour's after-tax wage buys more utility than the hour costs,
    (1 - tau) w U'(c) / p >= theta_j / 2, and none otherwise (utility is linear in
    hours, so the optimum is a corner), with p the mean price of the goods it buys
    and c its attempted units of one of them (U'(c) = (1 + c)^-eta; p and c of
    all goods if it buys none). With ``labour="fixed"`` it works ``hours`` whenever
    the best wage is at least ``min_wage`` ($/hour).
    """

    def __init__(self, params: RBCParams, share: float = 0.5, hours: float = 520.0, employer: str = "highest_wage",
                 min_wage: float = 1.0, labour: str = "marginal"):  # fmt: skip
        if not np.isfinite(share) or not 0.0 <= share <= 1.0:
            raise ValueError(f"share must be in [0, 1], got {share!r}")
        if employer not in ("highest_wage", "round_robin"):
            raise ValueError(f"employer must be 'highest_wage' or 'round_robin', got {employer!r}")
        if labour not in ("marginal", "fixed"):
            raise ValueError(f"labour must be 'marginal' or 'fixed', got {labour!r}")
        if not np.isfinite(min_wage) or min_wage < 0:
            raise ValueError(f"min_wage must be a finite number >= 0, got {min_wage!r}")
        self.params = params
        self.share = float(share)
        self.labour = labour
        hours_grid = np.asarray(params.hours_choices)
        self.hours_index = (
            _nearest(params.hours_choices, hours, "hours") if labour == "fixed" else int(np.argmax(hours_grid))
        )
        self.zero_hours_index = int(np.argmin(hours_grid))
        self.employer = employer
        self.min_wage = float(min_wage)
        self.layout = RawLayout(params.n_firms)
        self.units = np.asarray(params.consumption_choices, dtype=np.float64)
        tag = "marginal" if labour == "marginal" else f"{hours:g}h"
        self.name = f"budget_share({share:g},{tag})"

    def __call__(self, obs: Any) -> np.ndarray:
        p, lay = self.params, self.layout
        F = p.n_firms
        x = _check_obs(obs, 4 * F + 5, "consumer")
        n = x.shape[-2]
        prices = x[..., lay.price]
        in_stock = x[..., lay.inventory] > 0.0
        n_goods = np.maximum(in_stock.sum(-1, keepdims=True), 1)
        per_good = self.share * np.maximum(x[..., lay.budget], 0.0)[..., None] / n_goods
        with np.errstate(divide="ignore", invalid="ignore"):
            target = np.where(prices > 0.0, per_good / np.where(prices > 0.0, prices, 1.0), np.inf)
        idx = np.clip(np.searchsorted(self.units, target, side="right") - 1, 0, self.units.size - 1)
        idx = np.where(in_stock, idx, 0)
        out = np.empty(x.shape[:-1] + (F + 2,), dtype=np.int64)
        out[..., :F] = idx
        wages = x[..., lay.wage]
        best = wages.max(-1)
        if self.labour == "fixed":
            works = best >= self.min_wage
        else:
            buys = in_stock & (idx > 0)
            use = np.where(buys.any(-1, keepdims=True), buys, True)
            k = use.sum(-1)
            p_ref = (prices * use).sum(-1) / k
            c_ref = (self.units[idx] * use).sum(-1) / k
            gain = (1.0 - x[..., lay.income_tax]) * best * (1.0 + c_ref) ** (-p.crra)
            with np.errstate(divide="ignore", invalid="ignore"):
                per_hour = np.where(p_ref > 0.0, gain / np.where(p_ref > 0.0, p_ref, 1.0), np.inf * (gain > 0))
            works = (best > 0.0) & (per_hour >= 0.5 * x[..., lay.theta])
        out[..., F] = np.where(works, self.hours_index, self.zero_hours_index)
        j = np.arange(n).reshape((1,) * (x.ndim - 2) + (n,))
        if self.employer == "round_robin":
            out[..., F + 1] = np.broadcast_to(j % F, x.shape[:-1])
        else:
            tied = wages >= best[..., None]
            k = j % tied.sum(-1)
            rank = np.cumsum(tied, axis=-1) - 1
            out[..., F + 1] = np.argmax(tied & (rank == k[..., None]), axis=-1)
        return out


# ------------------------------------------------------------------------------- random


class RandomActions:
    """Uniformly random action indices for one role, from a numpy Generator."""

    def __init__(self, params: RBCParams, role: str):
        from econ_envs.rbc.vector import ROLES

        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; roles are {list(ROLES)}")
        F = params.n_firms
        self.role = role
        if role == "consumer":
            self.nvec = np.array([len(params.consumption_choices)] * F + [len(params.hours_choices), F])
        elif role == "firm":
            self.nvec = np.array([params.n_firm_actions])
        else:
            self.nvec = np.array([params.n_government_actions])
        self.name = f"random_{role}"

    def sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        """Indices for ``shape`` = (..., n) agents."""
        if self.role == "consumer":
            return rng.integers(0, self.nvec, size=tuple(shape) + (self.nvec.size,), dtype=np.int64)
        return rng.integers(0, int(self.nvec[0]), size=tuple(shape), dtype=np.int64)


# ------------------------------------------------------------------------------ profiles

Rule = Callable[[np.ndarray], np.ndarray]


class Profile:
    """One rule per role, driving a single env (``act``) or a vector env (``actions``).

    ``rules`` maps each role to a callable on raw observations or a
    :class:`RandomActions` (which draws from the env's generator).
    """

    env_overrides: dict[str, Any] = {}

    def __init__(self, rules: Mapping[str, Rule | RandomActions], name: str = "custom"):
        from econ_envs.rbc.vector import ROLES

        missing = [r for r in ROLES if r not in rules]
        if missing:
            raise ValueError(f"profile needs a rule for every role; missing {missing}")
        self.rules = dict(rules)
        self.name = name

    def reset(self, env: Any, seed: int | None) -> None:
        env.reset_batch(seed=seed) if hasattr(env, "reset_batch") else env.reset(seed=seed)

    def actions(self, raw_obs: Mapping[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Actions by role for raw observations by role (any leading axes, e.g. (B, n, dim))."""
        out = {}
        for role, rule in self.rules.items():
            obs = raw_obs[role]
            out[role] = rule.sample(obs.shape[:-1], rng) if isinstance(rule, RandomActions) else rule(obs)
        return out

    def act(self, env: Any) -> dict[str, np.ndarray]:
        """Actions for an :class:`~econ_envs.rbc.env.RBCEnv` (rows per agent) or a vector env (replicas first)."""
        core = getattr(env, "core", None)
        if core is None:  # a vector env
            return self.actions(env.raw_observations(), env.rng)
        acts = self.actions(core.raw_observations(), core.rng)
        return {r: a[0] for r, a in acts.items()}


def rule_profile(params: RBCParams, income_tax: float = 0.2, corporate_tax: float = 0.2, markup: float = 0.25,
                 wage: float = 11.0, share: float = 0.5) -> Profile:  # fmt: skip
    """Fixed taxes, cost-plus firms and budget-share consumers with marginal labour supply (the baseline)."""
    return Profile(
        {
            "consumer": BudgetShare(params, share=share),
            "firm": CostPlus(params, markup=markup, wage=wage),
            "government": FixedTax(params, income_tax, corporate_tax),
        },
        name="rule",
    )


class RuleProfile(Profile):
    """``econ-envs simulate rbc-v0 --policy rule``: fixed 20 %/20 % taxes, cost-plus firms, budget-share consumers."""

    def __init__(self, env: Any):
        base = rule_profile(env.params)
        super().__init__(base.rules, name="rule")


class RandomProfile(Profile):
    """``--policy random``: every agent samples its action uniformly from the env's generator."""

    def __init__(self, env: Any):
        p = env.params
        super().__init__({r: RandomActions(p, r) for r in ("consumer", "firm", "government")}, name="random")


PROFILES = {"rule": RuleProfile, "random": RandomProfile}

__all__ = [
    "BudgetShare",
    "CostPlus",
    "FixedPriceWage",
    "FixedTax",
    "PROFILES",
    "Profile",
    "RandomActions",
    "RandomProfile",
    "RawLayout",
    "RuleProfile",
    "rule_profile",
]
