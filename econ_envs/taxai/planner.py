"""Single-agent Gymnasium view of the tax economy: the government's (planner's) problem.

``gymnasium.make("econ_envs/TaxAI-Planner-v0", household_policy="buffer_stock", n_households=100)``

The households follow ``household_policy``: a rule name from
:data:`econ_envs.taxai.policies.HOUSEHOLD_RULES`, or any callable mapping the
household observations ``(N, obs_dim)`` to actions ``(N, 2)`` (for example a
trained network). Observation, action and reward are the government's; the
episode ends when the economy collapses (``terminated``) or after
``episode_length`` years (``truncated``). ``info`` carries the aggregates of the
year, the termination reason if any, and ``clipped_actions`` when the action was
outside its bounds and got clipped.

The observation space has finite bounds (:mod:`econ_envs.core.views`): shares,
welfare-weight shares and ``time`` in [0, 1], the policy in the action's bounds,
abilities, GDP, the wage index and taxable incomes at least 0, and every
component without a natural bound (wealth and income ratios, ``debt_to_gdp``,
``capital_to_gdp``, ``interest_rate``) within +-1e6 of its unit; a value beyond is
clipped and counted in ``info["clipped_observation"]``. Registered with
``max_episode_steps=300`` (the default ``episode_length``); for longer episodes pass
``max_episode_steps`` to ``gymnasium.make`` as well.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np

from econ_envs.core.views import clip_observation, finite_box
from econ_envs.taxai.env import TaxEnv
from econ_envs.taxai.params import TaxParams
from econ_envs.taxai.policies import make_household_policy


class TaxPlannerEnv(gym.Env):
    """The government learns; households follow a fixed policy."""

    metadata = {"render_modes": []}

    def __init__(
        self,
        household_policy: str | Callable[[np.ndarray], np.ndarray] | None = None,
        params: TaxParams | None = None,
        **kwargs: Any,
    ):
        self.env = TaxEnv(params=params, **kwargs)
        self.params = self.env.params
        if household_policy == "optimal":
            # optimal households that take each year's environment as permanent (anticipated utility),
            # read exactly from the economy's state
            from econ_envs.taxai.optimal import AnticipatedUtilityHouseholds

            self.household_policy = AnticipatedUtilityHouseholds(self.params, env=self.env)
        else:
            self.household_policy = make_household_policy(household_policy, self.params)
        self.action_space = self.env.action_space("government")
        names = self.env.government_obs_names()
        low, high = (np.broadcast_to(b, self.action_space.shape).astype(float) for b in
                     (self.action_space.low, self.action_space.high))  # fmt: skip
        natural = {"time": (0.0, 1.0)}
        natural.update({n: (0.0, np.inf) for n in names if n.endswith("_ability") or n.startswith("mean_taxable_")})
        natural.update({n: (0.0, np.inf) for n in ("gdp_per_household", "wage_index")})
        natural.update({n: (0.0, 1.0) for n in names if n.startswith(("share_above_", "welfare_weight_above_"))})
        natural.update({f"policy_{x}": (lo, hi) for x, lo, hi in zip(self.params.policy_names(), low, high)})
        self.observation_space = finite_box(self.env.observation_space("government"), names, natural)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        obs, _ = self.env.reset_batch(seed=seed, options=options)
        if hasattr(self.household_policy, "reset"):
            self.household_policy.reset(seed)
        info: dict[str, Any] = {}
        return clip_observation(obs["government"][0], self.observation_space, info), info

    def step(self, action):
        if self.env.episode_over:
            raise ValueError("the episode is over (or reset() was never called); call reset() first")
        government = self.env.single_action("government", action)  # before the households' rule acts
        hh = self.household_policy(self.env.batch_observations()["household"])
        res = self.env.step_batch({"government": government, "household": hh})
        info: dict[str, Any] = {"aggregates": self.env.aggregates()}
        if res.info.get("termination_reason"):
            info["termination_reason"] = res.info["termination_reason"]
        if res.clipped["government"].any():
            info["clipped_actions"] = int(res.clipped["government"][0])
        if res.clipped["household"].any():
            info["clipped_household_actions"] = int(res.clipped["household"].sum())
        return (
            clip_observation(res.observations["government"][0], self.observation_space, info),
            float(res.rewards["government"][0]),
            bool(res.terminated),
            bool(res.truncated),
            info,
        )

    def aggregates(self) -> dict[str, float]:
        return self.env.aggregates()
