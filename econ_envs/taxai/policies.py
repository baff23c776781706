"""Rule-based baselines of the tax economy, as plain callables from observations to actions.

Government rules map the government observation (``(gov_obs_dim,)``) to a
policy vector; household rules map a batch of household observations
(``(N, obs_dim)``, or one row) to actions ``(N, 2)`` = (saving share of cash on
hand, share of the time endowment worked). They read observations only, so
they work in simulations, in the Gymnasium planner view and inside RLlib
episodes. Rules that need calibration constants take the env's
:class:`~econ_envs.taxai.params.TaxParams` when constructed.

Government rules:
    * :class:`FreeMarket` - no income or wealth tax, no spending (only the
      economy's consumption tax remains).
    * :class:`USFederal2022` - the 2022 single-filer federal brackets with the
      standard deduction, no wealth tax (needs ``income_tax="brackets"`` with
      the U.S. thresholds, which ``env_overrides`` sets).
    * :class:`Saez` - Saez (2001) marginal rates per bracket from the observed
      income distribution, inverse-income welfare weights and an elasticity of
      taxable income estimated from the simulated data.
    * :class:`FixedPolicy` - any fixed policy vector.

Household rules:
    * :class:`ConstantSaving` - a constant saving share of cash on hand and
      constant hours (defaults: the calibrated steady state).
    * :class:`BufferStock` - saves towards a target wealth-to-income ratio and
      supplies hours with the Frisch elasticity 1/eta of the model's utility in
      response to its marginal net-of-tax rate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from econ_envs.taxai import kernels as kr
from econ_envs.taxai.economy import GROUP_NAMES, MACRO_NAMES, SUMMARY_NAMES
from econ_envs.taxai.params import (
    US2022_BRACKETS,
    US2022_RATES,
    US2022_STANDARD_DEDUCTION,
    TaxParams,
)

# ----------------------------------------------------------------- observation layout


def _gov_layout(params: TaxParams) -> dict[str, slice]:
    g = len(GROUP_NAMES)
    m = len(MACRO_NAMES)
    npol = params.n_policy
    K = len(params.bracket_thresholds)
    start = g + m + npol
    return {
        "groups": slice(0, g),
        "macro": slice(g, g + m),
        "policy": slice(g + m, start),
        "share": slice(start, start + K),
        "mean": slice(start + K, start + 2 * K),
        "weight": slice(start + 2 * K, start + 3 * K),
    }


def _as_rows(obs: np.ndarray) -> tuple[np.ndarray, bool]:
    x = np.asarray(obs, dtype=np.float64)
    if x.ndim == 1:
        return x[None, :], True
    if x.ndim != 2:
        raise ValueError(f"observations must be 1-D or 2-D, got shape {x.shape}")
    return x, False


def _fiscal_tail(params: TaxParams, spending_share: float, name: str) -> list[float]:
    if not 0.0 <= spending_share <= params.spending_max:
        raise ValueError(f"{name}: spending_share must be in [0, {params.spending_max}], got {spending_share}")
    return [0.0, 0.0, float(spending_share)]


# ------------------------------------------------------------------ government rules


class GovernmentRule:
    """Base of the government rules: ``rule(obs) -> policy``; ``initial_action(obs)`` for year 0."""

    env_overrides: dict[str, Any] = {}
    name = "government_rule"

    def __init__(self, params: TaxParams):
        self.params = params

    def reset(self, seed: int | None = None) -> None:
        """Forget any state carried across episodes (adaptive rules); ``seed`` reseeds their generator."""

    def initial_action(self, obs: np.ndarray) -> np.ndarray:
        return self(obs)

    def __call__(self, obs: np.ndarray) -> np.ndarray:  # pragma: no cover - overridden
        raise TypeError("GovernmentRule is a base class")


class FixedPolicy(GovernmentRule):
    """Always the same policy vector (natural units, see ``TaxParams.policy_names()``)."""

    name = "fixed"

    def __init__(self, params: TaxParams, policy: np.ndarray):
        super().__init__(params)
        low, high = params.policy_bounds()
        x = np.asarray(policy, dtype=np.float64)
        if x.shape != (params.n_policy,) or not np.all(np.isfinite(x)):
            raise ValueError(f"policy must be {params.n_policy} finite numbers, got {policy!r}")
        if np.any(x < np.array(low)) or np.any(x > np.array(high)):
            raise ValueError(f"policy {x.tolist()} outside bounds {low} .. {high}")
        self.policy = x

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        return self.policy.copy()


class FreeMarket(FixedPolicy):
    """No income tax, no wealth tax, no government spending."""

    name = "free_market"

    def __init__(self, params: TaxParams):
        super().__init__(params, np.zeros(params.n_policy))


class USFederal2022(FixedPolicy):
    """2022 U.S. federal income tax, single filer (IRS Rev. Proc. 2021-45).

    Brackets 10/12/22/24/32/35/37 % above 0, 10,275, 41,775, 89,075, 170,050,
    215,950 and 539,900 USD of taxable income, after the 12,950 USD standard
    deduction. No wealth tax. ``spending_share`` (G/Y) defaults to 0, as for the
    other baselines, so the schedules are compared on equal terms; any surplus
    or deficit goes through the economy's fiscal rule. (DSMFG also subtracts an
    undocumented 559.98 USD credit; we do not.)
    """

    name = "us_federal"
    env_overrides = {
        "income_tax": "brackets",
        "bracket_thresholds": US2022_BRACKETS,
        "standard_deduction": US2022_STANDARD_DEDUCTION,
    }

    def __init__(self, params: TaxParams, spending_share: float = 0.0):
        if params.income_tax != "brackets" or tuple(params.bracket_thresholds) != US2022_BRACKETS:
            raise ValueError(
                "USFederal2022 needs income_tax='brackets' with the 2022 U.S. thresholds "
                f"{US2022_BRACKETS}; build the env with USFederal2022.env_overrides"
            )
        if params.standard_deduction != US2022_STANDARD_DEDUCTION:
            raise ValueError(f"USFederal2022 needs standard_deduction={US2022_STANDARD_DEDUCTION}")
        policy = list(US2022_RATES) + _fiscal_tail(params, spending_share, "USFederal2022")
        super().__init__(params, np.array(policy))


class BestHSV(FixedPolicy):
    """The best stationary HSV schedule for the env's task against optimal households.

    (tau, xi, tau_a, xi_a, G/Y) found by :func:`econ_envs.taxai.best_hsv.search_best_hsv`
    (a derivative-free search over the action box, each candidate judged in the
    perfect-foresight equilibrium with optimal households over the 300-year episode) and
    stored in ``econ_envs/taxai/data/best_hsv.json`` with the command that regenerates it.
    ``task`` defaults to the env's task.
    """

    name = "best_hsv"
    env_overrides = {"income_tax": "hsv"}

    def __init__(self, params: TaxParams, task: str | None = None):
        if params.income_tax != "hsv":
            raise ValueError("BestHSV needs income_tax='hsv'; build the env with BestHSV.env_overrides")
        from econ_envs.taxai.best_hsv import load_best_hsv

        super().__init__(params, np.array(load_best_hsv(task or params.task)))


class Saez(GovernmentRule):
    """Adaptive Saez (2001) optimal marginal rates on the bracket grid.

    At each bracket's lower bound z (taxable income) the rate is

        tau(z) = (1 - G(z)) / (1 - G(z) + A(z) * e),

    with G(z) the average normalised welfare weight of taxpayers at or above z
    (weights 1/income, the AI-Economist/DSMFG choice), A(z) = m(z)/(m(z) - z)
    the local Pareto parameter from the mean taxable income m(z) above z, and e
    the elasticity of taxable income. G and A come from the government
    observation; rates are recomputed every ``period`` years.

    The elasticity is estimated from the simulated data. Whenever the rates in
    force change, the rule compares the two income years around the change:

        d log(mean taxable income) = e * d log(1 - income-weighted marginal rate),

    with the marginal rate of both years weighted by the earlier year's bracket
    incomes, and pools these one-year differences by least squares through the
    origin. (One-year differences isolate the response to the rates from the
    slow drift of wealth; the Pareto statistic m(z) - z, used by some
    implementations, does not move when all incomes scale and cannot identify e.)
    To make the rate changes informative, each update adds a common shift drawn
    uniformly from [-explore, explore] (the rule's own seeded generator). The
    estimate is floored at 0, capped at 10 and averaged with the previous value
    (``smoothing``). Until it exists, e = e0 = 0.5, the middle of the range
    reviewed by Saez, Slemrod & Giertz (2012, JEL).
    """

    name = "saez"
    env_overrides = USFederal2022.env_overrides

    def __init__(
        self,
        params: TaxParams,
        period: int = 10,
        e0: float = 0.5,
        smoothing: float = 0.5,
        explore: float = 0.05,
        spending_share: float = 0.0,
        seed: int = 0,
    ):
        super().__init__(params)
        if params.income_tax != "brackets":
            raise ValueError("Saez needs income_tax='brackets'; build the env with Saez.env_overrides")
        if not (isinstance(period, int) and period >= 1):
            raise ValueError(f"period must be a positive integer, got {period!r}")
        if not (0.0 <= e0 <= 10.0) or not (0.0 < smoothing <= 1.0) or not (0.0 <= explore <= 0.5):
            raise ValueError("e0 must be in [0, 10], smoothing in (0, 1] and explore in [0, 0.5]")
        self.period = period
        self.e0 = float(e0)
        self.smoothing = float(smoothing)
        self.explore = float(explore)
        self.seed = seed
        self.tail = _fiscal_tail(params, spending_share, "Saez")
        self.layout = _gov_layout(params)
        self.z = np.asarray(params.bracket_thresholds, dtype=np.float64)
        self.reset()

    def reset(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(self.seed if seed is None else seed)
        self.elasticity = self.e0
        self.t = 0
        self.rates: np.ndarray | None = None
        self._prev: tuple[np.ndarray, np.ndarray, float] | None = None  # (rates in force, bracket incomes, log mean)
        self._year_rates: np.ndarray | None = None  # rates in force in the year the next obs reports
        self.pairs: list[tuple[float, float]] = []  # (d log(1 - mtr), d log mean taxable income)

    def _parts(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        x = np.asarray(obs, dtype=np.float64).reshape(-1)
        y0 = self.params.gdp_per_household
        K = self.z.size
        return (
            x[self.layout["share"]],
            x[self.layout["mean"]] * y0,
            x[self.layout["weight"]],
            x[self.layout["policy"]][:K],
        )

    def saez_rates(self, obs: np.ndarray, elasticity: float) -> np.ndarray:
        share, mean, weight, _ = self._parts(obs)
        rates = np.zeros(self.z.size)
        for k in range(self.z.size):
            if share[k] <= 0.0:
                # nobody this rich: keep the rate of the bracket below (no information above)
                rates[k] = rates[k - 1] if k > 0 else 0.0
                continue
            g_bar = weight[k] / share[k]
            excess = mean[k] - self.z[k]
            A = mean[k] / excess if excess > 0 else 1.0
            denom = 1.0 - g_bar + A * elasticity
            rates[k] = (1.0 - g_bar) / denom if denom > 1e-12 else 0.0
        return np.clip(rates, 0.0, self.params.bracket_rate_max)

    @staticmethod
    def _bracket_income(share: np.ndarray, mean: np.ndarray) -> np.ndarray:
        above = share * mean  # taxable income per household of those at or above z_k
        return np.maximum(above - np.append(above[1:], 0.0), 0.0)

    def _observe(self, obs: np.ndarray) -> None:
        """Record the income year this observation reports and the rates that were in force then."""
        share, mean, _, policy_now = self._parts(obs)
        year_rates = policy_now if self._year_rates is None else self._year_rates
        self._year_rates = policy_now.copy()  # next obs reports the year governed by today's policy in force
        if mean[0] <= 0.0:
            return
        income = self._bracket_income(share, mean)
        log_mean = float(np.log(mean[0]))
        if self._prev is not None:
            old_rates, old_income, old_log_mean = self._prev
            if not np.allclose(old_rates, year_rates) and old_income.sum() > 0:
                wts = old_income / old_income.sum()
                dx = float(np.log(max(1.0 - wts @ year_rates, 1e-6)) - np.log(max(1.0 - wts @ old_rates, 1e-6)))
                self.pairs.append((dx, log_mean - old_log_mean))
        self._prev = (year_rates.copy(), income, log_mean)

    def _estimate(self) -> float | None:
        if len(self.pairs) < 2:
            return None
        d = np.array(self.pairs)
        den = float(d[:, 0] @ d[:, 0])
        if den < 1e-10:
            return None
        return float(np.clip(d[:, 0] @ d[:, 1] / den, 0.0, 10.0))

    def _new_rates(self, obs: np.ndarray) -> np.ndarray:
        shift = self.rng.uniform(-self.explore, self.explore) if self.explore > 0 else 0.0
        return np.clip(self.saez_rates(obs, self.elasticity) + shift, 0.0, self.params.bracket_rate_max)

    def initial_action(self, obs: np.ndarray) -> np.ndarray:
        self.rates = self.saez_rates(obs, self.elasticity)
        return np.concatenate([self.rates, self.tail])

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        self._observe(obs)
        if self.rates is None:
            self.rates = self.saez_rates(obs, self.elasticity)
        self.t += 1
        if self.t % self.period == 0:
            est = self._estimate()
            if est is not None:
                self.elasticity = (1.0 - self.smoothing) * self.elasticity + self.smoothing * est
            self.rates = self._new_rates(obs)
        return np.concatenate([self.rates, self.tail])


# -------------------------------------------------------------------- household rules


class HouseholdRule:
    """Base of the household rules: ``rule(obs) -> actions`` on one row or a batch."""

    name = "household_rule"

    def __init__(self, params: TaxParams):
        self.params = params
        npol = kr.N_POLICY_FEATURES
        self.col_policy = slice(2, 2 + npol)
        self.col_summary = 2 + npol
        self.summary_index = {name: self.col_summary + i for i, name in enumerate(SUMMARY_NAMES)}

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        x, single = _as_rows(obs)
        out = self.act(x)
        return out[0] if single else out

    def act(self, obs: np.ndarray) -> np.ndarray:  # pragma: no cover - overridden
        raise TypeError("HouseholdRule is a base class")


class ConstantSaving(HouseholdRule):
    """Save a constant share of cash on hand and work constant hours.

    Defaults are the calibrated steady state: the saving share that keeps
    aggregate wealth constant at calibration (``calibration.saving_rate``) and
    the calibrated hours share ``labour_share_0``.
    """

    name = "constant_saving"

    def __init__(self, params: TaxParams, saving_rate: float | None = None, labour_share: float | None = None):
        super().__init__(params)
        self.saving_rate = params.calibration.saving_rate if saving_rate is None else float(saving_rate)
        self.labour_share = params.labour_share_0 if labour_share is None else float(labour_share)
        for nm, v in (("saving_rate", self.saving_rate), ("labour_share", self.labour_share)):
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"{nm} must be in [0, 1], got {v}")

    def act(self, obs: np.ndarray) -> np.ndarray:
        out = np.empty((obs.shape[0], 2))
        out[:, 0] = self.saving_rate
        out[:, 1] = self.labour_share
        return out


class BufferStock(HouseholdRule):
    """Buffer-stock saving with a Frisch labour-supply response to marginal tax rates.

    Hours: hhat = labour_share_0 * (1 - mtr)^(1/eta), clipped to [0, 1], where
    mtr is the household's marginal income-tax rate at its expected income under
    the policy in force (interpolated from the observed schedule) and 1/eta the
    Frisch elasticity of the model's utility.

    Saving: with permanent income P (expected after-tax labour income plus last
    year's lump-sum transfer) and cash on hand m = (1+r) a + P, the household
    saves the share

        p = max_saving * (1 - exp(-(m / P) / scale))

    of its cash on hand: a concave consumption function in cash on hand relative
    to permanent income (Deaton 1991; Carroll 1997) - households with little
    cash consume almost all of it, wealthy ones save most of it. Because the
    saving share applies to (1+r) a, aggregate saving rises with the interest
    rate, which keeps the capital market stable. ``scale`` defaults to the value
    at which a household with calibrated mean wealth and labour income saves the
    calibrated steady-state share (``calibration.saving_rate``).
    """

    name = "buffer_stock"

    def __init__(
        self,
        params: TaxParams,
        max_saving: float = 0.95,
        scale: float | None = None,
        frisch: float | None = None,
    ):
        super().__init__(params)
        cal = params.calibration
        self.max_saving = float(max_saving)
        if not 0.0 < self.max_saving <= 1.0:
            raise ValueError(f"max_saving must be in (0, 1], got {max_saving}")
        if scale is None:
            if cal.saving_rate >= self.max_saving:
                raise ValueError(
                    f"max_saving={max_saving} must exceed the calibrated saving share {cal.saving_rate:.3f}"
                )
            ratio = ((1.0 + cal.r0) * cal.a0 + cal.w0 * cal.l0) / (cal.w0 * cal.l0)
            scale = ratio / -np.log(1.0 - cal.saving_rate / self.max_saving)
        self.scale = float(scale)
        self.frisch = (1.0 / params.inverse_frisch if params.inverse_frisch > 0 else 1.0) if frisch is None else frisch
        if self.scale <= 0 or self.frisch < 0:
            raise ValueError("scale must be positive and frisch non-negative")
        self.thresholds = np.asarray(params.bracket_thresholds, dtype=np.float64)

    def _tax_and_mtr(self, obs: np.ndarray, y: np.ndarray, y_ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Tax and marginal rate at income ``y``, read off the observed schedule.

        Households observe average and marginal income-tax rates at a few multiples of mean
        income; between those points the rule interpolates linearly in log income (flat
        beyond them), whatever the schedule's parametrisation.
        """
        pts = np.log(kr.INCOME_POINTS)
        ni = pts.size
        avg = obs[:, self.col_policy.start : self.col_policy.start + ni]
        mtr = obs[:, self.col_policy.start + ni : self.col_policy.start + 2 * ni]
        x = np.log(np.maximum(y, 1e-9) / y_ref)
        idx = np.clip(np.searchsorted(pts, x) - 1, 0, ni - 2)
        w = np.clip((x - pts[idx]) / (pts[idx + 1] - pts[idx]), 0.0, 1.0)
        rows = np.arange(len(y))
        a = (1 - w) * avg[rows, idx] + w * avg[rows, idx + 1]
        m = (1 - w) * mtr[rows, idx] + w * mtr[rows, idx + 1]
        return np.where(y > 0, a * y, 0.0), m

    def act(self, obs: np.ndarray) -> np.ndarray:
        p = self.params
        cal = p.calibration
        y0 = cal.y0
        a = obs[:, 0] * y0
        e = obs[:, 1]
        y_ref = np.maximum(obs[:, self.summary_index["mean_income"]] * y0, 1e-9 * y0)
        w = obs[:, self.summary_index["wage_index"]] * cal.w0
        r = obs[:, self.summary_index["interest_rate"]]
        labour0 = w * e * p.hours_endowment * p.labour_share_0
        _, mtr = self._tax_and_mtr(obs, labour0 + r * a, y_ref)
        hhat = np.clip(p.labour_share_0 * np.maximum(1.0 - mtr, 0.0) ** self.frisch, 0.0, 1.0)
        labour = w * e * p.hours_endowment * hhat
        tax, _ = self._tax_and_mtr(obs, labour, y_ref)
        transfer = obs[:, self.summary_index["transfer"]] * y0
        P = np.maximum(labour - tax + transfer, 1e-3 * y0)
        m = np.maximum((1.0 + r) * a + P, 0.0)
        saving = self.max_saving * (1.0 - np.exp(-(m / P) / self.scale))
        out = np.empty((obs.shape[0], 2))
        out[:, 0] = saving
        out[:, 1] = hhat
        return out


# ------------------------------------------------------------------------ registries

GOVERNMENT_RULES: dict[str, type[GovernmentRule]] = {
    "free_market": FreeMarket,
    "us_federal": USFederal2022,
    "saez": Saez,
    "best_hsv": BestHSV,
}
HOUSEHOLD_RULES: dict[str, type[HouseholdRule]] = {
    "buffer_stock": BufferStock,
    "constant_saving": ConstantSaving,
}
DEFAULT_HOUSEHOLD_RULE = "buffer_stock"


def make_household_policy(
    policy: str | Callable[[np.ndarray], np.ndarray] | None, params: TaxParams
) -> Callable[[np.ndarray], np.ndarray]:
    """A household policy from a rule name, a callable (returned as is) or ``None`` (the default rule)."""
    if policy is None:
        policy = DEFAULT_HOUSEHOLD_RULE
    if isinstance(policy, str):
        if policy == "optimal":
            from econ_envs.taxai.optimal import AnticipatedUtilityHouseholds

            return AnticipatedUtilityHouseholds(params)
        if policy not in HOUSEHOLD_RULES:
            raise ValueError(
                f"unknown household rule {policy!r}; choose from {sorted(HOUSEHOLD_RULES) + ['optimal']}"
            )
        return HOUSEHOLD_RULES[policy](params)
    if not callable(policy):
        raise TypeError(f"household_policy must be a rule name or a callable, got {type(policy).__name__}")
    return policy


def make_government_policy(name: str, params: TaxParams, **kwargs: Any) -> GovernmentRule:
    if name not in GOVERNMENT_RULES:
        raise ValueError(f"unknown government rule {name!r}; choose from {sorted(GOVERNMENT_RULES)}")
    return GOVERNMENT_RULES[name](params, **kwargs)


class BaselineProfile:
    """A government rule plus a household rule, as ``econ-envs simulate`` runs them.

    ``household="optimal"``: the households of the perfect-foresight equilibrium with this
    government (solved at :meth:`reset` for the run's seed, see
    :func:`econ_envs.taxai.optimal.equilibrium_path`; ``self.equilibrium`` keeps it).
    """

    def __init__(self, env: Any, government: str, household: str | None = None):
        self.government_name = government
        self.government = make_government_policy(government, env.params)
        self.optimal = household == "optimal"
        self.household = None if self.optimal else make_household_policy(household, env.params)
        self.equilibrium = None
        self.name = f"{government}+{'optimal' if self.optimal else getattr(self.household, 'name', 'custom')}"

    def reset(self, env: Any, seed: int | None) -> None:
        if self.optimal:
            from econ_envs.taxai.optimal import OptimalHouseholds, equilibrium_path

            self.equilibrium = equilibrium_path(env.params, self.government_name, seed=seed)
            self.household = OptimalHouseholds(self.equilibrium.best_response)
        if hasattr(self.household, "reset"):
            self.household.reset(seed)
        self.government.reset(seed)
        obs, _ = env.reset_batch(seed=seed)
        first = self.government.initial_action(obs["government"][0])
        if first is not None and not np.allclose(first, 0.0):
            env.reset_batch(seed=seed, options={"policy": first})

    def act(self, env: Any) -> dict[str, np.ndarray]:
        obs = env.batch_observations()
        return {
            "government": self.government(obs["government"][0])[None, :],
            "household": self.household(obs["household"]),
        }


def _profile(government: str) -> type:
    class _P(BaselineProfile):
        env_overrides = GOVERNMENT_RULES[government].env_overrides

        def __init__(self, env: Any, household: str | None = None):
            super().__init__(env, government, household)

    _P.__name__ = f"{government.title().replace('_', '')}Profile"
    return _P


FreeMarketProfile = _profile("free_market")
USFederalProfile = _profile("us_federal")
SaezProfile = _profile("saez")
BestHSVProfile = _profile("best_hsv")


__all__ = [
    "BaselineProfile",
    "BestHSV",
    "BufferStock",
    "ConstantSaving",
    "FixedPolicy",
    "FreeMarket",
    "GovernmentRule",
    "HouseholdRule",
    "Saez",
    "USFederal2022",
    "make_government_policy",
    "make_household_policy",
]


def make_rule(name: str, env_config: dict[str, Any] | None = None, **kwargs: Any) -> Callable[[np.ndarray], np.ndarray]:
    """A stateless rule as a batched callable, built for the economy ``env_config`` describes.

    Used by RLlib's frozen baseline modules (``econ_envs.rllib.modules.FrozenRuleModule``):
    household rules map (B, obs_dim) to (B, 2); government rules map (B, gov_obs_dim) to
    (B, n_policy). The adaptive Saez rule keeps state across an episode, which a module
    shared by many episodes cannot, so it is refused here.
    """
    cfg = dict(env_config or {})
    if name == "saez":
        raise ValueError("the Saez rule is adaptive (it learns across an episode) and cannot be a frozen module")
    if name in GOVERNMENT_RULES:
        cfg.update({k: v for k, v in GOVERNMENT_RULES[name].env_overrides.items() if k not in cfg})
    params = TaxParams.from_kwargs(**cfg)
    if name == "optimal":  # households that optimise, from their observations (anticipated utility; HSV)
        from econ_envs.taxai.optimal import AnticipatedUtilityHouseholds

        return AnticipatedUtilityHouseholds(params, **kwargs)
    if name in HOUSEHOLD_RULES:
        return HOUSEHOLD_RULES[name](params, **kwargs)
    if name in GOVERNMENT_RULES:
        gov = GOVERNMENT_RULES[name](params, **kwargs)

        def batched(obs: np.ndarray) -> np.ndarray:
            x = np.asarray(obs)
            return np.stack([gov(row) for row in x.reshape(-1, x.shape[-1])])

        return batched
    raise ValueError(
        f"unknown rule {name!r}; choose from {sorted(HOUSEHOLD_RULES) + ['optimal'] + sorted(GOVERNMENT_RULES)}"
    )
