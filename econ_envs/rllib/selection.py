"""Honest model selection: keep the checkpoint that plays best on fixed held-out seeds, not the last one.

``econ-envs train CONFIG --select-every N [--select-seeds 1001,1002,...]`` (or ``train(...,
select_every=N, select_seeds=[...])``, or ``SELECTION = {"every": N, "seeds": [...]}`` in the
experiment file): every N training iterations, and after the last one, the current modules play one
episode on each held-out seed with their mean actions (``explore=False``), through the family's own
evaluation of trained modules (taxai: :func:`econ_envs.rllib.evaluate.taxai_selection_score`, the
``learned`` row of ``econ-envs evaluate``). The score is the task's reward per year played (the
government's reward, collapse penalty included), averaged over the seeds; years survived and social
welfare per year are reported beside it.

What the run folder (``OUT/CONFIG/run_<start time>/``) gains:

* ``best/`` - a complete checkpoint (RLlib's files and ``econ_envs_checkpoint.json``) of the
  best-scoring iteration so far, with ``selection.json`` (iteration, score, its sd over the seeds,
  years, social welfare, the seeds, per-seed values). A new checkpoint replaces it only when its score
  is strictly higher. The swap is atomic: the new one is written complete as ``best.new/`` (its JSON
  last), then ``best/`` -> ``best.old/``, ``best.new/`` -> ``best/``, and ``best.old/`` removed; a run
  killed anywhere in between finds the best complete candidate again when it resumes
  (:meth:`BestCheckpoint.recover`).
* ``selection.csv`` - one row per selection evaluation (iteration, score, sd, years, social welfare,
  best so far, whether it became the new best, seconds);
* the result rows (``result.json``, ``progress.csv``, TensorBoard) get ``selection/score``,
  ``selection/score_sd``, ``selection/years``, ``selection/social_welfare``, ``selection/best_score``,
  ``selection/best_iteration``, ``selection/new_best`` and ``selection/seconds`` on the iterations evaluated.

``--resume`` keeps ``best/`` and its score: a later iteration must beat it. Rows of ``selection.csv``
after the resumed checkpoint are dropped with the result rows they belong to (which move to
``discarded_results.json``, their ``selection`` values included); ``best/`` stays even when it came
from one of those iterations: it is a model that was trained and scored on the same seeds.

Seeds. Training episodes start from seeds derived from the experiment's ``seed`` argument
(``--set seed=S``, passed to ``AlgorithmConfig.debugging(seed=S)``; 0 by default): the batched
population path resets economy k of env runner w with ``S + 10000 w + k`` (w = 0 for the local runner),
RLlib's per-agent path with ``S + w`` (its vector envs ``S + w + k``); later episodes continue each
economy's own random stream unseeded. Held-out selection seeds must differ from those, and must lie
below 10000, where the final evaluation's seeds start (``econ-envs evaluate``, ``train --evaluate``:
10000, 10001, ...), so that the model is never chosen on the seeds it is judged on. The default
is :data:`DEFAULT_SELECT_SEEDS`.

Families: taxai (``taxai-v0`` and the planner view). Selection elsewhere raises a clear error: the
other families' evaluations (monetary, rbc, mean-field) score fixed seeds together with all their
baselines and do not play the learned modules alone on given seeds.
"""

from __future__ import annotations

import csv
import math
import os
import shutil
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

DEFAULT_SELECT_SEEDS = (1001, 1002, 1003, 1004, 1005)
BEST_DIR = "best"
SELECTION_FILE = "selection.json"  # inside best/
SELECTION_CSV = "selection.csv"
SELECTION_FORMAT = "econ_envs.selection/1"
CSV_COLUMNS = ("iteration", "score", "score_sd", "years", "social_welfare", "collapsed", "best_score",
               "best_iteration", "new_best", "seconds")  # fmt: skip
TAXAI_ENVS = ("taxai-v0", "econ_envs/TaxAI-Planner-v0")


# ------------------------------------------------------------------------------ seeds
def parse_seeds(value: str | Iterable[int] | None) -> tuple[int, ...]:
    """Held-out seeds from ``"1001,1002"`` or a sequence of ints; ``None`` gives the defaults."""
    if value is None:
        return DEFAULT_SELECT_SEEDS
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",") if p.strip()]
        try:
            seeds = [int(p) for p in parts]
        except ValueError:
            raise ValueError(f"--select-seeds must be comma-separated integers, got {value!r}") from None
    else:
        seeds = list(value)
        for s in seeds:
            if isinstance(s, bool) or not isinstance(s, int):
                raise ValueError(f"select_seeds must be integers, got {s!r} in {value!r}")
    if not seeds:
        raise ValueError("--select-seeds: give at least one seed")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"--select-seeds must not repeat a seed, got {seeds}")
    from econ_envs.rllib.evaluate import EVAL_SEED0

    bad = [s for s in seeds if not 0 <= s < EVAL_SEED0]
    if bad:
        raise ValueError(f"--select-seeds {bad}: held-out seeds must lie in 0..{EVAL_SEED0 - 1} (the final "
                         f"evaluation's seeds start at {EVAL_SEED0})")  # fmt: skip
    return tuple(int(s) for s in seeds)


