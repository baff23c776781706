from statistics import NormalDist

import numpy as np
import pytest

from econ_envs.core.stats import (
    gini,
    kth_smallest,
    norm_ppf,
    rank_group_means,
    rank_group_sums,
    stratified_normal,
    tail_statistics,
    two_order_statistics,
)


def reference_gini(x):
    x = np.sort(np.maximum(np.asarray(x, float), 0))
    n = x.size
    # mean absolute difference / (2 mean)
    return np.abs(x[:, None] - x[None, :]).sum() / (2 * n * n * x.mean())


def test_gini_known_values():
    assert gini(np.ones(50)) == pytest.approx(0.0, abs=1e-15)
    x = np.zeros(100)
    x[-1] = 1.0
    assert gini(x) == pytest.approx(0.99)  # one person owns everything: (n-1)/n
    assert gini(np.zeros(10)) == 0.0
    rng = np.random.default_rng(0)
    for _ in range(5):
        y = rng.lognormal(0, 1.5, 300)
        assert gini(y) == pytest.approx(reference_gini(y), rel=1e-12)


@pytest.mark.parametrize("n", [1, 2, 7, 100, 4097, 20_000])
def test_order_statistics_match_sorting(n):
    rng = np.random.default_rng(n)
    for x in (rng.normal(size=n), rng.integers(0, 5, n).astype(float), np.sort(rng.normal(size=n))):
        xs = np.sort(x)
        for k in {0, n // 2, n - 1, min(n - 1, n - n // 10)}:
            assert kth_smallest(x, k) == xs[k]
        k1, k2 = n // 3, n - 1 - n // 4
        a, b = two_order_statistics(x, k1, k2)
        assert (a, b) == (xs[k1], xs[k2])


def reference_groups(key, values, n_top, n_bottom):
    order = np.argsort(-key, kind="stable")  # descending; ties in index order
    top = values[:, order[:n_top]].mean(axis=1)
    asc = np.argsort(key, kind="stable")
    bottom = values[:, asc[:n_bottom]].mean(axis=1)
    return top, bottom


@pytest.mark.parametrize("n", [10, 11, 1000, 12_345])
def test_rank_group_means_exact_with_ties(n):
    rng = np.random.default_rng(1)
    for key in (rng.lognormal(size=n), rng.integers(0, 4, n).astype(float), np.zeros(n)):
        values = np.vstack([rng.normal(size=n), np.arange(n, dtype=float)])
        n_top, n_bottom = max(1, n // 10), n - n // 2
        top, bottom = rank_group_means(key, values, n_top, n_bottom)
        rt, rb = reference_groups(key, values, n_top, n_bottom)
        # with ties the group is "the first tied indices", as in the reference's stable order
        np.testing.assert_allclose(top, rt, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(bottom, rb, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n", [1, 2, 33, 1000, 12_345, 50_000])
def test_rank_group_sums_every_path(n):
    """Radix selection on spread-out keys, on keys crowded into one bucket behind an outlier
    (several radix passes), on negative keys and on ties agrees with sorting, with the key's
    own sums first; a non-finite key gives NaN."""
    rng = np.random.default_rng(n)
    crowded = rng.lognormal(size=n)
    crowded[0] = 1e300  # every other key shares the top bits: the first pass barely splits them
    zeros = rng.lognormal(size=n)
    zeros[: n // 3] = 0.0  # households at the borrowing limit
    keys = (
        rng.lognormal(0, 2, n),
        np.sort(rng.normal(size=n)),
        np.sort(rng.normal(size=n))[::-1].copy(),
        rng.integers(0, 3, n).astype(float),
        crowded,
        zeros,
        -rng.lognormal(size=n),
    )
    for key in keys:
        rows = np.vstack([rng.normal(size=n), np.arange(n, dtype=float), rng.lognormal(size=n)])
        for n_top, n_bottom in ((max(1, n // 10), n - n // 2), (1, n), (n, 1)):
            rt, rb = reference_groups(key, np.vstack([key, rows]), n_top, n_bottom)
            for m in (0, 1, 3):
                top, bottom = rank_group_sums(key, rows[:m], True, n_top, n_bottom)
                np.testing.assert_allclose(top / n_top, rt[: m + 1], rtol=1e-11, atol=1e-9)
                np.testing.assert_allclose(bottom / n_bottom, rb[: m + 1], rtol=1e-11, atol=1e-9)
            top, bottom = rank_group_sums(key, rows[:1], False, n_top, n_bottom)
            np.testing.assert_allclose(top / n_top, rt[1:2], rtol=1e-11, atol=1e-9)
        xs = np.sort(key)
        assert two_order_statistics(key, n // 2, n - 1) == (xs[n // 2], xs[n - 1])
    for bad_value in (np.nan, np.inf):
        bad = rng.normal(size=n)
        bad[n // 2] = bad_value
        top, bottom = rank_group_sums(bad, bad[None, :], True, 1, 1)
        assert np.isnan(top).all() and np.isnan(bottom).all()


def test_tail_statistics():
    x = np.array([0.0, 5.0, 10.0, 20.0, 40.0])
    share, mean, weight = tail_statistics(x, np.array([0.0, 10.0, 30.0, 100.0]), 1.0)
    np.testing.assert_allclose(share, [1.0, 0.6, 0.2, 0.0])
    np.testing.assert_allclose(mean, [15.0, 70.0 / 3, 40.0, 100.0])
    w = 1.0 / np.maximum(x, 1.0)
    np.testing.assert_allclose(weight, [1.0, w[2:].sum() / w.sum(), w[4:].sum() / w.sum(), 0.0])


def test_norm_ppf_accuracy():
    nd = NormalDist()
    for u in np.concatenate([np.linspace(1e-10, 1 - 1e-10, 2001), [1e-300, 0.5, 0.975]]):
        assert norm_ppf(u) == pytest.approx(nd.inv_cdf(u), abs=1e-8)
    assert norm_ppf(0.0) == -np.inf and norm_ppf(1.0) == np.inf


def test_stratified_normal_has_one_draw_per_stratum():
    rng = np.random.default_rng(3)
    n = 1000
    z = stratified_normal(rng.permutation(n), rng.random(n))
    u = np.array([NormalDist().cdf(v) for v in z])
    counts = np.bincount(np.floor(u * n).astype(int), minlength=n)
    assert np.all(counts == 1)
