"""The RBC economy's equations as numba kernels on arrays, for B replicas at once.

No Python objects per agent, no randomness (the economy has no shocks; actions
come in as index arrays), no I/O. Symbols follow the family manual
(``econ_envs.rbc``):

    p, w, y, R     price, wage, inventory and over-demanded flag of each firm's good
    tau, sigma     income-tax and corporate-tax rates in force
    Bc, Bf         consumer and firm budgets ($), K capital, alpha labour exponent
    chat, h, f     attempted consumption (units), hours, employer of each consumer
    d, D           budget-feasible ("net") demand per consumer and its total per good
    c, C, X        realised consumption, sales to consumers, exports
    L, Y           hours hired and output of each firm

State is packed per replica: firm rows ``FS[b, row, i]``, consumer rows
``CS[b, row, j]``, taxes ``GS[b, row]``. A step reads the state and writes the
next state into separate output arrays (the caller commits them), so the
current state is never modified.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from econ_envs.core.vmath import _LN2_HI, _LN2_LO, _LOG2E, _SQRT2, exp_reduced, log_reduced

# Rows of the firm state FS (B, FS_ROWS, F).
FS_PRICE, FS_WAGE, FS_STOCK, FS_FLAG, FS_BUDGET, FS_CAPITAL = range(6)
FS_ROWS = 6
# Rows of the consumer state CS (B, CS_ROWS, N).
CS_BUDGET, CS_THETA = range(2)
CS_ROWS = 2
# Columns of the government state GS (B, GS_ROWS).
GS_ITAX, GS_CTAX = range(2)
GS_ROWS = 2

# Rows of the per-firm record of one step, FB (B, FB_ROWS, F).
(FB_DEMAND, FB_SALES, FB_EXPORT, FB_LABOUR, FB_OUTPUT, FB_REVENUE, FB_WAGEBILL, FB_INVEST, FB_PROFIT, FB_CORPTAX,
 FB_INTEREST) = range(11)  # fmt: skip
FB_ROWS = 11
# Rows of the per-consumer record of one step, CB (B, CB_ROWS, N).
CB_SPEND, CB_HOURS, CB_LABINC, CB_INCTAX, CB_TRANSFER, CB_INTEREST, CB_UTILITY = range(7)
CB_ROWS = 7

# Packed constants KP.
(KP_A, KP_CRRA, KP_ENDOW, KP_INTEREST, KP_EXPORT_PRICE, KP_EXPORT_Q, KP_OPEN, KP_INCLUSIVE, KP_LABOR_FLOOR,
 KP_FIRM_WEIGHT, KP_BONUS, KP_C_NP_COEF, KP_C_NP_SCALE, KP_F_NP_COEF, KP_F_NP_SCALE) = range(15)  # fmt: skip
KP_SIZE = 15
# Observation scales OS (divide by them).
OS_PRICE, OS_WAGE, OS_STOCK, OS_TIME, OS_CBUDGET, OS_THETA, OS_FBUDGET, OS_CAPITAL = range(8)
OS_SIZE = 8


# --------------------------------------------------------------------------- equations


@njit(cache=True, inline="always")
def budget_scale(attempted_spend: float, budget: float) -> float:
    """Factor applied to a consumer's attempted consumption so that spending fits the budget.

    1 if the attempt is affordable; budget / attempted spend otherwise (0 for a
    non-positive budget: consumers cannot borrow).
    """
    if attempted_spend > 0.0 and attempted_spend > budget:
        return max(budget, 0.0) / attempted_spend
    return 1.0


@njit(cache=True, inline="always")
def rationing_ratio(demand: float, inventory: float) -> float:
    """Share of each buyer's demand served when a good is over-demanded (proportional rationing)."""
    if demand > 0.0 and demand > inventory:
        return inventory / demand
    return 1.0


@njit(cache=True, inline="always")
def export_sales(price: float, unsold: float, kp: np.ndarray) -> float:
    """Units bought by the export market: min(unsold, quota) if the price qualifies, else 0."""
    if kp[KP_OPEN] == 0.0:
        return 0.0
    px = kp[KP_EXPORT_PRICE]
    ok = price >= px if kp[KP_INCLUSIVE] != 0.0 else price > px
    if not ok:
        return 0.0
    return max(min(unsold, kp[KP_EXPORT_Q]), 0.0)


