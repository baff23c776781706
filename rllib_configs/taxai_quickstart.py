"""taxai_quickstart: the README's main job - about a minute of taxai_dsmfg training on a laptop.

100 households on the batched path, mean-field followers under a Stackelberg leader
(PPO), task ``social_welfare``, 12 iterations of 100 years each. Run with ``econ-envs train taxai_quickstart
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


# keep the best of the scored checkpoints (deterministic play on held-out seeds), not the last one
SELECTION = {"every": 4, "seeds": [1001, 1002, 1003]}


def build(**overrides):
    # the task of the README's results table (docs/taxai/learned_n100_social_welfare); households cloned from the
    # optimal households on a short recording (100 years; cached after the first run), then alternating
    # follower/leader iterations with slower followers, as taxai_dsmfg
    kwargs = {"n_households": 100, "task": "social_welfare", "households": "meanfield", "stackelberg": True,
              "follower_iters": 1, "leader_iters": 1, "household_lr": 1e-4, "rollout_length": 100,
              "minibatch_size": 2048, "stop_iters": 12, "bc_steps": 100, "bc_episodes": 1}  # fmt: skip
    kwargs.update(overrides)
    return taxai_experiment(**kwargs)
