"""PettingZoo facade of the tax economy (``taxai-v0``).

See the package docstring (``econ_envs.taxai``) for the agents table,
observations, actions, rewards and the equations of a step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from gymnasium import spaces

from econ_envs.core.env import BatchStep, EconomyEnv, Role
from econ_envs.taxai.economy import TaxEconomy
from econ_envs.taxai.params import TaxParams


class TaxEnv(EconomyEnv):
    """Government (leader) and N households (followers) in a Bewley-Aiyagari economy.

    Args:
        params: a :class:`TaxParams`; or pass its fields as keywords
            (``n_households=1000, task="gini"``), optionally with
            ``preset="us2022" | "taxai" | "dsmfg"``.

    ``reset(seed=..., options={"policy": array})`` sets the government policy in
    force in year 0 (default: zeros). The batched core is ``env.economy``
    (:class:`~econ_envs.taxai.economy.TaxEconomy`).
    """

    metadata = {"name": "taxai_v0", "render_modes": [], "is_parallelizable": True}
    env_id = "taxai-v0"

    def __init__(self, params: TaxParams | None = None, **kwargs: Any):
        if params is not None and kwargs:
            params = params.replace(**kwargs)
        elif params is None:
            params = TaxParams.from_kwargs(**kwargs)
        elif not isinstance(params, TaxParams):
            raise TypeError(f"params must be a TaxParams, got {type(params).__name__}")
        self.params = params
        self.episode_length = params.episode_length
        self.time_unit = "year"
        self.economy = TaxEconomy(params)
        self._truncated_roles = ("household",) if params.household_collapse == "truncation" else ()
        low, high = params.policy_bounds()
        eco = self.economy
        self._init_roles(
            [
                Role(
                    "government",
                    1,
                    spaces.Box(-np.inf, np.inf, (eco.government_obs_dim,), np.float32),
                    spaces.Box(np.array(low, np.float32), np.array(high, np.float32), dtype=np.float32),
                    indexed=False,
                ),
                Role(
                    "household",
                    params.n_households,
                    spaces.Box(-np.inf, np.inf, (eco.household_obs_dim,), np.float32),
                    spaces.Box(0.0, 1.0, (2,), np.float32),
                ),
            ]
        )

    # ------------------------------------------------------------------ hooks
    def _reset_core(self, seed: int | None, options: Mapping[str, Any] | None):
        policy = None
        if options:
            if not isinstance(options, Mapping):
                raise TypeError(f"options must be a dict, got {type(options).__name__}")
            policy = options.get("policy")
        hh, gov = self.economy.reset(seed=seed, policy=policy)
        return {"government": gov[None, :], "household": hh}, {}

    def _step_core(self, actions: dict[str, np.ndarray]) -> BatchStep:
        hh_obs, gov_obs, hh_rew, gov_rew, terminated, truncated, reason = self.economy.advance(
            actions["government"][0], actions["household"]
        )
        return BatchStep(
            observations={"government": gov_obs[None, :], "household": hh_obs},
            rewards={"government": np.array([gov_rew]), "household": hh_rew},
            terminated=terminated,
            truncated=truncated,
            info={"termination_reason": reason} if reason else {},
            truncated_roles=self._truncated_roles,
        )

    def aggregates(self) -> dict[str, float]:
        return self.economy.aggregates()

    # -------------------------------------------------------------- conveniences
    def household_obs_names(self) -> list[str]:
        return self.economy.household_obs_names()

    def government_obs_names(self) -> list[str]:
        return self.economy.government_obs_names()


def parallel_env(**kwargs: Any) -> TaxEnv:
    """PettingZoo-style factory: ``econ_envs.taxai.parallel_env(n_households=100)``."""
    return TaxEnv(**kwargs)