@njit(cache=True, inline="always")
def cobb_douglas(A: float, K: float, L: float, alpha: float, labor_floor: float) -> float:
    """Y = A K^(1-alpha) L^alpha, with alpha the labour exponent; no output below the labour floor."""
    if L <= 0.0 or L < labor_floor or K <= 0.0:
        return 0.0
    return A * math.exp((1.0 - alpha) * math.log(K) + alpha * math.log(L))


@njit(cache=True, fastmath={"contract"}, error_model="numpy")
def crra_utility_into(c: np.ndarray, eta: float, out: np.ndarray, w1: np.ndarray, w2: np.ndarray) -> None:
    """out[k] = U(c[k]) = ((1 + c[k])^(1-eta) - 1)/(1-eta) for c >= 0 (1-D arrays; w1, w2 scratch).

    The power is exp((1-eta) log(1+c)) with the range-reduction-and-polynomial method
    of :mod:`econ_envs.core.vmath` fused into one pass, so LLVM vectorises it
    (libm's pow costs ~30 ns per call here). Accurate to a few ulp; exponents outside
    the normal range of exp fall back to ``math.exp``. ``w1`` is float64 and ``w2``
    int64 scratch of at least ``c.size`` elements.
    """
    n = c.size
    om = 1.0 - eta
    for k in range(n):
        w1[k] = 1.0 + c[k]
    xb = w1[:n].view(np.int64)
    for k in range(n):
        b = xb[k]
        w2[k] = (b & np.int64(0x000FFFFFFFFFFFFF)) | np.int64(0x3FF0000000000000)  # mantissa in [1, 2)
        out[k] = np.float64(np.int32(((b >> 52) & 0x7FF) - 1023))  # binary exponent (1 + c is normal, >= 1)
    m = w2[:n].view(np.float64)
    n_special = 0
    for k in range(n):
        big = m[k] > _SQRT2
        mi = m[k] * 0.5 if big else m[k]
        ei = out[k] + 1.0 if big else out[k]
        s = (mi - 1.0) / (mi + 1.0)
        y = om * (ei * _LN2_HI + (log_reduced(s) + ei * _LN2_LO))  # (1-eta) log(1+c)
        w1[k] = y
        n_special += 0 if -708.0 < y < 709.0 else 1
    for k in range(n):
        y = w1[k]
        yc = y if -708.0 < y < 709.0 else 0.0
        kk = np.floor(yc * _LOG2E + 0.5)
        r = yc - kk * _LN2_HI - kk * _LN2_LO
        p = exp_reduced(r)
        out[k] = p
        w2[k] = np.int64(np.int32(kk) + 1023) << 52
    scale = w2[:n].view(np.float64)
    inv = 1.0 / om
    for k in range(n):
        out[k] = (out[k] * scale[k] - 1.0) * inv
    if n_special:
        for k in range(n):
            y = w1[k]
            if not (-708.0 < y < 709.0):
                out[k] = (math.exp(y) - 1.0) * inv


@njit(cache=True)
def crra_utility(c: np.ndarray, eta: float) -> np.ndarray:
    """U(c) = ((1+c)^(1-eta) - 1)/(1-eta) elementwise, for c >= 0 (any shape)."""
    flat = np.ascontiguousarray(c).reshape(c.size)
    out = np.empty(c.size)
    crra_utility_into(flat, eta, out, np.empty(c.size), np.empty(c.size, dtype=np.int64))
    return out.reshape(c.shape)


@njit(cache=True, inline="always")
def digit_features(x: float, out: np.ndarray, start: int) -> None:
    """out[start + k - 1] = (x mod 10^k) / 10^k for k = 1..10 (floor-mod: negative x wraps)."""
    m = 10.0
    for k in range(10):
        out[start + k] = (x % m) / m  # Python's floor-mod (numba follows CPython's float rule)
        m *= 10.0


# ----------------------------------------------------------------------- one replica


