"""Distribution statistics shared by the economies, as numba kernels on arrays.

* :func:`gini` - the Gini coefficient (sort-based, exact).
* :func:`kth_smallest` - exact order statistic in O(n) expected time
  (Floyd-Rivest style: bracket the answer with a strided sample, count, then
  partition only the bracket), used where a full sort would dominate a step.
* :func:`rank_group_means` - means of several variables over the top and bottom
  rank groups of a key (e.g. mean wealth and ability of the top 10 % by income),
  with ties at the cut broken by index order so group sizes are exact.
* :func:`tail_statistics` - population share, mean and welfare-weight share at
  or above each of a few thresholds (the data a Saez-type planner needs).
* :func:`norm_ppf` - the inverse standard-normal CDF, for quantile sampling.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

SMALL_SELECT = 2048  # up to this size order statistics use radix select, above it sampled brackets


@njit(cache=True)
def gini_sorted(xs: np.ndarray) -> float:
    """Gini of an ascending array of non-negative values: sum_i (2i - n - 1) x_(i) / (n sum x)."""
    n = xs.size
    total = 0.0
    acc = 0.0
    for i in range(n):
        v = xs[i]
        total += v
        acc += (2.0 * (i + 1) - n - 1.0) * v
    if n == 0 or total <= 0.0:
        return 0.0
    return acc / (n * total)


def gini(x: np.ndarray) -> float:
    """Gini coefficient of ``x``; negative entries count as zero; 0 for an all-zero array."""
    x = np.asarray(x, dtype=np.float64)
    return float(gini_sorted(np.sort(np.maximum(x, 0.0))))


@njit(cache=True)
def _partition_select(buf: np.ndarray, k: int) -> float:
    """k-th smallest (0-based) of ``buf`` by in-place quickselect (median-of-three pivots)."""
    lo = 0
    hi = buf.size - 1
    while hi > lo:
        mid = (lo + hi) // 2
        a = buf[lo]
        b = buf[mid]
        c = buf[hi]
        if a < b:
            pivot = b if b < c else (c if a < c else a)
        else:
            pivot = a if a < c else (c if b < c else b)
        i = lo
        j = hi
        while i <= j:
            while buf[i] < pivot:
                i += 1
            while buf[j] > pivot:
                j -= 1
            if i <= j:
                t = buf[i]
                buf[i] = buf[j]
                buf[j] = t
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            return buf[k]
    return buf[k]


@njit(cache=True, inline="always")
def _sortable(v: np.uint64) -> np.uint64:
    """The IEEE-754 bit pattern of a double, remapped so unsigned order equals numeric order."""
    if v >> np.uint64(63):
        return ~v
    return v | np.uint64(0x8000000000000000)


@njit(cache=True, error_model="numpy")
def _radix_two(x: np.ndarray, k1: int, k2: int):
    """k1-th and k2-th smallest (0-based) by radix select on the sortable bit patterns.

    Two histogram passes (the top 12 bits - sign and exponent - scanned only over the
    occupied range, then the next 10 bits) narrow each rank to the values sharing its top
    22 bits; a third pass gathers those (usually a handful) for an exact quick-select.
    Values must not be NaN.
    """
    x = np.ascontiguousarray(x)
    n = x.size
    bits = x.view(np.uint64)
    ks = (k1, k2)
    out = np.empty(2)
    # pass 1: top 12 bits
    h = np.zeros(4096, dtype=np.int64)
    lo = 4095
    hi = 0
    for i in range(n):
        b = np.int64(_sortable(bits[i]) >> np.uint64(52))
        h[b] += 1
        lo = b if b < lo else lo
        hi = b if b > hi else hi
    b1 = np.empty(2, dtype=np.int64)
    r1 = np.empty(2, dtype=np.int64)
    for q in range(2):
        acc = 0
        for b in range(lo, hi + 1):
            if acc + h[b] > ks[q]:
                b1[q] = b
                r1[q] = ks[q] - acc
                break
            acc += h[b]
    # pass 2: next 10 bits, within each target's top-12 bucket
    h2 = np.zeros((2, 1024), dtype=np.int64)
    for i in range(n):
        key = _sortable(bits[i])
        top = np.int64(key >> np.uint64(52))
        mid = np.int64((key >> np.uint64(42)) & np.uint64(0x3FF))
        if top == b1[0]:
            h2[0, mid] += 1
        if top == b1[1]:
            h2[1, mid] += 1
    b2 = np.empty(2, dtype=np.int64)
    r2 = np.empty(2, dtype=np.int64)
    for q in range(2):
        acc = 0
        for b in range(1024):
            if acc + h2[q, b] > r1[q]:
                b2[q] = b
                r2[q] = r1[q] - acc
                break
            acc += h2[q, b]
    # pass 3: gather the values that share the target's top 22 bits, then select exactly
    prefix = np.empty(2, dtype=np.uint64)
    cnt = np.zeros(2, dtype=np.int64)
    for q in range(2):
        prefix[q] = (np.uint64(b1[q]) << np.uint64(10)) | np.uint64(b2[q])
        cnt[q] = h2[q, b2[q]]
    buf0 = np.empty(cnt[0])
    buf1 = np.empty(cnt[1])
    j0 = 0
    j1 = 0
    for i in range(n):
        p22 = _sortable(bits[i]) >> np.uint64(42)
        if p22 == prefix[0]:
            buf0[j0] = x[i]
            j0 += 1
        if p22 == prefix[1]:
            buf1[j1] = x[i]
            j1 += 1
    out[0] = _partition_select(buf0, r2[0])
    out[1] = _partition_select(buf1, r2[1])
    return out[0], out[1]


@njit(cache=True)
def kth_smallest(x: np.ndarray, k: int) -> float:
    """Exact k-th smallest value (0-based) of ``x`` without sorting it (see :func:`two_order_statistics`)."""
    return two_order_statistics(x, k, k)[0]


@njit(cache=True, error_model="numpy")
def two_order_statistics(x: np.ndarray, k1: int, k2: int):
    """Exact k1-th and k2-th smallest values (0-based) of ``x`` in about one pass.

    A strided sample of about n^(2/3) values brackets each answer; one pass over
    ``x`` counts the values below each bracket and copies those inside it; each
    bracket is then quick-selected. If a bracket misses (rare), that statistic
    is selected from a full copy.
    """
    n = x.size
    if n <= 64:
        buf = x.copy()
        v1 = _partition_select(buf, k1)
        v2 = _partition_select(buf, k2)
        return v1, v2
    if n <= SMALL_SELECT:
        return _radix_two(x, k1, k2)
    m = int(n ** (2.0 / 3.0))
    stride = n // m
    sample = np.empty(m)
    for s in range(m):
        sample[s] = x[s * stride]
    gap = 2.0 * np.sqrt(m) + 2.0
    ks = (k1, k2)
    lo = np.empty(2)
    hi = np.empty(2)
    for q in range(2):
        pos = (ks[q] + 0.5) * m / n
        ilo = int(pos - gap)
        ihi = int(pos + gap)
        lo[q] = -np.inf if ilo < 0 else _partition_select(sample, ilo)
        hi[q] = np.inf if ihi >= m else _partition_select(sample, ihi)
    buf1 = np.empty(n)
    buf2 = np.empty(n)
    lo1, hi1, lo2, hi2 = lo[0], hi[0], lo[1], hi[1]
    below1 = 0
    below2 = 0
    in1 = 0
    in2 = 0
    for i in range(n):
        v = x[i]
        below1 += v < lo1
        below2 += v < lo2
        if lo1 <= v <= hi1:
            buf1[in1] = v
            in1 += 1
        if lo2 <= v <= hi2:
            buf2[in2] = v
            in2 += 1
    below = (below1, below2)
    inside = (in1, in2)
    out = np.empty(2)
    for q in range(2):
        k = ks[q]
        buf = buf1 if q == 0 else buf2
        if below[q] <= k < below[q] + inside[q]:
            out[q] = _partition_select(buf[: inside[q]], k - below[q])
        else:
            out[q] = _partition_select(x.copy(), k)
    return out[0], out[1]


@njit(cache=True, fastmath={"reassoc", "contract", "nsz"}, error_model="numpy")
def _cut_sums(key: np.ndarray, row: np.ndarray, t_top: float, t_bot: float):
    """Branch-free sums of ``row`` over key > t_top, key == t_top, key < t_bot, key == t_bot."""
    s_gt = 0.0
    s_et = 0.0
    s_lt = 0.0
    s_eb = 0.0
    for i in range(key.size):
        k = key[i]
        v = row[i]
        s_gt += v if k > t_top else 0.0
        s_et += v if k == t_top else 0.0
        s_lt += v if k < t_bot else 0.0
        s_eb += v if k == t_bot else 0.0
    return s_gt, s_et, s_lt, s_eb


@njit(cache=True)
def _first_ties(key: np.ndarray, row: np.ndarray, t: float, count: int) -> float:
    """Sum of ``row`` over the first ``count`` indices whose key equals ``t``."""
    s = 0.0
    for i in range(key.size):
        if count <= 0:
            break
        if key[i] == t:
            s += row[i]
            count -= 1
    return s


@njit(cache=True, error_model="numpy")
def rank_group_means(key: np.ndarray, values: np.ndarray, n_top: int, n_bottom: int):
    """Means of each row of ``values`` over the ``n_top`` largest and ``n_bottom`` smallest ``key``.

    ``values`` has shape (m, n); returns ``(top_means (m,), bottom_means (m,))``.
    Ties at either cut are taken in index order, so each group has exactly the
    requested size.
    """
    n = key.size
    m = values.shape[0]
    t_bot, t_top = two_order_statistics(key, n_bottom - 1, n - n_top)
    ones = np.ones(n)
    c_gt, c_et, c_lt, c_eb = _cut_sums(key, ones, t_top, t_bot)
    need_top = n_top - int(c_gt + 0.5)  # how many keys equal to t_top belong to the top group
    need_bot = n_bottom - int(c_lt + 0.5)
    top = np.empty(m)
    bottom = np.empty(m)
    for r in range(m):
        s_gt, s_et, s_lt, s_eb = _cut_sums(key, values[r], t_top, t_bot)
        top_ties = s_et if need_top == int(c_et + 0.5) else _first_ties(key, values[r], t_top, need_top)
        bot_ties = s_eb if need_bot == int(c_eb + 0.5) else _first_ties(key, values[r], t_bot, need_bot)
        top[r] = (s_gt + top_ties) / n_top
        bottom[r] = (s_lt + bot_ties) / n_bottom
    return top, bottom


@njit(cache=True)
def tail_statistics(x: np.ndarray, thresholds: np.ndarray, weight_floor: float):
    """Statistics of the upper tail of ``x`` at each threshold (ascending).

    For each threshold z_k returns
      share_k  = P(x >= z_k),
      mean_k   = E[x | x >= z_k]  (z_k when nobody is above),
      weight_k = share of total inverse-x welfare weight held by x >= z_k,
                 with weights 1/max(x, weight_floor).
    """
    n = x.size
    K = thresholds.size
    count = np.zeros(K)
    total = np.zeros(K)
    wsum = np.zeros(K)
    wall = 0.0
    for i in range(n):
        v = x[i]
        w = 1.0 / max(v, weight_floor)
        wall += w
        # thresholds are few and ascending: find the highest one v reaches
        j = -1
        for k in range(K):
            if v >= thresholds[k]:
                j = k
            else:
                break
        if j >= 0:
            count[j] += 1.0
            total[j] += v
            wsum[j] += w
    # suffix sums: "at or above z_k" includes everyone counted at higher thresholds
    for k in range(K - 2, -1, -1):
        count[k] += count[k + 1]
        total[k] += total[k + 1]
        wsum[k] += wsum[k + 1]
    share = np.empty(K)
    mean = np.empty(K)
    weight = np.empty(K)
    for k in range(K):
        share[k] = count[k] / n
        mean[k] = total[k] / count[k] if count[k] > 0 else thresholds[k]
        weight[k] = wsum[k] / wall if wall > 0 else 0.0
    return share, mean, weight


@njit(cache=True)
def norm_ppf(u: float) -> float:
    """Inverse standard-normal CDF (Acklam's rational approximation + one Halley step; ~1e-15)."""
    if u <= 0.0:
        return -np.inf
    if u >= 1.0:
        return np.inf
    a1, a2, a3 = -3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02
    a4, a5, a6 = 1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00
    b1, b2, b3 = -5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02
    b4, b5 = 6.680131188771972e01, -1.328068155288572e01
    c1, c2, c3 = -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00
    c4, c5, c6 = -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00
    d1, d2, d3, d4 = 7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00
    lo = 0.02425
    if u < lo:
        q = np.sqrt(-2.0 * np.log(u))
        x = (((((c1 * q + c2) * q + c3) * q + c4) * q + c5) * q + c6) / ((((d1 * q + d2) * q + d3) * q + d4) * q + 1.0)
    elif u <= 1.0 - lo:
        q = u - 0.5
        r = q * q
        x = (
            (((((a1 * r + a2) * r + a3) * r + a4) * r + a5) * r + a6)
            * q
            / (((((b1 * r + b2) * r + b3) * r + b4) * r + b5) * r + 1.0)
        )
    else:
        q = np.sqrt(-2.0 * np.log(1.0 - u))
        x = -(((((c1 * q + c2) * q + c3) * q + c4) * q + c5) * q + c6) / ((((d1 * q + d2) * q + d3) * q + d4) * q + 1.0)
    # one Halley refinement step
    e = 0.5 * math.erfc(-x / np.sqrt(2.0)) - u
    g = e * np.sqrt(2.0 * np.pi) * np.exp(0.5 * x * x)
    return x - g / (1.0 + 0.5 * x * g)


@njit(cache=True)
def stratified_normal(order: np.ndarray, jitter: np.ndarray) -> np.ndarray:
    """Standard-normal draws stratified on quantiles: z_i = Phi^-1((order_i + jitter_i) / n).

    ``order`` is a permutation of 0..n-1 and ``jitter`` uniform on [0, 1): each of
    the n equal-probability strata gets exactly one draw, in random order. This
    keeps heavy tails represented in small samples.
    """
    n = order.size
    out = np.empty(n)
    for i in range(n):
        u = (order[i] + jitter[i]) / n
        if u <= 0.0:
            u = 0.5 / n
        out[i] = norm_ppf(u)
    return out
