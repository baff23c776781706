"""How monetary policy works in ``monetary-v0``: impulse responses, reaction functions, loss tables, ZLB.

Every experiment runs the economy with a central-bank rule (or any policy
profile) and the heuristic banks, households and firms, over several seeds:

* :func:`impulse_responses` - the effect of a shock as the difference between
  a shocked and an unshocked run with **common random numbers** (same seed for
  the economy and for the rule agents; the economy draws a fixed number of
  random words a month, so both runs see the same draws), averaged over seeds
  with 95 % bands (mean +- 1.96 standard errors across seeds);
* :func:`reaction_function` - OLS fit of i_t = c + phi_pi pi_t + phi_y y_t +
  rho i_{t-1} on simulated months (pi: 12-month inflation, y: the 3-month
  output gap the central bank observes, i: the rate it chose, all %/yr);
* :func:`loss_table` - the central bank's discounted loss
  sum_t beta^t [(pi - pi*)^2 + lambda y^2 + mu (di)^2] per rule, mean +- sd
  over seeds, with other summary statistics;
* :func:`wealth_gini` - the Gini of household wealth month by month;
* :func:`zlb_experiment` - a large fall in demand with and without the zero
  lower bound.

:func:`run_cli` is ``econ-envs analyze monetary-v0 ...``; it writes the seed's
outputs (``simulation_history.csv``, ``macro_variables.png``,
``agent_rewards.png``, ``policy_transmission.png``, ``summary.json``) and one
file per analysis.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from econ_envs.monetary.env import MonetaryEnv
from econ_envs.monetary.policies import CENTRAL_BANK_RULES, RuleProfile

RULES = tuple(CENTRAL_BANK_RULES)
SHOCK_SIZES = {"policy_rate": 1.0, "cost_push": 5.0, "demand": -5.0, "credit": 2.0}
SHOCK_TITLES = {
    "policy_rate": "+100 bp policy-rate shock",
    "cost_push": "+5 % cost-push (wage) shock",
    "demand": "-5 % demand shock",
    "credit": "credit crisis: +2 % of borrowers default",
}
# variable: (aggregate key, "pct" = percent difference / "pp" = difference in points, label)
IRF_VARIABLES = {
    "policy_rate": ("policy_rate", "pp", "policy rate (pp)"),
    "inflation_12m": ("inflation_12m", "pp", "12-month inflation (pp)"),
    "inflation": ("inflation", "pp", "monthly inflation, annualised (pp)"),
    "price_level": ("price_level", "pct", "price level (%)"),
    "gdp": ("gdp", "pct", "output (%)"),
    "output_gap": ("output_gap", "pp", "output gap (pp)"),
    "unemployment": ("unemployment", "pp100", "unemployment (pp)"),
    "credit": ("credit", "pct", "credit (%)"),
    "lending_rate": ("lending_rate", "pp", "lending rate (pp)"),
    "consumption": ("consumption", "pct", "consumption (%)"),
    "investment": ("investment", "pct", "investment (%)"),
    "new_loans": ("new_loans", "pct_mean", "new loans (% of baseline mean)"),
}
PLOT_IRF = ("policy_rate", "inflation_12m", "gdp", "unemployment", "credit", "lending_rate")


def _profile_factory(policy: str | type) -> Callable[[MonetaryEnv], Any]:
    if isinstance(policy, str):
        if policy not in CENTRAL_BANK_RULES:
            raise ValueError(f"unknown central-bank rule {policy!r}; choose from {list(RULES)}")
        return type(f"{policy}_profile", (RuleProfile,), {"cb_rule": policy})
    if not callable(policy):
        raise TypeError(f"policy must be a rule name or a profile class, got {type(policy).__name__}")
    return policy


def _check_seeds(seeds: Any) -> list[int]:
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        if seeds < 1:
            raise ValueError(f"seeds must be a positive count, got {seeds}")
        return list(range(int(seeds)))
    out = [int(s) for s in seeds]
    if not out:
        raise ValueError("seeds must not be empty")
    return out


def simulate(
    policy: str | type = "taylor93",
    seed: int = 0,
    months: int | None = None,
    shocks: Mapping[int, Mapping[str, float]] | None = None,
    **env_kwargs: Any,
) -> dict[str, np.ndarray]:
    """One run: ``aggregates()`` of every month as columns (``month`` 1..T), plus per-role mean rewards.

    ``shocks`` maps a month index m (0-based: applied before month m+1 is simulated) to
    ``{kind: size}``. Stops early only if the economy collapses.
    """
    kw = dict(env_kwargs)
    if months is not None:
        kw["episode_length"] = int(months)
    env = MonetaryEnv(**kw)
    profile = _profile_factory(policy)(env)
    profile.reset(env, seed)
    rows: list[dict[str, float]] = []
    t = 0
    while not env.episode_over:
        for kind, size in (shocks or {}).get(t, {}).items():
            env.apply_shock(kind, size)
        env.step_batch(profile.act(env))
        rows.append(env.aggregates())
        t += 1
    return {k: np.array([r[k] for r in rows]) for k in rows[0]}


# -------------------------------------------------------------------------------- impulse responses
def impulse_responses(
    kind: str,
    size: float | None = None,
    seeds: int | Sequence[int] = 20,
    policy: str | type = "taylor93",
    burn_in: int = 24,
    horizon: int = 36,
    variables: Sequence[str] | None = None,
    **env_kwargs: Any,
) -> dict[str, Any]:
    """Average effect of a ``kind`` shock of ``size`` (see ``MonetaryEnv.apply_shock``) over ``horizon`` months.

    For every seed the economy runs ``burn_in`` months, then the same seed is continued with and
    without the shock (common random numbers). Returns ``{"months": 0..horizon-1, "responses":
    {variable: {"mean", "lo", "hi", "unit"}}, ...}`` where month 0 is the first shocked month and the
    band is the mean +- 1.96 standard errors across seeds.
    """
    size = SHOCK_SIZES[kind] if size is None and kind in SHOCK_SIZES else size
    seeds = _check_seeds(seeds)
    variables = list(variables or IRF_VARIABLES)
    unknown = [v for v in variables if v not in IRF_VARIABLES]
    if unknown:
        raise ValueError(f"unknown variable(s) {unknown}; choose from {list(IRF_VARIABLES)}")
    months = burn_in + horizon
    diffs: dict[str, list[np.ndarray]] = {v: [] for v in variables}
    for s in seeds:
        base = simulate(policy, s, months, **env_kwargs)
        shock = simulate(policy, s, months, shocks={burn_in: {kind: size}}, **env_kwargs)
        n = min(len(base["month"]), len(shock["month"]))
        if n < months:
            raise RuntimeError(f"seed {s}: the economy collapsed after {n} months; no response can be computed")
        for v in variables:
            key, unit, _ = IRF_VARIABLES[v]
            a = base[key][burn_in:months]
            b = shock[key][burn_in:months]
            if unit == "pct":
                d = 100.0 * (b / a - 1.0)
            elif unit == "pct_mean":
                d = 100.0 * (b - a) / max(float(np.mean(base[key])), 1e-12)
            elif unit == "pp100":
                d = 100.0 * (b - a)
            else:
                d = b - a
            diffs[v].append(d)
    out: dict[str, Any] = {
        "kind": kind,
        "size": size,
        "policy": policy if isinstance(policy, str) else getattr(policy, "__name__", "custom"),
        "seeds": seeds,
        "burn_in": burn_in,
        "horizon": horizon,
        "months": list(range(horizon)),
        "responses": {},
    }
    for v in variables:
        d = np.array(diffs[v])
        mean = d.mean(axis=0)
        se = d.std(axis=0, ddof=1) / math.sqrt(len(seeds)) if len(seeds) > 1 else np.zeros_like(mean)
        out["responses"][v] = {
            "label": IRF_VARIABLES[v][2],
            "mean": mean.tolist(),
            "lo": (mean - 1.96 * se).tolist(),
            "hi": (mean + 1.96 * se).tolist(),
        }
    return out


# ------------------------------------------------------------------------------------ reaction function
def reaction_function(
    seeds: int | Sequence[int] = 20, policy: str | type = "taylor93", months: int = 120, **env_kwargs: Any
) -> dict[str, Any]:
    """OLS of i_t = c + phi_pi pi_t + phi_y y_t + rho i_{t-1} on simulated months (all %/yr).

    pi_t and y_t are what the central bank observed when it chose i_t (12-month inflation and the
    3-month output gap); i_{t-1} is the rate it had chosen the month before. Long-run responses are
    phi / (1 - rho). Standard errors are the usual OLS ones (months are not independent, so read
    them as rough).
    """
    seeds = _check_seeds(seeds)
    histories = [simulate(policy, s, months, **env_kwargs) for s in seeds]
    name = policy if isinstance(policy, str) else getattr(policy, "__name__", "custom")
    return fit_reaction_function(histories, name, seeds, months)


def fit_reaction_function(
    histories: Sequence[Mapping[str, np.ndarray]], name: str, seeds: Sequence[int], months: int
) -> dict[str, Any]:
    """The OLS fit of :func:`reaction_function` on given runs (``simulate`` outputs, one per seed)."""
    X: list[list[float]] = []
    y: list[float] = []
    for h in histories:
        i = h["cb_rate"]
        pi = h["inflation_12m"]
        gap3 = np.convolve(h["output_gap"], np.ones(3) / 3.0, mode="full")[: len(i)]
        gap3[:2] = h["output_gap"][:2]  # the first months' averages include the reset state; keep it simple
        for t in range(1, len(i)):
            X.append([1.0, pi[t - 1], gap3[t - 1], i[t - 1]])
            y.append(i[t])
    Xa = np.array(X)
    ya = np.array(y)
    seeds = list(seeds)
    if np.ptp(ya) == 0.0:
        # the rate never moved (e.g. a fixed rate): no response to inflation or the gap can be identified
        nan = float("nan")
        return {
            "policy": name, "seeds": seeds, "months": months, "observations": int(len(ya)), "identified": False,
            "coefficients": {"c": float(ya[0]), "phi_pi": 0.0, "phi_y": 0.0, "rho": nan},
            "std_errors": {"c": nan, "phi_pi": nan, "phi_y": nan, "rho": nan},
            "long_run": {"phi_pi": 0.0, "phi_y": 0.0}, "r_squared": nan, "taylor_principle": False,
        }  # fmt: skip
    beta, *_ = np.linalg.lstsq(Xa, ya, rcond=None)
    resid = ya - Xa @ beta
    dof = max(len(ya) - Xa.shape[1], 1)
    sigma2 = float(resid @ resid) / dof
    try:
        cov = sigma2 * np.linalg.inv(Xa.T @ Xa)
        se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    except np.linalg.LinAlgError:
        se = np.full(4, np.nan)
    tss = float(((ya - ya.mean()) ** 2).sum())
    r2 = 1.0 - float(resid @ resid) / tss if tss > 0 else float("nan")
    c, phi_pi, phi_y, rho = (float(b) for b in beta)
    lr = 1.0 - rho
    return {
        "policy": name,
        "seeds": seeds,
        "months": months,
        "observations": int(len(ya)),
        "identified": True,
        "coefficients": {"c": c, "phi_pi": phi_pi, "phi_y": phi_y, "rho": rho},
        "std_errors": dict(zip(("c", "phi_pi", "phi_y", "rho"), (float(v) for v in se))),
        "long_run": {
            "phi_pi": phi_pi / lr if abs(lr) > 1e-9 else float("nan"),
            "phi_y": phi_y / lr if abs(lr) > 1e-9 else float("nan"),
        },
        "r_squared": r2,
        "taylor_principle": bool(abs(lr) > 1e-9 and phi_pi / lr > 1.0),
    }


# ------------------------------------------------------------------------------------------- loss table
def loss_table(
    seeds: int | Sequence[int] = 20,
    rules: Sequence[str] = RULES,
    months: int = 120,
    discount: float | None = None,
    **env_kwargs: Any,
) -> dict[str, Any]:
    """Discounted central-bank loss per rule over seeds (mean, sd), with inflation, gap and unemployment stats."""
    seeds = _check_seeds(seeds)
    table: dict[str, Any] = {}
    beta = discount if discount is not None else MonetaryEnv(**env_kwargs).params.loss_discount
    floor = 0.0 if env_kwargs.get("zero_lower_bound", True) else env_kwargs.get("rate_floor", -5.0)
    for rule in rules:
        runs = [episode_summary(simulate(rule, s, months, **env_kwargs), beta, floor) for s in seeds]
        losses = [r["discounted_loss"] for r in runs]
        pis, pi_sd = [r["inflation_12m"] for r in runs], [r["inflation_12m_within_sd"] for r in runs]
        gaps, us = [r["output_gap"] for r in runs], [r["unemployment"] for r in runs]
        umax, rates = [r["unemployment_max"] for r in runs], [r["policy_rate"] for r in runs]
        zlb = [r["months_at_floor"] for r in runs]
        table[rule] = {
            "discounted_loss_mean": float(np.mean(losses)),
            "discounted_loss_sd": float(np.std(losses, ddof=1)) if len(losses) > 1 else 0.0,
            "inflation_12m_mean": float(np.mean(pis)),
            "inflation_12m_sd": float(np.mean(pi_sd)),
            "output_gap_mean": float(np.mean(gaps)),
            "unemployment_mean": float(np.mean(us)),
            "unemployment_max": float(np.max(umax)),
            "policy_rate_mean": float(np.mean(rates)),
            "share_months_at_floor": float(np.mean(zlb)),
            "losses": losses,
        }
    return {"seeds": seeds, "months": months, "rules": list(rules), "table": table}


def episode_summary(history: Mapping[str, np.ndarray], discount: float, floor: float = 0.0) -> dict[str, float]:
    """One run's central-bank loss sum_t discount^t loss_t and its means, as the loss table computes them.

    ``floor`` is the policy-rate floor (%/yr) for the share of months at it; ``rate_volatility``
    is the standard deviation of the monthly change of the policy rate (pp).
    """
    h = history
    w = discount ** np.arange(len(h["cb_loss"]))
    rate = np.asarray(h["policy_rate"], dtype=float)
    return {
        "discounted_loss": float(w @ h["cb_loss"]),
        "inflation_12m": float(h["inflation_12m"].mean()),
        "inflation_12m_within_sd": float(h["inflation_12m"].std()),
        "output_gap": float(h["output_gap"].mean()),
        "unemployment": float(h["unemployment"].mean()),
        "unemployment_max": float(h["unemployment"].max()),
        "policy_rate": float(rate.mean()),
        "rate_volatility": float(np.diff(rate).std()) if rate.size > 1 else 0.0,
        "months_at_floor": float(np.mean(rate <= floor + 1e-9)),
    }


def loss_table_markdown(result: Mapping[str, Any]) -> str:
    """The loss table as a Markdown table (sorted by mean loss)."""
    rows = sorted(result["table"].items(), key=lambda kv: kv[1]["discounted_loss_mean"])
    lines = [
        "| rule | discounted loss (mean ± sd) | 12-month inflation (%/yr) | output gap (%) | unemployment "
        "(mean / worst month) | policy rate (%/yr) | months at floor |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for rule, r in rows:
        lines.append(
            f"| {rule} | {r['discounted_loss_mean']:.0f} ± {r['discounted_loss_sd']:.0f} | "
            f"{r['inflation_12m_mean']:.2f} (sd {r['inflation_12m_sd']:.2f}) | {r['output_gap_mean']:.2f} | "
            f"{100 * r['unemployment_mean']:.1f} % / {100 * r['unemployment_max']:.0f} % | "
            f"{r['policy_rate_mean']:.2f} | {100 * r['share_months_at_floor']:.0f} % |"
        )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------- inequality
def wealth_gini(
    seeds: int | Sequence[int] = 20, policy: str | type = "taylor93", months: int = 120, **env_kwargs: Any
) -> dict[str, Any]:
    """Gini of household wealth (deposits - debt + ownership share of firm and bank equity) by month."""
    seeds = _check_seeds(seeds)
    g = np.array([simulate(policy, s, months, **env_kwargs)["wealth_gini"] for s in seeds])
    return {
        "seeds": seeds,
        "months": list(range(1, g.shape[1] + 1)),
        "mean": g.mean(axis=0).tolist(),
        "p10": np.percentile(g, 10, axis=0).tolist(),
        "p90": np.percentile(g, 90, axis=0).tolist(),
    }


# ------------------------------------------------------------------------------------------- zero lower bound
def zlb_experiment(
    seeds: int | Sequence[int] = 20,
    policy: str | type = "taylor93",
    demand_shock: float = -10.0,
    burn_in: int = 24,
    horizon: int = 48,
    **env_kwargs: Any,
) -> dict[str, Any]:
    """A large fall in demand (``demand_shock`` %) with and without the zero lower bound.

    Without it the policy rate may fall to ``rate_floor`` (-5 %/yr by default). Returns both sets of
    impulse responses and the central bank's discounted loss from the shock on.
    """
    seeds = _check_seeds(seeds)
    out: dict[str, Any] = {"demand_shock": demand_shock, "seeds": seeds, "burn_in": burn_in, "horizon": horizon}
    for label, zlb in (("with_zlb", True), ("without_zlb", False)):
        kw = dict(env_kwargs, zero_lower_bound=zlb)
        irf = impulse_responses(
            "demand", demand_shock, seeds, policy, burn_in, horizon,
            variables=("policy_rate", "inflation_12m", "gdp", "unemployment", "credit"), **kw,
        )  # fmt: skip
        losses, floor_months, min_rate = [], [], []
        beta = MonetaryEnv(**kw).params.loss_discount
        for s in seeds:
            h = simulate(policy, s, burn_in + horizon, shocks={burn_in: {"demand": demand_shock}}, **kw)
            loss = h["cb_loss"][burn_in:]
            losses.append(float((beta ** np.arange(len(loss))) @ loss))
            floor = 0.0 if zlb else MonetaryEnv(**kw).params.rate_floor
            floor_months.append(float(np.sum(h["policy_rate"][burn_in:] <= floor + 1e-9)))
            min_rate.append(float(h["policy_rate"][burn_in:].min()))
        out[label] = {
            "irf": irf,
            "discounted_loss_mean": float(np.mean(losses)),
            "discounted_loss_sd": float(np.std(losses, ddof=1)) if len(losses) > 1 else 0.0,
            "months_at_floor_mean": float(np.mean(floor_months)),
            "min_policy_rate_mean": float(np.mean(min_rate)),
        }
    return out


# ------------------------------------------------------------------------------------------------ outputs
def _mpl():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def write_history_csv(history: Mapping[str, np.ndarray], path: Path) -> None:
    keys = list(history)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(keys)
        for t in range(len(history[keys[0]])):
            w.writerow([repr(float(history[k][t])) for k in keys])


def plot_rewards(history: Mapping[str, np.ndarray], path: Path, title: str) -> None:
    plt = _mpl()
    fig, axes = plt.subplots(2, 2, figsize=(11, 6), squeeze=False)
    for ax, (key, label) in zip(
        axes.flat,
        (("cb_reward", "central bank: -loss"), ("bank_reward", "banks (mean)"),
         ("household_reward", "households (mean)"), ("firm_reward", "firms (mean)")),
    ):  # fmt: skip
        ax.plot(history["month"], history[key], linewidth=1.2)
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("month")
        ax.set_ylabel("reward per month", fontsize=9)
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_irfs(
    irfs: Mapping[str, Mapping[str, Any]],
    path: Path,
    variables: Sequence[str] = PLOT_IRF,
    compare: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
    label: str | None = None,
) -> None:
    """One row per shock, one column per variable: mean response with its 95 % band.

    ``compare`` maps a label to another policy's ``irfs`` (same shocks), drawn over the first in
    other colours with a legend; ``label`` names the first policy in that legend.
    """
    plt = _mpl()
    series = [(label, irfs, "C0")] + [(k, v, f"C{j + 1}") for j, (k, v) in enumerate((compare or {}).items())]
    kinds = list(irfs)
    fig, axes = plt.subplots(len(kinds), len(variables), figsize=(2.9 * len(variables), 2.3 * len(kinds) + 0.4),
                             squeeze=False, layout="constrained")  # fmt: skip
    for r, kind in enumerate(kinds):
        irf = irfs[kind]
        for c, v in enumerate(variables):
            ax = axes[r, c]
            resp = irf["responses"].get(v)
            if resp is None:
                ax.set_visible(False)
                continue
            for name, other, color in series:
                o = other[kind]["responses"][v] if kind in other and v in other[kind]["responses"] else None
                if o is None:
                    continue
                ax.fill_between(other[kind]["months"], o["lo"], o["hi"], alpha=0.2, color=color, linewidth=0)
                ax.plot(other[kind]["months"], o["mean"], color=color, linewidth=1.4, label=name)
            ax.axhline(0.0, color="k", linewidth=0.6)
            ax.grid(alpha=0.3)
            if r == 0:
                ax.set_title(resp["label"], fontsize=9)
            if c == 0:
                ax.set_ylabel(SHOCK_TITLES.get(kind, kind), fontsize=8)
            if r == len(kinds) - 1:
                ax.set_xlabel("months after the shock", fontsize=8)
            ax.tick_params(labelsize=7)
    n = len(next(iter(irfs.values()))["seeds"])
    fig.suptitle(f"monetary-v0 impulse responses: shocked - unshocked run, same seeds, mean of {n} seeds, 95 % band",
                 fontsize=10)  # fmt: skip
    if compare:
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=len(handles), fontsize=8, frameon=False)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_series(series: Mapping[str, Any], path: Path, title: str, ylabel: str) -> None:
    plt = _mpl()
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.fill_between(series["months"], series["p10"], series["p90"], alpha=0.25, linewidth=0, label="10-90 %")
    ax.plot(series["months"], series["mean"], linewidth=1.4, label="mean")
    ax.set_xlabel("month")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_zlb(result: Mapping[str, Any], path: Path) -> None:
    from econ_envs.core.plotting import unit_of

    plt = _mpl()
    variables = ("policy_rate", "inflation_12m", "gdp", "unemployment")
    fig, axes = plt.subplots(1, len(variables), figsize=(3.3 * len(variables), 3.3), squeeze=False,
                             layout="constrained")  # fmt: skip
    for c, v in enumerate(variables):
        ax = axes[0, c]
        for label, color, text in (("with_zlb", "C3", "with the zero lower bound"),
                                   ("without_zlb", "C0", "without it (the rate may go negative)")):  # fmt: skip
            resp = result[label]["irf"]["responses"][v]
            x = result[label]["irf"]["months"]
            ax.fill_between(x, resp["lo"], resp["hi"], alpha=0.2, color=color, linewidth=0)
            ax.plot(x, resp["mean"], color=color, linewidth=1.3, label=f"{text}: mean, 95 % band")
        ax.axhline(0.0, color="k", linewidth=0.6)
        title = result["with_zlb"]["irf"]["responses"][v]["label"]
        ax.set_title(title, fontsize=9)
        ax.set_ylabel(f"shocked - unshocked ({unit_of(title) or 'level'})", fontsize=8)
        ax.set_xlabel("months after the shock", fontsize=8)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=7)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2, fontsize=8, frameon=False)
    fig.suptitle(f"{result['demand_shock']:+g} % demand shock with and without the zero lower bound", fontsize=10)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _json_safe(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {str(k): _json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_safe(v) for v in x]
    if isinstance(x, np.generic):
        return _json_safe(x.item())
    if isinstance(x, np.ndarray):
        return _json_safe(x.tolist())
    return x


def _dump(obj: Any, path: Path) -> None:
    with open(path, "w") as f:
        json.dump(_json_safe(obj), f, indent=1)


# ---------------------------------------------------------------------------------------------------- CLI
ANALYSES = ("simulate", "irf", "reaction", "loss-table", "gini", "zlb", "all")


def run_cli(argv: Sequence[str]) -> int:
    """``econ-envs analyze monetary-v0 {simulate,irf,reaction,loss-table,gini,zlb,all} [options]``."""
    from econ_envs.core.params import parse_assignments
    from econ_envs.core.progress import Progress
    from econ_envs.core.simulate import plot_history
    from econ_envs.monetary import PLOT_LABELS, PLOT_PANELS

    ap = argparse.ArgumentParser(prog="econ-envs analyze monetary-v0", description=__doc__.splitlines()[0])
    ap.add_argument("analysis", choices=ANALYSES)
    ap.add_argument("--seeds", type=int, default=20, help="number of seeds (0..N-1)")
    ap.add_argument("--policy", default="taylor93", choices=RULES, help="central-bank rule")
    ap.add_argument("--months", type=int, default=None, help="months per run (default: episode length)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the single run written by 'simulate'")
    ap.add_argument("--out", default="runs/monetary_analysis", help="output folder")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="environment argument")
    ap.add_argument("--quiet", action="store_true", help="no progress line")
    args = ap.parse_args(list(argv))
    if args.seeds < 1:
        raise ValueError(f"--seeds must be at least 1, got {args.seeds}")
    env_kwargs = parse_assignments(args.set)
    env = MonetaryEnv(**env_kwargs)  # validates the settings before any work
    months = args.months if args.months is not None else env.params.episode_length
    if months < 1:
        raise ValueError(f"--months must be positive, got {months}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    todo = ANALYSES[:-1] if args.analysis == "all" else (args.analysis,)
    summary: dict[str, Any] = {"env_id": "monetary-v0", "policy": args.policy, "seeds": args.seeds,
                               "months": months, "settings": env.params.to_dict()}  # fmt: skip
    t0 = time.perf_counter()
    written: list[str] = []
    bar = Progress(len(todo), f"analyze monetary-v0 {args.analysis}", enabled=not args.quiet, unit="analyses",
                   every_s=0.0)  # fmt: skip
    if "simulate" in todo:
        bar.update(todo.index("simulate"), note="running simulate ...")
        h = simulate(args.policy, args.seed, months, **env_kwargs)
        write_history_csv(h, out / "simulation_history.csv")
        rows = [{k: float(h[k][t]) for k in h} | {"step": float(h["month"][t])} for t in range(len(h["month"]))]
        plot_history(rows, PLOT_PANELS, out / "macro_variables.png", f"monetary-v0: {args.policy} (seed {args.seed})",
                     x_label="month", labels=PLOT_LABELS)  # fmt: skip
        plot_rewards(h, out / "agent_rewards.png", f"monetary-v0 rewards: {args.policy} (seed {args.seed})")
        summary["simulation"] = {
            "seed": args.seed,
            "months_run": int(len(h["month"])),
            "averages": {k: float(np.mean(v)) for k, v in h.items()},
            "final": {k: float(v[-1]) for k, v in h.items()},
        }
        written += ["simulation_history.csv", "macro_variables.png", "agent_rewards.png"]
    if "irf" in todo:
        bar.update(todo.index("irf"), note="running irf ...")
        irfs = {kind: impulse_responses(kind, None, args.seeds, args.policy, **env_kwargs) for kind in SHOCK_SIZES}
        _dump(irfs, out / "impulse_responses.json")
        plot_irfs(irfs, out / "policy_transmission.png")
        summary["impulse_responses"] = {
            kind: {v: {"min": float(min(r["mean"])), "max": float(max(r["mean"])),
                       "mean_first_24_months": float(np.mean(r["mean"][:24]))}
                   for v, r in irf["responses"].items()}
            for kind, irf in irfs.items()
        }  # fmt: skip
        written += ["impulse_responses.json", "policy_transmission.png"]
    if "reaction" in todo:
        bar.update(todo.index("reaction"), note="running reaction ...")
        rf = {rule: reaction_function(args.seeds, rule, months, **env_kwargs) for rule in RULES}
        _dump(rf, out / "reaction_functions.json")
        summary["reaction_functions"] = {r: v["coefficients"] | {"r_squared": v["r_squared"]} for r, v in rf.items()}
        written.append("reaction_functions.json")
    if "loss-table" in todo:
        bar.update(todo.index("loss-table"), note="running loss-table ...")
        lt = loss_table(args.seeds, RULES, months, **env_kwargs)
        _dump(lt, out / "loss_table.json")
        (out / "loss_table.md").write_text(loss_table_markdown(lt))
        summary["loss_table"] = {r: {k: v for k, v in row.items() if k != "losses"} for r, row in lt["table"].items()}
        written += ["loss_table.json", "loss_table.md"]
    if "gini" in todo:
        bar.update(todo.index("gini"), note="running gini ...")
        g = wealth_gini(args.seeds, args.policy, months, **env_kwargs)
        _dump(g, out / "wealth_gini.json")
        plot_series(g, out / "wealth_gini.png", f"Gini of household wealth ({args.policy}, {args.seeds} seeds)", "Gini")
        summary["wealth_gini"] = {"first": g["mean"][0], "last": g["mean"][-1]}
        written += ["wealth_gini.json", "wealth_gini.png"]
    if "zlb" in todo:
        bar.update(todo.index("zlb"), note="running zlb ...")
        z = zlb_experiment(args.seeds, args.policy, **env_kwargs)
        _dump(z, out / "zlb.json")
        plot_zlb(z, out / "zlb.png")
        summary["zlb"] = {k: {kk: vv for kk, vv in z[k].items() if kk != "irf"} for k in ("with_zlb", "without_zlb")}
        written += ["zlb.json", "zlb.png"]
    bar.update(len(todo), note="done")
    bar.close()
    summary["wall_time_s"] = time.perf_counter() - t0
    _dump(summary, out / "summary.json")
    written.append("summary.json")
    print(f"monetary-v0 {args.analysis}: {args.seeds} seeds, {months} months; wrote {out}/{{{', '.join(written)}}}")
    return 0