def training_seeds(config: Any) -> list[int]:
    """The seeds the training episodes of ``config`` start from (see the module docstring); [] if unseeded."""
    from econ_envs.rllib.population import PopulationEnvRunner

    if config.seed is None:
        return []
    base = int(config.seed)
    runners = int(config.num_env_runners or 0)
    workers = [0] if runners == 0 else list(range(1, runners + 1))
    n_envs = max(1, int(config.num_envs_per_env_runner or 1))
    cls = config.env_runner_cls
    if isinstance(cls, type) and issubclass(cls, PopulationEnvRunner):
        return sorted({base + 10_000 * w + k for w in workers for k in range(n_envs)})
    return sorted({base + w + k for w in workers for k in range(n_envs)})


def check_seeds(seeds: tuple[int, ...], train_seeds: list[int]) -> None:
    clash = sorted(set(seeds) & set(train_seeds))
    if clash:
        raise ValueError(f"--select-seeds {clash} are also training seeds (this run trains on {train_seeds}; "
                         "set by the experiment's seed, --set seed=S): choose held-out seeds")  # fmt: skip


def family_scorer(env_id: Any) -> Callable[..., dict[str, Any]]:
    """The selection score function of an economy, or a clear error naming the family."""
    if env_id in TAXAI_ENVS:
        from econ_envs.rllib.evaluate import taxai_selection_score

        return taxai_selection_score
    family = repr(env_id)
    if isinstance(env_id, str):
        head, _, tail = env_id.partition("/")
        family = (tail if head == "econ_envs" else head if tail else env_id).split("-")[0].lower()
    raise ValueError(f"--select-every: model selection is not available for the {family} family ({env_id}); "
                     f"it needs an evaluation that plays the learned modules alone on given seeds, which only "
                     f"the taxai family has ({', '.join(TAXAI_ENVS)})")  # fmt: skip


