"""The household's dynamic programme in numba kernels: exact best responses on an aggregate path.

A household of ``taxai-v0`` maximises

    E sum_{t>=0} beta^t [u(c_t) - chi hhat_t^(1+eta)/(1+eta)]

(the reward the env pays, ``u(c) = log(max(c/y0, floor))`` or CRRA), choosing each
year the share ``hhat`` of its time endowment worked and, from its cash on hand

    m = a + y - T(y) - T_a(a) + tr,      y = w e H hhat + r a

(the env's budget: income tax T, capped wealth tax T_a, lump-sum transfer or capped
levy tr), consumption ``c = (1 - p) m / (1 + tau_c)`` and wealth ``a' = p m``.

Method (kernels below, driven by :mod:`econ_envs.taxai.optimal`). Money is in units of
y0. The state is wealth on an exponentially spaced grid times ability on a Rouwenhorst
chain for the log-AR(1) plus one super-star node. Given next year's value V' and its
wealth derivative V'_a on the grid:

1. ``W(a', e) = beta E[V'(a', e') | e]`` and ``W_a`` (exact at grid points).
2. Savings by the endogenous-grid method (Carroll 2006): for every a' on the grid the
   Euler equation ``u'(c) / (1 + tau_c) = W_a(a', e)`` gives c and the cash on hand
   ``m = a' + (1 + tau_c) c`` at which a' is optimal; with the point (m, c) = (0, 0)
   prepended (a' = 0 is optimal below the first endogenous point) this is the
   consumption function c(m; e), and ``Vt(m; e) = u(c) + W(m - (1 + tau_c) c, e)``.
3. Hours: the objective's slope (envelope: u'(c(m)) m_hhat / (1 + tau_c) - v'(hhat)) on a
   grid of hhat in [0, 1] brackets every local maximum; each is refined by the Illinois method
   (a safeguarded regula falsi) to ``tol_hours`` and their values are compared:
   ``V(a, e) = max_hhat Vt(m(a, e, hhat); e) - v(hhat)``.
   Values are compared because the levy cap and non-monotone bracket rates can make
   the problem non-concave in hours. Where the slope is provably non-increasing (monotone
   marginal tax rates, a non-decreasing consumption function, no binding levy; see
   :func:`hours_concave`) there is one local maximum, and its root is bracketed by a cell of
   width 1/1024 found from next year's hours (or the last iterate's) instead of the scan
   (:func:`warm_hours`): the same root to the same tolerance, with fewer slope evaluations.
4. ``V_a`` by the envelope theorem, in a form that also holds where the household bunches
   at a kink of the bracket schedule (:func:`marginal_value`).

W is interpolated as exp(kappa W), kappa = (1 - beta) / beta, which is nearly linear
in wealth for log utility (CRRA 1), so the coarse top of the grid loses no accuracy.
Saving is capped at the top of the grid (``DPGrid.wealth_max``, 20,000 y0 = 1.4 billion
USD by default): it binds only for super-stars in environments where beta (1 + r) > 1
would make wealth grow without bound, and keeps the infinite-horizon problem well posed.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

HSV = 0
BRACKETS = 1

# Per-year environment, one row per year (money in units of y0).
(E_R, E_WH, E_TR, E_YREF, E_AREF, E_TAU, E_XI, E_TAUA, E_XIA, E_TAXED, E_CAP) = range(11)
E_SIZE = 11
# Constants.
(C_TAUC, C_BETA, C_THETA, C_CHI, C_ETA, C_FLOOR, C_DED, C_MODE, C_KAPPA, C_TOLH, C_NH) = range(11)
C_SIZE = 11


# ------------------------------------------------------------------------ grids and chains


def wealth_grid(n: int, a_max: float, a_first: float) -> tuple[np.ndarray, float]:
    """``n`` points from 0 to ``a_max``, a_j = a_max (exp(s j/(n-1)) - 1) / (exp(s) - 1).

    ``s`` is chosen so that the first positive point is ``a_first``; returns (grid, s).
    """
    if not (n >= 10 and a_max > 0 and 0 < a_first < a_max / (n - 1)):
        raise ValueError(f"wealth grid: need n >= 10 and 0 < a_first < a_max/(n-1); got {n}, {a_first}, {a_max}")
    lo, hi = 1e-9, 200.0
    for _ in range(200):
        s = 0.5 * (lo + hi)
        first = a_max * math.expm1(s / (n - 1)) / math.expm1(s)
        if first > a_first:
            lo = s
        else:
            hi = s
    s = 0.5 * (lo + hi)
    j = np.arange(n)
    grid = a_max * np.expm1(s * j / (n - 1)) / math.expm1(s)
    grid[0] = 0.0
    grid[-1] = a_max
    return grid, s


def rouwenhorst(n: int, rho: float, sigma: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rouwenhorst (Kopecky & Suen 2010) chain for x' = rho x + sigma eps.

    Returns (nodes, transition matrix P[i, j] = P(x' = node_j | x = node_i), stationary
    distribution). Conditional mean and variance match the AR(1) exactly; the chain is
    the recommended discretisation for persistence as high as 0.982.
    """
    if n < 2:
        raise ValueError(f"ability nodes: need at least 2, got {n}")
    p = 0.5 * (1.0 + rho)
    P = np.array([[p, 1 - p], [1 - p, p]])
    for m in range(3, n + 1):
        Q = np.zeros((m, m))
        Q[:-1, :-1] += p * P
        Q[:-1, 1:] += (1 - p) * P
        Q[1:, :-1] += (1 - p) * P
        Q[1:, 1:] += p * P
        Q[1:-1] /= 2.0
        P = Q
    sd = sigma / math.sqrt(1.0 - rho * rho)
    psi = sd * math.sqrt(n - 1)
    nodes = np.linspace(-psi, psi, n)
    from math import comb

    stat = np.array([comb(n - 1, k) for k in range(n)], dtype=np.float64) / 2.0 ** (n - 1)
    return nodes, P, stat


