"""Building blocks of the experiments in ``rllib_configs/``.

Each experiment file calls one builder here and returns ``(AlgorithmConfig, stop)``.
The builders know each economy's roles, which role leads, which observation
columns a mean-field follower encodes separately, and how to switch between the
per-agent RLlib path (``ParallelPettingZooEnv`` + ``MultiAgentEnvRunner``) and the
batched population path (:mod:`econ_envs.rllib.population`).

Algorithms: DDPG and MADDPG no longer exist in RLlib (moved to ``rllib_contrib`` in
2023, which was deleted in Nov 2024). PPO stands in for every actor-critic of the
seed (DSMFG's bi-DDPG leader, mean-field DDPG followers, MADDPG, independent DDPG):
it is the new stack's multi-agent actor-critic for continuous Box actions, handles
hundreds of shared-parameter agents per module with per-agent GAE, and its
on-policy updates need no replay of 100,000-agent transitions. SAC (continuous,
off-policy, multi-agent) is the closest relative of DDPG and is used for the
single-agent planner problem (``taxai_planner --set algo=sac``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from ray.rllib.algorithms.algorithm_config import AlgorithmConfig
from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.core.rl_module.multi_rl_module import MultiRLModuleSpec
from ray.rllib.core.rl_module.rl_module import RLModuleSpec
from ray.rllib.policy.policy import PolicySpec

import econ_envs
from econ_envs.rllib.callbacks import EconomyMetrics, stackelberg_schedule, two_phase_curriculum
from econ_envs.rllib.env import RoleMapping, register_economies
from econ_envs.rllib.modules import EconMLPModule, FrozenRuleModule, MeanFieldModule, RecurrentModule
from econ_envs.rllib.population import PopulationPPOConfig

# Above this many agents in a role, tax experiments use the batched population path by default: at
# 0.3 ms per agent-step the per-agent path is already slower than the batched path's whole step at 32.
BATCHED_ABOVE = 32

DEFAULT_PPO = {
    "lr": 3e-4,
    "gamma": 0.975,  # DSMFG's discount (one step is a year); tax households use TaxParams.discount (module_gamma)
    "lambda_": 0.95,
    "clip_param": 0.2,
    "entropy_coeff": 0.0,
    "vf_loss_coeff": 0.5,
    "num_epochs": 4,
    "use_kl_loss": False,  # avoids the stale-KL warning of frozen modules (gotcha G6)
    "grad_clip": 1.0,
}


def _spaces(env_id: str, env_config: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    env = econ_envs.make(env_id, **dict(env_config))
    return {name: (role.observation_space, role.action_space) for name, role in env.roles.items()}


def module_spec(kind: str, *, groups: dict[str, list[int]] | None = None, **model_config: Any) -> RLModuleSpec:
    """An RLModuleSpec by short name: ``mlp``, ``meanfield``, ``recurrent`` or ``rule:<factory>``."""
    if kind == "mlp":
        return RLModuleSpec(module_class=EconMLPModule, model_config=dict(model_config))
    if kind == "meanfield":
        if not groups:
            raise ValueError("a mean-field module needs observation groups")
        return RLModuleSpec(module_class=MeanFieldModule, model_config={**model_config, "groups": groups})
    if kind == "recurrent":
        cfg = {"max_seq_len": 20, **model_config}
        return RLModuleSpec(module_class=RecurrentModule, model_config=cfg)
    if kind.startswith("rule:"):
        return RLModuleSpec(module_class=FrozenRuleModule, model_config=dict(model_config))
    raise ValueError(f"unknown module kind {kind!r}: mlp, meanfield, recurrent or rule:<name>")


def base_config(
    env_id: str,
    env_config: Mapping[str, Any],
    modules: Mapping[str, RLModuleSpec],
    role_to_module: Mapping[str, str],
    *,
    space_roles: Mapping[str, str] | None = None,
    batched: bool,
    rollout_length: int,
    minibatch_size: int,
    seed: int | None = 0,
    ppo: Mapping[str, Any] | None = None,
    callbacks: list[type] | None = None,
    trainable: list[str] | None = None,
    num_env_runners: int = 0,
    num_envs_per_env_runner: int = 1,
    module_gamma: Mapping[str, float] | None = None,
    module_lr: Mapping[str, float] | None = None,
) -> AlgorithmConfig:
    """A PPO config for ``env_id`` with one module per role (see module docstring).

    ``role_to_module`` maps each role to the module that acts for it; ``space_roles`` names
    the role whose spaces a module has when no role maps to it yet (a curriculum's second
    government, say). ``module_gamma`` (module id -> discount) gives modules their own gamma
    (per-module config overrides, honoured by both paths: :mod:`econ_envs.rllib.discount`);
    the others use the algorithm's ``gamma``. ``module_lr`` (module id -> learning rate) likewise
    gives modules their own step size (a follower slower than its leader, say).
    """
    register_economies()
    env_config = dict(env_config)
    spaces = _spaces(env_id, env_config)
    module_roles: dict[str, str] = dict(space_roles or {})
    for role, mid in role_to_module.items():
        module_roles.setdefault(mid, role)
    for mid in modules:
        if mid not in module_roles:
            raise ValueError(f"module {mid!r} is used by no role; give its role in space_roles")
    policies = {
        mid: PolicySpec(observation_space=spaces[r][0], action_space=spaces[r][1]) for mid, r in module_roles.items()
    }
    specs = {}
    for mid, spec in modules.items():  # explicit spaces: a module no agent maps to yet still builds
        spec = RLModuleSpec(**{**spec.__dict__})
        spec.observation_space, spec.action_space = spaces[module_roles[mid]]
        specs[mid] = spec
    mapping = RoleMapping({r: m for r, m in role_to_module.items() if r in spaces})
    cls = PopulationPPOConfig if batched else PPOConfig
    steps_per_iter = rollout_length * max(1, num_env_runners) * num_envs_per_env_runner
    # per-agent path: count agent steps, so the train batch and minibatches are sized like the batched
    # path's (rows of the modules' agents), not in env steps (which would cap minibatches at T rows)
    n_agents = sum(econ_envs.make(env_id, **env_config).roles[r].count for r in spaces)
    agent_steps = steps_per_iter * n_agents
    cfg = (
        cls()
        .environment(env_id, env_config=env_config)
        .env_runners(
            num_env_runners=num_env_runners,
            num_envs_per_env_runner=num_envs_per_env_runner,
            rollout_fragment_length=rollout_length if batched else rollout_length * n_agents,
            num_cpus_per_env_runner=1,
        )
        .learners(num_learners=0)
        .training(
            # the batched path samples rollout_length steps per economy itself: its nominal batch is a
            # multiple of the rollouts, as RLlib's config validation asks
            train_batch_size_per_learner=(
                steps_per_iter * max(1, -(-minibatch_size // steps_per_iter)) if batched else agent_steps
            ),
            minibatch_size=minibatch_size if batched else min(minibatch_size, agent_steps),
            **{**DEFAULT_PPO, **dict(ppo or {})},
        )
        .multi_agent(
            policies=policies,
            policy_mapping_fn=mapping,
            policies_to_train=trainable,
            count_steps_by="env_steps" if batched else "agent_steps",
        )
        .rl_module(rl_module_spec=MultiRLModuleSpec(rl_module_specs=specs))
        .callbacks([EconomyMetrics, *(callbacks or [])])
        .reporting(metrics_num_episodes_for_smoothing=5)
        .debugging(seed=seed)
    )
    overrides: dict[str, dict[str, float]] = {}
    for mid, lr in (module_lr or {}).items():
        if mid not in specs:
            raise ValueError(f"module_lr names module {mid!r}, which is not among {sorted(specs)}")
        if not (isinstance(lr, (int, float)) and 0.0 < float(lr) < 1.0):
            raise ValueError(f"module_lr[{mid!r}] must be a learning rate in (0, 1), got {lr!r}")
        overrides.setdefault(mid, {})["lr"] = float(lr)
    if module_gamma:
        from econ_envs.rllib.discount import PerModuleGammaPPOLearner

        for mid, g in module_gamma.items():
            if mid not in specs:
                raise ValueError(f"module_gamma names module {mid!r}, which is not among {sorted(specs)}")
            if not (isinstance(g, (int, float)) and 0.0 < float(g) <= 1.0):
                raise ValueError(f"module_gamma[{mid!r}] must be a discount in (0, 1], got {g!r}")
            overrides.setdefault(mid, {})["gamma"] = float(g)
        cfg = cfg.learners(learner_class=PerModuleGammaPPOLearner)
    if overrides:
        cfg = cfg.rl_module(algorithm_config_overrides_per_module=overrides)
    cfg.learner_config_dict = {"module_roles": module_roles}
    return cfg


# ----------------------------------------------------------------------------------------- taxai
def taxai_obs_groups(env_config: Mapping[str, Any]) -> dict[str, list[int]]:
    """Household observation columns: own state, the leader's policy in force, the population summary."""
    env = econ_envs.make("taxai-v0", **{k: v for k, v in env_config.items() if k != "n_households"}, n_households=10)
    from econ_envs.taxai.economy import POLICY_FEATURE_NAMES

    names = env.household_obs_names()
    own = [i for i, n in enumerate(names) if n in ("wealth", "ability")]
    policy = [i for i, n in enumerate(names) if n in POLICY_FEATURE_NAMES]
    summary = [i for i in range(len(names)) if i not in own and i not in policy]
    return {"own": own, "policy": policy, "summary": summary}