# ------------------------------------------------------------------------------ the best checkpoint
def _finite(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    return float(x) if math.isfinite(float(x)) else None


def read_selection(path: Path) -> dict[str, Any]:
    """The ``selection.json`` of a best checkpoint, checked; a malformed file raises ValueError naming it."""
    from econ_envs.rllib.checkpoints import read_json

    info = read_json(path, "best checkpoint")
    if info.get("format") != SELECTION_FORMAT:
        raise ValueError(f"best checkpoint: {path} has format {info.get('format')!r}, expected {SELECTION_FORMAT!r} "
                         "(delete the folder to start the selection afresh)")  # fmt: skip
    it = info.get("iteration")
    if isinstance(it, bool) or not isinstance(it, int) or it < 1:
        raise ValueError(f"best checkpoint: {path}: 'iteration' must be a positive integer, got {it!r}")
    if _finite(info.get("score")) is None:
        raise ValueError(f"best checkpoint: {path}: 'score' must be a finite number, got {info.get('score')!r}")
    seeds = info.get("seeds")
    if not isinstance(seeds, list) or not seeds or any(isinstance(s, bool) or not isinstance(s, int) for s in seeds):
        raise ValueError(f"best checkpoint: {path}: 'seeds' must be a list of integers, got {seeds!r}")
    return info


def find_best(trial_dir: str | Path) -> tuple[Path, dict[str, Any]] | None:
    """(folder, selection info) of a run folder's best checkpoint, or None when it has none."""
    best = Path(trial_dir) / BEST_DIR
    if not (best / SELECTION_FILE).is_file():
        return None
    return best, read_selection(best / SELECTION_FILE)


class BestCheckpoint:
    """The best checkpoint of one run folder and the selection log (see the module docstring)."""

    def __init__(self, trial_dir: str | Path, seeds: tuple[int, ...]) -> None:
        self.dir = Path(trial_dir)
        self.seeds = tuple(seeds)
        self.path = self.dir / BEST_DIR
        self.csv_path = self.dir / SELECTION_CSV
        self.info: dict[str, Any] | None = None
        self.recover()

    @property
    def score(self) -> float | None:
        return None if self.info is None else float(self.info["score"])

    @property
    def iteration(self) -> int | None:
        return None if self.info is None else int(self.info["iteration"])

    def recover(self) -> None:
        """Make ``best/`` the best complete candidate left by a run killed during a swap; read its score.

        Candidates: ``best/``, ``best.new/`` (written complete, not yet swapped in) and ``best.old/``
        (swapped out, not yet removed). One without ``selection.json`` is incomplete and removed; a
        ``selection.json`` that is not valid raises ValueError naming it (never silently replaced).
        """
        from econ_envs.rllib.checkpoints import META_FILE

        found: list[tuple[float, int, Path, dict[str, Any]]] = []
        for rank, name in enumerate((BEST_DIR, BEST_DIR + ".new", BEST_DIR + ".old")):
            p = self.dir / name
            if not p.exists():
                continue
            if not (p / SELECTION_FILE).is_file() or not (p / META_FILE).is_file():
                if name == BEST_DIR:
                    raise ValueError(
                        f"best checkpoint: {p} lacks {SELECTION_FILE} or {META_FILE}; it is not a "
                        "complete best checkpoint (move it away to start the selection afresh)"
                    )
                shutil.rmtree(p, ignore_errors=True)
                continue
            info = read_selection(p / SELECTION_FILE)
            found.append((float(info["score"]), -rank, p, info))
        shutil.rmtree(self.dir / (BEST_DIR + ".new.partial"), ignore_errors=True)
        if not found:
            self.info = None
            return
        _, _, keep, info = max(found, key=lambda t: (t[0], t[1]))
        if sorted(info["seeds"]) != sorted(self.seeds):
            raise ValueError(f"best checkpoint {keep}: scored on seeds {info['seeds']}, this run selects on "
                             f"{list(self.seeds)}; scores on other seeds cannot be compared")  # fmt: skip
        if keep != self.path:
            if self.path.exists():
                os.replace(self.path, self.dir / (BEST_DIR + ".stale"))
            os.replace(keep, self.path)
        for name in (BEST_DIR + ".new", BEST_DIR + ".old", BEST_DIR + ".stale"):
            shutil.rmtree(self.dir / name, ignore_errors=True)
        self.info = read_selection(self.path / SELECTION_FILE)

    def offer(self, result: dict[str, Any], iteration: int, save: Callable[[Path], Any]) -> bool:
        """Keep the model scored by ``result`` as the new best if its score is strictly higher; ``save(path)``
        writes the algorithm's checkpoint to the new folder ``path``. Returns whether it became the best."""
        from econ_envs.rllib.checkpoints import write_json_atomic

        score = _finite(result.get("score"))
        if score is None or (self.score is not None and score <= self.score):
            return False
        new = self.dir / (BEST_DIR + ".new")
        shutil.rmtree(new, ignore_errors=True)
        save(new)
        info = {
            "format": SELECTION_FORMAT, "iteration": int(iteration), "score": score,
            "score_sd": _finite(result.get("score_sd")), "years": _finite(result.get("years")),
            "social_welfare": _finite(result.get("social_welfare")), "collapsed": _finite(result.get("collapsed")),
            "episode_length": result.get("episode_length"), "task": result.get("task"),
            "seeds": list(self.seeds), "per_seed": result.get("per_seed", []),
            "score_unit": "the task's reward per year played (the government's reward), mean over the seeds",
            "selected_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }  # fmt: skip
        write_json_atomic(new / SELECTION_FILE, info)
        old = self.dir / (BEST_DIR + ".old")
        if self.path.exists():
            os.replace(self.path, old)
        os.replace(new, self.path)
        shutil.rmtree(old, ignore_errors=True)
        self.info = info
        return True

    def summary(self, every: int) -> dict[str, Any]:
        """The selection settings and the best checkpoint, for ``train_stats.json``."""
        info = self.info or {}
        return {
            "every": every,
            "seeds": list(self.seeds),
            "best_checkpoint": None if self.info is None else str(self.path),
            "best_iteration": self.iteration,
            "best_score": self.score,
            "best_score_sd": info.get("score_sd"),
            "best_years": info.get("years"),
            "best_social_welfare": info.get("social_welfare"),
            "log": str(self.csv_path),
        }

    # ------------------------------------------------------------------ selection.csv
    def log(self, row: dict[str, Any]) -> None:
        new_file = not self.csv_path.exists()
        with open(self.csv_path, "a", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(CSV_COLUMNS), extrasaction="ignore")
            if new_file:
                w.writeheader()
            w.writerow(row)
            f.flush()
            os.fsync(f.fileno())

    def rows(self) -> list[dict[str, str]]:
        if not self.csv_path.exists():
            return []
        with open(self.csv_path, newline="") as f:
            return list(csv.DictReader(f))

    def truncate(self, iteration: int) -> None:
        """Drop the rows after ``iteration`` (a resume trains those iterations again)."""
        rows = self.rows()
        if not rows:
            return
        keep = [r for r in rows if int(r["iteration"]) <= iteration]
        tmp = self.csv_path.with_name(SELECTION_CSV + ".tmp")
        with open(tmp, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(CSV_COLUMNS), extrasaction="ignore")
            w.writeheader()
            w.writerows(keep)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.csv_path)


def select(algo: Any, keeper: BestCheckpoint, save: Callable[[Path], Any], verbose: int = 1) -> dict[str, Any]:
    """Score the algorithm's current modules on the held-out seeds, keep them if best; the result row's part."""
    from econ_envs.core.progress import Progress

    scorer = family_scorer(algo.config.env)
    t0 = time.perf_counter()
    bar = Progress(len(keeper.seeds), f"select (iteration {algo.iteration})", unit="episodes", enabled=verbose > 0)
    try:
        res = scorer(algo, list(keeper.seeds), progress=bar)
    finally:
        bar.close()
    previous = keeper.score
    new_best = keeper.offer(res, algo.iteration, save)
    row = {
        "score": res["score"], "score_sd": res["score_sd"], "years": res["years"],
        "social_welfare": res["social_welfare"], "collapsed": res["collapsed"],
        "best_score": keeper.score, "best_iteration": keeper.iteration, "new_best": int(new_best),
        "seconds": time.perf_counter() - t0,
    }  # fmt: skip
    keeper.log({"iteration": algo.iteration, **row})
    if verbose:
        seeds = keeper.seeds
        if new_best:
            verdict = "new best checkpoint" + ("" if previous is None else f" (previous best {previous:.4g})")
        else:
            verdict = f"the best stays iteration {keeper.iteration} ({keeper.score:.4g} per year)"
        print(f"selection at iteration {algo.iteration}: task reward {res['score']:.4g} ± {res['score_sd']:.2g} per "
              f"year (mean ± sd over held-out seeds {_seed_text(seeds)}), {res['years']:.4g} of "
              f"{res['episode_length']} years survived, social welfare {res['social_welfare']:.4g} utils per year; "
              f"{verdict}", flush=True)  # fmt: skip
    return row


def _seed_text(seeds: tuple[int, ...] | list[int]) -> str:
    seeds = list(seeds)
    if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[0] + len(seeds))):
        return f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(str(s) for s in seeds)


