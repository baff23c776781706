"""Model definitions: MFAX's constants, sparse rows that are distributions, exact push-forward mass."""

import numpy as np
import pytest

from econ_envs.meanfield import kernels
from econ_envs.meanfield.games import GAMES, make_game
from econ_envs.meanfield.population import pushforward_rollout

VARIANTS = [
    ("lq", {}),
    ("lq", {"common_noise": True}),
    ("beach_bar", {}),
    ("beach_bar", {"common_noise": True}),
    ("macro", {"horizon": 12}),
    ("crowd", {}),
]


def random_table(game, rng, T=None):
    shape = (game.n_states, game.n_actions) if T is None else (T, game.n_states, game.n_actions)
    x = rng.exponential(size=shape) ** 3  # uneven rows
    return x / x.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("name,kw", VARIANTS)
def test_rows_are_distributions(name, kw):
    g = make_game(name, **kw)
    paths = g.paths(n_paths=3, seed=1)
    P, S, A = paths.n_paths, g.n_states, g.n_actions
    mu = g.initial_distribution(paths.static)
    agg = g.aggregate(mu, paths.static, paths.z[:, 0])
    didx, dw = g.decision_rows(agg, paths.static, paths.z[:, 0], 0)
    nidx, nw = g.noise_rows(paths.static)
    assert didx.shape == (P, S, A, g.k_decision) and nidx.shape == (P, S, g.k_noise)
    for idx, w in ((didx, dw), (nidx, nw)):
        assert idx.min() >= 0 and idx.max() < S
        assert w.min() >= 0 and np.allclose(w.sum(axis=-1), 1.0, atol=1e-12)
    R = g.reward_table(agg, agg, paths.static, paths.z[:, 0], paths.z[:, 1], 0)
    assert R.shape == (P, S, A) and np.all(np.isfinite(R))


@pytest.mark.parametrize("name,kw", VARIANTS)
def test_pushforward_conserves_mass(name, kw):
    g = make_game(name, **kw)
    rng = np.random.default_rng(0)
    ro = pushforward_rollout(g, random_table(g, rng, g.horizon), g.paths(n_paths=4, seed=2))
    assert np.all(ro.mu >= 0)
    assert np.allclose(ro.mu.sum(axis=2), 1.0, atol=1e-12)
    assert np.all(np.isfinite(ro.obs)) and np.all(np.isfinite(ro.mean_reward))


def test_pushforward_equals_dense_matrix_on_small_game():
    """The sparse scatter equals mu^T A with A built densely (only here, as a check)."""
    g = make_game("lq", n_states=15, max_move=2, horizon=4, common_noise=True, drift_scale=2.0)
    paths = g.paths()
    rng = np.random.default_rng(3)
    pi = random_table(g, rng)
    mu = rng.dirichlet(np.ones(g.n_states), size=paths.n_paths)
    agg = g.aggregate(mu, paths.static, paths.z[:, 0])
    didx, dw = g.decision_rows(agg, paths.static, paths.z[:, 0], 0)
    nidx, nw = g.noise_rows(paths.static)
    out = kernels.pushforward(mu, pi[None], np.zeros(paths.n_paths, dtype=np.int64), didx, dw, nidx, nw)
    for p in range(paths.n_paths):
        dense = np.zeros((g.n_states, g.n_states))
        for s in range(g.n_states):
            for a in range(g.n_actions):
                sb = didx[p, s, a, 0]
                for k in range(g.k_noise):
                    dense[s, nidx[p, sb, k]] += pi[s, a] * nw[p, sb, k]
        assert np.allclose(out[p], mu[p] @ dense, atol=1e-15)
        # and the gather is A v
        v = rng.normal(size=g.n_states)
        R = np.zeros((1, g.n_states, g.n_actions))
        q = kernels.q_backup(R, didx[p : p + 1], dw[p : p + 1], nidx[p : p + 1], nw[p : p + 1], 1.0, v[None])
        assert np.allclose((pi * q[0]).sum(axis=1), dense @ v, atol=1e-12)


def test_lq_constants_and_drift():
    g = make_game("lq", common_noise=True)
    assert g.n_states == 99 and list(g.action_values) == [-3, -2, -1, 0, 1, 2, 3] and g.horizon == 30
    assert np.allclose(g.noise_probs, [0.00443, 0.05401, 0.24204, 0.39905, 0.24204, 0.05401, 0.00443], atol=1e-5)
    assert list(g.noise_moves) == [-3, -2, -1, 0, 1, 2, 3]
    assert [g.drift(t, 1.0) for t in (0, 7, 8, 20, 21, 29)] == [-5.0, -5.0, 0.0, 0.0, 5.0, 5.0]
    assert g.drift(0, 1.0) == -g.drift(0, -1.0)
    assert make_game("lq").drift(0, 1.0) == 0.0
    paths = g.paths()
    assert paths.exact and paths.n_paths == 2 and list(paths.n_nodes_at[:3]) == [1, 2, 2]


def test_beach_bar_constants_and_bar_is_never_reached():
    g = make_game("beach_bar", common_noise=True)
    paths = g.paths()
    assert paths.n_paths == 102 and g.params.bar_min == 25 and g.params.bar_max == 75
    assert list(paths.n_nodes_at[[0, 14, 15, 29]]) == [51, 51, 102, 102]
    assert np.allclose(paths.z[:, :15], 1.0) and set(np.unique(paths.z[:, 15:])) == {0.0, 1.0}
    ro = pushforward_rollout(g, g.uniform_policy(), paths)
    bars = paths.static[:, 0].astype(int)
    assert np.all(ro.mu[:, np.arange(paths.n_paths), bars] == 0.0)


