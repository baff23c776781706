"""The batched core of the tax economy: roles -> arrays, one pure kernel pass per year.

``TaxEconomy`` holds the state as arrays and steps it with
:func:`econ_envs.taxai.kernels.economy_step`. It knows nothing about agent ids;
the PettingZoo facade (:class:`econ_envs.taxai.env.TaxEnv`), the Gymnasium
planner view and fast training code all drive this class.

A step never mutates the current state: the kernel returns new arrays, and the
state is replaced only after everything has been computed, so a rejected or
failed step leaves the economy exactly as it was.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from econ_envs.core.stats import gini, stratified_normal
from econ_envs.taxai import kernels as kr
from econ_envs.taxai.params import TaxParams

SUMMARY_NAMES = ("mean_wealth", "mean_income", "wage_index", "interest_rate", "gdp_per_household", "transfer")
GROUP_NAMES = (
    "top10_wealth",
    "top10_income",
    "top10_ability",
    "bottom50_wealth",
    "bottom50_income",
    "bottom50_ability",
)
POLICY_FEATURE_NAMES = (
    *(f"avg_income_tax_{m:g}y" for m in kr.INCOME_POINTS),
    *(f"marginal_income_tax_{m:g}y" for m in kr.INCOME_POINTS),
    *(f"avg_wealth_tax_{m:g}a" for m in kr.WEALTH_POINTS),
    "spending_share",
)
MACRO_NAMES = ("gdp_per_household", "capital_to_gdp", "debt_to_gdp", "interest_rate", "wage_index", "time")


# kernel layout indices as module constants (read on every step)
_S_Y, _S_K, _S_B, _S_A, _S_W, _S_R, _S_TR = kr.S_Y, kr.S_K, kr.S_B, kr.S_A, kr.S_W, kr.S_R, kr.S_TR
_S_YMEAN, _S_NSTAR = kr.S_YMEAN, kr.S_NSTAR
_B_ANEXT, _B_LOGE, _B_E, _B_UTIL = kr.B_ANEXT, kr.B_LOGE, kr.B_E, kr.B_UTIL


@dataclass(slots=True)
class TaxState:
    """State at the start of year ``t`` (everything a step reads)."""

    t: int
    a: np.ndarray  # wealth a_i, USD
    log_e: np.ndarray  # normal-state log ability
    star: np.ndarray  # super-star flag
    e: np.ndarray  # ability e_i in force this year
    K: float  # capital, USD
    B: float  # government debt, USD
    policy: np.ndarray  # government action in force this year (chosen last year)
    y_ref: float  # mean pre-tax income last year (HSV income-tax reference), USD
    a_ref: float  # mean wealth now (HSV wealth-tax reference), USD
    prev_Y: float  # output last year, USD
    prev_w: float  # wage last year, USD per efficiency hour
    prev_r: float  # interest rate last year
    prev_tr: float  # mean net lump-sum transfer per household last year, USD
    n_star: int = 0  # number of super-star households


class TaxRecord:
    """Everything computed in one year: per-household arrays and totals (for analysis and tests).

    Per-household arrays (views of one block): ``y`` pre-tax income, ``t_inc`` income
    tax, ``t_wealth`` wealth tax, ``transfer`` net lump-sum transfer (negative: levy),
    ``c`` consumption (excluding consumption tax), ``a_next`` end-of-year wealth,
    ``util`` period utility. ``a``/``e``/``policy``/``K``/``B`` are the start-of-year
    state and ``actions`` the (clipped) household actions. Totals are attributes:
    ``L, Y, w, r, G, Tr, C, T_inc, T_wealth, T_cons, A_next, B_next, K_next, H, y_mean``.
    """

    __slots__ = (
        "t", "a", "e", "actions", "policy", "K", "B", "y_ref", "a_ref", "block", "totals", "gov_reward", "_ginis",
    )  # fmt: skip

    def __init__(self, st: TaxState, actions: np.ndarray, block: np.ndarray, totals: np.ndarray):
        self.t = st.t
        self.a = st.a
        self.e = st.e
        self.actions = actions
        self.policy = st.policy
        self.K = st.K
        self.B = st.B
        self.y_ref = st.y_ref  # HSV income-tax reference in force (last year's mean income)
        self.a_ref = st.a_ref  # HSV wealth-tax reference in force (mean wealth)
        self.block = block
        self.totals = totals
        self.gov_reward = 0.0
        self._ginis: dict[str, float] | None = None

    def __getattr__(self, name: str):
        row = _ROW_INDEX.get(name)
        if row is not None:
            return self.block[row]
        idx = _SCALAR_INDEX.get(name)
        if idx is not None:
            return float(self.totals[idx])
        raise AttributeError(name)

    def ginis(self) -> dict[str, float]:
        if self._ginis is None:
            self._ginis = {
                "wealth_gini": gini(self.a_next),
                "income_gini": gini(self.y),
                "disposable_income_gini": gini(self.y - self.t_inc + self.transfer),
            }
        return self._ginis


_ROW_INDEX = {
    "a_next": kr.B_ANEXT, "c": kr.B_C, "y": kr.B_Y, "t_inc": kr.B_TINC, "t_wealth": kr.B_TW,
    "transfer": kr.B_TR, "util": kr.B_UTIL,
}  # fmt: skip
_SCALAR_INDEX = {
    "L": kr.S_L, "Y": kr.S_Y, "w": kr.S_W, "r": kr.S_R, "G": kr.S_G, "Tr": kr.S_TR, "C": kr.S_C,
    "T_inc": kr.S_TINC, "T_wealth": kr.S_TW, "T_cons": kr.S_TC, "A_next": kr.S_A, "B_next": kr.S_B,
    "K_next": kr.S_K, "H": kr.S_H, "y_mean": kr.S_YMEAN,
}  # fmt: skip


@dataclass(slots=True)
class TaxStep:
    household_obs: np.ndarray  # (N, obs_dim) float32
    government_obs: np.ndarray  # (gov_obs_dim,) float32
    household_rewards: np.ndarray  # (N,)
    government_reward: float
    terminated: bool
    truncated: bool
    reason: str | None


class TaxEconomy:
    """Batched core: ``reset(seed)`` and ``step(government_action, household_actions)`` on arrays."""

    def __init__(self, params: TaxParams | None = None):
        self.params = params if params is not None else TaxParams()
        p = self.params
        self.cal = p.calibration
        self.n = p.n_households
        self.thresholds = np.asarray(p.bracket_thresholds, dtype=np.float64)
        low, high = p.policy_bounds()
        self.policy_low = np.asarray(low, dtype=np.float64)
        self.policy_high = np.asarray(high, dtype=np.float64)
        self.n_top = max(1, self.n // 10)
        self.n_bottom = self.n - self.n // 2
        self.household_obs_dim = 2 + kr.N_POLICY_FEATURES + len(SUMMARY_NAMES)
        self.government_obs_dim = len(GROUP_NAMES) + len(MACRO_NAMES) + p.n_policy + 3 * self.thresholds.size
        self.K_init = self.cal.k0 * self.n
        self._k_min = p.min_capital_fraction * self.K_init  # capital below this: collapse
        self._ref_floor = 1e-9 * self.cal.y0  # floor of the HSV references
        self.kp = self._packed_constants()
        self._no_words = np.zeros(0, dtype=np.uint64)
        self.rng: np.random.Generator = np.random.default_rng()
        self.state: TaxState | None = None
        self.last: TaxRecord | None = None
        self._hh_obs: np.ndarray | None = None
        self._gov_obs: np.ndarray | None = None
        self.terminated = False
        self.truncated = False
        self.reason: str | None = None

    def _packed_constants(self) -> np.ndarray:
        p, cal = self.params, self.cal
        kp = np.zeros(kr.KP_SIZE)
        kp[kr.KP_TFP] = cal.tfp
        kp[kr.KP_ALPHA] = p.capital_share
        kp[kr.KP_DELTA] = p.depreciation
        kp[kr.KP_HOURS] = p.hours_endowment
        kp[kr.KP_TAU_C] = p.consumption_tax
        kp[kr.KP_RULE] = p.fiscal_rule_strength
        if p.debt_anchor == "wealth":  # B* = s (K + B): a share of the households' wealth
            kp[kr.KP_DEBT_TARGET] = 0.0
            kp[kr.KP_DEBT_SHARE] = p.debt_share
        else:  # a fixed level
            kp[kr.KP_DEBT_TARGET] = p.debt_target_ratio * cal.y0 * self.n
            kp[kr.KP_DEBT_SHARE] = 0.0
        kp[kr.KP_Y0] = cal.y0
        kp[kr.KP_THETA] = p.crra
        kp[kr.KP_CHI] = p.labour_disutility
        kp[kr.KP_ETA] = p.inverse_frisch
        kp[kr.KP_C_FLOOR] = p.consumption_floor
        kp[kr.KP_DEDUCTION] = p.standard_deduction
        kp[kr.KP_RHO] = p.ability_rho
        kp[kr.KP_SIGMA] = p.ability_sigma
        kp[kr.KP_STAT_SD] = cal.ability_sd
        kp[kr.KP_STAR_E] = cal.superstar_ability
        kp[kr.KP_W0] = cal.w0
        kp[kr.KP_WEIGHT_FLOOR] = 0.01 * cal.y0
        kp[kr.KP_MODE] = kr.HSV if p.income_tax == "hsv" else kr.BRACKETS
        kp[kr.KP_N_TOP] = self.n_top
        kp[kr.KP_N_BOTTOM] = self.n_bottom
        kp[kr.KP_ENTRY] = p.superstar_entry
        kp[kr.KP_STAY] = p.superstar_persistence
        return kp

    # ------------------------------------------------------------------ helpers
    def default_household_actions(self) -> np.ndarray:
        """Every household at the calibrated saving share and hours (the steady-state rule)."""
        out = np.empty((self.n, 2))
        out[:, 0] = self.cal.saving_rate
        out[:, 1] = self.params.labour_share_0
        return out

    def check_policy(self, policy: np.ndarray, name: str = "government") -> np.ndarray:
        x = np.asarray(policy, dtype=np.float64).reshape(-1)
        if x.shape != (self.params.n_policy,):
            raise ValueError(f"{name}: policy must have shape ({self.params.n_policy},), got {np.shape(policy)}")
        if not np.all(np.isfinite(x)):
            raise ValueError(f"{name}: policy must be finite, got {x}")
        if np.any(x < self.policy_low) or np.any(x > self.policy_high):
            raise ValueError(
                f"{name}: policy {x.tolist()} outside bounds low={self.policy_low.tolist()} "
                f"high={self.policy_high.tolist()} ({', '.join(self.params.policy_names())})"
            )
        return x

    def _run_kernel(self, st: TaxState, actions: np.ndarray, policy_next: np.ndarray, snapshot: bool = False):
        """Run one year; the shocks come from raw words of ``self.rng`` (none for a reset snapshot)."""
        T = self.params.episode_length
        if snapshot:
            return kr.economy_step(
                st.a, st.log_e, st.star, st.e, actions, st.policy, policy_next, self._no_words, st.n_star,
                st.K, st.B, st.y_ref, st.a_ref, st.t / T, True, self.kp, self.thresholds,
            )  # fmt: skip
        n = self.n
        extra = n // 32 + 64 + 2 * st.n_star
        while True:
            raw = self.rng.bit_generator.random_raw(n + extra)
            out = kr.economy_step(
                st.a, st.log_e, st.star, st.e, actions, st.policy, policy_next, raw, st.n_star,
                st.K, st.B, st.y_ref, st.a_ref, (st.t + 1) / T, False, self.kp, self.thresholds,
            )  # fmt: skip
            if out[5] >= 0:
                return out
            # Too few words for this year's draws (rare): take a larger batch. Deterministic, since it
            # depends only on the generator's stream.
            extra = 4 * extra + self.n

    # -------------------------------------------------------------------- reset
    def reset(self, seed: int | None = None, policy: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Draw a new population and return ``(household_obs, government_obs)``.

        ``seed`` reseeds the generator (``None`` continues the current stream);
        ``policy`` is the government action in force in year 0 (default: all
        zeros, i.e. no income or wealth tax and no spending).
        """
        pol = np.zeros(self.params.n_policy) if policy is None else self.check_policy(policy, "reset policy")
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        p, cal, n = self.params, self.cal, self.n
        rng = self.rng
        z_w = stratified_normal(rng.permutation(n), rng.random(n))
        z_e = rng.standard_normal(n)
        u_star = rng.random(n)
        a = kr.initial_wealth(z_w, p.wealth_body_sigma, cal.wealth_tail_z, p.wealth_tail_start, p.wealth_tail_alpha)
        a *= cal.a0 / a.mean()
        log_e = cal.ability_sd * z_e
        star = u_star < cal.superstar_share
        e = np.where(star, cal.superstar_ability, np.exp(log_e))
        A = float(a.sum())
        K = A * cal.k0 / cal.a0
        state = TaxState(
            t=0, a=a, log_e=log_e, star=star, e=e, K=K, B=A - K, policy=pol, y_ref=cal.y0, a_ref=A / n,
            prev_Y=cal.y0 * n, prev_w=cal.w0, prev_r=cal.r0, prev_tr=0.0, n_star=int(star.sum()),
        )  # fmt: skip
        # Describe the reset state by the year it would have with every household at the calibrated rule.
        acts = self.default_household_actions()
        out = self._run_kernel(state, acts, pol, snapshot=True)
        snap = TaxRecord(state, acts, out[0], out[4])
        state.y_ref = max(snap.y_mean, self._ref_floor)  # the reference the snapshot's features used
        state.prev_Y, state.prev_w, state.prev_r, state.prev_tr = snap.Y, snap.w, snap.r, snap.Tr / n
        self.state = state
        self.last = snap
        self.terminated = self.truncated = False
        self.reason = None
        self._hh_obs = out[2]
        self._gov_obs = out[3]
        return self._hh_obs, self._gov_obs

    # --------------------------------------------------------------------- step
    def step(self, government_action: np.ndarray, household_actions: np.ndarray) -> TaxStep:
        """One year. Actions must already be validated and inside their bounds.

        ``government_action`` (n_policy,) takes effect next year; ``household_actions``
        (N, 2) are (saving share of cash on hand, share of the time endowment worked).
        """
        return TaxStep(*self.advance(government_action, household_actions))

    def advance(self, government_action: np.ndarray, household_actions: np.ndarray) -> tuple:
        """:meth:`step` returning the plain tuple ``(household_obs, government_obs,
        household_rewards, government_reward, terminated, truncated, reason)`` (the facade's path)."""
        st = self.state
        if st is None:
            raise RuntimeError("call reset() first")
        if self.terminated or self.truncated:
            raise ValueError("the episode is over; call reset() first")
        p = self.params
        gov = np.array(government_action, dtype=np.float64).reshape(-1)
        hh = np.ascontiguousarray(household_actions, dtype=np.float64)
        block, star, hh_obs, gov_obs, totals, _ = self._run_kernel(st, hh, gov)
        rec = TaxRecord(st, hh, block, totals)
        tot = totals.tolist()
        Y, K_next, B_next, A_next = tot[_S_Y], tot[_S_K], tot[_S_B], tot[_S_A]
        # --- termination: a documented economic collapse, never an extreme action as such
        reason = None
        if not (math.isfinite(K_next) and math.isfinite(B_next) and math.isfinite(Y)):
            reason = "non_finite: aggregate state became non-finite"
        elif K_next < self._k_min:
            reason = (
                f"capital_depleted: capital K'={K_next:.4g} fell below {p.min_capital_fraction:g} of its "
                f"initial level (household wealth {A_next:.4g} no longer covers government debt {B_next:.4g})"
            )
        terminated = reason is not None
        truncated = (not terminated) and st.t + 1 >= p.episode_length
        gov_reward = self._government_reward(rec, st, tot)
        hh_reward = block[_B_UTIL]
        if terminated:
            if p.household_collapse == "termination":
                hh_reward = hh_reward - p.collapse_penalty
            gov_reward -= p.collapse_penalty
        rec.gov_reward = gov_reward
        # --- commit
        n = self.n
        floor = self._ref_floor
        self.state = TaxState(
            st.t + 1, block[_B_ANEXT], block[_B_LOGE], star, block[_B_E], K_next, B_next, gov,
            max(tot[_S_YMEAN], floor), max(A_next / n, floor), Y, tot[_S_W], tot[_S_R], tot[_S_TR] / n,
            int(tot[_S_NSTAR]),
        )  # fmt: skip
        self.last = rec
        self.terminated, self.truncated, self.reason = terminated, truncated, reason
        self._hh_obs = hh_obs
        self._gov_obs = gov_obs
        return hh_obs, gov_obs, hh_reward, gov_reward, terminated, truncated, reason

    def _government_reward(self, rec: TaxRecord, st: TaxState, tot: list[float]) -> float:
        p, n = self.params, self.n
        y0 = self.cal.y0
        Y = tot[_S_Y]
        if p.task == "gdp":
            if p.gdp_reward == "level":
                return Y / (n * y0)
            if p.gdp_reward == "growth":
                return (Y - st.prev_Y) / st.prev_Y if st.prev_Y > 0 else 0.0
            return 100.0 * (tot[kr.S_K] - st.K) / st.K
        if p.task == "social_welfare":
            return tot[kr.S_USUM] / n
        g = rec.ginis()
        if p.task == "gini":
            return 1.0 - 0.5 * (g["wealth_gini"] + g["disposable_income_gini"])
        # gdp_gini: Sen's welfare index, mean income times (1 - Gini)
        return Y / (n * y0) * (1.0 - g["disposable_income_gini"])

    # ------------------------------------------------------------- observations
    @property
    def household_obs(self) -> np.ndarray:
        return self._hh_obs

    @property
    def government_obs(self) -> np.ndarray:
        return self._gov_obs

    def government_obs_names(self) -> list[str]:
        K = self.thresholds.size
        return (
            list(GROUP_NAMES)
            + list(MACRO_NAMES)
            + [f"policy_{x}" for x in self.params.policy_names()]
            + [f"share_above_{k}" for k in range(K)]
            + [f"mean_taxable_above_{k}" for k in range(K)]
            + [f"welfare_weight_above_{k}" for k in range(K)]
        )

    def household_obs_names(self) -> list[str]:
        return ["wealth", "ability"] + list(POLICY_FEATURE_NAMES) + list(SUMMARY_NAMES)

    # --------------------------------------------------------------- aggregates
    def aggregates(self) -> dict[str, float]:
        """Macro variables of the last year (at reset: the calibrated rule applied to the reset state).

        Flows are for the year; ``capital``/``debt`` are start-of-year stocks and
        ``capital_next``/``debt_next`` end-of-year stocks. Money in USD, rates as
        fractions per year, ``labor`` in efficiency hours.
        """
        rec = self.last
        if rec is None:
            raise RuntimeError("call reset() first")
        n = self.n
        Y = rec.Y
        I = rec.K_next - (1.0 - self.params.depreciation) * rec.K
        cash = rec.A_next + (1.0 + self.params.consumption_tax) * rec.C
        out = {
            "year": float(self.state.t),
            "gdp": Y,
            "gdp_per_household": Y / n,
            "consumption": rec.C,
            "investment": I,
            "government_spending": rec.G,
            "capital": rec.K,
            "capital_next": rec.K_next,
            "labor": rec.L,
            "hours_per_household": rec.H / n,
            "wage": rec.w,
            "interest_rate": rec.r,
            "debt": rec.B,
            "debt_next": rec.B_next,
            "tax_revenue": rec.T_inc + rec.T_wealth + rec.T_cons,
            "tax_to_gdp": (rec.T_inc + rec.T_wealth + rec.T_cons) / Y if Y > 0 else float("nan"),
            "average_income_tax_rate": rec.T_inc / (rec.y_mean * n) if rec.y_mean > 0 else float("nan"),
            "income_tax_revenue": rec.T_inc,
            "wealth_tax_revenue": rec.T_wealth,
            "consumption_tax_revenue": rec.T_cons,
            "transfers": rec.Tr,
            "mean_wealth": rec.A_next / n,
            "capital_to_gdp": rec.K / Y if Y > 0 else float("nan"),
            "debt_to_gdp": rec.B_next / Y if Y > 0 else float("nan"),
            "saving_rate": rec.A_next / cash if cash > 0 else float("nan"),
            "social_welfare": float(rec.totals[kr.S_USUM]) / n,
            "government_reward": rec.gov_reward,
            "resource_residual": Y - rec.C - I - rec.G,
        }
        out.update(rec.ginis())
        for name, v in zip(self.params.policy_names(), rec.policy):
            out[name] = float(v)
        return out
