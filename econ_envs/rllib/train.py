"""Run an experiment from ``rllib_configs/`` and write its results, in a loop that survives kills.

``econ-envs train CONFIG`` / ``python scripts/train.py CONFIG``. Outputs in ``--out``
(default ``runs/train/CONFIG``):

* ``CONFIG/run_<start time>/`` - one folder per run: ``run.json`` (experiment, ``--set``
  values, scaling), ``result.json``, ``progress.csv`` and TensorBoard event files
  (``tensorboard --logdir OUT``; see :mod:`econ_envs.rllib.runlog`), and
  ``checkpoint_<iteration>`` folders (the last three; each written atomically with
  ``econ_envs_checkpoint.json``, never over an existing one; see :mod:`econ_envs.rllib.checkpoints`);
* with ``--select-every N``: ``best/`` (the checkpoint that scored best on the held-out seeds, with
  ``selection.json``) and ``selection.csv``, and ``selection/*`` columns in the result rows (see
  :mod:`econ_envs.rllib.selection`);
* ``train_stats.json`` - settings, training seeds, versions, iterations, wall time, last and best
  returns per module, economy metrics, each critic's last explained variance, the last
  household exploitability probe (tax experiments), the last checkpoint, and where a resume started;
* ``training_curves.png`` - return, per-module losses, entropy and critic explained variance,
  the household exploitability probes (tax experiments), economy metrics;
* ``agent_rewards.png`` - episode return per module over training.

``--resume`` continues the latest run in ``--out`` from its latest complete checkpoint, with the
settings in its ``run.json``. Iterations logged after that checkpoint (by a run killed before
its next checkpoint) are moved to ``discarded_results.json`` and trained again, so
``result.json``, ``progress.csv`` and TensorBoard hold each iteration once and the rows up to the
checkpoint stay as they were; ``train_stats.json`` gives ``resumed_from_iteration``.
``--address`` joins an existing Ray cluster; ``--num-env-runners`` and
``--num-gpus-per-learner`` scale sampling out and put the Learner on a GPU.

The algorithm runs in this process (the Ray driver), not in a Tune trial actor. ``econ-envs
train`` runs it in a child process that leads its own process group, so that an interrupt, or
``kill -9`` of the training process, also ends the Ray processes it started
(:func:`run_supervised`).
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from econ_envs.rllib.runlog import flatten


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
    else:  # a Ray of our own, even where `ray start` left a cluster on this machine
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


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def summarize_progress(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Last/best returns per module, final economy metrics, each module's last finite critic explained
    variance (``vf_explained_var_last``) and the last household exploitability probe
    (``household_exploitability_last``, tax experiments) from the flattened result rows."""
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
    # the critics' explained variance (1 = the value function explains all return variance, <= 0: no better
    # than a constant), last iteration each module trained on (a Stackelberg leader's is NaN in between)
    ev_modules = sorted({k.split("/")[1] for r in rows for k in r if k.startswith("learners/")
                         and k.endswith("/vf_explained_var")})  # fmt: skip
    out["vf_explained_var_last"] = {m: _last_finite(rows, f"learners/{m}/vf_explained_var") for m in ev_modules}
    probes = [r for r in rows if _num(r.get(f"{EXPLOITABILITY_PREFIX}household_exploitability_ce_pct")) is not None]
    if probes:
        p = probes[-1]
        out["household_exploitability_last"] = {
            "iteration": p.get("training_iteration"),
            **{k: _num(p.get(EXPLOITABILITY_PREFIX + k)) for k in EXPLOITABILITY_SUMMARY_KEYS},
        }
    return out


EXPLOITABILITY_PREFIX = "taxai/"  # where econ_envs.rllib.taxai_exploitability's callback logs (flattened)
EXPLOITABILITY_SUMMARY_KEYS = ("household_exploitability_ce_pct", "household_exploitability_utils_per_year",
                               "exploitability_probe_years", "exploitability_probe_collapsed")  # fmt: skip


def _last_finite(rows: list[dict[str, Any]], key: str) -> float | None:
    for r in reversed(rows):
        v = _num(r.get(key))
        if v is not None:
            return v
    return None


