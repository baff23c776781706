"""rbc_shared_ppo: the AI-Economist RBC economy (100 consumers, 10 firms, 1 government) with one
shared-parameter PPO module per agent type and the original's curriculum.

Stages (training iterations, each 16 economies x 10 quarters): firms' price/wage box opens while
consumers learn (100), firms and consumers learn under zero taxes (80), taxes are annealed in by a
rule government whose rate cap rises from 0 to 1 (80), then the government learns too (to 800).
Consumers' disutility of work is annealed in at every reset (1 - exp(-iteration / 40)).
RLlib's PPO (batched population path, each module acting once per quarter on every replica)
stands in for the original's per-type PPO on a GPU (PyCUDA, 128 replicas per update); see
``econ_envs.rllib.rbc``.
"""

from econ_envs.rllib.rbc import rbc_shared_ppo

# a tiny economy and one iteration of each of the four stages, as CI runs it
SMOKE = {"n_consumers": 6, "n_firms": 2, "replicas": 2, "firm_anneal_iters": 1, "fixed_tax_iters": 1,
         "tax_anneal_iters": 1, "theta_tau_iters": 1.0, "minibatch_size": 64, "hidden": (16, 16),
         "stop_iters": 4}  # fmt: skip


def build(**overrides):
    return rbc_shared_ppo(**overrides)
