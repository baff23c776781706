"""A plain-words verdict on a taxai evaluation: does the learned government beat the baselines?

:func:`taxai_verdict` reads the per-seed records of ``econ-envs evaluate`` / ``train --evaluate``
(:func:`econ_envs.rllib.evaluate.evaluate_taxai`) and judges the learned government against every
baseline government it was evaluated with (free market, U.S. federal, Saez, and best HSV where
that has been searched for the task), on the same households and the same seeds:

    d_s = (learned's task reward per year on seed s) - (baseline's on seed s)
    win   if mean(d) >  sd(d)
    lose  if mean(d) < -sd(d)
    tie   otherwise (the difference is within the seeds' spread)

with sd the sample standard deviation over the seeds (ddof = 1). One seed has no spread, so one
seed can show a difference but never decide: the outcome is ``undecided``. The learned government
wins overall only if it wins against every baseline with the households it trained with. Where it
does not, the verdict points to the experiment's ``WINNING_COMMAND`` (a string an ``rllib_configs``
file may define: a command known to train a winning government for its task) or says that none is
recorded. :func:`write_verdict` writes ``verdict.json`` and ``verdict.md``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

RULE = ("win = the mean paired difference (learned - baseline, same seed) is larger than the standard deviation "
        "of those differences over the seeds (sample sd, ddof=1); lose = smaller than minus that sd; tie = in "
        "between (within the seeds' spread); undecided = one seed only (no spread to judge by)")  # fmt: skip
BASELINE_NAMES = {"free_market": "free market", "us_federal": "U.S. federal", "saez": "Saez",
                  "best_hsv": "best HSV"}  # fmt: skip


def paired_outcome(learned: Sequence[float], baseline: Sequence[float]) -> dict[str, Any]:
    """Judge ``learned`` against ``baseline`` (values on the same seeds, same order) by :data:`RULE`."""
    if len(learned) != len(baseline):
        raise ValueError(f"paired values need the same seeds: {len(learned)} learned vs {len(baseline)} baseline")
    if not learned:
        raise ValueError("paired values: no seeds")
    d = [float(a) - float(b) for a, b in zip(learned, baseline)]
    if not all(math.isfinite(x) for x in d):
        raise ValueError(f"paired values must be finite, got differences {d}")
    n = len(d)
    mean = sum(d) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in d) / (n - 1)) if n > 1 else float("nan")
    if n == 1:
        outcome = "undecided"
    elif mean > sd:
        outcome = "win"
    elif mean < -sd:
        outcome = "lose"
    else:
        outcome = "tie"
    return {"mean_difference": mean, "sd_difference": None if n == 1 else sd, "seeds": n, "outcome": outcome}


def _mean_sd(v: list[float]) -> tuple[float, float | None]:
    m = sum(v) / len(v)
    return m, (math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1)) if len(v) > 1 else None)


def task_unit(task: str, gdp_reward: str = "level") -> str:
    """The unit of the government's task reward per year."""
    if task == "gdp":
        return {"level": "x calibrated GDP per household y0", "growth": "GDP growth rate (fraction per year)",
                "capital_growth": "100 x capital growth rate"}.get(gdp_reward, "task units")  # fmt: skip
    return {"gini": "1 - mean Gini index (0-1)", "social_welfare": "utils (mean household utility)",
            "gdp_gini": "x y0, times (1 - disposable-income Gini)"}.get(task, "task units")  # fmt: skip


