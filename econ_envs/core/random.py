"""Fast, reproducible normal shocks from a numpy ``Generator``.

Every economy draws its randomness from one ``numpy.random.Generator``. For
large populations, ``Generator.standard_normal`` costs ~20 ns per draw on small
cloud VMs, which dominates a step. :func:`standard_normal` instead takes raw
64-bit words from the generator's bit generator (``random_raw``) and turns them
into exact N(0, 1) draws with the ziggurat method of Marsaglia & Tsang (2000,
J. Stat. Software 5(8)) in a numba kernel: 256 layers, one word per draw in
>99 % of cases. The stream consumed depends only on the number of draws, so
the same seed always gives the same numbers.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_R = 3.6541528853610088  # start of the tail, 256-layer ziggurat
_V = 4.92867323399e-3  # area of each layer
_MANT = float(2**52)


def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    k = np.zeros(256, dtype=np.uint64)
    w = np.zeros(256)
    f = np.zeros(256)
    dn = _R
    tn = dn
    q = _V / math.exp(-0.5 * dn * dn)
    k[0] = np.uint64(int((dn / q) * _MANT))
    k[1] = np.uint64(0)
    w[0] = q / _MANT
    w[255] = dn / _MANT
    f[0] = 1.0
    f[255] = math.exp(-0.5 * dn * dn)
    for i in range(254, 0, -1):
        dn = math.sqrt(-2.0 * math.log(_V / dn + math.exp(-0.5 * dn * dn)))
        k[i + 1] = np.uint64(int((dn / tn) * _MANT))
        tn = dn
        f[i] = math.exp(-0.5 * dn * dn)
        w[i] = dn / _MANT
    return k, w, f


ZIG_K, ZIG_W, ZIG_F = _tables()  # module constants: numba freezes them into compiled code


@njit(cache=True)
def _ziggurat_slow(r: np.uint64, raw: np.ndarray, j: int, k: np.ndarray, w: np.ndarray, f: np.ndarray):
    """Finish one draw whose first word ``r`` missed the fast path; returns (value, next j) or j = -1."""
    m = raw.size
    inv_r = 1.0 / _R
    scale = 1.0 / 9007199254740992.0  # 2^-53
    while True:
        idx = np.int64(r & np.uint64(0xFF))
        neg = ((r >> np.uint64(8)) & np.uint64(1)) != np.uint64(0)
        rabs = (r >> np.uint64(9)) & np.uint64(0x000FFFFFFFFFFFFF)
        x = np.float64(np.int64(rabs)) * w[idx]
        if neg:
            x = -x
        if rabs < k[idx]:
            return x, j
        if idx == 0:
            # tail beyond R (Marsaglia 1964)
            while True:
                if j + 1 >= m:
                    return 0.0, -1
                u1 = np.float64(np.int64(raw[j] >> np.uint64(11))) * scale
                u2 = np.float64(np.int64(raw[j + 1] >> np.uint64(11))) * scale
                j += 2
                xx = -inv_r * math.log1p(-u1)
                yy = -math.log1p(-u2)
                if yy + yy > xx * xx:
                    return (-(_R + xx) if neg else (_R + xx)), j
        if j >= m:
            return 0.0, -1
        u = np.float64(np.int64(raw[j] >> np.uint64(11))) * scale
        j += 1
        if (f[idx - 1] - f[idx]) * u + f[idx] < math.exp(-0.5 * x * x):
            return x, j
        if j >= m:
            return 0.0, -1
        r = raw[j]
        j += 1


@njit(cache=True)
def uniform_from_word(word: np.uint64) -> float:
    """A double in [0, 1) from the top 53 bits of a 64-bit word."""
    return np.float64(np.int64(word >> np.uint64(11))) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def binomial_inversion(m: int, p: float, u: float) -> int:
    """Exact Binomial(m, p) draw by inverting its CDF at the uniform ``u`` (cheap when m*p is small)."""
    if m <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return m
    q = 1.0 - p
    pmf = math.exp(m * math.log1p(-p))
    cdf = pmf
    k = 0
    ratio = p / q
    while u > cdf and k < m:
        pmf *= (m - k) / (k + 1.0) * ratio
        k += 1
        cdf += pmf
        if pmf == 0.0 and cdf < u:  # numerical tail exhausted
            break
    return k


@njit(cache=True)
def ziggurat_fill(raw: np.ndarray, out: np.ndarray, k: np.ndarray, w: np.ndarray, f: np.ndarray) -> int:
    """Fill ``out`` (n) with N(0,1) draws from the words in ``raw``; return words used (-1 if too few).

    Word i starts draw i. Draws that miss the rectangle of their layer (~1 %)
    are finished afterwards, in order, with words taken from raw[n:].
    """
    n = out.size
    if raw.size < n:
        return -1
    pending = np.empty(n + 1, dtype=np.int64)
    npend = 0
    mask52 = np.uint64(0x000FFFFFFFFFFFFF)
    # No data-dependent branches here (a random sign bit mispredicts half the time): the sign is a
    # factor of +-1 (exact) and every index is written to ``pending``, kept only if the draw missed.
    for i in range(n):
        r = raw[i]
        idx = np.int64(r & np.uint64(0xFF))
        rabs = (r >> np.uint64(9)) & mask52
        sign = 1.0 - 2.0 * np.float64(np.int64((r >> np.uint64(8)) & np.uint64(1)))
        out[i] = np.float64(np.int64(rabs)) * w[idx] * sign
        pending[npend] = i
        npend += rabs >= k[idx]
    j = n
    for q in range(npend):
        i = pending[q]
        x, j = _ziggurat_slow(raw[i], raw, j, k, w, f)
        if j < 0:
            return -1
        out[i] = x
    return j


def standard_normal(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` exact standard-normal draws from ``rng`` (reproducible, ~3x faster than numpy here)."""
    out = np.empty(n)
    extra = n // 32 + 16
    while True:
        raw = rng.bit_generator.random_raw(n + extra)
        if ziggurat_fill(raw, out, ZIG_K, ZIG_W, ZIG_F) >= 0:
            return out
        # Not enough words (probability ~1e-6 even for small n): draw a larger batch.
        # Deterministic: it depends only on the generator's stream.
        extra *= 4
