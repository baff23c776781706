"""Rule-based agents of the monetary economy, as plain callables from observations to action indices.

Every rule reads only its role's observation (one row, or a batch of rows) and
returns action indices of the role's ``Discrete`` space (decode tables in
:mod:`econ_envs.monetary.actions`), so it works in simulations, in the
central-bank Gymnasium view and inside RLlib episodes. Rules that need
calibration constants take the env's :class:`~econ_envs.monetary.params.MonetaryParams`.

Central bank (all in annual percent, pi = 12-month inflation, y = output gap in % averaged over the last
three months - Taylor's rule is written for quarterly data, with inflation over the past four quarters):
    * :class:`TaylorRule` - i* = r* + pi + phi_pi (pi - pi*) + phi_y y, optionally inertial:
      i_t = rho i_{t-1} + (1 - rho) i*; floored at the policy floor. The rule moves the rate
      towards i* by the nearest of the five allowed changes (at most 50 bp a month).
      Presets: :func:`taylor93` (phi_pi 0.5, phi_y 0.5; Taylor 1993), :func:`balanced`
      (phi_y 1.0; Yellen 2012 "balanced approach"), :func:`npp` (phi_pi 1.0, phi_y 0.5;
      Nikolsko-Rzhevskyy, Papell & Prodan 2014), :func:`inertial` (Taylor 1993 with rho 0.9 a
      month, about 0.73 a quarter; Clarida, Gali & Gertler 2000 estimate 0.7-0.8 a quarter).
      r* defaults to the model's neutral real rate (initial policy rate - inflation target,
      1 %/yr by default; Taylor's own r* = 2 is ``r_star=2``).
    * :class:`FixedRate` - holds the rate at a level (default: the initial policy rate).

Banks (:class:`BankRule`), households (:class:`HouseholdRule`), firms (:class:`FirmRule`):
heuristics described on each class. Their reactions are what make monetary policy
transmit: households save more and borrow less when real rates rise, firms invest less
when the user cost of capital rises and cut prices when inventories pile up, banks
tighten standards when losses rise or capital runs low.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from econ_envs.monetary.actions import RATE_CHANGES_BP
from econ_envs.monetary.economy import BANK_OBS_NAMES, CB_OBS_NAMES, FIRM_OBS_NAMES, HH_OBS_NAMES
from econ_envs.monetary.params import MonetaryParams

CB = {name: k for k, name in enumerate(CB_OBS_NAMES)}
BK = {name: k for k, name in enumerate(BANK_OBS_NAMES)}
HH = {name: k for k, name in enumerate(HH_OBS_NAMES)}
FM = {name: k for k, name in enumerate(FIRM_OBS_NAMES)}
_CHANGES_PP = np.array(RATE_CHANGES_BP) / 100.0


def _rows(obs: Any, width: int, role: str) -> tuple[np.ndarray, bool]:
    x = np.asarray(obs, dtype=np.float64)
    if x.ndim == 1:
        x, single = x[None, :], True
    elif x.ndim == 2:
        single = False
    else:
        raise ValueError(f"{role} observations must be 1-D or 2-D, got shape {x.shape}")
    if x.shape[1] != width:
        raise ValueError(f"{role} observations must have {width} columns, got {x.shape[1]}")
    return x, single


def nearest_rate_change(gap_pp: float) -> int:
    """Index of the allowed change (-50..+50 bp) closest to ``gap_pp`` percentage points (ties: smaller move)."""
    d = np.abs(_CHANGES_PP - gap_pp)
    best = np.flatnonzero(d <= d.min() + 1e-12)
    return int(best[np.argmin(np.abs(_CHANGES_PP[best]))])


# ------------------------------------------------------------------------------- central bank
class CentralBankRule:
    """Base of the central-bank rules: ``rule(obs) -> action index`` (0..4); ``target(obs)`` in %/yr."""

    name = "central_bank_rule"

    def __init__(self, params: MonetaryParams):
        self.params = params

    def reset(self, seed: int | None = None) -> None:
        """Rules here carry no state across months; kept for a uniform interface."""

    def target(self, obs: np.ndarray) -> float:  # pragma: no cover - overridden
        raise TypeError("CentralBankRule is a base class")

    def __call__(self, obs: Any) -> int:
        x, _ = _rows(obs, len(CB_OBS_NAMES), "central_bank")
        o = x[0]
        goal = max(self.target(o), self.params.policy_floor)
        goal = min(goal, self.params.max_policy_rate)
        return nearest_rate_change(goal - o[CB["cb_rate"]])


class TaylorRule(CentralBankRule):
    """i* = r* + pi + phi_pi (pi - pi*) + phi_y y, inertial with weight ``rho`` on last month's rate."""

    name = "taylor"

    def __init__(
        self,
        params: MonetaryParams,
        phi_pi: float = 0.5,
        phi_y: float = 0.5,
        rho: float = 0.0,
        r_star: float | None = None,
        name: str | None = None,
    ):
        super().__init__(params)
        for nm, v, lo, hi in (("phi_pi", phi_pi, -1, 10), ("phi_y", phi_y, -5, 10), ("rho", rho, 0, 0.999)):
            if not (isinstance(v, (int, float)) and np.isfinite(v) and lo <= v <= hi):
                raise ValueError(f"{nm} must be a finite number in [{lo}, {hi}], got {v!r}")
        self.phi_pi = float(phi_pi)
        self.phi_y = float(phi_y)
        self.rho = float(rho)
        self.r_star = params.initial_policy_rate - params.inflation_target if r_star is None else float(r_star)
        if not np.isfinite(self.r_star):
            raise ValueError(f"r_star must be finite, got {r_star!r}")
        if name is not None:
            self.name = name

    def target(self, o: np.ndarray) -> float:
        pi = o[CB["inflation_12m"]]
        pi_star = o[CB["inflation_target"]]
        y = o[CB["output_gap_3m"]]
        i_t = self.r_star + pi + self.phi_pi * (pi - pi_star) + self.phi_y * y
        return self.rho * o[CB["cb_rate"]] + (1.0 - self.rho) * i_t