# ------------------------------------------------------------------------ model pieces


@njit(cache=True, inline="always")
def _pow(x: float, p: float) -> float:
    return math.exp(p * math.log(x))


@njit(cache=True, inline="always")
def income_tax(y, mode, tau, xi, yref, rates, cum, thr, ded):
    """(T(y), T'(y)): the env's income tax (HSV normalised by yref, or brackets) and its slope."""
    if mode == HSV:
        if y <= 0.0:
            return 0.0, 0.0
        if xi == 0.0:
            return tau * y, tau
        s = _pow(y / yref, -xi)
        return y - (1.0 - tau) * y * s, 1.0 - (1.0 - tau) * (1.0 - xi) * s
    z = y - ded
    if z <= 0.0:
        return 0.0, 0.0
    k = 0
    for b in range(1, thr.size):
        if z >= thr[b]:
            k = b
    return cum[k] + rates[k] * (z - thr[k]), rates[k]


@njit(cache=True, inline="always")
def wealth_tax(a, taua, xia, aref, cap, taxed):
    """(T_a(a), T_a'(a)): max(0, HSV on wealth) capped at a * min(1, 1 + r)."""
    if taxed == 0.0 or a <= 0.0:
        return 0.0, 0.0
    if xia == 0.0:
        t = taua * a
        d = taua
    else:
        s = _pow(a / aref, -xia)
        t = a - (1.0 - taua) * a * s
        d = 1.0 - (1.0 - taua) * (1.0 - xia) * s
    if t <= 0.0:
        return 0.0, 0.0
    if t >= a * cap:
        return a * cap, cap
    return t, d


@njit(cache=True, inline="always")
def cash_on_hand(a, e, h, env, rates, cum, thr, ded, mode):
    """(m, dm/da, dm/dhhat) of a household with wealth a and ability e working hhat (env: one year)."""
    r = env[E_R]
    y = env[E_WH] * e * h + r * a
    T, dT = income_tax(y, mode, env[E_TAU], env[E_XI], env[E_YREF], rates, cum, thr, ded)
    Tw, dTw = wealth_tax(a, env[E_TAUA], env[E_XIA], env[E_AREF], env[E_CAP], env[E_TAXED])
    m = a + y - T - Tw
    ma = 1.0 + r * (1.0 - dT) - dTw
    mh = env[E_WH] * e * (1.0 - dT)
    if m < 0.0:
        m = 0.0
        ma = 0.0
        mh = 0.0
    tr = env[E_TR]
    if tr >= 0.0:
        m += tr
    elif m <= -tr:  # the levy takes all the cash on hand
        m = 0.0
        ma = 0.0
        mh = 0.0
    else:
        m += tr
    return m, ma, mh


@njit(cache=True, inline="always")
def utility_c(c, theta, floor):
    x = c if c > floor else floor
    if theta == 1.0:
        return math.log(x)
    return (_pow(x, 1.0 - theta) - 1.0) / (1.0 - theta)


@njit(cache=True, inline="always")
def marginal_u(c, theta, floor):
    x = c if c > floor else floor
    if theta == 1.0:
        return 1.0 / x
    return _pow(x, -theta)


