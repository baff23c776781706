"""taxai_planner: the government learns against rule households (buffer-stock by default).

Uses the single-agent Gymnasium view econ_envs/TaxAI-Planner-v0, where the households'
rule acts on the whole population inside the environment. PPO by default; --set algo=sac
for SAC, the off-policy relative of DSMFG's DDPG leader.
"""

from econ_envs.rllib.experiments import taxai_planner_experiment

# one small iteration, as CI runs it
SMOKE = {"n_households": 16, "stop_iters": 1, "rollout_length": 20}


def build(**overrides):
    kwargs = {"n_households": 100, "household_policy": "buffer_stock", "stop_iters": 100}
    kwargs.update(overrides)
    return taxai_planner_experiment(**kwargs)
