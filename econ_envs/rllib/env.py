"""Registration of every economy with RLlib, and role-based policy mapping.

``register_economies()`` registers each PettingZoo id (``taxai-v0``, ...) with
``ray.tune.registry`` as a ``ParallelPettingZooEnv`` and each Gymnasium view
(``econ_envs/TaxAI-Planner-v0``, ...) as a plain Gymnasium env, so configs can
say ``.environment("taxai-v0", env_config={...})``.

Agent ids are ``role_index`` strings (``household_17``) or a bare role
(``government``); :class:`RoleMapping` maps them to module ids by role, which is
how all agents of a role share parameters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import gymnasium
from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv
from ray.tune.registry import register_env

import econ_envs

_ROLE_RE = re.compile(r"^(.*?)(?:_(\d+))?$")


def role_of(agent_id: str) -> str:
    """``household_17`` -> ``household``; ``government`` -> ``government``."""
    return _ROLE_RE.match(str(agent_id)).group(1)


class RoleMapping:
    """``policy_mapping_fn``: agent id -> module id by role (picklable, episode-independent).

    ``RoleMapping({"government": "planner", "household": "households"})``; roles not in the
    mapping map to themselves. ``agents`` overrides single agents
    (``{"household_0": "household_br"}``), e.g. one deviating household in a best-response check.
    """

    def __init__(self, mapping: Mapping[str, str] | None = None, agents: Mapping[str, str] | None = None):
        self.mapping = dict(mapping or {})
        self.agents = dict(agents or {})

    def __call__(self, agent_id: str, episode: Any = None, **kwargs: Any) -> str:
        if agent_id in self.agents:
            return self.agents[agent_id]
        role = role_of(agent_id)
        return self.mapping.get(role, role)

    def __repr__(self) -> str:
        return f"RoleMapping({self.mapping}, agents={self.agents})"


class EconParallelEnv(ParallelPettingZooEnv):
    """RLlib's PettingZoo wrapper, with ``__all__`` right when agents end differently.

    An economy may end its episode with some agents terminated and others truncated (see
    ``BatchStep.truncated_roles``). RLlib's wrapper sets ``__all__`` only when *every* agent
    has the same flag, so such an episode would never end. Here the episode is terminated
    when every agent is, and otherwise truncated once every agent is done; each agent keeps
    its own flag, so RLlib bootstraps the truncated agents' values and not the terminated ones'.
    """

    def step(self, action_dict):
        obss, rews, terminateds, truncateds, infos = self.par_env.step(action_dict)
        agents = list(terminateds)
        all_term = bool(agents) and all(terminateds.values())
        all_done = bool(agents) and all(terminateds[a] or truncateds.get(a, False) for a in agents)
        terminateds["__all__"] = all_term
        truncateds["__all__"] = all_done and not all_term
        return obss, rews, terminateds, truncateds, infos


def make_parallel_env(env_id: str, env_config: Mapping[str, Any] | None = None) -> ParallelPettingZooEnv:
    """The RLlib multi-agent env of ``env_id`` (an :class:`EconParallelEnv` around ``econ_envs.make``)."""
    return EconParallelEnv(econ_envs.make(env_id, **dict(env_config or {})))


class _ParallelCreator:
    def __init__(self, env_id: str):
        self.env_id = env_id

    def __call__(self, env_config: Mapping[str, Any]) -> ParallelPettingZooEnv:
        return make_parallel_env(self.env_id, env_config)


class _GymCreator:
    def __init__(self, env_id: str):
        self.env_id = env_id

    def __call__(self, env_config: Mapping[str, Any]) -> gymnasium.Env:
        return gymnasium.make(self.env_id, **dict(env_config or {}))


def register_economies() -> list[str]:
    """Register every econ_envs economy (and Gymnasium view) with RLlib; return the ids."""
    ids = []
    for env_id in econ_envs.list_envs():
        register_env(env_id, _ParallelCreator(env_id))
        ids.append(env_id)
    for env_id in sorted(k for k in gymnasium.registry if k.startswith("econ_envs/")):
        register_env(env_id, _GymCreator(env_id))
        ids.append(env_id)
    return ids


def find_economy(env: Any, env_index: int = 0) -> Any:
    """The econ_envs environment inside whatever wrappers RLlib put around it (or None)."""
    seen = 0
    obj = env
    while obj is not None and seen < 12:
        if hasattr(obj, "aggregates") and callable(obj.aggregates):
            return obj
        seen += 1
        if hasattr(obj, "envs") and isinstance(obj.envs, (list, tuple)) and obj.envs:
            obj = obj.envs[min(env_index, len(obj.envs) - 1)]
        elif hasattr(obj, "par_env"):
            obj = obj.par_env
        elif hasattr(obj, "env"):
            obj = obj.env
        elif hasattr(obj, "unwrapped") and obj.unwrapped is not obj:
            obj = obj.unwrapped
        else:
            return None
    return None
