"""Run a rule-based policy profile on any registered economy and write its outputs.

Used by ``econ-envs simulate ENV_ID --policy NAME``. A *policy profile* is the
object an :class:`~econ_envs.core.registry.EnvSpec` names under
``simulate_policies``: a class with an ``env_overrides`` dict (settings the
profile needs, merged under the user's ``--set`` values), a constructor taking
the env, ``reset(env, seed)`` and ``act(env) -> {role: actions array}``. The
simulation drives the batched API (``step_batch``), so large populations run
at the speed of the economy's kernels.

Outputs in ``out``:
    history.csv          one row per year/period: every aggregate
    summary.json         settings, seed, versions, averages, final values, termination
    macro_variables.png  the family's macro panels over time
"""

from __future__ import annotations

import csv
import json
import math
import platform
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from econ_envs.core.progress import Progress
from econ_envs.core.registry import spec as get_spec


def versions() -> dict[str, str]:
    """Versions of Python and the packages a run depends on."""
    import gymnasium
    import numba
    import pettingzoo

    import econ_envs

    return {
        "econ_envs": econ_envs.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "gymnasium": gymnasium.__version__,
        "pettingzoo": pettingzoo.__version__,
    }


def run_profile(env: Any, profile: Any, steps: int, seed: int | None, progress: Progress | None = None):
    """Run ``profile`` on ``env`` for up to ``steps`` steps; return (history rows, termination reason)."""
    profile.reset(env, seed)
    rows: list[dict[str, float]] = []
    reason = f"step_limit: stopped after {steps} steps"
    for t in range(steps):
        result = env.step_batch(profile.act(env))
        rows.append({"step": float(t + 1), **env.aggregates()})
        if progress is not None:
            progress.update(t + 1)
        if result.terminated:
            reason = "terminated: " + str(result.info.get("termination_reason", "economy collapsed"))
            break
        if result.truncated:
            reason = f"truncated: the episode's horizon of {t + 1} steps was reached"
            break
    if progress is not None:
        progress.close(len(rows))
    return rows, reason


def write_history(rows: list[Mapping[str, float]], path: Path) -> None:
    keys: list[str] = []
    for row in rows:
        for k in row:
            if k not in keys:
                keys.append(k)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=keys)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: repr(float(row[k])) if k in row else "" for k in keys})


def read_history(path: str | Path) -> dict[str, np.ndarray]:
    """Read a ``history.csv`` back as column arrays (a malformed file raises ``ValueError``)."""
    path = Path(path)
    try:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames:
                raise ValueError(f"{path}: empty file or no header")
            cols: dict[str, list[float]] = {k: [] for k in reader.fieldnames}
            for lineno, row in enumerate(reader, start=2):
                for k in reader.fieldnames:
                    v = row.get(k)
                    if v is None:
                        raise ValueError(f"{path}:{lineno}: missing column {k!r}")
                    try:
                        cols[k].append(float(v) if v != "" else float("nan"))
                    except ValueError:
                        raise ValueError(f"{path}:{lineno}: column {k!r} is not a number: {v!r}") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not a text CSV file ({exc})") from None
    return {k: np.asarray(v) for k, v in cols.items()}


def summarize(rows: list[Mapping[str, float]]) -> tuple[dict[str, float], dict[str, float]]:
    """(averages over all steps, values of the last step); NaNs are ignored in the averages."""
    if not rows:
        return {}, {}
    keys = [k for k in rows[0] if k != "step"]
    averages = {}
    for k in keys:
        vals = np.array([r.get(k, np.nan) for r in rows], dtype=float)
        finite = vals[np.isfinite(vals)]
        averages[k] = float(finite.mean()) if finite.size else float("nan")
    final = {k: float(rows[-1][k]) for k in keys}
    return averages, final


def _json_safe(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_safe(v) for v in x]
    if isinstance(x, np.generic):
        return _json_safe(x.item())
    return x