# ------------------------------------------------------------------------------ what `evaluate` plays
def resolve_for_evaluation(path: str | Path) -> tuple[Path, str | None, dict[str, Any] | None]:
    """(checkpoint folder to evaluate, a line saying which and why or None, selection info or None).

    ``path`` may be a checkpoint or export folder (evaluated as given; if its run has a best checkpoint
    that is another folder, the line says so), a run folder (``run_<start time>``: its best checkpoint,
    else its latest), or an experiment folder holding run folders (its latest run, likewise).
    """
    from econ_envs.rllib.checkpoints import list_checkpoints
    from econ_envs.rllib.train import RUN_FILE, latest_trial_dir

    p = Path(path).resolve()
    if not p.is_dir():
        return p, None, None
    run = None
    if (p / RUN_FILE).is_file():
        run = p
    elif any(q.is_dir() and (q / RUN_FILE).is_file() for q in p.glob("run_*")):
        run = latest_trial_dir(p)
    if run is not None:
        best = find_best(run)
        if best is not None:
            folder, info = best
            return folder, (f"evaluating the best checkpoint of {run}: iteration {info['iteration']}, task reward "
                            f"{info['score']:.4g} per year on held-out seeds {_seed_text(info['seeds'])} "
                            f"({folder})"), info  # fmt: skip
        ckpts = list_checkpoints(run)
        if not ckpts:
            raise ValueError(f"{run} has no complete checkpoint to evaluate")
        it, folder = ckpts[-1]
        return folder, (f"evaluating the latest checkpoint of {run} (iteration {it}; the run kept no best "
                        f"checkpoint: train with --select-every N to keep one)"), None  # fmt: skip
    if p.name != BEST_DIR:
        best = find_best(p.parent) if (p.parent / RUN_FILE).is_file() else None
        if best is not None:
            folder, info = best
            return p, (f"note: evaluating {p.name} as asked; its run's best checkpoint is {folder} (iteration "
                       f"{info['iteration']}, task reward {info['score']:.4g} per year on held-out seeds "
                       f"{_seed_text(info['seeds'])})"), None  # fmt: skip
        return p, None, None
    info = read_selection(p / SELECTION_FILE) if (p / SELECTION_FILE).is_file() else None
    return p, None, info
