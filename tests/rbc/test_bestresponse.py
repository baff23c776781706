"""Fixed-tax table and best-response checks: exact for the government's fixed actions, bounds for the rest."""

import numpy as np

from econ_envs.rbc.bestresponse import (
    all_tax_sequences,
    fixed_tax_table,
    government_best_response,
    run_episode,
    type_best_response,
)
from econ_envs.rbc.params import RBCParams
from econ_envs.rbc.policies import FixedTax, rule_profile


def test_fixed_tax_table_entries_are_single_runs():
    p = RBCParams(n_consumers=20, n_firms=4)
    table = fixed_tax_table(p)
    assert table["welfare"].shape == (6, 6) and np.all(np.isfinite(table["welfare"]))
    prof = rule_profile(p, income_tax=0.4, corporate_tax=0.8)
    single = run_episode(p, 1, lambda raw, t: {r: rule(raw[r]) for r, rule in prof.rules.items()})
    assert single["government"][0] == table["welfare"][2, 4]
    assert single["consumer"][0] == table["consumer"][2, 4] and single["firm"][0] == table["firm"][2, 4]
    # a 100 % corporate tax takes every positive profit: after-tax firm reward min(P, 0) is never positive
    assert np.all(table["firm"][:, -1] <= 0) and table["firm"][:, 0].max() > table["firm"][:, -1].max()


def test_government_best_response_is_exact_over_fixed_actions_and_sequences_only_improve():
    p = RBCParams(n_consumers=20, n_firms=4, episode_length=4)
    res = government_best_response(p)
    flat = res["table"]["welfare"].reshape(-1)
    assert res["best_fixed_welfare"] == flat.max() and res["baseline_welfare"] == flat[FixedTax(p).index]
    assert res["gain"] >= 0 and res["sequence_welfare"] >= res["best_fixed_welfare"]
    assert np.isclose(res["epsilon"], res["gain"] / abs(res["baseline_welfare"]))
    # exhaustive search over every tax sequence (36^3 for 4 quarters) bounds the sequence search from above
    every = all_tax_sequences(p)
    assert every["welfare"].shape == (36**3,)
    assert every["best_welfare"] >= res["sequence_welfare"] - 1e-9 * abs(res["sequence_welfare"])
    constant = every["welfare"][[i * (36**2 + 36 + 1) for i in range(36)]]
    np.testing.assert_allclose(constant, flat, rtol=1e-12)


def test_type_best_responses_never_lose_to_the_baseline():
    p = RBCParams(n_consumers=20, n_firms=4)
    for role in ("consumer", "firm"):
        res = type_best_response(p, role)
        assert res["gain"] >= 0 and res["best_reward"] >= res["baseline_reward"] and res["candidates"] > 20
