import numpy as np
import pytest
from scipy import stats

from econ_envs.core.random import binomial_inversion, standard_normal, uniform_from_word


def test_standard_normal_is_reproducible_and_normal():
    a = standard_normal(np.random.default_rng(42), 200_000)
    b = standard_normal(np.random.default_rng(42), 200_000)
    assert np.array_equal(a, b)
    assert abs(a.mean()) < 5 * (1 / np.sqrt(a.size))
    assert abs(a.var() - 1) < 5 * np.sqrt(2 / a.size)
    assert stats.kstest(a, "norm").pvalue > 1e-3
    # the tail beyond the ziggurat's base strip is sampled too
    tail = np.mean(np.abs(a) > 3.7)
    assert tail == pytest.approx(2 * stats.norm.sf(3.7), rel=0.3)


def test_p_values_uniform_over_seeds():
    p = [stats.kstest(standard_normal(np.random.default_rng(s), 20_000), "norm").pvalue for s in range(40)]
    assert stats.kstest(p, "uniform").pvalue > 1e-3


def test_uniform_from_word_range():
    assert uniform_from_word(np.uint64(0)) == 0.0
    assert 0.0 <= uniform_from_word(np.uint64(2**64 - 1)) < 1.0


@pytest.mark.parametrize("m,p", [(10, 0.3), (1000, 0.001), (100_000, 2.2e-6), (5, 0.0)])
def test_binomial_inversion_matches_cdf(m, p):
    rng = np.random.default_rng(0)
    draws = np.array([binomial_inversion(m, p, u) for u in rng.random(20_000)])
    assert draws.min() >= 0 and draws.max() <= m
    assert draws.mean() == pytest.approx(m * p, abs=4 * np.sqrt(max(m * p * (1 - p), 1e-12) / draws.size) + 1e-12)
    for k in range(3):
        assert np.mean(draws <= k) == pytest.approx(stats.binom.cdf(k, m, p), abs=0.02)