def plot_history(
    rows: list[Mapping[str, float]],
    panels: tuple[tuple[str, tuple[str, ...]], ...],
    path: Path,
    title: str,
    x_label: str = "year",
    labels: Mapping[str, str] | None = None,
) -> None:
    """Write one PNG with a panel per ``(title, keys)``; keys missing from the history are skipped.

    A title ending in ``(unit)`` gives the panel's y label; ``labels`` maps keys to legend
    entries (unmapped keys are written out in words); legends sit beside the data.
    """
    from econ_envs.core.plotting import legend_outside, panel_grid, plain_numbers, plot_series, readable, y_label

    panels = tuple((t, tuple(k for k in keys if rows and k in rows[0])) for t, keys in panels)
    panels = tuple(p for p in panels if p[1])
    ncol = 1 if len(panels) == 1 else 2
    fig, axes = panel_grid(len(panels), ncol=ncol, width=7.0 * ncol, height=3.0)
    x = [r["step"] for r in rows]
    for ax, (ptitle, keys) in zip(axes.flat, panels):
        for k in keys:
            plot_series(ax, x, [r[k] for r in rows], label=readable(k, labels))
        ax.set_title(ptitle, fontsize=10)
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label(ptitle, readable(keys[0], labels)), fontsize=9)
        ax.grid(alpha=0.3)
        plain_numbers(ax)
        if len(keys) > 1:
            legend_outside(ax)
    fig.suptitle(title)
    fig.savefig(path, dpi=100)
    import matplotlib.pyplot as plt

    plt.close(fig)


def simulate(
    env_id: str,
    policy: str | None = None,
    steps: int | None = None,
    seed: int | None = 0,
    out: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    progress: bool = True,
    households: str | None = None,
) -> dict[str, Any]:
    """Run a baseline policy profile and write history.csv, summary.json and macro_variables.png.

    Returns the summary dict. ``overrides`` are env keyword arguments (``--set``);
    they take precedence over the profile's own ``env_overrides``. ``households`` picks
    the follower rule of profiles that take one (``taxai-v0``: a household rule, or
    ``optimal`` for the equilibrium's optimal households).
    """
    spec = get_spec(env_id)
    policy = policy or spec.default_policy
    if policy is None:
        raise ValueError(f"{env_id} has no default policy; pass one of {sorted(spec.simulate_policies)}")
    factory = spec.policy_factory(policy)
    kwargs = dict(getattr(factory, "env_overrides", {}))
    kwargs.update(overrides or {})
    env = spec.make(**kwargs)
    if households is None:
        profile = factory(env)
    else:
        import inspect

        if "household" not in inspect.signature(factory).parameters:
            raise ValueError(f"{env_id}'s policy profiles take no households option (got {households!r})")
        profile = factory(env, household=households)
    horizon = int(getattr(env, "episode_length", 0) or 0)
    if steps is None:
        steps = horizon if horizon > 0 else 100
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    out_dir = Path(out) if out is not None else Path("runs") / f"{env_id}_{policy}_seed{seed}"
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    bar = Progress(steps, f"{env_id} {policy}", enabled=progress, unit=getattr(env, "time_unit", "step") + "s",
                   min_total=20)  # fmt: skip
    rows, reason = run_profile(env, profile, steps, seed, bar)
    wall = time.perf_counter() - t0
    averages, final = summarize(rows)
    params = getattr(env, "params", None)
    settings = params.to_dict() if hasattr(params, "to_dict") else dict(kwargs)
    summary = {
        "env_id": env_id,
        "policy": policy,
        "households": households,
        "profile": getattr(profile, "name", policy),
        "seed": seed,
        "steps_requested": steps,
        "steps_run": len(rows),
        "termination": reason,
        "overrides": dict(overrides or {}),
        "settings": settings,
        "versions": versions(),
        "wall_time_s": wall,
        "averages": averages,
        "final": final,
    }
    write_history(rows, out_dir / "history.csv")
    with open(out_dir / "summary.json", "w") as f:
        json.dump(_json_safe(summary), f, indent=2)
    plot_history(rows, spec.plot_panels, out_dir / "macro_variables.png", f"{env_id}: {policy} (seed {seed})",
                 x_label=getattr(env, "time_unit", "step"), labels=spec.labels_for(env))  # fmt: skip
    summary["out"] = str(out_dir)
    return summary
