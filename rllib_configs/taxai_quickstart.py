"""taxai_quickstart: the README's main job - a few minutes of taxai_dsmfg training on a laptop.

100 households on the batched path, mean-field followers under a Stackelberg leader
(PPO), 12 iterations of 100 years each. Run with ``econ-envs train taxai_quickstart
--evaluate 3`` to also compare the trained government with the baselines.
"""

from econ_envs.rllib.experiments import taxai_experiment

SMOKE = {
    "bc_steps": 12,
    "bc_episodes": 1,
    "n_households": 16,
    "rollout_length": 8,
    "minibatch_size": 64,
    "stop_iters": 1,
}


def build(**overrides):
    kwargs = {"n_households": 100, "households": "meanfield", "stackelberg": True, "follower_iters": 3,
              "leader_iters": 1, "rollout_length": 100, "minibatch_size": 2048, "stop_iters": 12}  # fmt: skip
    kwargs.update(overrides)
    return taxai_experiment(**kwargs)
