"""Distribution statistics shared by the economies, as numba kernels on arrays.

* :func:`gini` - the Gini coefficient (sort-based, exact).
* :func:`two_order_statistics` / :func:`kth_smallest` - exact order statistics in
  O(n) by radix selection on the bit patterns, used where a full sort would
  dominate a step.
* :func:`rank_group_sums` / :func:`rank_group_means` - sums or means of several
  variables over the top and bottom rank groups of a key (e.g. mean wealth and
  ability of the top 10 % by income), with ties at the cut broken by index order
  so group sizes are exact.
* :func:`tail_statistics` - population share, mean and welfare-weight share at
  or above each of a few thresholds (the data a Saez-type planner needs).
* :func:`norm_ppf` - the inverse standard-normal CDF, for quantile sampling.

Why radix selection: the comparisons of a quick-select depend on the data, and a
branchy partition mispredicts about half of them. A benchmark that repeats one
call on one array hides that (the predictor learns the pattern); a simulation,
where the data change every step, pays it - it had made the tax economy's group
statistics take half of its step at 1,000 households. Radix passes have no
data-dependent branches.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


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


RADIX_BITS = 11  # a radix pass histograms at most this many bits: 2**RADIX_BITS buckets
RADIX_SMALL = 32  # sets this small are finished by sorting


@njit(cache=True, inline="always")
def _sortable(b: np.uint64) -> np.uint64:
    """The bits of a double remapped so that unsigned order is numeric order (branch-free)."""
    return b ^ (np.uint64(np.int64(b) >> np.int64(63)) | np.uint64(0x8000000000000000))


@njit(cache=True, error_model="numpy")
def _radix_split(x: np.ndarray, k1: int, k2: int):
    """One radix pass for ranks k1 and k2 of the contiguous array ``x``.

    Three branch-free passes: the range of the keys' sortable bit patterns, a histogram of
    about log2(n) - 1 bits (at most :data:`RADIX_BITS`) from the highest one in which the
    keys differ, then the keys of the bucket that holds each rank. Returns ``(g1, r1, g2, r2)``: those keys and
    each rank within them. The window includes a bit in which the keys differ, so each
    bucket is smaller than ``x`` unless all keys are equal (then ``x[:1]`` and rank 0).
    """
    n = x.size
    bits = x.view(np.uint64)
    lo = np.uint64(0xFFFFFFFFFFFFFFFF)
    hi = np.uint64(0)
    for i in range(n):
        u = _sortable(bits[i])
        lo = u if u < lo else lo
        hi = u if u > hi else hi
    diff = lo ^ hi
    if diff == np.uint64(0):
        return x[:1], 0, x[:1], 0
    top = 0
    while top < 63 and (diff >> np.uint64(top + 1)) != np.uint64(0):
        top += 1
    width = 4  # about n / 2 buckets (so ~2 keys each), from 16 to 2**RADIX_BITS
    while width < RADIX_BITS and (2 << width) <= n:
        width += 1
    shift = np.uint64(max(top + 1 - width, 0))
    mask = np.uint64((1 << width) - 1)
    hist = np.zeros(1 << width, dtype=np.int64)
    for i in range(n):
        hist[np.int64((_sortable(bits[i]) >> shift) & mask)] += 1
    # the buckets holding ranks k1 and k2, in one scan of the occupied ones
    first = np.int64((lo >> shift) & mask)
    last = np.int64((hi >> shift) & mask)
    b1 = -1
    b2 = -1
    r1 = 0
    r2 = 0
    acc = 0
    for b in range(first, last + 1):
        nxt = acc + hist[b]
        if b1 < 0 and nxt > k1:
            b1 = b
            r1 = k1 - acc
        if b2 < 0 and nxt > k2:
            b2 = b
            r2 = k2 - acc
        if b1 >= 0 and b2 >= 0:
            break
        acc = nxt
    c1 = hist[b1]
    c2 = hist[b2]
    g1 = np.empty(c1 + 1)  # a spare slot: every key is written, only members advance the cursor
    g2 = np.empty(c2 + 1)
    n1 = 0
    n2 = 0
    u1 = np.uint64(b1)
    u2 = np.uint64(b2)
    for i in range(n):
        v = x[i]
        b = (_sortable(bits[i]) >> shift) & mask
        g1[n1] = v
        n1 += b == u1
        g2[n2] = v
        n2 += b == u2
    return g1[:c1], r1, g2[:c2], r2


@njit(cache=True, error_model="numpy")
def _radix_select(x: np.ndarray, k: int) -> float:
    """k-th smallest of the contiguous array ``x``: radix passes until a handful remain, then a sort."""
    while x.size > RADIX_SMALL:
        x, k, _, _ = _radix_split(x, k, k)
    return np.sort(x)[k]


@njit(cache=True, error_model="numpy")
def two_order_statistics(x: np.ndarray, k1: int, k2: int):
    """Exact k1-th and k2-th smallest values (0-based) of ``x`` (which must not contain NaN).

    Radix selection on the bit patterns (:func:`_radix_split`): one shared pass for both
    ranks, then usually a sort of a few keys. Its passes have no data-dependent branches,
    so the cost does not depend on the data or its order.
    """
    x = np.ascontiguousarray(x)
    if x.size <= RADIX_SMALL:
        s = np.sort(x)
        return s[k1], s[k2]
    g1, r1, g2, r2 = _radix_split(x, k1, k2)
    return _radix_select(g1, r1), _radix_select(g2, r2)


@njit(cache=True)
def kth_smallest(x: np.ndarray, k: int) -> float:
    """Exact k-th smallest value (0-based) of ``x`` without sorting it (see :func:`two_order_statistics`)."""
    return two_order_statistics(x, k, k)[0]


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


@njit(cache=True, fastmath={"reassoc", "contract", "nsz"}, error_model="numpy")
def _cut_stats(key: np.ndarray, row: np.ndarray, t_top: float, t_bot: float):
    """Branch-free counts of key > t_top, key == t_top, key < t_bot, key == t_bot, the sums of
    ``row`` over each, and the count of non-finite keys."""
    c_gt = 0
    c_et = 0
    c_lt = 0
    c_eb = 0
    s_gt = 0.0
    s_et = 0.0
    s_lt = 0.0
    s_eb = 0.0
    bad = 0
    for i in range(key.size):
        v = key[i]
        x = row[i]
        bad += not (abs(v) < np.inf)
        gt = v > t_top
        et = v == t_top
        lt = v < t_bot
        eb = v == t_bot
        c_gt += gt
        c_et += et
        c_lt += lt
        c_eb += eb
        s_gt += x if gt else 0.0
        s_et += x if et else 0.0
        s_lt += x if lt else 0.0
        s_eb += x if eb else 0.0
    return c_gt, c_et, c_lt, c_eb, s_gt, s_et, s_lt, s_eb, bad


@njit(cache=True, error_model="numpy")
def rank_group_sums(key: np.ndarray, rows: np.ndarray, with_key: bool, n_top: int, n_bottom: int):
    """Sums over the ``n_top`` largest and the ``n_bottom`` smallest ``key``, ties at a cut in index order.

    Returns ``(top, bottom)``: the group sums of ``key`` itself (first, if ``with_key``) and
    of each row of ``rows`` (shape (m, n); (0, n) for none). NaN sums if a key is not finite.
    The two cuts come from one radix selection (:func:`two_order_statistics`); one
    branch-free pass then counts and sums the key, one more per row sums it. Only when
    more keys equal a cut than its group can take is there another pass, in index order.
    """
    n = key.size
    m = rows.shape[0]
    off = 1 if with_key else 0
    top = np.zeros(m + off)
    bot = np.zeros(m + off)
    if n == 0 or n_top <= 0 or n_bottom <= 0:
        return top, bot
    t_bot, t_top = two_order_statistics(key, n_bottom - 1, n - n_top)
    c_gt, c_et, c_lt, c_eb, s_gt, s_et, s_lt, s_eb, bad = _cut_stats(key, key, t_top, t_bot)
    if bad > 0:
        top[:] = np.nan
        bot[:] = np.nan
        return top, bot
    need_t = n_top - c_gt  # how many keys equal to t_top belong to the top group (the first in index order)
    need_b = n_bottom - c_lt
    if with_key:
        top[0] = s_gt + (s_et if need_t == c_et else _first_ties(key, key, t_top, need_t))
        bot[0] = s_lt + (s_eb if need_b == c_eb else _first_ties(key, key, t_bot, need_b))
    for r in range(m):
        _, _, _, _, s_gt, s_et, s_lt, s_eb, _ = _cut_stats(key, rows[r], t_top, t_bot)
        top[off + r] = s_gt + (s_et if need_t == c_et else _first_ties(key, rows[r], t_top, need_t))
        bot[off + r] = s_lt + (s_eb if need_b == c_eb else _first_ties(key, rows[r], t_bot, need_b))
    return top, bot


@njit(cache=True, error_model="numpy")
def rank_group_means(key: np.ndarray, values: np.ndarray, n_top: int, n_bottom: int):
    """Means of each row of ``values`` over the ``n_top`` largest and ``n_bottom`` smallest ``key``.

    ``values`` has shape (m, n); returns ``(top_means (m,), bottom_means (m,))``.
    Ties at either cut are taken in index order, so each group has exactly the
    requested size (see :func:`rank_group_sums`).
    """
    top, bottom = rank_group_sums(key, values, False, n_top, n_bottom)
    return top / n_top, bottom / n_bottom


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
    return tail_from_bins(count, total, wsum, wall, thresholds, n)


@njit(cache=True)
def tail_from_bins(count: np.ndarray, total: np.ndarray, wsum: np.ndarray, wall: float, thresholds: np.ndarray, n: int):
    """:func:`tail_statistics` from per-bracket bins (count, total and welfare weight of the
    values whose highest threshold reached is z_k; ``wall`` the total weight of all ``n``).
    The bins are turned into suffix sums in place."""
    K = thresholds.size
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