@njit(cache=True, error_model="numpy")
def step_replica(
    b, FS, CS, GS, alpha, cact, fact, gact, cons_choices, utab, hours_choices, firm_table, gov_table, kp, final,
    FS2, CS2, GS2, creal, FB, CB, rc, rf, rg,
):  # fmt: skip
    """One quarter of replica ``b``: reads FS/CS/GS and the actions, writes FS2/CS2/GS2 and the records."""
    F = FS.shape[2]
    N = CS.shape[2]
    price = FS[b, FS_PRICE]
    wage = FS[b, FS_WAGE]
    stock = FS[b, FS_STOCK]
    fbud = FS[b, FS_BUDGET]
    cap = FS[b, FS_CAPITAL]
    cbud = CS[b, CS_BUDGET]
    theta = CS[b, CS_THETA]
    tau = GS[b, GS_ITAX]
    sigma = GS[b, GS_CTAX]
    c = creal[b]
    D = FB[b, FB_DEMAND]
    L = FB[b, FB_LABOUR]
    for i in range(F):
        D[i] = 0.0
        L[i] = 0.0
    hours = CB[b, CB_HOURS]
    scales = np.empty(N)
    # 1-2. budget-feasible demand d = chat * scale, total demand D and hours L per firm
    for j in range(N):
        S = 0.0
        for i in range(F):
            q = cons_choices[cact[b, j, i]]
            c[j, i] = q
            S += price[i] * q
        s = budget_scale(S, cbud[j])
        scales[j] = s
        for i in range(F):
            c[j, i] *= s
            D[i] += c[j, i]
        h = hours_choices[cact[b, j, F]]
        e = cact[b, j, F + 1]
        hours[j] = h
        L[e] += h
        z = wage[e] * h  # gross labour income at the employer's wage in force
        CB[b, CB_LABINC, j] = z
        CB[b, CB_INCTAX, j] = tau * z
    # 3-4. over-demanded flags and proportional rationing
    ratio = np.empty(F)
    for i in range(F):
        ratio[i] = rationing_ratio(D[i], stock[i])
        FS2[b, FS_FLAG, i] = 1.0 if (D[i] > 0.0 and D[i] > stock[i]) else 0.0
    C = FB[b, FB_SALES]
    for i in range(F):
        C[i] = 0.0
    spend = CB[b, CB_SPEND]
    util = CB[b, CB_UTILITY]
    # 5. consumer utility: CRRA in (1 + c) summed over goods, minus (theta/2) h. Where the consumer got
    # exactly a grid quantity (not budget-scaled, good not rationed) U comes from the table ``utab`` of
    # the same function on the grid; the other quantities are gathered and evaluated in one vector pass.
    pend = np.empty(N * F)
    owner = np.empty(N * F, dtype=np.int64)
    npend = 0
    for j in range(N):
        sp = 0.0
        acc = 0.0
        whole = scales[j] == 1.0
        for i in range(F):
            v = c[j, i] * ratio[i]
            c[j, i] = v
            C[i] += v
            sp += price[i] * v
            if v == 0.0:
                continue
            if whole and ratio[i] == 1.0:
                acc += utab[cact[b, j, i]]
            else:
                pend[npend] = v
                owner[npend] = j
                npend += 1
        spend[j] = sp
        util[j] = acc - 0.5 * theta[j] * hours[j]
    if npend > 0:
        u = np.empty(npend)
        crra_utility_into(pend[:npend], kp[KP_CRRA], u, np.empty(npend), np.empty(npend, dtype=np.int64))
        for k in range(npend):
            util[owner[k]] += u[k]
    for j in range(N):
        rc[b, j] = util[j]
    # 6-8. exports, firm accounts, production, next firm state
    pot = 0.0
    A = kp[KP_A]
    r_int = kp[KP_INTEREST]
    bonus = kp[KP_BONUS]
    for i in range(F):
        unsold = stock[i] - C[i]
        if unsold < 0.0:  # floating-point rounding of a sold-out good
            unsold = 0.0
        x = export_sales(price[i], unsold, kp)
        FB[b, FB_EXPORT, i] = x
        rev = price[i] * (C[i] + x)
        wb = wage[i] * L[i]
        gross = rev - wb
        kappa = firm_table[fact[b, i], 2]
        inv = kappa * gross
        if inv < 0.0:
            inv = 0.0
        profit = gross - inv
        ctax = sigma * profit if profit > 0.0 else 0.0
        pot += ctax
        dB = profit - ctax
        Y = cobb_douglas(A, cap[i], L[i], alpha[i], kp[KP_LABOR_FLOOR])
        FB[b, FB_OUTPUT, i] = Y
        FB[b, FB_REVENUE, i] = rev
        FB[b, FB_WAGEBILL, i] = wb
        FB[b, FB_INVEST, i] = inv
        FB[b, FB_PROFIT, i] = profit
        FB[b, FB_CORPTAX, i] = ctax
        a = fact[b, i]
        FS2[b, FS_PRICE, i] = firm_table[a, 0]
        FS2[b, FS_WAGE, i] = firm_table[a, 1]
        FS2[b, FS_STOCK, i] = unsold - x + Y  # output of t is sold from t+1 on
        nb = fbud[i] + dB
        reward = dB
        if bonus > 0.0 and nb > 0.0:
            reward += bonus * rev
        interest = r_int * nb if nb > 0.0 else 0.0
        FB[b, FB_INTEREST, i] = interest
        FS2[b, FS_BUDGET, i] = nb + interest
        FS2[b, FS_CAPITAL, i] = cap[i] + inv
        rf[b, i] = reward
    # 9. next taxes
    g = gact[b]
    GS2[b, GS_ITAX] = gov_table[g, 0]
    GS2[b, GS_CTAX] = gov_table[g, 1]
    # 10-11. redistribution of all tax revenue, budgets, interest on positive balances
    for j in range(N):
        pot += CB[b, CB_INCTAX, j]
    tr = pot / N
    endow = kp[KP_ENDOW]
    for j in range(N):
        nb = cbud[j] + endow - spend[j] + CB[b, CB_LABINC, j] - CB[b, CB_INCTAX, j] + tr
        interest = r_int * nb if nb > 0.0 else 0.0
        CB[b, CB_TRANSFER, j] = tr
        CB[b, CB_INTEREST, j] = interest
        CS2[b, CS_BUDGET, j] = nb + interest
        CS2[b, CS_THETA, j] = theta[j]
    # no-Ponzi penalty on the last step (off by default)
    if final:
        cc, cs = kp[KP_C_NP_COEF], kp[KP_C_NP_SCALE]
        if cc > 0.0:
            for j in range(N):
                debt = -CS2[b, CS_BUDGET, j]
                if debt > 0.0:
                    rc[b, j] -= cc * debt / cs
        fc, fsc = kp[KP_F_NP_COEF], kp[KP_F_NP_SCALE]
        if fc > 0.0:
            for i in range(F):
                debt = -FS2[b, FS_BUDGET, i]
                if debt > 0.0:
                    rf[b, i] -= fc * debt / fsc
    total_c = 0.0
    for j in range(N):
        total_c += rc[b, j]
    total_f = 0.0
    for i in range(F):
        total_f += rf[b, i]
    rg[b] = total_c + kp[KP_FIRM_WEIGHT] * total_f