# Units of the economy metrics logged during training (episode means), by family (config-name prefix).
ECONOMY_UNITS: dict[str, dict[str, str]] = {
    "taxai": {"gdp_per_household": "USD per household per year", "social_welfare": "mean household utility per year",
              "wealth_gini": "Gini index, 0-1", "income_gini": "Gini index, 0-1"},
    "rbc": {"social_welfare": "utils per quarter", "output": "units per quarter", "mean_price": "$ per unit",
            "mean_wage": "$ per hour", "employment_rate": "share of consumers working"},
    "monetary": {"inflation": "%/yr", "unemployment": "fraction of households", "wealth_gini": "Gini index, 0-1",
                 "gdp": "units of the good per month"},
    "meanfield": {"exploitability": "reward per agent", "mean_reward": "reward per agent per period"},
}  # fmt: skip
TRAINING_ECONOMY_KEYS = ("gdp_per_household", "social_welfare", "wealth_gini", "income_gini", "inflation",
                         "unemployment", "exploitability")  # fmt: skip


def plot_training(rows: list[dict[str, Any]], out_dir: Path, title: str) -> list[str]:
    """Write training_curves.png and agent_rewards.png from Tune's result rows.

    Every panel has units; a module that trains only on some iterations (the Stackelberg
    leader) is drawn over the iterations where it trained, with markers, and its legend
    entry says on how many; legends sit beside the data, never over it.
    """
    import matplotlib.pyplot as plt

    from econ_envs.core.plotting import legend_outside, panel_grid, plain_numbers, plot_series, readable

    written: list[str] = []
    if not rows:
        return written
    it = [r.get("training_iteration", i + 1) for i, r in enumerate(rows)]

    def series(key: str) -> list[float]:
        return [(_num(r.get(key)) if _num(r.get(key)) is not None else float("nan")) for r in rows]

    keys = set().union(*(r.keys() for r in rows))
    modules = sorted({k.split("/")[1] for k in keys if k.startswith("learners/") and k.endswith("/policy_loss")})
    colors = {m: f"C{j}" for j, m in enumerate(modules)}
    family = title.split("_", 1)[0]
    units = ECONOMY_UNITS.get(family, {})
    econ = [k for k in TRAINING_ECONOMY_KEYS if f"env_runners/economy/{k}" in keys]
    return_key = "env_runners/episode_return_mean"
    # (title, y label, [(key, legend label or None, color)])
    panels: list[tuple[str, str, list[tuple[str, str | None, str | None]]]] = [
        ("Episode return, all agents (episode mean)", "return per episode (sum of rewards)",
         [(return_key, None, "k")]),
    ]  # fmt: skip
    trained = {}
    for m in modules:
        n = sum(v == v for v in series(f"learners/{m}/policy_loss"))  # NaN != NaN: iterations m trained on
        trained[m] = f"{m} (trained on {n} of {len(rows)} iterations)" if n < len(rows) else m
    for ptitle, metric, ylabel in (("PPO policy loss", "policy_loss", "surrogate loss (dimensionless)"),
                                   ("Value-function loss", "vf_loss", "squared error (return units^2)"),
                                   ("Policy entropy", "entropy", "entropy (nats)"),
                                   ("Critic explained variance", "vf_explained_var",
                                    "1 - Var(target - V) / Var(target)\n(dimensionless; 1 = perfect, <= 0 = none)"),
                                   ):  # fmt: skip
        if any(f"learners/{m}/{metric}" in keys for m in modules):
            panels.append((ptitle, ylabel, [(f"learners/{m}/{metric}", trained[m], colors[m]) for m in modules]))
    pre = EXPLOITABILITY_PREFIX
    probe_marks = {"marker": "o", "markersize": 4}
    for k, ptitle, ylabel in (
        ("household_exploitability_ce_pct", "Household exploitability in consumption (exact best response)",
         "consumption equivalent\n(% of consumption, every year)"),
        ("household_exploitability_utils_per_year", "Household exploitability in utility (exact best response)",
         "gain (utils per year)"),
        ("exploitability_probe_years", "Years the exploitability probe's economy lasted", "years"),
    ):  # fmt: skip
        if pre + k in keys:
            panels.append((ptitle, ylabel, [(pre + k, None, "C3")]))
    for k in econ:
        unit = units.get(k, "episode mean")
        panels.append((f"{readable(k)[:1].upper()}{readable(k)[1:]} (episode mean)", unit,
                       [(f"env_runners/economy/{k}", None, "C2")]))  # fmt: skip
    fig, axes = panel_grid(len(panels), ncol=2, width=13.0, height=2.9)
    for ax, (ptitle, ylabel, ks) in zip(axes.flat, panels):
        for k, label, color in ks:
            if k in keys:  # the probe's points only where it ran, always with markers
                plot_series(ax, it, series(k), label=label, color=color, **(probe_marks if k.startswith(pre) else {}))
        ax.set_title(ptitle, fontsize=10)
        ax.set_xlabel("training iteration")
        ax.set_ylabel(ylabel, fontsize=8.5)
        ax.grid(alpha=0.3)
        plain_numbers(ax)
        legend_outside(ax)
    fig.suptitle(f"{title}: training curves ({len(rows)} iterations)")
    fig.savefig(out_dir / "training_curves.png", dpi=100)
    plt.close(fig)
    written.append("training_curves.png")

    mods = sorted({k.split("/")[-1] for k in keys if k.startswith("env_runners/module_episode_returns_mean/")})
    fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
    for m in mods:
        plot_series(ax, it, series(f"env_runners/module_episode_returns_mean/{m}"), label=m)
    ax.set_xlabel("training iteration")
    ax.set_ylabel("episode return\n(summed over the module's agents)")
    ax.set_title(f"{title}: rewards by agent type (episode mean)")
    ax.grid(alpha=0.3)
    plain_numbers(ax)
    legend_outside(ax, fontsize=8)
    fig.savefig(out_dir / "agent_rewards.png", dpi=100)
    plt.close(fig)
    written.append("agent_rewards.png")
    return written


