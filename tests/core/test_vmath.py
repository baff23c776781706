import math

import numpy as np

from econ_envs.core import vmath


def test_exp_accuracy_and_special_values():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-707, 708, 100_000), rng.uniform(-1, 1, 100_000)])
    ref = np.exp(x)
    assert np.max(np.abs(vmath.exp(x) - ref) / ref) < 4e-16
    special = np.array([np.nan, np.inf, -np.inf, 710.0, -746.0, 0.0, -0.0])
    out = vmath.exp(special)
    assert np.isnan(out[0])
    assert list(out[1:]) == [math.inf, 0.0, math.inf, 0.0, 1.0, 1.0]


def test_log_accuracy_and_special_values():
    rng = np.random.default_rng(1)
    x = np.concatenate([np.exp(rng.uniform(-700, 700, 100_000)), rng.uniform(0.5, 2.0, 100_000)])
    ref = np.log(x)
    err = np.abs(vmath.log(x) - ref)
    assert np.max(err / np.maximum(np.abs(ref), 1.0)) < 4e-16
    special = np.array([0.0, -1.0, np.inf, np.nan, 5e-324, 1.0])
    out = vmath.log(special)
    assert out[0] == -math.inf and np.isnan(out[1]) and out[2] == math.inf and np.isnan(out[3])
    assert out[4] == math.log(5e-324) and out[5] == 0.0
