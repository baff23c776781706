"""Stock-flow identities of one month of the monetary economy, recomputed from the recorded flows.

Every balance sheet is rebuilt from the start-of-month state plus the month's recorded flows and
compared with the end-of-month state; bank balance sheets are checked against loans and deposits
summed over borrowers and depositors; the change in the money stock is matched against the
documented channels.
"""

import numpy as np

from econ_envs.monetary import kernels as kr


def _close(a, b, scale, what, tol=1e-9):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    err = np.max(np.abs(a - b)) if a.size else 0.0
    assert err <= tol * max(1.0, scale), f"{what}: max residual {err:.3e} (scale {scale:.3e})"


def by_bank(index, values, n_banks):
    m = index >= 0
    return np.bincount(index[m], weights=values[m], minlength=n_banks)


def assert_month_consistent(eco):
    """Assert every accounting identity of the last recorded month of ``eco`` (a MonetaryEconomy)."""
    rec = eco.last
    b0, b1 = rec.before, rec.after
    rh, rf, rb, tot = rec.rec_h, rec.rec_f, rec.rec_b, rec.totals
    p = eco.params
    B = eco.n_banks
    for name, arr in (("hf", b1.hf), ("ff", b1.ff), ("bf", b1.bf), ("mac", b1.mac), ("rec_h", rh), ("rec_f", rf),
                      ("rec_b", rb), ("totals", tot)):  # fmt: skip
        assert np.all(np.isfinite(arr)), f"{name} has non-finite values"
    scale = float(np.abs(b0.hf[kr.H_DEP]).sum() + np.abs(b0.ff[kr.F_CASH]).sum() + np.abs(b0.bf[kr.B_EQ]).sum())
    scale += float(b0.hf[kr.H_LOAN].sum() + b0.ff[kr.F_LOAN].sum())

    # non-negativity of money holdings, loans, stocks; prices positive; unemployment in [0, 1]
    assert np.all(b1.hf[kr.H_DEP] >= -1e-9 * scale), "negative household deposits"
    assert np.all(b1.ff[kr.F_CASH] >= -1e-9 * scale), "negative firm cash"
    assert np.all(b1.hf[kr.H_LOAN] >= -1e-9 * scale) and np.all(b1.ff[kr.F_LOAN] >= -1e-9 * scale)
    assert np.all(b1.ff[kr.F_INV] >= 0) and np.all(b1.ff[kr.F_CAP] > 0)
    assert np.all(b1.ff[kr.F_PRICE] > 0) and np.all(b1.ff[kr.F_WAGE] > 0) and b1.mac[kr.M_P] > 0
    assert np.all(b1.bf[kr.B_RES] >= -1e-9 * scale) and np.all(b1.bf[kr.B_ADV] >= -1e-9 * scale)
    assert 0.0 <= b1.mac[kr.M_U] <= 1.0
    assert b1.mac[kr.M_FUND] >= -1e-9 * scale

    # households: deposits and loans
    dh = (rh[kr.RH_ORIG] + rh[kr.RH_WAGE] - rh[kr.RH_CONTRIB] + rh[kr.RH_BENEFIT] + rh[kr.RH_DEPINT]
          + rh[kr.RH_TRANSFER] + rh[kr.RH_DIV] - rh[kr.RH_DEBT_INT] - rh[kr.RH_DEBT_PRIN] - rh[kr.RH_RECOVERED]
          - rh[kr.RH_CONS_NOM])  # fmt: skip
    _close(b1.hf[kr.H_DEP], b0.hf[kr.H_DEP] + dh, scale, "household deposits")
    dl = rh[kr.RH_ORIG] - rh[kr.RH_DEBT_PRIN] - rh[kr.RH_RECOVERED] - rh[kr.RH_WRITEOFF]
    _close(b1.hf[kr.H_LOAN], b0.hf[kr.H_LOAN] + dl, scale, "household loans")
    assert np.all(b1.hi[kr.H_LBANK][b1.hf[kr.H_LOAN] > 0] >= 0), "a household loan without a lender"

    # firms: cash, loans, inventories, capital
    dm = (rf[kr.RF_ORIG] + rf[kr.RF_REVENUE] + rf[kr.RF_DEPINT] - rf[kr.RF_WAGES] - rf[kr.RF_INV_NOM]
          - rf[kr.RF_DEBT_INT] - rf[kr.RF_DEBT_PRIN] - rf[kr.RF_RECOVERED] - rf[kr.RF_DIV])  # fmt: skip
    _close(b1.ff[kr.F_CASH], b0.ff[kr.F_CASH] + dm, scale, "firm cash")
    dlf = rf[kr.RF_ORIG] - rf[kr.RF_DEBT_PRIN] - rf[kr.RF_RECOVERED] - rf[kr.RF_WRITEOFF]
    _close(b1.ff[kr.F_LOAN], b0.ff[kr.F_LOAN] + dlf, scale, "firm loans")
    yscale = float(b0.ff[kr.F_INV].sum() + rf[kr.RF_PROD].sum())
    _close(b1.ff[kr.F_INV], b0.ff[kr.F_INV] + rf[kr.RF_PROD] - rf[kr.RF_SALES] - rf[kr.RF_SPOILED], yscale,
           "inventories")  # fmt: skip
    delta = eco.cal.depreciation_m
    _close(b1.ff[kr.F_CAP], (1 - delta) * b0.ff[kr.F_CAP] + rf[kr.RF_INV_UNITS], float(b0.ff[kr.F_CAP].sum()),
           "capital")  # fmt: skip
    # goods market: units sold = consumption + investment; output = C + I + change in inventories + spoilage
    _close(rf[kr.RF_SALES].sum(), rh[kr.RH_CONS].sum() + rf[kr.RF_INV_UNITS].sum(), yscale, "goods market")
    _close(tot[kr.S_Y], tot[kr.S_C] + tot[kr.S_I] + b1.ff[kr.F_INV].sum() - b0.ff[kr.F_INV].sum()
           + rf[kr.RF_SPOILED].sum(), yscale, "GDP = C + I + inventory change + spoilage")  # fmt: skip
    _close(tot[kr.S_SPENT], rh[kr.RH_CONS_NOM].sum() + rf[kr.RF_INV_NOM].sum(), scale, "spending = receipts")
    _close(tot[kr.S_SPENT], rf[kr.RF_REVENUE].sum(), scale, "spending = revenue")
    # wages paid = wages received; employment counts
    _close(rh[kr.RH_WAGE].sum(), rf[kr.RF_WAGES].sum(), scale, "wage bill")
    emp = b1.hi[kr.H_EMP]
    assert np.array_equal(np.bincount(emp[emp >= 0], minlength=eco.n_firms), b1.fi[kr.F_NWORK]), "workforce counts"
    assert np.isclose(b1.mac[kr.M_U], np.mean(emp < 0))

    # banks: equity from the income statement; loans and deposits from borrowers and depositors; balance sheet
    de = (rb[kr.RB_LOAN_INT] + rb[kr.RB_RES_INT] - rb[kr.RB_DEP_INT] - rb[kr.RB_ADV_INT] - rb[kr.RB_WRITEOFF]
          - rb[kr.RB_DIV] + rb[kr.RB_RECAP])  # fmt: skip
    _close(b1.bf[kr.B_EQ], b0.bf[kr.B_EQ] + de, scale, "bank equity")
    loans = by_bank(b1.hi[kr.H_LBANK], b1.hf[kr.H_LOAN], B) + by_bank(b1.fi[kr.F_LBANK], b1.ff[kr.F_LOAN], B)
    loans0 = by_bank(b0.hi[kr.H_LBANK], b0.hf[kr.H_LOAN], B) + by_bank(b0.fi[kr.F_LBANK], b0.ff[kr.F_LOAN], B)
    _close(loans, b1.bf[kr.B_LOANS], scale, "bank loans (cached)")
    _close(loans, loans0 + rb[kr.RB_ORIG] - rb[kr.RB_PRIN] - rb[kr.RB_WRITEOFF] - rb[kr.RB_RECOVERED], scale,
           "bank loans (flows)")  # fmt: skip
    deps = by_bank(b1.hi[kr.H_DBANK], b1.hf[kr.H_DEP], B) + by_bank(b1.fi[kr.F_DBANK], b1.ff[kr.F_CASH], B)
    _close(deps, b1.bf[kr.B_DEPS], scale, "bank deposits (cached)")
    _close(b1.bf[kr.B_RES] + loans, deps + b1.bf[kr.B_ADV] + b1.bf[kr.B_EQ], scale,
           "bank balance sheet: reserves + loans = deposits + advances + equity")  # fmt: skip
    assert np.all(b1.bf[kr.B_RES] >= p.reserve_requirement * deps - 1e-9 * scale), "reserve requirement"

    # central bank and the unemployment-insurance fund (an account at the central bank)
    cbe = b0.mac[kr.M_CBEQ] + tot[kr.S_ADV_INT_CB] - tot[kr.S_RES_INT_CB] - tot[kr.S_REMIT] - tot[kr.S_RECAP]
    _close(b1.mac[kr.M_CBEQ], cbe, scale, "central-bank equity (flows)")
    _close(b1.mac[kr.M_CBEQ], b1.bf[kr.B_ADV].sum() - b1.bf[kr.B_RES].sum() - b1.mac[kr.M_FUND], scale,
           "central-bank balance sheet: equity = advances - reserves - fund")  # fmt: skip
    _close(b1.mac[kr.M_FUND], b0.mac[kr.M_FUND] + rh[kr.RH_CONTRIB].sum() - rh[kr.RH_BENEFIT].sum(), scale, "fund")

    # money (deposits of households and firms) changes only through transactions with banks and the central bank
    m0 = b0.hf[kr.H_DEP].sum() + b0.ff[kr.F_CASH].sum()
    m1 = b1.hf[kr.H_DEP].sum() + b1.ff[kr.F_CASH].sum()
    channels = (rb[kr.RB_ORIG].sum() - rb[kr.RB_PRIN].sum() - rb[kr.RB_RECOVERED].sum() - rb[kr.RB_LOAN_INT].sum()
                + rb[kr.RB_DEP_INT].sum() + rb[kr.RB_DIV].sum() + tot[kr.S_REMIT] + rh[kr.RH_BENEFIT].sum()
                - rh[kr.RH_CONTRIB].sum())  # fmt: skip
    _close(m1 - m0, channels, scale, "money: change = lending - repayment - interest + deposit interest + bank "
           "dividends + central-bank remittance + net unemployment insurance")  # fmt: skip


def assert_state_consistent(eco):
    """Balance-sheet identities of the current state alone (used right after reset)."""
    st = eco.state
    B = eco.n_banks
    loans = by_bank(st.hi[kr.H_LBANK], st.hf[kr.H_LOAN], B) + by_bank(st.fi[kr.F_LBANK], st.ff[kr.F_LOAN], B)
    deps = by_bank(st.hi[kr.H_DBANK], st.hf[kr.H_DEP], B) + by_bank(st.fi[kr.F_DBANK], st.ff[kr.F_CASH], B)
    scale = float(deps.sum() + loans.sum())
    _close(st.bf[kr.B_RES] + loans, deps + st.bf[kr.B_ADV] + st.bf[kr.B_EQ], scale, "bank balance sheet at reset")
    _close(st.mac[kr.M_CBEQ], st.bf[kr.B_ADV].sum() - st.bf[kr.B_RES].sum() - st.mac[kr.M_FUND], scale,
           "central-bank balance sheet at reset")  # fmt: skip
    assert np.all(st.bf[kr.B_RES] >= 0) and np.all(st.bf[kr.B_ADV] >= 0) and np.all(st.bf[kr.B_EQ] > 0)
