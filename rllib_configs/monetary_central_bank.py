"""monetary_central_bank: the central bank learns monetary policy; banks, households and firms follow rules.

PPO on monetary-v0 with the heuristic banks, buffer-stock households and markup firms as frozen
rule modules, on the batched population path (about twice as fast here as the alternative,
--set view=gym: PPO on the single-agent Gymnasium view econ_envs/Monetary-CentralBank-v0 with the
rules inside the environment). The reward is minus the environment's loss
(pi12 - pi*)^2 + 0.5 gap^2 + 0.1 (di)^2 in annual points - no Taylor rate anywhere - so any
Taylor-like reaction function has to emerge; `econ-envs evaluate CHECKPOINT` compares it with
Taylor 1993, balanced, NPP, inertial and fixed-rate banks on the same seeds (loss table, impulse
responses, fitted reaction function). Monthly periods: discount 0.99, 120-month episodes, 8
episodes per iteration. The seed trains its bank with its own PPO inside the multi-agent loop,
rewarded for imitating a hard-coded Taylor rate; RLlib's PPO with the loss-based reward stands in.
"""

from econ_envs.rllib.monetary import monetary_central_bank

# one small iteration, as CI runs it
SMOKE = {"n_households": 12, "n_firms": 3, "n_banks": 2, "episode_length": 12, "episodes_per_iter": 2,
         "num_envs": 1, "minibatch_size": 12, "stop_iters": 1}  # fmt: skip


def build(**overrides):
    kwargs = {"view": "multi", "n_households": 100, "episodes_per_iter": 8, "num_envs": 4, "stop_iters": 300,
              "ppo": {"entropy_coeff": 0.003}}  # fmt: skip
    kwargs.update(overrides)
    return monetary_central_bank(**kwargs)