@njit(cache=True, error_model="numpy")
def observe_replica(b, FS, CS, GS, alpha, t, OS, digits, obs_c, obs_f, obs_g):
    """Write the observations of replica ``b`` at time ``t`` (the original's layout, scaled by OS).

    Global part: prices, wages, inventories, over-demanded flags, income tax, corporate
    tax, time. Consumers append budget and theta; firms budget, capital, alpha and a
    one-hot firm id. With ``digits`` inventories and budgets become 10 digit features each.
    """
    F = FS.shape[2]
    N = CS.shape[2]
    gdim = obs_g.shape[2]
    g = np.empty(gdim)
    k = 0
    for i in range(F):
        g[k] = FS[b, FS_PRICE, i] / OS[OS_PRICE]
        k += 1
    for i in range(F):
        g[k] = FS[b, FS_WAGE, i] / OS[OS_WAGE]
        k += 1
    if digits:
        for i in range(F):
            digit_features(FS[b, FS_STOCK, i], g, k)
            k += 10
    else:
        for i in range(F):
            g[k] = FS[b, FS_STOCK, i] / OS[OS_STOCK]
            k += 1
    for i in range(F):
        g[k] = FS[b, FS_FLAG, i]
        k += 1
    g[k] = GS[b, GS_ITAX]
    g[k + 1] = GS[b, GS_CTAX]
    g[k + 2] = t / OS[OS_TIME]
    for m in range(gdim):
        obs_g[b, 0, m] = g[m]
    for j in range(N):
        row = obs_c[b, j]
        for m in range(gdim):
            row[m] = g[m]
        if digits:
            digit_features(CS[b, CS_BUDGET, j], row, gdim)
            row[gdim + 10] = CS[b, CS_THETA, j] / OS[OS_THETA]
        else:
            row[gdim] = CS[b, CS_BUDGET, j] / OS[OS_CBUDGET]
            row[gdim + 1] = CS[b, CS_THETA, j] / OS[OS_THETA]
    for i in range(F):
        row = obs_f[b, i]
        for m in range(gdim):
            row[m] = g[m]
        k = gdim
        if digits:
            digit_features(FS[b, FS_BUDGET, i], row, k)
            k += 10
        else:
            row[k] = FS[b, FS_BUDGET, i] / OS[OS_FBUDGET]
            k += 1
        row[k] = FS[b, FS_CAPITAL, i] / OS[OS_CAPITAL]
        row[k + 1] = alpha[i]
        for m in range(F):
            row[k + 2 + m] = 1.0 if m == i else 0.0