@njit(cache=True, inline="always")
def disutility(h, chi, eta):
    if h <= 0.0:
        return 0.0
    if eta == 2.0:
        return chi * h * h * h / 3.0
    return chi * _pow(h, 1.0 + eta) / (1.0 + eta)


@njit(cache=True, inline="always")
def marginal_value(a, e, h, c, env, rates, cum, thr, const):
    """dV/da at wealth a for a household choosing (hhat, c) optimally there.

    With interior hours, V_a = u'(c)/(1+tau_c) (1 - T_a'(a)) + v'(hhat) r / (w H e): it holds
    both where the hours first-order condition holds (it then equals the envelope
    u'(c)/(1+tau_c) dm/da) and where the household bunches at a kink of the income-tax
    schedule (income fixed at the kink, hours absorbing the capital income), where the
    envelope formula is undefined. Corners use the envelope; a binding levy gives 0.
    """
    m, ma, mh = cash_on_hand(a, e, h, env, rates, cum, thr, const[C_DED], int(const[C_MODE]))
    if ma <= 0.0:
        return 0.0
    mu = marginal_u(c, const[C_THETA], const[C_FLOOR]) / (1.0 + const[C_TAUC])
    we = env[E_WH] * e
    if 0.0 < h < 1.0 and we > 0.0 and mh > 0.0:
        _, dTw = wealth_tax(a, env[E_TAUA], env[E_XIA], env[E_AREF], env[E_CAP], env[E_TAXED])
        eta = const[C_ETA]
        vp = const[C_CHI] * (h * h if eta == 2.0 else _pow(h, eta))
        return mu * (1.0 - dTw) + vp * env[E_R] / we
    return mu * ma


@njit(cache=True, inline="always")
def grid_index(x, grid, s):
    """j with grid[j] <= x < grid[j+1] (clamped to [0, n-2]) on the exponential grid."""
    n = grid.size
    a_max = grid[n - 1]
    if x <= 0.0:
        return 0
    j = int((n - 1) / s * math.log1p(x * (math.exp(s) - 1.0) / a_max))
    if j > n - 2:
        j = n - 2
    if j < 0:
        j = 0
    while j > 0 and grid[j] > x:
        j -= 1
    while j < n - 2 and grid[j + 1] <= x:
        j += 1
    return j


@njit(cache=True, inline="always")
def interp_w(x, grid, s, wt, kappa):
    """W at wealth x from its transformed grid values wt (exp(kappa W), or W if kappa = 0)."""
    j = grid_index(x, grid, s)
    t = (x - grid[j]) / (grid[j + 1] - grid[j])
    v = wt[j] + t * (wt[j + 1] - wt[j])
    if kappa > 0.0:
        if v < 1e-300:
            v = 1e-300
        return math.log(v) / kappa
    return v


@njit(cache=True, inline="always")
def interp_c(m, mend, cend):
    """Consumption at cash on hand m from the endogenous grid (increasing mend; linear extrapolation)."""
    n = mend.size
    if m >= mend[n - 1]:
        j = n - 2
    else:
        lo = 0
        hi = n - 1
        while hi - lo > 1:
            mid = (lo + hi) >> 1
            if mend[mid] <= m:
                lo = mid
            else:
                hi = mid
        j = lo
    d = mend[j + 1] - mend[j]
    t = (m - mend[j]) / d if d > 0.0 else 0.0
    return cend[j] + t * (cend[j + 1] - cend[j])


@njit(cache=True, inline="always")
def vtilde(m, mend, cend, grid, s, wt, const):
    """(value, c, a') of a household with cash on hand m choosing savings optimally."""
    tauc1 = 1.0 + const[C_TAUC]
    c = interp_c(m, mend, cend)
    if c < 0.0:
        c = 0.0
    ap = m - tauc1 * c
    if ap < 0.0:
        ap = 0.0
        c = m / tauc1
    a_top = grid[grid.size - 1]
    if ap > a_top:  # saving is capped at the top of the grid (binds only where wealth would grow without bound)
        ap = a_top
        c = (m - a_top) / tauc1
    return utility_c(c, const[C_THETA], const[C_FLOOR]) + interp_w(ap, grid, s, wt, const[C_KAPPA]), c, ap


@njit(cache=True, inline="always")
def hours_objective(h, a, e, env, rates, cum, thr, mend, cend, grid, s, wt, const):
    m, _, _ = cash_on_hand(a, e, h, env, rates, cum, thr, const[C_DED], int(const[C_MODE]))
    v, _, _ = vtilde(m, mend, cend, grid, s, wt, const)
    return v - disutility(h, const[C_CHI], const[C_ETA])