def test_macro_grids_prices_and_mfax_initial_state():
    g = make_game("macro")
    a = g.wealth_grid
    assert np.allclose(a[:5], [0, 0.00763, 0.0155, 0.0236, 0.0320], atol=5e-5)
    assert np.allclose(a[-5:], [87.75, 90.44, 93.21, 96.06, 99.0], atol=5e-3)
    assert np.allclose(g.income_grid, [0.1, 0.30731, 0.63741, 1.16304, 2.0], atol=5e-5)
    assert g.n_states == 1000 and np.allclose(g.action_values[[0, 1, -1]], [0.025, 0.075, 0.975])
    mu0 = g.initial_distribution(np.zeros((1, 0)))
    K, L, r, w = g.aggregate(mu0, np.zeros((1, 0)), np.zeros(1))[0]
    assert abs(K - 16.46) < 0.01 and abs(L - 0.8416) < 1e-4 and abs(r - 0.0537) < 1e-4 and abs(w - 1.867) < 1e-3
    # common noise is honoured (MFAX ignores the flag): no TFP shocks without it
    assert np.all(make_game("macro", common_noise=False).paths(exact=False, n_paths=3).z == 0.0)
    assert np.any(g.paths(n_paths=3).z != 0.0)


def test_macro_split_matches_a_plain_search_and_fused_kernels_match_generic():
    g = make_game("macro", horizon=6)
    rng = np.random.default_rng(4)
    prices = np.array([[0.0, 0.5], [0.05, 1.8], [0.9, 3.0]])
    agg = np.zeros((3, 4))
    agg[:, 2:] = prices
    didx, dw = g.decision_rows(agg, np.zeros((3, 0)), np.zeros(3), 0)
    aS, yS = g.state_features[:, 0], g.state_features[:, 1]
    for p in range(3):
        nxt = ((1 + prices[p, 0]) * aS + prices[p, 1] * yS)[:, None] * g.keep[None, :]
        i = np.clip(np.searchsorted(g.wealth_grid, nxt, side="right") - 1, 0, len(g.wealth_grid) - 2)
        theta = np.clip((nxt - g.wealth_grid[i]) / (g.wealth_grid[i + 1] - g.wealth_grid[i]), 0, 1)
        assert np.array_equal(didx[p, :, :, 0] // 5, i)
        assert np.allclose(dw[p, :, :, 1], theta, atol=1e-13)
    # fused push-forward = generic sparse push-forward
    paths = g.paths(n_paths=3, seed=5)
    mu = rng.dirichlet(np.ones(g.n_states), size=3)
    pi = random_table(g, rng)[None]
    nidx, nw = g.noise_rows(paths.static)
    agg = g.aggregate(mu, paths.static, paths.z[:, 0])
    d, w = g.decision_rows(agg, paths.static, paths.z[:, 0], 0)
    zero = np.zeros(3, dtype=np.int64)
    a = kernels.pushforward(mu, pi, zero, d, w, nidx, nw)
    b = g.pushforward_fused(mu, pi, zero, agg, paths.static, paths.z[:, 0], 0, nidx, nw)
    assert np.allclose(a, b, atol=1e-15, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(GAMES))
def test_bad_parameters_raise_naming_the_field(name):
    cls = GAMES[name]
    field = {"lq": "kappa", "beach_bar": "closure_prob", "macro": "capital_share", "crowd": "size"}[name]
    bad = {"lq": -1.0, "beach_bar": 1.5, "macro": 1.0, "crowd": 1}[name]
    with pytest.raises(ValueError, match=field):
        cls(**{field: bad})
    with pytest.raises(TypeError, match="unknown parameter"):
        cls(not_a_field=1)
    with pytest.raises(ValueError, match="unknown mean-field game"):
        make_game("nope")


def test_macro_fused_exploitability_equals_the_generic_sparse_path():
    """Fused kernels (rows on the fly, with or without the cached grid cells) = materialised rows."""
    from econ_envs.meanfield.exploitability import exploitability

    g = make_game("macro", horizon=8)
    rng = np.random.default_rng(6)
    pol = random_table(g, rng, g.horizon)
    paths = g.paths(n_paths=3, seed=7)
    fused = exploitability(g, pol, paths=paths)
    g.fused_cache = lambda n_paths: None  # instance override: recompute the split in the backward pass
    uncached = exploitability(g, pol, paths=paths)
    g.fused = False  # instance override: the generic kernels on materialised sparse rows
    generic = exploitability(g, pol, paths=paths)
    for r in (uncached, generic):
        assert np.allclose(r.v_policy, fused.v_policy, rtol=1e-12, atol=1e-12)
        assert np.allclose(r.v_best_response, fused.v_best_response, rtol=1e-12, atol=1e-12)
        assert np.allclose(r.v_nonanticipative, fused.v_nonanticipative, rtol=1e-12, atol=1e-12)
        assert np.allclose(r.rollout.mu, fused.rollout.mu, rtol=1e-12, atol=1e-15)
