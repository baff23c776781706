"""Run an experiment from ``rllib_configs/`` under Ray Tune and write its results.

``econ-envs train CONFIG`` / ``python scripts/train.py CONFIG``. Outputs in ``--out``
(default ``runs/train/CONFIG``):

* ``CONFIG/`` - Tune's experiment folder: ``progress.csv``, ``result.json``, TensorBoard
  event files (``tensorboard --logdir OUT``), and ``checkpoint_*`` folders;
* ``train_stats.json`` - settings, versions, iterations, wall time, last and best
  returns per module, economy metrics, and the last checkpoint;
* ``training_curves.png`` - return, per-module losses and entropy, economy metrics;
* ``agent_rewards.png`` - episode return per module over training.

``--resume`` continues an interrupted run from its last checkpoint (Tune's restore).
``--address`` joins an existing Ray cluster; ``--num-env-runners`` and
``--num-gpus-per-learner`` scale sampling out and put the Learner on a GPU.
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np


def init_ray(address: str | None = None, num_cpus: int | None = None) -> None:
    """Start (or join, with ``address``) Ray once; quiet and dashboard-free by default.

    Without ``address`` (or ``RAY_ADDRESS``) a new local instance is started even when another
    one runs on this machine (``address="local"``): Ray's default would join the cluster recorded
    in ``/tmp/ray/ray_current_cluster`` (by ``ray start`` or a run killed before it cleaned up)
    and then refuse ``num_cpus``. ``address="auto"`` joins a running cluster on purpose.
    """
    import ray

    if ray.is_initialized():
        return
    kwargs: dict[str, Any] = {"include_dashboard": False, "ignore_reinit_error": True}
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address:
        kwargs["address"] = address
    else:
        kwargs["address"] = "local"
        kwargs["num_cpus"] = num_cpus or os.cpu_count() or 2
    os.environ.setdefault("RAY_DEDUP_LOGS", "1")
    ray.init(**kwargs)


def apply_scaling(config: Any, num_env_runners: int | None, num_gpus_per_learner: float | None) -> Any:
    if num_env_runners is not None:
        if num_env_runners < 0:
            raise ValueError(f"--num-env-runners must be >= 0, got {num_env_runners}")
        config = config.env_runners(num_env_runners=num_env_runners)
    if num_gpus_per_learner is not None:
        if num_gpus_per_learner < 0:
            raise ValueError(f"--num-gpus-per-learner must be >= 0, got {num_gpus_per_learner}")
        config = config.learners(num_gpus_per_learner=num_gpus_per_learner)
    return config


def _flatten(d: dict, prefix: str = "") -> dict[str, Any]:
    out = {}
    for k, v in d.items():
        key = f"{prefix}/{k}" if prefix else str(k)
        if isinstance(v, dict):
            out.update(_flatten(v, key))
        else:
            out[key] = v
    return out


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def summarize_progress(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Last/best returns per module and final economy metrics from Tune's result rows."""
    if not rows:
        return {}
    last = rows[-1]
    out: dict[str, Any] = {"iterations": int(last.get("training_iteration", len(rows)))}
    ret_key = "env_runners/episode_return_mean"
    rets = [(_num(r.get(ret_key)), r.get("training_iteration")) for r in rows if _num(r.get(ret_key)) is not None]
    if rets:
        out["episode_return_mean_last"] = rets[-1][0]
        best = max(rets, key=lambda x: x[0])
        out["episode_return_mean_best"] = best[0]
        out["best_iteration"] = best[1]
    modules = sorted(
        {k.split("/")[-1] for r in rows for k in r if k.startswith("env_runners/module_episode_returns_mean/")}
    )
    out["module_returns_last"] = {m: _num(last.get(f"env_runners/module_episode_returns_mean/{m}")) for m in modules}
    peaks = [_num(r.get("perf/peak_rss_gb")) for r in rows]
    peaks = [p for p in peaks if p is not None]
    if peaks:
        out["peak_rss_gb"] = max(peaks)
    out["economy_last"] = {
        k.split("/", 2)[-1]: _num(v)
        for k, v in last.items()
        if k.startswith("env_runners/economy/") and _num(v) is not None
    }
    return out