# ------------------------------------------------------------------------------ the training loop
RUN_FILE = "run.json"
TRAINING_SEEDS_NOTE = (
    "first-episode seeds of the training economies (the experiment's seed, --set seed=S, through "
    "AlgorithmConfig.debugging(seed=S)); later episodes continue each economy's random stream"
)
LOCK_FILE = ".lock"
KEEP_CHECKPOINTS = 3
LOCK_WAIT_S = 120.0


def _stop_reached(row: dict[str, Any] | None, stop: dict[str, Any]) -> bool:
    """Tune's rule for a dict stop: any key reached (result[key] >= value; keys may be a/b paths)."""
    if row is None:
        return False
    flat = flatten(row)
    for key, bound in stop.items():
        v = _num(flat.get(key))
        if v is not None and v >= float(bound):
            return True
    return False


def _new_trial_dir(exp_dir: Path) -> Path:
    stamp = time.strftime("%Y-%m-%d_%H-%M-%S")
    for k in range(1000):
        d = exp_dir / (f"run_{stamp}" + (f"_{k}" if k else ""))
        try:
            d.mkdir(parents=True)
            return d
        except FileExistsError:
            continue
    raise RuntimeError(f"cannot create a new run folder in {exp_dir}")


def latest_trial_dir(exp_dir: Path) -> Path:
    """The most recently started run folder of an experiment folder (``run_<start time>``)."""
    runs = [p for p in exp_dir.glob("run_*") if (p / RUN_FILE).is_file()]
    if not runs:
        raise ValueError(f"--resume: no run of `econ-envs train` in {exp_dir}")
    return max(runs, key=lambda p: (p.name[:23], len(p.name), p.name))  # run_<start time>[_k]


def _lock(trial_dir: Path, wait_s: float) -> Any:
    """Hold the run folder's lock (an flock, released when this process dies however it dies)."""
    import fcntl

    f = open(trial_dir / LOCK_FILE, "a+")
    deadline = time.monotonic() + wait_s
    said = False
    while True:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                f.seek(0)
                holder = f.read().strip() or "?"
                f.close()
                raise ValueError(f"run {trial_dir} is in use by another training process (pid {holder})") from None
            if not said:
                print(f"waiting for the training process still using {trial_dir} to exit", flush=True)
                said = True
            time.sleep(0.5)
    f.seek(0)
    f.truncate()
    f.write(str(os.getpid()))
    f.flush()
    return f