# Where a learning government starts (HSV schedule): a moderately progressive income tax close to the
# U.S. federal one at mean income (tau = 0.15, xi = 0.15), a negligible wealth tax (0.5 % at mean
# wealth, progressivity 0.05) and G/Y = 0.1. The middle of the action box (a 5 % progressive wealth
# tax among others) runs the economy down within a few years, whatever households do.
TAXAI_GOVERNMENT_START = {"hsv": (0.15, 0.15, 0.005, 0.05, 0.1), "brackets_extra": (0.005, 0.05, 0.1)}


def taxai_government_start(env_config: Mapping[str, Any]) -> list[float]:
    """The learning government's initial mean action for the economy ``env_config`` describes."""
    from econ_envs.taxai.params import US2022_RATES, TaxParams

    params = TaxParams.from_kwargs(**dict(env_config))
    if params.income_tax == "hsv":
        start = list(TAXAI_GOVERNMENT_START["hsv"])
    else:  # statutory-like rates on whatever bracket grid, capped by the box
        nb = len(params.bracket_thresholds)
        rates = [US2022_RATES[min(i, len(US2022_RATES) - 1)] for i in range(nb)]
        start = rates + list(TAXAI_GOVERNMENT_START["brackets_extra"])
    low, high = params.policy_bounds()
    return [min(max(v, lo), hi) for v, lo, hi in zip(start, low, high)]


