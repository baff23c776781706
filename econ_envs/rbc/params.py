"""Constants of the real-business-cycle economy: one frozen dataclass, presets as classmethods.

Units: money in the model's currency unit (written "$"), goods in units of
each firm's good, labour in hours per quarter, time in quarters (one step is
one quarter), rates as fractions. Sources: the AI Economist RBC code
(``constants.py``, ``train_multi_exps.py``, ``firm_rbc.cu``) and its paper
(Curry et al., arXiv:2201.01163 v2, Tables 1-2), as summarised in the
project's reference notes; where they disagree the comment says which we use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

from econ_envs.core.params import check_choice, check_increasing, check_number, with_overrides

OBSERVATION_MODES = ("scaled", "raw", "digits")
DIGITS = 10  # digit features per expanded scalar in "digits" observations (original: digit_representation_size)

# Default discrete action grids (the original's action arrays).
CONSUMPTION_CHOICES = tuple(float(k) for k in range(11))  # units of one good per quarter: 0, 1, ..., 10
HOURS_CHOICES = (0.0, 260.0, 520.0, 780.0, 1040.0)  # hours per quarter; 260 = 20 h/week x 13 weeks
PRICE_CHOICES = (0.0, 500.0, 1000.0, 1500.0, 2000.0, 2500.0)  # $ per unit
WAGE_CHOICES = (0.0, 11.0, 22.0, 33.0, 44.0)  # $ per hour
INVESTMENT_CHOICES = (0.1,)  # share of positive operating income invested (one value: fixed in effect)
TAX_CHOICES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # fractions
ALPHA_LEVELS = (0.2, 0.3, 0.4, 0.6, 0.8)  # labour exponents, repeated over the firms ("fixed_array" for F=10)


def _check_grid(name: str, values: Any, lo: float, hi: float | None, *, increasing: bool = True) -> None:
    if not isinstance(values, tuple) or len(values) == 0:
        raise ValueError(f"{name} must be a non-empty tuple of numbers, got {values!r}")
    if len(values) > 10_000:
        raise ValueError(f"{name}: at most 10,000 choices, got {len(values)}")
    for i, v in enumerate(values):
        check_number(f"{name}[{i}]", v, lo, hi)
    if increasing:
        check_increasing(name, values)


@dataclass(frozen=True)
class RBCParams:
    """Every constant of the RBC economy (``rbc-v0``), validated on construction.

    Pass any field as a keyword to ``econ_envs.make("rbc-v0", ...)`` or as
    ``--set name=value`` on the command line; ``preset="template"`` starts from
    :meth:`template` (the original's config template) instead of :meth:`paper`.
    """

    # --- population and horizon ---------------------------------------------------------------
    n_consumers: int = 100  # consumer-workers N (paper: 100; no upper limit of 1,024 agents here)
    n_firms: int = 10  # firms F, one good each (paper: 10)
    episode_length: int = 10  # quarters per episode (original world.maxtime = 10)

    # --- action grids (the original's action arrays) ----------------------------------------------
    consumption_choices: tuple = CONSUMPTION_CHOICES  # attempted units of each good per quarter
    hours_choices: tuple = HOURS_CHOICES  # hours worked per quarter
    price_choices: tuple = PRICE_CHOICES  # $ per unit, chosen at t, in force at t+1
    wage_choices: tuple = WAGE_CHOICES  # $ per hour, chosen at t, in force at t+1
    investment_choices: tuple = INVESTMENT_CHOICES  # share of positive operating income invested, used at t
    income_tax_choices: tuple = TAX_CHOICES  # income-tax rate on wages, chosen at t, in force at t+1
    corporate_tax_choices: tuple = TAX_CHOICES  # corporate-tax rate on positive profit, chosen at t, in force at t+1

    # --- technology -------------------------------------------------------------------------------
    technology: float = 0.01  # A in Y = A K^(1-alpha) L^alpha (hard-coded 0.01 in the original kernel call)
    alpha_levels: tuple = ALPHA_LEVELS  # labour exponent of firm i = alpha_levels[i % len]; code's set
    capital_low: float = 5000.0  # initial capital of firms i < F/2 (original "twolevel"), units of capital
    capital_high: float = 10000.0  # initial capital of the other firms
    labor_floor: float = 0.0  # hours; a firm with less labour than this produces nothing (original default 0)

    # --- preferences --------------------------------------------------------------------------------
    crra: float = 0.1  # eta in U(c) = ((1+c)^(1-eta) - 1)/(1-eta), per good (original crra_param)
    theta_base: float = 0.01  # disutility of work per hour x 2 of consumer 0: cost (theta/2) h (consumer_theta)
    theta_pareto_shape: float = 4.0  # theta_j = theta_base (1 - j/N)^(1/shape) (Pareto quantiles, shape 4)

    # --- initial state (paper sweep / Table 1) --------------------------------------------------------
    initial_price: float = 1000.0  # $ per unit, in force at t = 0
    initial_wage: float = 0.0  # $ per hour in force at t = 0 (paper sweep: 0; template: 22)
    initial_inventory: float = 0.0  # units of each good at t = 0
    consumer_initial_budget: float = 2000.0  # $ per consumer
    firm_initial_budget: float | None = None  # $ per firm; None = 22 x 1000 x N (2.2e6 for N = 100), as the original

    # --- export market (open economy) ------------------------------------------------------------------
    open_economy: bool = True  # False = closed economy (original use_importer = 0)
    export_price: float = 500.0  # $ per unit: the export market buys only from firms pricing at least this
    export_quantity: float = 100.0  # units per firm per quarter the export market buys at most
    export_price_inclusive: bool = True  # True: price >= export_price qualifies (code); False: > (paper)

    # --- money ------------------------------------------------------------------------------------------
    consumer_endowment: float = 0.01  # $ per consumer per quarter (the original's "negligible positive money")
    interest_rate: float = 0.0  # per quarter, paid on positive budgets only (paper sweep 0.0; template 0.1)

    # --- rewards ----------------------------------------------------------------------------------------
    # Government reward = sum of consumer rewards + firm_reward_weight x sum of firm rewards. The paper
    # sweep counts firm reward ("total" welfare, weight 0.0025); 0 gives consumer-only welfare (template).
    firm_reward_weight: float = 0.0025
    firm_revenue_bonus: float = 0.0  # reward-only bonus x revenue when the firm's budget stays positive (off)
    # No-Ponzi penalty on the last step: reward -= coef x max(-final budget, 0) / scale (off by default, as
    # the original's coefficients start at 0 and its learning rate eta is 0).
    consumer_noponzi_coef: float = 0.0
    consumer_noponzi_scale: float = 1.0  # $
    firm_noponzi_coef: float = 0.0
    firm_noponzi_scale: float = 100.0  # $

    # --- observations -----------------------------------------------------------------------------------
    # "scaled" (default): the original layout divided by constant scales (see the family manual);
    # "raw": the original's raw state (what the rollout files store); "digits": the original's network
    # input, with inventories and budgets expanded into 10 digit features each.
    observation_mode: str = "scaled"
    inventory_scale: float = 100.0  # units; inventories are divided by it in "scaled" observations
    capital_scale: float = 10000.0  # capital is divided by it in "scaled" and "digits" observations

    def __post_init__(self) -> None:
        check_number("n_consumers", self.n_consumers, 1, 1_000_000, integer=True)
        object.__setattr__(self, "n_consumers", int(self.n_consumers))
        check_number("n_firms", self.n_firms, 1, 10_000, integer=True)
        object.__setattr__(self, "n_firms", int(self.n_firms))
        check_number("episode_length", self.episode_length, 1, 1_000_000, integer=True)
        object.__setattr__(self, "episode_length", int(self.episode_length))
        for name in ("consumption_choices", "hours_choices", "price_choices", "wage_choices",
                     "investment_choices", "income_tax_choices", "corporate_tax_choices", "alpha_levels"):  # fmt: skip
            v = getattr(self, name)
            if isinstance(v, list):
                object.__setattr__(self, name, tuple(v))
        _check_grid("consumption_choices", self.consumption_choices, 0, 1e9)
        _check_grid("hours_choices", self.hours_choices, 0, 24 * 92)  # at most every hour of a quarter
        _check_grid("price_choices", self.price_choices, 0, 1e12)
        _check_grid("wage_choices", self.wage_choices, 0, 1e9)
        _check_grid("investment_choices", self.investment_choices, 0, 1)
        _check_grid("income_tax_choices", self.income_tax_choices, 0, 1)
        _check_grid("corporate_tax_choices", self.corporate_tax_choices, 0, 1)
        _check_grid("alpha_levels", self.alpha_levels, 0, 1, increasing=False)
        for i, a in enumerate(self.alpha_levels):
            if not 0.0 < float(a) < 1.0:
                raise ValueError(f"alpha_levels[{i}] must be in (0, 1), got {a!r}")
        check_number("technology", self.technology, 0, 1e6, lo_open=True)
        check_number("capital_low", self.capital_low, 0, 1e15, lo_open=True)
        check_number("capital_high", self.capital_high, 0, 1e15, lo_open=True)
        check_number("labor_floor", self.labor_floor, 0, 1e12)
        check_number("crra", self.crra, 0, 50)
        if self.crra == 1.0:
            raise ValueError("crra must differ from 1 (U(c) = ((1+c)^(1-crra) - 1)/(1-crra)), got 1.0")
        check_number("theta_base", self.theta_base, 0, 1e6)
        check_number("theta_pareto_shape", self.theta_pareto_shape, 0, 1e6, lo_open=True)
        check_number("initial_price", self.initial_price, 0, 1e12)
        check_number("initial_wage", self.initial_wage, 0, 1e9)
        check_number("initial_inventory", self.initial_inventory, 0, 1e12)
        check_number("consumer_initial_budget", self.consumer_initial_budget, 0, 1e15)
        if self.firm_initial_budget is not None:
            check_number("firm_initial_budget", self.firm_initial_budget, -1e15, 1e15)
        for name in ("open_economy", "export_price_inclusive"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be true or false, got {getattr(self, name)!r}")
        check_number("export_price", self.export_price, 0, 1e12)
        check_number("export_quantity", self.export_quantity, 0, 1e12)
        check_number("consumer_endowment", self.consumer_endowment, 0, 1e9)
        check_number("interest_rate", self.interest_rate, 0, 1)
        check_number("firm_reward_weight", self.firm_reward_weight, 0, 1e6)
        check_number("firm_revenue_bonus", self.firm_revenue_bonus, 0, 1e6)
        check_number("consumer_noponzi_coef", self.consumer_noponzi_coef, 0, 1e9)
        check_number("consumer_noponzi_scale", self.consumer_noponzi_scale, 0, 1e15, lo_open=True)
        check_number("firm_noponzi_coef", self.firm_noponzi_coef, 0, 1e9)
        check_number("firm_noponzi_scale", self.firm_noponzi_scale, 0, 1e15, lo_open=True)
        check_choice("observation_mode", self.observation_mode, OBSERVATION_MODES)
        check_number("inventory_scale", self.inventory_scale, 0, 1e15, lo_open=True)
        check_number("capital_scale", self.capital_scale, 0, 1e15, lo_open=True)
        size = self.n_consumers * self.n_firms
        if size > 50_000_000:
            raise ValueError(
                f"n_consumers x n_firms = {size:,} exceeds 50,000,000 (memory per replica); use fewer agents"
            )

    # ------------------------------------------------------------------ presets
    @classmethod
    def paper(cls, **overrides: Any) -> RBCParams:
        """Default: the settings of the paper's sweep (initial wage 0, no interest, total welfare)."""
        return with_overrides(cls(), overrides)

    @classmethod
    def template(cls, **overrides: Any) -> RBCParams:
        """The original's config template: initial wage 22, 10 % interest, consumer-only welfare."""
        return with_overrides(cls(initial_wage=22.0, interest_rate=0.1, firm_reward_weight=0.0), overrides)

    @classmethod
    def from_kwargs(cls, preset: str = "paper", **overrides: Any) -> RBCParams:
        presets = {"paper": cls.paper, "template": cls.template}
        check_choice("preset", preset, sorted(presets))
        return presets[preset](**overrides)

    def replace(self, **overrides: Any) -> RBCParams:
        return with_overrides(self, overrides)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v) for f in fields(self)}

    # -------------------------------------------------------------- derived values
    @property
    def firm_budget0(self) -> float:
        """Initial budget of each firm, $ (default 22 x 1000 x N as in the original)."""
        if self.firm_initial_budget is None:
            return 22.0 * 1000.0 * self.n_consumers
        return float(self.firm_initial_budget)

    @property
    def n_firm_actions(self) -> int:
        return len(self.price_choices) * len(self.wage_choices) * len(self.investment_choices)

    @property
    def n_government_actions(self) -> int:
        return len(self.income_tax_choices) * len(self.corporate_tax_choices)

    def alphas(self) -> list[float]:
        """Labour exponent alpha_i of each firm."""
        L = len(self.alpha_levels)
        return [float(self.alpha_levels[i % L]) for i in range(self.n_firms)]

    def initial_capitals(self) -> list[float]:
        """Initial capital of each firm: capital_low for i < F/2, capital_high otherwise."""
        return [float(self.capital_low if i < self.n_firms / 2 else self.capital_high) for i in range(self.n_firms)]

    def thetas(self) -> list[float]:
        """Labour-disutility parameter theta_j of each consumer (before any annealing)."""
        N, b = self.n_consumers, self.theta_pareto_shape
        return [self.theta_base * math.pow(1.0 - j / N, 1.0 / b) for j in range(N)]
