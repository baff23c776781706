"""The tax economy's equations as numba kernels on arrays.

No Python objects per household, no randomness (shocks come in as arrays), no
I/O. Symbols follow the family documentation (``econ_envs.taxai``):

    K, L, Y        capital, effective labour, output          (aggregates)
    w, r           wage per efficiency hour, net interest rate
    a, e, h        household wealth, ability, hours
    p, hhat        saving share of cash on hand, share of the time endowment worked
    m, c, a'       cash on hand, consumption, next-period wealth
    B, G, Tr       government debt, spending, lump-sum transfers
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from econ_envs.core.random import ZIG_F, ZIG_K, ZIG_W, binomial_inversion, uniform_from_word, ziggurat_fill
from econ_envs.core.stats import rank_group_sums, tail_from_bins
from econ_envs.core.vmath import exp_into, log_into

HSV = 0
BRACKETS = 1

# Layout of the packed constants passed to :func:`economy_step` (built once per economy).
KP_TFP, KP_ALPHA, KP_DELTA, KP_HOURS, KP_TAU_C, KP_RULE, KP_DEBT_TARGET, KP_Y0 = 0, 1, 2, 3, 4, 5, 6, 7
KP_THETA, KP_CHI, KP_ETA, KP_C_FLOOR, KP_DEDUCTION, KP_RHO, KP_SIGMA, KP_STAT_SD = 8, 9, 10, 11, 12, 13, 14, 15
KP_STAR_E, KP_W0, KP_WEIGHT_FLOOR, KP_MODE, KP_N_TOP, KP_N_BOTTOM, KP_ENTRY, KP_STAY = 16, 17, 18, 19, 20, 21, 22, 23
KP_DEBT_SHARE = 24  # B* = KP_DEBT_TARGET + KP_DEBT_SHARE * (K + B): a level (share 0) or a share of wealth
KP_SIZE = 25
# Rows of the per-household block returned by :func:`economy_step`.
(B_ANEXT, B_LOGE, B_E, B_C, B_Y, B_TINC, B_TW, B_TR, B_UTIL) = range(9)
B_ROWS = 9
# Layout of the totals returned by :func:`economy_step`.
(S_L, S_Y, S_W, S_R, S_G, S_TR, S_C, S_TINC, S_TW, S_TC, S_A, S_B, S_K, S_H, S_YMEAN, S_USUM, S_NSTAR) = range(17)
S_SIZE = 17


@njit(cache=True, inline="always")
def production(K: float, L: float, tfp: float, alpha: float) -> float:
    """Y = A K^alpha L^(1-alpha) (zero if nobody works)."""
    if L <= 0.0 or K <= 0.0:
        return 0.0
    return tfp * K**alpha * L ** (1.0 - alpha)


@njit(cache=True)
def factor_prices(K: float, L: float, tfp: float, alpha: float, delta: float):
    """Competitive prices from marginal products: w = (1-alpha) Y/L, r = alpha Y/K - delta."""
    Y = production(K, L, tfp, alpha)
    w = (1.0 - alpha) * Y / L if L > 0.0 else 0.0
    r = alpha * Y / K - delta if K > 0.0 else -delta
    return Y, w, r


@njit(cache=True, inline="always")
def fast_pow(x: float, p: float) -> float:
    """x**p for x > 0 as exp(p log x) (cheaper than pow here)."""
    return math.exp(p * math.log(x))


@njit(cache=True, inline="always")
def hsv_tax(x: float, tau: float, xi: float, x_ref: float) -> float:
    """Heathcote-Storesletten-Violante tax normalised by a reference level.

    After-tax amount (1 - tau) * x_ref^xi * x^(1-xi): tau is the average rate at
    x = x_ref and xi the progressivity. Returns the tax x - after-tax (negative
    below the break-even point: a transfer). Zero for x <= 0.
    """
    if x <= 0.0:
        return 0.0
    if xi == 0.0:
        return tau * x
    return x - (1.0 - tau) * x_ref * fast_pow(x / x_ref, 1.0 - xi)


@njit(cache=True, inline="always")
def bracket_tax(y: float, thresholds: np.ndarray, rates: np.ndarray, deduction: float) -> float:
    """Piecewise-linear income tax on taxable income z = max(0, y - deduction).

    ``thresholds`` are the lower bounds of the brackets (ascending, starting at 0);
    the last bracket is open-ended.
    """
    z = y - deduction
    if z <= 0.0:
        return 0.0
    tax = 0.0
    K = thresholds.size
    for k in range(K):
        lo = thresholds[k]
        if z <= lo:
            break
        hi = thresholds[k + 1] if k + 1 < K else np.inf
        tax += rates[k] * (min(z, hi) - lo)
    return tax


@njit(cache=True)
def bracket_tax_rows(y: np.ndarray, thresholds: np.ndarray, rates: np.ndarray, deduction: float) -> np.ndarray:
    """Bracket tax of y[i] under its own rate row rates[i, :]."""
    out = np.empty(y.size)
    for i in range(y.size):
        out[i] = bracket_tax(y[i], thresholds, rates[i], deduction)
    return out


@njit(cache=True, error_model="numpy")
def hsv_tax_into(x: np.ndarray, tau: float, xi: float, x_ref: float, out: np.ndarray) -> None:
    """out_i = hsv_tax(x_i, tau, xi, x_ref) for every i (array form of :func:`hsv_tax`)."""
    n = x.size
    if xi == 0.0:
        for i in range(n):
            out[i] = tau * x[i] if x[i] > 0.0 else 0.0
        return
    ratio = np.empty(n)
    for i in range(n):
        ratio[i] = x[i] / x_ref if x[i] > 0.0 else 1.0
    log_into(ratio, ratio)
    for i in range(n):
        ratio[i] *= 1.0 - xi
    exp_into(ratio, ratio)
    keep = (1.0 - tau) * x_ref
    for i in range(n):
        out[i] = x[i] - keep * ratio[i] if x[i] > 0.0 else 0.0


INCOME_POINTS = np.array([0.5, 1.0, 2.0, 5.0])  # multiples of mean income where households see tax rates
WEALTH_POINTS = np.array([1.0, 10.0])  # multiples of mean wealth where households see the wealth-tax rate
N_POLICY_FEATURES = 2 * INCOME_POINTS.size + WEALTH_POINTS.size + 1


@njit(cache=True)
def policy_features(
    policy: np.ndarray, mode: int, thresholds: np.ndarray, deduction: float, y_ref: float, a_ref: float
) -> np.ndarray:
    """What a household sees of a policy, whatever its parametrisation (HSV or brackets).

    [average income-tax rate at y = m * y_ref for m in INCOME_POINTS,
     marginal income-tax rate at the same incomes,
     average wealth-tax rate at a = m * a_ref for m in WEALTH_POINTS,
     government spending share G/Y].
    """
    ni = INCOME_POINTS.size
    nw = WEALTH_POINTS.size
    out = np.empty(2 * ni + nw + 1)
    nb = thresholds.size
    if mode == HSV:
        tau, xi, tau_a, xi_a, g = policy[0], policy[1], policy[2], policy[3], policy[4]
    else:
        tau, xi = 0.0, 0.0
        tau_a, xi_a, g = policy[nb], policy[nb + 1], policy[nb + 2]
    for k in range(ni):
        y = INCOME_POINTS[k] * y_ref
        if mode == HSV:
            avg = hsv_tax(y, tau, xi, y_ref) / y
            mtr = 1.0 - (1.0 - tau) * (1.0 - xi) * fast_pow(y / y_ref, -xi)
        else:
            avg = bracket_tax(y, thresholds, policy[:nb], deduction) / y
            z = y - deduction
            mtr = 0.0
            if z > 0.0:
                j = 0
                for b in range(1, nb):
                    if z >= thresholds[b]:
                        j = b
                mtr = policy[j]
        out[k] = avg
        out[ni + k] = mtr
    for k in range(nw):
        a = WEALTH_POINTS[k] * a_ref
        t = hsv_tax(a, tau_a, xi_a, a_ref) if (tau_a != 0.0 or xi_a != 0.0) else 0.0
        out[2 * ni + k] = (t if t > 0.0 else 0.0) / a
    out[2 * ni + nw] = g
    return out


CHUNK = 512  # households per block of the fused household pass (its arrays stay in L1/L2)


@njit(cache=True, error_model="numpy")
def next_ability(
    raw: np.ndarray,
    log_e: np.ndarray,
    star: np.ndarray,
    n_star: int,
    kp: np.ndarray,
    snapshot: bool,
    new_log: np.ndarray,
    new_e: np.ndarray,
    new_star: np.ndarray,
):
    """Next year's ability (two-regime process) into ``new_log``, ``new_e``, ``new_star``.

    Shocks come from the raw 64-bit words ``raw`` (drawn by the env's Generator): N(0,1)
    innovations (ziggurat, one per household, written straight into ``new_log``), then the
    regime switches - super-star entries (each normal household w.p. ``entry``: a Binomial
    count by inversion, entrants a uniform subset) and exits (each super-star w.p.
    1 - ``stay``; a leaver redraws from the stationary distribution). ``snapshot``: no
    shocks (zero innovations, no switches). Returns ``(n_star_next, words_used)``
    (words_used = -1: ``raw`` was too short).
    """
    n = log_e.size
    rho = kp[KP_RHO]
    sigma = kp[KP_SIGMA]
    stat_sd = kp[KP_STAT_SD]
    switch = np.zeros(n, dtype=np.bool_)
    if snapshot:
        new_log[:] = 0.0
        j = 0
    else:
        j = ziggurat_fill(raw, new_log, ZIG_K, ZIG_W, ZIG_F)
        if j < 0:
            return 0, -1
        m = raw.size
        entry = kp[KP_ENTRY]
        if entry > 0.0 and n_star < n:
            if j >= m:
                return 0, -1
            k = binomial_inversion(n - n_star, entry, uniform_from_word(raw[j]))
            j += 1
            chosen = 0
            while chosen < k:
                if j >= m:
                    return 0, -1
                i = int(uniform_from_word(raw[j]) * n)
                j += 1
                if i < n and not star[i] and not switch[i]:
                    switch[i] = True
                    chosen += 1
        if n_star > 0:
            stay = kp[KP_STAY]
            for i in range(n):
                if star[i]:
                    if j >= m:
                        return 0, -1
                    if uniform_from_word(raw[j]) >= stay:
                        switch[i] = True
                    j += 1
    n_star_next = 0
    for i in range(n):
        eps = new_log[i]
        s_now = star[i]
        if switch[i]:
            s_now = not s_now
            if star[i]:  # leaving the super-star state: redraw from the stationary distribution
                new_log[i] = stat_sd * eps
            else:
                new_log[i] = log_e[i]
        elif s_now:
            new_log[i] = log_e[i]
        else:
            new_log[i] = rho * log_e[i] + sigma * eps
        new_star[i] = s_now
        n_star_next += 1 if s_now else 0
    exp_into(new_log, new_e)
    star_e = kp[KP_STAR_E]
    for i in range(n):
        if new_star[i]:
            new_e[i] = star_e
    return n_star_next, j


@njit(cache=True, error_model="numpy")
def economy_step(
    a: np.ndarray,
    log_e: np.ndarray,
    star: np.ndarray,
    e: np.ndarray,
    actions: np.ndarray,
    policy: np.ndarray,
    policy_next: np.ndarray,
    raw: np.ndarray,
    n_star: int,
    K: float,
    B: float,
    y_ref: float,
    a_ref: float,
    time_next: float,
    snapshot: bool,
    kp: np.ndarray,
    thresholds: np.ndarray,
):
    """One year of the economy (pure: returns new arrays; inputs are not modified).

    1. Labour market: h_i = H hhat_i, L = sum e_i h_i; Y = A K^alpha L^(1-alpha);
       w = (1-alpha) Y/L, r = alpha Y/K - delta; G = g Y.
    2. Household budgets: y_i = w e_i h_i + r a_i; income tax T(y_i) (HSV or brackets),
       wealth tax T_a(a_i); fiscal-rule transfer tr (a levy capped at cash on hand);
       m_i = a_i + y_i - T - T_a + tr;  c_i = (1-p_i) m_i / (1+tau_c);  a'_i = p_i m_i.
    3. Government: B' = (1+r) B + G + Tr - (T_inc + T_a + tau_c C); capital from the
       asset market: K' = A' - B'  (= (1-delta) K + Y - C - G, the resource constraint).
    4. Ability for next year (:func:`next_ability`; shocks from the raw words ``raw``).
    5. Observations for next year (``snapshot``: of the current state instead, used at
       reset; no shocks are drawn then).

    Step 4 does not depend on 2-3, so it runs first; then one pass over blocks of
    :data:`CHUNK` households does 2, the households' utility and their own observation
    columns while the block's arrays are in cache. Sums run in household order.

    actions[:, 0] = p (share of cash on hand saved), actions[:, 1] = hhat.
    Returns ``(block, star', household_obs, government_obs, totals, words_used)``
    (``words_used`` = -1: ``raw`` was too short, call again with more words); ``block`` is
    (B_ROWS, n) with rows B_* = a', log e', e', c, y, T_inc, T_wealth, transfer, utility;
    ``totals`` are the S_* scalars followed by the tail statistics (3 x n_brackets).
    """
    n = a.size
    tfp = kp[KP_TFP]
    alpha = kp[KP_ALPHA]
    hours = kp[KP_HOURS]
    tau_c = kp[KP_TAU_C]
    y0 = kp[KP_Y0]
    deduction = kp[KP_DEDUCTION]
    mode = int(kp[KP_MODE])
    c_floor = kp[KP_C_FLOOR]
    theta = kp[KP_THETA]
    chi = kp[KP_CHI]
    eta = kp[KP_ETA]
    weight_floor = kp[KP_WEIGHT_FLOOR]
    block = np.empty((B_ROWS, n))
    a_next = block[B_ANEXT]
    new_log = block[B_LOGE]
    new_e = block[B_E]
    c = block[B_C]
    y = block[B_Y]
    t_inc = block[B_TINC]
    t_w = block[B_TW]
    transfer = block[B_TR]
    util = block[B_UTIL]
    new_star = np.empty(n, dtype=np.bool_)
    nf = N_POLICY_FEATURES
    hh_buf = np.empty((2 + nf + 6, n), dtype=np.float32)  # household observations, column-major
    nb = thresholds.size
    npol = policy.size
    gov = np.empty(12 + npol + 3 * nb, dtype=np.float32)
    totals = np.empty(S_SIZE + 3 * nb)

    # 4. ability for next year (exogenous: first, so the household pass can write observations)
    n_star_next, used = next_ability(raw, log_e, star, n_star, kp, snapshot, new_log, new_e, new_star)
    if used < 0:
        return block, new_star, hh_buf.T, gov, totals, used

    # 1. labour market and prices
    L = 0.0
    H = 0.0
    for i in range(n):
        h = hours * actions[i, 1]
        H += h
        L += e[i] * h
    Y, w, r = factor_prices(K, L, tfp, alpha, kp[KP_DELTA])
    if mode == HSV:
        tau = policy[0]
        xi = policy[1]
        tau_a = policy[2]
        xi_a = policy[3]
        g = policy[4]
    else:
        tau = 0.0
        xi = 0.0
        tau_a = policy[nb]
        xi_a = policy[nb + 1]
        g = policy[nb + 2]
    G = g * Y
    tr = kp[KP_RULE] * (kp[KP_DEBT_TARGET] + kp[KP_DEBT_SHARE] * (K + B) - B) / n  # fiscal rule, B* as documented
    inv_tc = 1.0 / (1.0 + tau_c)
    inv_y0 = 1.0 / y0
    wealth_taxed = tau_a != 0.0 or xi_a != 0.0
    cap = min(1.0, 1.0 + r)
    # bracket schedule: tax accumulated below each threshold, T(z) = cum_k + rate_k (z - z_k)
    cum = np.zeros(nb)
    if mode != HSV:
        for k in range(1, nb):
            cum[k] = cum[k - 1] + policy[k - 1] * (thresholds[k] - thresholds[k - 1])
    # taxable-income tail (a Saez planner's data): count, total and inverse-income weight per bracket
    cnt = np.zeros(nb)
    tot = np.zeros(nb)
    ws = np.zeros(nb)
    wall = 0.0
    z = np.empty(CHUNK)
    kz = np.empty(CHUNK, dtype=np.int64)
    Tr = 0.0
    C = 0.0
    T_inc = 0.0
    T_w = 0.0
    A_next = 0.0
    Y_sum = 0.0
    u_sum = 0.0
    k_dis = chi / 3.0 if eta == 2.0 else chi / (1.0 + eta)
    obs_w = a if snapshot else a_next
    obs_e = e if snapshot else new_e

    # 2. household budgets, utility and own observations, one block of households at a time
    for s in range(0, n, CHUNK):
        t = min(n, s + CHUNK)
        nc = t - s
        for i in range(s, t):
            y[i] = w * e[i] * hours * actions[i, 1] + r * a[i]
        # taxable income and its bracket (a count of the thresholds reached: vectorised, branch-free)
        for i in range(s, t):
            v = y[i] - deduction
            z[i - s] = v if v > 0.0 else 0.0
            kz[i - s] = 0
        for j in range(1, nb):
            th = thresholds[j]
            for q in range(nc):
                kz[q] += z[q] >= th
        if mode == HSV:
            hsv_tax_into(y[s:t], tau, xi, y_ref, t_inc[s:t])
        else:
            for i in range(s, t):
                k = kz[i - s]
                t_inc[i] = cum[k] + policy[k] * (z[i - s] - thresholds[k])
        for q in range(nc):
            v = z[q]
            wq = 1.0 / (v if v > weight_floor else weight_floor)
            wall += wq
            k = kz[q]
            cnt[k] += 1.0
            tot[k] += v
            ws[k] += wq
        if wealth_taxed:
            # wealth tax = max(0, HSV on wealth), capped at a * min(1, 1 + r): never more than the wealth
            # it taxes, and cash on hand stays non-negative even when r < 0
            hsv_tax_into(a[s:t], tau_a, xi_a, a_ref, t_w[s:t])
            for i in range(s, t):
                tw = t_w[i] if t_w[i] > 0.0 else 0.0
                t_w[i] = tw if tw < a[i] * cap else a[i] * cap
        else:
            t_w[s:t] = 0.0
        for i in range(s, t):
            m = a[i] + y[i] - t_inc[i] - t_w[i]
            if m < 0.0:  # only rounding can get here (the wealth-tax cap); keeps the borrowing limit exact
                m = 0.0
            tri = tr if tr >= 0.0 else -min(-tr, m)  # a levy is collected up to cash on hand
            m += tri
            p = actions[i, 0]
            ci = (1.0 - p) * m * inv_tc
            ai = p * m
            a_next[i] = ai
            c[i] = ci
            transfer[i] = tri
            Tr += tri
            C += ci
            T_inc += t_inc[i]
            T_w += t_w[i]
            A_next += ai
            Y_sum += y[i]
            cu = ci * inv_y0
            util[i] = cu if cu > c_floor else c_floor
        # period utility u(max(c/y0, floor)) - chi hhat^(1+eta)/(1+eta), u = log (theta = 1) or CRRA
        u = util[s:t]
        log_into(u, u)
        if theta != 1.0:
            for i in range(nc):
                u[i] *= 1.0 - theta
            exp_into(u, u)
            for i in range(nc):
                u[i] = (u[i] - 1.0) / (1.0 - theta)
        if eta == 2.0:
            for i in range(s, t):
                h = actions[i, 1]
                util[i] -= k_dis * h * h * h
        else:
            for i in range(s, t):
                h = actions[i, 1]
                z[i - s] = h if h > 0.0 else 1.0
            hp = z[:nc]
            log_into(hp, hp)
            for q in range(nc):
                hp[q] *= 1.0 + eta
            exp_into(hp, hp)
            for i in range(s, t):
                util[i] -= k_dis * z[i - s] if actions[i, 1] > 0.0 else 0.0
        for i in range(s, t):
            u_sum += util[i]
        for i in range(s, t):
            hh_buf[0, i] = obs_w[i] * inv_y0
        for i in range(s, t):
            hh_buf[1, i] = obs_e[i]
    T_c = tau_c * C
    B_next = (1.0 + r) * B + G + Tr - (T_inc + T_w + T_c)
    K_next = A_next - B_next

    # 5. observations (of next year's state, or of the current one for a reset snapshot)
    pol_state = policy if snapshot else policy_next
    K_state = K if snapshot else K_next
    B_state = B if snapshot else B_next
    A_state = 0.0
    if snapshot:
        for i in range(n):
            A_state += a[i]
    else:
        A_state = A_next
    # the HSV references in force with this policy: this year's mean income (reset() adopts the
    # snapshot's mean income as year 0's reference) and the state's mean wealth
    ref_floor = 1e-9 * y0  # as TaxEconomy.step floors the references it commits
    feats = policy_features(
        pol_state, mode, thresholds, deduction, max(Y_sum / n, ref_floor), max(A_state / n, ref_floor)
    )
    template = np.empty(nf + 6, dtype=np.float32)
    template[:nf] = feats
    template[nf] = A_state / n * inv_y0
    template[nf + 1] = Y_sum / n * inv_y0
    template[nf + 2] = w / kp[KP_W0]
    template[nf + 3] = r
    template[nf + 4] = Y / n * inv_y0
    template[nf + 5] = Tr / n * inv_y0
    for j in range(nf + 6):
        v32 = template[j]
        row = hh_buf[2 + j]
        for i in range(n):
            row[i] = v32
    share, mean, weight = tail_from_bins(cnt, tot, ws, wall, thresholds, n)
    n_top = int(kp[KP_N_TOP])
    n_bot = int(kp[KP_N_BOTTOM])
    top_w, bot_w = rank_group_sums(obs_w, np.empty((0, n)), True, n_top, n_bot)
    top_y, bot_y = rank_group_sums(y, e.reshape((1, n)), True, n_top, n_bot)
    gov[0] = top_w[0] / n_top * inv_y0
    gov[1] = top_y[0] / n_top * inv_y0
    gov[2] = top_y[1] / n_top
    gov[3] = bot_w[0] / n_bot * inv_y0
    gov[4] = bot_y[0] / n_bot * inv_y0
    gov[5] = bot_y[1] / n_bot
    gov[6] = Y / n * inv_y0
    gov[7] = K_state / Y if Y > 0.0 else 0.0
    gov[8] = B_state / Y if Y > 0.0 else 0.0
    gov[9] = r
    gov[10] = w / kp[KP_W0]
    gov[11] = time_next
    gov[12 : 12 + npol] = pol_state
    gov[12 + npol : 12 + npol + nb] = share
    gov[12 + npol + nb : 12 + npol + 2 * nb] = mean * inv_y0
    gov[12 + npol + 2 * nb :] = weight

    totals[S_L] = L
    totals[S_Y] = Y
    totals[S_W] = w
    totals[S_R] = r
    totals[S_G] = G
    totals[S_TR] = Tr
    totals[S_C] = C
    totals[S_TINC] = T_inc
    totals[S_TW] = T_w
    totals[S_TC] = T_c
    totals[S_A] = A_next
    totals[S_B] = B_next
    totals[S_K] = K_next
    totals[S_H] = H
    totals[S_YMEAN] = Y_sum / n
    totals[S_USUM] = u_sum
    totals[S_NSTAR] = n_star_next
    totals[S_SIZE : S_SIZE + nb] = share
    totals[S_SIZE + nb : S_SIZE + 2 * nb] = mean
    totals[S_SIZE + 2 * nb :] = weight
    return block, new_star, hh_buf.T, gov, totals, used


@njit(cache=True)
def initial_wealth(z: np.ndarray, sigma: float, z_star: float, tail_start: float, tail_alpha: float) -> np.ndarray:
    """Initial wealth (unscaled) from standard-normal draws: lognormal body, Pareto tail.

    Below the quantile ``tail_start`` (z <= z_star): exp(sigma z). Above it the
    quantile function continues as a Pareto tail with exponent ``tail_alpha``
    from the body's value at the splice, so the distribution is continuous.
    """
    n = z.size
    out = np.empty(n)
    x_star = math.exp(sigma * z_star)
    for i in range(n):
        if z[i] <= z_star:
            out[i] = math.exp(sigma * z[i])
        else:
            upper = 0.5 * math.erfc(z[i] / math.sqrt(2.0))  # 1 - Phi(z), accurate in the tail
            out[i] = x_star * ((1.0 - tail_start) / upper) ** (1.0 / tail_alpha)
    return out
