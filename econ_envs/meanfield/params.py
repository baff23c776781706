"""Constants of the mean-field games: one frozen dataclass per game, validated on construction.

Defaults are MFAX's (Wibault et al. 2026, "Recurrent Structural Policy Gradient
for Partially Observable Mean Field Games") for the linear-quadratic, beach bar
and macroeconomic games, and OpenSpiel's for the 1D crowd-modelling game
(Perrin et al. 2020, section 4.2). Positions and wealth are in grid cells /
units of the model's consumption good; time is in model periods.

Any field can be overridden as a keyword of ``econ_envs.make(...)``,
``gymnasium.make(...)`` or :func:`econ_envs.meanfield.games.make_game`; a bad value
raises ``ValueError`` naming the field and its allowed range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

from econ_envs.core.params import check_number, with_overrides


def _check_bool(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")


def _check_probs(name: str, probs: tuple, n: int | None = None) -> None:
    if not isinstance(probs, tuple) or not probs:
        raise TypeError(f"{name} must be a non-empty tuple of probabilities, got {probs!r}")
    for i, p in enumerate(probs):
        check_number(f"{name}[{i}]", p, 0.0, 1.0)
    if n is not None and len(probs) != n:
        raise ValueError(f"{name} must have {n} entries, got {len(probs)}")
    if abs(sum(probs) - 1.0) > 1e-9:
        raise ValueError(f"{name} must sum to 1, got {sum(probs)!r}")


class _Params:
    """Shared helpers: ``replace(**kw)`` with validation and ``from_kwargs``."""

    def replace(self, **overrides: Any):
        return with_overrides(self, overrides)

    @classmethod
    def from_kwargs(cls, **kwargs: Any):
        return with_overrides(cls(), kwargs)

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]  # type: ignore[arg-type]


@dataclass(frozen=True)
class LQParams(_Params):
    """Linear-quadratic game (MFAX ``linear_quadratic``; Perrin et al. 2020 section 4.1 style).

    An agent on positions 0..n_states-1 moves by an integer action, is pushed by a
    common drift while common noise is on, and pays a quadratic cost for moving
    and for being far from the population's next mean position.
    """

    n_states: int = 99  # positions 0..98 (cells)
    max_move: int = 3  # actions are the moves -3..3 cells per period
    horizon: int = 30  # periods per episode T
    discount: float = 0.99  # gamma (MFAX scripts)
    c_action: float = 0.5  # cost c_a of a move: -c_a a^2
    q: float = 0.1  # cross term q a (m' - s)
    kappa: float = 0.5  # distance cost -(kappa/2)(m' - s)^2
    c_term: float = 1.0  # terminal distance cost -(c_term/2)(m' - s)^2, replaces the step reward at T-1
    sigma: float = 1.0  # noise scale sigma
    rho: float = 0.5  # share rho of sigma that is common (drift), sqrt(1-rho^2) idiosyncratic
    noise_atoms_per_side: int = 3  # idiosyncratic atoms k = -3..3 with weights proportional to the N(0,1) pdf
    idio_noise: bool = True  # False: no idiosyncratic noise
    common_noise: bool = False  # MFAX default False (its scripts set True)
    drift_scale: float = 10.0  # |epsilon_t| of the common drift sigma*rho*epsilon_t (=5 cells/period by default)
    drift_early: int = 8  # drift -drift_scale*z for t < drift_early
    drift_late: int = 20  # drift +drift_scale*z for t > drift_late
    observe_time: bool = False  # append t/T to the shared observation (MFAX: time is not observed)

    def __post_init__(self) -> None:
        check_number("n_states", self.n_states, 2, 100_000, integer=True)
        check_number("max_move", self.max_move, 0, 1000, integer=True)
        check_number("horizon", self.horizon, 1, 100_000, integer=True)
        check_number("discount", self.discount, 0.0, 1.0)
        check_number("c_action", self.c_action, 0.0)
        check_number("q", self.q)
        check_number("kappa", self.kappa, 0.0)
        check_number("c_term", self.c_term, 0.0)
        check_number("sigma", self.sigma, 0.0)
        check_number("rho", self.rho, 0.0, 1.0)
        check_number("noise_atoms_per_side", self.noise_atoms_per_side, 0, 1000, integer=True)
        _check_bool("idio_noise", self.idio_noise)
        _check_bool("common_noise", self.common_noise)
        check_number("drift_scale", self.drift_scale)
        check_number("drift_early", self.drift_early, 0, integer=True)
        check_number("drift_late", self.drift_late, 0, integer=True)
        _check_bool("observe_time", self.observe_time)


@dataclass(frozen=True)
class BeachBarParams(_Params):
    """Beach bar 1D (MFAX ``beach_bar_1d``): walk towards a bar that may close half-way."""

    n_states: int = 101  # positions 0..100 (cells)
    max_move: int = 5  # actions are the moves -5..5 cells per period
    horizon: int = 30  # periods per episode T
    discount: float = 0.99  # gamma (MFAX scripts)
    noise_moves: tuple = (-2, -1, 0, 1, 2)  # idiosyncratic displacement atoms (cells)
    noise_probs: tuple = (0.05, 0.1, 0.7, 0.1, 0.05)  # their probabilities
    bar_low: float = 0.25  # the bar is uniform on floor(0.25 n) .. ceil(0.75 n)-1 = 25..75 (cells)
    bar_high: float = 0.75
    closure_prob: float = 0.5  # P(bar closes) drawn once at t = closure_time when common noise is on
    closure_time: int = -1  # period at which the closure is drawn; -1 means horizon // 2 (= 15)
    adjacency_penalty: float = 101.0  # paid for standing next to the bar at a step whose next z is 0 (closed)
    move_cost: float = 1.0 / 101.0  # cost per cell moved
    common_noise: bool = False  # MFAX default False (its scripts set True)
    observe_time: bool = False  # MFAX: time is not observed

    def __post_init__(self) -> None:
        check_number("n_states", self.n_states, 4, 100_000, integer=True)
        check_number("max_move", self.max_move, 0, 1000, integer=True)
        check_number("horizon", self.horizon, 1, 100_000, integer=True)
        check_number("discount", self.discount, 0.0, 1.0)
        if not isinstance(self.noise_moves, tuple) or not self.noise_moves:
            raise TypeError(f"noise_moves must be a non-empty tuple of integers, got {self.noise_moves!r}")
        for i, d in enumerate(self.noise_moves):
            check_number(f"noise_moves[{i}]", d, -1000, 1000, integer=True)
        _check_probs("noise_probs", self.noise_probs, len(self.noise_moves))
        check_number("bar_low", self.bar_low, 0.0, 1.0)
        check_number("bar_high", self.bar_high, 0.0, 1.0)
        if not self.bar_min <= self.bar_max or self.bar_min < 1 or self.bar_max > self.n_states - 2:
            raise ValueError(
                f"bar_low/bar_high must give a bar range inside 1..n_states-2 = 1..{self.n_states - 2}, "
                f"got {self.bar_min}..{self.bar_max}"
            )
        check_number("closure_prob", self.closure_prob, 0.0, 1.0)
        check_number("closure_time", self.closure_time, -1, self.horizon, integer=True)
        if self.closure_time == 0:
            raise ValueError("closure_time must be -1 (horizon // 2) or in [1, horizon], got 0")
        check_number("adjacency_penalty", self.adjacency_penalty)
        check_number("move_cost", self.move_cost)
        _check_bool("common_noise", self.common_noise)
        _check_bool("observe_time", self.observe_time)

    @property
    def bar_min(self) -> int:
        return int(math.floor(self.bar_low * self.n_states))

    @property
    def bar_max(self) -> int:
        return int(math.ceil(self.bar_high * self.n_states)) - 1

    @property
    def closure_period(self) -> int:
        return self.horizon // 2 if self.closure_time == -1 else int(self.closure_time)


@dataclass(frozen=True)
class MacroParams(_Params):
    """Aiyagari-style consumption-savings game with aggregate TFP shocks (MFAX ``endogenous``)."""

    crra: float = 2.0  # relative risk aversion sigma; u(c) = c^(1-sigma)/(1-sigma), log for 1
    capital_share: float = 0.36  # alpha in Y = e^z K^alpha L^(1-alpha)
    tfp_persistence: float = 0.9  # rho of z' = rho z + nu eps
    tfp_sd: float = 0.03  # nu
    horizon: int = 128  # periods per episode T
    discount: float = 0.95  # gamma (MFAX configs)
    n_actions: int = 20  # consumption shares: midpoints (i + 0.5)/n of [0, 1]
    n_wealth: int = 200  # wealth grid points
    n_income: int = 5  # income grid points
    wealth_min: float = 0.0  # wealth grid bounds (no borrowing)
    wealth_max: float = 99.0
    income_min: float = 0.1  # income (labour efficiency) grid bounds
    income_max: float = 2.0
    income_moves: tuple = (-1, 0, 1)  # moves of the income grid index per period
    income_probs: tuple = (0.1, 0.8, 0.1)
    idio_noise: bool = True  # False: income never moves
    common_noise: bool = True  # MFAX ignores this flag (TFP always moves); here False freezes z at 0
    continuous_wealth: bool = False  # sampled population only: keep wealth off-grid (MFAX's sample env)
    observe_time: bool = False

    def __post_init__(self) -> None:
        check_number("crra", self.crra, 0.0, 50.0, lo_open=True)
        check_number("capital_share", self.capital_share, 0.0, 1.0, lo_open=True, hi_open=True)
        check_number("tfp_persistence", self.tfp_persistence, -1.0, 1.0)
        check_number("tfp_sd", self.tfp_sd, 0.0, 10.0)
        check_number("horizon", self.horizon, 1, 100_000, integer=True)
        check_number("discount", self.discount, 0.0, 1.0)
        check_number("n_actions", self.n_actions, 1, 10_000, integer=True)
        check_number("n_wealth", self.n_wealth, 2, 100_000, integer=True)
        check_number("n_income", self.n_income, 1, 1000, integer=True)
        check_number("wealth_min", self.wealth_min, 0.0)
        check_number("wealth_max", self.wealth_max, 0.0, lo_open=True)
        if self.wealth_max <= self.wealth_min:
            raise ValueError(f"wealth_max must exceed wealth_min={self.wealth_min}, got {self.wealth_max}")
        check_number("income_min", self.income_min, 0.0, lo_open=True)
        check_number("income_max", self.income_max, 0.0, lo_open=True)
        if self.income_max < self.income_min:
            raise ValueError(f"income_max must be >= income_min={self.income_min}, got {self.income_max}")
        if not isinstance(self.income_moves, tuple) or not self.income_moves:
            raise TypeError(f"income_moves must be a non-empty tuple of integers, got {self.income_moves!r}")
        for i, d in enumerate(self.income_moves):
            check_number(f"income_moves[{i}]", d, -1000, 1000, integer=True)
        _check_probs("income_probs", self.income_probs, len(self.income_moves))
        for name in ("idio_noise", "common_noise", "continuous_wealth", "observe_time"):
            _check_bool(name, getattr(self, name))


@dataclass(frozen=True)
class CrowdParams(_Params):
    """1D crowd modelling on a torus (OpenSpiel ``python_mfg_crowd_modelling``; Perrin et al. 2020 4.2)."""

    size: int = 10  # positions 0..size-1 on a circle (cells)
    horizon: int = 10  # decisions per episode
    discount: float = 1.0  # OpenSpiel: undiscounted
    noise_probs: tuple = (1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0)  # P(displacement -1, 0, +1)
    log_epsilon: float = 1e-25  # added to mu(x) inside the log (OpenSpiel)
    observe_time: bool = True  # OpenSpiel policies are indexed by (x, t)

    def __post_init__(self) -> None:
        check_number("size", self.size, 2, 100_000, integer=True)
        check_number("horizon", self.horizon, 1, 100_000, integer=True)
        check_number("discount", self.discount, 0.0, 1.0)
        _check_probs("noise_probs", self.noise_probs, 3)
        check_number("log_epsilon", self.log_epsilon, 0.0, 1.0)
        _check_bool("observe_time", self.observe_time)


PARAMS = {"lq": LQParams, "beach_bar": BeachBarParams, "macro": MacroParams, "crowd": CrowdParams}
