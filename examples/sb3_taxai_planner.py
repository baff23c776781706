"""Stable-Baselines3 PPO on the tax planner's single-agent view (``econ_envs/TaxAI-Planner-v0``).

The government learns the five tax-and-spending parameters; the households follow the
``buffer_stock`` rule. Install the extra first (``pip install -e '.[examples]'``), then::

    python examples/sb3_taxai_planner.py --timesteps 20000 --households 100

It trains, then runs one deterministic episode and prints its length (years), its
return (the government's reward summed over the years: social welfare, utility units)
and why it ended. The test ``tests/examples/test_examples.py`` runs it for a few hundred steps.
"""

from __future__ import annotations

import argparse
from typing import Any

import gymnasium
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env

import econ_envs  # noqa: F401  (registers the econ_envs/... ids with Gymnasium)

ENV_ID = "econ_envs/TaxAI-Planner-v0"


def train(timesteps: int = 20_000, households: int = 100, seed: int = 0, n_envs: int = 2, verbose: int = 0) -> PPO:
    """PPO with SB3's defaults on ``n_envs`` copies of the planner view (smaller batches for short runs)."""
    # a callable, not the id: given an id, SB3 first asks for render_mode="rgb_array" (the economies do not render)
    def make_env() -> gymnasium.Env:
        return gymnasium.make(ENV_ID, household_policy="buffer_stock", n_households=households)

    venv = make_vec_env(make_env, n_envs=n_envs, seed=seed)
    n_steps = max(16, min(2048, timesteps // n_envs))
    model = PPO("MlpPolicy", venv, n_steps=n_steps, batch_size=min(64, n_steps * n_envs), seed=seed, verbose=verbose)
    return model.learn(total_timesteps=timesteps)


def evaluate(model: PPO, households: int = 100, seed: int = 1) -> dict[str, Any]:
    """One deterministic episode of the trained planner: length (years), return, end reason."""
    env = gymnasium.make(ENV_ID, household_policy="buffer_stock", n_households=households)
    obs, _ = env.reset(seed=seed)
    total, years, info = 0.0, 0, {}
    while True:
        action, _ = model.predict(obs, deterministic=True)
        obs, reward, terminated, truncated, info = env.step(action)
        total += reward
        years += 1
        if terminated or truncated:
            break
    reason = info.get("termination_reason") or ("time limit" if truncated else "terminated")
    return {"years": years, "return": total, "end": reason, "last_action": action.tolist()}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timesteps", type=int, default=20_000, help="PPO environment steps (years), default 20000")
    ap.add_argument("--households", type=int, default=100, help="households per economy, default 100")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    model = train(args.timesteps, args.households, args.seed, verbose=1)
    result = evaluate(model, args.households, args.seed + 1)
    print(f"evaluation episode: {result['years']} years, return {result['return']:.4g} (social welfare, utility "
          f"units summed over years), ended by: {result['end']}")  # fmt: skip
    return result


if __name__ == "__main__":
    main()
