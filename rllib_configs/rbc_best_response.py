"""rbc_best_response: the AI-Economist RBC best-response check of one agent type, from a trained
``rbc_shared_ppo`` checkpoint (``--set checkpoint=PATH --set role=consumer|firm|government``).

A separate algorithm: every module keeps the checkpoint's weights and is frozen; a copy of the
type's shared module (``<module>__br``) plays for all agents of the type (the original's meta-game
deviation) and trains. ``result["rbc_best_response"]`` reports the type's mean episode reward
before and after, the gain, epsilon = gain / the type's reward improvement during training (the
original's Table 3 definition) and the gain relative to the reward before. RLlib's PPO stands in
for the original's plain policy gradient (``train_bestresponse.py``). ``checkpoint=None`` starts
from a freshly initialised ``rbc_shared_ppo`` profile (smoke tests).
"""

from econ_envs.rllib.rbc import rbc_best_response

# no checkpoint: a fresh tiny economy; one best-response iteration of the firms
SMOKE = {"checkpoint": None, "role": "firm", "iters": 1, "eval_replicas": 2, "n_consumers": 6, "n_firms": 2,
         "replicas": 2, "minibatch_size": 64, "hidden": (16, 16)}  # fmt: skip


def build(**overrides):
    return rbc_best_response(**overrides)