# one small iteration of a batched tax experiment, as CI runs it (the SMOKE settings of rllib_configs/taxai_*.py)
TAXAI_SMOKE = {"bc_steps": 12, "bc_episodes": 1, "n_households": 16, "batched": True, "rollout_length": 8,
               "minibatch_size": 64, "stop_iters": 1}  # fmt: skip


def taxai_experiment(
    *,
    n_households: int = 100,
    task: str = "gdp",
    households: str = "meanfield",
    household_inputs: tuple[str, ...] = ("own", "policy", "summary"),
    government: str = "mlp",
    stackelberg: bool = True,
    leader_iters: int = 1,
    follower_iters: int = 3,
    curriculum_iters: int = 0,
    bc_warm_start: bool | None = None,
    freeze_households: bool = False,
    batched: bool | None = None,
    rollout_length: int | None = None,
    minibatch_size: int | None = None,
    stop_iters: int = 200,
    seed: int = 0,
    env_overrides: Mapping[str, Any] | None = None,
    ppo: Mapping[str, Any] | None = None,
    hidden: tuple[int, ...] = (64, 64),
    household_log_std: float = -0.5,
    government_log_std: float = -1.0,
    value_scale: float = 40.0,
    bc_rule: str | None = None,
    bc_steps: int = 300,
    bc_episodes: int = 2,
    bc_switch_every: int = 10,
    household_lr: float | None = None,
    time_budget_s: float | None = None,
    exploitability_every: int | None = None,
    exploitability_max_share: float | None = 0.1,
) -> tuple[AlgorithmConfig, dict[str, Any]]:
    """The tax economy with a learning (or rule) government and learning (or rule) households.

    ``households``: ``meanfield`` (own state, policy and population summary encoded separately),
    ``mlp`` (one MLP on ``household_inputs``), ``recurrent`` (GRU; per-agent path) or
    ``rule:<buffer_stock|constant_saving>``. ``government``: ``mlp`` or ``rule:<free_market|us_federal>``.
    ``stackelberg``: alternate follower and leader training (``follower_iters`` then
    ``leader_iters`` iterations); otherwise both train every iteration. ``curriculum_iters``: the
    AI Economist's phase 1 length (free-market government while households learn).
    ``bc_warm_start``: households start from a behaviour-cloned copy of ``bc_rule`` - actor and
    critic (default for learning households: a household policy that ignores its own wealth - which
    is what a freshly initialised network is - runs the economy's capital down, and learning from
    scratch then optimises against collapses); ``bc_warm_start=False`` starts from scratch.
    ``bc_rule``: ``optimal`` (default with HSV income taxes: the households' exact dynamic
    programme, :class:`econ_envs.taxai.optimal.AnticipatedUtilityHouseholds`, whose value V(a, e)
    warm-starts the critic) or a household rule name (``buffer_stock``; its discounted returns
    warm-start the critic). The rule is recorded for ``bc_episodes`` x ``bc_steps`` years under a
    government that switches to a uniformly drawn policy every ``bc_switch_every`` years (starting
    at :data:`TAXAI_GOVERNMENT_START`), so the clone learns how households react to taxes.
    With ``freeze_households`` they stay at the clone (the seed's "real households + learning
    government"). A learning government starts at :data:`TAXAI_GOVERNMENT_START`.
    Critics: every learning module predicts ``value_scale`` x its network's output, PPO's value loss
    is unclipped and weighted ``0.5 / value_scale**2`` (RLlib's default clip of 10 on the squared
    error froze critics whose returns are tens of utils). ``household_lr``: the households' own
    learning rate (default: the algorithm's ``lr``). ``time_budget_s``: also stop once training has taken
    this many seconds (RLlib's ``time_total_s``; the behaviour-cloning warm start is not counted).
    ``household_log_std`` / ``government_log_std``: initial log standard deviation of each learning
    role's Gaussian actions, in the normalised [-1, 1] action units.
    Discounts: a learning household module's gamma is ``TaxParams.discount`` of the economy
    (``env_overrides={"discount": ...}``; the beta of the household dynamic programme in
    :mod:`econ_envs.taxai.optimal`), the government's is the algorithm's ``gamma`` (``ppo``).
    ``exploitability_every``: every that many training iterations, measure the households' exact
    exploitability (CE % and utils per year, on the first evaluation seed) and log it as
    ``taxai/household_exploitability_*`` (:func:`econ_envs.rllib.taxai_exploitability.exploitability_callback`);
    0 = off; default (None): every :data:`~econ_envs.rllib.taxai_exploitability.DEFAULT_EXPLOITABILITY_EVERY`
    iterations where the households learn, off otherwise. ``exploitability_max_share``: a due probe
    waits while the probes have cost more than this fraction of the training's wall clock (None: never).
    """
    env_config = {"n_households": n_households, "task": task, **dict(env_overrides or {})}
    groups = taxai_obs_groups(env_config)
    batched = (n_households > BATCHED_ABOVE and not households.startswith("recurrent")) if batched is None else batched
    if batched and households == "recurrent":
        raise ValueError("recurrent households need the per-agent path (batched=False)")
    if not (isinstance(value_scale, (int, float)) and np.isfinite(value_scale) and value_scale > 0):
        raise ValueError(f"value_scale must be a positive number, got {value_scale!r}")
    hidden_cfg = {"hidden": list(hidden), "value_scale": float(value_scale)}
    modules: dict[str, RLModuleSpec] = {}
    role_to_module = {"government": "government", "household": "household"}
    if households == "meanfield":
        modules["household"] = module_spec("meanfield", groups=groups, log_std_init=household_log_std, **hidden_cfg)
    elif households in ("mlp", "recurrent"):
        cols = sorted(c for g in household_inputs for c in groups[g])
        modules["household"] = module_spec(households, inputs=cols, log_std_init=household_log_std, **hidden_cfg)
    elif households.startswith("rule:"):
        modules["household"] = module_spec(households, factory="econ_envs.taxai.policies:make_rule",
                                           kwargs={"name": households[5:], "env_config": env_config})  # fmt: skip
    else:
        raise ValueError(f"households must be meanfield, mlp, recurrent or rule:<name>, got {households!r}")
    gov_start = taxai_government_start(env_config)
    if government == "mlp":
        modules["government"] = module_spec("mlp", init_action=gov_start, log_std_init=government_log_std, **hidden_cfg)
    elif government.startswith("rule:"):
        modules["government"] = module_spec(government, factory="econ_envs.taxai.policies:make_rule",
                                            kwargs={"name": government[5:], "env_config": env_config})  # fmt: skip
    else:
        raise ValueError(f"government must be mlp or rule:<name>, got {government!r}")
    learned = [m for m, s in modules.items() if s.module_class is not FrozenRuleModule]
    if freeze_households:
        learned = [m for m in learned if m != "household"]
    callbacks: list[type] = []
    trainable = learned
    space_roles = {}
    if curriculum_iters > 0:
        modules["government_rule"] = module_spec("rule:free_market", factory="econ_envs.taxai.policies:make_rule",
                                                 kwargs={"name": "free_market", "env_config": env_config})  # fmt: skip
        space_roles["government_rule"] = "government"
        callbacks.append(two_phase_curriculum("government", "government", "government_rule",
                                              [m for m in learned if m != "government"], curriculum_iters))  # fmt: skip
    elif stackelberg and "government" in learned and "household" in learned:
        callbacks.append(stackelberg_schedule(["government"], ["household"], leader_iters, follower_iters))
    if bc_warm_start is None:
        bc_warm_start = not households.startswith("rule:")
    from econ_envs.taxai.params import TaxParams

    params = TaxParams.from_kwargs(**env_config)
    if bc_warm_start:
        from econ_envs.rllib.bc import SwitchingAction, bc_warm_start_callback
        from econ_envs.taxai.policies import HOUSEHOLD_RULES

        if households.startswith("rule:"):
            raise ValueError("bc_warm_start clones the rule into a learnable household module; households is a rule")
        if bc_rule is None:
            bc_rule = "optimal" if params.income_tax == "hsv" else "buffer_stock"
        if bc_rule not in (*HOUSEHOLD_RULES, "optimal"):
            raise ValueError(
                f"bc_rule must be 'optimal' or a household rule {sorted(HOUSEHOLD_RULES)}, got {bc_rule!r}"
            )
        if bc_rule == "optimal" and params.income_tax != "hsv":
            raise ValueError("bc_rule='optimal' reads HSV schedules from observations; with brackets use buffer_stock")
        for nm, v in (("bc_steps", bc_steps), ("bc_episodes", bc_episodes), ("bc_switch_every", bc_switch_every)):
            if not (isinstance(v, int) and v >= 1):
                raise ValueError(f"{nm} must be a positive integer, got {v!r}")
        low, high = params.policy_bounds()
        bc_kwargs: dict[str, Any] = {"name": bc_rule, "env_config": env_config}
        if bc_rule == "optimal":  # re-solve when the environment moves by 1 % (not 0.1 %): 10x fewer solves
            bc_kwargs["resolve_tol"] = 0.01
        # seed 0 whatever the training seed: the recording is a property of the rule, shared (and cached) by seeds
        switching = SwitchingAction(low, high, every=bc_switch_every, seed=0, first=gov_start)
        callbacks.append(
            bc_warm_start_callback(
                "household", "econ_envs.taxai.policies:make_rule", bc_kwargs,
                env_id="taxai-v0", env_config=env_config, role="household", others={"government": switching},
                steps=bc_steps, episodes=bc_episodes, values=True, gamma=params.discount,
            )
        )  # fmt: skip
    from econ_envs.rllib.taxai_exploitability import (
        DEFAULT_EXPLOITABILITY_EVERY,
        check_exploitability_every,
        check_exploitability_max_share,
        exploitability_callback,
    )

    if exploitability_every is None:
        exploitability_every = DEFAULT_EXPLOITABILITY_EVERY if "household" in learned else 0
    exploitability_every = check_exploitability_every(exploitability_every)
    exploitability_max_share = check_exploitability_max_share(exploitability_max_share)
    if exploitability_every > 0:
        callbacks.append(exploitability_callback(exploitability_every, max_share=exploitability_max_share))
    T = rollout_length or (100 if batched else 50)
    mb = minibatch_size or (4096 if batched else 512)
    learnable_households = modules["household"].module_class is not FrozenRuleModule
    gammas = {"household": params.discount} if learnable_households else None
    lrs = {"household": float(household_lr)} if household_lr is not None and learnable_households else None
    # unclipped value loss on the critics' own scale (see the docstring), unless the caller sets them
    ppo = {"vf_clip_param": 1e30, "vf_loss_coeff": 0.5 / float(value_scale) ** 2, **dict(ppo or {})}
    cfg = base_config(
        "taxai-v0", env_config, modules, role_to_module, space_roles=space_roles, batched=batched,
        rollout_length=T, minibatch_size=mb, seed=seed, ppo=ppo, callbacks=callbacks, trainable=trainable,
        module_gamma=gammas, module_lr=lrs,
    )  # fmt: skip
    stop: dict[str, Any] = {"training_iteration": stop_iters}
    if time_budget_s is not None:
        if not (isinstance(time_budget_s, (int, float)) and time_budget_s > 0):
            raise ValueError(f"time_budget_s must be a positive number of seconds, got {time_budget_s!r}")
        stop["time_total_s"] = float(time_budget_s)
    return cfg, stop