def taylor93(params: MonetaryParams, **kw: Any) -> TaylorRule:
    """Taylor (1993): i = r* + pi + 0.5 (pi - pi*) + 0.5 y."""
    return TaylorRule(params, 0.5, 0.5, 0.0, name="taylor93", **kw)


def balanced(params: MonetaryParams, **kw: Any) -> TaylorRule:
    """Balanced approach: i = r* + pi + 0.5 (pi - pi*) + 1.0 y."""
    return TaylorRule(params, 0.5, 1.0, 0.0, name="balanced", **kw)


def npp(params: MonetaryParams, **kw: Any) -> TaylorRule:
    """Nikolsko-Rzhevskyy, Papell & Prodan: i = r* + pi + 1.0 (pi - pi*) + 0.5 y."""
    return TaylorRule(params, 1.0, 0.5, 0.0, name="npp", **kw)


def inertial(params: MonetaryParams, rho: float = 0.9, **kw: Any) -> TaylorRule:
    """Inertial Taylor (1993): i = rho i_prev + (1 - rho) i_Taylor, rho 0.9 a month by default."""
    return TaylorRule(params, 0.5, 0.5, rho, name="inertial", **kw)


class FixedRate(CentralBankRule):
    """Keeps the policy rate at ``rate`` %/yr (default: the initial policy rate)."""

    name = "fixed_rate"

    def __init__(self, params: MonetaryParams, rate: float | None = None):
        super().__init__(params)
        self.rate = params.initial_policy_rate if rate is None else float(rate)
        if not np.isfinite(self.rate):
            raise ValueError(f"rate must be finite, got {rate!r}")

    def target(self, o: np.ndarray) -> float:
        return self.rate


CENTRAL_BANK_RULES: dict[str, Callable[..., CentralBankRule]] = {
    "taylor93": taylor93,
    "balanced": balanced,
    "npp": npp,
    "inertial": inertial,
    "fixed_rate": FixedRate,
}


