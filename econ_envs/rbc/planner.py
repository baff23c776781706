"""Single-agent Gymnasium view of the RBC economy: the government's problem.

``gymnasium.make("econ_envs/RBC-Government-v0", consumer_policy="budget_share", firm_policy="cost_plus")``

Consumers and firms follow fixed rules: a rule name from :data:`CONSUMER_RULES`
/ :data:`FIRM_RULES`, or any callable mapping their raw observations
``(N, 4F+5)`` / ``(F, 5F+6)`` to action indices ``(N, F+2)`` / ``(F,)`` (for
example trained networks). Observation, action (``Discrete``: one index into
the income x corporate tax grid) and reward (social welfare of the quarter) are
the government's; the episode is truncated after ``episode_length`` quarters.
``info`` carries the quarter's aggregates.

The observation space keeps the role's finite bounds and bounds the components
that have none (prices and wages, in the model's currency unit) at 1e6
(:mod:`econ_envs.core.views`); a value beyond is clipped and counted in
``info["clipped_observation"]``. Registered with ``max_episode_steps=10`` (the
default ``episode_length``); for longer episodes pass ``max_episode_steps`` to
``gymnasium.make`` as well.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np

from econ_envs.core.views import clip_observation, finite_box
from econ_envs.rbc.env import RBCEnv
from econ_envs.rbc.params import RBCParams
from econ_envs.rbc.policies import BudgetShare, CostPlus, FixedPriceWage

CONSUMER_RULES: dict[str, Callable[..., Any]] = {"budget_share": BudgetShare}
FIRM_RULES: dict[str, Callable[..., Any]] = {"cost_plus": CostPlus, "fixed_price_wage": FixedPriceWage}


def _rule(policy: Any, table: dict[str, Callable[..., Any]], params: RBCParams, what: str, default: str):
    if policy is None:
        policy = default
    if isinstance(policy, str):
        if policy not in table:
            raise ValueError(f"unknown {what} rule {policy!r}; choose from {sorted(table)} or pass a callable")
        return table[policy](params)
    if not callable(policy):
        raise TypeError(f"{what}_policy must be a rule name or a callable, got {type(policy).__name__}")
    return policy


class RBCGovernmentEnv(gym.Env):
    """The government learns its taxes; consumers and firms follow fixed rules."""

    metadata = {"render_modes": []}

    def __init__(
        self,
        consumer_policy: str | Callable[[np.ndarray], np.ndarray] | None = None,
        firm_policy: str | Callable[[np.ndarray], np.ndarray] | None = None,
        params: RBCParams | None = None,
        **kwargs: Any,
    ):
        self.env = RBCEnv(params=params, **kwargs)
        self.params = self.env.params
        self.consumer_policy = _rule(consumer_policy, CONSUMER_RULES, self.params, "consumer", "budget_share")
        self.firm_policy = _rule(firm_policy, FIRM_RULES, self.params, "firm", "cost_plus")
        self.observation_space = finite_box(self.env.observation_space("government"))
        self.action_space = self.env.action_space("government")

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        obs, _ = self.env.reset_batch(seed=seed, options=options)
        info: dict[str, Any] = {}
        return clip_observation(obs["government"][0], self.observation_space, info), info

    def step(self, action):
        if self.env.episode_over:
            raise ValueError("the episode is over (or reset() was never called); call reset() first")
        government = self.env.single_action("government", action)  # before the other rules act
        raw = self.env.raw_observations()
        res = self.env.step_batch(
            {
                "consumer": self.consumer_policy(raw["consumer"]),
                "firm": self.firm_policy(raw["firm"]),
                "government": government,
            }
        )
        info: dict[str, Any] = {"aggregates": self.env.aggregates()}
        return (
            clip_observation(res.observations["government"][0], self.observation_space, info),
            float(res.rewards["government"][0]),
            bool(res.terminated),
            bool(res.truncated),
            info,
        )

    def aggregates(self) -> dict[str, float]:
        return self.env.aggregates()
