"""meanfield_momd: deep Munchausen online mirror descent (M-OMD) on a mean-field game.

MFAX's ``m_omd.py`` / OpenSpiel's D-MOMD: a Q-network regressed on the Munchausen target
(reward + alpha tau ln pi_prev(a|s) + the soft value of the next state under pi_prev), the
policy being pi = softmax(Q / tau), the softmax of the accumulated Q. RLlib has no such
algorithm; a **DQN-style custom Learner** (``econ_envs.rllib.munchausen.MunchausenLearner``)
replaces PPO's loss inside the batched population PPO algorithm, whose sampling (256
agents playing pi_k), minibatching, Adam optimiser and checkpoints it reuses; one iteration
is one mirror-descent step. ``--set tau=... --set alpha=...`` (defaults: tau = 1 / the exact
OMD's rate for the game, alpha 0.99); game and game parameters as in ``meanfield_ppo``.
"""

from econ_envs.rllib.meanfield import meanfield_momd_experiment

SMOKE = {"game": "crowd", "n_agents": 32, "episodes_per_iteration": 1, "minibatch_size": 64, "stop_iters": 1}


def build(**overrides):
    kwargs = {"game": "lq", "stop_iters": 60}
    kwargs.update(overrides)
    return meanfield_momd_experiment(**kwargs)
