"""PettingZoo facade of the RBC economy (``rbc-v0``): one replica of :class:`RBCVectorEnv`.

See the package docstring (``econ_envs.rbc``) for the agents table,
observations, actions, rewards and the equations of a step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from econ_envs.core.env import BatchStep, EconomyEnv, Role
from econ_envs.rbc.params import RBCParams
from econ_envs.rbc.vector import ROLES, RBCVectorEnv


class RBCEnv(EconomyEnv):
    """Consumers ``consumer_0..``, firms ``firm_0..`` and one ``government`` in a real-business-cycle economy.

    Args:
        params: an :class:`RBCParams`; or pass its fields as keywords
            (``n_consumers=1000, n_firms=100, open_economy=False``), optionally with
            ``preset="paper" | "template"``.

    ``reset(seed=..., options={"theta_scale": s})`` scales every consumer's disutility
    of work by ``s`` in [0, 1]. The batched core is ``env.core`` (an
    :class:`~econ_envs.rbc.vector.RBCVectorEnv` with one replica); for many replicas
    use ``econ_envs.rbc.make_vector(n_replicas, ...)``.
    """

    metadata = {"name": "rbc_v0", "render_modes": [], "is_parallelizable": True}
    env_id = "rbc-v0"

    def __init__(self, params: RBCParams | None = None, **kwargs: Any):
        self.core = RBCVectorEnv(params, n_replicas=1, **kwargs)
        self.params = self.core.params
        self.episode_length = self.params.episode_length
        self.time_unit = "quarter"
        core = self.core
        self._init_roles(
            [
                Role("consumer", core.n_consumers, core.single_observation_space("consumer"),
                     core.single_action_space("consumer")),
                Role("firm", core.n_firms, core.single_observation_space("firm"), core.single_action_space("firm")),
                Role("government", 1, core.single_observation_space("government"),
                     core.single_action_space("government"), indexed=False),
            ]
        )  # fmt: skip

    # ------------------------------------------------------------------ hooks
    def _reset_core(self, seed: int | None, options: Mapping[str, Any] | None):
        obs = self.core.reset(seed=seed, options=options)
        return {r: obs[r][0] for r in ROLES}, {}

    def _step_core(self, actions: dict[str, np.ndarray]) -> BatchStep:
        res = self.core.core_step({
            "consumer": np.ascontiguousarray(actions["consumer"], dtype=np.int64)[None],
            "firm": np.ascontiguousarray(actions["firm"], dtype=np.int64).reshape(1, -1),
            "government": np.ascontiguousarray(actions["government"], dtype=np.int64).reshape(1, 1),
        })  # fmt: skip
        return BatchStep(
            observations={r: res.observations[r][0] for r in ROLES},
            rewards={r: res.rewards[r][0] for r in ROLES},
            terminated=False,
            truncated=bool(res.truncated[0]),
        )

    def aggregates(self) -> dict[str, float]:
        return {k: float(v[0]) for k, v in self.core.aggregates().items()}

    # -------------------------------------------------------------- conveniences
    @property
    def rng(self) -> np.random.Generator:
        """The env's generator, seeded by ``reset(seed=...)`` (used by sampling baselines)."""
        return self.core.rng

    def observation_names(self, role: str) -> list[str]:
        return self.core.observation_names(role)

    def raw_observations(self) -> dict[str, np.ndarray]:
        """Observations in the original's raw layout by role (count, dim)."""
        return {r: v[0] for r, v in self.core.raw_observations().items()}


def parallel_env(**kwargs: Any) -> RBCEnv:
    """PettingZoo-style factory: ``econ_envs.rbc.parallel_env(n_consumers=100)``."""
    return RBCEnv(**kwargs)