def taxai_planner_experiment(
    *,
    n_households: int = 100,
    task: str = "gdp",
    household_policy: str = "buffer_stock",
    algo: str = "ppo",
    rollout_length: int = 300,
    stop_iters: int = 100,
    seed: int = 0,
    env_overrides: Mapping[str, Any] | None = None,
) -> tuple[AlgorithmConfig, dict[str, Any]]:
    """The government learns against rule households (the Gymnasium planner view, single agent)."""
    register_economies()
    env_config = {"n_households": n_households, "task": task, "household_policy": household_policy,
                  **dict(env_overrides or {})}  # fmt: skip
    if algo == "ppo":
        cfg = (
            PPOConfig()
            .environment("econ_envs/TaxAI-Planner-v0", env_config=env_config)
            .env_runners(num_env_runners=0, rollout_fragment_length=rollout_length)
            .training(train_batch_size_per_learner=4 * rollout_length, minibatch_size=rollout_length, **DEFAULT_PPO)
            .rl_module(rl_module_spec=module_spec("mlp", hidden=[64, 64]))
        )
    elif algo == "sac":
        from ray.rllib.algorithms.sac import SACConfig

        cfg = (
            SACConfig()
            .environment("econ_envs/TaxAI-Planner-v0", env_config=env_config)
            .env_runners(num_env_runners=0, rollout_fragment_length=1)
            .training(gamma=0.975, train_batch_size_per_learner=256, num_steps_sampled_before_learning_starts=600)
        )
    else:
        raise ValueError(f"algo must be 'ppo' or 'sac', got {algo!r}")
    cfg = cfg.learners(num_learners=0).callbacks(EconomyMetrics).debugging(seed=seed)
    return cfg, {"training_iteration": stop_iters}


def unwrap_module_weights(algo: Any, module_id: str) -> dict[str, np.ndarray]:
    """The current weights of one module on the (first) Learner, as numpy arrays (for tests and analysis)."""
    state = algo.learner_group.get_state(components=f"learner/rl_module/{module_id}")
    mod = state["learner"]["rl_module"][module_id]
    return {k: np.asarray(v) for k, v in mod.items()}
