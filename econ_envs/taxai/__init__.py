"""Tax policy in a heterogeneous-agent economy: ``taxai-v0`` (DSMFG / TaxAI, with sound economics).

Description
-----------
A government (the leader) sets income and wealth taxes and spending; ``N``
households (the followers, 10 to 100,000) choose how much of their cash on hand
to save and how much to work. It is a closed Bewley-Aiyagari economy: a
representative firm produces with Cobb-Douglas technology, factor prices are
marginal products, capital is what household wealth leaves after government
debt, and every budget adds up each year. Ids: ``econ_envs.make("taxai-v0")``
(PettingZoo ``ParallelEnv``) and ``gymnasium.make("econ_envs/TaxAI-Planner-v0")``
(the government's problem against rule households).

Agents
------
=============  =====================================  ===============================================
agent          action (Box, natural units)            observation (Box, float32)
=============  =====================================  ===============================================
government     income_tax="hsv" (default), 5 dims:    6 rank-group means (top-10 % / bottom-50 %
               tau in [0, tau_max] (average income    wealth by wealth; income and ability by
               tax rate at mean income), xi in        income; money in units of y0 = calibrated
               [0, xi_max] (progressivity), tau_a in  GDP per household, 69,919.51 USD);
               [0, tau_a_max] (wealth-tax rate at     6 macro ratios (GDP per household / y0,
               mean wealth), xi_a in [0, xi_a_max],   K/Y, B/Y, r, wage / calibrated wage,
               G/Y in [0, spending_max].              year / episode_length); the policy in force;
               income_tax="brackets": one marginal    for each bracket threshold z_k of taxable
               rate per bracket in [0, 1], then       income: share of households at or above,
               tau_a, xi_a, G/Y.                      their mean taxable income / y0, and their
                                                      share of inverse-income welfare weight.
household_i    2 dims in [0, 1]: p = share of cash    [wealth / y0, ability; the policy in force
               on hand saved; hhat = share of the     as it affects households, the same for HSV
               time endowment (3,893.33 h/yr)         and brackets: average and marginal income-tax
               worked.                                rates at 0.5, 1, 2 and 5 x mean income,
                                                      average wealth-tax rate at 1 and 10 x mean
                                                      wealth, G/Y; then mean wealth / y0, mean
                                                      income / y0, wage index, interest rate
                                                      (fraction/yr), GDP per household / y0, last
                                                      lump-sum transfer / y0] (19 dims)
=============  =====================================  ===============================================

Names of every observation component: ``env.government_obs_names()`` and
``env.household_obs_names()``. Actions outside a Box are clipped to it and the
number of clipped components is reported in ``infos[agent]["clipped_actions"]``.

One year (``econ_envs.taxai.kernels.economy_step``)
---------------------------------------------------
Timing: the government's action at year t is the policy in force in year t+1,
so households always observe the policy they face. At year t, with state
(a_i, e_i, K, B) and policy in force (tau, xi, tau_a, xi_a, g)::

    h_i   = H * hhat_i                 L = sum_i e_i h_i
    Y     = A K^alpha L^(1-alpha)      w = (1-alpha) Y / L      r = alpha Y / K - delta
    y_i   = w e_i h_i + r a_i                                   (pre-tax income)
    T_i   = y_i - (1-tau) ybar^xi y_i^(1-xi)   for y_i > 0     (HSV; or the bracket schedule on
                                                                y_i - standard deduction)
    Ta_i  = min(max(0, a_i - (1-tau_a) abar^xi_a a_i^(1-xi_a)), a_i min(1, 1+r))
    tr    = phi (B* - B) / N, a levy when negative, collected up to cash on hand (fiscal rule)
    B*    = s (K + B), s = debt_target_ratio / (K/Y + B/Y at calibration)   (debt_anchor="wealth";
            "level": B* = debt_target_ratio y0 N)
    m_i   = a_i + y_i - T_i - Ta_i + tr_i                       (cash on hand, >= 0)
    c_i   = (1 - p_i) m_i / (1 + tau_c)        a'_i = p_i m_i   (budget: a'_i + (1+tau_c) c_i = m_i)
    G     = g Y
    B'    = (1 + r) B + G + sum tr_i - sum (T_i + Ta_i + tau_c c_i)      (government budget)
    K'    = sum a'_i - B'                                                  (asset market)
          = (1 - delta) K + Y - C - G                                      (resource constraint)
    log e'_i = rho log e_i + sigma eps_i  (normal state; super-star: e = 504.3 x mean normal ability)

ybar is last year's mean pre-tax income and abar this year's mean wealth (so tau
is the average rate of the mean earner); B* = 1.2129 y0 N; phi = 1 by default.
Because wealth is a share of non-negative cash on hand, no action can make
wealth negative (a borrowing limit at zero).

Rewards
-------
* household_i: log(max(c_i / y0, 1e-3)) - 10 hhat_i^3 / 3 (CRRA 1 and inverse Frisch 2
  as DSMFG, without its sigmoid; general CRRA theta: (c^(1-theta) - 1)/(1-theta)).
  O(1): about -0.5 at calibration.
* government, by ``task``: ``gdp`` - GDP per household / y0 (``gdp_reward="growth"``:
  TaxAI's growth rate; ``"capital_growth"``: DSMFG's 100 x capital growth);
  ``gini`` - 1 - (wealth Gini + disposable-income Gini) / 2; ``social_welfare`` - mean
  household utility; ``gdp_gini`` - Sen's index, GDP per household / y0 x (1 -
  disposable-income Gini).
* In a collapse year the government also receives -``collapse_penalty`` (100), so
  ending the episode early never pays; households too when ``household_collapse`` is
  "termination" (see Episode end).

Starting state
--------------
Calibrated to 2022 U.S. facts (``TaxParams.us2022()``): GDP per household y0 =
69,919.51 USD, K/Y = 3, debt/GDP = 1.2129, alpha = 0.36, delta = 0.08 (r = 4 %).
Wealth: stratified draws from a lognormal body (sigma 2.25) with a Pareto tail
(exponent 1.5) above the 90th percentile, rescaled to mean K/N + B/N (Gini about
0.82, top-10 % share about 0.7). Ability: the stationary distribution of the log
AR(1) (innovation sd 0.18, stationary sd 0.95; income Gini about 0.5). TFP is set so the calibrated economy
produces y0 per household at 1,811 hours a year. The policy in force in year 0 is
``reset(options={"policy": ...})`` (default: all zeros).

Episode end
-----------
``truncated`` after ``episode_length`` (300) years. An economic collapse ends the
episode early, with the reason in ``infos[agent]["termination_reason"]``:
``capital_depleted`` when K' falls below 1 % of its initial level (household
savings no longer cover government debt). Extreme actions alone never end an
episode. A collapse *terminates* the government (the leader whose policy failed) and,
by default (``household_collapse="truncation"``), *truncates* the households: the
simulation stops but their lives would go on, so learners bootstrap the value of
their wealth instead of treating the collapse as the end of the world. (With
termination for everyone, as in DSMFG and TaxAI, a household policy trained while
early policies collapse the economy learns that consuming everything pays - the
shorter the episodes the more it consumes, which collapses them sooner.)
``household_collapse="termination"`` restores the references' semantics.

Arguments
---------
Any field of :class:`~econ_envs.taxai.params.TaxParams`, plus ``preset`` in
``us2022`` (default) / ``taxai`` / ``dsmfg``. The most used: ``n_households``,
``task``, ``income_tax`` ("hsv" or "brackets"), ``episode_length``,
``fiscal_rule_strength``, ``debt_anchor``.

Fiscal setup (``debt_anchor``, changed 2026-12 for issue 15). Debt starts at the calibrated
1.2129 x GDP (OECD 2022) and the rule's target is a fixed share s = 1.2129 / (3 + 1.2129)
= 0.288 of household wealth: bonds are a constant share of household portfolios, and
capital is the rest, K = A - B ~ (1 - s) A. A population that saves less than optimal then
shrinks the capital stock and loses welfare instead of ending the world: with everyone at a
constant saving share, a free-market economy survives all 300 years down to a share of 0.7
(0.84 is about the steady state), where the earlier fixed debt level (``debt_anchor="level"``,
as in DSMFG, whose debt is a fixed level too) collapsed below 0.8. A collapse is still
possible, but only when the capital stock is all but gone (K' below 1 % of its initial
level: a one-year fall of wealth by about 70 %, or a deficit of that size). At the
calibrated wealth both anchors give the same target, so the calibration facts are unchanged;
what changes is that public debt now moves with private wealth (a wealthier economy also
issues more bonds; a government cannot force households to keep holding a debt their
savings no longer cover).

Households that optimise (``econ_envs.taxai.optimal``)
------------------------------------------------------
Objective. A household maximises E sum_t beta^t [u(c_t) - chi hhat_t^(1+eta)/(1+eta)], the
reward the env pays, with beta = ``TaxParams.discount`` (0.975, DSMFG's discount; the RLlib
household modules' gamma reads this field).

Horizon and collapse, the same for the dynamic programme and the RL learners. The simulation
ends after ``episode_length`` years or at a collapse, but a household's life does not: RL
learners are *truncated* there (time limit; a collapse too, with the default
``household_collapse="truncation"``) and bootstrap the critic's value of their state; the
dynamic programme's continuation after the last simulated year T is the household's
infinite-horizon value V_T(a, e) with year T-1's prices, transfer and policy held forever. (The
DP refuses ``household_collapse="termination"``, where a collapse ends the household's life.)

Exact best response (:func:`~econ_envs.taxai.optimal.best_response`). Given the aggregate path
one household takes as given (:func:`~econ_envs.taxai.optimal.record_path`: r_t, w_t, the policy
in force, the HSV references, the rule's transfer or levy, tau_c), backward induction over the
path's years. State: wealth on 100 exponentially spaced points from 0 to 20,000 y0 times ability
on an 11-node Rouwenhorst chain for the log-AR(1) plus the super-star node (entry and exit
probabilities as the env's). Savings by the endogenous-grid method (exact on the grid); hours by
a global search of the objective's slope with Illinois refinement to 1e-6 and value comparison
(the levy cap and non-monotone bracket rates make the hours problem non-concave; where it provably
has one local maximum, the search starts from next year's hours); the marginal
value of wealth in a form that also holds where households bunch at a bracket kink. Saving is
capped at the grid's top (binds only for super-stars where beta (1 + r) > 1). Accuracy, measured:
Euler residuals 10^-5.9 on average (99th percentile 10^-3.5) under U.S. federal brackets; the
DP value matches households simulated with the env's own (continuous) ability process within
Monte-Carlo error plus 0.3 % (tested).

Exploitability (:func:`~econ_envs.taxai.optimal.household_exploitability`). For the profile
that produced a path (every household following the same policy), with N households i:

    gain = (1/N) sum_i [ V^BR_i - V^pi_i ],
    V_i  = sum_{t<T} beta^t u_it + beta^T V_T(a_iT, e_iT)   (realised on household i's own shocks)

where BR is the exact best response to the path (one household deviates alone, the aggregates do
not move). Reported in utils, per year (gain (1 - beta)/(1 - beta^T)) and as a
consumption-equivalent: the uniform rise lambda in every episode year's consumption that gives
the profile the best response's value (log utility: lambda = exp(gain per year) - 1).
``econ-envs exploitability CHECKPOINT`` measures it for trained RLlib households.

Equilibrium concepts. (1) Perfect-foresight (rational-expectations) paths,
:func:`~econ_envs.taxai.optimal.equilibrium_path`: households best-respond to the whole path
their choices produce in the real env (same seed, so the same shocks), the government rule
reacting as in a simulation (stationary rules and Saez alike); Anderson-accelerated fixed-point
iteration until the path moves by < 1e-3 or the households' exploitability on it is below
0.01 % of consumption. ``simulate --households optimal`` and the equilibrium tables use it.
(2) Anticipated utility, :class:`~econ_envs.taxai.optimal.AnticipatedUtilityHouseholds`: each
year households follow the infinite-horizon policy for the environment they face, as if it
lasted forever (Kreps 1998; Cogley & Sargent 2008) - for a government whose future actions they
cannot foresee: ``gymnasium.make("econ_envs/TaxAI-Planner-v0", household_policy="optimal")``
(environment read from the economy's state) and ``make_household_policy("optimal")`` / a frozen
RLlib module (read from the observations; HSV schedules). (3) The stationary (Aiyagari)
equilibrium under a fixed policy, :func:`~econ_envs.taxai.optimal.stationary_equilibrium`.

The best classical schedule. :class:`~econ_envs.taxai.policies.BestHSV` (``best_hsv``) is the
stationary HSV policy that maximises the task's objective against optimal households over the
300-year episode (``econ_envs.taxai.best_hsv``; ``python scripts/taxai_equilibrium.py
--search``). Tables: ``docs/taxai/equilibrium/``.

Deviations from DSMFG and TaxAI (and why)
-----------------------------------------
* Interest rate from the marginal product of capital (both fix r = 4 %); capital from
  asset-market clearing with depreciation (DSMFG's law K' = (1+r)K + (1-alpha)Y - C - G
  has no depreciation and explodes to 1e13 GDP per household).
* Consumption is a share of cash on hand (TaxAI) rather than of post-tax income only
  (DSMFG), so saving shares in [0, 1] can never produce negative wealth; no rescaling
  of consumption and no termination for C + G > Y, which cannot happen.
* Calibration from published facts and a parametric wealth distribution instead of the
  SCF file (DSMFG uses K/Y = 0.183, an investment share, and SCF assets whose capital
  income is 6x GDP, so most baselines go bankrupt in year 1); TFP calibrated instead
  of A = 10; abilities start from the stationary distribution instead of education codes.
* HSV taxes normalised by mean income/wealth, so tau is a unit-free average rate
  (DSMFG's x - (1-tau)/(1-xi) x^(1-xi) depends on the currency unit); the wealth tax
  is never a transfer.
* A fiscal rule (lump-sum transfers keep debt at its target, a share of household wealth;
  strength 0 restores DSMFG's pure debt finance, ``debt_anchor="level"`` a fixed target)
  and a documented collapse condition instead of termination on Gini thresholds, NaNs or
  a negative wealth.
* Policies chosen at t act at t+1 (DSMFG applies them at once, unseen by households).
* Household utility without the sigmoid (which flattens incentives and rewards
  early termination), consumption normalised by y0 instead of 1,000 USD.
* U.S. federal 2022 without DSMFG's undocumented 559.98 USD credit.
* Super-stars return to the stationary normal-state distribution instead of
  U(min, max) of current abilities; entries are drawn as a Binomial count.

Version history
---------------
* v0: first release.
"""

