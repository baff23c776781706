"""RLlib experiments for the monetary economy (``monetary-v0``) and their evaluator.

Experiments (``rllib_configs/monetary_*.py`` call these):

* :func:`monetary_shared_ppo` - the seed's setup: one shared-parameter PPO module per
  agent type (``central_bank``, ``bank``, ``household``, ``firm``; Discrete heads), all
  126 agents on the batched population path by default (``batched=False``: RLlib's
  per-agent path). Any role can instead be a frozen rule (``household="rule:buffer_stock"``).
  The seed (Economy_RL) trains the four types simultaneously with its own independent PPO;
  that is the default here. ``stackelberg=True`` makes the central bank a Stackelberg
  leader: the followers train ``follower_iters`` iterations against a fixed bank, then the
  bank ``leader_iters`` against fixed followers (alternating best responses, the bi-level
  approximation RLlib's Learners allow).
* :func:`monetary_central_bank` - the central bank learns, banks, households and firms follow
  their heuristic rules. ``view="gym"`` (default) trains PPO on the single-agent Gymnasium view
  ``econ_envs/Monetary-CentralBank-v0``, where the rules act inside the environment;
  ``view="multi"`` trains the same problem on ``monetary-v0`` with frozen rule modules for the
  other roles (batched path). Both use the environment's reward, minus the loss
  (pi12 - pi*)^2 + lambda gap^2 + mu (di)^2; no Taylor rate appears anywhere, so a
  reaction function can only emerge.

Choices shared by both:

* Discount 0.99 a month (the loss table's discount; a horizon of about 100 months), episodes
  of 120 months (10 years) truncated and bootstrapped from the value function.
* The learned modules see their role's whole observation except ``time_fraction``: the
  episode end is a truncation the value function bootstraps over, so the month number
  carries no information about the future, and leaving it out keeps the learned policy a
  stationary rule whose reaction function can be fitted.
* Returns run into the hundreds (the central bank's discounted loss is about 500 under
  Taylor 1993), beyond PPO's value clip (10). Each module's value function predicts
  ``VALUE_SCALE[role]`` x its network's output with the value loss rescaled to match
  (``vf_loss_coeff / s**2``, ``vf_clip_param * s**2``), which is PPO on rewards divided by
  ``s`` while metrics stay in the environment's units.

:func:`evaluate_monetary` (``econ-envs evaluate CHECKPOINT``) compares the learned central bank
with every rule central bank on the same seeds and writes the loss table, histories, impulse
responses and the fitted reaction function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from ray.rllib.algorithms.algorithm_config import AlgorithmConfig
from ray.rllib.algorithms.ppo import PPOConfig

import econ_envs
from econ_envs.core.progress import Progress
from econ_envs.monetary.env import OBS_NAMES
from econ_envs.monetary.policies import BANK_RULES, CENTRAL_BANK_RULES, FIRM_RULES, HOUSEHOLD_RULES
from econ_envs.rllib.callbacks import EconomyMetrics, stackelberg_schedule
from econ_envs.rllib.env import register_economies
from econ_envs.rllib.experiments import DEFAULT_PPO, base_config, module_spec

ENV_ID = "monetary-v0"
GYM_ID = "econ_envs/Monetary-CentralBank-v0"
ROLES = ("central_bank", "bank", "household", "firm")
FOLLOWERS = ("bank", "household", "firm")
RULES = {"central_bank": CENTRAL_BANK_RULES, "bank": BANK_RULES, "household": HOUSEHOLD_RULES, "firm": FIRM_RULES}
DEFAULT_RULES = {"central_bank": "taylor93", "bank": "heuristic", "household": "buffer_stock", "firm": "markup"}
RULE_FACTORY = "econ_envs.monetary.policies:rule_policy"
# Typical magnitude of a role's discounted return (gamma 0.99, 120 months) under Taylor 1993 and the
# heuristic rules (seed 0, 100 households): mean reward per month central bank -6.0, bank 1.76,
# household -0.44, firm 0.19, times about 70 discounted months.
VALUE_SCALE = {"central_bank": 100.0, "bank": 100.0, "household": 10.0, "firm": 10.0}
MONETARY_PPO = {**DEFAULT_PPO, "gamma": 0.99, "lambda_": 0.95}


def stationary_inputs(role: str) -> list[int]:
    """Observation columns of ``role`` without ``time_fraction`` (see module docstring)."""
    if role not in OBS_NAMES:
        raise ValueError(f"unknown role {role!r}; roles are {list(OBS_NAMES)}")
    return [i for i, name in enumerate(OBS_NAMES[role]) if name != "time_fraction"]


def _vf_overrides(role: str, ppo: Mapping[str, Any]) -> dict[str, float]:
    s2 = VALUE_SCALE[role] ** 2
    return {
        "vf_loss_coeff": float(ppo["vf_loss_coeff"]) / s2,
        "vf_clip_param": float(ppo.get("vf_clip_param", 10.0)) * s2,
    }


def _check_kind(role: str, kind: str) -> None:
    if not isinstance(kind, str):
        raise TypeError(f"{role} must be 'mlp' or 'rule:<name>', got {kind!r}")
    if kind == "mlp":
        return
    if not kind.startswith("rule:"):
        raise ValueError(f"{role} must be 'mlp' or 'rule:<name>', got {kind!r}")
    if kind[5:] not in RULES[role]:
        raise ValueError(f"unknown {role} rule {kind[5:]!r} in {kind!r}; choose from {sorted(RULES[role])}")


def _env_config(n_households: int, n_firms: int, n_banks: int, episode_length: int,
                env_overrides: Mapping[str, Any] | None) -> dict[str, Any]:  # fmt: skip
    cfg = {"n_households": n_households, "n_firms": n_firms, "n_banks": n_banks, "episode_length": episode_length}
    cfg.update(dict(env_overrides or {}))
    econ_envs.make(ENV_ID, **cfg)  # validates every argument (a bad one raises, naming it)
    return cfg


def monetary_shared_ppo(
    *,
    n_households: int = 100,
    n_firms: int = 20,
    n_banks: int = 5,
    episode_length: int = 120,
    central_bank: str = "mlp",
    bank: str = "mlp",
    household: str = "mlp",
    firm: str = "mlp",
    stackelberg: bool = False,
    leader_iters: int = 1,
    follower_iters: int = 3,
    batched: bool = True,
    rollout_length: int | None = None,
    num_envs: int = 1,
    minibatch_size: int | None = None,
    stop_iters: int = 100,
    seed: int = 0,
    env_overrides: Mapping[str, Any] | None = None,
    ppo: Mapping[str, Any] | None = None,
    hidden: tuple[int, ...] = (64, 64),
) -> tuple[AlgorithmConfig, dict[str, Any]]:
    """All four agent types on ``monetary-v0``, one shared-parameter module per type (module docstring).

    ``central_bank``/``bank``/``household``/``firm``: ``mlp`` (learns) or ``rule:<name>`` (a frozen
    rule module, e.g. ``rule:taylor93``, ``rule:heuristic``, ``rule:buffer_stock``, ``rule:markup``).
    ``rollout_length`` months per economy and iteration (default: one episode); ``num_envs``
    economies per iteration (batched path).
    """
    kinds = {"central_bank": central_bank, "bank": bank, "household": household, "firm": firm}
    for role, kind in kinds.items():
        _check_kind(role, kind)
    if num_envs < 1:
        raise ValueError(f"num_envs must be >= 1, got {num_envs}")
    env_config = _env_config(n_households, n_firms, n_banks, episode_length, env_overrides)
    ppo_cfg = {**MONETARY_PPO, **dict(ppo or {})}
    modules = {}
    overrides = {}
    for role, kind in kinds.items():
        if kind == "mlp":
            modules[role] = module_spec("mlp", hidden=list(hidden), inputs=stationary_inputs(role),
                                        value_scale=VALUE_SCALE[role])  # fmt: skip
            overrides[role] = PPOConfig.overrides(**_vf_overrides(role, ppo_cfg))
        else:
            modules[role] = module_spec(kind, factory=RULE_FACTORY,
                                        kwargs={"role": role, "name": kind[5:], "env_config": env_config})  # fmt: skip
    learned = [r for r, k in kinds.items() if k == "mlp"]
    if not learned:
        raise ValueError("at least one role must learn ('mlp'); all four are rules")
    callbacks: list[type] = []
    followers = [r for r in learned if r != "central_bank"]
    if stackelberg:
        if "central_bank" not in learned or not followers:
            raise ValueError("stackelberg=True needs a learning central bank and at least one learning follower")
        callbacks.append(stackelberg_schedule(["central_bank"], followers, leader_iters, follower_iters))
    T = int(rollout_length or env_config["episode_length"])
    if T < 1:
        raise ValueError(f"rollout_length must be >= 1, got {T}")
    mb = minibatch_size or (4096 if batched else 1024)
    cfg = base_config(
        ENV_ID, env_config, modules, {r: r for r in ROLES}, batched=batched, rollout_length=T,
        minibatch_size=mb, seed=seed, ppo=ppo_cfg, callbacks=callbacks, trainable=learned,
        num_envs_per_env_runner=num_envs,
    )  # fmt: skip
    cfg = cfg.rl_module(algorithm_config_overrides_per_module=overrides)
    return cfg, {"training_iteration": stop_iters}


def monetary_central_bank(
    *,
    view: str = "multi",
    n_households: int = 100,
    n_firms: int = 20,
    n_banks: int = 5,
    episode_length: int = 120,
    episodes_per_iter: int = 8,
    num_envs: int = 4,
    minibatch_size: int = 256,
    stop_iters: int = 150,
    seed: int = 0,
    env_overrides: Mapping[str, Any] | None = None,
    ppo: Mapping[str, Any] | None = None,
    hidden: tuple[int, ...] = (64, 64),
) -> tuple[AlgorithmConfig, dict[str, Any]]:
    """The central bank learns against the heuristic banks, households and firms (module docstring).

    ``episodes_per_iter`` episodes of ``episode_length`` months make one train batch;
    ``num_envs`` economies are stepped side by side (vectorised in the ``gym`` view).
    """
    if view not in ("gym", "multi"):
        raise ValueError(f"view must be 'gym' or 'multi', got {view!r}")
    if episodes_per_iter < 1 or num_envs < 1:
        raise ValueError(f"episodes_per_iter and num_envs must be >= 1, got {episodes_per_iter}, {num_envs}")
    ppo_cfg = {**MONETARY_PPO, **dict(ppo or {})}
    if view == "multi":
        if episodes_per_iter % num_envs:
            raise ValueError(f"view='multi': episodes_per_iter ({episodes_per_iter}) must be a multiple of num_envs")
        return monetary_shared_ppo(
            n_households=n_households, n_firms=n_firms, n_banks=n_banks, episode_length=episode_length,
            central_bank="mlp", bank="rule:heuristic", household="rule:buffer_stock", firm="rule:markup",
            rollout_length=episode_length * episodes_per_iter // num_envs, num_envs=num_envs,
            minibatch_size=minibatch_size, stop_iters=stop_iters, seed=seed, env_overrides=env_overrides,
            ppo=ppo_cfg, hidden=hidden,
        )  # fmt: skip
    env_config = _env_config(n_households, n_firms, n_banks, episode_length, env_overrides)
    register_economies()
    batch = episode_length * episodes_per_iter
    cfg = (
        PPOConfig()
        .environment(GYM_ID, env_config=env_config)
        .env_runners(num_env_runners=0, num_envs_per_env_runner=num_envs, rollout_fragment_length="auto")
        .learners(num_learners=0)
        .training(
            train_batch_size_per_learner=batch,
            minibatch_size=min(minibatch_size, batch),
            **{**ppo_cfg, **_vf_overrides("central_bank", ppo_cfg)},
        )
        .rl_module(
            rl_module_spec=module_spec(
                "mlp",
                hidden=list(hidden),
                inputs=stationary_inputs("central_bank"),
                value_scale=VALUE_SCALE["central_bank"],
            )
        )
        .callbacks(EconomyMetrics)
        .reporting(metrics_num_episodes_for_smoothing=max(5, episodes_per_iter))
        .debugging(seed=seed)
    )
    return cfg, {"training_iteration": stop_iters}


# ------------------------------------------------------------------------------------------- evaluation
def _is_rule(module: Any) -> bool:
    from econ_envs.rllib.modules import FrozenRuleModule

    return isinstance(module, FrozenRuleModule)


def central_bank_actor(module: Any, space: Any) -> Callable[[np.ndarray], int]:
    """A learned central bank as a rule: one observation row -> action index (deterministic)."""
    from econ_envs.rllib.evaluate import module_actor

    act = module_actor(module, space)

    def central_bank(obs: np.ndarray) -> int:
        return int(np.asarray(act(np.asarray(obs, dtype=np.float32).reshape(1, -1)))[0])

    central_bank.name = "learned"  # type: ignore[attr-defined]
    return central_bank


def profile_class(label: str, central_bank: str | Callable, others: Mapping[str, str | Callable]) -> type:
    """A policy profile for :mod:`econ_envs.monetary.analysis` (``simulate``, ``impulse_responses``).

    ``central_bank`` and each of ``others`` (bank, household, firm) are rule names or callables.
    Rules are rebuilt and reset from the seed every run, as ``econ-envs simulate`` does, so every
    central bank meets the same rule agents' draws on the same seed.
    """
    from econ_envs.monetary.policies import RuleProfile

    def __init__(self: Any, env: Any) -> None:
        RuleProfile.__init__(self, env, central_bank=central_bank, bank=others["bank"],
                             household=others["household"], firm=others["firm"])  # fmt: skip
        self.name = label

    return type(label, (RuleProfile,), {"__init__": __init__, "cb_rule": None})


def _learned_roles(algo: Any) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """What a checkpoint holds: (env kwargs of monetary-v0, rule names of the non-CB roles, info).

    ``info``: ``cb_module`` (the learned central bank or None), ``cb_space`` and
    ``learned_others`` (role -> deterministic actor of the learned bank/household/firm modules).
    """
    from econ_envs.rllib.evaluate import module_actor

    cfg = algo.config
    env_config = dict(cfg.env_config or {})
    rules: dict[str, str] = {}
    learned: dict[str, Callable] = {}
    if cfg.env == GYM_ID:
        for role in FOLLOWERS:
            name = env_config.pop(f"{role}_policy", None)
            if name is not None and not isinstance(name, str):
                raise ValueError(f"{role}_policy in the checkpoint's env_config is not a rule name: {name!r}")
            rules[role] = name or DEFAULT_RULES[role]
        cb = algo.get_module()
    elif cfg.env == ENV_ID:
        roles = econ_envs.make(ENV_ID, **env_config).roles
        mapping = cfg.policy_mapping_fn
        modules = {role: algo.get_module(mapping(roles[role].agent_id(0), None)) for role in ROLES}
        for role in FOLLOWERS:
            m = modules[role]
            if _is_rule(m):
                rules[role] = (m.model_config.get("kwargs") or {}).get("name") or DEFAULT_RULES[role]
            else:
                rules[role] = DEFAULT_RULES[role]
                learned[role] = module_actor(m, roles[role].action_space)
        cb = None if _is_rule(modules["central_bank"]) else modules["central_bank"]
    else:
        raise ValueError(f"not a monetary checkpoint: env {cfg.env!r} (expected {ENV_ID!r} or {GYM_ID!r})")
    space = econ_envs.make(ENV_ID, **env_config).roles["central_bank"].action_space
    return env_config, rules, {"cb_module": cb, "cb_space": space, "learned_others": learned}


def _mean_sd(values: list[float]) -> tuple[float, float]:
    v = np.asarray(values, dtype=float)
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0


EPISODE_METRICS = ("discounted_loss", "inflation_12m", "output_gap", "unemployment", "policy_rate",
                   "rate_volatility", "months_at_floor")  # fmt: skip


def evaluate_monetary(
    algo: Any, episodes: int, out_dir: Path, irf_shocks: tuple[str, ...] = ("policy_rate", "cost_push", "demand")
) -> list[dict[str, Any]]:
    """Learned vs rule central banks on the same seeds (``econ-envs evaluate``; see module docstring).

    Rows: every central bank (``learned`` if the checkpoint has one, then the five rules) on every
    economy (``rules``: heuristic banks, households and firms; ``learned``: the checkpoint's other
    modules, when it has them). Seeds are ``EVAL_SEED0 + k``, k < ``episodes``, identical for every
    row. Columns: the loss table's discounted loss and the episode means, mean ± sd over episodes,
    the fitted reaction function, the loss relative to Taylor (1993) on the same economy, the median
    loss and, paired by seed, on how many seeds the learned bank's loss is lower than the row's
    (``learned_lower_on_seeds``: one bad seed can dominate a mean).
    Also writes ``histories/``, ``reaction_function.json``, ``impulse_responses.json`` and
    ``policy_transmission.png`` (the learned bank against Taylor 1993).
    """
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one small forward pass a month: extra threads only add contention
    try:
        return _evaluate_monetary(algo, episodes, out_dir, irf_shocks)
    finally:
        torch.set_num_threads(threads)


def _evaluate_monetary(algo: Any, episodes: int, out_dir: Path, irf_shocks: tuple[str, ...]) -> list[dict[str, Any]]:
    from econ_envs.monetary import analysis as A
    from econ_envs.rllib.evaluate import EVAL_SEED0

    env_kwargs, rules, info = _learned_roles(algo)
    params = econ_envs.make(ENV_ID, **env_kwargs).params
    months = params.episode_length
    seeds = [EVAL_SEED0 + k for k in range(episodes)]
    beta, floor = params.loss_discount, params.policy_floor
    cbs: list[tuple[str, str | Callable]] = []
    if info["cb_module"] is not None:
        cbs.append(("learned", central_bank_actor(info["cb_module"], info["cb_space"])))
    cbs += [(name, name) for name in CENTRAL_BANK_RULES]
    economies: list[tuple[str, dict[str, str | Callable]]] = []
    if info["learned_others"]:
        economies.append(("learned", {**rules, **info["learned_others"]}))
    economies.append(("rules", dict(rules)))
    hist_dir = out_dir / "histories"
    hist_dir.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    fits: dict[str, Any] = {}
    n_irf = 2 * len(irf_shocks) if cbs[0][0] == "learned" else 0
    bar = Progress(len(economies) * len(cbs) * len(seeds) + n_irf, "evaluate monetary-v0", unit="runs")
    for econ_name, others in economies:
        taylor_loss = None
        econ_rows = []
        losses: dict[str, np.ndarray] = {}  # central bank -> discounted loss by seed
        for cb_name, cb in cbs:
            profile = profile_class(f"{cb_name}__{econ_name}", cb, others)
            runs, histories = [], []
            for s in seeds:
                bar.update(bar.done, note=f"playing {cb_name} / {econ_name} economy, seed {s}")
                h = A.simulate(profile, s, months, **env_kwargs)
                bar.advance(note=f"{cb_name} / {econ_name} economy, seed {s}")
                A.write_history_csv(h, hist_dir / f"{cb_name}__{econ_name}__seed{s}.csv")
                histories.append(h)
                runs.append(A.episode_summary(h, beta, floor) | {"collapsed": float(len(h["month"]) < months)})
            fit = A.fit_reaction_function(histories, cb_name, seeds, months)
            fits[f"{cb_name} / {econ_name}"] = fit
            row: dict[str, Any] = {"central_bank": cb_name, "economy": econ_name, "episodes": episodes}
            for key in (*EPISODE_METRICS, "collapsed"):
                row[key], row[f"{key}_sd"] = _mean_sd([r[key] for r in runs])
            losses[cb_name] = np.array([r["discounted_loss"] for r in runs])
            row["discounted_loss_median"] = float(np.median(losses[cb_name]))
            coef = fit["coefficients"]
            row.update({"phi_pi": coef["phi_pi"], "phi_y": coef["phi_y"], "rho": coef["rho"], "c": coef["c"],
                        "r_squared": fit["r_squared"], "long_run_phi_pi": fit["long_run"]["phi_pi"],
                        "long_run_phi_y": fit["long_run"]["phi_y"]})  # fmt: skip
            if cb_name == "taylor93":
                taylor_loss = row["discounted_loss"]
            econ_rows.append(row)
        for row in econ_rows:
            row["loss_vs_taylor93_pct"] = 100.0 * (row["discounted_loss"] / taylor_loss - 1.0)
            # paired on the common seeds: on how many the learned bank's loss is lower than this bank's
            row["learned_lower_on_seeds"] = (
                int(np.sum(losses["learned"] < losses[row["central_bank"]])) if "learned" in losses else None
            )
        rows += econ_rows
    A._dump(fits, out_dir / "reaction_function.json")
    if cbs[0][0] == "learned":
        econ_name, others = economies[0]
        learned = profile_class("learned", cbs[0][1], others)
        taylor = profile_class("taylor93", "taylor93", others)
        irfs, irfs_t = {}, {}
        for k in irf_shocks:
            for name, prof, dest in (("learned", learned, irfs), ("taylor93", taylor, irfs_t)):
                bar.update(bar.done, note=f"impulse responses to {k}, {name}")
                dest[k] = A.impulse_responses(k, None, seeds, prof, **env_kwargs)
                bar.advance(note=f"impulse responses to {k}, {name}")
        A._dump({"learned": irfs, "taylor93": irfs_t, "economy": econ_name}, out_dir / "impulse_responses.json")
        A.plot_irfs(irfs, out_dir / "policy_transmission.png", compare={"taylor93": irfs_t},
                    label=f"learned (economy: {econ_name})")  # fmt: skip
    bar.close()
    _plot_comparison(rows, out_dir)
    return rows


def _plot_comparison(rows: list[dict[str, Any]], out_dir: Path) -> None:
    import matplotlib.pyplot as plt

    from econ_envs.core.plotting import bar_legend, hbar_panel

    episodes = int(rows[0].get("episodes", 1)) if rows else 1
    fig, axes = plt.subplots(1, 3, figsize=(15, 1.7 + 0.4 * len(rows)), layout="constrained")
    labels = [f"{r['central_bank']} / {r['economy']} economy" for r in rows]
    colors = ["tab:orange" if r["central_bank"] == "learned" else "tab:blue" for r in rows]
    for j, (ax, key, title, xlabel) in enumerate((
        (axes[0], "discounted_loss", "Central bank's discounted loss (lower is better)", "squared percentage points"),
        (axes[1], "unemployment", "Unemployment (episode mean)", "fraction of households"),
        (axes[2], "inflation_12m", "12-month inflation (episode mean)", "%/yr"),
    )):  # fmt: skip
        hbar_panel(ax, labels, [r[key] for r in rows], [r[f"{key}_sd"] for r in rows], colors, title, xlabel,
                   show_labels=j == 0)  # fmt: skip
    axes[0].set_ylabel("central bank / economy", fontsize=9)
    bar_legend(axes[0], [("tab:orange", "learned central bank"), ("tab:blue", "rule central bank")],
               f"± 1 sample sd over {episodes} episode(s)")  # fmt: skip
    fig.suptitle(f"monetary-v0 evaluation: bars = mean over {episodes} episode(s) on the same seeds, "
                 "error bars = ± 1 sample standard deviation over the episodes", fontsize=10)  # fmt: skip
    fig.savefig(out_dir / "comparison.png", dpi=100)
    plt.close(fig)
