"""Hyper-parameter sweeps of an experiment with Ray Tune: ``econ-envs sweep CONFIG``.

The search space is the experiment module's ``SEARCH_SPACE`` (a dict of PPO training
arguments to Tune domains) if it defines one, else :data:`DEFAULT_SEARCH_SPACE`.
Writes ``sweep_results.csv`` (every trial's sampled values and final return) and
``best.json`` into ``--out``; Tune's own folders (TensorBoard, checkpoints) sit beside them.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any


def default_search_space() -> dict[str, Any]:
    from ray import tune

    return {
        "lr": tune.loguniform(1e-4, 1e-3),
        "entropy_coeff": tune.choice([0.0, 1e-3, 1e-2]),
        "clip_param": tune.choice([0.1, 0.2, 0.3]),
    }


def sweep(
    config: str,
    overrides: dict[str, Any] | None = None,
    *,
    num_samples: int = 4,
    stop_iters: int | None = None,
    out: str | Path | None = None,
    address: str | None = None,
    metric: str = "env_runners/episode_return_mean",
    max_concurrent: int = 1,
) -> dict[str, Any]:
    """Run ``num_samples`` trials of ``config`` over its search space; return the best trial."""
    from ray import tune

    import rllib_configs
    from econ_envs.rllib.env import register_economies
    from econ_envs.rllib.train import init_ray

    if num_samples < 1:
        raise ValueError(f"--num-samples must be >= 1, got {num_samples}")
    name = Path(config).stem
    module = rllib_configs.load(config)
    algo_config, stop = module.build(**dict(overrides or {}))
    if stop_iters is not None:
        stop = {**stop, "training_iteration": stop_iters}
    space = getattr(module, "SEARCH_SPACE", None) or default_search_space()
    algo_config = algo_config.training(**space)
    out_dir = (Path(out) if out is not None else Path("runs") / "sweep" / name).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    init_ray(address)
    register_economies()
    tuner = tune.Tuner(
        algo_config.algo_class,
        param_space=algo_config,
        tune_config=tune.TuneConfig(
            num_samples=num_samples, metric=metric, mode="max", max_concurrent_trials=max_concurrent
        ),  # fmt: skip
        run_config=tune.RunConfig(name=f"{name}_sweep", storage_path=str(out_dir), stop=stop, verbose=1),
    )
    results = tuner.fit()
    rows = []
    for res in results:
        row = {k: res.config.get(k) for k in space}
        row[metric] = (res.metrics or {}).get("env_runners", {}).get("episode_return_mean") if res.metrics else None
        row["error"] = str(res.error) if res.error else ""
        rows.append(row)
    with open(out_dir / "sweep_results.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    best = results.get_best_result(metric=metric, mode="max", filter_nan_and_inf=True)
    summary = {"config": name, "num_samples": num_samples, "metric": metric,
               "best_config": {k: best.config.get(k) for k in space},
               "best_value": (best.metrics or {}).get("env_runners", {}).get("episode_return_mean"),
               "best_checkpoint": best.checkpoint.path if best.checkpoint else None}  # fmt: skip
    with open(out_dir / "best.json", "w") as f:
        json.dump(summary, f, indent=2, default=str)
    summary["out"] = str(out_dir)
    return summary
