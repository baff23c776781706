"""Shared machinery: registry, parameter checks, the PettingZoo facade base, statistics kernels."""

from econ_envs.core.env import BatchStep, EconomyEnv, Role
from econ_envs.core.registry import EnvSpec, list_envs, make, register, spec

__all__ = ["BatchStep", "EconomyEnv", "EnvSpec", "Role", "list_envs", "make", "register", "spec"]
