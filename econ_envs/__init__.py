"""econ_envs: multi-agent economies for reinforcement learning research.

Every economy is a PettingZoo ``ParallelEnv`` with numba-jitted market clearing:

>>> import econ_envs
>>> econ_envs.list_envs()                      # ids and one-line descriptions
>>> env = econ_envs.make("taxai-v0", n_households=1000)
>>> obs, infos = env.reset(seed=0)

Single-agent views are registered with Gymnasium on import, e.g.
``gymnasium.make("econ_envs/TaxAI-Planner-v0")``; without importing first,
``gymnasium.make("econ_envs:econ_envs/TaxAI-Planner-v0")``. Each family's manual is its
package docstring (``help(econ_envs.taxai)``).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from econ_envs.core.memory import tune_allocator
from econ_envs.core.registry import EnvSpec, list_envs, make, register, spec

tune_allocator()  # per-step arrays of large populations are recycled, not page-faulted in (see core.memory)

try:
    __version__ = version("econ-envs")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+local"

# Families register themselves on import; none imports another.
from econ_envs import meanfield, monetary, rbc, taxai  # noqa: E402

_FAMILIES = (taxai, monetary, rbc, meanfield)


def register_gymnasium_envs() -> None:
    """Register every family's single-agent views with Gymnasium (idempotent).

    Runs on ``import econ_envs``. Gymnasium 1.x has no plugin entry points, so a fresh
    interpreter that has not imported ``econ_envs`` names the module in the id:
    ``gymnasium.make("econ_envs:econ_envs/TaxAI-Planner-v0")`` (or ``import econ_envs`` /
    ``gymnasium.register_envs(econ_envs)`` first).
    """
    import gymnasium

    for family in _FAMILIES:
        for env_id, kwargs in getattr(family, "GYM_ENVS", {}).items():
            if env_id not in gymnasium.registry:
                gymnasium.register(id=env_id, **kwargs)


register_gymnasium_envs()

__all__ = ["EnvSpec", "__version__", "list_envs", "make", "register", "register_gymnasium_envs", "spec"]
