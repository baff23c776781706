"""Calibration of the monetary-transmission economy: one frozen dataclass and its derived steady state.

Units (the convention of the whole family):

* Time is a month. ``episode_length`` counts months.
* Inside the economy (kernels, state arrays) every interest rate, inflation
  rate and other rate is a **fraction per month**. Everything a user sets or
  sees (these parameters, observations, ``aggregates()``, CSV files, plots) shows
  rates **annualised in percent per year** with the APR convention:
  ``annual % = 1200 x monthly fraction``. The conversion is linear, so a
  +25 bp step of an annual rate is exactly +25/12 bp a month, Taylor rules
  written in annual percent hold unchanged, and the Fisher relation
  (real = nominal - inflation) holds in both units.
* Probabilities of events are per month (``separation_rate = 0.02``: 2 % of
  jobs end each month) and named so.
* Money is in the economy's currency unit: the initial price of one unit of
  the good is 1, and one worker at normal hours produces about one unit a
  month at the calibrated capital stock.

Every constant below says its unit and where its value comes from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any

from econ_envs.core.params import check_increasing, check_number, with_overrides

PERCENT_YEAR = 1200.0  # annual percent per (fraction per month)


@dataclass(frozen=True)
class Calibration:
    """The steady state implied by :class:`MonetaryParams` (real values are in units of the good).

    Monthly rates are fractions per month.
    """

    policy_rate_m: float  # initial policy rate, fraction/month
    inflation_target_m: float  # pi*, fraction/month
    neutral_real_rate_m: float  # r* = i0 - pi*, fraction/month
    lending_rate_m: float  # i0 + middle lending spread, fraction/month
    deposit_rate_m: float  # i0 - middle deposit spread, fraction/month
    depreciation_m: float  # capital depreciation, fraction/month
    user_cost_m: float  # real lending rate + depreciation, fraction/month
    capital_per_worker: float  # k* where MPK/(1+markup) = user cost, units of the good
    tfp: float  # mean firm TFP so that a worker at normal hours makes 1 unit/month at k*
    output_per_worker: float  # 1.0 by construction, units/month
    real_wage: float  # w* = MPL/(1+markup), units of the good per month of normal hours
    outside_option: float  # b, value of not working (replacement rate x w*), units/month
    vacancy_cost: float  # kappa from the bargained-wage equation at the steady-state tightness
    matching_efficiency: float  # A in M = A S^0.5 V^0.5 giving the steady-state job-finding rate
    natural_unemployment: float  # u* = s / (s + f*), fraction of households
    workers_per_firm: float  # (1 - u*) N / F
    natural_hours: float  # L* = (1 - u*) N x normal hours (potential labour input), worker-months
    investment_per_worker: float  # delta_m k*, units/month
    consumption_per_household: float  # steady-state real consumption per household, units/month
    income_per_household: float  # steady-state real income per household, units/month
    output_per_firm: float  # units/month
    equity_per_bank: float  # target capital ratio x steady-state loans per bank, currency units


@dataclass(frozen=True)
class MonetaryParams:
    """Every constant of the monetary economy (``monetary-v0``), validated on construction.

    Pass any field as a keyword to ``econ_envs.make("monetary-v0", ...)`` or as
    ``--set name=value`` on the command line.
    """

    # --- population and horizon --------------------------------------------------------------
    n_banks: int = 5  # commercial banks (seed default 5)
    n_households: int = 100  # households (seed default 100)
    n_firms: int = 20  # firms (seed default 20)
    episode_length: int = 120  # months per episode (seed: 120 = 10 years)

    # --- monetary policy (annual percent) ----------------------------------------------------
    inflation_target: float = 2.0  # pi*, %/yr (seed)
    initial_policy_rate: float = 3.0  # i_0, %/yr (seed); the steady state's nominal neutral rate
    zero_lower_bound: bool = True  # floor the policy rate at 0 %/yr (False: floor at rate_floor)
    rate_floor: float = -5.0  # %/yr, the policy-rate floor when zero_lower_bound is False
    max_policy_rate: float = 20.0  # %/yr, ceiling of the policy rate
    # Central-bank loss L = (pi - pi*)^2 + lambda gap^2 + mu (i - i_prev)^2, in annual percentage points
    # (Hinterlang & Tanzer use equal weights 0.5/0.5, i.e. lambda = 1 relative to inflation; the common
    # academic choice is lambda = 0.5 and a small mu, see the reference notes section 1.3).
    loss_output_weight: float = 0.5  # lambda
    loss_rate_change_weight: float = 0.1  # mu
    loss_discount: float = 0.99  # monthly discount factor of the loss table (analysis)
    # Inflation expectations (the survey-type expectation every agent observes):
    # pi^e = anchor * pi* + (1 - anchor) * 12-month inflation.
    expectations_anchor: float = 0.5

    # --- technology and goods market -----------------------------------------------------------
    capital_share: float = 0.33  # alpha in y = A K^alpha H^(1-alpha) (reference calibration: 0.33)
    depreciation: float = 10.0  # capital depreciation, %/yr (reference calibration: 10 %/yr)
    markup: float = 0.2  # firms' desired markup over marginal cost at target inventories (= 1/(eta-1))
    demand_elasticity: float = 6.0  # eta: demand for firm f's good in units proportional to (p_f / P)^-eta
    tfp_dispersion: float = 0.0  # sd of log firm TFP (fixed per firm, drawn at reset; workers follow demand)
    inventory_target: float = 1.0  # months of expected sales firms aim to hold
    inventory_decay: float = 0.01  # share of inventories lost per month (storage, spoilage)
    markup_inventory_response: float = 0.2  # nu: desired markup x (1 + nu (target - inv)/target)
    sales_smoothing: float = 0.3  # weight of this month's sales in firms' expected sales (EMA)

    # --- labour market -------------------------------------------------------------------------
    separation_rate: float = 0.02  # probability a job ends in a month (reference calibration: 2 %/month)
    job_finding_rate: float = 0.38  # steady-state f*, per month (u* = s/(s+f*) = 5 %)
    steady_state_tightness: float = 1.0  # theta* = V/U at which the bargained wage equals w*
    bargaining_power: float = 0.5  # beta, workers' Nash bargaining weight (Pissarides 2000; Hosios: 0.5)
    # b / w*: value of not working (benefits, home production, leisure). Hall & Milgrom (2008, AER) use 0.71;
    # 0.76 gives an elasticity of about 0.02: a tight market (V/U at 3x steady state) adds 4 %/yr to wage growth;
    # it sets how strongly the bargained wage responds to tightness (elasticity 1 - beta(1+markup) - (1-beta)b/w*).
    replacement_rate: float = 0.76
    max_tightness: float = 3.0  # cap on V/U (x steady state) in the bargain: small markets can have U = 0
    wage_adjustment: float = 0.1  # share of the gap to the bargained wage closed each month
    tightness_smoothing: float = 0.25  # weight of this month's V/U in the tightness used in bargaining
    hiring_step: float = 0.1  # "hire"/"fire": grow/shrink the workforce by this share (at least 1 worker)
    search_intensity: tuple = (0.5, 1.0, 1.5)  # unemployed search effort by labour-supply choice
    hours: tuple = (0.8, 1.0, 1.2)  # hours of an employed worker by labour-supply choice (1 = normal)

    # --- credit market --------------------------------------------------------------------------
    lending_spreads: tuple = (1.0, 1.5, 2.0, 2.5, 3.0)  # bank loan rate - policy rate, %/yr (5 choices)
    deposit_spreads: tuple = (0.0, 0.5, 1.0, 1.5, 2.0)  # policy rate - deposit rate, %/yr (5 choices)
    # Lending standards by risk tolerance (low, medium, high):
    household_dsti_caps: tuple = (0.25, 0.35, 0.45)  # max debt service / income after the loan
    firm_leverage_caps: tuple = (0.3, 0.5, 0.7)  # max loan / value of the firm's capital after the loan
    household_loan_months: float = 3.0  # size of a household loan request, months of the average wage
    household_loan_maturity: float = 60.0  # months; principal repaid at 1/maturity of the balance a month
    firm_loan_maturity: float = 60.0  # months (reference calibration: loan term 60 months)
    recovery_rate: float = 0.4  # share of a defaulted balance recovered from the borrower's deposits
    min_capital_ratio: float = 0.08  # equity / loans below which a bank breaches (Basel minimum 8 %)
    target_capital_ratio: float = 0.12  # banks pay dividends only above this ratio
    reserve_requirement: float = 0.01  # reserves / deposits a bank must hold (shortfalls: CB advances)
    lending_facility_spread: float = 1.0  # CB advance rate - policy rate, %/yr (corridor ceiling)
    deposit_switching: float = 0.05  # monthly probability a household compares its bank with another

    # --- unemployment insurance (a mutual fund with an account at the central bank) ----------------
    ui_contribution: float = 0.025  # share of every gross wage paid into the fund (balances it at u* = 5 %)
    ui_replacement: float = 0.4  # benefit / last month's average wage (reference calibration: UI 40 %)
    ui_months: int = 6  # months of benefits per unemployment spell (reference calibration: 6 months)
    ui_initial_months: float = 12.0  # fund at reset, months of steady-state benefits

    # --- households -----------------------------------------------------------------------------
    # Consumption rate (5 choices): the share of spendable income consumed, where spendable income is permanent
    # income (the household's average net income - wages + interest + dividends + transfers - debt service - over
    # about permanent_income_months) plus deposits / wealth_spending_months. At rate c the deposits that keep
    # spending equal to income are 12 (1/c - 1) months of net income: 3 months at 0.8.
    consumption_rates: tuple = (0.7, 0.75, 0.8, 0.85, 0.9)
    wealth_spending_months: float = 12.0  # deposits count as spendable income spread over this many months
    permanent_income_months: float = 12.0  # households' permanent income: average of net income over ~this span
    ownership_tail: float = 1.5  # Pareto exponent of household ownership shares of firms and banks
    initial_buffer_months: float = 3.0  # initial deposits, months of own net income (the steady state at rate 0.8)
    # Household debt at reset, mean in months of the steady-state wage, spread exponentially across the employed:
    # the stock at which new loans (2 % of employed households a month, each household_loan_months of the wage)
    # equal repayments (1/maturity of the balance a month) under the household rule's calibration.
    initial_household_debt: float = 3.6
    labour_disutility: float = 0.5  # chi in the reward: chi h^(1+phi)/(1+phi)
    inverse_frisch: float = 1.0  # phi
    savings_utility: float = 0.05  # psi_s in the reward: psi_s log(1 + real deposits / steady income)
    debt_disutility: float = 0.05  # psi_d in the reward: psi_d x real debt / steady income

    # --- firms -------------------------------------------------------------------------------------
    investment_rates: tuple = (0.5, 1.0, 1.5)  # investment / (depreciation x capital): low, replace, expand
    price_changes: tuple = (-2.0, -1.0, 0.0, 1.0, 2.0)  # % change of the posted price (5 choices)
    cash_buffer_months: float = 2.0  # firms keep this many months of wage bill; half the excess is paid out
    firm_payout_rate: float = 0.2  # share of cash above the buffer paid as dividends each month
    bank_payout_rate: float = 0.2  # share of equity above the target ratio paid as dividends each month
    investment_debt_share: float = 0.3  # share of investment spending firms finance with new loans
    inventory_cost: float = 0.01  # reward: holding cost per month per unit of inventory value (x output)
    bankruptcy_penalty: float = 10.0  # reward penalty for a firm in a month it defaults
    capital_penalty: float = 10.0  # reward penalty weight of a capital-ratio shortfall (relative)
    resolution_penalty: float = 50.0  # reward penalty for a bank in a month it is resolved (equity < 0)

    # --- shocks (analysis; zero by default) ---------------------------------------------------------
    shock_persistence: float = 0.9  # AR(1) decay per month of every scheduled shock

    # --- collapse -------------------------------------------------------------------------------------
    price_bounds: float = 1000.0  # terminate when the price level leaves [P0/x, P0*x]

    def __post_init__(self) -> None:
        check_number("n_banks", self.n_banks, 1, 10_000, integer=True)
        object.__setattr__(self, "n_banks", int(self.n_banks))
        check_number("n_households", self.n_households, 10, 1_000_000, integer=True)
        object.__setattr__(self, "n_households", int(self.n_households))
        check_number("n_firms", self.n_firms, 2, 100_000, integer=True)
        object.__setattr__(self, "n_firms", int(self.n_firms))
        if self.n_firms * 2 > self.n_households:
            raise ValueError(
                f"n_firms must be at most n_households / 2 (each firm needs workers), got n_firms={self.n_firms} "
                f"with n_households={self.n_households}"
            )
        check_number("episode_length", self.episode_length, 1, 100_000, integer=True)
        object.__setattr__(self, "episode_length", int(self.episode_length))
        check_number("inflation_target", self.inflation_target, -5, 20)
        check_number("max_policy_rate", self.max_policy_rate, 1, 100)
        check_number("rate_floor", self.rate_floor, -20, 0)
        if not isinstance(self.zero_lower_bound, bool):
            raise TypeError(f"zero_lower_bound must be True or False, got {self.zero_lower_bound!r}")
        floor = 0.0 if self.zero_lower_bound else self.rate_floor
        check_number("initial_policy_rate", self.initial_policy_rate, floor, self.max_policy_rate)
        check_number("loss_output_weight", self.loss_output_weight, 0, 100)
        check_number("loss_rate_change_weight", self.loss_rate_change_weight, 0, 100)
        check_number("loss_discount", self.loss_discount, 0, 1, lo_open=True)
        check_number("expectations_anchor", self.expectations_anchor, 0, 1)
        check_number("capital_share", self.capital_share, 0.05, 0.8)
        check_number("depreciation", self.depreciation, 0.5, 50)
        check_number("markup", self.markup, 0.01, 2)
        check_number("demand_elasticity", self.demand_elasticity, 1, 50, lo_open=True)
        check_number("tfp_dispersion", self.tfp_dispersion, 0, 1)
        check_number("inventory_target", self.inventory_target, 0.05, 12)
        check_number("inventory_decay", self.inventory_decay, 0, 0.5)
        check_number("markup_inventory_response", self.markup_inventory_response, 0, 5)
        check_number("sales_smoothing", self.sales_smoothing, 0, 1, lo_open=True)
        check_number("separation_rate", self.separation_rate, 0.001, 0.5)
        check_number("job_finding_rate", self.job_finding_rate, 0.01, 1)
        check_number("steady_state_tightness", self.steady_state_tightness, 0.05, 20)
        check_number("bargaining_power", self.bargaining_power, 0, 1, lo_open=True, hi_open=True)
        check_number("replacement_rate", self.replacement_rate, 0, 1, hi_open=True)
        check_number("wage_adjustment", self.wage_adjustment, 0, 1, lo_open=True)
        check_number("tightness_smoothing", self.tightness_smoothing, 0, 1, lo_open=True)
        check_number("hiring_step", self.hiring_step, 0, 1, lo_open=True)
        _check_grid("search_intensity", self.search_intensity, 3, 0, 10)
        _check_grid("hours", self.hours, 3, 0.05, 3)
        _check_grid("lending_spreads", self.lending_spreads, 5, 0, 50)
        _check_grid("deposit_spreads", self.deposit_spreads, 5, 0, 50)
        _check_grid("household_dsti_caps", self.household_dsti_caps, 3, 0.01, 5)
        _check_grid("firm_leverage_caps", self.firm_leverage_caps, 3, 0.01, 10)
        check_number("household_loan_months", self.household_loan_months, 0, 120)
        check_number("household_loan_maturity", self.household_loan_maturity, 1, 600)
        check_number("firm_loan_maturity", self.firm_loan_maturity, 1, 600)
        check_number("recovery_rate", self.recovery_rate, 0, 1)
        check_number("min_capital_ratio", self.min_capital_ratio, 0, 1)
        check_number("target_capital_ratio", self.target_capital_ratio, 0.001, 1)
        if self.target_capital_ratio < self.min_capital_ratio:
            raise ValueError(
                f"target_capital_ratio ({self.target_capital_ratio}) must be at least min_capital_ratio "
                f"({self.min_capital_ratio})"
            )
        check_number("reserve_requirement", self.reserve_requirement, 0, 1)
        check_number("lending_facility_spread", self.lending_facility_spread, 0, 50)
        check_number("deposit_switching", self.deposit_switching, 0, 1)
        _check_grid("consumption_rates", self.consumption_rates, 5, 0, 2)
        check_number("wealth_spending_months", self.wealth_spending_months, 1, 1200)
        check_number("permanent_income_months", self.permanent_income_months, 1, 1200)
        check_number("ownership_tail", self.ownership_tail, 1, 20, lo_open=True)
        check_number("ui_contribution", self.ui_contribution, 0, 0.5)
        check_number("ui_replacement", self.ui_replacement, 0, 1)
        check_number("ui_months", self.ui_months, 0, 1200, integer=True)
        object.__setattr__(self, "ui_months", int(self.ui_months))
        check_number("ui_initial_months", self.ui_initial_months, 0, 1200)
        check_number("initial_buffer_months", self.initial_buffer_months, 0, 120)
        check_number("initial_household_debt", self.initial_household_debt, 0, 120)
        check_number("labour_disutility", self.labour_disutility, 0, 100)
        check_number("inverse_frisch", self.inverse_frisch, 0, 20)
        check_number("savings_utility", self.savings_utility, 0, 100)
        check_number("debt_disutility", self.debt_disutility, 0, 100)
        _check_grid("investment_rates", self.investment_rates, 3, 0, 10)
        _check_grid("price_changes", self.price_changes, 5, -50, 50, strictly=True)
        check_number("cash_buffer_months", self.cash_buffer_months, 0, 120)
        check_number("firm_payout_rate", self.firm_payout_rate, 0, 1)
        check_number("bank_payout_rate", self.bank_payout_rate, 0, 1)
        check_number("investment_debt_share", self.investment_debt_share, 0, 1)
        check_number("max_tightness", self.max_tightness, 1, 1000)
        check_number("inventory_cost", self.inventory_cost, 0, 10)
        check_number("bankruptcy_penalty", self.bankruptcy_penalty, 0, 1e6)
        check_number("capital_penalty", self.capital_penalty, 0, 1e6)
        check_number("resolution_penalty", self.resolution_penalty, 0, 1e6)
        check_number("shock_persistence", self.shock_persistence, 0, 1, hi_open=True)
        check_number("price_bounds", self.price_bounds, 1, 1e12, lo_open=True)
        cal = self.calibration
        if cal.user_cost_m <= 0:
            raise ValueError(
                "initial_policy_rate + middle lending spread - inflation_target + depreciation must be positive "
                f"(the user cost of capital), got {cal.user_cost_m * PERCENT_YEAR:.3f} %/yr"
            )
        if cal.vacancy_cost <= 0:
            raise ValueError(
                "the bargained wage at steady-state tightness exceeds the wage firms pay at the desired markup: "
                "lower bargaining_power or replacement_rate, or raise markup"
            )

    # -------------------------------------------------------------------- construction
    def replace(self, **overrides: Any) -> MonetaryParams:
        return with_overrides(self, overrides)

    @classmethod
    def from_kwargs(cls, **overrides: Any) -> MonetaryParams:
        return with_overrides(cls(), overrides)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v) for f in fields(self)}

    # ------------------------------------------------------------------------- derived
    @property
    def policy_floor(self) -> float:
        """Lowest policy rate, %/yr (0 under the zero lower bound, else ``rate_floor``)."""
        return 0.0 if self.zero_lower_bound else float(self.rate_floor)

    @cached_property
    def calibration(self) -> Calibration:
        """The steady state at the initial policy rate with every agent at its middle choice."""
        a = self.capital_share
        mu = self.markup
        i0 = self.initial_policy_rate / PERCENT_YEAR
        pi = self.inflation_target / PERCENT_YEAR
        s_l = self.lending_spreads[2] / PERCENT_YEAR
        s_d = self.deposit_spreads[2] / PERCENT_YEAR
        delta = self.depreciation / PERCENT_YEAR
        uc = i0 + s_l - pi + delta
        # firms choose K so that the marginal revenue product of capital equals its user cost:
        # alpha y / k / (1 + mu) = uc, with y = 1 per worker at normal hours
        k = a / ((1.0 + mu) * uc) if uc > 0 else float("nan")
        tfp = k ** (-a) if uc > 0 else float("nan")
        mpl = 1.0 - a  # marginal product of labour at y = 1 per unit of hours
        w = mpl / (1.0 + mu)
        b = self.replacement_rate * w
        beta = self.bargaining_power
        theta = self.steady_state_tightness
        # Pissarides wage w = beta MPL + (1 - beta) b + beta kappa theta  =>  kappa at the steady state
        kappa = (w - beta * mpl - (1.0 - beta) * b) / (beta * theta)
        s = self.separation_rate
        f = self.job_finding_rate
        u = s / (s + f)
        N, F, B = self.n_households, self.n_firms, self.n_banks
        emp = (1.0 - u) * N
        y_total = emp * 1.0
        inv = delta * k
        hh_income = (y_total - inv * emp) / N  # wages + distributed profits = output - investment
        # steady-state loans: household loans ~ debtor share x loan size; firms ~ initial leverage x capital
        hh_loans = self.initial_household_debt * w * emp
        firm_loans = self.investment_debt_share * inv * self.firm_loan_maturity * emp
        equity = self.target_capital_ratio * (hh_loans + firm_loans) / B
        return Calibration(
            policy_rate_m=i0,
            inflation_target_m=pi,
            neutral_real_rate_m=i0 - pi,
            lending_rate_m=i0 + s_l,
            deposit_rate_m=max(i0 - s_d, min(i0, 0.0)),
            depreciation_m=delta,
            user_cost_m=uc,
            capital_per_worker=k,
            tfp=tfp,
            output_per_worker=1.0,
            real_wage=w,
            outside_option=b,
            vacancy_cost=kappa,
            matching_efficiency=f / math.sqrt(theta),
            natural_unemployment=u,
            workers_per_firm=emp / F,
            natural_hours=emp * self.hours[1],
            investment_per_worker=inv,
            consumption_per_household=hh_income,
            income_per_household=hh_income,
            output_per_firm=y_total / F,
            equity_per_bank=max(equity, 1e-9),
        )


def _check_grid(name: str, values: Any, length: int, lo: float, hi: float, strictly: bool = False) -> None:
    if not isinstance(values, tuple) or len(values) != length:
        raise ValueError(f"{name} must be a tuple of {length} numbers, got {values!r}")
    for i, v in enumerate(values):
        check_number(f"{name}[{i}]", v, lo, hi)
    check_increasing(name, values, strictly=strictly)