# ------------------------------------------------------------------------------------- banks
class BankRule:
    """Heuristic bank: prices risk and funding, and tightens standards when losses rise or capital is short.

    * lending spread (index 0..4, middle 2): +1 when the annualised loan-loss rate exceeds
      ``loss_high`` %/yr, +1 more when the capital ratio is within 2 pp of the minimum; -1 when
      capital is comfortable (above target + 4 pp) and losses are low;
    * deposit spread (middle 2): pays more (index 1) when it needs central-bank advances,
      less (index 3) when reserves exceed 15 % of deposits;
    * risk tolerance: low when capital is within 2 pp of the minimum, losses exceed
      ``loss_high`` or the output gap is below -3 %; high when capital exceeds the target by
      3 pp, losses are below ``loss_low`` and the gap is not negative; medium otherwise.
    """

    name = "heuristic_bank"

    def __init__(self, params: MonetaryParams, loss_high: float = 2.0, loss_low: float = 0.5):
        self.params = params
        self.loss_high = float(loss_high)
        self.loss_low = float(loss_low)

    def __call__(self, obs: Any) -> np.ndarray:
        x, single = _rows(obs, len(BANK_OBS_NAMES), "bank")
        p = self.params
        cap = x[:, BK["capital_ratio"]]
        mn = 100.0 * p.min_capital_ratio
        tg = 100.0 * p.target_capital_ratio
        loss = x[:, BK["loan_loss_rate"]]
        gap = x[:, BK["output_gap"]]
        ls = np.full(x.shape[0], 2)
        ls += (loss > self.loss_high).astype(int)
        ls += (cap < mn + 2.0).astype(int)
        ls -= ((cap > tg + 4.0) & (loss < self.loss_low)).astype(int)
        ds = np.full(x.shape[0], 2)
        ds = np.where(x[:, BK["advances_to_deposits"]] > 0.0, 1, ds)
        ds = np.where(x[:, BK["reserves_to_deposits"]] > 0.15, 3, ds)
        rt = np.ones(x.shape[0], dtype=np.int64)
        tight = (cap < mn + 2.0) | (loss > self.loss_high) | (gap < -3.0)
        loose = (cap > tg + 3.0) & (loss < self.loss_low) & (gap >= 0.0)
        rt = np.where(loose, 2, rt)
        rt = np.where(tight, 0, rt)
        a = (np.clip(ls, 0, 4) * 5 + np.clip(ds, 0, 4)) * 3 + rt
        a = a.astype(np.int64)
        return a[0] if single else a