def _prune_checkpoints(trial_dir: Path, keep: int) -> None:
    import shutil

    from econ_envs.rllib.checkpoints import list_checkpoints

    for _, p in list_checkpoints(trial_dir)[:-keep]:
        shutil.rmtree(p, ignore_errors=True)


def _progress_line(row: dict[str, Any], stop: dict[str, Any]) -> str:
    it = row.get("training_iteration")
    total = stop.get("training_iteration")
    ret = _num(row.get("env_runners", {}).get("episode_return_mean"))
    parts = [f"iteration {it}" + (f"/{total}" if total else "")]
    if ret is not None:
        parts.append(f"episode return {ret:.4g} (reward units, all agents)")
    parts.append(f"{_num(row.get('time_this_iter_s')) or 0:.1f} s this iteration, "
                 f"{_num(row.get('time_total_s')) or 0:.0f} s in total")  # fmt: skip
    return ", ".join(parts)


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
    select_every: int | None = None,
    select_seeds: str | Sequence[int] | None = None,
) -> dict[str, Any]:
    """Train ``config`` (an ``rllib_configs`` name or a path); return ``train_stats`` (see the module docstring).

    With ``resume``, the latest run in the output folder continues from its latest complete
    checkpoint, with the experiment settings recorded in its ``run.json``; results logged after that
    checkpoint (by the run that was killed) are moved to ``discarded_results.json`` and trained again.

    ``select_every`` (N) and ``select_seeds`` (held-out seeds, default
    :data:`econ_envs.rllib.selection.DEFAULT_SELECT_SEEDS`): every N iterations and after the last,
    score the current modules deterministically on those seeds and keep the best-scoring checkpoint
    in the run's ``best/`` (:mod:`econ_envs.rllib.selection`). An experiment file may set
    ``SELECTION = {"every": N, "seeds": [...]}``; the arguments override it.
    """
    import ray

    import rllib_configs
    from econ_envs.core.simulate import versions
    from econ_envs.rllib.checkpoints import (
        checkpoint_meta,
        checkpoint_name,
        from_json,
        list_checkpoints,
        read_json,
        save_checkpoint,
        to_json,
        write_json_atomic,
    )
    from econ_envs.rllib.env import register_economies
    from econ_envs.rllib.evaluate import EVAL_SEED0
    from econ_envs.rllib.runlog import RunLog
    from econ_envs.rllib.selection import (
        BestCheckpoint,
        check_seeds,
        family_scorer,
        parse_seeds,
        select,
        training_seeds,
    )

    name = Path(config).stem
    experiment = str(Path(config).resolve()) if Path(config).suffix == ".py" else config
    out_dir = Path(out) if out is not None else Path("runs") / "train" / name
    out_dir = out_dir.resolve()
    if checkpoint_every < 1:
        raise ValueError(f"checkpoint_every must be >= 1, got {checkpoint_every}")
    if stop_iters is not None and stop_iters < 1:
        raise ValueError(f"--stop-iters must be >= 1, got {stop_iters}")
    if select_every is not None and (
        isinstance(select_every, bool) or not isinstance(select_every, int) or select_every < 1
    ):
        raise ValueError(f"--select-every must be an integer >= 1, got {select_every!r}")
    overrides = dict(overrides or {})
    exp_dir = out_dir / name
    resumed_from: dict[str, Any] | None = None
    if resume:
        trial_dir = latest_trial_dir(exp_dir)
        lock = _lock(trial_dir, LOCK_WAIT_S)
        run = read_json(trial_dir / RUN_FILE, f"--resume: run {trial_dir}")
        stored = from_json(run.get("overrides", {}))
        if overrides and overrides != stored:
            diff = sorted(k for k in set(overrides) | set(stored) if overrides.get(k) != stored.get(k))
            raise ValueError(f"--resume: --set {diff} differ from the run's settings {stored} "
                             f"(recorded in {trial_dir / RUN_FILE}); leave --set out to resume")  # fmt: skip
        overrides = stored
        if run.get("experiment") != experiment:
            raise ValueError(f"--resume: {trial_dir} is a run of {run.get('experiment')!r}, not {experiment!r}")
        ckpts = list_checkpoints(trial_dir)
        if not ckpts:
            raise ValueError(f"--resume: run {trial_dir} has no complete checkpoint (it stopped before the first "
                             f"one); train again without --resume")  # fmt: skip
        resume_iter, resume_ckpt = ckpts[-1]
        resumed_from = {"iteration": resume_iter, "checkpoint": str(resume_ckpt)}
        if num_env_runners is None:
            num_env_runners = run.get("scaling", {}).get("num_env_runners")
        if num_gpus_per_learner is None:
            num_gpus_per_learner = run.get("scaling", {}).get("num_gpus_per_learner")
        if stop_iters is None and run.get("stop_iters") is not None:
            stop_iters = int(run["stop_iters"])
        stored_sel = run.get("selection")
        if stored_sel is not None:
            given = (select_every, None if select_seeds is None else parse_seeds(select_seeds))
            if (given[0] is not None and given[0] != stored_sel["every"]) or (
                given[1] is not None and list(given[1]) != stored_sel["seeds"]
            ):
                raise ValueError(f"--resume: the run selects every {stored_sel['every']} iterations on seeds "
                                 f"{stored_sel['seeds']} (recorded in {trial_dir / RUN_FILE}); leave --select-every "
                                 "and --select-seeds out to resume")  # fmt: skip
            select_every, select_seeds = int(stored_sel["every"]), list(stored_sel["seeds"])
        elif select_every is not None or select_seeds is not None:
            raise ValueError(
                f"--resume: {trial_dir} was started without --select-every; model selection cannot "
                "start halfway through a run (its earlier iterations were never scored)"
            )
    elif select_every is None:  # the experiment's own default, if it has one
        select_every, select_seeds = _experiment_selection(config, select_seeds)
        if select_every is None and select_seeds is not None:
            raise ValueError("--select-seeds needs --select-every N (how often to score the held-out seeds)")
    algo_config, stop = rllib_configs.build(config, **overrides)
    algo_config = apply_scaling(algo_config, num_env_runners, num_gpus_per_learner)
    if stop_iters is not None:
        stop = {**stop, "training_iteration": stop_iters}
    train_seeds = training_seeds(algo_config)
    seeds: tuple[int, ...] | None = None
    if select_every is not None:
        family_scorer(algo_config.env)  # a family without selection: say so before any work
        seeds = parse_seeds(select_seeds)
        check_seeds(seeds, train_seeds)
    selection_cfg = None if seeds is None else {"every": select_every, "seeds": list(seeds)}
    if not resume:
        to_json(overrides, "--set")  # refuse settings that could not be recorded, before any work
        trial_dir = _new_trial_dir(exp_dir)
        lock = _lock(trial_dir, 0.0)
        write_json_atomic(trial_dir / RUN_FILE, {
            "experiment": experiment, "overrides": to_json(overrides, "--set"), "stop_iters": stop_iters,
            "scaling": {"num_env_runners": num_env_runners, "num_gpus_per_learner": num_gpus_per_learner},
            "selection": selection_cfg, "training_seeds": train_seeds,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S"), "pid": os.getpid(),
        })  # fmt: skip
    init_ray(address)
    register_economies()
    log = RunLog(trial_dir)
    discarded: list[int] = []
    if resumed_from is not None:
        discarded = log.truncate(resumed_from["iteration"])
    keeper = BestCheckpoint(trial_dir, seeds) if seeds is not None else None
    if keeper is not None and resumed_from is not None:
        keeper.truncate(resumed_from["iteration"])
    wandb_run = _wandb_run(name, trial_dir, overrides) if wandb else None
    t0 = time.time()
    algo = algo_config.build_algo()
    checkpoint: str | None = None
    interrupted = False
    try:
        if resumed_from is not None:
            meta = checkpoint_meta(resumed_from["checkpoint"])
            algo.restore_from_path(resumed_from["checkpoint"])
            if algo.iteration != resumed_from["iteration"]:
                raise RuntimeError(f"restored {resumed_from['checkpoint']} but the algorithm is at iteration "
                                   f"{algo.iteration}, not {resumed_from['iteration']}")  # fmt: skip
            # Trainable's running totals live outside RLlib's state: carry them over from our metadata
            algo._time_total = float(meta.get("time_total_s", 0.0))
            algo._timesteps_total = meta.get("timesteps_total")
            algo._episodes_total = meta.get("episodes_total")
            checkpoint = resumed_from["checkpoint"]
            if verbose:
                redo = f"; training again iterations {discarded}, logged after it" if discarded else ""
                ckname = Path(checkpoint).name
                print(f"resumed {trial_dir} from {ckname} (iteration {algo.iteration}){redo}", flush=True)
        last = log.rows[-1] if log.rows else None
        done_iters = {it for it, _ in list_checkpoints(trial_dir)}

        def save_to(path: Path) -> Path:
            return save_checkpoint(algo, path, experiment=experiment, overrides=overrides, extra={
                "time_total_s": float(algo._time_total),
                "timesteps_total": algo._timesteps_total,
                "episodes_total": algo._episodes_total,
            })  # fmt: skip

        if verbose and keeper is not None and keeper.info is not None:
            print(
                f"best checkpoint so far: iteration {keeper.iteration}, task reward {keeper.score:.4g} per year "
                f"on held-out seeds {list(keeper.seeds)} (kept; a later iteration must beat it)",
                flush=True,
            )

        def save() -> str:
            path = save_to(trial_dir / checkpoint_name(algo.iteration))
            done_iters.add(algo.iteration)
            _prune_checkpoints(trial_dir, KEEP_CHECKPOINTS)
            return str(path)

        while not _stop_reached(last, stop):
            result = algo.train()
            if keeper is not None and (algo.iteration % select_every == 0 or _stop_reached(result, stop)):
                result["selection"] = select(algo, keeper, save_to, verbose)
            last = log.append(result)
            if wandb_run is not None:
                wandb_run.log({k: v for k, v in flatten(last).items() if _num(v) is not None},
                              step=int(last["training_iteration"]))  # fmt: skip
            if verbose:
                print(_progress_line(last, stop), flush=True)
            if algo.iteration % checkpoint_every == 0:
                checkpoint = save()
        if algo.iteration not in done_iters:
            checkpoint = save()
        else:
            checkpoint = str(trial_dir / checkpoint_name(algo.iteration))
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        log.close()
        if wandb_run is not None:
            wandb_run.finish()
        algo.stop()
        if interrupted:
            ckpts = list_checkpoints(trial_dir)
            where = f"from {ckpts[-1][1].name} (iteration {ckpts[-1][0]})" if ckpts else "(no checkpoint yet)"
            print(f"interrupted: `econ-envs train {config} --resume` continues {trial_dir} {where}", flush=True)
        lock.close()
    wall = time.time() - t0
    rows = log.flat_rows()
    stats = {
        "config": name,
        "experiment": experiment,
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
        "resumed": resumed_from is not None,
        "resumed_from_iteration": None if resumed_from is None else resumed_from["iteration"],
        "resumed_from_checkpoint": None if resumed_from is None else resumed_from["checkpoint"],
        "redone_iterations": discarded,
        "experiment_dir": str(exp_dir),
        "run_dir": str(trial_dir),
        "checkpoint": checkpoint,
        "checkpoints": [str(p) for _, p in list_checkpoints(trial_dir)],
        "training_seeds": train_seeds,
        "training_seeds_note": TRAINING_SEEDS_NOTE,
        "evaluation_seeds_start": EVAL_SEED0,
        "selection": None if keeper is None else keeper.summary(select_every),
        **summarize_progress(rows),
    }
    write_json_atomic(out_dir / "train_stats.json", json.loads(json.dumps(stats, default=_json_default)))
    stats["plots"] = plot_training(rows, out_dir, name)
    return stats


