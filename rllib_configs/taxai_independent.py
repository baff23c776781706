"""taxai_independent: DSMFG ablation "w/o mean field & Stackelberg" (their ddpg + ddpg).

Independent learners: government and households train simultaneously; households see
only their own state (one shared MLP). PPO stands in for independent DDPG.
"""

from econ_envs.rllib.experiments import TAXAI_SMOKE, taxai_experiment

# one small iteration, as CI runs it
SMOKE = dict(TAXAI_SMOKE)


def build(**overrides):
    kwargs = {"n_households": 100, "households": "mlp", "household_inputs": ("own",), "stackelberg": False,
              "stop_iters": 200}  # fmt: skip
    kwargs.update(overrides)
    return taxai_experiment(**kwargs)