@njit(cache=True, inline="always")
def hours_slope(h, a, e, env, rates, cum, thr, mend, cend, const):
    """d/dhhat of the hours objective: u'(c(m)) / (1 + tau_c) * dm/dhhat - chi hhat^eta (envelope)."""
    m, _, mh = cash_on_hand(a, e, h, env, rates, cum, thr, const[C_DED], int(const[C_MODE]))
    eta = const[C_ETA]
    dis = const[C_CHI] * (h * h if eta == 2.0 else (_pow(h, eta) if h > 0.0 else 0.0))
    if mh <= 0.0:
        return -dis
    c = interp_c(m, mend, cend)
    return marginal_u(c, const[C_THETA], const[C_FLOOR]) / (1.0 + const[C_TAUC]) * mh - dis


@njit(cache=True, inline="always")
def slope_root(lo, hi, glo, ghi, tol, a, e, env, rates, cum, thr, mend, cend, const):
    """Root of the hours slope in [lo, hi] (glo > 0 >= ghi) by the Illinois method (regula
    falsi that halves a retained end's value), to a bracket narrower than ``tol``."""
    side = 0
    for _ in range(100):
        if hi - lo <= tol:
            break
        x = hi - ghi * (hi - lo) / (ghi - glo) if ghi != glo else 0.5 * (lo + hi)
        if not (lo < x < hi):
            x = 0.5 * (lo + hi)
        # never let the bracket shrink by less than tol/4 on the moving side
        if x - lo < 0.25 * tol:
            x = lo + 0.25 * tol
        elif hi - x < 0.25 * tol:
            x = hi - 0.25 * tol
        gx = hours_slope(x, a, e, env, rates, cum, thr, mend, cend, const)
        if gx > 0.0:
            lo = x
            glo = gx
            if side == 1:
                ghi *= 0.5
            side = 1
        else:
            hi = x
            ghi = gx
            if side == -1:
                glo *= 0.5
            side = -1
    return 0.5 * (lo + hi)


@njit(cache=True)
def best_hours(a, e, env, rates, cum, thr, mend, cend, grid, s, wt, const):
    """Hours share maximising the value. The objective's slope is evaluated on ``C_NH``
    equally spaced shares; every local maximum it brackets (slope + then -, and the
    corners) is refined on the slope to ``C_TOLH``, and the candidates'
    values are compared - so non-concave objectives (the levy cap, non-monotone bracket
    rates) get their global maximum. Returns (hhat, value)."""
    nh = int(const[C_NH])
    tol = const[C_TOLH]
    best = -np.inf
    hb = 0.0
    step = 1.0 / (nh - 1.0)
    g_prev = hours_slope(0.0, a, e, env, rates, cum, thr, mend, cend, const)
    if g_prev <= 0.0:
        hb = 0.0
        best = hours_objective(0.0, a, e, env, rates, cum, thr, mend, cend, grid, s, wt, const)
    for k in range(1, nh):
        hk = k * step
        gk = hours_slope(hk, a, e, env, rates, cum, thr, mend, cend, const)
        if g_prev > 0.0 and gk <= 0.0:
            h = slope_root(hk - step, hk, g_prev, gk, tol, a, e, env, rates, cum, thr, mend, cend, const)
            f = hours_objective(h, a, e, env, rates, cum, thr, mend, cend, grid, s, wt, const)
            if f > best:
                best = f
                hb = h
        g_prev = gk
    if g_prev > 0.0:
        f = hours_objective(1.0, a, e, env, rates, cum, thr, mend, cend, grid, s, wt, const)
        if f > best:
            best = f
            hb = 1.0
    return hb, best


@njit(cache=True)
def expectations(Vn, Van, P, beta, kappa, W, Wa, Wt):
    """W = beta P V', W_a = beta P V'_a and the transformed W used for interpolation."""
    ne, na = Vn.shape
    for i in range(ne):
        for j in range(na):
            w = 0.0
            wa = 0.0
            for k in range(ne):
                q = P[i, k]
                if q != 0.0:
                    w += q * Vn[k, j]
                    wa += q * Van[k, j]
            W[i, j] = beta * w
            Wa[i, j] = beta * wa
            Wt[i, j] = math.exp(kappa * beta * w) if kappa > 0.0 else beta * w


