"""meanfield_recurrent_ppo: RIPPO on a mean-field game - a shared PPO module with a GRU over the shared observations.

MFAX's RIPPO (``rippo.py``): as ``meanfield_ppo`` but actor and critic each carry a GRU(128)
over the common observation history; the individual state enters after the GRU, so the
policy pi(a | s_t, h_t) remains a mean-field policy whose exact exploitability is defined.
RLlib's **PPO** with its recurrent machinery (state-in columns, whole episodes as sequences)
is the algorithm, on the per-agent path (64 agents by default). Game and game parameters as
in ``meanfield_ppo``; the default game is LQ *with* common noise (where memory matters:
the drift's sign shows only in the history of m_t), other games keep their own defaults.
"""

from econ_envs.rllib.meanfield import meanfield_recurrent_ppo_experiment

SMOKE = {"game": "crowd", "n_agents": 4, "episodes_per_iteration": 1, "minibatch_size": 32, "stop_iters": 1}


def build(**overrides):
    kwargs = {"game": "lq", "stop_iters": 60}
    kwargs.update(overrides)
    if kwargs["game"] in ("lq", "meanfield/lq-v0"):
        kwargs.setdefault("common_noise", True)
    return meanfield_recurrent_ppo_experiment(**kwargs)