def _experiment_selection(config: str, select_seeds: Any) -> tuple[int | None, Any]:
    """(every, seeds) from the experiment file's ``SELECTION = {"every": N, "seeds": [...]}``, if it has one."""
    import rllib_configs

    sel = getattr(rllib_configs.load(config), "SELECTION", None)
    if sel is None:
        return None, select_seeds
    if not isinstance(sel, dict) or not set(sel) <= {"every", "seeds"} or "every" not in sel:
        raise ValueError(f"{config}: SELECTION must be a dict with 'every' (and optionally 'seeds'), got {sel!r}")
    every = sel["every"]
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(f"{config}: SELECTION['every'] must be an integer >= 1, got {every!r}")
    return every, select_seeds if select_seeds is not None else sel.get("seeds")


def _json_default(o: Any) -> Any:
    return o.item() if isinstance(o, np.generic) else str(o)


def _wandb_run(name: str, trial_dir: Path, overrides: dict[str, Any]) -> Any:
    """A Weights & Biases run for this training run (offline unless WANDB_MODE says otherwise); a resumed
    run continues the same W&B run (its id is the run folder's name)."""
    try:
        import wandb
    except ImportError as exc:  # pragma: no cover - depends on an optional package
        raise ValueError(f"--wandb needs the wandb package ({exc})") from None
    os.environ.setdefault("WANDB_MODE", "offline")
    return wandb.init(project="econ_envs", group=name, name=trial_dir.name, id=f"{name}-{trial_dir.name}",
                      resume="allow", dir=str(trial_dir), config=overrides)  # fmt: skip


