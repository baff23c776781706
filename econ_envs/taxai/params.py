"""Calibration of the tax economy: one frozen dataclass, presets as classmethods.

Units: money in 2022 U.S. dollars, time in years, rates as fractions per year,
hours per year. Every constant names its source. ``TaxParams.calibration``
derives the quantities that follow from the targets (TFP, steady-state prices,
the saving rate that keeps wealth stationary).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from functools import cached_property
from statistics import NormalDist
from typing import Any

from econ_envs.core.params import check_choice, check_increasing, check_number, with_overrides

TASKS = ("gdp", "gini", "social_welfare", "gdp_gini")
GDP_REWARDS = ("level", "growth", "capital_growth")
INCOME_TAXES = ("hsv", "brackets")

# 2022 U.S. single-filer federal income-tax brackets (IRS Rev. Proc. 2021-45, Table 3):
# lower bounds of taxable income in USD, and the statutory marginal rates.
US2022_BRACKETS = (0.0, 10_275.0, 41_775.0, 89_075.0, 170_050.0, 215_950.0, 539_900.0)
US2022_RATES = (0.10, 0.12, 0.22, 0.24, 0.32, 0.35, 0.37)
# 2022 standard deduction for a single filer, USD (IRS Rev. Proc. 2021-45, Sec. 3.15).
US2022_STANDARD_DEDUCTION = 12_950.0


@dataclass(frozen=True)
class Calibration:
    """Quantities derived from :class:`TaxParams` (per household unless said otherwise)."""

    y0: float  # GDP per household at calibration, USD/yr
    k0: float  # capital per household, USD
    b0: float  # government debt per household, USD
    a0: float  # household wealth per household = k0 + b0, USD
    l0: float  # effective labour per household, efficiency hours/yr
    tfp: float  # total factor productivity A in Y = A K^alpha L^(1-alpha)
    r0: float  # net interest rate, fraction/yr
    w0: float  # wage per efficiency hour, USD
    ability_sd: float  # stationary sd of log ability in the normal state
    ability_mean_normal: float  # E[e | normal state]
    superstar_share: float  # stationary share of super-star households
    superstar_ability: float  # ability of a super-star household
    ability_mean: float  # E[e] over the stationary distribution
    saving_rate: float  # share of cash on hand saved that keeps wealth stationary at calibration
    wealth_tail_z: float  # standard-normal quantile where the Pareto tail of initial wealth starts


@dataclass(frozen=True)
class TaxParams:
    """Every constant of the tax economy (``taxai-v0``), validated on construction.

    Pass any field as a keyword to ``econ_envs.make("taxai-v0", ...)`` or as
    ``--set name=value`` on the command line; ``preset="taxai"`` / ``"dsmfg"``
    starts from :meth:`taxai` / :meth:`dsmfg` instead of :meth:`us2022`.
    """

    # --- population, horizon, objective ---------------------------------------------------
    n_households: int = 100  # number of households N (10 ... 1,000,000; tested to 100,000)
    episode_length: int = 300  # years per episode (TaxAI/DSMFG: 300 steps of one year)
    task: str = "gdp"  # government objective: gdp | gini | social_welfare | gdp_gini
    gdp_reward: str = "level"  # "gdp" task reward: level (Y/N/y0) | growth (TaxAI) | capital_growth (DSMFG)

    # --- calibration targets (U.S. 2022) ------------------------------------------------
    # GDP per household, USD/yr: 2022 U.S. GDP 23,315.081e9 / population 333.456e6 (as in DSMFG reset()).
    gdp_per_household: float = 69_919.51
    capital_output_ratio: float = 3.0  # K/Y, years of output (U.S. fixed assets / GDP, about 3)
    debt_output_ratio: float = 1.2129  # B/Y, OECD general-government gross debt 2022 (DSMFG reset())
    # Initial wealth: lognormal body below the tail quantile, Pareto tail above it; rescaled so the
    # sample mean is K/N + B/N. sigma 2.25 with tail exponent 1.5 gives a Gini of about 0.83 and a
    # top-10 % share of about 0.72 (SCF 2022: Gini about 0.83); tail exponent 1.5 as estimated for
    # U.S. wealth by Vermeulen (2018, Review of Income and Wealth).
    wealth_body_sigma: float = 2.25
    wealth_tail_alpha: float = 1.5
    wealth_tail_start: float = 0.90  # quantile at which the Pareto tail starts

    # --- technology ----------------------------------------------------------------------
    capital_share: float = 0.36  # alpha in Y = A K^alpha L^(1-alpha) (standard U.S. value)
    depreciation: float = 0.08  # delta, fraction/yr; with K/Y = 3 gives r = alpha*Y/K - delta = 4 %

    # --- time endowment and labour -------------------------------------------------------
    hours_endowment: float = 3893.33  # hours/yr available, 365*24*(2/3)*(2/3) (DSMFG)
    labour_share_0: float = 0.465  # share of endowment worked at calibration: 1,811 h/yr (OECD 2022 U.S.)

    # --- ability process (DSMFG/TaxAI cfg/default.yaml, except the innovation sd) -----------------
    ability_rho: float = 0.982  # AR(1) persistence of log ability in the normal state
    # sd of the log-ability innovation. DSMFG/TaxAI use 0.200 (kept in their presets); with their
    # super-star process that gives a pre-tax income Gini of 0.57, so the U.S. preset uses 0.18,
    # which puts it at about 0.5 (0.53 at reset, 0.48 over a run; Census 2022 money income: 0.49).
    ability_sigma: float = 0.18
    superstar_entry: float = 2.2e-6  # P(normal -> super-star) per year
    superstar_persistence: float = 0.990  # P(super-star stays super-star) per year
    superstar_multiplier: float = 504.3  # super-star ability / mean normal-state ability

    # --- preferences (DSMFG utility_function, without its sigmoid) ---------------------------
    crra: float = 1.0  # relative risk aversion theta (1 = log utility)
    inverse_frisch: float = 2.0  # eta in the labour disutility chi * h^(1+eta)/(1+eta)
    labour_disutility: float = 10.0  # chi (DSMFG's utility scale)
    consumption_floor: float = 1e-3  # utility is evaluated at max(c, floor*y0); accounting is not floored
    # Household discount factor beta per year: households maximise E sum_t beta^t u_t (the reward the env
    # pays). 0.975 is DSMFG's discount (Trainer.gamma), which the RLlib household modules also use (their
    # gamma reads this field). The exact best response (econ_envs.taxai.optimal) solves the same objective.
    discount: float = 0.975

    # --- government -----------------------------------------------------------------------
    consumption_tax: float = 0.065  # tau_c on consumption (DSMFG consumption_tax_rate)
    income_tax: str = "hsv"  # hsv: action (tau, xi, ...); brackets: one marginal rate per bracket
    tau_max: float = 0.5  # upper bound of HSV income-tax level tau (average rate at mean income)
    xi_max: float = 0.5  # upper bound of HSV income-tax progressivity xi
    tau_a_max: float = 0.1  # upper bound of the wealth-tax level (annual rate at mean wealth)
    xi_a_max: float = 0.5  # upper bound of wealth-tax progressivity
    spending_max: float = 0.3  # upper bound of government spending G/Y (DSMFG: 0.3)
    bracket_thresholds: tuple = US2022_BRACKETS  # lower bounds of taxable income per bracket, USD
    standard_deduction: float = US2022_STANDARD_DEDUCTION  # USD, subtracted before brackets
    bracket_rate_max: float = 1.0  # upper bound of a bracket's marginal rate
    # Fiscal rule: a lump-sum transfer strength*(B* - B) per year, B* = debt_target_ratio * y0 * N (a
    # level: the economy has no trend growth, and anchoring to current GDP would make transfers swing
    # with every output shock). A negative transfer is a levy, capped at each household's cash on hand.
    # strength 1 (default) keeps debt at its target: each year's overall budget balance is rebated or
    # levied the next year, the transfer closure of Aiyagari & McGrattan (1998, JME). 0.054 is Bohn's
    # (1998, QJE) estimate of the U.S. primary-surplus response to debt (unstable here once r > 5.4 %);
    # 0 is DSMFG's pure debt finance.
    fiscal_rule_strength: float = 1.0
    debt_target_ratio: float = 1.2129  # target debt of the fiscal rule, in units of calibrated GDP
    # What the debt target is anchored to. "wealth" (default): B*_t = s A_t, a fixed share
    # s = debt_target_ratio / (capital_output_ratio + debt_output_ratio) of the households' wealth A_t at
    # the start of the year (government bonds as a constant share of household portfolios; at the
    # calibrated wealth, B* = debt_target_ratio x calibrated GDP, as with "level"). Capital K = A - B is
    # then about (1 - s) A: a population that saves less than optimal shrinks the capital stock and loses
    # welfare, but only a one-year fall of wealth by about (1 - s) ~ 71 % can push K below the collapse
    # threshold. "level": B* = debt_target_ratio x calibrated GDP x N, a fixed level (DSMFG's fixed debt
    # and this package's default before 2026-12): households must keep holding that much debt however
    # little they save, so a population saving share below about 0.77 runs K to 0 (collapse), against a
    # steady state that needs about 0.84 (issue 15).
    debt_anchor: str = "wealth"

    # --- collapse --------------------------------------------------------------------------
    min_capital_fraction: float = 0.01  # collapse if K' < this * initial K (debt exceeds household savings)
    collapse_penalty: float = 100.0  # subtracted from the government's reward in a collapse step
    # What a collapse means for households: "truncation" (default) - the simulation ends, their lives do
    # not: they are truncated (learners bootstrap the value of their wealth) and not penalised; the
    # government is terminated and penalised. "termination" - everyone is terminated and penalised
    # (DSMFG/TaxAI: the episode is over for all; a short horizon then rewards consuming everything).
    household_collapse: str = "truncation"

    def __post_init__(self) -> None:
        check_number("n_households", self.n_households, 10, 1_000_000, integer=True)
        object.__setattr__(self, "n_households", int(self.n_households))
        check_number("episode_length", self.episode_length, 1, 100_000, integer=True)
        object.__setattr__(self, "episode_length", int(self.episode_length))
        check_choice("task", self.task, TASKS)
        check_choice("gdp_reward", self.gdp_reward, GDP_REWARDS)
        check_number("gdp_per_household", self.gdp_per_household, 0, None, lo_open=True)
        check_number("capital_output_ratio", self.capital_output_ratio, 0.1, 50)
        check_number("debt_output_ratio", self.debt_output_ratio, -5, 10)
        check_number("wealth_body_sigma", self.wealth_body_sigma, 0, 5)
        check_number("wealth_tail_alpha", self.wealth_tail_alpha, 1, 10, lo_open=True)
        check_number("wealth_tail_start", self.wealth_tail_start, 0.5, 1, hi_open=True)
        check_number("capital_share", self.capital_share, 0, 1, lo_open=True, hi_open=True)
        check_number("depreciation", self.depreciation, 0, 1)
        check_number("hours_endowment", self.hours_endowment, 0, 8784, lo_open=True)
        check_number("labour_share_0", self.labour_share_0, 0, 1, lo_open=True)
        check_number("ability_rho", self.ability_rho, 0, 1, hi_open=True)
        check_number("ability_sigma", self.ability_sigma, 0, 3)
        check_number("superstar_entry", self.superstar_entry, 0, 1)
        check_number("superstar_persistence", self.superstar_persistence, 0, 1, hi_open=True)
        check_number("superstar_multiplier", self.superstar_multiplier, 1, 1e6)
        check_number("crra", self.crra, 0, 20, lo_open=True)
        check_number("inverse_frisch", self.inverse_frisch, 0, 20)
        check_number("labour_disutility", self.labour_disutility, 0, 1e3)
        check_number("consumption_floor", self.consumption_floor, 0, 1, lo_open=True)
        check_number("discount", self.discount, 0, 1, lo_open=True, hi_open=True)
        check_number("consumption_tax", self.consumption_tax, 0, 2)
        check_choice("income_tax", self.income_tax, INCOME_TAXES)
        check_number("tau_max", self.tau_max, 0, 1)
        check_number("xi_max", self.xi_max, 0, 1, hi_open=True)
        check_number("tau_a_max", self.tau_a_max, 0, 1)
        check_number("xi_a_max", self.xi_a_max, 0, 1, hi_open=True)
        check_number("spending_max", self.spending_max, 0, 0.9)
        if not isinstance(self.bracket_thresholds, tuple) or len(self.bracket_thresholds) < 1:
            raise ValueError(f"bracket_thresholds must be a non-empty tuple, got {self.bracket_thresholds!r}")
        check_increasing("bracket_thresholds", self.bracket_thresholds)
        if self.bracket_thresholds[0] != 0:
            raise ValueError(f"bracket_thresholds must start at 0, got {self.bracket_thresholds[0]!r}")
        if len(self.bracket_thresholds) > 32:
            raise ValueError("bracket_thresholds: at most 32 brackets")
        check_number("standard_deduction", self.standard_deduction, 0, None)
        check_number("bracket_rate_max", self.bracket_rate_max, 0, 1, lo_open=True)
        check_number("fiscal_rule_strength", self.fiscal_rule_strength, 0, 1)
        check_number("debt_target_ratio", self.debt_target_ratio, -5, 10)
        check_number("min_capital_fraction", self.min_capital_fraction, 0, 1, lo_open=True, hi_open=True)
        check_number("collapse_penalty", self.collapse_penalty, 0, None)
        check_choice("household_collapse", self.household_collapse, ("truncation", "termination"))
        check_choice("debt_anchor", self.debt_anchor, ("wealth", "level"))
        r0 = self.capital_share / self.capital_output_ratio - self.depreciation
        if r0 <= -1 + 1e-9:
            raise ValueError(
                f"capital_share/capital_output_ratio - depreciation = {r0:.3f}: the implied interest rate "
                "must exceed -100 %"
            )
        if self.capital_output_ratio + self.debt_output_ratio <= 0:
            raise ValueError("capital_output_ratio + debt_output_ratio must be positive (households hold K + B)")

    # ------------------------------------------------------------------ presets
    @classmethod
    def us2022(cls, **overrides: Any) -> TaxParams:
        """Default: standard technology (alpha 0.36, delta 0.08) calibrated to U.S. 2022 facts."""
        return with_overrides(cls(), overrides)

    @classmethod
    def taxai(cls, **overrides: Any) -> TaxParams:
        """TaxAI-like: alpha = 1/3, delta = 0.06, ability sd 0.2 (TaxAI cfg), reward = per-capita GDP growth.

        K/Y = 3.33 so that the competitive interest rate equals TaxAI's fixed r = 4 %.
        """
        base = cls(
            capital_share=1.0 / 3.0,
            depreciation=0.06,
            ability_sigma=0.2,
            capital_output_ratio=(1.0 / 3.0) / (0.04 + 0.06),
            gdp_reward="growth",
        )
        return with_overrides(base, overrides)

    @classmethod
    def dsmfg(cls, **overrides: Any) -> TaxParams:
        """DSMFG-like: alpha = 0.7445, ability sd 0.2 (DSMFG cfg), DSMFG's action caps and capital-growth reward.

        With DSMFG's capital share a competitive r of 4 % (its fixed rate) needs K/Y = 7.445 at
        delta = 0.06; TFP is then calibrated to the same GDP per household, not DSMFG's A = 10.
        Action caps as in DSMFG: tau, tau_a <= 0.2, xi, xi_a <= 0.05, G/Y <= 0.3.
        """
        base = cls(
            capital_share=0.7445,
            depreciation=0.06,
            ability_sigma=0.2,
            capital_output_ratio=0.7445 / (0.04 + 0.06),
            gdp_reward="capital_growth",
            tau_max=0.2,
            xi_max=0.05,
            tau_a_max=0.2,
            xi_a_max=0.05,
            spending_max=0.3,
        )
        return with_overrides(base, overrides)

    @classmethod
    def from_kwargs(cls, preset: str = "us2022", **overrides: Any) -> TaxParams:
        presets = {"us2022": cls.us2022, "taxai": cls.taxai, "dsmfg": cls.dsmfg}
        check_choice("preset", preset, sorted(presets))
        return presets[preset](**overrides)

    def replace(self, **overrides: Any) -> TaxParams:
        return with_overrides(self, overrides)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v) for f in fields(self)}

    # -------------------------------------------------------------- derived values
    @property
    def n_policy(self) -> int:
        """Length of the government action: 5 for HSV, n_brackets + 3 for brackets."""
        return 5 if self.income_tax == "hsv" else len(self.bracket_thresholds) + 3

    @property
    def debt_share(self) -> float:
        """B*/A under ``debt_anchor="wealth"``: the target debt's share of household wealth (0 for "level")."""
        if self.debt_anchor != "wealth":
            return 0.0
        return self.debt_target_ratio / (self.capital_output_ratio + self.debt_output_ratio)

    def debt_target(self, wealth: float, n: int | None = None) -> float:
        """The fiscal rule's debt target B* in USD, given the households' total wealth ``wealth`` (USD)
        at the start of the year (``n`` households; default ``n_households``)."""
        if self.debt_anchor == "wealth":
            return self.debt_share * float(wealth)
        n = self.n_households if n is None else int(n)
        return self.debt_target_ratio * self.calibration.y0 * n

    @cached_property
    def calibration(self) -> Calibration:
        a = self.capital_share
        y0 = self.gdp_per_household
        sd = self.ability_sigma / math.sqrt(1.0 - self.ability_rho**2)
        e_normal = math.exp(0.5 * sd * sd)
        p, q = self.superstar_entry, self.superstar_persistence
        share = p / (1.0 - q + p) if p > 0 else 0.0
        e_star = self.superstar_multiplier * e_normal
        e_mean = (1.0 - share) * e_normal + share * e_star
        l0 = e_mean * self.hours_endowment * self.labour_share_0
        k0 = self.capital_output_ratio * y0
        b0 = self.debt_output_ratio * y0
        a0 = k0 + b0
        tfp = y0 / (k0**a * l0 ** (1.0 - a))
        r0 = a * y0 / k0 - self.depreciation
        w0 = (1.0 - a) * y0 / l0
        cash = (1.0 + r0) * a0 + w0 * l0
        return Calibration(
            y0=y0,
            k0=k0,
            b0=b0,
            a0=a0,
            l0=l0,
            tfp=tfp,
            r0=r0,
            w0=w0,
            ability_sd=sd,
            ability_mean_normal=e_normal,
            superstar_share=share,
            superstar_ability=e_star,
            ability_mean=e_mean,
            saving_rate=a0 / cash,
            wealth_tail_z=NormalDist().inv_cdf(self.wealth_tail_start),
        )

    def policy_bounds(self) -> tuple[list[float], list[float]]:
        """(low, high) of the government action in natural units."""
        if self.income_tax == "hsv":
            high = [self.tau_max, self.xi_max, self.tau_a_max, self.xi_a_max, self.spending_max]
        else:
            high = [self.bracket_rate_max] * len(self.bracket_thresholds)
            high += [self.tau_a_max, self.xi_a_max, self.spending_max]
        return [0.0] * len(high), high

    def policy_names(self) -> list[str]:
        """Names of the government action components, in order."""
        if self.income_tax == "hsv":
            return ["tau", "xi", "tau_a", "xi_a", "spending_share"]
        return [f"rate_{k}" for k in range(len(self.bracket_thresholds))] + ["tau_a", "xi_a", "spending_share"]
