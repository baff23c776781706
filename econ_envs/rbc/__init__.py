"""Real-business-cycle economy with many consumers, firms and replicas: ``rbc-v0`` (AI Economist RBC).

Description
-----------
``N`` consumer-workers (default 100), ``F`` firms (default 10), each making its
own good, and one government, as in the AI Economist's many-agent RBC
simulation (Curry, Trott, Phade, Bai & Zheng, arXiv:2201.01163). Firms post
prices and wages; consumers choose how many units of each good to try to buy,
how many hours to work and for which firm; the government chooses an
income-tax and a corporate-tax rate. Nothing clears the markets: an
over-demanded good is rationed in proportion to demand, and labour is never
rationed (a firm pays for every hour offered to it). An optional export market
buys unsold goods (open economy). One step is one quarter; an episode lasts 10.
The original runs only on an NVIDIA GPU (one CUDA block per replica, at most
1,024 agents); here numba kernels step ``B`` replicas at once on any CPU, with
no limit on the number of agents.

Ids: ``econ_envs.make("rbc-v0")`` (PettingZoo ``ParallelEnv``, one replica),
``econ_envs.rbc.make_vector(n_replicas=128)`` (all replicas as arrays, for
training code) and ``gymnasium.make("econ_envs/RBC-Government-v0")`` (the
government's problem against rule-based consumers and firms).

Agents
------
===============  ==========================================  ==============================================
agent            action (index arrays; decode tables below)  observation (Box, float32; layout below)
===============  ==========================================  ==============================================
consumer_j       MultiDiscrete, F + 2 heads: units of each    global state (4F + 3) + budget, theta
                 good to try to buy (0..10 units/quarter),
                 hours (0, 260, 520, 780, 1040 h/quarter),
                 employer (firm 0..F-1)
firm_i           Discrete(30): price (0..2500 $/unit, step    global state + budget, capital, alpha,
                 500) x wage (0..44 $/h, step 11) x           one-hot firm id (F)
                 investment share (0.1)
government       Discrete(36): income-tax rate x corporate-   global state
                 tax rate, each 0, 0.2, ..., 1.0
===============  ==========================================  ==============================================

Decode tables (all configurable as tuples in :class:`RBCParams`):
``env.core.consumption_choices`` (units), ``hours_choices`` (hours/quarter),
``firm_action_table`` (rows: price $/unit, wage $/h, investment share; index
k = (5 price_idx + wage_idx) x n_invest + invest_idx, the original's
itertools.product order), ``government_action_table`` (rows: income-tax rate,
corporate-tax rate; k = 6 income_idx + corporate_idx). ``decode_*_actions``
and ``firm_action_index``/``government_action_index`` convert both ways.

Observations
------------
The original's layout. Global state (every agent gets its own copy):
prices [0, F), wages [F, 2F), inventories [2F, 3F), over-demanded flags
[3F, 4F) (1 if the good was rationed last quarter), income-tax rate 4F,
corporate-tax rate 4F + 1, quarter 4F + 2. Consumers append budget (4F + 3)
and theta (4F + 4); firms append budget, capital, alpha (labour exponent) and
a one-hot firm id (F). ``observation_mode`` sets the scaling:

* ``"scaled"`` (default): prices / max price (2500 $/unit), wages / max wage
  (44 $/h), inventories / ``inventory_scale`` (100 units), quarter /
  episode_length, consumer budget / initial consumer budget (2,000 $), firm
  budget / initial firm budget (2.2e6 $), theta / theta_base (0.01), capital /
  ``capital_scale`` (10,000); flags, tax rates, alpha and the one-hot as they are.
* ``"raw"``: unscaled, in natural units (what the rollout files store).
* ``"digits"``: the original's network input: as "scaled", but every inventory
  and budget becomes 10 features (x mod 10^k) / 10^k, k = 1..10 (floor-mod, so a
  negative budget wraps), in place; sizes 13F+3 (government), 13F+14
  (consumer), 14F+15 (firm): 133/144/155 for F = 10, as the original.

Names of every component: ``env.observation_names(role)``.

One quarter (``econ_envs.rbc.kernels.step_replica``)
----------------------------------------------------
Timing: prices, wages and taxes chosen at t are in force at t + 1 (consumers
at t face those chosen at t - 1, or the initial ones); the investment share is
used at t. With p_i, w_i, y_i (inventory), tau, sigma in force and actions
chat_ij (units), h_j (hours), f_j (employer)::

    S_j   = sum_i p_i chat_ij                                  attempted spending ($)
    d_ij  = chat_ij * (max(Bc_j, 0) / S_j if S_j > Bc_j else 1)  budget-feasible demand (units)
    D_i   = sum_j d_ij          L_i = sum_{j: f_j = i} h_j       demand (units), labour (hours)
    R_i   = [D_i > y_i]                                         over-demanded flag
    c_ij  = d_ij * (y_i / D_i if R_i else 1)    C_i = sum_j c_ij  proportional rationing, sales
    u_j   = sum_i ((1 + c_ij)^(1-eta) - 1)/(1-eta) - (theta_j/2) h_j     eta = 0.1
    z_j   = w_{f_j} h_j                                         labour income at the employer's wage
    X_i   = min(max(y_i - C_i, 0), q_x) if open and p_i >= p_x else 0     exports (q_x 100, p_x 500)
    Rev_i = p_i (C_i + X_i)     G_i = Rev_i - w_i L_i           revenue, operating income
    I_i   = max(kappa_i G_i, 0)  P_i = G_i - I_i  Tax_i = sigma max(P_i, 0)
    Y_i   = A K_i^(1-alpha_i) L_i^alpha_i  (0 if L_i < labor_floor)      A = 0.01, K before investment
    y'_i  = y_i - C_i - X_i + Y_i        K'_i = K_i + I_i               output sold from t + 1 on
    Bf'_i = Bf_i + P_i - Tax_i
    T     = sum_j tau z_j + sum_i Tax_i                         all tax revenue, paid out at once
    Bc'_j = Bc_j + e - sum_i p_i c_ij + (1 - tau) z_j + T / N   e = 0.01 $ (the original's gift)
    B    <- B (1 + r) if B > 0      (consumers and firms; r = interest_rate, default 0)
    p', w', tau', sigma' <- the actions; R' <- R; t <- t + 1

Rewards
-------
* consumer_j: u_j (utils per quarter; at most about 85 = 10 goods x U(10)).
* firm_i: P_i - Tax_i ($ per quarter, after investment and tax), plus
  ``firm_revenue_bonus`` x Rev_i when the firm's budget stays positive (off).
* government: sum_j u_j + ``firm_reward_weight`` x sum_i (firm reward)
  (social welfare; weight 0.0025 as the paper's "total welfare", 0 for
  consumer-only welfare as the original's template).
* No-Ponzi penalty on the last quarter: reward -= coef x max(-final budget, 0) / scale
  (``consumer_noponzi_*``, ``firm_noponzi_*``; coefficients 0 by default, as the
  original, whose penalty starts at 0 and never moves with its default eta = 0). The
  government's reward counts the penalised rewards.

Money and goods
---------------
Every quarter, in every replica (tests assert it each step, open and closed)::

    sum Bc' + sum Bf' - (sum Bc + sum Bf) = N e + sum_i p_i X_i + interest - sum_i I_i
    y'_i - y_i = Y_i - C_i - X_i                     (production = sales + exports + inventory change)

The government keeps no balance (tax collected = transfers paid). Money enters
through export receipts, the endowment e and interest; investment spending
leaves it (capital goods come from outside the economy, as in the original,
where invested money simply becomes capital). Consumers cannot borrow: demand is
scaled to the budget, so a consumer's budget never falls below zero. Firms can:
labour is never rationed, so a firm's budget goes negative when its wage bill
exceeds its revenue (debt without interest; the no-Ponzi penalty is the only
check, off by default). ``env.core.money_flows()`` returns every term and the
residual; ``aggregates()`` reports ``money_residual`` and ``goods_residual``.

Starting state
--------------
Every replica starts from the same deterministic state (the paper sweep's):
prices 1,000 $/unit, wages 0 $/h, inventories 0, taxes 0; consumer budgets
2,000 $; firm budgets 22 x 1000 x N $ (2.2e6); capital 5,000 for firms i < F/2
and 10,000 for the rest; alpha_i = (0.2, 0.3, 0.4, 0.6, 0.8)[i mod 5];
theta_j = 0.01 (1 - j/N)^(1/4) (Pareto quantiles, shape 4).
``reset(options={"theta_scale": s})`` multiplies theta by s in [0, 1] (the
original anneals it by 1 - exp(-episode / E) during training). The economy has
no shocks: given the actions a step is deterministic. ``reset(seed=...)``
seeds the env's generator (``env.rng``), which sampling baselines use.

Episode end
-----------
``truncated`` after ``episode_length`` (10) quarters; never ``terminated``.

Arguments
---------
Any field of :class:`~econ_envs.rbc.params.RBCParams` (``n_consumers``,
``n_firms``, ``open_economy``, the action grids, ...), plus ``preset`` in
``paper`` (default) / ``template``.

Vector interface and speed
--------------------------
:class:`~econ_envs.rbc.vector.RBCVectorEnv` steps ``B`` replicas in one numba
call (threads over replicas): observations (B, count, dim) float32, actions
(B, N, F + 2) / (B, F) / (B, 1) int64, rewards (B, count), ``truncated`` (B,).
``step`` validates (error names replica, agent and component; state untouched),
``core_step`` trusts its input. It picks the single- or multi-threaded kernel
by measured speed (bitwise-identical results) and, unless you set it, sets
``OMP_WAIT_POLICY=PASSIVE`` before numba starts its OpenMP threads (spinning
idle threads cost more than they save on a busy machine). ``econ-envs bench
rbc-v0`` reports replica-steps/s for 128 replicas on uniformly random actions
(the heaviest case; ``--policy rule`` replays the rule profile's).

Rollouts and baselines
----------------------
``econ-envs rollout rbc-v0 --replicas B --episodes E --out DIR`` writes the
original's files (:mod:`econ_envs.rbc.rollout`; :func:`load_rollout` reads
them back). Baselines in :mod:`econ_envs.rbc.policies`; the fixed-tax welfare
table and the best-response gains in :mod:`econ_envs.rbc.bestresponse`.

Where the original's code and paper disagree (and what this version does)
-------------------------------------------------------------------------
* Investment: code, 10 % of this quarter's positive operating income; paper,
  10 % of the available budget. Code: it is what the published results ran.
* Production exponents: code (0.2, 0.3, 0.4, 0.6, 0.8) repeated; paper Table 1
  0.2, 0.4, 0.6, 0.8. Code (configurable: ``alpha_levels``).
* Export condition: code p >= p_x, paper p > p_x. Code by default
  (``export_price_inclusive=False`` gives the paper's).
* Initial wage (template 22, sweep and paper 0), interest (template 0.1,
  sweep 0) and government welfare (template consumer-only, sweep and paper
  total with firm weight 0.0025): the paper's values (``preset="template"``
  gives the template's).
* Tax revenue: the paper's formula swaps its symbols; the code's (income rate
  on wages, corporate rate on profits) is used.
* Labour disutility: (theta/2) x hours, linear, and CRRA utility on (1 + c)
  per good, as the code (the paper's text is less specific).
* The no-Ponzi penalty the paper mentions is off in the code's defaults; it is
  available and off by default here.
* Global state: the original README lists 4F + 2 + 1 dimensions but omits the
  two tax rates from its list; the code's 4F + 3 (with taxes) is used.
* Rollout files: ``action_arrays.json`` instead of ``action_arrays.pickle``;
  the government's ``aux_array`` is an empty array instead of ``None`` (which
  would need pickle to load).
* Not in the environment (training-side in the original): policy networks,
  action-mask curricula, theta/entropy annealing schedules, PPO.

Version history
---------------
* v0: first release.
"""