# -------------------------------------------------------------------------------- households
class _RandomisedRule:
    """Rules that round a continuous plan to the discrete grid at random (unbiased), with their own generator.

    Rounding at random makes the population's average action move smoothly with the plan, as a
    population of heterogeneous agents would. The generator is the rule's own (seeded by ``seed``
    and by :meth:`reset`), never the environment's, and it draws a fixed number of numbers per
    agent and call, so two runs with the same seeds make the same draws.
    """

    def __init__(self, params: MonetaryParams, seed: int | None = 0):
        self.params = params
        self.seed = seed
        self.rng = np.random.default_rng(seed)

    def reset(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(self.seed if seed is None else seed)


def randomised_index(x: np.ndarray, grid: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index into the increasing ``grid`` whose value equals ``x`` in expectation (clipped to the grid's range)."""
    x = np.clip(x, grid[0], grid[-1])
    hi = np.clip(np.searchsorted(grid, x, side="left"), 1, grid.size - 1)
    lo = hi - 1
    width = grid[hi] - grid[lo]
    frac = np.where(width > 0, (x - grid[lo]) / np.where(width > 0, width, 1.0), 0.0)
    return np.where(u < frac, hi, lo).astype(np.int64)


class HouseholdRule(_RandomisedRule):
    """Buffer-stock household with rate-sensitive saving and credit-financed durable purchases.

    With permanent income y (its 12-month average net income, months of the average wage; at least
    ``income_floor`` when computing its target), deposits D and real rates
    r_d = deposit rate - expected inflation, r_l = best lending rate - expected inflation (%/yr),
    the household

    * targets deposits of b* y with b* = ``buffer`` x (1 + ``rate_sensitivity`` x (r_d - r_d*)) months
      (a higher real return makes saving more attractive) and plans to spend
      c = y + (D - b* y) / ``adjust_months``; its consumption rate is c / (y + D / Tw) (Tw =
      ``wealth_spending_months``), rounded at random to one of the allowed rates so that it is
      right on average;
    * finances durable purchases with credit: an employed household whose debt service is below
      ``max_dsti`` of income and whose deposits are below twice its target asks for a loan with
      probability ``borrow_rate`` x exp(-``borrow_sensitivity`` (r_l - r_l*)) a month (2 % a month,
      about 10 % fewer requests per point of real lending rate); the loan is spent in the month;
    * works long hours when deposits are short (below half the target) or debt service exceeds
      30 % of income, short hours when deposits exceed three times the target; an unemployed
      household searches harder when its deposits are below target.

    r_d* and r_l* are the real deposit and lending rates of the calibrated steady state.
    """

    name = "buffer_stock"

    def __init__(
        self,
        params: MonetaryParams,
        buffer: float = 3.0,
        adjust_months: float = 6.0,
        rate_sensitivity: float = 0.02,
        borrow_rate: float = 0.02,
        borrow_sensitivity: float = 0.1,
        max_dsti: float = 0.25,
        income_floor: float = 0.5,
        seed: int | None = 0,
    ):
        super().__init__(params, seed)
        self.buffer = float(buffer)
        self.adjust_months = float(adjust_months)
        self.rate_sensitivity = float(rate_sensitivity)
        self.borrow_rate = float(borrow_rate)
        self.borrow_sensitivity = float(borrow_sensitivity)
        self.max_dsti = float(max_dsti)
        self.income_floor = float(income_floor)
        if self.buffer <= 0 or self.adjust_months < 1 or self.income_floor <= 0:
            raise ValueError("buffer and income_floor must be positive and adjust_months at least 1")
        if not 0.0 <= self.borrow_rate <= 1.0:
            raise ValueError(f"borrow_rate must be a probability, got {borrow_rate}")
        cal = params.calibration
        self.rd_star = 1200.0 * (cal.deposit_rate_m - cal.inflation_target_m)
        self.rl_star = 1200.0 * (cal.lending_rate_m - cal.inflation_target_m)
        self.rates = np.asarray(params.consumption_rates, dtype=np.float64)
        self.inv_tw = 1.0 / params.wealth_spending_months

    def __call__(self, obs: Any) -> np.ndarray:
        x, single = _rows(obs, len(HH_OBS_NAMES), "household")
        u = self.rng.random((2, x.shape[0]))
        dsti = x[:, HH["debt_service_to_income"]]
        y = np.maximum(x[:, HH["permanent_income"]], 0.0)
        dep = np.maximum(x[:, HH["deposits"]], 0.0)
        pie = x[:, HH["expected_inflation"]]
        r_d = x[:, HH["deposit_rate"]] - pie
        r_l = x[:, HH["best_lending_rate"]] - pie
        b_star = self.buffer * np.maximum(1.0 + self.rate_sensitivity * (r_d - self.rd_star), 0.25)
        target = b_star * np.maximum(y, self.income_floor)
        c = y + (dep - target) / self.adjust_months
        spendable = np.maximum(y + dep * self.inv_tw, 1e-9)
        cs = randomised_index(c / spendable, self.rates, u[0])
        employed = x[:, HH["employed"]] > 0.5
        p_borrow = self.borrow_rate * np.exp(-self.borrow_sensitivity * (r_l - self.rl_star))
        borrow = ((u[1] < p_borrow) & employed & (dsti < self.max_dsti) & (dep < 2.0 * target)).astype(np.int64)
        ls = np.ones(x.shape[0], dtype=np.int64)
        long_h = (dep < 0.5 * target) | (dsti > 0.3)
        short_h = dep > 3.0 * target
        ls = np.where(employed & long_h, 2, ls)
        ls = np.where(employed & short_h, 0, ls)
        ls = np.where(~employed & (dep < target), 2, ls)
        a = ((cs * 2 + borrow) * 3 + ls).astype(np.int64)
        return a[0] if single else a


# -------------------------------------------------------------------------------------- firms
class FirmRule(_RandomisedRule):
    """Markup pricing with inventory signals, production smoothing, and a user-cost investment rule.

    * price: the desired price is (1 + mu_f) x normal unit labour cost (wage / marginal product of
      labour at the normal capital-labour ratio: normal-cost pricing) x (1 + expected monthly inflation),
      with mu_f = markup x (1 + nu (target - inventory)/target) clipped to [markup/2, 1.5 markup]
      (scarce goods raise the markup, piled-up stock lowers it); the firm picks the allowed
      price change nearest to log(desired / current) - an (S, s) rule that changes the price
      only when the gap exceeds half the smallest step, so prices are sticky;
    * hiring: planned output = expected sales x (1 + (target - inventory) / 3 months); the hours
      needed change by (planned / current output - 1) / (1 - alpha); the firm closes
      ``labour_adjustment`` (a third) of an upward gap a month and ``firing_adjustment`` (a sixth) of a
      downward one (labour hoarding): it hires (fires) with probability adjustment x |change| / (the
      change one hiring step makes, max(hiring_step, 1 / workers)), and holds (replaces separations)
      otherwise;
    * investment: the desired investment relative to replacement is
      1 + ``elasticity`` x (MPK/(1 + markup) / user cost - 1), with the user cost
      r_L - expected inflation + depreciation (%/yr) and MPK the marginal product of capital at
      expected sales and its relative price, rounded at random to the low/replace/expand levels.
    """

    name = "markup_firm"

    def __init__(
        self,
        params: MonetaryParams,
        elasticity: float = 0.3,
        inventory_months: float = 3.0,
        labour_adjustment: float = 1.0 / 3.0,
        firing_adjustment: float = 1.0 / 6.0,
        seed: int | None = 1,
    ):
        super().__init__(params, seed)
        self.labour_adjustment = float(labour_adjustment)
        self.firing_adjustment = float(firing_adjustment)
        self.elasticity = float(elasticity)
        self.inventory_months = float(inventory_months)
        if self.inventory_months <= 0:
            raise ValueError("inventory_months must be positive")
        self.changes = np.log1p(np.asarray(params.price_changes, dtype=np.float64) / 100.0)
        self.inv_grid = np.asarray(params.investment_rates, dtype=np.float64)
        self.workers_ss = params.calibration.workers_per_firm

    def __call__(self, obs: Any) -> np.ndarray:
        x, single = _rows(obs, len(FIRM_OBS_NAMES), "firm")
        p = self.params
        u = self.rng.random((2, x.shape[0]))
        inv = x[:, FM["inventory_months"]]
        tgt = p.inventory_target
        mu = np.clip(p.markup * (1.0 + p.markup_inventory_response * (tgt - inv) / tgt), 0.5 * p.markup, 1.5 * p.markup)
        pie_m = x[:, FM["expected_inflation"]] / 1200.0
        ulc = np.maximum(x[:, FM["normal_unit_labour_cost_to_price"]], 1e-9)
        gap = np.log((1.0 + mu) * ulc * (1.0 + pie_m))
        pc = np.abs(gap[:, None] - self.changes[None, :]).argmin(axis=1)
        es = x[:, FM["expected_sales_to_production"]]
        plan = es * (1.0 + (tgt - inv) / self.inventory_months)
        dh = (plan - 1.0) / (1.0 - p.capital_share)
        workers = np.maximum(x[:, FM["workers_relative"]] * self.workers_ss, 1.0)
        step = np.maximum(p.hiring_step, 1.0 / workers)
        prob = np.where(dh > 0, self.labour_adjustment, self.firing_adjustment) * np.abs(dh) / step
        hr = np.ones(x.shape[0], dtype=np.int64)
        move = u[0] < prob
        hr = np.where(move & (dh > 0), 2, hr)
        hr = np.where(move & (dh < 0), 0, hr)
        uc = x[:, FM["lending_rate"]] - x[:, FM["expected_inflation"]] + p.depreciation
        mrpk = x[:, FM["marginal_product_capital"]] / (1.0 + p.markup)
        ratio = mrpk / np.maximum(uc, 1e-6)
        want = 1.0 + self.elasticity * (ratio - 1.0)
        iv = randomised_index(want, self.inv_grid, u[1])
        a = ((pc * 3 + hr) * 3 + iv).astype(np.int64)
        return a[0] if single else a


BANK_RULES: dict[str, type] = {"heuristic": BankRule}
HOUSEHOLD_RULES: dict[str, type] = {"buffer_stock": HouseholdRule}
FIRM_RULES: dict[str, type] = {"markup": FirmRule}


def reset_rules(seed: int | None, *rules: Any) -> None:
    """Reset rules that keep state or a generator; rule k gets seed ``seed * 7919 + k`` (``None``: its own seed)."""
    for k, rule in enumerate(rules):
        if hasattr(rule, "reset"):
            rule.reset(None if seed is None else int(seed) * 7919 + k)


def make_rule(kind: str, policy: Any, params: MonetaryParams) -> Callable[[np.ndarray], Any]:
    """A rule for role ``kind`` from a name, a callable (returned as is) or ``None`` (the default rule)."""
    table = {
        "central_bank": CENTRAL_BANK_RULES,
        "bank": BANK_RULES,
        "household": HOUSEHOLD_RULES,
        "firm": FIRM_RULES,
    }
    if kind not in table:
        raise ValueError(f"unknown role {kind!r}; roles are {list(table)}")
    rules = table[kind]
    if policy is None:
        policy = next(iter(rules)) if kind != "central_bank" else "taylor93"
    if isinstance(policy, str):
        if policy not in rules:
            raise ValueError(f"unknown {kind} rule {policy!r}; choose from {sorted(rules)}")
        return rules[policy](params)
    if not callable(policy):
        raise TypeError(f"{kind} policy must be a rule name or a callable, got {type(policy).__name__}")
    return policy


def rule_policy(
    role: str, name: str | None = None, env_config: dict[str, Any] | None = None, **kwargs: Any
) -> Callable[[np.ndarray], np.ndarray]:
    """A rule of ``role`` as a batched callable (B, obs_dim) -> (B,) action indices, built from an env config.

    Used by RLlib's frozen baseline modules (``econ_envs.rllib.modules.FrozenRuleModule`` with
    ``factory="econ_envs.monetary.policies:rule_policy"``). ``name`` is a rule of the role
    (``None``: its default), ``env_config`` the keyword arguments of ``monetary-v0`` (calibration
    the rule reads), ``kwargs`` go to the rule (``seed``, ``rho``, ...).

    None of the rules remembers the economy between calls: the central-bank rules and the bank
    rule are functions of the observation (the inertial rule reads last month's rate from it), and
    the household and firm rules only carry a random generator for their unbiased rounding. A
    module built once and shared by many agents, episodes and economies therefore acts exactly as
    the rule does; the generator is seeded when the callable is built and continues across
    episodes (fresh draws each episode, as a population would make, rather than the same draws
    replayed). To replay the draws of a seeded simulation, build the rule with that seed.
    """
    table = {"central_bank": CENTRAL_BANK_RULES, "bank": BANK_RULES, "household": HOUSEHOLD_RULES, "firm": FIRM_RULES}
    if role not in table:
        raise ValueError(f"unknown role {role!r}; roles are {list(table)}")
    rules = table[role]
    if name is None:
        name = "taylor93" if role == "central_bank" else next(iter(rules))
    if name not in rules:
        raise ValueError(f"unknown {role} rule {name!r}; choose from {sorted(rules)}")
    if env_config is not None and not isinstance(env_config, dict):
        raise TypeError(f"env_config must be a dict of monetary-v0 arguments, got {type(env_config).__name__}")
    params = MonetaryParams.from_kwargs(**dict(env_config or {}))
    rule = rules[name](params, **kwargs)
    if role != "central_bank":
        return rule
    width = len(CB_OBS_NAMES)

    def central_bank(obs: np.ndarray) -> np.ndarray:
        x, _ = _rows(obs, width, "central_bank")
        return np.array([rule(row) for row in x], dtype=np.int64)

    central_bank.rule = rule  # type: ignore[attr-defined]
    return central_bank


class RuleProfile:
    """A central-bank rule with the heuristic banks, households and firms, as ``econ-envs simulate`` runs it."""

    env_overrides: dict[str, Any] = {}
    cb_rule = "taylor93"

    def __init__(self, env: Any, central_bank: str | Callable | None = None, bank: Any = None,
                 household: Any = None, firm: Any = None):  # fmt: skip
        params = env.params
        self.central_bank = make_rule("central_bank", central_bank or self.cb_rule, params)
        self.bank = make_rule("bank", bank, params)
        self.household = make_rule("household", household, params)
        self.firm = make_rule("firm", firm, params)
        self.name = f"{getattr(self.central_bank, 'name', 'custom')}+rules"

    def reset(self, env: Any, seed: int | None) -> None:
        reset_rules(seed, self.central_bank, self.bank, self.household, self.firm)
        env.reset_batch(seed=seed)

    def act(self, env: Any) -> dict[str, np.ndarray]:
        obs = env.batch_observations()
        return {
            "central_bank": np.array([self.central_bank(obs["central_bank"][0])], dtype=np.int64),
            "bank": np.asarray(self.bank(obs["bank"]), dtype=np.int64),
            "household": np.asarray(self.household(obs["household"]), dtype=np.int64),
            "firm": np.asarray(self.firm(obs["firm"]), dtype=np.int64),
        }


def _profile(rule: str) -> type:
    cls = type(f"{rule.title().replace('_', '')}Profile", (RuleProfile,), {"cb_rule": rule})
    cls.__doc__ = f"Central bank on the {rule!r} rule; banks, households and firms on their heuristic rules."
    return cls


Taylor93Profile = _profile("taylor93")
BalancedProfile = _profile("balanced")
NppProfile = _profile("npp")
InertialProfile = _profile("inertial")
FixedRateProfile = _profile("fixed_rate")

__all__ = [
    "BankRule",
    "CentralBankRule",
    "FirmRule",
    "FixedRate",
    "HouseholdRule",
    "RuleProfile",
    "TaylorRule",
    "balanced",
    "inertial",
    "make_rule",
    "npp",
    "rule_policy",
    "taylor93",
]
