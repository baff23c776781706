"""Evaluate a trained checkpoint against the family's baselines on the same seeds.

``econ-envs evaluate CHECKPOINT [--episodes K] [--out DIR]``. Restores the
algorithm from the checkpoint (RLlib unpickles it: trusted checkpoints only), or the
modules from a weights-only export (``econ-envs export-weights``), plays its modules
deterministically (the mean action) and the family's rule baselines on the same
evaluation seeds, and writes:

* ``comparison.csv`` / ``comparison.md`` - one row per (government, households)
  pair: mean +- sd over episodes of the task reward and the economy's key metrics;
* ``histories/`` - the aggregates of every year of every episode, one CSV each;
* ``comparison.png`` - the task metric and welfare by government, and GDP over time.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

import econ_envs
from econ_envs.core.progress import Progress
from econ_envs.core.simulate import write_history
from econ_envs.rllib.monetary import evaluate_monetary
from econ_envs.rllib.population import module_actions

EVAL_SEED0 = 10_000  # evaluation seeds start here (training uses small seeds)


def _checkpoint_dir(checkpoint: str | Path) -> Path:
    path = Path(checkpoint).resolve()  # Ray reads a relative path as a URI without a scheme
    if not path.is_dir():
        raise ValueError(f"checkpoint {path} is not a folder")
    if not (path / "algorithm_state.pkl").exists() and not (path / "rllib_checkpoint.json").exists():
        raise ValueError(f"{path} does not look like an RLlib checkpoint (no algorithm_state.pkl)")
    return path


def load_checkpoint(checkpoint: str | Path) -> Any:
    """The Algorithm saved in ``checkpoint`` (an RLlib checkpoint folder), or the modules of a weights-only
    export (``econ-envs export-weights``; loaded without unpickling). An RLlib checkpoint can execute code
    when loaded: only load trusted ones."""
    from econ_envs.rllib.checkpoints import check_rllib_checkpoint, is_export, load_export, rllib_restore_error

    path = Path(checkpoint).resolve()  # Ray reads a relative path as a URI without a scheme
    if path.is_dir() and is_export(path):
        return load_export(path)
    check_rllib_checkpoint(path)
    from ray.rllib.algorithms.algorithm import Algorithm

    from econ_envs.rllib.env import register_economies
    from econ_envs.rllib.train import init_ray

    init_ray()
    register_economies()
    try:
        return Algorithm.from_checkpoint(str(path.resolve()))  # pyarrow needs an absolute path
    except Exception as exc:  # corrupt or incompatible checkpoint: say so plainly
        raise rllib_restore_error(path, exc) from exc


class CheckpointPolicies:
    """What evaluation reads from a trained algorithm - its config, its modules, its iteration.

    Stands in for the Algorithm in the evaluators (``config``, ``get_module``, ``iteration``,
    ``stop``) without building one: no Ray, no Learner or EnvRunner, no callbacks (the taxai
    behaviour-cloning warm start would otherwise run again, only to be overwritten).
    """

    def __init__(self, config: Any, modules: Any, iteration: int) -> None:
        self.config = config
        self.modules = modules
        self.iteration = int(iteration)

    def get_module(self, module_id: str | None = None) -> Any:
        from ray.rllib.core import DEFAULT_MODULE_ID

        module_id = DEFAULT_MODULE_ID if module_id is None else module_id
        if module_id not in self.modules:
            raise ValueError(f"the checkpoint has no module {module_id!r}; it has {sorted(self.modules.keys())}")
        return self.modules[module_id]

    def stop(self) -> None:
        """Nothing to release (the Algorithm's ``stop``)."""


def load_policies(checkpoint: str | Path, config: Any, iteration: int) -> CheckpointPolicies:
    """The trained modules in ``checkpoint`` with the ``config`` that trained them (known to the caller).

    Reads only the Learner's module folder (``learner_group/learner/rl_module``) through RLlib,
    which unpickles the modules' constructor arguments and states: load only trusted checkpoints.
    """
    from ray.rllib.core.rl_module.multi_rl_module import MultiRLModule

    path = _checkpoint_dir(checkpoint)
    module_dir = path / "learner_group" / "learner" / "rl_module"
    if not module_dir.is_dir():
        raise ValueError(f"{path} has no learner_group/learner/rl_module folder (not a new-API-stack checkpoint)")
    try:
        modules = MultiRLModule.from_checkpoint(str(module_dir))
    except Exception as exc:  # corrupt or incompatible checkpoint: say so plainly
        raise ValueError(f"could not restore the modules in {module_dir}: {type(exc).__name__}: {exc}") from exc
    return CheckpointPolicies(config, modules, iteration)


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """Run the modules' small forward passes (one per role and year) on one torch thread.

    A 64-unit MLP on 100 households gains nothing from more threads, and on a busy machine their
    contention is ruinous: a 300-year taxai episode with 100 households took 0.3 s on one thread
    against 6-17 s on two (2-core machine shared with other jobs)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def module_actor(module: Any, space: Any) -> Callable[[np.ndarray], np.ndarray]:
    """A deterministic policy (observations -> env actions) from an RLModule."""

    def act(obs: np.ndarray) -> np.ndarray:
        return module_actions(module, obs, space, explore=False)["env"]

    return act


def play(
    env_id: str,
    env_config: dict[str, Any],
    actors: dict[str, Callable[[np.ndarray], np.ndarray]],
    seed: int,
    reset_hook: Callable[[Any, int], None] | None = None,
) -> tuple[list[dict[str, float]], dict[str, float], str]:
    """One episode with ``actors`` (role -> policy); returns (history rows, role returns, end reason)."""
    env = econ_envs.make(env_id, **env_config)
    if reset_hook is not None:
        reset_hook(env, seed)
    else:
        env.reset_batch(seed=seed)
    returns = {name: 0.0 for name in env.roles}
    rows: list[dict[str, float]] = []
    reason = "step limit"
    while not env.episode_over:
        obs = env.batch_observations()
        res = env.step_batch({name: actors[name](obs[name]) for name in env.roles})
        for name in env.roles:
            returns[name] += float(np.sum(res.rewards[name]))
        rows.append({"step": float(len(rows) + 1), **env.aggregates()})
        if res.terminated:
            reason = "terminated: " + res.info.get("termination_reason", "")
        elif res.truncated:
            reason = "truncated"
    return rows, returns, reason


def _stats(values: list[float]) -> tuple[float, float]:
    v = np.asarray(values, dtype=float)
    return float(np.mean(v)), float(np.std(v))


# ------------------------------------------------------------------------------------- taxai
def taxai_modules(algo: Any) -> tuple[Any, Any]:
    """(government module, household module or None for the planner view) of a taxai algorithm."""
    cfg = algo.config
    if cfg.env == "econ_envs/TaxAI-Planner-v0":
        return algo.get_module(), None
    mapping = cfg.policy_mapping_fn
    return algo.get_module(mapping("government", None)), algo.get_module(mapping("household_0", None))


def _taxai_cases(
    algo: Any, optimal: bool = False
) -> tuple[dict[str, Any], list[tuple[str, str, str, dict[str, Any], Any]]]:
    """(env_config, cases): each case = (government, households, env_id, env_config, actors factory).

    ``optimal``: also every government against optimal households (rule governments: the
    perfect-foresight equilibrium of each seed; the learned government: anticipated utility)."""
    from econ_envs.taxai import policies as P

    cfg = algo.config
    env_id = cfg.env
    env_config = dict(cfg.env_config)
    planner = env_id == "econ_envs/TaxAI-Planner-v0"
    hh_rule = env_config.pop("household_policy", "buffer_stock") if planner else "buffer_stock"
    base = {k: v for k, v in env_config.items()}
    proto = econ_envs.make("taxai-v0", **base)
    gov_module, hh_module = taxai_modules(algo)
    gov_learned = gov_module if not _is_rule(gov_module) else None
    hh_learned = hh_module if hh_module is not None and not _is_rule(hh_module) else None
    households = {"buffer_stock": None}
    if hh_learned is not None:
        households = {"learned": hh_learned, hh_rule: None}
    elif hh_module is not None and _is_rule(hh_module):
        households = {"rule_module": hh_module}
    if optimal:
        households["optimal"] = None
    cases = []
    for hh_name, hh_mod in households.items():
        govs: list[tuple[str, Any]] = []
        if gov_learned is not None:
            govs.append(("learned", gov_learned))
        govs += [("free_market", None), ("us_federal", None), ("saez", None)]
        if _best_hsv_available(proto.params.task):  # the strongest classical rule, where it has been searched
            govs.append(("best_hsv", None))
        for gov_name, gov_mod in govs:
            ec = dict(base)
            if gov_mod is None:
                ec.update({k: v for k, v in P.GOVERNMENT_RULES[gov_name].env_overrides.items()})
            cases.append((gov_name, hh_name, "taxai-v0", ec, (gov_name, gov_mod, hh_name, hh_mod)))
    del proto
    return base, cases


def _best_hsv_available(task: str) -> bool:
    from econ_envs.taxai.best_hsv import load_best_hsv

    try:
        load_best_hsv(task)
    except (FileNotFoundError, ValueError):
        return False
    return True


def _is_rule(module: Any) -> bool:
    from econ_envs.rllib.modules import FrozenRuleModule

    return isinstance(module, FrozenRuleModule)


def _taxai_actors(spec: tuple, env: Any) -> tuple[dict[str, Callable], Callable]:
    from econ_envs.taxai import policies as P

    gov_name, gov_mod, hh_name, hh_mod = spec
    gov_space = env.roles["government"].action_space
    hh_space = env.roles["household"].action_space
    if gov_mod is not None:
        gov = module_actor(gov_mod, gov_space)
        gov_rule = None
    else:
        gov_rule = P.make_government_policy(gov_name, env.params)

        def gov(obs: np.ndarray) -> np.ndarray:
            return gov_rule(obs[0])[None, :]

    slot: dict[str, Any] = {}
    if hh_mod is not None:
        hh = module_actor(hh_mod, hh_space)
    elif hh_name == "optimal":

        def hh(obs: np.ndarray) -> np.ndarray:
            return slot["households"](obs)

    else:
        hh = P.make_household_policy(hh_name if hh_name in P.HOUSEHOLD_RULES else "buffer_stock", env.params)

    def reset(env_: Any, seed: int) -> None:
        if hh_name == "optimal":
            from econ_envs.taxai import optimal as O

            if gov_rule is not None:  # households foresee the rule's path: the seed's equilibrium
                eq = O.equilibrium_path(env_.params, gov_name, seed=seed)
                slot["households"] = O.OptimalHouseholds(eq.best_response)
                slot["households"].reset(seed)
            else:  # a learned government: households take each year's environment as permanent
                slot["households"] = O.AnticipatedUtilityHouseholds(env_.params, env=env_)
        if gov_rule is not None:
            gov_rule.reset(seed)
            obs, _ = env_.reset_batch(seed=seed)
            first = gov_rule.initial_action(obs["government"][0])
            env_.reset_batch(seed=seed, options={"policy": first})
        else:
            env_.reset_batch(seed=seed)

    return {"government": gov, "household": hh}, reset


def taxai_selection_score(algo: Any, seeds: list[int], progress: Progress | None = None) -> dict[str, Any]:
    """The deterministic score of a taxai algorithm's own profile on ``seeds`` (model selection).

    Plays the algorithm's government (learned, or its rule module) with its households (the learned
    ones; the rule module; for the planner view its rule households) with the mean actions, exactly as
    :func:`evaluate_taxai` plays the ``learned`` row, one episode per seed. ``score`` = the
    government's task reward per year played (collapse penalty included), mean over the seeds.
    """
    from econ_envs.taxai import policies as P

    cfg = algo.config
    env_config = dict(cfg.env_config)
    if cfg.env == "econ_envs/TaxAI-Planner-v0":
        hh_name = env_config.pop("household_policy", "buffer_stock")
        hh_name = hh_name if hh_name in P.HOUSEHOLD_RULES else "buffer_stock"
    else:
        hh_name = "learned"
    gov_module, hh_module = taxai_modules(algo)
    spec = ("learned", gov_module, hh_name, hh_module)
    env = econ_envs.make("taxai-v0", **env_config)
    actors, reset = _taxai_actors(spec, env)
    per_seed = []
    for seed in seeds:
        with one_torch_thread():
            rows, returns, reason = play("taxai-v0", env_config, actors, int(seed), reset_hook=reset)
        per_seed.append({
            "seed": int(seed), "years": len(rows), "task_reward_per_year": returns["government"] / len(rows),
            "social_welfare": float(np.mean([r["social_welfare"] for r in rows])),
            "collapsed": reason.startswith("terminated"),
        })  # fmt: skip
        if progress is not None:
            progress.advance(note=f"seed {seed}: {len(rows)} years")
    score, score_sd = _stats([e["task_reward_per_year"] for e in per_seed])
    return {
        "score": score, "score_sd": score_sd,
        "years": float(np.mean([e["years"] for e in per_seed])),
        "social_welfare": float(np.mean([e["social_welfare"] for e in per_seed])),
        "collapsed": float(np.mean([e["collapsed"] for e in per_seed])),
        "episode_length": int(env.params.episode_length), "task": env.params.task, "per_seed": per_seed,
    }  # fmt: skip


def evaluate_taxai(
    algo: Any, episodes: int, out_dir: Path, optimal: bool = False, per_seed: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Every (government, households) case on seeds ``EVAL_SEED0 + k``; one row each, mean and sd over seeds.

    ``per_seed``: a list that receives one record per episode (government, households, seed, task
    reward per year, years, social welfare, collapsed), for verdicts judged on the paired seeds.
    """
    base, cases = _taxai_cases(algo, optimal)
    task = base.get("task", "gdp")
    rows_out = []
    hist_dir = out_dir / "histories"
    hist_dir.mkdir(parents=True, exist_ok=True)
    trajectories: dict[str, list[float]] = {}
    bar = Progress(len(cases) * episodes, "evaluate taxai-v0", unit="episodes")
    for gov_name, hh_name, env_id, env_config, spec in cases:
        env = econ_envs.make(env_id, **env_config)
        actors, reset = _taxai_actors(spec, env)
        per_ep = []
        for k in range(episodes):
            seed = EVAL_SEED0 + k
            bar.update(bar.done, note=f"playing {gov_name} / {hh_name}, seed {seed}")
            with one_torch_thread():
                rows, returns, reason = play(env_id, env_config, actors, seed, reset_hook=reset)
            bar.advance(note=f"{gov_name} / {hh_name}: {len(rows)} years")
            write_history(rows, hist_dir / f"{gov_name}__{hh_name}__seed{seed}.csv")
            if k == 0:
                trajectories[f"{gov_name} / {hh_name}"] = [r["gdp_per_household"] for r in rows]
            agg = {key: float(np.mean([r[key] for r in rows])) for key in rows[0] if key != "step"}
            if per_seed is not None:
                per_seed.append({"government": gov_name, "households": hh_name, "seed": seed, "years": len(rows),
                                 "task_reward_per_year": returns["government"] / len(rows),
                                 "social_welfare": agg["social_welfare"],
                                 "collapsed": reason.startswith("terminated")})  # fmt: skip
            per_ep.append(
                {
                    "years": len(rows),
                    "task_reward_per_year": returns["government"] / len(rows),
                    "task_reward_total": returns["government"],
                    "gdp_per_household": agg["gdp_per_household"],
                    "social_welfare": agg["social_welfare"],
                    "wealth_gini": agg["wealth_gini"],
                    "income_gini": agg["income_gini"],
                    "disposable_income_gini": agg["disposable_income_gini"],
                    "debt_to_gdp": agg["debt_to_gdp"],
                    "collapsed": reason.startswith("terminated"),
                }
            )
        row: dict[str, Any] = {"government": gov_name, "households": hh_name, "task": task, "episodes": episodes}
        for key in per_ep[0]:
            m, s = _stats([e[key] for e in per_ep])
            row[key] = m
            row[f"{key}_sd"] = s
        rows_out.append(row)
    bar.close()
    _plot_taxai(rows_out, trajectories, out_dir, task)
    return rows_out


