"""OpenSpiel's evaluation convention for the crowd-modelling game, for cross-checking against its tests.

OpenSpiel's tabular ``PolicyValue``/``BestResponse`` recurse depth-first over the
game tree and cache values by state string. The crowd-modelling state string is
``(x, t)`` (plus a node-type suffix), which omits the last move, while the
reward at a decision node charges that last move (-|move_{t-1}|/size). So the
cached value of a node keeps the move cost of whichever path reached it first
in the depth-first order (actions and chance outcomes in the order -1, 0, +1,
initial positions 0..size-1), and every other path reuses it. Its published
numbers (uniform policy: value 27.215850929940448, best response 30.029387484327486,
NashConv 2.8135365543870385) are therefore not the exact values of the game;
the exact ones (:func:`~econ_envs.meanfield.exploitability.exploitability`) are
27.425850929940438, 30.21253334623878 and 2.7866824162983406.

:func:`openspiel_crowd_values` evaluates a policy on *this package's* crowd model
(its move and noise destinations, its position/congestion reward and its exact
mean-field flow) in OpenSpiel's order and with OpenSpiel's cache, which
reproduces OpenSpiel's numbers to rounding: an external check of the dynamics,
the rewards and the flow, with the cache effect isolated here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from econ_envs.meanfield.games.crowd import MOVES, CrowdGame, crowd_state_reward
from econ_envs.meanfield.population import pushforward_rollout


def openspiel_crowd_values(game: CrowdGame, policy: Any) -> dict[str, float]:
    """(policy value, best-response value, NashConv) of a table policy in OpenSpiel's convention.

    ``policy`` is a table ``[S, A]`` or ``[T, S, A]`` (actions in the order of
    ``game.action_values``: -1, 0, +1). The mean field is this package's exact flow.
    """
    if not isinstance(game, CrowdGame):
        raise TypeError(f"game must be a CrowdGame, got {type(game).__name__}")
    paths = game.paths(exact=True)
    ro = pushforward_rollout(game, policy, paths, rewards=False)
    size, H = game.n_states, game.horizon
    mu = ro.mu[:, 0]  # [T+1, S]: distribution of x_t
    tables = [ro.pi[t][0][ro.pi[t][1][0]] for t in range(H)]
    dest = game._move_idx  # (x + move) mod size, the same rule for moves and noise
    noise_p = game._noise_w
    eps = float(game.params.log_epsilon)

    def run(best: bool) -> float:
        cache: dict[tuple[int, int, str], float] = {}

        def decision(x: int, t: int, last: int) -> float:
            key = (x, t, "")
            if key in cache:
                return cache[key]
            r = crowd_state_reward(x, mu[t, x], size, eps) - abs(MOVES[last]) / size
            kids = [chance(int(dest[x, a]), t, a) for a in range(3)]
            v = r + (max(kids) if best else float(np.dot(tables[t][x], kids)))
            cache[key] = v
            return v

        def chance(x: int, t: int, last: int) -> float:
            key = (x, t, "_a_mu")
            if key in cache:
                return cache[key]
            v = 0.0
            for k in range(3):
                v += noise_p[k] * mean_field(int(dest[x, k]), t + 1, last)
            cache[key] = v
            return v

        def mean_field(x: int, t: int, last: int) -> float:
            key = (x, t, "_a")
            if key in cache:
                return cache[key]
            v = 0.0 if t >= H else decision(x, t, last)
            cache[key] = v
            return v

        neutral = 1  # OpenSpiel starts with the neutral action as the "last" one
        return float(sum(mu[0, x] * decision(x, 0, neutral) for x in range(size)))

    pv, bv = run(False), run(True)
    return {"policy_value": pv, "best_response_value": bv, "nash_conv": bv - pv}
