"""Monetary transmission with a central bank, banks, households and firms: ``monetary-v0``.

Description
-----------
A monthly agent-based economy in which monetary policy reaches prices and
output through agents' decisions rather than through hard-coded equations.
A central bank moves its policy rate in 25/50 bp steps; commercial banks set
loan and deposit rates as spreads over it and choose their lending standards;
households choose how much of their spendable income to consume, whether to
borrow and how much to work; firms choose price changes, hiring and
investment. Three markets clear every month in numba kernels - labour
(vacancies, a matching function, separations, Nash-bargained wages), credit
(standards, origination, repayment, arrears, defaults, loan losses, bank
capital) and goods (CES demand across posted prices, sales limited by stock,
inventories) - and every balance sheet adds up each month. Ids:
``econ_envs.make("monetary-v0")`` (PettingZoo ``ParallelEnv``) and
``gymnasium.make("econ_envs/Monetary-CentralBank-v0")`` (the central bank's
problem with the others on rules or any callables).

Units
-----
Time is a month. Inside the economy every rate is a fraction per month; every
number users set or see (parameters, observations, ``aggregates()``, CSV,
plots) shows rates annualised in percent per year by x1200 (APR convention,
so a 25 bp step of the annual rate is exactly 25/12 bp a month and the Fisher
relation holds in both units). Inflation "12m" is the sum of the last twelve
monthly inflation rates (x100, %/yr). Money is in currency units (the initial
price level is about 1); real quantities in units of the good per month (a
worker at normal hours makes about one unit a month). The output gap is in
percent of potential output; unemployment is a fraction of households.

Agents
------
=============  ========  ==================================================  ========================================
agent          count     action (Discrete; table in ``.actions``)            observation (Box, float32; names/units)
=============  ========  ==================================================  ========================================
central_bank   1         5: policy-rate change -50, -25, 0, +25, +50 bp      18: policy rate, its own rate, monthly and
                         (annual rate)                                       12-month inflation, target, expected
                                                                             inflation, output gap (now and 3-month
                                                                             mean), unemployment, natural rate, mean
                                                                             lending/deposit rates, credit growth,
                                                                             loan-loss rate, bank capital ratio,
                                                                             last rate, time, at-lower-bound flag
bank_i         5         75: lending spread (1.0-3.0 %/yr) x deposit spread  16: policy/own/market rates, capital
                         (0-2 %/yr) x risk tolerance (low/medium/high:       ratio and minimum, loan and deposit
                         DSTI cap 25/35/45 %, firm leverage cap 30/50/70 %)  shares, loss rate, reserves and advances
                                                                             to deposits, ROE, inflation, gap, u
household_i    100       30: consumption rate (0.70-0.90 of spendable        17: employed, wage, income, deposits,
                         income) x borrow (no/yes) x labour supply (hours    loan (months of the average wage), debt
                         0.8/1.0/1.2 if employed; search effort 0.5/1/1.5    service / income, deposit and lending
                         if unemployed)                                      rates, expected and 12m inflation, u,
                                                                             consumption, hours, ownership, time,
                                                                             permanent income
firm_i         20        45: price change (-2, -1, 0, +1, +2 %) x hiring     17: relative price, normal unit labour
                         (fire/hold/hire) x investment (0.5/1.0/1.5 x        cost / price, inventory and cash months,
                         depreciation)                                       sales/production, workers, fill rate,
                                                                             leverage, lending rate, expected
                                                                             inflation, marginal product of capital,
                                                                             capital, wage, inflation, gap, time,
                                                                             expected sales / production
=============  ========  ==================================================  ========================================

Counts are ``n_banks``, ``n_households``, ``n_firms``. Observation names and
units: ``env.obs_names(role)`` and ``econ_envs.monetary.economy.*_OBS_UNITS``.
``econ_envs.monetary.actions`` has the decode tables (``decode``, ``encode``,
``action_table(role, params)``).

Rewards
-------
* central_bank: -[(pi12 - pi*)^2 + lambda gap^2 + mu (i - i_prev)^2] in annual
  percentage points (lambda = 0.5, mu = 0.1); no Taylor rate appears anywhere.
* bank_i: 100 x (net interest income - write-offs) / (price level x calibrated
  equity per bank) - 10 x relative capital shortfall below 8 % - 50 in a month
  it is resolved.
* household_i: log(c / c*) - chi h^(1+phi) / (1+phi) + 0.05 log(1 + real
  deposits / y*) - 0.05 x real debt / y* (chi 0.5, phi 1: 0.25 at normal hours,
  0 when unemployed), with c* and y* steady-state consumption and income.
* firm_i: economic profit (revenue - wages - interest + deposit interest -
  depreciation at current prices) / (price level x steady-state output per
  firm) - 0.01 x inventory value / same - 10 in a month it defaults.

Starting state
--------------
The steady state at the initial policy rate (3 %/yr) with every agent at its
middle choice: 95 % of households employed (u* = 5 %), firms with capital
k* per worker where MPK / (1 + markup) equals the user cost, prices at the
markup over marginal cost, inventories at one month of sales, firm debt where
new loans (30 % of investment) equal repayments, household debt of 3.6 months
of the wage on average (exponentially spread over the employed), deposits of
three months of net income, firm cash that pays out exactly a month's profit,
bank equity at the 12 % target plus the buffer that pays out a month's margin,
reserves closing every bank's balance sheet (central-bank advances cover any
shortfall) and an unemployment-insurance fund of 12 months of benefits.
Ownership shares of firms and banks are Pareto(1.5) across households.

Episode end
-----------
``truncated`` after ``episode_length`` months (120). ``terminated`` only on a
collapse, with the reason in ``infos[agent]["termination_reason"]``: a
non-finite state, the price level leaving [P0/1000, 1000 P0], or nobody
employed. Extreme actions as such never end an episode.

Arguments
---------
Any field of :class:`~econ_envs.monetary.params.MonetaryParams`, e.g.
``n_banks``, ``n_households``, ``n_firms``, ``episode_length``,
``zero_lower_bound`` (default True), ``inflation_target``,
``initial_policy_rate``, ``loss_output_weight``, ``loss_rate_change_weight``.
``reset(options={"shocks": {kind: size}})`` and ``env.apply_shock(kind, size)``
schedule shocks that start the next month and decay by ``shock_persistence``
(0.9) a month: ``policy_rate`` (pp of the annual rate, added to the rate the
central bank chose), ``cost_push`` (% added to every bargained wage),
``demand`` (% added to households' planned spending), ``credit`` (% of
borrowers forced into default).

One month (``econ_envs.monetary.kernels.economy_step``)
--------------------------------------------------------
Rates below are monthly fractions.

1. Policy: i_cb = clip(i_cb + change, floor, cap); the rate in force
   i = clip(i_cb + shock, floor, cap), floor 0 under the ZLB. Bank b:
   rL_b = i + sL_b, rD_b = max(i - sD_b, min(i, 0)); its risk tolerance sets its
   DSTI and leverage caps.
2. Labour: each job ends with probability s = 2 %; "fire" lays off
   max(1, 10 % of workers) (keeping one); desired hires are the month's
   separations ("hold") plus max(1, 10 % of workers) ("hire"); vacancies =
   desired hires / q* (q* = f*/theta*). The unemployed search with effort e;
   matches M = min(S, V, A sqrt(S V)) with S = sum e, A = f*/sqrt(theta*); a
   searcher meets an open vacancy with probability min(1, e M / S); a firm
   closes its vacancies once its desired hires are filled.
3. Goods supply: posted prices p_f x (1 + change); inflation
   pi = sum_f w_f p_f,new / sum_f w_f p_f,old - 1 with w_f last month's sales
   shares (a chain-linked transaction index), P = P_prev (1 + pi); production
   y_f = A_f K_f^alpha H_f^(1-alpha) with H_f the hours of its workers.
4. Credit: firms ask for max(wage bill + investment + debt service - cash,
   30 % of investment); households that chose "borrow" ask for three months
   of the average wage. A borrower without a loan goes to the cheapest bank
   that approves; one with a loan tops up at its lender. Bank b grants up to
   its DSTI cap (dsti_b income / (rL_b + 1/60) - L) or leverage cap
   (lev_b P K - L), and only while equity / loans stays >= 8 %; a grant
   below 25 % (households) or 5 % (firms) of the request is refused. New
   loans create deposits.
5. Wages: W_f x hours, pro rata if the firm's cash falls short; 2.5 % goes to
   the unemployment-insurance fund (an account at the central bank), which
   pays 40 % of the average wage to the unemployed in their first six months
   (pro rata if it runs dry).
6. Interest on start-of-month balances: rD on deposits, i on reserves,
   i + 1 %/yr on advances; the central bank remits a positive net income to
   households in equal parts.
7. Debt service: interest rL L0 accrues; the borrower owes interest + L0/60.
   An employed household that cannot pay it all pays what it has and the
   shortfall is added to its loan; an unemployed one, a firm that cannot pay,
   or any borrower hit by the credit shock defaults: the lender recovers up to
   40 % of the balance from its deposits and writes off the rest.
8. Dividends: firms pay 20 % of cash above two months of wages and the
   month's investment; banks 20 % of equity above 12 % of loans; shared by
   ownership.
9. Goods market: households budget c x (permanent income + deposits / 12) +
   new loan (a durable purchase), at most their deposits; firms budget their
   investment (rate x depreciation x K x P), at most their cash. Spending is
   split across firms with stock by (p_f/P)^(1-eta) (units ~ p^-eta);
   sales = min(demand, inventory + production); unmet spending is re-offered
   twice to firms with stock left; every buyer gets the same share of its
   budget filled.
10. Stocks: S' = (1 - 1 %) (S + y - q), K' = (1 - delta) K + I, expected sales
    EMA(0.3).
11. Wages for next month: w* = beta MPL_norm + (1 - beta) b + beta kappa theta
    (Pissarides 2000) with MPL_norm the firm's marginal product at the normal
    capital-labour ratio, theta the smoothed V/U (capped at 3 theta*), b =
    0.76 w*, kappa from the steady state; W' = W + 0.1 (P (1 + pi^e) (1 +
    cost shock) w* - W).
12. Each month 5 % of households compare their bank's deposit rate with a
    random bank's and move their deposits if it pays more.
13. Settlement: a bank below its reserve requirement (1 % of deposits) borrows
    the shortfall from the central bank, a bank above it repays advances; a
    bank with negative equity is resolved - the central bank injects reserves
    to restore 8 % of loans.
14. Aggregates: u = unemployed / N; pi12 = sum of the last 12 monthly
    inflation rates; expected inflation pi^e = 0.5 pi* + 0.5 pi12; output gap
    below; rewards; next observations.

Rule agents and analyses
------------------------
``econ_envs.monetary.policies`` has the central-bank rules (Taylor 1993, balanced
approach, NPP, inertial Taylor, fixed rate; ``econ-envs simulate monetary-v0
--policy taylor93|balanced|npp|inertial|fixed_rate``) and the heuristic banks,
households and firms, all plain callables from a role's observations to action
indices. ``econ_envs.monetary.analysis`` (``econ-envs analyze monetary-v0
simulate|irf|reaction|loss-table|gini|zlb|all --seeds N --out DIR``) computes
impulse responses with common random numbers, fitted reaction functions, the
rule loss table, the wealth Gini over time and a zero-lower-bound experiment.

Potential output and the output gap
-----------------------------------
Potential output is what the firms' current capital and allocation would
produce with total hours at their natural level L* = (1 - u*) N x normal
hours, where u* = s / (s + f*) = 5 % is the steady-state unemployment rate of
the matching model (separation rate s, steady-state job-finding rate f*).
With Cobb-Douglas technology this gives gap = (H / L*)^(1-alpha) - 1, an
Okun's law derived from the production function rather than a trend. In
small economies integer workforces add mismatch, so the rule-based economy
runs below potential on average (about -2 % at 100 households, -0.6 % at
1,000).

Stock-flow consistency
----------------------
Households hold deposits and loans; firms cash, loans, capital and
inventories; banks reserves and loans against deposits, central-bank advances
and equity; the central bank advances against reserves, the insurance fund's
account and its equity. Every month (tests check it): each balance sheet is
its start plus the month's flows; every bank's reserves + loans = deposits +
advances + equity with loans and deposits summed over its borrowers and
depositors; the central bank's equity = advances - reserves - fund; output =
consumption + investment + inventory change + spoilage. Money (deposits of
households and firms) changes only through documented channels: lending minus
repayments and recoveries, interest paid to and by banks, bank dividends, the
central bank's remittance, and net insurance flows.

Deviations from the reference code (Economy_RL) and why
-------------------------------------------------------
* Actions exactly as its README (5/75/30/45); its code uses 21 rate levels and
  36/24/100 actions.
* The central bank's reward is the quadratic loss of the README; the code
  rewards imitating a hard-coded Taylor rate, so an "emergent Taylor rule"
  could not emerge there.
* One rate unit everywhere (monthly inside, annualised x12 for display); the
  code divides an already monthly target by 12 again and uses a monthly r* as
  an annual one.
* Wages come from Nash bargaining on tightness, not a hard-coded Phillips
  curve; prices from firms' price changes (sticky through an (S, s) rule of
  the baseline firms), not Calvo; inflation from transactions, not a smoothed
  formula clipped to [-10, 30] %.
* Potential output from the production function at the matching model's
  natural unemployment, not Okun's law on an exponential trend.
* Balance sheets are explicit and checked; the code has no consistent money.
* Households split consumption over firms by relative price and new loans
  finance durable purchases; credit therefore moves with output.
* An unemployment-insurance fund and the central bank's remittance close the
  money circuit (not in the reference); without them the economy has no
  automatic stabiliser and sinks into deflationary slumps.
* Policy-rate shocks are deviations added to the rate the central bank
  chose, decaying at 0.9 a month, so the same experiment works for rule and
  learned central banks.

Version history
---------------
* v0: first release.
"""

