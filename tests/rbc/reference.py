"""A slow, direct numpy restatement of one quarter of the RBC economy, to check the kernels against.

Written from the equations in the family manual (``econ_envs.rbc``), one replica at a
time, without sharing code with the kernels.
"""

from __future__ import annotations

import numpy as np

from econ_envs.rbc.params import RBCParams


def reference_step(
    p: RBCParams, st: dict, cons_idx: np.ndarray, firm_idx: np.ndarray, gov_idx: int, final: bool
) -> dict:
    """One quarter. ``st``: price, wage, stock, budget_f, capital, budget_c, theta (arrays), tau, sigma."""
    F, N = p.n_firms, p.n_consumers
    price, wage, stock = st["price"], st["wage"], st["stock"]
    chat = np.asarray(p.consumption_choices)[cons_idx[:, :F]]
    hours = np.asarray(p.hours_choices)[cons_idx[:, F]]
    employer = cons_idx[:, F + 1]
    S = chat @ price
    Bc = st["budget_c"]
    scale = np.where((S > 0) & (S > Bc), np.maximum(Bc, 0) / np.where(S > 0, S, 1), 1.0)
    d = chat * scale[:, None]
    D = d.sum(0)
    L = np.bincount(employer, weights=hours, minlength=F)
    R = (D > 0) & (D > stock)
    ratio = np.where(R, stock / np.where(D > 0, D, 1), 1.0)
    c = d * ratio[None, :]
    C = c.sum(0)
    eta = p.crra
    u = (((1 + c) ** (1 - eta) - 1) / (1 - eta)).sum(1) - 0.5 * st["theta"] * hours
    z = wage[employer] * hours
    tau, sigma = st["tau"], st["sigma"]
    unsold = np.maximum(stock - C, 0)
    if p.open_economy:
        ok = price >= p.export_price if p.export_price_inclusive else price > p.export_price
        X = np.where(ok, np.minimum(unsold, p.export_quantity), 0.0)
    else:
        X = np.zeros(F)
    table = np.array([(a, b, k) for a in p.price_choices for b in p.wage_choices for k in p.investment_choices])
    rev = price * (C + X)
    gross = rev - wage * L
    inv = np.maximum(table[firm_idx, 2] * gross, 0)
    profit = gross - inv
    ctax = sigma * np.maximum(profit, 0)
    alpha = np.array(p.alphas())
    K = st["capital"]
    Leff = np.where(L < p.labor_floor, 0.0, L)
    Y = np.where(Leff > 0, p.technology * K ** (1 - alpha) * Leff**alpha, 0.0)
    Bf_new = st["budget_f"] + profit - ctax
    rf = profit - ctax + np.where(Bf_new > 0, p.firm_revenue_bonus * rev, 0.0)
    Bf_new = np.where(Bf_new > 0, Bf_new * (1 + p.interest_rate), Bf_new)
    pot = (tau * z).sum() + ctax.sum()
    Bc_new = Bc + p.consumer_endowment - (c * price).sum(1) + (1 - tau) * z + pot / N
    Bc_new = np.where(Bc_new > 0, Bc_new * (1 + p.interest_rate), Bc_new)
    rc = u.copy()
    if final:
        rc -= p.consumer_noponzi_coef * np.maximum(-Bc_new, 0) / p.consumer_noponzi_scale
        rf = rf - p.firm_noponzi_coef * np.maximum(-Bf_new, 0) / p.firm_noponzi_scale
    gtab = np.array([(a, b) for a in p.income_tax_choices for b in p.corporate_tax_choices])
    return {
        "price": table[firm_idx, 0],
        "wage": table[firm_idx, 1],
        "stock": unsold - X + Y,
        "flag": R.astype(float),
        "budget_f": Bf_new,
        "capital": K + inv,
        "budget_c": Bc_new,
        "theta": st["theta"],
        "tau": gtab[gov_idx, 0],
        "sigma": gtab[gov_idx, 1],
        "c": c,
        "X": X,
        "Y": Y,
        "L": L,
        "D": D,
        "C": C,
        "r_consumer": rc,
        "r_firm": rf,
        "r_government": rc.sum() + p.firm_reward_weight * rf.sum(),
    }


def state_of(venv, b: int) -> dict:
    """Replica ``b`` of a vector env's current state as the reference's dict."""
    st = venv.state
    return {
        "price": st.price[b].copy(),
        "wage": st.wage[b].copy(),
        "stock": st.inventory[b].copy(),
        "flag": st.overdemanded[b].copy(),
        "budget_f": st.firm_budget[b].copy(),
        "capital": st.capital[b].copy(),
        "budget_c": st.consumer_budget[b].copy(),
        "theta": st.theta[b].copy(),
        "tau": float(st.income_tax[b]),
        "sigma": float(st.corporate_tax[b]),
    }