# --------------------------------------------------------------------- all replicas


@njit(cache=True, parallel=True, error_model="numpy")
def step_replicas_parallel(
    FS, CS, GS, alpha, cact, fact, gact, cons_choices, utab, hours_choices, firm_table, gov_table, kp, final,
    FS2, CS2, GS2, creal, FB, CB, rc, rf, rg, t_next, OS, digits, obs_c, obs_f, obs_g,
):  # fmt: skip
    """Step every replica (threads over replicas) and write the next observations.

    Call it inside ``numba.parallel_chunksize(2)`` so that replicas are handed to threads in
    small chunks on demand (not split in equal parts up front): a thread slowed down by
    another process on its core then holds up less of the rest.
    """
    for b in prange(FS.shape[0]):
        step_replica(b, FS, CS, GS, alpha, cact, fact, gact, cons_choices, utab, hours_choices, firm_table, gov_table,
                     kp, final, FS2, CS2, GS2, creal, FB, CB, rc, rf, rg)  # fmt: skip
        observe_replica(b, FS2, CS2, GS2, alpha, t_next, OS, digits, obs_c, obs_f, obs_g)


@njit(cache=True, error_model="numpy")
def step_replicas_serial(
    FS, CS, GS, alpha, cact, fact, gact, cons_choices, utab, hours_choices, firm_table, gov_table, kp, final,
    FS2, CS2, GS2, creal, FB, CB, rc, rf, rg, t_next, OS, digits, obs_c, obs_f, obs_g,
):  # fmt: skip
    """As :func:`step_replicas_parallel`, on one thread (cheaper for a handful of replicas)."""
    for b in range(FS.shape[0]):
        step_replica(b, FS, CS, GS, alpha, cact, fact, gact, cons_choices, utab, hours_choices, firm_table, gov_table,
                     kp, final, FS2, CS2, GS2, creal, FB, CB, rc, rf, rg)  # fmt: skip
        observe_replica(b, FS2, CS2, GS2, alpha, t_next, OS, digits, obs_c, obs_f, obs_g)


@njit(cache=True, parallel=True, error_model="numpy")
def observe_replicas_parallel(FS, CS, GS, alpha, t, OS, digits, obs_c, obs_f, obs_g):
    """Observations of every replica at time ``t`` (threads over replicas)."""
    for b in prange(FS.shape[0]):
        observe_replica(b, FS, CS, GS, alpha, t, OS, digits, obs_c, obs_f, obs_g)


@njit(cache=True, error_model="numpy")
def observe_replicas_serial(FS, CS, GS, alpha, t, OS, digits, obs_c, obs_f, obs_g):
    """Observations of every replica at time ``t`` (one thread)."""
    for b in range(FS.shape[0]):
        observe_replica(b, FS, CS, GS, alpha, t, OS, digits, obs_c, obs_f, obs_g)


@njit(cache=True)
def first_bad_index(x: np.ndarray, nvec: np.ndarray) -> tuple[int, int, int]:
    """First (replica, agent, component) of ``x`` (B, n, k) outside [0, nvec[k]), or (-1, -1, -1)."""
    B, n, K = x.shape
    for b in range(B):
        for j in range(n):
            for k in range(K):
                v = x[b, j, k]
                if v < 0 or v >= nvec[k]:
                    return b, j, k
    return -1, -1, -1
