"""A PettingZoo ParallelEnv trained with another library: SuperSuit -> Stable-Baselines3 PPO.

``meanfield/beach_bar-v0`` has N identical agents (same observation and action
spaces), so SuperSuit turns the ParallelEnv into a vector env with one row per agent
and SB3's PPO learns one policy shared by all of them (parameter sharing). Install the
extra first (``pip install -e '.[examples]'``), then::

    python examples/supersuit_sb3_meanfield.py --timesteps 30000 --agents 50

It trains, then plays one episode with every agent following the shared policy and
prints the population-average return (the game's reward units, summed over the
periods) beside that of uniformly random actions.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
import supersuit as ss
from stable_baselines3 import PPO
from supersuit.vector.sb3_vector_wrapper import SB3VecEnvWrapper

import econ_envs

ENV_ID = "meanfield/beach_bar-v0"


class SeededSB3VecEnv(SB3VecEnvWrapper):
    """SuperSuit's SB3 wrapper plus ``seed()``, which SB3 calls when a model gets a ``seed``.

    SuperSuit 3.11's wrapper has none (SB3 then fails with ``'ConcatVecEnv' object has no
    attribute 'seed'``); as in SB3's own vector envs, the seed applies to the next reset.
    """

    _next_seed: int | None = None

    def seed(self, seed: int | None = None) -> list[int | None]:
        self._next_seed = seed
        return [seed]

    def reset(self, seed: int | None = None, options: dict | None = None):
        seed, self._next_seed = (seed if seed is not None else self._next_seed), None
        observations, self.reset_infos = self.venv.reset(seed=seed, options=options)
        return observations


def make_vec_env(agents: int, n_copies: int = 1) -> SeededSB3VecEnv:
    """The ParallelEnv as an SB3 vector env with ``agents * n_copies`` rows (SuperSuit)."""
    env = econ_envs.make(ENV_ID, n_agents=agents)
    venv = ss.pettingzoo_env_to_vec_env_v1(env)
    return SeededSB3VecEnv(ss.concat_vec_envs_v1(venv, n_copies, num_cpus=0, base_class="gymnasium"))


def train(timesteps: int = 30_000, agents: int = 50, seed: int = 0, verbose: int = 0) -> PPO:
    venv = make_vec_env(agents)
    n_steps = max(8, min(256, timesteps // agents)) // 4 * 4  # four equal minibatches per epoch
    model = PPO("MlpPolicy", venv, n_steps=n_steps, batch_size=n_steps * agents // 4, seed=seed, verbose=verbose)
    model.learn(total_timesteps=timesteps)
    venv.close()
    return model


def episode_return(act, agents: int, seed: int) -> float:
    """Population-average return of one episode when ``act(obs [N, d]) -> actions [N]`` drives every agent."""
    env = econ_envs.make(ENV_ID, n_agents=agents)
    obs, _ = env.reset_batch(seed=seed)
    total = np.zeros(agents)
    while True:
        step = env.step_batch({"agent": act(obs["agent"])})
        total += step.rewards["agent"]
        obs = step.observations
        if step.terminated or step.truncated:
            return float(total.mean())


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timesteps", type=int, default=30_000, help="agent-steps of PPO, default 30000")
    ap.add_argument("--agents", type=int, default=50, help="agents in the sampled population, default 50")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    model = train(args.timesteps, args.agents, args.seed, verbose=1)
    rng = np.random.default_rng(args.seed)
    n_actions = econ_envs.make(ENV_ID, n_agents=1).action_space("agent_0").n
    learned = episode_return(lambda o: model.predict(o, deterministic=True)[0].astype(np.int64), args.agents, 123)
    random = episode_return(lambda o: rng.integers(0, n_actions, len(o)), args.agents, 123)
    print(f"population-average return per episode (reward units summed over periods): PPO {learned:.4g}, "
          f"uniform random {random:.4g}")  # fmt: skip
    return {"ppo": learned, "random": random}


if __name__ == "__main__":
    main()