from econ_envs.core.registry import EnvSpec, register
from econ_envs.monetary.env import MonetaryEnv, parallel_env
from econ_envs.monetary.params import MonetaryParams

PLOT_PANELS = (
    ("Output (units of the good per month)", ("gdp", "potential_gdp", "consumption", "investment")),
    ("Inflation (%/yr)", ("inflation_12m", "inflation", "expected_inflation", "inflation_target")),
    ("Unemployment (fraction of households)", ("unemployment", "natural_unemployment")),
    ("Rates (%/yr)", ("policy_rate", "lending_rate", "deposit_rate", "real_rate")),
    ("Output gap (% of potential)", ("output_gap",)),
    ("Credit and money (currency units)", ("credit", "household_credit", "firm_credit", "deposits")),
    ("Bank capital ratio (% of loans)", ("bank_capital_ratio",)),
    ("Wealth Gini (Gini index, 0-1)", ("wealth_gini",)),
)

PLOT_LABELS = {
    "gdp": "GDP",
    "potential_gdp": "potential GDP",
    "inflation_12m": "12-month inflation",
    "inflation": "monthly inflation, annualised",
    "expected_inflation": "expected inflation",
    "inflation_target": "inflation target",
    "natural_unemployment": "natural rate",
    "policy_rate": "policy rate",
    "lending_rate": "lending rate",
    "deposit_rate": "deposit rate",
    "real_rate": "real rate",
    "household_credit": "household credit",
    "firm_credit": "firm credit",
    "credit": "total credit",
}

register(
    EnvSpec(
        id="monetary-v0",
        description="Monetary transmission: central bank, banks, households, firms; labour/credit/goods markets",
        entry_point="econ_envs.monetary.env:MonetaryEnv",
        simulate_policies={
            "taylor93": "econ_envs.monetary.policies:Taylor93Profile",
            "balanced": "econ_envs.monetary.policies:BalancedProfile",
            "npp": "econ_envs.monetary.policies:NppProfile",
            "inertial": "econ_envs.monetary.policies:InertialProfile",
            "fixed_rate": "econ_envs.monetary.policies:FixedRateProfile",
        },
        default_policy="taylor93",
        plot_panels=PLOT_PANELS,
        plot_labels=PLOT_LABELS,
        agents_kwarg="n_households",
    )
)

GYM_ENVS = {  # id -> gymnasium.register keywords; max_episode_steps = the default episode_length (months)
    "econ_envs/Monetary-CentralBank-v0": {
        "entry_point": "econ_envs.monetary.central_bank:CentralBankEnv",
        "max_episode_steps": 120,
    },
}

__all__ = ["MonetaryEnv", "MonetaryParams", "parallel_env"]
