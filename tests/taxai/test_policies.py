import numpy as np
import pytest

import econ_envs
from econ_envs.taxai import policies as P
from econ_envs.taxai.params import TaxParams


def test_us_federal_needs_brackets_env():
    with pytest.raises(ValueError, match="brackets"):
        P.USFederal2022(TaxParams())
    pol = P.USFederal2022(TaxParams(**P.USFederal2022.env_overrides))
    assert np.allclose(pol(None)[:7], [0.10, 0.12, 0.22, 0.24, 0.32, 0.35, 0.37])


def test_saez_rates_and_estimated_elasticity():
    env = econ_envs.make("taxai-v0", n_households=1000, **P.SaezProfile.env_overrides)
    prof = P.SaezProfile(env)
    prof.reset(env, 0)
    rates = []
    while not env.episode_over:
        env.step_batch(prof.act(env))
        rates.append(prof.government.rates.copy())
    saez = prof.government
    # households respond to marginal rates with Frisch elasticity 0.5 on labour income, which is most of
    # taxable income: the estimate from the simulated data must land near that, not at its prior or 0
    assert 0.2 < saez.elasticity < 1.0
    assert len(saez.pairs) >= 10
    final = rates[-1]
    assert np.all((final >= 0) & (final <= 1))
    # G(0) = 1: no marginal tax at the bottom with inverse-income weights (up to the exploration shift)
    assert final[0] <= saez.explore
    assert final[1:].max() > 0.2  # and substantial rates above it


def test_household_rules_outputs_and_labour_response():
    params = TaxParams(income_tax="brackets")
    env = econ_envs.make("taxai-v0", n_households=200, income_tax="brackets")
    obs, _ = env.reset_batch(seed=0)
    rule = P.BufferStock(params)
    acts = rule(obs["household"])
    assert acts.shape == (200, 2) and np.all((acts >= 0) & (acts <= 1))
    assert rule(obs["household"][0]).shape == (2,)
    # higher marginal rates -> fewer hours (Frisch response), zero rates -> calibrated hours
    ni = 4  # average and marginal rates at 0.5, 1, 2, 5 x mean income
    hh_obs = obs["household"].copy()
    hh_obs[:, 2 : 2 + 2 * ni] = 0.0
    h0 = rule(hh_obs)[:, 1]
    hh_obs[:, 2 + ni : 2 + 2 * ni] = 0.5  # marginal rates 50 % everywhere
    h1 = rule(hh_obs)[:, 1]
    assert np.allclose(h0, params.labour_share_0)
    assert np.allclose(h1, params.labour_share_0 * 0.5**0.5)
    # the saving share rises with cash on hand relative to permanent income (buffer stock)
    rich = obs["household"].copy()
    rich[:, 0] *= 10
    assert np.all(rule(rich)[:, 0] >= acts[:, 0] - 1e-12)
    const = P.ConstantSaving(params)
    assert np.allclose(const(obs["household"]), [params.calibration.saving_rate, params.labour_share_0])


def test_unknown_rules():
    with pytest.raises(ValueError, match="unknown household rule"):
        P.make_household_policy("lazy", TaxParams())
    with pytest.raises(ValueError, match="unknown government rule"):
        P.make_government_policy("ramsey", TaxParams())