@njit(cache=True)
def endogenous_grid(Wa, grid, const, mend, cend):
    """Consumption function c(m; e) by the endogenous-grid method; returns the number of
    non-monotone points (a non-concave continuation value), which are dropped."""
    ne, na = Wa.shape
    tauc1 = 1.0 + const[C_TAUC]
    theta = const[C_THETA]
    bad = 0
    for i in range(ne):
        mend[i, 0] = 0.0
        cend[i, 0] = 0.0
        last = 0.0
        k = 1
        for j in range(na):
            wa = Wa[i, j]
            if wa <= 0.0:
                bad += 1
                continue
            c = (tauc1 * wa) ** (-1.0 / theta)
            m = grid[j] + tauc1 * c
            if m <= last:
                bad += 1
                continue
            mend[i, k] = m
            cend[i, k] = c
            last = m
            k += 1
        # pad (kept increasing) so every row has the same length
        while k < na + 1:
            mend[i, k] = mend[i, k - 1] * (1.0 + 1e-12) + 1e-300
            cend[i, k] = cend[i, k - 1]
            k += 1
    return bad


@njit(cache=True)
def hours_concave(env, rates, const):
    """True if, in this year's environment, the hours objective's slope is non-increasing in hhat
    wherever the consumption function is non-decreasing and neither the levy nor the m >= 0 floor
    binds (checked per state in :func:`solve_period`): then it has a single local maximum.

    The slope is u'(c(m)) m_hhat / (1 + tau_c) - chi hhat^eta with m_hhat = w e H (1 - T'(y)),
    y = w e H hhat + r a. It is non-increasing when 1 - T' is non-negative and non-increasing in y:
    HSV with tau <= 1 and 0 <= xi <= 1 (and, for r < 0, where y < 0 untaxed would jump to a lower
    marginal rate, xi = 0 and tau >= 0); brackets with non-decreasing rates in [0, 1].
    """
    r = env[E_R]
    if not r > -1.0:
        return False
    if int(const[C_MODE]) == HSV:
        tau = env[E_TAU]
        xi = env[E_XI]
        if not (tau <= 1.0 and 0.0 <= xi <= 1.0):
            return False
        if r < 0.0 and (xi > 0.0 or tau < 0.0):
            return False
        return True
    if not const[C_DED] >= 0.0:
        return False
    prev = 0.0
    for k in range(rates.size):
        if not (prev <= rates[k] <= 1.0):
            return False
        prev = rates[k]
    return True


WARM_CELLS = 1024  # hours shares k / WARM_CELLS bracket the slope's root in :func:`warm_hours`


@njit(cache=True)
def warm_hours(h0, a, e, env, rates, cum, thr, mend, cend, const):
    """Hours share where the slope is non-increasing (a single local maximum, see
    :func:`hours_concave`). The root is bracketed by the cell [k, k + 1] / WARM_CELLS with
    slope(k / WARM_CELLS) > 0 >= slope((k + 1) / WARM_CELLS), searched from the guess ``h0``
    (next year's or the last iterate's policy; outward by doubling, then bisection over
    cells), and refined by the Illinois method to ``C_TOLH``. The cell is unique, so the result
    does not depend on the guess (a fixed point of the Bellman operator stays one); corners as in
    :func:`best_hours`: 0 if the slope at 0 is <= 0, 1 if the slope at 1 is > 0."""
    n = WARM_CELLS
    if not (h0 > 0.0):  # also a NaN guess
        h0 = 0.0
    k = int(h0 * n)
    if k > n - 1:
        k = n - 1
    g_lo = hours_slope(k / n, a, e, env, rates, cum, thr, mend, cend, const)
    if g_lo > 0.0:
        lo = k
        g_hi = hours_slope((k + 1) / n, a, e, env, rates, cum, thr, mend, cend, const)
        hi = k + 1
        step = 1
        while g_hi > 0.0:  # gallop up
            if hi == n:
                return 1.0
            lo = hi
            g_lo = g_hi
            step *= 2
            hi = lo + step if lo + step < n else n
            g_hi = hours_slope(hi / n, a, e, env, rates, cum, thr, mend, cend, const)
    else:
        if k == 0:
            return 0.0
        hi = k
        g_hi = g_lo
        lo = k - 1
        g_lo = hours_slope(lo / n, a, e, env, rates, cum, thr, mend, cend, const)
        step = 1
        while g_lo <= 0.0:  # gallop down
            if lo == 0:
                return 0.0
            hi = lo
            g_hi = g_lo
            step *= 2
            lo = hi - step if hi - step > 0 else 0
            g_lo = hours_slope(lo / n, a, e, env, rates, cum, thr, mend, cend, const)
    while hi - lo > 1:  # bisect over cells
        mid = (lo + hi) >> 1
        g = hours_slope(mid / n, a, e, env, rates, cum, thr, mend, cend, const)
        if g > 0.0:
            lo = mid
            g_lo = g
        else:
            hi = mid
            g_hi = g
    return slope_root(lo / n, hi / n, g_lo, g_hi, const[C_TOLH], a, e, env, rates, cum, thr, mend, cend, const)


