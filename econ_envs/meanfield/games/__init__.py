"""The games: one model definition each (numba step, noise and reward functions plus a :class:`MeanFieldGame`)."""

from __future__ import annotations

from typing import Any

from econ_envs.meanfield.games.base import FusedGame, MeanFieldGame, Paths
from econ_envs.meanfield.games.beach_bar import BeachBarGame
from econ_envs.meanfield.games.crowd import CrowdGame
from econ_envs.meanfield.games.lq import LQGame
from econ_envs.meanfield.games.macro import MacroGame

GAMES: dict[str, type[MeanFieldGame]] = {
    "lq": LQGame,
    "beach_bar": BeachBarGame,
    "macro": MacroGame,
    "crowd": CrowdGame,
}

_ALIASES = {
    "linear_quadratic": "lq",
    "beach_bar_1d": "beach_bar",
    "endogenous": "macro",
    "crowd_modelling": "crowd",
    "meanfield/lq-v0": "lq",
    "meanfield/beach_bar-v0": "beach_bar",
    "meanfield/macro-v0": "macro",
    "meanfield/crowd-v0": "crowd",
    "econ_envs/MeanField-LQ-v0": "lq",
    "econ_envs/MeanField-BeachBar-v0": "beach_bar",
    "econ_envs/MeanField-Macro-v0": "macro",
    "econ_envs/MeanField-Crowd-v0": "crowd",
}


def game_class(name: str) -> type[MeanFieldGame]:
    """The game class of a name (``lq``, ``beach_bar``, ``macro``, ``crowd``) or of one of its env ids."""
    if not isinstance(name, str):
        raise TypeError(f"game must be a name or a MeanFieldGame, got {type(name).__name__}")
    key = _ALIASES.get(name, name)
    if key not in GAMES:
        raise ValueError(f"unknown mean-field game {name!r}; choose from {sorted(GAMES)}")
    return GAMES[key]


def make_game(name: str, params: Any = None, **overrides: Any) -> MeanFieldGame:
    """Build a game by name with parameter overrides: ``make_game("lq", common_noise=True)``."""
    return game_class(name)(params, **overrides)


__all__ = [
    "GAMES",
    "BeachBarGame",
    "CrowdGame",
    "LQGame",
    "MacroGame",
    "FusedGame",
    "MeanFieldGame",
    "Paths",
    "game_class",
    "make_game",
]
