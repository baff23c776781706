"""taxai_dsmfg: DSMFG's method - a Stackelberg leader over mean-field followers.

Households share one mean-field module (own state, the government's schedule and the
population summary encoded separately); the government leads: followers and leader
train in alternate iterations, the followers with a third of the leader's learning rate
(DSMFG updates both every epoch and lets the leader's critic query the followers'
response; alternating best responses is the standard bi-level approximation available
with RLlib's Learners). PPO stands in for
DSMFG's bi-DDPG/bi-MFRL (see econ_envs.rllib.experiments). Task: GDP per household.
"""

from econ_envs.rllib.experiments import TAXAI_SMOKE, taxai_experiment

# one small iteration, as CI runs it
SMOKE = dict(TAXAI_SMOKE)


def build(**overrides):
    # households learn at a third of the leader's step (1e-4 vs 3e-4) and the two alternate every iteration:
    # the leader sees one sample per simulated year, so a 3:1 schedule left it a quarter of the iterations
    kwargs = {"n_households": 100, "households": "meanfield", "stackelberg": True, "follower_iters": 1,
              "leader_iters": 1, "household_lr": 1e-4, "stop_iters": 200}  # fmt: skip
    kwargs.update(overrides)
    return taxai_experiment(**kwargs)