def taxai_verdict(
    per_seed: list[dict[str, Any]],
    *,
    task: str,
    task_text: str,
    unit: str,
    n_households: int,
    episode_length: int,
    experiment: str | None = None,
    winning_command: str | None = None,
    checkpoint: str | None = None,
) -> dict[str, Any]:
    """The verdict from per-seed evaluation records (``government``, ``households``, ``seed``,
    ``task_reward_per_year``, ``years``, ``social_welfare``); see the module docstring."""
    groups: dict[str, dict[str, dict[int, dict[str, Any]]]] = {}
    for r in per_seed:
        groups.setdefault(r["households"], {}).setdefault(r["government"], {})[int(r["seed"])] = r
    comparisons = []
    for hh, govs in groups.items():
        if "learned" not in govs:
            continue
        seeds = sorted(govs["learned"])
        learned = [govs["learned"][s]["task_reward_per_year"] for s in seeds]
        lm, lsd = _mean_sd(learned)
        entry: dict[str, Any] = {
            "households": hh, "seeds": seeds,
            "learned": {"score": lm, "score_sd": lsd,
                        "years": _mean_sd([govs["learned"][s]["years"] for s in seeds])[0],
                        "social_welfare": _mean_sd([govs["learned"][s]["social_welfare"] for s in seeds])[0]},
            "baselines": [],
        }  # fmt: skip
        for gov, recs in govs.items():
            if gov == "learned":
                continue
            if sorted(recs) != seeds:
                raise ValueError(
                    f"verdict: baseline {gov!r} with {hh} households was played on seeds {sorted(recs)}, "
                    f"the learned government on {seeds}; the comparison needs the same seeds"
                )
            base = [recs[s]["task_reward_per_year"] for s in seeds]
            bm, bsd = _mean_sd(base)
            entry["baselines"].append({
                "government": gov, "name": BASELINE_NAMES.get(gov, gov), "score": bm, "score_sd": bsd,
                "years": _mean_sd([recs[s]["years"] for s in seeds])[0], **paired_outcome(learned, base),
            })  # fmt: skip
        comparisons.append(entry)
    if not comparisons:
        raise ValueError("verdict: the evaluation has no learned government to judge")
    main = comparisons[0]  # the households the government trained with come first in the evaluation
    outcomes = {b["government"]: b["outcome"] for b in main["baselines"]}
    wins = [BASELINE_NAMES.get(g, g) for g, o in outcomes.items() if o == "win"]
    others = {o: [BASELINE_NAMES.get(g, g) for g, x in outcomes.items() if x == o]
              for o in ("lose", "tie", "undecided")}  # fmt: skip
    wins_all = bool(outcomes) and len(wins) == len(outcomes)
    n = len(main["seeds"])
    if wins_all:
        overall = (
            f"The learned government beats every baseline ({', '.join(wins)}) on the {task} task with "
            f"{main['households'].replace('_', ' ')} households, by more than the spread over {n} seeds."
        )
    else:
        parts = []
        if wins:
            parts.append(f"beats {', '.join(wins)}")
        if others["lose"]:
            parts.append(f"loses to {', '.join(others['lose'])}")
        if others["tie"]:
            parts.append(f"ties with {', '.join(others['tie'])} (within the seeds' spread)")
        if others["undecided"]:
            parts.append(f"cannot be judged against {', '.join(others['undecided'])} on a single seed")
        overall = (
            f"The learned government does NOT beat every baseline on the {task} task: with "
            f"{main['households'].replace('_', ' ')} households (those it trained with) it "
            f"{'; it '.join(parts)}."
        )
    return {
        "task": task, "task_text": task_text, "unit": unit, "n_households": n_households,
        "episode_length_years": episode_length, "experiment": experiment, "checkpoint": checkpoint,
        "rule": RULE, "comparisons": comparisons, "wins_every_baseline": wins_all, "overall": overall,
        "winning_command": winning_command,
    }  # fmt: skip


def _seeds_text(seeds: list[int]) -> str:
    if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[0] + len(seeds))):
        return f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(str(s) for s in seeds)


def _clean(x: float) -> float:
    return 0.0 if abs(x) < 1e-12 else x  # rounding noise of a difference (7.85e-17) reads as 0


def _sd(x: float | None) -> str:
    return "n/a" if x is None else f"{_clean(x):.3g}"


def verdict_text(v: dict[str, Any]) -> str:
    """The verdict in plain words (Markdown)."""
    unit = v["unit"]
    lines = [f"## Verdict: {v['task']} task, {v['n_households']:,} households", "",
             f"**Task:** {v['task_text']}. Score = the government's task reward per year played ({unit}), "
             f"collapse penalty included; higher is better. Deterministic (mean) actions."]  # fmt: skip
    if v.get("checkpoint"):
        lines.append(f"**Checkpoint:** {v['checkpoint']}")
    for c in v["comparisons"]:
        L = c["learned"]
        lines += ["", f"**With {c['households'].replace('_', ' ')} households** (evaluation seeds "
                      f"{_seeds_text(c['seeds'])}, paired: every government plays the same seeds):", "",
                  "| government | task reward per year, mean ± sd (ddof=1) | years survived (of "
                  f"{v['episode_length_years']}) | learned - baseline, mean ± sd over the seeds | outcome |",
                  "|---|---|---|---|---|",
                  f"| learned | {L['score']:.4g} ± {_sd(L['score_sd'])} | {L['years']:.0f} | | |"]  # fmt: skip
        for b in c["baselines"]:
            diff = f"{_clean(b['mean_difference']):+.3g} ± {_sd(b['sd_difference'])}"
            lines.append(
                f"| {b['name']} | {b['score']:.4g} ± {_sd(b['score_sd'])} | {b['years']:.0f} | {diff} | "
                f"**{b['outcome'].upper()}** |"
            )
    lines += ["", f"**Rule:** {v['rule']}.", "", f"**Overall:** {v['overall']}"]
    if not v["wins_every_baseline"]:
        if v.get("winning_command"):
            lines += ["", f"A command that trains a winning government for this task: `{v['winning_command']}`"]
        else:
            exp = f"experiment {v['experiment']}" if v.get("experiment") else "experiment"
            lines += ["", f"No command known to train a winning government for this task is recorded: the {exp} "
                          "sets no WINNING_COMMAND."]  # fmt: skip
    return "\n".join(lines) + "\n"


def write_verdict(v: dict[str, Any], *dirs: str | Path) -> str:
    """Write ``verdict.json`` and ``verdict.md`` into each of ``dirs``; return the Markdown."""
    text = verdict_text(v)
    for d in dirs:
        d = Path(d)
        d.mkdir(parents=True, exist_ok=True)
        (d / "verdict.json").write_text(json.dumps(v, indent=2) + "\n")
        (d / "verdict.md").write_text(text)
    return text