from econ_envs.core.registry import EnvSpec, register
from econ_envs.taxai.env import TaxEnv, parallel_env
from econ_envs.taxai.params import TaxParams

PLOT_PANELS = (
    ("GDP per household (USD/yr)", ("gdp_per_household",)),
    ("Consumption and investment (USD/yr, whole economy)", ("consumption", "investment", "government_spending")),
    ("Gini coefficients (Gini index, 0-1)", ("wealth_gini", "income_gini", "disposable_income_gini")),
    ("Debt and capital (multiples of GDP)", ("debt_to_gdp", "capital_to_gdp")),
    ("Interest rate (fraction/yr)", ("interest_rate",)),
    ("Tax revenue (USD/yr)", ("income_tax_revenue", "wealth_tax_revenue", "consumption_tax_revenue", "transfers")),
    ("Tax rates (fractions)", ("average_income_tax_rate", "tax_to_gdp")),
    (
        "Policy in force (rates and shares as fractions)",
        (
            "tau",
            "xi",
            "tau_a",
            "xi_a",
            "spending_share",
            "rate_0",
            "rate_1",
            "rate_2",
            "rate_3",
            "rate_4",
            "rate_5",
            "rate_6",
        ),
    ),
)


def plot_labels(env) -> dict[str, str]:
    """Legend entries of the macro panels; bracket rates carry their taxable-income thresholds."""
    p = env.params
    labels = {
        "gdp_per_household": "GDP per household",
        "consumption": "consumption",
        "investment": "investment",
        "government_spending": "government spending",
        "wealth_gini": "wealth",
        "income_gini": "pre-tax income",
        "disposable_income_gini": "disposable income",
        "debt_to_gdp": "public debt / GDP",
        "capital_to_gdp": "capital / GDP",
        "interest_rate": "interest rate",
        "income_tax_revenue": "income tax",
        "wealth_tax_revenue": "wealth tax",
        "consumption_tax_revenue": "consumption tax",
        "transfers": "transfers to households",
        "average_income_tax_rate": "average income-tax rate",
        "tax_to_gdp": "tax revenue / GDP",
        "tau": "income tax level tau (HSV)",
        "xi": "income tax progressivity xi (HSV)",
        "tau_a": "wealth tax level tau_a",
        "xi_a": "wealth tax progressivity xi_a",
        "spending_share": "spending / GDP",
    }
    cuts = p.bracket_thresholds
    for k, lo in enumerate(cuts):
        hi = f"{cuts[k + 1]:,.0f}" if k + 1 < len(cuts) else "+"
        labels[f"rate_{k}"] = f"marginal rate, taxable income {lo:,.0f}{'-' if k + 1 < len(cuts) else ''}{hi} USD"
    return labels


register(
    EnvSpec(
        id="taxai-v0",
        description="Tax policy: a government and 10-100,000 heterogeneous households (DSMFG/TaxAI, Bewley-Aiyagari)",
        entry_point="econ_envs.taxai.env:TaxEnv",
        simulate_policies={
            "free_market": "econ_envs.taxai.policies:FreeMarketProfile",
            "us_federal": "econ_envs.taxai.policies:USFederalProfile",
            "saez": "econ_envs.taxai.policies:SaezProfile",
            "best_hsv": "econ_envs.taxai.policies:BestHSVProfile",
        },
        default_policy="us_federal",
        plot_panels=PLOT_PANELS,
        plot_labels=plot_labels,
        agents_kwarg="n_households",
    )
)

GYM_ENVS = {  # id -> gymnasium.register keywords; max_episode_steps = the default episode_length (years)
    "econ_envs/TaxAI-Planner-v0": {"entry_point": "econ_envs.taxai.planner:TaxPlannerEnv", "max_episode_steps": 300},
}

__all__ = ["TaxEnv", "TaxParams", "parallel_env"]
