"""meanfield_ppo: IPPO on a mean-field game - one shared-parameter PPO module for the whole sampled population.

MFAX's IPPO (``mfax/algos/rl/algos/ippo.py``) on the sampled env ``meanfield/<game>-v0``: every
agent observes its own state and the shared observation and acts with one categorical policy
(MFAX's network, separate actor and critic). RLlib's **PPO** is the algorithm, on the batched
population path (1,000 agents as rows of one array; ``--set batched=false`` for RLlib's
per-agent path with 64 agents). Choose the game with ``--set game=beach_bar`` (lq, beach_bar,
macro, crowd) and any game parameter (``--set common_noise=true``). ``econ-envs evaluate``
scores the learned policy's exact exploitability against uniform, FP, OMD and SPG.
"""

from econ_envs.rllib.meanfield import meanfield_ppo_experiment

SMOKE = {"game": "crowd", "n_agents": 32, "episodes_per_iteration": 1, "minibatch_size": 64, "stop_iters": 1}


def build(**overrides):
    kwargs = {"game": "lq", "stop_iters": 60}
    kwargs.update(overrides)
    return meanfield_ppo_experiment(**kwargs)
