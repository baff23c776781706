"""taxai_real_households: the seed's "real households + learning government" (--house_alg real).

Households are behaviour-cloned from recorded rollouts of the buffer-stock rule (DSMFG's
"real" households were cloned from SCF data with an unpublished script) and then kept
frozen; the government learns against them with PPO. Set freeze_households=False to
fine-tune the cloned households too (the seed's --bc warm start).
"""

from econ_envs.rllib.experiments import TAXAI_SMOKE, taxai_experiment

# one small iteration, as CI runs it
SMOKE = dict(TAXAI_SMOKE)


def build(**overrides):
    kwargs = {"n_households": 100, "households": "meanfield", "bc_warm_start": True, "freeze_households": True,
              "stackelberg": False, "stop_iters": 100}  # fmt: skip
    kwargs.update(overrides)
    return taxai_experiment(**kwargs)
