"""Per-module discount factors for PPO: each module's GAE uses its own gamma.

RLlib's PPO computes advantages in one learner connector
(``GeneralAdvantageEstimation``) with the algorithm's single ``gamma``. A module
gets its own discount through RLlib's per-module config overrides,
``config.rl_module(algorithm_config_overrides_per_module={mid: {"gamma": g}})``,
read back with :func:`module_gamma`:

* the batched population runner (:mod:`econ_envs.rllib.population`) computes GAE
  itself and reads each module's gamma that way;
* on the per-agent path, :class:`PerModuleGammaPPOLearner` replaces RLlib's GAE
  connector by :class:`PerModuleGAE`, which runs RLlib's own GAE once per distinct
  gamma on the modules that have it (same rows, same standardisation per module).

Used by the tax economy, whose households discount at ``TaxParams.discount`` (the
beta of the household dynamic programme) while the government keeps the
algorithm's gamma.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from ray.rllib.algorithms.ppo.torch.ppo_torch_learner import PPOTorchLearner
from ray.rllib.connectors.learner import GeneralAdvantageEstimation


def module_gamma(config: Any, module_id: str) -> float:
    """The discount of ``module_id``: its per-module override, else the algorithm's ``gamma``.

    Reads the overrides directly (``get_config_for_module`` copies the config, which fails on a
    frozen one for a module it has not cached yet).
    """
    return module_gammas(config).get(module_id, float(config.gamma))


def module_gammas(config: Any) -> dict[str, float]:
    """Module id -> gamma for the modules whose per-module overrides set one."""
    overrides = getattr(config, "algorithm_config_overrides_per_module", None) or {}
    return {mid: float(o["gamma"]) for mid, o in overrides.items() if isinstance(o, Mapping) and "gamma" in o}


class PerModuleGAE(GeneralAdvantageEstimation):
    """RLlib's GAE with a gamma per module (``module_gammas``; the others use ``gamma``)."""

    def __init__(self, input_observation_space=None, input_action_space=None, *, gamma, lambda_, module_gammas=None):
        super().__init__(input_observation_space, input_action_space, gamma=gamma, lambda_=lambda_)
        self.default_gamma = float(gamma)
        self.module_gammas = {str(k): float(v) for k, v in dict(module_gammas or {}).items()}

    def __call__(self, *, rl_module, episodes, batch, **kwargs):
        groups: dict[float, dict[str, Any]] = defaultdict(dict)
        for mid, cols in batch.items():  # the column dicts are shared: results land in ``batch``
            groups[self.module_gammas.get(mid, self.default_gamma)][mid] = cols
        try:
            for gamma, sub in groups.items():
                self.gamma = gamma
                super().__call__(rl_module=rl_module, episodes=episodes, batch=sub, **kwargs)
        finally:
            self.gamma = self.default_gamma
        return batch


class PerModuleGammaPPOLearner(PPOTorchLearner):
    """PPO's torch Learner whose GAE connector is :class:`PerModuleGAE` (see module docstring)."""

    def build(self) -> None:
        super().build()
        pipeline = self._learner_connector
        if pipeline is None or not self.config.add_default_connectors_to_learner_pipeline:
            return
        if not any(type(c) is GeneralAdvantageEstimation for c in pipeline.connectors):
            raise RuntimeError("PPO's learner pipeline has no GeneralAdvantageEstimation connector to replace")
        gae = PerModuleGAE(gamma=self.config.gamma, lambda_=self.config.lambda_,
                           module_gammas=module_gammas(self.config))  # fmt: skip
        pipeline.insert_after(GeneralAdvantageEstimation, gae)
        pipeline.remove(GeneralAdvantageEstimation)
