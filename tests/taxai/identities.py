"""Accounting identities of one year of the tax economy, recomputed from the recorded arrays."""

import numpy as np

from econ_envs.taxai import kernels as kr


def python_hsv(x, tau, xi, ref):
    x = np.asarray(x, float)
    out = np.zeros_like(x)
    pos = x > 0
    out[pos] = x[pos] - (1 - tau) * ref * (x[pos] / ref) ** (1 - xi)
    return out


def python_brackets(y, thresholds, rates, deduction):
    z = np.maximum(np.asarray(y, float) - deduction, 0.0)
    tax = np.zeros_like(z)
    edges = list(thresholds) + [np.inf]
    for k, rate in enumerate(rates):
        tax += rate * np.clip(z - edges[k], 0.0, edges[k + 1] - edges[k])
    return tax


def assert_year_consistent(eco, rtol=1e-9):
    """Assert every identity of the last recorded year of ``eco`` (a TaxEconomy)."""
    p, cal = eco.params, eco.cal
    rec = eco.last
    n = eco.n
    for name in ("a", "e", "y", "t_inc", "t_wealth", "transfer", "c", "a_next", "util"):
        arr = getattr(rec, name)
        assert arr.shape == (n,), name
        assert np.all(np.isfinite(arr)), f"{name} has non-finite values"
    for name in ("L", "Y", "w", "r", "G", "Tr", "C", "T_inc", "T_wealth", "T_cons", "A_next", "B_next", "K_next"):
        assert np.isfinite(getattr(rec, name)), name
    # non-negative wealth (borrowing limit at zero), before and after
    assert np.all(rec.a >= 0) and np.all(rec.a_next >= 0)
    assert np.all(rec.c >= 0)
    # production and factor prices
    hh = rec.actions
    hours = p.hours_endowment * hh[:, 1]
    L = float(np.sum(rec.e * hours))
    assert np.isclose(rec.L, L, rtol=1e-12)
    if L > 0:
        Y = cal.tfp * rec.K**p.capital_share * L ** (1 - p.capital_share)
        assert np.isclose(rec.Y, Y, rtol=1e-12)
        assert np.isclose(rec.w, (1 - p.capital_share) * Y / L, rtol=1e-12)
        assert np.isclose(rec.r, p.capital_share * Y / rec.K - p.depreciation, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(rec.y, rec.w * rec.e * hours + rec.r * rec.a, rtol=1e-12, atol=1e-9)
    # tax schedules against independent implementations
    pol = rec.policy
    if p.income_tax == "hsv":
        ref = python_hsv(rec.y, pol[0], pol[1], rec.y_ref)
        tau_a, xi_a, g = pol[2], pol[3], pol[4]
    else:
        K = len(p.bracket_thresholds)
        ref = python_brackets(rec.y, p.bracket_thresholds, pol[:K], p.standard_deduction)
        tau_a, xi_a, g = pol[K], pol[K + 1], pol[K + 2]
    np.testing.assert_allclose(rec.t_inc, ref, rtol=1e-10, atol=1e-6)
    assert np.all(rec.t_inc <= np.maximum(rec.y, 0) + 1e-6), "income tax above income"
    wref = np.minimum(np.maximum(python_hsv(rec.a, tau_a, xi_a, rec.a_ref), 0.0), rec.a * min(1, 1 + rec.r))
    np.testing.assert_allclose(rec.t_wealth, wref, rtol=1e-10, atol=1e-6)
    assert np.isclose(rec.G, g * rec.Y, rtol=1e-12, atol=1e-9)
    # household budgets: a' + (1 + tau_c) c = a + y - T - T_a + tr   (m >= 0 up to rounding)
    cash = rec.a + rec.y - rec.t_inc - rec.t_wealth + rec.transfer
    scale = np.maximum(1.0, np.abs(rec.a) + np.abs(rec.y) + np.abs(rec.transfer))
    resid = rec.a_next + (1 + p.consumption_tax) * rec.c - cash
    assert np.all(np.abs(resid) <= 1e-11 * scale), f"household budget residual {np.abs(resid).max()}"
    np.testing.assert_allclose(
        rec.a_next, hh[:, 0] * (rec.a_next + (1 + p.consumption_tax) * rec.c), rtol=1e-12, atol=1e-9
    )
    # period utility: CRRA of consumption in units of y0 (floored) minus labour disutility
    cu = np.maximum(rec.c / cal.y0, p.consumption_floor)
    u = np.log(cu) if p.crra == 1.0 else (cu ** (1 - p.crra) - 1) / (1 - p.crra)
    u = u - p.labour_disutility * hh[:, 1] ** (1 + p.inverse_frisch) / (1 + p.inverse_frisch)
    np.testing.assert_allclose(rec.util, u, rtol=1e-12, atol=1e-12)
    assert np.isclose(float(rec.totals[kr.S_USUM]), rec.util.sum(), rtol=1e-10, atol=1e-9)
    # totals are the sums of the arrays
    for total, arr in (
        ("C", rec.c),
        ("T_inc", rec.t_inc),
        ("T_wealth", rec.t_wealth),
        ("Tr", rec.transfer),
        ("A_next", rec.a_next),
    ):
        assert np.isclose(getattr(rec, total), arr.sum(), rtol=1e-10, atol=1e-6 * max(1.0, abs(rec.Y))), total
    assert np.isclose(rec.T_cons, p.consumption_tax * rec.C, rtol=1e-12)
    # government budget
    scale_gov = max(abs(rec.B), abs(rec.Y), 1.0)
    gov = (
        (1 + rec.r) * rec.B
        + rec.G
        + rec.transfer.sum()
        - (rec.t_inc.sum() + rec.t_wealth.sum() + p.consumption_tax * rec.c.sum())
    )
    assert abs(rec.B_next - gov) <= rtol * scale_gov, f"government budget residual {rec.B_next - gov}"
    # asset market and the resource constraint Y = C + I + G
    assert abs(rec.K_next - (rec.a_next.sum() - rec.B_next)) <= rtol * scale_gov
    investment = rec.K_next - (1 - p.depreciation) * rec.K
    assert abs(rec.Y - rec.c.sum() - investment - rec.G) <= rtol * max(abs(rec.Y), abs(rec.K), 1.0), (
        "resource constraint"
    )
    ag = eco.aggregates()
    assert abs(ag["resource_residual"]) <= rtol * max(abs(rec.Y), abs(rec.K), 1.0)
    assert 0.0 <= ag["wealth_gini"] <= 1.0 and 0.0 <= ag["income_gini"] <= 1.0
    assert kr.B_ROWS == rec.block.shape[0]
