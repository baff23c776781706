"""The monetary economy's equations as numba kernels on arrays.

No Python objects per agent, no randomness inside (every draw comes in as raw
64-bit words from the env's ``numpy.random.Generator``), no I/O. All rates are
fractions per month here (the family's internal convention; see
:mod:`econ_envs.monetary.params`). Symbols follow the family manual
(``econ_envs.monetary``):

    i, i_cb        policy rate in force, rate chosen by the central bank
    rL_b, rD_b     bank b's lending and deposit rates
    D_i, L_i       household deposits and loan;   M_f, Lf_f   firm cash and loan
    R_b, A_b, E_b  bank reserves, central-bank advances, equity
    W_f, p_f       firm wage per month of normal hours, posted price
    K_f, S_f, y_f  capital, inventories, production (units of the good)
    P, pi          price level (chain-linked transaction index), monthly inflation
    theta          labour-market tightness V/U

State arrays are 2-D with one row per variable (constants ``H_*``, ``F_*``,
``B_*``) so each variable is contiguous; :func:`economy_step` never modifies
its inputs and returns new arrays.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# ---------------------------------------------------------------- state layouts
# household floats (rows of hf, shape (HF_ROWS, N))
H_DEP, H_LOAN, H_OWN, H_INCOME, H_WAGE, H_CONS, H_HOURS, H_DIV, H_PERM = range(9)
HF_ROWS = 9
# household ints (rows of hi)
H_EMP, H_DBANK, H_LBANK, H_SPELL = range(4)
HI_ROWS = 4
# firm floats (rows of ff, shape (FF_ROWS, F))
(F_CASH, F_LOAN, F_PRICE, F_WAGE, F_CAP, F_INV, F_TFP, F_EXPSALES, F_SALES, F_PROD, F_HOURS, F_WEIGHT, F_BILL,
 F_MPL) = range(14)  # fmt: skip
FF_ROWS = 14
# firm ints (rows of fi)
F_DBANK, F_LBANK, F_NWORK = range(3)
FI_ROWS = 3
# bank floats (rows of bf, shape (BF_ROWS, B))
B_RES, B_ADV, B_EQ, B_SL, B_SD, B_RISK, B_LOANS, B_DEPS, B_PROFIT, B_WRITEOFF = range(10)
BF_ROWS = 10
# macro state (mac)
(M_ICB, M_I, M_IPREV, M_P, M_PIE, M_THETA, M_FILL, M_CBEQ, M_T, M_WBAR, M_PI, M_PI12, M_GAP, M_U, M_Y,
 M_SH_POL, M_SH_COST, M_SH_DEM, M_SH_CRED, M_CREDIT, M_CREDIT_GROWTH, M_DEFAULT_RATE, M_FUND, M_PIHIST,
 ) = range(24)  # fmt: skip
M_CREDHIST = M_PIHIST + 12
M_GAPHIST = M_CREDHIST + 12
M_SIZE = M_GAPHIST + 3

# packed constants (kp)
(KP_ALPHA, KP_DELTA, KP_ETA, KP_INV_DECAY, KP_SALES_SMOOTH, KP_SEP, KP_MATCH, KP_BETA, KP_B, KP_KAPPA, KP_WAGE_ADJ,
 KP_THETA_SMOOTH, KP_HIRE_STEP, KP_TH, KP_TF, KP_RECOVERY, KP_KMIN, KP_KTARGET, KP_RREQ, KP_LF_SPREAD, KP_SWITCH,
 KP_LOAN_MONTHS, KP_CASH_BUFFER, KP_FIRM_PAYOUT, KP_BANK_PAYOUT, KP_PI_TARGET, KP_ANCHOR, KP_FLOOR, KP_CAP, KP_LSTAR,
 KP_USTAR, KP_CSS, KP_YSS, KP_YFIRM, KP_EQBANK, KP_LAMBDA, KP_MU_LOSS, KP_CHI, KP_FRISCH, KP_PSI_S, KP_PSI_D,
 KP_INV_COST, KP_BANKRUPT_PEN, KP_CAP_PEN, KP_RESOL_PEN, KP_SHOCK_RHO, KP_T_LEN, KP_WORKERS_SS, KP_KSS, KP_THETA_MAX,
 KP_INV_DEBT, KP_FILL_SS, KP_TW, KP_PERM_SMOOTH, KP_UI_RATE, KP_UI_REPL, KP_UI_MONTHS) = range(57)  # fmt: skip
KP_SIZE = 57

# action grids (grids), natural units converted for the kernel
G_CB, G_LS, G_DS, G_DSTI, G_LEV, G_CS, G_HOURS, G_SEARCH, G_INV, G_PC = 0, 5, 10, 15, 18, 21, 26, 29, 32, 35
G_SIZE = 40

# per-step records (for tests, aggregates and analysis)
(RH_ORIG, RH_WAGE, RH_DEPINT, RH_DIV, RH_CONS_NOM, RH_CONS, RH_DEBT_INT, RH_DEBT_PRIN, RH_RECOVERED, RH_WRITEOFF,
 RH_DEFAULT, RH_HOURS, RH_REWARD, RH_REQUEST, RH_TRANSFER, RH_CONTRIB, RH_BENEFIT) = range(17)  # fmt: skip
RH_ROWS = 17
(RF_ORIG, RF_REVENUE, RF_WAGES, RF_INV_NOM, RF_INV_UNITS, RF_DEBT_INT, RF_DEBT_PRIN, RF_RECOVERED, RF_WRITEOFF,
 RF_DEFAULT, RF_DIV, RF_PROD, RF_SALES, RF_DEPINT, RF_PROFIT, RF_REWARD, RF_VAC, RF_HIRED, RF_LAYOFF, RF_SEP,
 RF_SPOILED, RF_REQUEST, RF_WAGE_SHORT) = range(23)  # fmt: skip
RF_ROWS = 23
(RB_ORIG, RB_PRIN, RB_LOAN_INT, RB_DEP_INT, RB_RES_INT, RB_ADV_INT, RB_WRITEOFF, RB_DIV, RB_RECAP, RB_REWARD,
 RB_RL, RB_RD, RB_RECOVERED, RB_ADV_NEW, RB_REQUESTS, RB_GRANTED) = range(16)  # fmt: skip
RB_ROWS = 16
(S_Y, S_H, S_EMPLOYED, S_U, S_V, S_MATCHES, S_THETA, S_FILL, S_PI, S_P, S_GAP, S_C, S_I, S_DEMAND, S_SPENT,
 S_PTX, S_CB_REWARD, S_CB_LOSS, S_I_RATE, S_ICB, S_DI, S_PI12, S_PIE, S_CBEQ, S_RES_INT_CB, S_ADV_INT_CB,
 S_RECAP, S_WBAR, S_UNITS_SOLD, S_INV_UNITS, S_POTENTIAL, S_HH_DEFAULTS, S_FIRM_DEFAULTS, S_RESOLUTIONS,
 S_BREACHES, S_PIH_OLD, S_SEARCHERS, S_SPOILED, S_CREDIT, S_CREDIT_GROWTH, S_DEFAULT_RATE, S_REMIT, S_FUND,
 S_BENEFITS, S_CONTRIB) = range(45)  # fmt: skip
S_SIZE = 45

# observation widths
CB_OBS = 18
BANK_OBS = 16
HH_OBS = 17
FIRM_OBS = 17

_INV53 = 1.0 / 9007199254740992.0  # 2^-53


@njit(cache=True, inline="always")
def uniform(word: np.uint64) -> float:
    """A double in [0, 1) from the top 53 bits of a raw 64-bit word."""
    return np.float64(np.int64(word >> np.uint64(11))) * _INV53


@njit(cache=True, inline="always")
def low_index(word: np.uint64, n: int) -> int:
    """An index in [0, n) from the low 20 bits of a raw word (independent of :func:`uniform`'s bits)."""
    return int((np.int64(word & np.uint64(0xFFFFF)) * n) >> 20)


# ------------------------------------------------------------------ block layouts
# The state lives in two 1-D blocks (floats, ints), the month's records in one float block and the
# observations in one float32 block; each role's variables are contiguous rows of a view.
def float_state_size(N: int, F: int, B: int) -> int:
    return HF_ROWS * N + FF_ROWS * F + BF_ROWS * B + M_SIZE


def int_state_size(N: int, F: int) -> int:
    return HI_ROWS * N + FI_ROWS * F


def record_size(N: int, F: int, B: int) -> int:
    return RH_ROWS * N + RF_ROWS * F + RB_ROWS * B + S_SIZE


def obs_size(N: int, F: int, B: int) -> int:
    return CB_OBS + BANK_OBS * B + HH_OBS * N + FIRM_OBS * F


@njit(cache=True, inline="always")
def float_state_views(fs: np.ndarray, N: int, F: int, B: int):
    """(hf (HF_ROWS, N), ff (FF_ROWS, F), bf (BF_ROWS, B), mac (M_SIZE,)) as views of the float block."""
    a = HF_ROWS * N
    b = a + FF_ROWS * F
    c = b + BF_ROWS * B
    return fs[:a].reshape((HF_ROWS, N)), fs[a:b].reshape((FF_ROWS, F)), fs[b:c].reshape((BF_ROWS, B)), fs[c:]


@njit(cache=True, inline="always")
def int_state_views(is_: np.ndarray, N: int, F: int):
    """(hi (HI_ROWS, N), fi (FI_ROWS, F)) as views of the int block."""
    a = HI_ROWS * N
    return is_[:a].reshape((HI_ROWS, N)), is_[a:].reshape((FI_ROWS, F))


@njit(cache=True, inline="always")
def record_views(frec: np.ndarray, N: int, F: int, B: int):
    """(rec_h (RH_ROWS, N), rec_f (RF_ROWS, F), rec_b (RB_ROWS, B), totals (S_SIZE,)) as views of the record block."""
    a = RH_ROWS * N
    b = a + RF_ROWS * F
    c = b + RB_ROWS * B
    return frec[:a].reshape((RH_ROWS, N)), frec[a:b].reshape((RF_ROWS, F)), frec[b:c].reshape((RB_ROWS, B)), frec[c:]


@njit(cache=True, inline="always")
def obs_views(obs: np.ndarray, N: int, F: int, B: int):
    """(central bank (CB_OBS,), banks (B, BANK_OBS), households (N, HH_OBS), firms (F, FIRM_OBS)) views."""
    a = CB_OBS
    b = a + BANK_OBS * B
    c = b + HH_OBS * N
    return obs[:a], obs[a:b].reshape((B, BANK_OBS)), obs[b:c].reshape((N, HH_OBS)), obs[c:].reshape((F, FIRM_OBS))


# ------------------------------------------------------------------ equations
@njit(cache=True)
def policy_rate(i_cb_prev: float, change: float, shock: float, floor: float, cap: float):
    """i_cb = clip(i_cb_prev + change, floor, cap); rate in force i = clip(i_cb + shock, floor, cap)."""
    i_cb = min(max(i_cb_prev + change, floor), cap)
    i = min(max(i_cb + shock, floor), cap)
    return i_cb, i


@njit(cache=True, inline="always")
def deposit_rate(i: float, spread: float) -> float:
    """rD = i - spread, but never below min(0, i): retail deposit rates stop at zero unless the policy rate is lower."""
    r = i - spread
    lo = i if i < 0.0 else 0.0
    return r if r > lo else lo


@njit(cache=True, inline="always")
def production(tfp: float, K: float, H: float, alpha: float) -> float:
    """y = A K^alpha H^(1-alpha) (zero without hours or capital)."""
    if H <= 0.0 or K <= 0.0:
        return 0.0
    return tfp * math.exp(alpha * math.log(K) + (1.0 - alpha) * math.log(H))


@njit(cache=True, inline="always")
def matching_function(searchers: float, vacancies: float, efficiency: float) -> float:
    """M = min(S, V, A sqrt(S V)): Cobb-Douglas matching with elasticity 1/2 (Petrongolo & Pissarides 2001)."""
    if searchers <= 0.0 or vacancies <= 0.0:
        return 0.0
    m = efficiency * math.sqrt(searchers * vacancies)
    return min(m, searchers, vacancies)


@njit(cache=True, inline="always")
def bargained_wage(mrpl: float, b: float, kappa: float, theta: float, beta: float) -> float:
    """Nash-bargained real wage (Pissarides 2000, eq. 1.20): w = beta MRPL + (1 - beta) b + beta kappa theta."""
    return beta * mrpl + (1.0 - beta) * b + beta * kappa * theta


@njit(cache=True, inline="always")
def stochastic_round(x: float, u: float) -> int:
    """floor(x) + 1 with probability x - floor(x) (unbiased integer rounding)."""
    f = math.floor(x)
    return int(f) + (1 if u < x - f else 0)


@njit(cache=True)
def labour_market(
    emp: np.ndarray,
    hh_choice_ls: np.ndarray,
    hiring: np.ndarray,
    nfirm: int,
    raw: np.ndarray,
    o_sep: int,
    o_match: int,
    o_slot: int,
    o_vac: int,
    layoff_offset: int,
    match_offset: int,
    grids: np.ndarray,
    kp: np.ndarray,
):
    """Separations, layoffs, vacancies and matching; modifies ``emp`` (a copy) in place.

    1. Each job ends with probability s (word o_sep + i).
    2. "fire": a firm lays off max(1, step x workers) (keeping at least one worker).
    3. Desired hires: "hold" replaces this month's separations, "hire" adds max(1, step x workers),
       "fire" wants none (stochastic rounding, word o_vac + f). Vacancies posted = desired hires /
       q*, the steady-state fill rate; a firm closes its vacancies once its desired hires are filled.
    4. The unemployed at the start of the month search with intensity e_i (labour-supply choice);
       matches M = min(S, V, A sqrt(S V)) with S = sum e_i; each searcher meets a vacancy with
       probability min(1, e_i M / S) (word o_match + i), a uniformly drawn open one (word
       o_slot + k for the k-th meeting), and is hired unless that firm has filled its desired hires.

    Returns (nwork, separations, layoffs, vacancies, hires, U, S, V, matches).
    """
    n = emp.size
    sep_rate = kp[KP_SEP]
    step = kp[KP_HIRE_STEP]
    nwork = np.zeros(nfirm, dtype=np.int64)
    sep_f = np.zeros(nfirm)
    eligible = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        e = emp[i]
        if e < 0:
            eligible[i] = True
        elif uniform(raw[o_sep + i]) < sep_rate:
            emp[i] = -1
            sep_f[e] += 1.0
        else:
            nwork[e] += 1
    lay = np.zeros(nfirm, dtype=np.int64)
    layoffs = np.zeros(nfirm)
    any_lay = False
    for f in range(nfirm):
        if hiring[f] == 0 and nwork[f] > 1:
            k = max(1, int(step * nwork[f] + 0.5))
            lay[f] = min(k, nwork[f] - 1)
            layoffs[f] = lay[f]
            any_lay = True
    if any_lay:
        for j in range(n):
            i = (layoff_offset + j) % n
            e = emp[i]
            if e >= 0 and lay[e] > 0:
                emp[i] = -1
                lay[e] -= 1
                nwork[e] -= 1
    q = kp[KP_FILL_SS]
    vac = np.zeros(nfirm, dtype=np.int64)
    want = np.zeros(nfirm, dtype=np.int64)
    V = 0
    for f in range(nfirm):
        if hiring[f] == 0:
            target = 0.0
        elif hiring[f] == 1:
            target = sep_f[f]
        else:
            target = sep_f[f] + max(1.0, step * nwork[f])
        if target > 0.0:
            d = min(stochastic_round(target, uniform(raw[o_vac + f])), n)
            want[f] = d
            v = min(int(math.ceil(d / q)), n) if d > 0 else 0
        else:
            v = 0
        vac[f] = v
        V += v
    U = 0
    S = 0.0
    for i in range(n):
        if eligible[i]:
            U += 1
            S += grids[G_SEARCH + hh_choice_ls[i]]
    M = matching_function(S, float(V), kp[KP_MATCH])
    hires = np.zeros(nfirm)
    matched = 0
    filled = 0
    if M > 0.0:
        slots = np.empty(V, dtype=np.int64)
        k = 0
        for f in range(nfirm):
            for _ in range(vac[f]):
                slots[k] = f
                k += 1
        ratio = M / S
        active = V  # open vacancies are slots[0:active]; a firm's slots close once its desired hires are filled
        for j in range(n):
            if active <= 0:
                break
            i = (match_offset + j) % n
            if not eligible[i]:
                continue
            p = grids[G_SEARCH + hh_choice_ls[i]] * ratio
            if uniform(raw[o_match + i]) < p:
                u = uniform(raw[o_slot + matched])
                matched += 1
                while active > 0:
                    pick = int(u * active)
                    if pick >= active:
                        pick = active - 1
                    f = slots[pick]
                    if hires[f] < want[f]:
                        emp[i] = f
                        nwork[f] += 1
                        hires[f] += 1.0
                        filled += 1
                        if hires[f] >= want[f]:  # close this firm's remaining vacancies
                            k = 0
                            while k < active:
                                if slots[k] == f:
                                    active -= 1
                                    slots[k] = slots[active]
                                else:
                                    k += 1
                        break
                    # a closed slot (cannot happen after closing, kept for safety): drop it and redraw
                    active -= 1
                    slots[pick] = slots[active]
                    u = (u * 7919.0) % 1.0
    return nwork, sep_f, layoffs, vac, hires, U, S, V, filled


@njit(cache=True)
def demand_shares(price: np.ndarray, stock: np.ndarray, P: float, eta: float) -> np.ndarray:
    """Expenditure shares of firms with stock: (p_f / P)^(1 - eta), normalised (CES demand, units ~ p^-eta)."""
    F = price.size
    w = np.empty(F)
    tot = 0.0
    for f in range(F):
        if stock[f] > 0.0:
            w[f] = math.exp((1.0 - eta) * math.log(price[f] / P))
        else:
            w[f] = 0.0
        tot += w[f]
    if tot > 0.0:
        for f in range(F):
            w[f] /= tot
    return w


@njit(cache=True)
def clear_goods_market(demand: float, price: np.ndarray, stock: np.ndarray, shares: np.ndarray, rounds: int):
    """Sales q_f = min(demand_f, stock_f) with unmet spending re-offered to firms with stock left.

    Round 1 allocates nominal ``demand`` by ``shares``; each later round re-allocates
    the unspent amount over the firms that still have stock, in proportion to their
    shares. Returns (units sold per firm, nominal spending done).
    """
    F = price.size
    q = np.zeros(F)
    left = demand
    spent = 0.0
    for _ in range(rounds):
        if left <= 1e-12 * (demand + 1.0):
            break
        tot = 0.0
        for f in range(F):
            if stock[f] - q[f] > 0.0:
                tot += shares[f]
        if tot <= 0.0:
            break
        spent_round = 0.0
        for f in range(F):
            room = stock[f] - q[f]
            if room > 0.0 and shares[f] > 0.0:
                want = left * shares[f] / tot / price[f]
                take = want if want < room else room
                q[f] += take
                spent_round += take * price[f]
        spent += spent_round
        left -= spent_round
    return q, spent


# ------------------------------------------------------------------ one month
@njit(cache=True, error_model="numpy")
def economy_step(
    fs_in: np.ndarray,
    is_in: np.ndarray,
    a_cb: int,
    a_bank: np.ndarray,
    a_hh: np.ndarray,
    a_firm: np.ndarray,
    raw: np.ndarray,
    kp: np.ndarray,
    grids: np.ndarray,
    fs: np.ndarray,
    is_: np.ndarray,
    frec: np.ndarray,
    obs: np.ndarray,
) -> None:
    """One month of the economy. Pure in effect: the state blocks ``fs_in`` (floats) and ``is_in``
    (ints) are read, never modified; the new state, the month's records (``frec``, zero-filled by
    the caller) and next month's observations (``obs``, float32) are written into fresh blocks the
    caller allocates (returning many arrays from numba costs more than the month's economics at
    small sizes). Block layouts: :func:`float_state_views`, :func:`record_views`, :func:`obs_views`.

    Order of events (see the family manual for the equations):
      1. policy rate and bank rates;  2. labour market;  3. prices posted, production;
      4. credit market (requests, standards, origination);  5. wages;  6. interest on deposits,
      reserves and advances;  7. debt service and defaults;  8. dividends;  9. goods market;
      10. inventories, capital, expected sales;  11. wage bargaining for next month;
      12. deposit switching;  13. reserve settlement with the central bank and bank resolution;
      14. aggregates, expectations, rewards, observations.

    """
    N = a_hh.size
    F = a_firm.size
    B = a_bank.size
    fs[:] = fs_in
    is_[:] = is_in
    hf, ff, bf, mac = float_state_views(fs, N, F, B)
    hi, fi = int_state_views(is_, N, F)
    rec_h, rec_f, rec_b, tot = record_views(frec, N, F, B)
    obs_cb, obs_bank, obs_hh, obs_firm = obs_views(obs, N, F, B)
    alpha = kp[KP_ALPHA]
    delta = kp[KP_DELTA]

    D = hf[H_DEP]
    L = hf[H_LOAN]
    own = hf[H_OWN]
    emp = hi[H_EMP]
    dbank = hi[H_DBANK]
    lbank = hi[H_LBANK]
    cash = ff[F_CASH]
    Lf = ff[F_LOAN]
    price = ff[F_PRICE]
    W = ff[F_WAGE]
    K = ff[F_CAP]
    S = ff[F_INV]
    fdbank = fi[F_DBANK]
    flbank = fi[F_LBANK]
    R = bf[B_RES]
    A = bf[B_ADV]
    E = bf[B_EQ]

    # raw-word layout: a fixed number per step, so two runs with the same seed use the same draws for the
    # same purposes whatever happens (common random numbers for shocked vs unshocked runs)
    o_sep = 0
    o_match = N
    o_slot = 2 * N
    o_switch = 3 * N
    o_hdef = 4 * N
    o_vac = 5 * N
    o_fdef = 5 * N + F
    o_misc = 5 * N + 2 * F
    layoff_offset = low_index(raw[o_misc], N)
    match_offset = low_index(raw[o_misc + 1], N)
    credit_offset = low_index(raw[o_misc + 2], N)

    # decode actions
    hh_cs = np.empty(N, dtype=np.int64)
    hh_bw = np.empty(N, dtype=np.int64)
    hh_ls = np.empty(N, dtype=np.int64)
    for i in range(N):
        a = a_hh[i]
        hh_cs[i] = a // 6
        hh_bw[i] = (a // 3) % 2
        hh_ls[i] = a % 3
    f_pc = np.empty(F, dtype=np.int64)
    f_hr = np.empty(F, dtype=np.int64)
    f_iv = np.empty(F, dtype=np.int64)
    for f in range(F):
        a = a_firm[f]
        f_pc[f] = a // 9
        f_hr[f] = (a // 3) % 3
        f_iv[f] = a % 3

    # start-of-month stocks (interest and debt service are computed on these)
    D0 = D.copy()
    L0 = L.copy()
    cash0 = cash.copy()
    Lf0 = Lf.copy()
    R0 = R.copy()
    A0 = A.copy()
    dR = np.zeros(B)
    dE = np.zeros(B)

    # 1. policy rate and bank rates ---------------------------------------------------------------
    i_prev = mac[M_I]
    i_cb, i = policy_rate(mac[M_ICB], grids[G_CB + a_cb], mac[M_SH_POL], kp[KP_FLOOR], kp[KP_CAP])
    rL = np.empty(B)
    rD = np.empty(B)
    dsti = np.empty(B)
    lev = np.empty(B)
    for b in range(B):
        a = a_bank[b]
        ls = a // 15
        ds = (a // 3) % 5
        rt = a % 3
        bf[B_SL, b] = grids[G_LS + ls]
        bf[B_SD, b] = grids[G_DS + ds]
        bf[B_RISK, b] = rt
        rL[b] = i + grids[G_LS + ls]
        rD[b] = deposit_rate(i, grids[G_DS + ds])
        dsti[b] = grids[G_DSTI + rt]
        lev[b] = grids[G_LEV + rt]
        rec_b[RB_RL, b] = rL[b]
        rec_b[RB_RD, b] = rD[b]
    loans_b = np.zeros(B)
    for j in range(N):
        if lbank[j] >= 0:
            loans_b[lbank[j]] += L[j]
    for f in range(F):
        if flbank[f] >= 0:
            loans_b[flbank[f]] += Lf[f]

    # 2. labour market -------------------------------------------------------------------------------
    nwork, sep_f, layoffs, vac, hires, U, Ssearch, V, matched = labour_market(
        emp, hh_ls, f_hr, F, raw, o_sep, o_match, o_slot, o_vac, layoff_offset, match_offset, grids, kp
    )
    theta = V / max(U, 1)
    fill = matched / V if V > 0 else mac[M_FILL]
    theta_ema = (1.0 - kp[KP_THETA_SMOOTH]) * mac[M_THETA] + kp[KP_THETA_SMOOTH] * theta
    Hf = np.zeros(F)
    for j in range(N):
        e = emp[j]
        if e >= 0:
            h = grids[G_HOURS + hh_ls[j]]
            Hf[e] += h
            rec_h[RH_HOURS, j] = h
    employed = 0
    for f in range(F):
        employed += nwork[f]
        fi[F_NWORK, f] = nwork[f]
        rec_f[RF_VAC, f] = vac[f]
        rec_f[RF_HIRED, f] = hires[f]
        rec_f[RF_LAYOFF, f] = layoffs[f]
        rec_f[RF_SEP, f] = sep_f[f]

    # 3. prices posted this month, price index, production ----------------------------------------------
    P_prev = mac[M_P]
    old_avg = 0.0
    new_avg = 0.0
    for f in range(F):
        wgt = ff[F_WEIGHT, f]
        old_avg += wgt * price[f]
        price[f] = price[f] * (1.0 + grids[G_PC + f_pc[f]])
        new_avg += wgt * price[f]
    pi = new_avg / old_avg - 1.0 if old_avg > 0.0 else 0.0
    P = P_prev * (1.0 + pi)
    y = np.empty(F)
    Y = 0.0
    Htot = 0.0
    stock = np.empty(F)
    for f in range(F):
        y[f] = production(ff[F_TFP, f], K[f], Hf[f], alpha)
        Y += y[f]
        Htot += Hf[f]
        stock[f] = S[f] + y[f]
        rec_f[RF_PROD, f] = y[f]
        ff[F_PROD, f] = y[f]
        ff[F_HOURS, f] = Hf[f]

    # 4. credit market ----------------------------------------------------------------------------------------
    Th = kp[KP_TH]
    Tf = kp[KP_TF]
    kmin = kp[KP_KMIN]
    room = np.empty(B)
    for b in range(B):
        room[b] = E[b] / kmin - loans_b[b] if kmin > 0.0 else np.inf
    order = np.argsort(rL)
    bill = np.empty(F)
    inv_units_plan = np.empty(F)
    due_f = np.zeros(F)
    for f in range(F):
        bill[f] = W[f] * Hf[f]
        inv_units_plan[f] = grids[G_INV + f_iv[f]] * delta * K[f]
        if Lf0[f] > 0.0:
            due_f[f] = Lf0[f] * (rL[flbank[f]] + 1.0 / Tf)
    # firms first: they borrow the month's funding gap (wages + planned investment + debt service - cash)
    for f in range(F):
        inv_nom = inv_units_plan[f] * P
        need = bill[f] + inv_nom + due_f[f] - cash[f]
        if need < kp[KP_INV_DEBT] * inv_nom:
            need = kp[KP_INV_DEBT] * inv_nom
        if need <= 0.0:
            continue
        rec_f[RF_REQUEST, f] = need
        value = P * K[f]
        if flbank[f] >= 0:
            cands = 1
        else:
            cands = B
        for c in range(cands):
            b = flbank[f] if flbank[f] >= 0 else order[c]
            rec_b[RB_REQUESTS, b] += 1.0
            cap_amt = lev[b] * value - Lf[f]
            g = need
            if cap_amt < g:
                g = cap_amt
            if room[b] < g:
                g = room[b]
            if g > 0.05 * need:
                Lf[f] += g
                cash[f] += g
                flbank[f] = b
                loans_b[b] += g
                room[b] -= g
                dR[b] -= g
                dR[fdbank[f]] += g
                rec_f[RF_ORIG, f] += g
                rec_b[RB_ORIG, b] += g
                rec_b[RB_GRANTED, b] += 1.0
                break
    # households: a borrower asks for loan_months x last month's average wage at the cheapest bank that
    # approves (an existing borrower can only top up at its lender); the bank grants up to its DSTI cap
    wbar = mac[M_WBAR]
    req = kp[KP_LOAN_MONTHS] * wbar
    for jj in range(N):
        j = (credit_offset + jj) % N
        if hh_bw[j] == 0 or req <= 0.0:
            continue
        rec_h[RH_REQUEST, j] = req
        income = hf[H_INCOME, j]
        if income <= 0.0:
            continue
        cands = 1 if lbank[j] >= 0 else B
        for c in range(cands):
            b = lbank[j] if lbank[j] >= 0 else order[c]
            rec_b[RB_REQUESTS, b] += 1.0
            cap_amt = dsti[b] * income / (rL[b] + 1.0 / Th) - L[j]
            g = req
            if cap_amt < g:
                g = cap_amt
            if room[b] < g:
                g = room[b]
            if g > 0.25 * req:
                L[j] += g
                D[j] += g
                lbank[j] = b
                loans_b[b] += g
                room[b] -= g
                dR[b] -= g
                dR[dbank[j]] += g
                rec_h[RH_ORIG, j] += g
                rec_b[RB_ORIG, b] += g
                rec_b[RB_GRANTED, b] += 1.0
                break

    # 5. wages (pro rata if a firm cannot pay its whole bill), less the unemployment-insurance contribution;
    #    benefits to the unemployed in the first ui_months of their spell, from the fund (held at the central
    #    bank), pro rata when the fund cannot pay them all ---------------------------------------------------------
    pay_ratio = np.ones(F)
    for f in range(F):
        if bill[f] > 0.0 and cash[f] < bill[f]:
            pay_ratio[f] = max(cash[f], 0.0) / bill[f]
            rec_f[RF_WAGE_SHORT, f] = 1.0
    ui_rate = kp[KP_UI_RATE]
    fund = mac[M_FUND]
    contrib_total = 0.0
    n_benefit = 0
    spell = hi[H_SPELL]
    for j in range(N):
        e = emp[j]
        if e >= 0:
            pay = W[e] * rec_h[RH_HOURS, j] * pay_ratio[e]
            c_ui = ui_rate * pay
            D[j] += pay - c_ui
            dR[dbank[j]] += pay - c_ui
            rec_h[RH_WAGE, j] = pay
            rec_h[RH_CONTRIB, j] = c_ui
            rec_f[RF_WAGES, e] += pay
            contrib_total += c_ui
            spell[j] = 0
        else:
            spell[j] += 1
            if spell[j] <= kp[KP_UI_MONTHS]:
                n_benefit += 1
    for f in range(F):
        cash[f] -= rec_f[RF_WAGES, f]
        dR[fdbank[f]] -= rec_f[RF_WAGES, f]
        ff[F_BILL, f] = rec_f[RF_WAGES, f]
    fund += contrib_total
    benefit = kp[KP_UI_REPL] * mac[M_WBAR]
    if n_benefit > 0 and benefit * n_benefit > fund:
        benefit = fund / n_benefit if fund > 0.0 else 0.0
    benefits_total = 0.0
    if n_benefit > 0 and benefit > 0.0:
        for j in range(N):
            if emp[j] < 0 and spell[j] <= kp[KP_UI_MONTHS]:
                D[j] += benefit
                dR[dbank[j]] += benefit
                rec_h[RH_BENEFIT, j] = benefit
                benefits_total += benefit
    fund -= benefits_total

    # 6. interest on start-of-month deposits, reserves and advances -------------------------------------------------
    for j in range(N):
        if D0[j] > 0.0:
            it = rD[dbank[j]] * D0[j]
            D[j] += it
            dE[dbank[j]] -= it
            rec_h[RH_DEPINT, j] = it
            rec_b[RB_DEP_INT, dbank[j]] += it
    for f in range(F):
        if cash0[f] > 0.0:
            it = rD[fdbank[f]] * cash0[f]
            cash[f] += it
            dE[fdbank[f]] -= it
            rec_f[RF_DEPINT, f] = it
            rec_b[RB_DEP_INT, fdbank[f]] += it
    res_int_cb = 0.0
    adv_int_cb = 0.0
    for b in range(B):
        ri = i * R0[b]
        ai = (i + kp[KP_LF_SPREAD]) * A0[b]
        dR[b] += ri - ai
        dE[b] += ri - ai
        rec_b[RB_RES_INT, b] = ri
        rec_b[RB_ADV_INT, b] = ai
        res_int_cb += ri
        adv_int_cb += ai
    # the central bank remits a positive net interest income to households, in equal parts (a seigniorage
    # dividend); a loss stays on its balance sheet (its equity falls)
    cb_income = adv_int_cb - res_int_cb
    remit = cb_income if cb_income > 0.0 else 0.0
    cb_eq = mac[M_CBEQ] + cb_income - remit
    if remit > 0.0:
        share = remit / N
        for j in range(N):
            D[j] += share
            dR[dbank[j]] += share
            rec_h[RH_TRANSFER, j] = share

    # 7. debt service on start-of-month balances: interest rL x L0 accrues to the lender and the borrower owes
    #    interest + L0 / maturity. An employed household that cannot pay it all pays what it has and the shortfall
    #    is added to its loan (arrears); an unemployed one (or one hit by the credit shock) defaults: the lender
    #    recovers up to recovery x balance from its deposits and writes off the rest. Firms that cannot pay default.
    rec_rate = kp[KP_RECOVERY]
    crisis = mac[M_SH_CRED]
    hh_defaults = 0
    for j in range(N):
        if L0[j] <= 0.0:
            continue
        b = lbank[j]
        due = L0[j] * (rL[b] + 1.0 / Th)
        forced = crisis > 0.0 and uniform(raw[o_hdef + j]) < crisis
        if forced or (D[j] < due and emp[j] < 0):
            bal = L[j]
            got = min(max(D[j], 0.0), rec_rate * bal)
            D[j] -= got
            dR[dbank[j]] -= got
            dR[b] += got
            loans_b[b] -= bal
            dE[b] -= bal - got
            L[j] = 0.0
            lbank[j] = -1
            rec_h[RH_RECOVERED, j] = got
            rec_h[RH_WRITEOFF, j] = bal - got
            rec_h[RH_DEFAULT, j] = 1.0
            rec_b[RB_WRITEOFF, b] += bal - got
            rec_b[RB_RECOVERED, b] += got
            hh_defaults += 1
        else:
            it = L0[j] * rL[b]
            pay = due if D[j] >= due else (D[j] if D[j] > 0.0 else 0.0)
            pr = pay - it  # net principal repaid (negative: unpaid interest added to the loan)
            D[j] -= pay
            L[j] -= pr
            dR[dbank[j]] -= pay
            dR[b] += pay
            loans_b[b] -= pr
            dE[b] += it
            rec_h[RH_DEBT_INT, j] = it
            rec_h[RH_DEBT_PRIN, j] = pr
            rec_b[RB_LOAN_INT, b] += it
            rec_b[RB_PRIN, b] += pr
            if L[j] < 0.05 * wbar and D[j] >= L[j]:  # pay off a small remainder (geometric amortisation)
                rest = L[j]
                loans_b[b] -= rest
                rec_h[RH_DEBT_PRIN, j] += rest
                rec_b[RB_PRIN, b] += rest
                D[j] -= rest
                dR[dbank[j]] -= rest
                dR[b] += rest
                L[j] = 0.0
                lbank[j] = -1
    firm_defaults = 0
    for f in range(F):
        if Lf0[f] <= 0.0:
            continue
        b = flbank[f]
        due = due_f[f]
        forced = crisis > 0.0 and uniform(raw[o_fdef + f]) < crisis
        if forced or cash[f] < due:
            bal = Lf[f]
            got = min(max(cash[f], 0.0), rec_rate * bal)
            cash[f] -= got
            dR[fdbank[f]] -= got
            dR[b] += got
            loans_b[b] -= bal
            dE[b] -= bal - got
            Lf[f] = 0.0
            flbank[f] = -1
            rec_f[RF_RECOVERED, f] = got
            rec_f[RF_WRITEOFF, f] = bal - got
            rec_f[RF_DEFAULT, f] = 1.0
            rec_b[RB_WRITEOFF, b] += bal - got
            rec_b[RB_RECOVERED, b] += got
            firm_defaults += 1
        else:
            it = Lf0[f] * rL[b]
            pr = Lf0[f] / Tf
            cash[f] -= due
            Lf[f] -= pr
            dR[fdbank[f]] -= due
            dR[b] += due
            loans_b[b] -= pr
            dE[b] += it
            rec_f[RF_DEBT_INT, f] = it
            rec_f[RF_DEBT_PRIN, f] = pr
            rec_b[RB_LOAN_INT, b] += it
            rec_b[RB_PRIN, b] += pr
            if Lf[f] < 0.05 * wbar and cash[f] >= Lf[f]:
                rest = Lf[f]
                loans_b[b] -= rest
                rec_f[RF_DEBT_PRIN, f] += rest
                rec_b[RB_PRIN, b] += rest
                cash[f] -= rest
                dR[fdbank[f]] -= rest
                dR[b] += rest
                Lf[f] = 0.0
                flbank[f] = -1

    # 8. dividends: firms pay out part of cash above their buffer, banks part of equity above the target ratio --------
    pool = 0.0
    for f in range(F):
        excess = cash[f] - kp[KP_CASH_BUFFER] * W[f] * max(Hf[f], 1.0) - inv_units_plan[f] * P
        if excess > 0.0 and rec_f[RF_DEFAULT, f] == 0.0:
            dv = kp[KP_FIRM_PAYOUT] * excess
            cash[f] -= dv
            dR[fdbank[f]] -= dv
            rec_f[RF_DIV, f] = dv
            pool += dv
    Eb_now = np.empty(B)
    for b in range(B):
        Eb_now[b] = E[b] + dE[b]
        excess = Eb_now[b] - kp[KP_KTARGET] * loans_b[b]
        if excess > 0.0:
            dv = kp[KP_BANK_PAYOUT] * excess
            dE[b] -= dv
            dR[b] -= dv
            rec_b[RB_DIV, b] = dv
            pool += dv
    if pool > 0.0:
        for j in range(N):
            dv = own[j] * pool
            D[j] += dv
            dR[dbank[j]] += dv
            rec_h[RH_DIV, j] = dv

    # 9. goods market: households spend c x (permanent income + deposits / Tw) plus any new loan (a durable
    #    purchase), at most their deposits; firms buy investment goods -----------------------------------------
    dem_shock = 1.0 + mac[M_SH_DEM]
    if dem_shock < 0.0:
        dem_shock = 0.0
    inv_tw = 1.0 / kp[KP_TW]
    budget_h = np.empty(N)
    Z = 0.0
    for j in range(N):
        spendable = hf[H_PERM, j] + (D0[j] if D0[j] > 0.0 else 0.0) * inv_tw
        bj = grids[G_CS + hh_cs[j]] * (spendable if spendable > 0.0 else 0.0) + rec_h[RH_ORIG, j]
        bj *= dem_shock
        if bj > D[j]:
            bj = D[j] if D[j] > 0.0 else 0.0
        budget_h[j] = bj
        Z += bj
    budget_f = np.empty(F)
    for f in range(F):
        bfv = inv_units_plan[f] * P
        avail = cash[f] if cash[f] > 0.0 else 0.0
        if bfv > avail:
            bfv = avail
        budget_f[f] = bfv
        Z += bfv
    shares = demand_shares(price, stock, P, kp[KP_ETA])
    q, spent = clear_goods_market(Z, price, stock, shares, 3)
    units = 0.0
    for f in range(F):
        units += q[f]
    phi = spent / Z if Z > 0.0 else 0.0
    ptx = spent / units if units > 0.0 else P
    C_real = 0.0
    for j in range(N):
        pay = phi * budget_h[j]
        D[j] -= pay
        dR[dbank[j]] -= pay
        rec_h[RH_CONS_NOM, j] = pay
        c = pay / ptx
        rec_h[RH_CONS, j] = c
        C_real += c
    I_real = 0.0
    for f in range(F):
        pay = phi * budget_f[f]
        cash[f] -= pay
        dR[fdbank[f]] -= pay
        rec_f[RF_INV_NOM, f] = pay
        rec_f[RF_INV_UNITS, f] = pay / ptx
        I_real += pay / ptx
    for f in range(F):
        rev = q[f] * price[f]
        cash[f] += rev
        dR[fdbank[f]] += rev
        rec_f[RF_REVENUE, f] = rev
        rec_f[RF_SALES, f] = q[f]

    # 10. inventories, capital, expected sales, index weights ---------------------------------------------------------
    spoiled_total = 0.0
    a_s = kp[KP_SALES_SMOOTH]
    K_old = np.empty(F)
    for f in range(F):
        left = stock[f] - q[f]
        if left < 0.0:
            left = 0.0
        spoiled = kp[KP_INV_DECAY] * left
        S[f] = left - spoiled
        rec_f[RF_SPOILED, f] = spoiled
        spoiled_total += spoiled
        K_old[f] = K[f]
        K[f] = (1.0 - delta) * K[f] + rec_f[RF_INV_UNITS, f]
        ff[F_EXPSALES, f] = (1.0 - a_s) * ff[F_EXPSALES, f] + a_s * q[f]
        ff[F_SALES, f] = q[f]
        if spent > 0.0:
            ff[F_WEIGHT, f] = q[f] * price[f] / spent

    # 11. wage bargaining for next month ------------------------------------------------------------------------------
    pie_prev = mac[M_PIE]
    cost = 1.0 + mac[M_SH_COST]
    theta_b = min(theta_ema, kp[KP_THETA_MAX])
    k_norm = math.exp(alpha * math.log(kp[KP_KSS]))
    for f in range(F):
        if Hf[f] > 0.0:
            mpl = (1.0 - alpha) * y[f] / Hf[f]
        else:
            mpl = (1.0 - alpha) * production(ff[F_TFP, f], K[f], 1.0, alpha)
        ff[F_MPL, f] = mpl
        # the bargain is over the firm's marginal product at the normal capital-labour ratio (its long-run
        # productivity), so short-run diminishing returns move prices, not wages
        mpl_norm = (1.0 - alpha) * ff[F_TFP, f] * k_norm
        w_star = bargained_wage(mpl_norm, kp[KP_B], kp[KP_KAPPA], theta_b, kp[KP_BETA])
        W_star = P * (1.0 + pie_prev) * cost * w_star
        W[f] = W[f] + kp[KP_WAGE_ADJ] * (W_star - W[f])

    # 12. deposit switching: a household compares its bank with a random other one and moves if it pays more ----------
    p_sw = kp[KP_SWITCH]
    if p_sw > 0.0 and B > 1:
        for j in range(N):
            wd = raw[o_switch + j]
            if uniform(wd) < p_sw:
                cand = low_index(wd, B)
                if rD[cand] > rD[dbank[j]] + 1e-15 and D[j] > 0.0:
                    dR[dbank[j]] -= D[j]
                    dR[cand] += D[j]
                    dbank[j] = cand

    # 13. settlement with the central bank, then resolution of insolvent banks ----------------------------------------
    deps_b = np.zeros(B)
    for j in range(N):
        deps_b[dbank[j]] += D[j]
    for f in range(F):
        deps_b[fdbank[f]] += cash[f]
    resolutions = 0
    breaches = 0
    recap_total = 0.0
    for b in range(B):
        R[b] = R0[b] + dR[b]
        E[b] = E[b] + dE[b]
        need = kp[KP_RREQ] * deps_b[b]
        if R[b] < need:
            adv = need - R[b]
            A[b] += adv
            R[b] += adv
            rec_b[RB_ADV_NEW, b] = adv
        elif A[b] > 0.0:
            rep = min(A[b], R[b] - need)
            A[b] -= rep
            R[b] -= rep
            rec_b[RB_ADV_NEW, b] = -rep
        if E[b] < 0.0:
            recap = kmin * max(loans_b[b], 0.0) - E[b]
            R[b] += recap
            E[b] += recap
            rec_b[RB_RECAP, b] = recap
            recap_total += recap
            resolutions += 1
        bf[B_LOANS, b] = loans_b[b]
        bf[B_DEPS, b] = deps_b[b]
        if loans_b[b] > 0.0 and E[b] < kmin * loans_b[b]:
            breaches += 1
    cb_eq -= recap_total

    # 14. aggregates, expectations, rewards ---------------------------------------------------------------------------
    t = int(mac[M_T])
    slot = t % 12
    pih_old = mac[M_PIHIST + slot]
    mac[M_PIHIST + slot] = pi
    pi12 = 0.0
    for k in range(12):
        pi12 += mac[M_PIHIST + k]
    pi12 /= 12.0
    pie = kp[KP_ANCHOR] * kp[KP_PI_TARGET] + (1.0 - kp[KP_ANCHOR]) * pi12
    credit = 0.0
    for b in range(B):
        credit += loans_b[b]
    credit_old = mac[M_CREDHIST + slot]
    mac[M_CREDHIST + slot] = credit
    credit_growth = credit / credit_old - 1.0 if credit_old > 0.0 else 0.0
    writeoffs = 0.0
    for b in range(B):
        writeoffs += rec_b[RB_WRITEOFF, b]
    default_rate = writeoffs / mac[M_CREDIT] if mac[M_CREDIT] > 0.0 else 0.0
    u_rate = (N - employed) / N
    Lstar = kp[KP_LSTAR]
    gap = math.exp((1.0 - alpha) * math.log(Htot / Lstar)) - 1.0 if Htot > 0.0 else -1.0
    wsum = 0.0
    hsum = 0.0
    for f in range(F):
        wsum += W[f] * Hf[f]
        hsum += Hf[f]
    if hsum > 0.0:
        wbar_new = wsum / hsum
    else:
        wbar_new = 0.0
        for f in range(F):
            wbar_new += W[f]
        wbar_new /= F
    # central bank: loss in annual percentage points
    pct = 1200.0
    dev_pi = pct * (pi12 - kp[KP_PI_TARGET])
    gap_pct = 100.0 * gap
    di = pct * (i - i_prev)
    loss = dev_pi * dev_pi + kp[KP_LAMBDA] * gap_pct * gap_pct + kp[KP_MU_LOSS] * di * di
    # banks: profit (net interest income - write-offs) in percent of calibrated equity, capital penalties
    scale_b = P * kp[KP_EQBANK]
    for b in range(B):
        profit = (rec_b[RB_LOAN_INT, b] + rec_b[RB_RES_INT, b] - rec_b[RB_DEP_INT, b] - rec_b[RB_ADV_INT, b]
                  - rec_b[RB_WRITEOFF, b])  # fmt: skip
        bf[B_PROFIT, b] = profit
        bf[B_WRITEOFF, b] = rec_b[RB_WRITEOFF, b]
        r = 100.0 * profit / scale_b
        if loans_b[b] > 0.0 and kmin > 0.0:
            ratio = (E[b] - rec_b[RB_RECAP, b]) / loans_b[b]
            if ratio < kmin:
                r -= kp[KP_CAP_PEN] * (kmin - ratio) / kmin
        if rec_b[RB_RECAP, b] > 0.0:
            r -= kp[KP_RESOL_PEN]
        rec_b[RB_REWARD, b] = r
    # households: log consumption - labour disutility + savings utility - debt disutility
    css = kp[KP_CSS]
    yss = kp[KP_YSS]
    chi = kp[KP_CHI]
    phi_f = kp[KP_FRISCH]
    for j in range(N):
        cr = rec_h[RH_CONS, j] / css
        if cr < 0.01:
            cr = 0.01
        h = rec_h[RH_HOURS, j]
        dis = chi * h * h / 2.0 if phi_f == 1.0 else chi * (h ** (1.0 + phi_f)) / (1.0 + phi_f)
        dep_real = D[j] / P / yss
        rew = math.log(cr) - dis + kp[KP_PSI_S] * math.log(1.0 + (dep_real if dep_real > 0.0 else 0.0))
        rew -= kp[KP_PSI_D] * L[j] / P / yss
        rec_h[RH_REWARD, j] = rew
        rec_h[RH_HOURS, j] = h
        hf[H_WAGE, j] = rec_h[RH_WAGE, j]
        hf[H_DIV, j] = rec_h[RH_DIV, j]
        hf[H_INCOME, j] = (rec_h[RH_WAGE, j] - rec_h[RH_CONTRIB, j] + rec_h[RH_BENEFIT, j] + rec_h[RH_DEPINT, j]
                           + rec_h[RH_DIV, j] + rec_h[RH_TRANSFER, j])  # fmt: skip
        hf[H_CONS, j] = rec_h[RH_CONS, j]
        hf[H_HOURS, j] = h
        y_net = hf[H_INCOME, j] - rec_h[RH_DEBT_INT, j] - rec_h[RH_DEBT_PRIN, j] - rec_h[RH_RECOVERED, j]
        hf[H_PERM, j] = (1.0 - kp[KP_PERM_SMOOTH]) * hf[H_PERM, j] + kp[KP_PERM_SMOOTH] * y_net
    # firms: economic profit (revenue - wages - interest - depreciation at current prices) - holding cost - bankruptcy
    yfs = kp[KP_YFIRM] * P
    for f in range(F):
        profit = (rec_f[RF_REVENUE, f] - rec_f[RF_WAGES, f] - rec_f[RF_DEBT_INT, f] + rec_f[RF_DEPINT, f]
                  - P * delta * K_old[f])  # fmt: skip
        rec_f[RF_PROFIT, f] = profit
        r = profit / yfs - kp[KP_INV_COST] * price[f] * S[f] / yfs
        if rec_f[RF_DEFAULT, f] > 0.0:
            r -= kp[KP_BANKRUPT_PEN]
        rec_f[RF_REWARD, f] = r

    mac[M_IPREV] = i_prev
    mac[M_ICB] = i_cb
    mac[M_I] = i
    mac[M_P] = P
    mac[M_PIE] = pie
    mac[M_THETA] = theta_ema
    mac[M_FILL] = fill
    mac[M_CBEQ] = cb_eq
    mac[M_T] = t + 1
    mac[M_WBAR] = wbar_new
    mac[M_PI] = pi
    mac[M_PI12] = pi12
    mac[M_GAP] = gap
    mac[M_GAPHIST + t % 3] = gap
    mac[M_U] = u_rate
    mac[M_Y] = Y
    mac[M_CREDIT] = credit
    mac[M_CREDIT_GROWTH] = credit_growth
    mac[M_DEFAULT_RATE] = default_rate
    mac[M_FUND] = fund
    # scheduled shocks decay geometrically
    rho = kp[KP_SHOCK_RHO]
    for k in (M_SH_POL, M_SH_COST, M_SH_DEM, M_SH_CRED):
        mac[k] *= rho

    tot[S_Y] = Y
    tot[S_H] = Htot
    tot[S_EMPLOYED] = employed
    tot[S_U] = U
    tot[S_V] = V
    tot[S_MATCHES] = matched
    tot[S_THETA] = theta
    tot[S_FILL] = fill
    tot[S_PI] = pi
    tot[S_P] = P
    tot[S_GAP] = gap
    tot[S_C] = C_real
    tot[S_I] = I_real
    tot[S_DEMAND] = Z
    tot[S_SPENT] = spent
    tot[S_PTX] = ptx
    tot[S_CB_REWARD] = -loss
    tot[S_CB_LOSS] = loss
    tot[S_I_RATE] = i
    tot[S_ICB] = i_cb
    tot[S_DI] = i - i_prev
    tot[S_PI12] = pi12
    tot[S_PIE] = pie
    tot[S_CBEQ] = cb_eq
    tot[S_RES_INT_CB] = res_int_cb
    tot[S_ADV_INT_CB] = adv_int_cb
    tot[S_RECAP] = recap_total
    tot[S_WBAR] = wbar_new
    tot[S_UNITS_SOLD] = units
    tot[S_INV_UNITS] = I_real
    tot[S_POTENTIAL] = Y / (1.0 + gap) if gap > -1.0 else 0.0
    tot[S_HH_DEFAULTS] = hh_defaults
    tot[S_FIRM_DEFAULTS] = firm_defaults
    tot[S_RESOLUTIONS] = resolutions
    tot[S_BREACHES] = breaches
    tot[S_PIH_OLD] = pih_old
    tot[S_SEARCHERS] = Ssearch
    tot[S_SPOILED] = spoiled_total
    tot[S_CREDIT] = credit
    tot[S_CREDIT_GROWTH] = credit_growth
    tot[S_DEFAULT_RATE] = default_rate
    tot[S_REMIT] = remit
    tot[S_FUND] = fund
    tot[S_BENEFITS] = benefits_total
    tot[S_CONTRIB] = contrib_total

    observations_into(hf, hi, ff, fi, bf, mac, kp, rL, rD, obs_cb, obs_bank, obs_hh, obs_firm)


def observations(
    hf: np.ndarray,
    hi: np.ndarray,
    ff: np.ndarray,
    fi: np.ndarray,
    bf: np.ndarray,
    mac: np.ndarray,
    kp: np.ndarray,
    rL: np.ndarray,
    rD: np.ndarray,
):
    """Every role's observation as new float32 arrays ``(cb (CB_OBS,), bank, household, firm)``."""
    cb = np.empty(CB_OBS, dtype=np.float32)
    bank = np.empty((bf.shape[1], BANK_OBS), dtype=np.float32)
    hh = np.empty((hf.shape[1], HH_OBS), dtype=np.float32)
    firm = np.empty((ff.shape[1], FIRM_OBS), dtype=np.float32)
    observations_into(hf, hi, ff, fi, bf, mac, kp, rL, rD, cb, bank, hh, firm)
    return cb, bank, hh, firm


@njit(cache=True, error_model="numpy")
def observations_into(
    hf: np.ndarray,
    hi: np.ndarray,
    ff: np.ndarray,
    fi: np.ndarray,
    bf: np.ndarray,
    mac: np.ndarray,
    kp: np.ndarray,
    rL: np.ndarray,
    rD: np.ndarray,
    cb: np.ndarray,
    bank: np.ndarray,
    hh: np.ndarray,
    firm: np.ndarray,
) -> None:
    """Every role's observation of the state at the start of next month (float32; see the manual for names/units).

    Rates are annualised percent (1200 x monthly fraction); money is in months of the average wage
    (households) or relative to the firm's own flows; prices relative to the price level.
    """
    N = hf.shape[1]
    F = ff.shape[1]
    B = bf.shape[1]
    pct = 1200.0
    i = mac[M_I]
    P = mac[M_P]
    wbar = mac[M_WBAR] if mac[M_WBAR] > 0.0 else 1e-12
    pie_pct = pct * mac[M_PIE]
    pi12_pct = pct * mac[M_PI12]
    gap_pct = 100.0 * mac[M_GAP]
    u_pct = 100.0 * mac[M_U]
    tfrac = mac[M_T] / kp[KP_T_LEN]
    best_rl = np.inf
    loans_tot = 0.0
    deps_tot = 0.0
    eq_tot = 0.0
    avg_rl = 0.0
    avg_rd = 0.0
    for b in range(B):
        if rL[b] < best_rl:
            best_rl = rL[b]
        loans_tot += bf[B_LOANS, b]
        deps_tot += bf[B_DEPS, b]
        eq_tot += bf[B_EQ, b]
    for b in range(B):
        wl = bf[B_LOANS, b] / loans_tot if loans_tot > 0.0 else 1.0 / B
        wd = bf[B_DEPS, b] / deps_tot if deps_tot > 0.0 else 1.0 / B
        avg_rl += wl * rL[b]
        avg_rd += wd * rD[b]

    cb[0] = pct * i
    cb[1] = pct * mac[M_ICB]
    cb[2] = pct * mac[M_PI]
    cb[3] = pi12_pct
    cb[4] = pct * kp[KP_PI_TARGET]
    cb[5] = pie_pct
    cb[6] = gap_pct
    cb[7] = u_pct
    cb[8] = 100.0 * kp[KP_USTAR]
    cb[9] = pct * avg_rl
    cb[10] = pct * avg_rd
    cb[11] = 100.0 * mac[M_CREDIT_GROWTH]
    cb[12] = pct * mac[M_DEFAULT_RATE]
    cb[13] = 100.0 * eq_tot / loans_tot if loans_tot > 0.0 else 100.0
    cb[14] = pct * mac[M_IPREV]
    cb[15] = tfrac
    cb[16] = 1.0 if i <= kp[KP_FLOOR] + 1e-15 else 0.0
    cb[17] = 100.0 * (mac[M_GAPHIST] + mac[M_GAPHIST + 1] + mac[M_GAPHIST + 2]) / 3.0

    for b in range(B):
        lo = bf[B_LOANS, b]
        bank[b, 0] = pct * i
        bank[b, 1] = pct * rL[b]
        bank[b, 2] = pct * rD[b]
        bank[b, 3] = pct * avg_rl
        bank[b, 4] = pct * avg_rd
        bank[b, 5] = 100.0 * bf[B_EQ, b] / lo if lo > 0.0 else 100.0
        bank[b, 6] = 100.0 * kp[KP_KMIN]
        bank[b, 7] = lo / loans_tot if loans_tot > 0.0 else 0.0
        bank[b, 8] = bf[B_DEPS, b] / deps_tot if deps_tot > 0.0 else 0.0
        bank[b, 9] = pct * bf[B_WRITEOFF, b] / lo if lo > 0.0 else 0.0
        dep = bf[B_DEPS, b]
        bank[b, 10] = bf[B_RES, b] / dep if dep > 0.0 else 0.0
        bank[b, 11] = bf[B_ADV, b] / dep if dep > 0.0 else 0.0
        eq = bf[B_EQ, b]
        bank[b, 12] = pct * bf[B_PROFIT, b] / eq if eq > 0.0 else 0.0
        bank[b, 13] = pi12_pct
        bank[b, 14] = gap_pct
        bank[b, 15] = u_pct

    css = kp[KP_CSS]
    Th = kp[KP_TH]
    nown = float(N)
    for j in range(N):
        e = hi[H_EMP, j]
        inc = hf[H_INCOME, j]
        L = hf[H_LOAN, j]
        lb = hi[H_LBANK, j]
        hh[j, 0] = 1.0 if e >= 0 else 0.0
        hh[j, 1] = ff[F_WAGE, e] / wbar if e >= 0 else 0.0
        hh[j, 2] = inc / wbar
        hh[j, 3] = hf[H_DEP, j] / wbar
        hh[j, 4] = L / wbar
        if L > 0.0 and lb >= 0:
            due = L * (rL[lb] + 1.0 / Th)
            hh[j, 5] = due / inc if inc > 0.0 else 10.0
            hh[j, 8] = pct * rL[lb]
        else:
            hh[j, 5] = 0.0
            hh[j, 8] = 0.0
        hh[j, 6] = pct * rD[hi[H_DBANK, j]]
        hh[j, 7] = pct * best_rl
        hh[j, 9] = pie_pct
        hh[j, 10] = pi12_pct
        hh[j, 11] = u_pct
        hh[j, 12] = hf[H_CONS, j] / css
        hh[j, 13] = hf[H_HOURS, j]
        hh[j, 14] = hf[H_OWN, j] * nown
        hh[j, 15] = tfrac
        hh[j, 16] = hf[H_PERM, j] / wbar

    alpha = kp[KP_ALPHA]
    k_norm = math.exp(alpha * math.log(kp[KP_KSS]))
    nbar = kp[KP_WORKERS_SS]
    kss = kp[KP_KSS]
    for f in range(F):
        p = ff[F_PRICE, f]
        es = ff[F_EXPSALES, f]
        bill = ff[F_WAGE, f] * max(ff[F_HOURS, f], 1.0)
        K = ff[F_CAP, f]
        firm[f, 0] = p / P
        mpl_norm = (1.0 - alpha) * ff[F_TFP, f] * k_norm
        firm[f, 1] = ff[F_WAGE, f] / (mpl_norm * p)
        firm[f, 2] = ff[F_INV, f] / es if es > 0.0 else 10.0
        firm[f, 3] = ff[F_SALES, f] / ff[F_PROD, f] if ff[F_PROD, f] > 0.0 else 1.0
        firm[f, 4] = fi[F_NWORK, f] / nbar
        firm[f, 5] = mac[M_FILL]
        firm[f, 6] = ff[F_CASH, f] / bill
        firm[f, 7] = ff[F_LOAN, f] / (P * K) if K > 0.0 else 0.0
        lb = fi[F_LBANK, f]
        firm[f, 8] = pct * (rL[lb] if lb >= 0 else best_rl)
        firm[f, 9] = pie_pct
        firm[f, 10] = pct * alpha * (p / P) * es / K if K > 0.0 else 0.0
        firm[f, 11] = K / (kss * nbar)
        firm[f, 12] = ff[F_WAGE, f] / wbar
        firm[f, 13] = pi12_pct
        firm[f, 14] = gap_pct
        firm[f, 15] = tfrac
        firm[f, 16] = es / (ff[F_PROD, f] if ff[F_PROD, f] > 0.0 else 1e-12) if es > 0.0 else 0.0
