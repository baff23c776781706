"""taxai_no_meanfield: DSMFG ablation "w/o mean field" (their maddpg + maddpg).

Stackelberg alternation is kept, but households see no population summary: one shared
MLP on their own state and the government's schedule. PPO stands in for MADDPG (whose
centralised critic over all N households' observations and actions does not scale to
the populations here).
"""

from econ_envs.rllib.experiments import TAXAI_SMOKE, taxai_experiment

# one small iteration, as CI runs it
SMOKE = dict(TAXAI_SMOKE)


def build(**overrides):
    kwargs = {"n_households": 100, "households": "mlp", "household_inputs": ("own", "policy"),
              "stackelberg": True, "stop_iters": 200}  # fmt: skip
    kwargs.update(overrides)
    return taxai_experiment(**kwargs)