def plot_training(rows: list[dict[str, Any]], out_dir: Path, title: str) -> list[str]:
    """Write training_curves.png and agent_rewards.png from Tune's result rows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    if not rows:
        return written
    it = [r.get("training_iteration", i + 1) for i, r in enumerate(rows)]

    def series(key: str) -> list[float]:
        return [(_num(r.get(key)) if _num(r.get(key)) is not None else float("nan")) for r in rows]

    keys = set().union(*(r.keys() for r in rows))
    modules = sorted({k.split("/")[1] for k in keys if k.startswith("learners/") and k.endswith("/policy_loss")})
    econ = [k for k in ("gdp_per_household", "social_welfare", "wealth_gini", "income_gini", "inflation",
                        "unemployment", "exploitability") if f"env_runners/economy/{k}" in keys]  # fmt: skip
    panels = [("Episode return (all agents)", ["env_runners/episode_return_mean"])]
    panels.append(("Policy loss", [f"learners/{m}/policy_loss" for m in modules]))
    panels.append(("Value loss", [f"learners/{m}/vf_loss" for m in modules]))
    panels.append(("Entropy", [f"learners/{m}/entropy" for m in modules]))
    for k in econ:
        panels.append((f"economy: {k}", [f"env_runners/economy/{k}"]))
    ncol = 2
    nrow = math.ceil(len(panels) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(12, 3.0 * nrow), squeeze=False)
    for ax, (ptitle, ks) in zip(axes.flat, panels):
        for k in ks:
            if k in keys:
                ax.plot(it, series(k), label=k.split("/")[1] if k.startswith("learners/") else None)
        ax.set_title(ptitle, fontsize=10)
        ax.set_xlabel("training iteration")
        ax.grid(alpha=0.3)
        if any(k.startswith("learners/") for k in ks):
            ax.legend(fontsize=8)
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out_dir / "training_curves.png", dpi=110)
    plt.close(fig)
    written.append("training_curves.png")

    mods = sorted({k.split("/")[-1] for k in keys if k.startswith("env_runners/module_episode_returns_mean/")})
    fig, ax = plt.subplots(figsize=(8, 4))
    for m in mods:
        ax.plot(it, series(f"env_runners/module_episode_returns_mean/{m}"), label=m)
    ax.set_xlabel("training iteration")
    ax.set_ylabel("episode return (summed over the module's agents)")
    ax.set_title(f"{title}: rewards by agent type")
    ax.grid(alpha=0.3)
    if mods:
        ax.legend()
    fig.tight_layout()
    fig.savefig(out_dir / "agent_rewards.png", dpi=110)
    plt.close(fig)
    written.append("agent_rewards.png")
    return written


def train(
    config: str,
    overrides: dict[str, Any] | None = None,
    *,
    address: str | None = None,
    num_env_runners: int | None = None,
    num_gpus_per_learner: float | None = None,
    stop_iters: int | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    checkpoint_every: int = 5,
    wandb: bool = False,
    verbose: int = 1,
) -> dict[str, Any]:
    """Train ``config`` (an ``rllib_configs`` name or a path) under Tune; return ``train_stats``."""
    import ray
    from ray import tune

    import rllib_configs
    from econ_envs.core.simulate import versions
    from econ_envs.rllib.env import register_economies

    name = Path(config).stem
    out_dir = Path(out) if out is not None else Path("runs") / "train" / name
    out_dir = out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    if checkpoint_every < 1:
        raise ValueError(f"checkpoint_every must be >= 1, got {checkpoint_every}")
    overrides = dict(overrides or {})
    algo_config, stop = rllib_configs.build(config, **overrides)
    algo_config = apply_scaling(algo_config, num_env_runners, num_gpus_per_learner)
    if stop_iters is not None:
        if stop_iters < 1:
            raise ValueError(f"--stop-iters must be >= 1, got {stop_iters}")
        stop = {**stop, "training_iteration": stop_iters}
    init_ray(address)
    register_economies()
    callbacks = []
    if wandb:
        try:
            from ray.air.integrations.wandb import WandbLoggerCallback
        except ImportError as exc:  # pragma: no cover - depends on optional package
            raise ValueError(f"--wandb needs the wandb package ({exc})") from None
        os.environ.setdefault("WANDB_MODE", "offline")
        callbacks.append(WandbLoggerCallback(project="econ_envs", group=name))
    run_config = tune.RunConfig(
        name=name,
        storage_path=str(out_dir),
        stop=stop,
        checkpoint_config=tune.CheckpointConfig(
            checkpoint_frequency=checkpoint_every, checkpoint_at_end=True, num_to_keep=3
        ),
        callbacks=callbacks or None,
        verbose=verbose,
    )
    exp_dir = out_dir / name
    t0 = time.time()
    if resume:
        if not tune.Tuner.can_restore(str(exp_dir)):
            raise ValueError(f"--resume: no restorable Tune run in {exp_dir}")
        tuner = tune.Tuner.restore(
            str(exp_dir), trainable=algo_config.algo_class, param_space=algo_config,
            resume_unfinished=True, resume_errored=True,
        )  # fmt: skip
    else:
        tuner = tune.Tuner(algo_config.algo_class, param_space=algo_config, run_config=run_config)
    results = tuner.fit()
    wall = time.time() - t0
    result = results[0]
    if result.error is not None:
        raise RuntimeError(f"training failed: {result.error}")
    df = result.metrics_dataframe
    rows = [] if df is None else [_flatten(r) if isinstance(r, dict) else r for r in df.to_dict("records")]
    checkpoint = result.checkpoint.path if result.checkpoint is not None else None
    stats = {
        "config": name,
        "overrides": overrides,
        "stop": stop,
        "scaling": {
            "address": address,
            "num_env_runners": num_env_runners,
            "num_gpus_per_learner": num_gpus_per_learner,
        },  # fmt: skip
        "algorithm": algo_config.algo_class.__name__,
        "versions": {**versions(), "ray": ray.__version__, "platform": platform.platform()},
        "wall_time_s": wall,
        "resumed": resume,
        "experiment_dir": str(exp_dir),
        "checkpoint": checkpoint,
        **summarize_progress(rows),
    }
    with open(out_dir / "train_stats.json", "w") as f:
        json.dump(stats, f, indent=2, default=lambda o: o.item() if isinstance(o, np.generic) else str(o))
    stats["plots"] = plot_training(rows, out_dir, name)
    return stats