def _plot_taxai(rows: list[dict[str, Any]], traj: dict[str, list[float]], out_dir: Path, task: str) -> None:
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter

    from econ_envs.core.plotting import bar_legend, hbar_panel, plain_numbers

    episodes = int(rows[0].get("episodes", 1)) if rows else 1
    fig, axes = plt.subplots(1, 3, figsize=(16, 1.6 + 0.42 * len(rows)), layout="constrained",
                             gridspec_kw={"width_ratios": [1, 1, 1.25]})  # fmt: skip
    labels = [f"{r['government']} / {r['households']}".replace("_", " ") for r in rows]
    colors = ["tab:orange" if r["government"] == "learned" else "tab:blue" for r in rows]
    for j, (ax, key, title, xlabel) in enumerate((
        (axes[0], "task_reward_per_year", f"Government's task reward ({task})", "task reward per year played"),
        (axes[1], "social_welfare", "Social welfare", "mean household utility per year"),
    )):  # fmt: skip
        hbar_panel(ax, labels, [r[key] for r in rows], [r[f"{key}_sd"] for r in rows], colors, title, xlabel,
                   show_labels=j == 0)  # fmt: skip
    axes[0].set_ylabel("government / households", fontsize=9)
    bar_legend(axes[0], [("tab:orange", "learned government"), ("tab:blue", "baseline government")],
               f"± 1 sd over {episodes} episode(s)")  # fmt: skip
    govs = list(dict.fromkeys(name.split(" / ")[0] for name in traj))
    hhs = list(dict.fromkeys(name.split(" / ")[1] for name in traj))
    styles = ["-", "--", ":", "-."]
    longest = max((len(v) for v in traj.values()), default=0)
    for name, ys in traj.items():
        gov, hh = name.split(" / ")
        color, style = f"C{govs.index(gov) % 10}", styles[hhs.index(hh) % 4]
        years = np.arange(1, len(ys) + 1)
        axes[2].plot(years, ys, color=color, linestyle=style, linewidth=1.2)
        if len(ys) < longest:  # the economy collapsed: mark where
            axes[2].plot(years[-1:], ys[-1:], color=color, marker="x", markersize=7, linestyle="none")
    axes[2].set_xscale("log")
    axes[2].xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    axes[2].set_title("GDP per household, first evaluation seed", fontsize=10)
    axes[2].set_xlabel("year (log scale; x = collapse)")
    axes[2].set_ylabel("USD per household per year", fontsize=9)
    axes[2].grid(alpha=0.3, which="both")
    plain_numbers(axes[2])
    handles = [Line2D([], [], color=f"C{i % 10}", label=f"{g} government".replace("_", " "))
               for i, g in enumerate(govs)]  # fmt: skip
    handles += [Line2D([], [], color="k", linestyle=styles[i % 4], label=f"{h} households".replace("_", " "))
                for i, h in enumerate(hhs)]  # fmt: skip
    axes[2].legend(handles=handles, fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.suptitle(f"taxai-v0 evaluation ({task} task): bars = mean over {episodes} episode(s) on the same seeds, "
                 "error bars = ± 1 standard deviation over the episodes", fontsize=10)  # fmt: skip
    fig.savefig(out_dir / "comparison.png", dpi=100)
    plt.close(fig)


def evaluate_rbc(algo: Any, episodes: int, out_dir: Path) -> list[dict[str, Any]]:
    from econ_envs.rllib.rbc import evaluate_rbc as _evaluate_rbc

    return _evaluate_rbc(algo, episodes, out_dir)


EVALUATORS: dict[str, Callable[[Any, int, Path], list[dict[str, Any]]]] = {
    "taxai-v0": evaluate_taxai,
    "econ_envs/TaxAI-Planner-v0": evaluate_taxai,
    "monetary-v0": evaluate_monetary,
    "econ_envs/Monetary-CentralBank-v0": evaluate_monetary,
    "rbc-v0": evaluate_rbc,
}


def _meanfield_evaluator(algo: Any, episodes: int, out_dir: Path) -> list[dict[str, Any]]:
    from econ_envs.rllib.meanfield import evaluate_meanfield  # torch-heavy: imported when used

    return evaluate_meanfield(algo, episodes, out_dir)


EVALUATORS.update({f"meanfield/{g}-v0": _meanfield_evaluator for g in ("lq", "beach_bar", "macro", "crowd")})


def write_table(rows: list[dict[str, Any]], out_dir: Path, caption: str = "") -> None:
    """``comparison.csv`` and ``comparison.md``; ``caption`` (task, units, seeds, what ± means) heads the latter."""
    keys = list(rows[0].keys())
    with open(out_dir / "comparison.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)
    main = [k for k in keys if not k.endswith("_sd") and k not in ("episodes", "task")]
    with open(out_dir / "comparison.md", "w") as f:
        if caption:
            f.write(caption.strip() + "\n\n")
        f.write("| " + " | ".join(main) + " |\n|" + "---|" * len(main) + "\n")
        for r in rows:
            cells = []
            for k in main:
                v = r[k]
                if isinstance(v, float) and f"{k}_sd" in r:
                    fmt = "{:,.0f} ± {:,.0f}" if abs(v) >= 100 else "{:.4g} ± {:.2g}"
                    cells.append(fmt.format(v, r[f"{k}_sd"]))
                elif isinstance(v, float):
                    cells.append(f"{v:.4g}")
                else:
                    cells.append(str(v))
            f.write("| " + " | ".join(cells) + " |\n")


def _seeds(episodes: int) -> str:
    return f"seed {EVAL_SEED0}" if episodes == 1 else f"seeds {EVAL_SEED0}-{EVAL_SEED0 + episodes - 1}"


def _taxai_task(p: Any) -> str:
    """The government's task reward of ``p`` (``TaxParams``) in words."""
    if p.task == "gdp":
        return {"level": "GDP (the government's reward is GDP per household over its calibrated level y0)",
                "growth": "GDP growth (the government's reward is the growth rate of GDP, TaxAI)",
                "capital_growth": "capital growth (the government's reward is 100 x the growth of capital, DSMFG)",
                }.get(p.gdp_reward, f"GDP ({p.gdp_reward})")  # fmt: skip
    return {"gini": "equality (the government's reward is 1 - (wealth Gini + disposable-income Gini) / 2)",
            "social_welfare": "social welfare (the government's reward is the mean household utility)",
            "gdp_gini": "Sen's index (the government's reward is GDP per household / y0 x (1 - disposable-income "
                        "Gini))"}.get(p.task, p.task)  # fmt: skip


def taxai_caption(algo: Any, episodes: int) -> str:
    return taxai_caption_text(econ_envs.make("taxai-v0", **_taxai_cases(algo)[0]).params, episodes)


def taxai_caption_text(p: Any, episodes: int) -> str:
    """The caption of a taxai comparison table for the economy ``p`` (``TaxParams``)."""
    return (
        f"**Task:** {_taxai_task(p)}, taxai-v0 with {p.n_households:,} households. Each row plays "
        f"one government against one household population for {episodes} episode(s) on evaluation {_seeds(episodes)}, "
        "the same seeds for every row. **Cells:** mean ± standard deviation over the episodes (numpy std, ddof=0). "
        "**Units:** years = years played before a collapse (the full episode is "
        f"{p.episode_length}); task_reward_per_year / task_reward_total = the government's task reward per year "
        "played / summed over the episode; gdp_per_household in USD per household per year; social_welfare = "
        "mean household utility per year; Ginis from 0 (equal) to 1; debt_to_gdp as a multiple of GDP; collapsed "
        f"= share of episodes that ended in a collapse. **Collapse penalty:** a collapse subtracts "
        f"{p.collapse_penalty:g} from the government's reward in its last year; when one happens this dominates "
        "the task reward (it is spread over few years), so compare social_welfare and years as well."
    )


def monetary_caption(algo: Any, episodes: int) -> str:
    from econ_envs.rllib.monetary import ENV_ID, _learned_roles

    p = econ_envs.make(ENV_ID, **_learned_roles(algo)[0]).params
    return (
        "**Task:** the central bank of monetary-v0 minimises its discounted loss, the sum over months of "
        f"{p.loss_discount:g}^t [(inflation - target)^2 + {p.loss_output_weight:g} gap^2 + "
        f"{p.loss_rate_change_weight:g} (rate change)^2]. Each row plays one central bank in one economy (rules: "
        "heuristic banks, households and firms; learned: the checkpoint's) for "
        f"{episodes} episode(s) of {p.episode_length} months on evaluation {_seeds(episodes)}, the same seeds for "
        "every row. **Cells:** mean ± sample standard deviation over the episodes (ddof=1); columns without ± are "
        "single values. **Units:** discounted_loss in squared percentage points (lower is better); inflation_12m "
        "and policy_rate in %/yr; output_gap in % of potential output; unemployment as a fraction of households; "
        "rate_volatility = sd of the monthly policy-rate change in percentage points; months_at_floor = share of "
        "months at the rate floor; phi_pi, phi_y, rho, c = OLS reaction function (rate = c + phi_pi "
        "inflation_-1 + phi_y 3-month gap_-1 + rho rate_-1); loss_vs_taylor93_pct = loss relative to Taylor "
        f"(1993) in the same economy, %; learned_lower_on_seeds = seeds (of {episodes}) on which the learned "
        "bank's loss is lower."
    )


def rbc_caption(algo: Any, episodes: int) -> str:
    from econ_envs.rllib.rbc import EVAL_UNITS

    units = "; ".join(f"{k} in {u}" for k, u in EVAL_UNITS.items())
    return (
        f"**Task:** rbc-v0 (AI Economist RBC): the government maximises social welfare, consumers their utility, "
        f"firms their profit. Each row plays one profile of consumers, firms and government on {episodes} "
        f"replica(s) drawn from seed {EVAL_SEED0}, the same draws for every row. **Cells:** mean ± standard "
        f"deviation over the replicas (numpy std, ddof=0). **Units:** {units}."
    )


def meanfield_caption(algo: Any, episodes: int) -> str:
    return (
        f"**Task:** {algo.config.env}: exact exploitability of each policy (the gain of the best response against "
        "the population playing it; 0 = Nash equilibrium, lower is better), in the game's reward units per agent. "
        "Every policy is scored on the same common-noise paths (exact enumeration where finite); the values are "
        f"exact, not means over seeds (no ±). sampled_return: mean discounted return per agent over {episodes} "
        "sampled game(s), a Monte-Carlo check of policy_value; seconds: wall time of the row."
    )


CAPTIONS: dict[str, Callable[[Any, int], str]] = {
    "taxai-v0": taxai_caption,
    "econ_envs/TaxAI-Planner-v0": taxai_caption,
    "monetary-v0": monetary_caption,
    "econ_envs/Monetary-CentralBank-v0": monetary_caption,
    "rbc-v0": rbc_caption,
    **{f"meanfield/{g}-v0": meanfield_caption for g in ("lq", "beach_bar", "macro", "crowd")},
}


def evaluate(
    checkpoint: str | Path,
    episodes: int = 5,
    out: str | Path | None = None,
    *,
    config: Any = None,
    iteration: int | None = None,
    households: str | None = None,
) -> dict[str, Any]:
    """Play the checkpoint's policies and the baselines; write the comparison (see module docstring).

    With ``config`` (the ``AlgorithmConfig`` that trained the checkpoint) and ``iteration`` (its
    training iteration), only the modules are loaded (:func:`load_policies`, well under a second),
    as ``econ-envs train --evaluate`` does; otherwise the whole algorithm is restored from the
    checkpoint (RLlib builds it again: tens of seconds).
    """
    if episodes < 1:
        raise ValueError(f"--episodes must be >= 1, got {episodes}")
    if (config is None) != (iteration is None):
        raise ValueError("evaluate: give both config and iteration (the trained config) or neither")
    note = None
    if config is None:  # a run folder plays its best checkpoint (else its latest); see selection.py
        from econ_envs.rllib.selection import resolve_for_evaluation

        checkpoint, note, _ = resolve_for_evaluation(checkpoint)
        if note:
            print(note, flush=True)
    algo = load_checkpoint(checkpoint) if config is None else load_policies(checkpoint, config, iteration)
    try:
        env_id = algo.config.env
        if env_id not in EVALUATORS:
            raise ValueError(f"no evaluator for {env_id!r}; known: {sorted(EVALUATORS)}")
        out_dir = Path(out) if out is not None else Path(checkpoint).parent / "evaluation"
        out_dir.mkdir(parents=True, exist_ok=True)
        per_seed: list[dict[str, Any]] | None = None
        if households is not None:
            if households != "optimal" or EVALUATORS[env_id] is not evaluate_taxai:
                raise ValueError(f"--households: only 'optimal', for tax-economy checkpoints (got {households!r})")
            per_seed = []
            rows = evaluate_taxai(algo, episodes, out_dir, optimal=True, per_seed=per_seed)
        elif EVALUATORS[env_id] is evaluate_taxai:
            per_seed = []
            rows = evaluate_taxai(algo, episodes, out_dir, per_seed=per_seed)
        else:
            rows = EVALUATORS[env_id](algo, episodes, out_dir)
        write_table(rows, out_dir, CAPTIONS[env_id](algo, episodes) if env_id in CAPTIONS else "")
        summary: dict[str, Any] = {"checkpoint": str(checkpoint), "env": env_id, "episodes": episodes, "rows": rows}
        if note:
            summary["checkpoint_note"] = note
        if per_seed is not None:
            summary["per_seed"] = per_seed
        with open(out_dir / "evaluation.json", "w") as f:
            json.dump(summary, f, indent=2, default=lambda o: None if isinstance(o, float) and math.isnan(o) else o)
        if per_seed and any(r["government"] == "learned" for r in per_seed):
            summary["verdict"] = _taxai_verdict(algo, per_seed, Path(checkpoint), out_dir)
        summary["out"] = str(out_dir)
        return summary
    finally:
        algo.stop()


def _taxai_verdict(algo: Any, per_seed: list[dict[str, Any]], checkpoint: Path, out_dir: Path) -> dict[str, Any]:
    """The verdict of a taxai evaluation (:mod:`econ_envs.rllib.verdict`), written to ``out_dir`` and, when the
    checkpoint lies in a run folder of ``econ-envs train``, to that run folder too."""
    from econ_envs.rllib.verdict import task_unit, taxai_verdict, write_verdict

    p = econ_envs.make("taxai-v0", **_taxai_cases(algo)[0]).params
    experiment, command = _experiment_and_winning_command(checkpoint)
    v = taxai_verdict(per_seed, task=p.task, task_text=_taxai_task(p), unit=task_unit(p.task, p.gdp_reward),
                      n_households=p.n_households, episode_length=p.episode_length, experiment=experiment,
                      winning_command=command, checkpoint=str(checkpoint))  # fmt: skip
    dirs = [out_dir]
    if (checkpoint.parent / "run.json").is_file() and checkpoint.parent.resolve() != out_dir.resolve():
        dirs.append(checkpoint.parent)
    v["markdown"] = write_verdict(v, *dirs)
    v["written_to"] = [str(d) for d in dirs]
    return v


def _experiment_and_winning_command(checkpoint: Path) -> tuple[str | None, str | None]:
    """(experiment, its ``WINNING_COMMAND`` or None) recorded with a checkpoint of ``econ-envs train``."""
    from econ_envs.rllib.checkpoints import META_FILE, checkpoint_meta

    if not (checkpoint / META_FILE).is_file():
        return None, None
    experiment = checkpoint_meta(checkpoint)["experiment"]
    try:
        import rllib_configs

        command = getattr(rllib_configs.load(experiment), "WINNING_COMMAND", None)
    except (ImportError, ValueError):  # the experiment file moved or is gone: no pointer to give
        return experiment, None
    if command is not None and not isinstance(command, str):
        raise ValueError(f"experiment {experiment!r}: WINNING_COMMAND must be a string, got {command!r}")
    return experiment, command
