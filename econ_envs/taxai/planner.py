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
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np

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
        self.household_policy = make_household_policy(household_policy, self.params)
        self.observation_space = self.env.observation_space("government")
        self.action_space = self.env.action_space("government")

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        obs, info = self.env.reset_batch(seed=seed, options=options)
        return obs["government"][0], {}

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
            res.observations["government"][0],
            float(res.rewards["government"][0]),
            bool(res.terminated),
            bool(res.truncated),
            info,
        )

    def aggregates(self) -> dict[str, float]:
        return self.env.aggregates()
