"""The batched core of the monetary economy: roles -> arrays, one kernel pass per month.

:class:`MonetaryEconomy` holds the state as a few 2-D arrays (one row per
variable, one column per agent; layouts in :mod:`econ_envs.monetary.kernels`)
and steps it with :func:`econ_envs.monetary.kernels.economy_step`. It knows
nothing about agent ids: the PettingZoo facade, the central-bank Gymnasium view
and training code all drive this class with one integer array per role.

A step never mutates the current state: the kernel returns new arrays and the
state is replaced only after everything has been computed, so a failed step
leaves the economy exactly as it was.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from econ_envs.core.stats import gini
from econ_envs.monetary import kernels as kr
from econ_envs.monetary.actions import RATE_CHANGES_BP
from econ_envs.monetary.params import PERCENT_YEAR, MonetaryParams

SHOCKS = {
    # kind: (macro slot, unit of ``size``, conversion of size to the internal value)
    "policy_rate": (kr.M_SH_POL, "percentage points of the annual policy rate", 1.0 / PERCENT_YEAR),
    "cost_push": (kr.M_SH_COST, "percent of every bargained wage", 0.01),
    "demand": (kr.M_SH_DEM, "percent of households' planned spending", 0.01),
    "credit": (kr.M_SH_CRED, "percent of borrowers forced into default in the month", 0.01),
}

CB_OBS_NAMES = (
    "policy_rate", "cb_rate", "inflation_monthly_annualised", "inflation_12m", "inflation_target",
    "expected_inflation", "output_gap", "unemployment", "natural_unemployment", "lending_rate_avg",
    "deposit_rate_avg", "credit_growth_12m", "loan_loss_rate", "bank_capital_ratio", "policy_rate_prev",
    "time_fraction", "at_lower_bound", "output_gap_3m",
)  # fmt: skip
CB_OBS_UNITS = (
    "%/yr", "%/yr", "%/yr", "%/yr", "%/yr", "%/yr", "% of potential", "% of households", "% of households",
    "%/yr", "%/yr", "% over 12 months", "%/yr of loans", "% of loans", "%/yr", "fraction of episode", "0/1",
    "% of potential (mean of the last 3 months)",
)  # fmt: skip
BANK_OBS_NAMES = (
    "policy_rate", "lending_rate", "deposit_rate", "market_lending_rate", "market_deposit_rate", "capital_ratio",
    "min_capital_ratio", "loan_share", "deposit_share", "loan_loss_rate", "reserves_to_deposits",
    "advances_to_deposits", "return_on_equity", "inflation_12m", "output_gap", "unemployment",
)  # fmt: skip
BANK_OBS_UNITS = (
    "%/yr", "%/yr", "%/yr", "%/yr", "%/yr", "% of loans", "% of loans", "fraction", "fraction", "%/yr of loans",
    "fraction", "fraction", "%/yr", "%/yr", "% of potential", "% of households",
)  # fmt: skip
HH_OBS_NAMES = (
    "employed", "wage_relative", "income", "deposits", "loan", "debt_service_to_income", "deposit_rate",
    "best_lending_rate", "own_loan_rate", "expected_inflation", "inflation_12m", "unemployment",
    "consumption_relative", "hours", "ownership_relative", "time_fraction", "permanent_income",
)  # fmt: skip
HH_OBS_UNITS = (
    "0/1", "own wage / average wage", "months of average wage", "months of average wage", "months of average wage",
    "fraction of income", "%/yr", "%/yr", "%/yr (0: no loan)", "%/yr", "%/yr", "% of households",
    "real consumption / steady state", "hours (1 = normal)", "ownership share x N", "fraction of episode",
    "months of average wage (net of debt service, 12-month average)",
)  # fmt: skip
FIRM_OBS_NAMES = (
    "relative_price", "normal_unit_labour_cost_to_price", "inventory_months", "sales_to_production", "workers_relative",
    "vacancy_fill_rate", "cash_months", "leverage", "lending_rate", "expected_inflation", "marginal_product_capital",
    "capital_relative", "wage_relative", "inflation_12m", "output_gap", "time_fraction",
    "expected_sales_to_production",
)  # fmt: skip
FIRM_OBS_UNITS = (
    "price / price level", "wage / (normal MPL x price)", "months of expected sales", "fraction",
    "workers / steady state", "fraction", "months of wage bill", "loan / capital value", "%/yr", "%/yr",
    "%/yr (alpha p E[sales] / (P K))",
    "capital / steady state", "own wage / average wage", "%/yr", "% of potential", "fraction of episode", "fraction",
)  # fmt: skip
assert len(CB_OBS_NAMES) == kr.CB_OBS == len(CB_OBS_UNITS)
assert len(BANK_OBS_NAMES) == kr.BANK_OBS == len(BANK_OBS_UNITS)
assert len(HH_OBS_NAMES) == kr.HH_OBS == len(HH_OBS_UNITS)
assert len(FIRM_OBS_NAMES) == kr.FIRM_OBS == len(FIRM_OBS_UNITS)


def allocate(total: int, shares: np.ndarray) -> np.ndarray:
    """Split ``total`` integer units by ``shares`` (largest remainder), at least one per entry."""
    n = shares.size
    base = np.ones(n, dtype=np.int64)
    rest = total - n
    quota = shares * rest
    extra = np.floor(quota).astype(np.int64)
    left = rest - int(extra.sum())
    if left > 0:
        extra[np.argsort(-(quota - extra), kind="stable")[:left]] += 1
    return base + extra


def shock_value(kind: str, size: Any, current: float = 0.0) -> float:
    """The internal value of shock ``kind`` after adding ``size`` to ``current``; bad input raises."""
    if kind not in SHOCKS:
        raise ValueError(f"unknown shock {kind!r}; kinds are {sorted(SHOCKS)}")
    if isinstance(size, bool) or not isinstance(size, (int, float, np.integer, np.floating)):
        raise TypeError(f"{kind} shock: size must be a number, got {size!r}")
    if not math.isfinite(float(size)):
        raise ValueError(f"{kind} shock: size must be finite, got {size!r}")
    value = current + float(size) * SHOCKS[kind][2]
    if kind == "credit" and not 0.0 <= value <= 1.0:
        raise ValueError(f"credit shock: the default probability must stay in [0, 100] %, got {100 * value:g} %")
    if kind == "demand" and value < -1.0:
        raise ValueError(f"demand shock: spending cannot fall by more than 100 %, got {100 * value:g} %")
    if kind == "cost_push" and value <= -1.0:
        raise ValueError(f"cost_push shock: wages cannot fall by 100 % or more, got {100 * value:g} %")
    return value


class MonetaryState:
    """State at the start of a month: a float block and an int block (every array a step reads).

    The role arrays are views of the blocks: ``hf`` household floats (kr.HF_ROWS, N), ``hi`` household
    ints (kr.HI_ROWS, N), ``ff`` firm floats (kr.FF_ROWS, F), ``fi`` firm ints (kr.FI_ROWS, F), ``bf``
    bank floats (kr.BF_ROWS, B), ``mac`` macro scalars and histories (kr.M_SIZE,). A step never writes
    into an existing state; it makes a new one.
    """

    __slots__ = ("fs", "is_", "dims", "_views")

    def __init__(self, fs: np.ndarray, is_: np.ndarray, dims: tuple[int, int, int]):
        self.fs = fs
        self.is_ = is_
        self.dims = dims
        self._views: tuple | None = None

    @classmethod
    def from_arrays(cls, hf, hi, ff, fi, bf, mac) -> MonetaryState:
        fs = np.concatenate([np.ravel(hf), np.ravel(ff), np.ravel(bf), np.ravel(mac)]).astype(np.float64)
        is_ = np.concatenate([np.ravel(hi), np.ravel(fi)]).astype(np.int64)
        return cls(fs, is_, (hf.shape[1], ff.shape[1], bf.shape[1]))

    def _v(self) -> tuple:
        if self._views is None:
            N, F, B = self.dims
            a = kr.HF_ROWS * N
            b = a + kr.FF_ROWS * F
            c = b + kr.BF_ROWS * B
            d = kr.HI_ROWS * N
            fs, is_ = self.fs, self.is_
            self._views = (
                fs[:a].reshape(kr.HF_ROWS, N), fs[a:b].reshape(kr.FF_ROWS, F), fs[b:c].reshape(kr.BF_ROWS, B),
                fs[c:], is_[:d].reshape(kr.HI_ROWS, N), is_[d:].reshape(kr.FI_ROWS, F),
            )  # fmt: skip
        return self._views

    hf = property(lambda self: self._v()[0])
    ff = property(lambda self: self._v()[1])
    bf = property(lambda self: self._v()[2])
    mac = property(lambda self: self._v()[3])
    hi = property(lambda self: self._v()[4])
    fi = property(lambda self: self._v()[5])

    def copy(self) -> MonetaryState:
        return MonetaryState(self.fs.copy(), self.is_.copy(), self.dims)


class MonetaryRecord:
    """Everything computed in one month: flows per agent (rows ``RH_*``, ``RF_*``, ``RB_*``) and totals ``S_*``.

    ``before`` is the state at the start of the month and ``after`` the state at its end; ``rec_h``,
    ``rec_f``, ``rec_b`` and ``totals`` are views of one record block.
    """

    def __init__(self, before: MonetaryState, after: MonetaryState, actions: dict[str, np.ndarray],
                 frec: np.ndarray):  # fmt: skip
        self.before = before
        self.after = after
        self.actions = actions
        self.frec = frec
        self._views: tuple | None = None

    def _v(self) -> tuple:
        if self._views is None:
            N, F, B = self.after.dims
            a = kr.RH_ROWS * N
            b = a + kr.RF_ROWS * F
            c = b + kr.RB_ROWS * B
            r = self.frec
            self._views = (r[:a].reshape(kr.RH_ROWS, N), r[a:b].reshape(kr.RF_ROWS, F),
                           r[b:c].reshape(kr.RB_ROWS, B), r[c:])  # fmt: skip
        return self._views

    rec_h = property(lambda self: self._v()[0])
    rec_f = property(lambda self: self._v()[1])
    rec_b = property(lambda self: self._v()[2])
    totals = property(lambda self: self._v()[3])


@dataclass
class MonetaryStep:
    observations: dict[str, np.ndarray]
    rewards: dict[str, np.ndarray]
    terminated: bool
    truncated: bool
    reason: str | None


class MonetaryEconomy:
    """Batched core: ``reset(seed)`` and ``step(cb, banks, households, firms)`` on integer action arrays."""

    def __init__(self, params: MonetaryParams | None = None):
        self.params = params if params is not None else MonetaryParams()
        p = self.params
        self.cal = p.calibration
        self.n_banks, self.n_households, self.n_firms = p.n_banks, p.n_households, p.n_firms
        self.kp = self._packed_constants()
        self.grids = self._packed_grids()
        self.words_per_step = 5 * self.n_households + 2 * self.n_firms + 3
        N, F, B = self.n_households, self.n_firms, self.n_banks
        self._sizes = (
            kr.float_state_size(N, F, B), kr.int_state_size(N, F), kr.record_size(N, F, B), kr.obs_size(N, F, B)
        )  # fmt: skip
        f_mac = kr.HF_ROWS * N + kr.FF_ROWS * F + kr.BF_ROWS * B
        r_tot = kr.RH_ROWS * N + kr.RF_ROWS * F + kr.RB_ROWS * B
        o_b = kr.CB_OBS + kr.BANK_OBS * B
        o_h = o_b + kr.HH_OBS * N
        r_f0 = kr.RH_ROWS * N
        r_b0 = r_f0 + kr.RF_ROWS * F
        self._slices = {
            "mac": slice(f_mac, f_mac + kr.M_SIZE),
            "tot": slice(r_tot, r_tot + kr.S_SIZE),
            "o_cb": slice(0, kr.CB_OBS),
            "o_bank": slice(kr.CB_OBS, o_b),
            "o_hh": slice(o_b, o_h),
            "o_firm": slice(o_h, o_h + kr.FIRM_OBS * F),
            "r_cb": slice(r_tot + kr.S_CB_REWARD, r_tot + kr.S_CB_REWARD + 1),
            "r_bank": slice(r_b0 + kr.RB_REWARD * B, r_b0 + (kr.RB_REWARD + 1) * B),
            "r_hh": slice(kr.RH_REWARD * N, (kr.RH_REWARD + 1) * N),
            "r_firm": slice(r_f0 + kr.RF_REWARD * F, r_f0 + (kr.RF_REWARD + 1) * F),
        }
        self.rng: np.random.Generator = np.random.default_rng()
        self.state: MonetaryState | None = None
        self.last: MonetaryRecord | None = None
        self.obs: dict[str, np.ndarray] | None = None
        self.rewards: dict[str, np.ndarray] | None = None
        self.terminated = False
        self.truncated = False
        self.reason: str | None = None
        self.P0 = 1.0

    # ------------------------------------------------------------------ constants
    def _packed_constants(self) -> np.ndarray:
        p, cal = self.params, self.cal
        kp = np.zeros(kr.KP_SIZE)
        kp[kr.KP_ALPHA] = p.capital_share
        kp[kr.KP_DELTA] = cal.depreciation_m
        kp[kr.KP_ETA] = p.demand_elasticity
        kp[kr.KP_INV_DECAY] = p.inventory_decay
        kp[kr.KP_SALES_SMOOTH] = p.sales_smoothing
        kp[kr.KP_SEP] = p.separation_rate
        kp[kr.KP_MATCH] = cal.matching_efficiency
        kp[kr.KP_BETA] = p.bargaining_power
        kp[kr.KP_B] = cal.outside_option
        kp[kr.KP_KAPPA] = cal.vacancy_cost
        kp[kr.KP_WAGE_ADJ] = p.wage_adjustment
        kp[kr.KP_THETA_SMOOTH] = p.tightness_smoothing
        kp[kr.KP_HIRE_STEP] = p.hiring_step
        kp[kr.KP_TH] = p.household_loan_maturity
        kp[kr.KP_TF] = p.firm_loan_maturity
        kp[kr.KP_RECOVERY] = p.recovery_rate
        kp[kr.KP_KMIN] = p.min_capital_ratio
        kp[kr.KP_KTARGET] = p.target_capital_ratio
        kp[kr.KP_RREQ] = p.reserve_requirement
        kp[kr.KP_LF_SPREAD] = p.lending_facility_spread / PERCENT_YEAR
        kp[kr.KP_SWITCH] = p.deposit_switching
        kp[kr.KP_LOAN_MONTHS] = p.household_loan_months
        kp[kr.KP_CASH_BUFFER] = p.cash_buffer_months
        kp[kr.KP_FIRM_PAYOUT] = p.firm_payout_rate
        kp[kr.KP_BANK_PAYOUT] = p.bank_payout_rate
        kp[kr.KP_PI_TARGET] = cal.inflation_target_m
        kp[kr.KP_ANCHOR] = p.expectations_anchor
        kp[kr.KP_FLOOR] = p.policy_floor / PERCENT_YEAR
        kp[kr.KP_CAP] = p.max_policy_rate / PERCENT_YEAR
        kp[kr.KP_LSTAR] = cal.natural_hours
        kp[kr.KP_USTAR] = cal.natural_unemployment
        kp[kr.KP_CSS] = cal.consumption_per_household
        kp[kr.KP_YSS] = cal.income_per_household
        kp[kr.KP_YFIRM] = cal.output_per_firm
        kp[kr.KP_EQBANK] = cal.equity_per_bank
        kp[kr.KP_LAMBDA] = p.loss_output_weight
        kp[kr.KP_MU_LOSS] = p.loss_rate_change_weight
        kp[kr.KP_CHI] = p.labour_disutility
        kp[kr.KP_FRISCH] = p.inverse_frisch
        kp[kr.KP_PSI_S] = p.savings_utility
        kp[kr.KP_PSI_D] = p.debt_disutility
        kp[kr.KP_INV_COST] = p.inventory_cost
        kp[kr.KP_BANKRUPT_PEN] = p.bankruptcy_penalty
        kp[kr.KP_CAP_PEN] = p.capital_penalty
        kp[kr.KP_RESOL_PEN] = p.resolution_penalty
        kp[kr.KP_SHOCK_RHO] = p.shock_persistence
        kp[kr.KP_T_LEN] = p.episode_length
        kp[kr.KP_WORKERS_SS] = cal.workers_per_firm
        kp[kr.KP_KSS] = cal.capital_per_worker
        kp[kr.KP_THETA_MAX] = p.max_tightness * p.steady_state_tightness
        kp[kr.KP_INV_DEBT] = p.investment_debt_share
        kp[kr.KP_FILL_SS] = p.job_finding_rate / p.steady_state_tightness
        kp[kr.KP_TW] = p.wealth_spending_months
        kp[kr.KP_PERM_SMOOTH] = 1.0 / p.permanent_income_months
        kp[kr.KP_UI_RATE] = p.ui_contribution
        kp[kr.KP_UI_REPL] = p.ui_replacement
        kp[kr.KP_UI_MONTHS] = p.ui_months
        return kp

    def _packed_grids(self) -> np.ndarray:
        p = self.params
        g = np.zeros(kr.G_SIZE)
        g[kr.G_CB : kr.G_CB + 5] = np.array(RATE_CHANGES_BP) / 100.0 / PERCENT_YEAR
        g[kr.G_LS : kr.G_LS + 5] = np.array(p.lending_spreads) / PERCENT_YEAR
        g[kr.G_DS : kr.G_DS + 5] = np.array(p.deposit_spreads) / PERCENT_YEAR
        g[kr.G_DSTI : kr.G_DSTI + 3] = p.household_dsti_caps
        g[kr.G_LEV : kr.G_LEV + 3] = p.firm_leverage_caps
        g[kr.G_CS : kr.G_CS + 5] = p.consumption_rates
        g[kr.G_HOURS : kr.G_HOURS + 3] = p.hours
        g[kr.G_SEARCH : kr.G_SEARCH + 3] = p.search_intensity
        g[kr.G_INV : kr.G_INV + 3] = p.investment_rates
        g[kr.G_PC : kr.G_PC + 5] = np.array(p.price_changes) / 100.0
        return g

    # ---------------------------------------------------------------------- reset
    def reset(self, seed: int | None = None) -> dict[str, np.ndarray]:
        """Draw a new economy at its steady state and return the observations by role.

        ``seed`` reseeds the generator (``None`` continues the current stream).
        """
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        rng = self.rng
        p, cal = self.params, self.cal
        N, F, B = self.n_households, self.n_firms, self.n_banks
        w = cal.real_wage
        i0 = cal.policy_rate_m
        rl0 = cal.lending_rate_m
        rd0 = cal.deposit_rate_m
        lf = p.lending_facility_spread / PERCENT_YEAR
        # households: ownership shares (Pareto), employment, deposit banks
        own = rng.random(N) ** (-1.0 / p.ownership_tail)
        own /= own.sum()
        n_emp = int(round((1.0 - cal.natural_unemployment) * N))
        n_emp = min(max(n_emp, F), N)
        order = rng.permutation(N)
        dbank = rng.integers(0, B, N)
        # firms: TFP dispersion; workers follow demand (units ~ p^-eta with p ~ 1/TFP, so hours ~ TFP^(eta-1));
        # capital in proportion to workers; prices at the desired markup over marginal cost
        z = rng.standard_normal(F)
        tfp = cal.tfp * np.exp(p.tfp_dispersion * z - 0.5 * p.tfp_dispersion**2)
        weight = (tfp / cal.tfp) ** (p.demand_elasticity - 1.0)
        nwork = allocate(n_emp, weight / weight.sum())
        emp = np.full(N, -1, dtype=np.int64)
        emp[order[:n_emp]] = np.repeat(np.arange(F), nwork)
        K = cal.capital_per_worker * np.maximum(nwork, 1).astype(float)
        H = nwork.astype(float) * p.hours[1]
        y = np.array([kr.production(tfp[f], K[f], H[f], p.capital_share) for f in range(F)])
        mpl = (1.0 - p.capital_share) * y / np.maximum(H, 1e-12)
        price = (1.0 + p.markup) * w / mpl
        sales = y * (1.0 - p.inventory_decay * p.inventory_target)  # production less inventory spoilage
        weights = price * sales / float(price @ sales)
        P = float(weights @ price)
        W = np.full(F, w * P)
        wage_bill = W * H
        # firm debt at its steady state (new loans = debt share x investment = amortisation)
        invest = P * cal.depreciation_m * K
        Lf = p.investment_debt_share * invest * p.firm_loan_maturity
        fdbank = rng.integers(0, B, F)
        flbank = np.where(Lf > 0, rng.integers(0, B, F), -1).astype(np.int64)
        due_f = (rl0 + 1.0 / p.firm_loan_maturity) * Lf
        firm_div = np.maximum(price * sales - wage_bill - invest - rl0 * Lf, 0.0)
        # cash such that, after wages and debt service, the excess over the buffer (wage bill) and the month's
        # investment pays out exactly the month's profit as dividends
        cash = wage_bill + due_f + p.cash_buffer_months * wage_bill + invest + firm_div / max(p.firm_payout_rate, 1e-3)
        # household debt: exponentially distributed among the employed
        debtor = (emp >= 0) & (p.initial_household_debt > 0)
        L = np.where(debtor, p.initial_household_debt * w * P * rng.exponential(1.0, N), 0.0)
        lbank = np.where(debtor, rng.integers(0, B, N), -1).astype(np.int64)
        debt_service = (rl0 + 1.0 / p.household_loan_maturity) * L
        wage_i = np.where(emp >= 0, W[np.maximum(emp, 0)] * p.hours[1], 0.0)
        n_unemp = N - n_emp
        benefit = p.ui_replacement * w * P
        fund = p.ui_initial_months * benefit * n_unemp
        ui_i = np.where(emp >= 0, -p.ui_contribution * wage_i, benefit)
        loans_b = np.bincount(lbank[lbank >= 0], weights=L[lbank >= 0], minlength=B)
        loans_b += np.bincount(flbank[flbank >= 0], weights=Lf[flbank >= 0], minlength=B)
        # deposits = buffer x net income; net income includes dividends of banks and the CB's remittance, which
        # depend on deposits: a few fixed-point passes settle them
        D = p.initial_buffer_months * np.maximum(wage_i - debt_service, 0.0)
        for _ in range(4):
            deps_b = np.bincount(dbank, weights=D, minlength=B) + np.bincount(fdbank, weights=cash, minlength=B)
            R_pre = deps_b - loans_b  # reserves before equity and advances
            nii = rl0 * loans_b - rd0 * deps_b
            E = p.target_capital_ratio * loans_b + np.maximum(nii, 0.0) / max(p.bank_payout_rate, 1e-3)
            E = np.maximum(E, 1e-6 * P)
            R = R_pre + E
            need = p.reserve_requirement * deps_b
            A = np.maximum(need - R, 0.0)
            R = R + A
            nii = nii + i0 * R - (i0 + lf) * A
            E = np.maximum(p.target_capital_ratio * loans_b + np.maximum(nii, 0.0) / max(p.bank_payout_rate, 1e-3),
                           1e-6 * P)  # fmt: skip
            R = R_pre + E + A
            transfer = max((i0 + lf) * float(A.sum()) - i0 * float(R.sum()), 0.0)  # the fund earns no interest
            div_i = own * (float(firm_div.sum()) + float(np.maximum(nii, 0.0).sum()))
            income = wage_i + ui_i + div_i + rd0 * D + transfer / N
            y_net = np.maximum(income - debt_service, 0.0)
            D = p.initial_buffer_months * y_net
        # the final balance sheets: reserves close each bank's sheet, advances cover a reserve shortfall
        deps_b = np.bincount(dbank, weights=D, minlength=B) + np.bincount(fdbank, weights=cash, minlength=B)
        R = deps_b + E - loans_b
        A = np.maximum(p.reserve_requirement * deps_b - R, 0.0)
        R = R + A

        hf = np.zeros((kr.HF_ROWS, N))
        hf[kr.H_DEP] = D
        hf[kr.H_LOAN] = L
        hf[kr.H_OWN] = own
        hf[kr.H_INCOME] = income
        hf[kr.H_WAGE] = wage_i
        hf[kr.H_DIV] = div_i
        hf[kr.H_CONS] = cal.consumption_per_household
        hf[kr.H_HOURS] = np.where(emp >= 0, p.hours[1], 0.0)
        hf[kr.H_PERM] = y_net
        hi = np.zeros((kr.HI_ROWS, N), dtype=np.int64)
        hi[kr.H_EMP] = emp
        hi[kr.H_DBANK] = dbank
        hi[kr.H_LBANK] = lbank
        hi[kr.H_SPELL] = np.where(emp >= 0, 0, 1)
        ff = np.zeros((kr.FF_ROWS, F))
        ff[kr.F_CASH] = cash
        ff[kr.F_LOAN] = Lf
        ff[kr.F_PRICE] = price
        ff[kr.F_WAGE] = W
        ff[kr.F_CAP] = K
        ff[kr.F_INV] = p.inventory_target * y
        ff[kr.F_TFP] = tfp
        ff[kr.F_EXPSALES] = sales
        ff[kr.F_SALES] = sales
        ff[kr.F_PROD] = y
        ff[kr.F_HOURS] = H
        ff[kr.F_WEIGHT] = weights
        ff[kr.F_BILL] = wage_bill
        ff[kr.F_MPL] = mpl
        fi = np.zeros((kr.FI_ROWS, F), dtype=np.int64)
        fi[kr.F_DBANK] = fdbank
        fi[kr.F_LBANK] = flbank
        fi[kr.F_NWORK] = nwork
        bf = np.zeros((kr.BF_ROWS, B))
        bf[kr.B_RES] = R
        bf[kr.B_ADV] = A
        bf[kr.B_EQ] = E
        bf[kr.B_SL] = p.lending_spreads[2] / PERCENT_YEAR
        bf[kr.B_SD] = p.deposit_spreads[2] / PERCENT_YEAR
        bf[kr.B_RISK] = 1.0
        bf[kr.B_LOANS] = loans_b
        bf[kr.B_DEPS] = deps_b
        bf[kr.B_PROFIT] = nii
        mac = np.zeros(kr.M_SIZE)
        mac[kr.M_ICB] = i0
        mac[kr.M_I] = i0
        mac[kr.M_IPREV] = i0
        mac[kr.M_P] = P
        mac[kr.M_PIE] = cal.inflation_target_m
        mac[kr.M_THETA] = p.steady_state_tightness
        mac[kr.M_FILL] = p.job_finding_rate / p.steady_state_tightness  # vacancy fill rate q* = f*/theta*
        mac[kr.M_CBEQ] = float(A.sum() - R.sum()) - fund
        mac[kr.M_FUND] = fund
        mac[kr.M_T] = 0.0
        mac[kr.M_WBAR] = w * P
        mac[kr.M_PI] = cal.inflation_target_m
        mac[kr.M_PI12] = cal.inflation_target_m
        mac[kr.M_U] = 1.0 - n_emp / N
        mac[kr.M_Y] = float(y.sum())
        mac[kr.M_GAP] = (H.sum() / cal.natural_hours) ** (1.0 - p.capital_share) - 1.0
        mac[kr.M_GAPHIST : kr.M_GAPHIST + 3] = mac[kr.M_GAP]
        credit = float(loans_b.sum())
        mac[kr.M_CREDIT] = credit
        mac[kr.M_PIHIST : kr.M_PIHIST + 12] = cal.inflation_target_m
        mac[kr.M_CREDHIST : kr.M_CREDHIST + 12] = credit
        state = MonetaryState.from_arrays(hf, hi, ff, fi, bf, mac)
        self.state = state
        self.P0 = P
        rL = np.full(B, rl0)
        rD = np.full(B, rd0)
        obs = kr.observations(hf, hi, ff, fi, bf, mac, self.kp, rL, rD)
        self.obs = {"central_bank": obs[0][None, :], "bank": obs[1], "household": obs[2], "firm": obs[3]}
        self.rewards = None
        self.last = None
        self.terminated = self.truncated = False
        self.reason = None
        return self.obs

    # ---------------------------------------------------------------------- shocks
    def apply_shock(self, kind: str, size: float) -> None:
        """Add a shock that starts with the next step and decays by ``shock_persistence`` a month.

        ``kind``: ``policy_rate`` (size in percentage points of the annual rate, added to the rate
        the central bank chose), ``cost_push`` (percent added to every bargained wage), ``demand``
        (percent added to households' planned spending; negative = a fall in demand), ``credit``
        (percent of borrowers forced into default in the month).
        """
        if self.state is None:
            raise RuntimeError("call reset() first")
        slot = SHOCKS[kind][0] if kind in SHOCKS else -1
        value = shock_value(kind, size, float(self.state.mac[slot]) if slot >= 0 else 0.0)
        self.state.mac[slot] = value

    # ------------------------------------------------------------------------ step
    def step(self, a_cb: int, a_bank: np.ndarray, a_hh: np.ndarray, a_firm: np.ndarray) -> MonetaryStep:
        """One month on validated integer actions (central bank index, and one index per bank/household/firm)."""
        st = self.state
        if st is None:
            raise RuntimeError("call reset() first")
        if self.terminated or self.truncated:
            raise ValueError("the episode is over; call reset() first")
        raw = self.rng.bit_generator.random_raw(self.words_per_step)
        sz = self._sizes
        fs = np.empty(sz[0])
        is_ = np.empty(sz[1], dtype=np.int64)
        frec = np.zeros(sz[2])
        obs = np.empty(sz[3], dtype=np.float32)
        kr.economy_step(st.fs, st.is_, int(a_cb), a_bank, a_hh, a_firm, raw, self.kp, self.grids, fs, is_, frec, obs)
        new = MonetaryState(fs, is_, st.dims)
        sl = self._slices
        mac = fs[sl["mac"]]
        totals = frec[sl["tot"]]
        reason = None
        P = mac[kr.M_P]
        if not (math.isfinite(P) and math.isfinite(totals[kr.S_Y]) and math.isfinite(totals[kr.S_CB_LOSS])):
            reason = "non_finite: the price level or output became non-finite"
        elif not (self.P0 / self.params.price_bounds <= P <= self.P0 * self.params.price_bounds):
            reason = (
                f"price_level: the price level {P:.4g} left [{self.P0 / self.params.price_bounds:.3g}, "
                f"{self.P0 * self.params.price_bounds:.3g}] (hyperinflation or deflationary collapse)"
            )
        elif totals[kr.S_EMPLOYED] <= 0:
            reason = "no_employment: every household is unemployed"
        terminated = reason is not None
        truncated = (not terminated) and int(mac[kr.M_T]) >= self.params.episode_length
        self.last = MonetaryRecord(
            st, new, {"central_bank": np.array([a_cb]), "bank": a_bank, "household": a_hh, "firm": a_firm}, frec
        )
        self.state = new
        self.obs = {
            "central_bank": obs[sl["o_cb"]].reshape(1, kr.CB_OBS),
            "bank": obs[sl["o_bank"]].reshape(self.n_banks, kr.BANK_OBS),
            "household": obs[sl["o_hh"]].reshape(self.n_households, kr.HH_OBS),
            "firm": obs[sl["o_firm"]].reshape(self.n_firms, kr.FIRM_OBS),
        }
        self.rewards = {
            "central_bank": frec[sl["r_cb"]],
            "bank": frec[sl["r_bank"]],
            "household": frec[sl["r_hh"]],
            "firm": frec[sl["r_firm"]],
        }
        self.terminated, self.truncated, self.reason = terminated, truncated, reason
        return MonetaryStep(self.obs, self.rewards, terminated, truncated, reason)

    # ----------------------------------------------------------------- read-outs
    @property
    def month(self) -> int:
        return int(self.state.mac[kr.M_T]) if self.state is not None else 0

    def household_wealth(self) -> np.ndarray:
        """Net worth of each household: deposits - loan + its ownership share of firm and bank equity."""
        st = self.state
        P = st.mac[kr.M_P]
        ff, bf = st.ff, st.bf
        firm_eq = ff[kr.F_CASH] + P * ff[kr.F_CAP] + ff[kr.F_PRICE] * ff[kr.F_INV] - ff[kr.F_LOAN]
        equity = float(firm_eq.sum() + bf[kr.B_EQ].sum())
        return st.hf[kr.H_DEP] - st.hf[kr.H_LOAN] + st.hf[kr.H_OWN] * equity

    def aggregates(self) -> dict[str, float]:
        """Macro variables of the last month (at reset: the steady state the economy starts from).

        Rates in %/yr (annualised x12), inflation in %/yr, the output gap in % of potential,
        unemployment as a fraction, money in currency units, real quantities in units of the good per month.
        """
        st = self.state
        if st is None:
            raise RuntimeError("call reset() first")
        p = self.params
        mac, hf, ff, bf = st.mac, st.hf, st.ff, st.bf
        P = mac[kr.M_P]
        pct = PERCENT_YEAR
        hh_credit = float(hf[kr.H_LOAN].sum())
        firm_credit = float(ff[kr.F_LOAN].sum())
        deposits = float(hf[kr.H_DEP].sum() + ff[kr.F_CASH].sum())
        loans_b = bf[kr.B_LOANS]
        eq = bf[kr.B_EQ]
        out = {
            "month": float(mac[kr.M_T]),
            "policy_rate": pct * mac[kr.M_I],
            "cb_rate": pct * mac[kr.M_ICB],
            "inflation": pct * mac[kr.M_PI],
            "inflation_12m": pct * mac[kr.M_PI12],
            "expected_inflation": pct * mac[kr.M_PIE],
            "inflation_target": p.inflation_target,
            "price_level": float(P),
            "output_gap": 100.0 * mac[kr.M_GAP],
            "unemployment": float(mac[kr.M_U]),
            "natural_unemployment": self.cal.natural_unemployment,
            "real_rate": pct * (mac[kr.M_I] - mac[kr.M_PIE]),
            "credit": hh_credit + firm_credit,
            "household_credit": hh_credit,
            "firm_credit": firm_credit,
            "real_credit": (hh_credit + firm_credit) / P,
            "credit_growth_12m": 100.0 * mac[kr.M_CREDIT_GROWTH],
            "loan_loss_rate": pct * mac[kr.M_DEFAULT_RATE],
            "deposits": deposits,
            "real_deposits": deposits / P,
            "bank_equity": float(eq.sum()),
            "bank_capital_ratio": 100.0 * float(eq.sum() / loans_b.sum()) if loans_b.sum() > 0 else float("nan"),
            "cb_advances": float(bf[kr.B_ADV].sum()),
            "bank_reserves": float(bf[kr.B_RES].sum()),
            "cb_equity": float(mac[kr.M_CBEQ]),
            "average_wage": float(mac[kr.M_WBAR]),
            "real_wage": float(mac[kr.M_WBAR] / P),
            "tightness": float(mac[kr.M_THETA]),
            "vacancy_fill_rate": float(mac[kr.M_FILL]),
            "capital": float(ff[kr.F_CAP].sum()),
            "inventories": float(ff[kr.F_INV].sum()),
            "wealth_gini": gini(self.household_wealth()),
            "deposit_gini": gini(hf[kr.H_DEP]),
        }
        rec = self.last
        if rec is None:
            y = float(mac[kr.M_Y])
            out.update(
                gdp=y,
                potential_gdp=y / (1.0 + mac[kr.M_GAP]),
                consumption=self.cal.consumption_per_household * self.n_households,
                investment=float(self.cal.depreciation_m * ff[kr.F_CAP].sum()),
                lending_rate=pct * (mac[kr.M_I] + p.lending_spreads[2] / pct),
                deposit_rate=pct * self.cal.deposit_rate_m,
                new_loans=0.0,
                loan_losses=0.0,
                household_defaults=0.0,
                firm_defaults=0.0,
                bank_breaches=0.0,
                bank_resolutions=0.0,
                vacancies=0.0,
                hires=0.0,
                cb_loss=0.0,
                cb_reward=0.0,
                bank_reward=0.0,
                household_reward=0.0,
                firm_reward=0.0,
            )
            return out
        tot = rec.totals
        rb = rec.rec_b
        w_l = np.maximum(loans_b, 0.0)
        w_l = w_l / w_l.sum() if w_l.sum() > 0 else np.full(self.n_banks, 1.0 / self.n_banks)
        deps = bf[kr.B_DEPS]
        w_d = deps / deps.sum() if deps.sum() > 0 else np.full(self.n_banks, 1.0 / self.n_banks)
        out.update(
            gdp=float(tot[kr.S_Y]),
            potential_gdp=float(tot[kr.S_POTENTIAL]),
            consumption=float(tot[kr.S_C]),
            investment=float(tot[kr.S_I]),
            lending_rate=pct * float(w_l @ rb[kr.RB_RL]),
            deposit_rate=pct * float(w_d @ rb[kr.RB_RD]),
            new_loans=float(rb[kr.RB_ORIG].sum()),
            loan_losses=float(rb[kr.RB_WRITEOFF].sum()),
            household_defaults=float(tot[kr.S_HH_DEFAULTS]),
            firm_defaults=float(tot[kr.S_FIRM_DEFAULTS]),
            bank_breaches=float(tot[kr.S_BREACHES]),
            bank_resolutions=float(tot[kr.S_RESOLUTIONS]),
            vacancies=float(tot[kr.S_V]),
            hires=float(tot[kr.S_MATCHES]),
            cb_loss=float(tot[kr.S_CB_LOSS]),
            cb_reward=float(tot[kr.S_CB_REWARD]),
            bank_reward=float(rb[kr.RB_REWARD].mean()),
            household_reward=float(rec.rec_h[kr.RH_REWARD].mean()),
            firm_reward=float(rec.rec_f[kr.RF_REWARD].mean()),
        )
        return out
