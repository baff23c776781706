"""taxai_ai_economist: the AI Economist's two-phase curriculum (DSMFG's "aie" baseline).

Phase 1 (first 20 iterations): households learn under a fixed free-market government (a
frozen rule module). Phase 2: the government's learnable module takes over and everyone
trains. Households use one shared MLP on their whole observation; the AI Economist's LSTM
(which in DSMFG's port ran over the household list as if it were time) is replaced by an
MLP - pass households="recurrent" with batched=False for a GRU on the per-agent path.
PPO as in the original.
"""

from econ_envs.rllib.experiments import taxai_experiment

# one small iteration per phase, as CI runs it (per-agent path)
SMOKE = {"bc_steps": 12, "bc_episodes": 1,
         "n_households": 10, "batched": False, "rollout_length": 6, "minibatch_size": 32, "curriculum_iters": 1,
         "stop_iters": 2}  # fmt: skip


def build(**overrides):
    kwargs = {"n_households": 100, "households": "mlp", "stackelberg": False, "curriculum_iters": 20,
              "stop_iters": 200}  # fmt: skip
    kwargs.update(overrides)
    return taxai_experiment(**kwargs)
