"""monetary_shared_ppo: the seed's setup - every agent type of monetary-v0 learns with shared parameters.

One PPO module per type (central bank, 5 banks, 100 households, 20 firms: 126 agents, Discrete
heads of 5/75/30/45 actions), all agents of a type sharing it, on the batched population path
(batched=False: RLlib's per-agent path). The seed (Economy_RL) trains the four types with its own
independent PPO (one actor-critic per type, all updated every epoch); RLlib's PPO with one module
per type and per-agent GAE stands in for it, updating all four every iteration. --set
stackelberg=True makes the central bank a Stackelberg leader instead (followers 3 iterations, the
bank 1, alternating). The central bank's reward is the environment's loss, with no Taylor target.
"""

from econ_envs.rllib.monetary import monetary_shared_ppo

# one small iteration, as CI runs it
SMOKE = {"n_households": 12, "n_firms": 3, "n_banks": 2, "episode_length": 12, "minibatch_size": 64, "stop_iters": 1}


def build(**overrides):
    kwargs = {"n_households": 100, "n_firms": 20, "n_banks": 5, "stackelberg": False, "num_envs": 2, "stop_iters": 60}
    kwargs.update(overrides)
    return monetary_shared_ppo(**kwargs)