@njit(cache=True)
def solve_period(
    Vn, Van, P, e_nodes, grid, s, env, rates, cum, thr, const, V, Va, pol_h, pol_c, pol_p, mend, cend, h_guess
):
    """One backward step: next year's (V', V'_a) -> this year's (V, V_a) and policies on the grid.

    Writes V, Va, pol_h (hours share), pol_c (consumption, y0 units), pol_p (saving share of
    cash on hand) of shape (n_e, n_a) and the consumption functions (mend, cend) of shape
    (n_e, n_a + 1). Returns the number of non-monotone endogenous points.

    Hours: where the objective provably has a single local maximum in hhat (the year's schedule
    passes :func:`hours_concave`, the state's consumption function is non-decreasing, and at
    hhat = 0 neither the levy nor the m >= 0 floor binds, so they bind nowhere), the root of its
    slope is found from the guess ``h_guess`` (same shape as pol_h; may be pol_h itself) by
    :func:`warm_hours`; elsewhere by the global scan of :func:`best_hours`.
    """
    ne, na = Vn.shape
    W = np.empty((ne, na))
    Wa = np.empty((ne, na))
    Wt = np.empty((ne, na))
    expectations(Vn, Van, P, const[C_BETA], const[C_KAPPA], W, Wa, Wt)
    bad = endogenous_grid(Wa, grid, const, mend, cend)
    ded = const[C_DED]
    mode = int(const[C_MODE])
    concave = hours_concave(env, rates, const)
    chi = const[C_CHI]
    eta = const[C_ETA]
    for i in range(ne):
        e = e_nodes[i]
        me = mend[i]
        ce = cend[i]
        wt = Wt[i]
        row_ok = concave
        if row_ok:
            for k in range(na):
                if ce[k + 1] < ce[k]:
                    row_ok = False
                    break
        for j in range(na):
            a = grid[j]
            warm = False
            if row_ok:
                _, _, mh0 = cash_on_hand(a, e, 0.0, env, rates, cum, thr, ded, mode)
                warm = mh0 > 0.0
            if warm:
                h = warm_hours(h_guess[i, j], a, e, env, rates, cum, thr, me, ce, const)
            else:
                h, _ = best_hours(a, e, env, rates, cum, thr, me, ce, grid, s, wt, const)
            m, _, _ = cash_on_hand(a, e, h, env, rates, cum, thr, ded, mode)
            v, c, ap = vtilde(m, me, ce, grid, s, wt, const)
            V[i, j] = v - disutility(h, chi, eta)
            Va[i, j] = marginal_value(a, e, h, c, env, rates, cum, thr, const)
            pol_h[i, j] = h
            pol_c[i, j] = c
            pol_p[i, j] = ap / m if m > 0.0 else 0.0
    return bad


@njit(cache=True)
def evaluate_policy(V, P, grid, s, pol_h, pol_c, pol_p, e_nodes, env, rates, cum, thr, const, iters, out):
    """Howard steps: iterate V <- u(c) - v(h) + W(a') with the policy held fixed.

    W = beta P V is interpolated at a' exactly as in :func:`vtilde` (transformed), so the
    fixed point is the same as the Bellman step's. Returns the last sup-norm change.
    """
    ne, na = V.shape
    kappa = const[C_KAPPA]
    ded = const[C_DED]
    mode = int(const[C_MODE])
    rew = np.empty((ne, na))
    idx = np.empty((ne, na), dtype=np.int64)
    wgt = np.empty((ne, na))
    for i in range(ne):
        for j in range(na):
            m, _, _ = cash_on_hand(grid[j], e_nodes[i], pol_h[i, j], env, rates, cum, thr, ded, mode)
            ap = m - (1.0 + const[C_TAUC]) * pol_c[i, j]
            if ap < 0.0:
                ap = 0.0
            if ap > grid[na - 1]:
                ap = grid[na - 1]
            rew[i, j] = utility_c(pol_c[i, j], const[C_THETA], const[C_FLOOR]) - disutility(
                pol_h[i, j], const[C_CHI], const[C_ETA]
            )
            k = grid_index(ap, grid, s)
            idx[i, j] = k
            wgt[i, j] = (ap - grid[k]) / (grid[k + 1] - grid[k])
    W = np.empty((ne, na))
    Wa = np.empty((ne, na))
    Wt = np.empty((ne, na))
    Va0 = np.zeros((ne, na))
    change = 0.0
    for _ in range(iters):
        expectations(V, Va0, P, const[C_BETA], kappa, W, Wa, Wt)
        change = 0.0
        for i in range(ne):
            for j in range(na):
                k = idx[i, j]
                t = wgt[i, j]
                v = Wt[i, k] + t * (Wt[i, k + 1] - Wt[i, k])
                if kappa > 0.0:
                    v = math.log(v if v > 1e-300 else 1e-300) / kappa
                new = rew[i, j] + v
                d = abs(new - V[i, j])
                if d > change:
                    change = d
                out[i, j] = new
        for i in range(ne):
            for j in range(na):
                V[i, j] = out[i, j]
    return change