from typing import Any

from econ_envs.core.registry import EnvSpec, register
from econ_envs.rbc.env import RBCEnv, parallel_env
from econ_envs.rbc.params import RBCParams
from econ_envs.rbc.rollout import load_episode, load_rollout
from econ_envs.rbc.vector import RBCVectorEnv

PLOT_PANELS = (
    ("Goods (units per quarter)", ("output", "consumption", "exports", "demand")),
    ("Inventory (units)", ("inventory",)),
    ("Mean price ($/unit)", ("mean_price",)),
    ("Over-demanded goods (count)", ("overdemanded_goods",)),
    ("Mean wage ($/hour)", ("mean_wage",)),
    ("Hours per consumer (per quarter)", ("hours_per_consumer",)),
    ("Welfare (utils per quarter)", ("social_welfare",)),
    ("Money flows ($ per quarter)", ("revenue", "wage_bill", "investment", "tax_revenue", "export_receipts")),
    ("Money stock ($)", ("money_stock", "total_firm_budget")),
    ("Tax rates in force (fractions)", ("income_tax_rate", "corporate_tax_rate")),
)


def make_vector(n_replicas: int = 1, **kwargs: Any) -> RBCVectorEnv:
    """``n_replicas`` replicas stepped together: ``econ_envs.rbc.make_vector(128, n_consumers=100)``."""
    return RBCVectorEnv(n_replicas=n_replicas, **kwargs)


