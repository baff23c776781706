"""taxai_no_stackelberg: DSMFG ablation "w/o Stackelberg" (their mfrl + ddpg).

Leader and followers learn simultaneously every iteration, and the mean-field households
do not condition on the government's schedule (own state + population summary only).
PPO stands in for DDPG/MF-DDPG.
"""

from econ_envs.rllib.experiments import TAXAI_SMOKE, taxai_experiment

# one small iteration, as CI runs it
SMOKE = dict(TAXAI_SMOKE)


def build(**overrides):
    kwargs = {"n_households": 100, "households": "mlp", "household_inputs": ("own", "summary"),
              "stackelberg": False, "stop_iters": 200}  # fmt: skip
    kwargs.update(overrides)
    return taxai_experiment(**kwargs)