@njit(cache=True)
def backward(
    VT, VaT, P, e_nodes, grid, s, envs, rates, cums, thr, const, V, Va, pol_h, pol_c, pol_p, mend, cend
):
    """Backward induction over the path's years t = T-1 .. 0 from the terminal (VT, VaT).

    V, Va: (T+1, n_e, n_a) (V[T] = VT); policies (T, n_e, n_a) or (T+1, n_e, n_a), then with the
    terminal hours in pol_h[T]; (mend, cend): (T, n_e, n_a+1). Each year's hours search starts from
    next year's hours (:func:`solve_period`). Returns the total number of non-monotone endogenous points.
    """
    T = envs.shape[0]
    V[T] = VT
    Va[T] = VaT
    bad = 0
    no_guess = np.full(VT.shape, np.nan)
    for t in range(T - 1, -1, -1):
        guess = pol_h[t + 1] if t + 1 < pol_h.shape[0] else no_guess
        bad += solve_period(
            V[t + 1], Va[t + 1], P, e_nodes, grid, s, envs[t], rates[t], cums[t], thr, const,
            V[t], Va[t], pol_h[t], pol_c[t], pol_p[t], mend[t], cend[t], guess,
        )  # fmt: skip
    return bad


@njit(cache=True)
def stationary(
    V, Va, P, e_nodes, grid, s, env, rates, cum, thr, const, pol_h, pol_c, pol_p, mend, cend,
    tol, tol_policy, max_iter, howard,
):  # fmt: skip
    """Infinite-horizon solution with a constant environment: time iteration on the
    Bellman/Euler operator (warm-started from V, Va) with ``howard`` policy-evaluation
    steps after each, until the policies change by less than ``tol_policy`` (hours share and
    consumption relative to 1 + consumption) and the value by less than ``tol`` between two
    consecutive plain iterations. Returns (iterations, last policy change, last value change).

    Extrapolation: time iteration converges geometrically, at a rate close to beta (the
    consumption function's horizon effect at high wealth; the Howard steps take care of the
    value's). Once three successive least-squares estimates of that rate from the changes of
    V_a (relative) agree to within 0.002, V_a is moved to the limit of the geometric sequence,
    V_a + lambda / (1 - lambda) dV_a. The stopping rule is unchanged: it compares two plain
    iterations, never an extrapolated one.
    """
    ne, na = V.shape
    Vn = np.empty((ne, na))
    Van = np.empty((ne, na))
    out = np.empty((ne, na))
    dprev = np.zeros((ne, na))
    h_old = pol_h.copy()
    c_old = pol_c.copy()
    dp = np.inf
    dv = np.inf
    it = 0
    last_jump = -10
    n_rate = 0
    rate1 = 0.0
    rate2 = 0.0
    while it < max_iter:
        it += 1
        Vn[:, :] = V
        Van[:, :] = Va
        solve_period(
            Vn, Van, P, e_nodes, grid, s, env, rates, cum, thr, const, V, Va, pol_h, pol_c, pol_p, mend, cend, pol_h
        )
        dp = 0.0
        for i in range(ne):
            for j in range(na):
                d = abs(pol_h[i, j] - h_old[i, j])
                dc = abs(pol_c[i, j] - c_old[i, j]) / (1.0 + abs(pol_c[i, j]))
                if dc > d:
                    d = dc
                if d > dp:
                    dp = d
                h_old[i, j] = pol_h[i, j]
                c_old[i, j] = pol_c[i, j]
        dv = 0.0
        for i in range(ne):
            for j in range(na):
                d = abs(V[i, j] - Vn[i, j])
                if d > dv:
                    dv = d
        if howard > 0 and it > 1:
            dh = evaluate_policy(V, P, grid, s, pol_h, pol_c, pol_p, e_nodes, env, rates, cum, thr, const, howard, out)
            if dh > dv:
                dv = dh
        if dp < tol_policy and dv < tol and it - last_jump >= 2:
            break
        # the geometric rate of V_a's relative changes: <d_n, d_n-1> / <d_n-1, d_n-1>
        num = 0.0
        den = 0.0
        for i in range(ne):
            for j in range(na):
                d = (Va[i, j] - Van[i, j]) / Va[i, j] if Va[i, j] > 0.0 else 0.0
                num += d * dprev[i, j]
                den += dprev[i, j] * dprev[i, j]
                dprev[i, j] = d
        if it - last_jump < 2 or den <= 0.0:
            n_rate = 0
            continue
        rate = num / den
        if not (0.5 < rate < 0.995):
            n_rate = 0
            continue
        n_rate += 1
        if n_rate >= 3 and it - last_jump >= 4 and max(rate, rate1, rate2) - min(rate, rate1, rate2) < 0.002:
            f = rate / (1.0 - rate)
            for i in range(ne):
                for j in range(na):
                    x = Va[i, j] + f * (Va[i, j] - Van[i, j])
                    lo = 0.1 * Va[i, j]
                    Va[i, j] = x if x > lo else lo
            last_jump = it
            n_rate = 0
        rate2 = rate1
        rate1 = rate
    return it, dp, dv


