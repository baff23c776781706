"""Single-agent Gymnasium view of the monetary economy: the central bank's problem.

``gymnasium.make("econ_envs/Monetary-CentralBank-v0", n_households=100)``

The banks, households and firms follow their heuristic rules
(:mod:`econ_envs.monetary.policies`) or any callables given as ``bank_policy``,
``household_policy`` and ``firm_policy``, each mapping the role's observation
rows ``(n, obs_dim)`` to action indices ``(n,)`` (for example trained networks
driving a whole role at once). The observation, action (``Discrete(5)``: -50,
-25, 0, +25, +50 bp) and reward (minus the loss, no Taylor target inside) are
the central bank's; the episode is truncated after ``episode_length`` months
and terminated only on an economic collapse. ``info`` carries the month's
aggregates and the termination reason if any.

``reset(seed=s)`` seeds the economy and resets the rule-based agents'
generators from the same seed, so a seeded episode is reproducible; an
unseeded ``reset()`` continues both the economy's and the rules' random
streams, so successive training episodes differ.
``reset(options={"shocks": {"policy_rate": 1.0}})`` schedules shocks (see
:meth:`econ_envs.monetary.economy.MonetaryEconomy.apply_shock`).

The observation space has finite bounds (:mod:`econ_envs.core.views`): the policy
rate (now and last month) in its corridor [floor, ``max_policy_rate``] %/yr,
unemployment rates in [0, 100] %, ``time_fraction`` and ``at_lower_bound`` in
[0, 1], and every component without a natural bound (inflation, gaps, spreads,
credit growth, ratios, in their units) within +-1e6; a value beyond is clipped and
counted in ``info["clipped_observation"]``. Registered with
``max_episode_steps=120`` (the default ``episode_length``); for longer episodes pass
``max_episode_steps`` to ``gymnasium.make`` as well.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np

from econ_envs.core.views import clip_observation, finite_box
from econ_envs.monetary.env import MonetaryEnv
from econ_envs.monetary.params import MonetaryParams
from econ_envs.monetary.policies import make_rule, reset_rules

RolePolicy = str | Callable[[np.ndarray], Any] | None


class CentralBankEnv(gym.Env):
    """The central bank learns; banks, households and firms follow fixed policies."""

    metadata = {"render_modes": []}

    def __init__(
        self,
        bank_policy: RolePolicy = None,
        household_policy: RolePolicy = None,
        firm_policy: RolePolicy = None,
        params: MonetaryParams | None = None,
        **kwargs: Any,
    ):
        self.env = MonetaryEnv(params=params, **kwargs)
        self.params = self.env.params
        self.bank_policy = make_rule("bank", bank_policy, self.params)
        self.household_policy = make_rule("household", household_policy, self.params)
        self.firm_policy = make_rule("firm", firm_policy, self.params)
        p = self.params
        corridor = (p.policy_floor, float(p.max_policy_rate))
        natural = {"policy_rate": corridor, "policy_rate_prev": corridor, "unemployment": (0.0, 100.0),
                   "natural_unemployment": (0.0, 100.0), "time_fraction": (0.0, 1.0), "at_lower_bound": (0.0, 1.0)}
        self.observation_space = finite_box(
            self.env.observation_space("central_bank"), self.env.obs_names("central_bank"), natural
        )
        self.action_space = self.env.action_space("central_bank")

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        obs, _ = self.env.reset_batch(seed=seed, options=options)
        if seed is not None:  # unseeded resets (RLlib after the first episode) continue the rules' draws
            reset_rules(seed, self.bank_policy, self.household_policy, self.firm_policy)
        info: dict[str, Any] = {}
        return clip_observation(obs["central_bank"][0], self.observation_space, info), info

    def _role_actions(self, obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out = {}
        for role, policy in (("bank", self.bank_policy), ("household", self.household_policy),
                             ("firm", self.firm_policy)):  # fmt: skip
            out[role] = np.asarray(policy(obs[role]))
        return out

    def step(self, action):
        if self.env.episode_over:
            raise ValueError("the episode is over (or reset() was never called); call reset() first")
        # validate before the other roles' rules draw from their generators, so a rejected action changes nothing
        checked = self.env.single_action("central_bank", action)
        acts = self._role_actions(self.env.batch_observations())
        acts["central_bank"] = checked
        res = self.env.step_batch(acts)
        info: dict[str, Any] = {"aggregates": self.env.aggregates()}
        if res.info.get("termination_reason"):
            info["termination_reason"] = res.info["termination_reason"]
        return (
            clip_observation(res.observations["central_bank"][0], self.observation_space, info),
            float(res.rewards["central_bank"][0]),
            bool(res.terminated),
            bool(res.truncated),
            info,
        )

    def apply_shock(self, kind: str, size: float) -> None:
        """Schedule a shock for the next month (see :meth:`MonetaryEnv.apply_shock`)."""
        self.env.apply_shock(kind, size)

    def aggregates(self) -> dict[str, float]:
        return self.env.aggregates()
