"""PettingZoo facade of the monetary economy (``monetary-v0``).

See the package docstring (``econ_envs.monetary``) for the agents table,
observations, actions, rewards and the equations of a month.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from gymnasium import spaces

from econ_envs.core.env import BatchStep, EconomyEnv, Role
from econ_envs.monetary import kernels as kr
from econ_envs.monetary.actions import N_ACTIONS
from econ_envs.monetary.economy import (
    BANK_OBS_NAMES,
    CB_OBS_NAMES,
    FIRM_OBS_NAMES,
    HH_OBS_NAMES,
    MonetaryEconomy,
    shock_value,
)
from econ_envs.monetary.params import MonetaryParams

OBS_NAMES = {"central_bank": CB_OBS_NAMES, "bank": BANK_OBS_NAMES, "household": HH_OBS_NAMES, "firm": FIRM_OBS_NAMES}


class MonetaryEnv(EconomyEnv):
    """Central bank, commercial banks, households and firms in a monthly monetary economy.

    Args:
        params: a :class:`MonetaryParams`; or pass its fields as keywords
            (``n_households=1000, zero_lower_bound=False``).

    Agent ids: ``central_bank``, ``bank_0..``, ``household_0..``, ``firm_0..``; every action is
    an index of a ``Discrete`` space (decode tables: :mod:`econ_envs.monetary.actions`). The
    batched core is ``env.economy`` (:class:`~econ_envs.monetary.economy.MonetaryEconomy`);
    ``env.step_batch({"central_bank": (1,), "bank": (B,), "household": (N,), "firm": (F,)})``
    drives every agent of a role as one integer array.
    """

    metadata = {"name": "monetary_v0", "render_modes": [], "is_parallelizable": True}
    env_id = "monetary-v0"

    def __init__(self, params: MonetaryParams | None = None, **kwargs: Any):
        if params is not None and kwargs:
            if not isinstance(params, MonetaryParams):
                raise TypeError(f"params must be a MonetaryParams, got {type(params).__name__}")
            params = params.replace(**kwargs)
        elif params is None:
            params = MonetaryParams.from_kwargs(**kwargs)
        elif not isinstance(params, MonetaryParams):
            raise TypeError(f"params must be a MonetaryParams, got {type(params).__name__}")
        self.params = params
        self.episode_length = params.episode_length
        self.time_unit = "month"
        self.economy = MonetaryEconomy(params)

        def box(n: int) -> spaces.Box:
            return spaces.Box(-np.inf, np.inf, (n,), np.float32)

        self._init_roles(
            [
                Role("central_bank", 1, box(kr.CB_OBS), spaces.Discrete(N_ACTIONS["central_bank"]), indexed=False),
                Role("bank", params.n_banks, box(kr.BANK_OBS), spaces.Discrete(N_ACTIONS["bank"])),
                Role("household", params.n_households, box(kr.HH_OBS), spaces.Discrete(N_ACTIONS["household"])),
                Role("firm", params.n_firms, box(kr.FIRM_OBS), spaces.Discrete(N_ACTIONS["firm"])),
            ]
        )

    # ------------------------------------------------------------------ hooks
    def _reset_core(self, seed: int | None, options: Mapping[str, Any] | None):
        shocks: Mapping[str, float] = {}
        if options:
            if not isinstance(options, Mapping):
                raise TypeError(f"options must be a dict, got {type(options).__name__}")
            # only "shocks" is read; other keys are ignored (PettingZoo's API test passes arbitrary options)
            shocks = options.get("shocks") or {}
            if not isinstance(shocks, Mapping):
                raise TypeError("options['shocks'] must be a dict kind -> size")
            for kind, size in shocks.items():
                shock_value(kind, size)  # validate everything before touching the economy
        obs = self.economy.reset(seed=seed)
        for kind, size in shocks.items():
            self.economy.apply_shock(kind, size)
        return dict(obs), {}

    def _step_core(self, actions: dict[str, np.ndarray]) -> BatchStep:
        eco = self.economy
        res = eco.step(
            int(actions["central_bank"][0]),
            np.ascontiguousarray(actions["bank"], dtype=np.int64),
            np.ascontiguousarray(actions["household"], dtype=np.int64),
            np.ascontiguousarray(actions["firm"], dtype=np.int64),
        )
        return BatchStep(
            observations=res.observations,
            rewards=res.rewards,
            terminated=res.terminated,
            truncated=res.truncated,
            info={"termination_reason": res.reason} if res.reason else {},
        )

    def aggregates(self) -> dict[str, float]:
        return self.economy.aggregates()

    # -------------------------------------------------------------- conveniences
    def apply_shock(self, kind: str, size: float) -> None:
        """Schedule a shock for the next month (see :meth:`MonetaryEconomy.apply_shock`)."""
        if self.episode_over:
            raise ValueError("the episode is over (or reset() was never called); call reset() first")
        self.economy.apply_shock(kind, size)

    @staticmethod
    def obs_names(role: str) -> tuple[str, ...]:
        """Names of the observation components of ``role`` (units: ``econ_envs.monetary.economy.*_UNITS``)."""
        if role not in OBS_NAMES:
            raise ValueError(f"unknown role {role!r}; roles are {list(OBS_NAMES)}")
        return OBS_NAMES[role]


def parallel_env(**kwargs: Any) -> MonetaryEnv:
    """PettingZoo-style factory: ``econ_envs.monetary.parallel_env(n_households=1000)``."""
    return MonetaryEnv(**kwargs)