# ------------------------------------------------------------------------------ process supervision
SUPERVISED_ENV = "ECON_ENVS_TRAIN_SUPERVISOR"


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def kill_group(pgid: int, grace_s: float = 5.0) -> None:
    """SIGTERM the process group ``pgid``, then SIGKILL whatever is left after ``grace_s`` seconds."""
    import signal

    for sig, wait in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 2.0)):
        if not _group_alive(pgid):
            return
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _group_alive(pgid):
            time.sleep(0.1)


def run_supervised(argv: list[str]) -> int:
    """Run ``econ-envs ARGV`` in a child process that leads its own process group, and end that whole
    group (the training driver and the Ray processes it started: GCS, raylet, dashboard and runtime-env
    agents, log monitor) when the child exits, however it exits (also ``kill -9``).

    SIGINT, SIGTERM and SIGHUP received here are passed on to the group. If this supervisor itself
    is killed with ``kill -9``, the child gets SIGTERM (Linux parent-death signal), shuts Ray down and
    ends its group. Only ``kill -9`` of both processes at once can leave Ray processes behind.
    """
    import signal
    import subprocess
    import sys

    env = {**os.environ, SUPERVISED_ENV: str(os.getpid())}
    kwargs: dict[str, Any] = {"process_group": 0} if sys.version_info >= (3, 11) else {"preexec_fn": os.setpgrp}
    child = subprocess.Popen([sys.executable, "-m", "econ_envs.cli", *argv], env=env, **kwargs)

    def forward(signum: int, frame: Any) -> None:
        try:
            os.killpg(child.pid, signum)
        except ProcessLookupError:
            pass

    sigs = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    old = {s: signal.signal(s, forward) for s in sigs}
    try:
        rc = child.wait()
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        kill_group(child.pid)
    return 128 - rc if rc < 0 else rc


def supervised_child_setup() -> None:
    """In the child of :func:`run_supervised`: get SIGTERM when the supervisor dies, turn SIGTERM into
    KeyboardInterrupt (so the run stops cleanly), and end this process group at exit."""
    import atexit
    import signal

    parent = int(os.environ.pop(SUPERVISED_ENV))
    if platform.system() == "Linux":
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the supervisor died before the parent-death signal was armed
        raise SystemExit(128 + int(signal.SIGTERM))

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)

    def end_group() -> None:
        if os.getpgrp() == os.getpid():
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            try:
                os.killpg(0, signal.SIGTERM)
            except ProcessLookupError:
                pass

    atexit.register(end_group)


def is_supervised_child() -> bool:
    return SUPERVISED_ENV in os.environ