@njit(cache=True)
def state_flows(grid, s, e_nodes, env, rates, cum, thr, const, pol_h, pol_c, idx, wgt, flows):
    """Per grid state: next wealth's grid cell (idx, wgt) and the year's flows.

    flows[:, :, k] for k = 0 a', 1 pre-tax income y, 2 income tax, 3 wealth tax, 4 net transfer,
    5 consumption, 6 effective labour e*hhat (times H for hours), 7 period utility.
    """
    ne, na = pol_h.shape
    tauc1 = 1.0 + const[C_TAUC]
    ded = const[C_DED]
    mode = int(const[C_MODE])
    r = env[E_R]
    for i in range(ne):
        e = e_nodes[i]
        for j in range(na):
            a = grid[j]
            h = pol_h[i, j]
            c = pol_c[i, j]
            y = env[E_WH] * e * h + r * a
            T, _ = income_tax(y, mode, env[E_TAU], env[E_XI], env[E_YREF], rates, cum, thr, ded)
            Tw, _ = wealth_tax(a, env[E_TAUA], env[E_XIA], env[E_AREF], env[E_CAP], env[E_TAXED])
            m0 = a + y - T - Tw
            if m0 < 0.0:
                m0 = 0.0
            tr = env[E_TR]
            tri = tr if tr >= 0.0 else -min(-tr, m0)
            m = m0 + tri
            ap = m - tauc1 * c
            if ap < 0.0:
                ap = 0.0
            if ap > grid[na - 1]:
                ap = grid[na - 1]
            k = grid_index(ap, grid, s)
            idx[i, j] = k
            wgt[i, j] = min(max((ap - grid[k]) / (grid[k + 1] - grid[k]), 0.0), 1.0)
            flows[i, j, 0] = ap
            flows[i, j, 1] = y
            flows[i, j, 2] = T
            flows[i, j, 3] = Tw
            flows[i, j, 4] = tri
            flows[i, j, 5] = (m - ap) / tauc1
            flows[i, j, 6] = e * h
            flows[i, j, 7] = utility_c(flows[i, j, 5], const[C_THETA], const[C_FLOOR]) - disutility(
                h, const[C_CHI], const[C_ETA]
            )


@njit(cache=True)
def stationary_distribution(mu, P, idx, wgt, tol, max_iter):
    """Iterate the distribution over (ability node, wealth grid) forward (Young 2010: next wealth split
    between the two grid points around it) until the sup-norm change is below ``tol``. In place;
    returns (iterations, last change)."""
    ne, na = mu.shape
    out = np.empty((ne, na))
    change = np.inf
    it = 0
    while it < max_iter:
        it += 1
        out[:, :] = 0.0
        for i in range(ne):
            for j in range(na):
                m = mu[i, j]
                if m == 0.0:
                    continue
                k = idx[i, j]
                t = wgt[i, j]
                lo = m * (1.0 - t)
                hi = m * t
                for q in range(ne):
                    pq = P[i, q]
                    if pq != 0.0:
                        out[q, k] += pq * lo
                        out[q, k + 1] += pq * hi
        change = 0.0
        for i in range(ne):
            for j in range(na):
                d = abs(out[i, j] - mu[i, j])
                if d > change:
                    change = d
                mu[i, j] = out[i, j]
        if change < tol:
            break
    return it, change
