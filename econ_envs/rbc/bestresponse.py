"""Fixed-tax welfare table and fixed-policy best-response checks, evaluated as batches of replicas.

The economy has no shocks and the baseline rules are deterministic, so one
replica per candidate policy gives its exact episode return; all candidates of
one check run together as the replicas of one :class:`RBCVectorEnv`.

* :func:`fixed_tax_table` - social welfare (the government's episode return) for
  every (income-tax, corporate-tax) pair held fixed, others on their rules.
* :func:`government_best_response` - the government's exact best response among
  its fixed actions (an exhaustive search over all of them) against the fixed
  consumer and firm rules, the resulting gain over the baseline tax, and a
  sequence search (per-quarter coordinate ascent from the best fixed action),
  whose gain is a lower bound on the best response over all tax sequences.
  :func:`all_tax_sequences` enumerates every sequence for short episodes.
* :func:`type_best_response` - for consumers and firms: a search over a family of
  rules applied to the whole type (the original's meta-game deviation: the shared
  policy of every agent of the type changes), giving a lower bound on that
  type's best-response gain.

Gains are reported as the original's epsilon: the best-response improvement of
the type's mean episode reward, absolute and relative to the baseline
(|baseline|). The original divides by the improvement achieved during RL
training instead; there is no training here.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from econ_envs.rbc.params import RBCParams
from econ_envs.rbc.policies import BudgetShare, CostPlus, FixedPriceWage, FixedTax, Profile, rule_profile
from econ_envs.rbc.vector import RBCVectorEnv

ActFn = Callable[[dict[str, np.ndarray], int], dict[str, np.ndarray]]


def run_episode(params: RBCParams, replicas: int, act: ActFn, parallel: bool | None = None) -> dict[str, np.ndarray]:
    """One episode of ``replicas`` replicas; ``act(raw_obs, t)`` returns actions by role (replicas first).

    Returns per-replica episode returns: ``consumer`` (mean over consumers of the summed
    reward), ``firm`` (mean over firms), ``government`` (social welfare: summed reward).
    """
    venv = RBCVectorEnv(params, n_replicas=replicas, parallel=parallel)
    venv.reset(seed=0)
    totals = {"consumer": np.zeros(replicas), "firm": np.zeros(replicas), "government": np.zeros(replicas)}
    for t in range(params.episode_length):
        res = venv.step(act(venv.raw_observations(), t))
        totals["consumer"] += res.rewards["consumer"].mean(1)
        totals["firm"] += res.rewards["firm"].mean(1)
        totals["government"] += res.rewards["government"][:, 0]
    return totals


def _with(profile: Profile, role: str, actions_by_replica: Callable[[dict[str, np.ndarray], int], np.ndarray]) -> ActFn:
    def act(raw: dict[str, np.ndarray], t: int) -> dict[str, np.ndarray]:
        out = {r: rule(raw[r]) for r, rule in profile.rules.items() if r != role}
        out[role] = actions_by_replica(raw, t)
        return out

    return act


def _check_replicas(replicas: int) -> int:
    if isinstance(replicas, bool) or not isinstance(replicas, (int, np.integer)) or replicas < 1:
        raise ValueError(f"replicas must be an integer >= 1 (replicas per candidate), got {replicas!r}")
    return int(replicas)


def fixed_tax_table(params: RBCParams, profile: Profile | None = None, replicas: int = 1) -> dict[str, Any]:
    """Episode returns for every fixed (income, corporate) tax pair; others follow ``profile``'s rules.

    Returns ``income_tax`` and ``corporate_tax`` (the grids) and arrays of shape
    (n_income, n_corporate): ``welfare`` (social welfare per episode, utils),
    ``consumer`` (mean consumer utility per episode), ``firm`` (mean firm reward per
    episode, $). ``replicas`` > 1 averages every candidate over that many replicas (for
    profiles that sample their actions; candidate k is replicas k x replicas ... (k+1) x replicas - 1).
    """
    profile = profile or rule_profile(params)
    R = _check_replicas(replicas)
    n = params.n_government_actions
    idx = np.repeat(np.arange(n, dtype=np.int64), R)[:, None]
    res = run_episode(params, n * R, _with(profile, "government", lambda raw, t: idx))
    shape = (len(params.income_tax_choices), len(params.corporate_tax_choices))
    return {
        "income_tax": list(params.income_tax_choices),
        "corporate_tax": list(params.corporate_tax_choices),
        "welfare": res["government"].reshape(n, R).mean(1).reshape(shape),
        "consumer": res["consumer"].reshape(n, R).mean(1).reshape(shape),
        "firm": res["firm"].reshape(n, R).mean(1).reshape(shape),
    }


def _sequence_returns(params: RBCParams, profile: Profile, sequences: np.ndarray, replicas: int = 1) -> np.ndarray:
    """Social welfare of each government action sequence (rows of ``sequences``, (S, T)), mean over ``replicas``."""
    seq = np.repeat(np.ascontiguousarray(sequences, dtype=np.int64), replicas, axis=0)
    res = run_episode(params, seq.shape[0], _with(profile, "government", lambda raw, t: seq[:, t : t + 1]))
    return res["government"].reshape(-1, replicas).mean(1)


def government_best_response(
    params: RBCParams, profile: Profile | None = None, max_passes: int = 3, replicas: int = 1
) -> dict[str, Any]:
    """Exact best response of the government among its fixed actions, and a sequence search.

    The baseline is the government rule of ``profile`` (default: the rule profile's
    fixed 20 %/20 % taxes), against the profile's consumer and firm rules. ``replicas``
    > 1 averages every candidate (and the baseline) over that many replicas, for profiles
    that sample their actions.
    """
    profile = profile or rule_profile(params)
    R = _check_replicas(replicas)
    base_rule = profile.rules["government"]
    table = fixed_tax_table(params, profile, replicas=R)
    flat = table["welfare"].reshape(-1)
    T = params.episode_length
    n = params.n_government_actions
    baseline = float(run_episode(params, R, lambda raw, t: profile.actions(raw, np.random.default_rng(0)))
                     ["government"].mean())  # fmt: skip
    base_name = getattr(base_rule, "name", "custom")
    best = int(np.argmax(flat))
    best_fixed = float(flat[best])
    # sequence search: per-quarter coordinate ascent from the best fixed action (the action of the last
    # quarter sets taxes for a quarter that never comes, so only the first T-1 matter)
    seq = np.full(T, best, dtype=np.int64)
    value = best_fixed
    passes = 0
    for _ in range(max_passes):
        passes += 1
        improved = False
        for t in range(max(T - 1, 0)):
            cand = np.tile(seq, (n, 1))
            cand[:, t] = np.arange(n)
            vals = _sequence_returns(params, profile, cand, R)
            k = int(np.argmax(vals))
            if vals[k] > value + 1e-9 * max(1.0, abs(value)):
                seq, value, improved = cand[k].copy(), float(vals[k]), True
        if not improved:
            break
    inc, cor = FixedTax.from_index(params, best).income_tax, FixedTax.from_index(params, best).corporate_tax
    scale = abs(baseline) if baseline != 0 else 1.0
    return {
        "baseline": base_name,
        "baseline_welfare": baseline,
        "best_fixed_action": best,
        "best_fixed_rates": (inc, cor),
        "best_fixed_welfare": best_fixed,
        "gain": best_fixed - baseline,
        "epsilon": (best_fixed - baseline) / scale,
        "sequence": seq.tolist(),
        "sequence_welfare": value,
        "sequence_gain": value - baseline,
        "sequence_epsilon": (value - baseline) / scale,
        "sequence_passes": passes,
        "table": table,
    }


def all_tax_sequences(params: RBCParams, profile: Profile | None = None, max_sequences: int = 50_000) -> dict[str, Any]:
    """Social welfare of every government action sequence (exhaustive; for short episodes only).

    The last quarter's action never takes effect, so sequences differ only in the first
    T-1 actions: n_actions^(T-1) episodes, batched as replicas.
    """
    profile = profile or rule_profile(params)
    T, n = params.episode_length, params.n_government_actions
    count = n ** max(T - 1, 0)
    if count > max_sequences:
        raise ValueError(f"{count:,} sequences for T={T} exceed max_sequences={max_sequences:,}; shorten the episode")
    seqs = np.array(list(itertools.product(range(n), repeat=max(T - 1, 0))), dtype=np.int64).reshape(count, -1)
    seqs = np.concatenate([seqs, np.zeros((count, 1), dtype=np.int64)], axis=1)
    vals = np.empty(count)
    chunk = 2048
    for lo in range(0, count, chunk):
        vals[lo : lo + chunk] = _sequence_returns(params, profile, seqs[lo : lo + chunk])
    k = int(np.argmax(vals))
    return {"best_sequence": seqs[k].tolist(), "best_welfare": float(vals[k]), "welfare": vals, "sequences": seqs}


def _candidates(params: RBCParams, role: str) -> list[Any]:
    if role == "consumer":
        shares = [round(0.1 * k, 1) for k in range(11)]
        fixed = [BudgetShare(params, share=s, hours=h, labour="fixed") for s in shares for h in params.hours_choices]
        return [BudgetShare(params, share=s) for s in shares] + fixed
    if role == "firm":
        fixed = [FixedPriceWage(params, price=p, wage=w) for p in params.price_choices for w in params.wage_choices]
        markups = (0.0, 0.25, 0.5, 1.0)
        return fixed + [CostPlus(params, markup=m, wage=w) for m in markups for w in params.wage_choices]
    raise ValueError(f"type best response is for 'consumer' or 'firm', got {role!r}")


def type_best_response(
    params: RBCParams, role: str, profile: Profile | None = None, candidates: Sequence[Any] | None = None
) -> dict[str, Any]:
    """Best rule for a whole agent type against the others' fixed rules (a lower bound on the BR gain).

    Candidates (default): consumers - budget shares 0, 0.1, ..., 1 x (marginal labour supply
    or every fixed hours choice);
    firms - every fixed (price, wage) pair and cost-plus mark-ups 0/25/50/100 % x every
    wage. The baseline rule of ``profile`` is evaluated in the same batch.
    """
    profile = profile or rule_profile(params)
    cands = list(candidates) if candidates is not None else _candidates(params, role)
    rules = [profile.rules[role]] + cands
    R = len(rules)

    def acts(raw: dict[str, np.ndarray], t: int) -> np.ndarray:
        return np.concatenate([rules[b](raw[role][b : b + 1]) for b in range(R)], axis=0)

    res = run_episode(params, R, _with(profile, role, acts))[role]
    baseline = float(res[0])
    k = int(np.argmax(res[1:])) + 1
    best = max(float(res[k]), baseline)
    scale = abs(baseline) if baseline != 0 else 1.0
    return {
        "role": role,
        "baseline": getattr(rules[0], "name", "baseline"),
        "baseline_reward": baseline,
        "best_rule": getattr(rules[k], "name", str(k)) if res[k] > baseline else getattr(rules[0], "name", "baseline"),
        "best_reward": best,
        "gain": best - baseline,
        "epsilon": (best - baseline) / scale,
        "candidates": R - 1,
    }


def epsilon_report(params: RBCParams, profile: Profile | None = None) -> dict[str, dict[str, Any]]:
    """Best-response gain (epsilon) per agent type against the baseline profile."""
    profile = profile or rule_profile(params)
    gov = government_best_response(params, profile)
    return {
        "consumer": type_best_response(params, "consumer", profile),
        "firm": type_best_response(params, "firm", profile),
        "government": gov,
    }
