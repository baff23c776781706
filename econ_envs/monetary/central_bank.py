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
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np

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
        self.observation_space = self.env.observation_space("central_bank")
        self.action_space = self.env.action_space("central_bank")

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        obs, _ = self.env.reset_batch(seed=seed, options=options)
        if seed is not None:  # unseeded resets (RLlib after the first episode) continue the rules' draws
            reset_rules(seed, self.bank_policy, self.household_policy, self.firm_policy)
        return obs["central_bank"][0], {}

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
            res.observations["central_bank"][0],
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