PLOT_LABELS = {
    "output": "production",
    "consumption": "domestic sales",
    "demand": "demand (attempted purchases)",
    "wage_bill": "wage bill",
    "tax_revenue": "tax revenue",
    "export_receipts": "export receipts",
    "money_stock": "money stock (all agents)",
    "total_firm_budget": "firms' budgets",
    "income_tax_rate": "income tax",
    "corporate_tax_rate": "corporate tax",
}

register(
    EnvSpec(
        id="rbc-v0",
        description="Real business cycle: consumers, firms and a government, many replicas at once (AI Economist RBC)",
        entry_point="econ_envs.rbc.env:RBCEnv",
        simulate_policies={
            "rule": "econ_envs.rbc.policies:RuleProfile",
            "random": "econ_envs.rbc.policies:RandomProfile",
        },
        default_policy="rule",
        plot_panels=PLOT_PANELS,
        plot_labels=PLOT_LABELS,
        agents_kwarg="n_consumers",
        vector_entry_point="econ_envs.rbc.vector:RBCVectorEnv",
        default_replicas=128,
        rollout_entry_point="econ_envs.rbc.rollout:run_rollout",
        # The step's cost depends on the actions; uniformly random ones are the heaviest case (every
        # consumer's attempt exceeds its budget, so every utility term is computed).
        bench_policy="random",
    )
)

GYM_ENVS = {  # id -> gymnasium.register keywords; max_episode_steps = the default episode_length (quarters)
    "econ_envs/RBC-Government-v0": {"entry_point": "econ_envs.rbc.planner:RBCGovernmentEnv", "max_episode_steps": 10},
}

__all__ = ["RBCEnv", "RBCParams", "RBCVectorEnv", "load_episode", "load_rollout", "make_vector", "parallel_env"]
