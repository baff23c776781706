"""The results of one training run on disk, written so that a killed run can resume without loss.

A run folder (``OUT/CONFIG/run_<start time>/``) holds:

* ``result.json`` - one JSON line per training iteration (the nested result dict); the source
  of truth. Each line is flushed and fsynced before the iteration's checkpoint is written, so
  every checkpoint's iteration has its line;
* ``progress.csv`` - the same rows flattened (``a/b/c`` columns); rewritten whole when a
  new column appears, so it is always rectangular;
* ``events.out.tfevents.*`` - TensorBoard scalars, one per numeric column and iteration
  (step = training iteration);
* ``discarded_results.json`` - rows of iterations that a resume had to redo (trained after
  the last checkpoint by a run that was then killed), kept for the record, with the time of
  the resume.

:meth:`RunLog.truncate` cuts the log back to a checkpoint's iteration: rows up to it are
kept byte for byte in ``result.json`` (and unchanged in the CSV), later ones move to
``discarded_results.json``, and the TensorBoard files are rewritten from the kept rows, so
nothing is logged twice.
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

RESULT_FILE = "result.json"
PROGRESS_FILE = "progress.csv"
DISCARDED_FILE = "discarded_results.json"
SKIP_KEYS = ("config",)  # the full AlgorithmConfig: large and not a metric


def flatten(d: dict, prefix: str = "") -> dict[str, Any]:
    out = {}
    for k, v in d.items():
        key = f"{prefix}/{k}" if prefix else str(k)
        if isinstance(v, dict):
            out.update(flatten(v, key))
        else:
            out[key] = v
    return out


def _jsonable(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def _cell(v: Any) -> Any:
    if isinstance(v, (list, tuple, np.ndarray)):
        return json.dumps(v, default=_jsonable)
    if isinstance(v, np.generic):
        return v.item()
    return v


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        f = float(v)
        return f if math.isfinite(f) else None
    return None


def read_result_lines(path: Path) -> list[str]:
    """The complete lines of ``result.json``; a half-written last line (a killed run) is dropped."""
    if not path.exists():
        return []
    text = path.read_text()
    lines = text.split("\n")
    out = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            if i >= len(lines) - 2:  # the last line, cut off by a kill
                break
            raise ValueError(f"{path}: line {i + 1} is not valid JSON") from None
        if not isinstance(row, dict) or not isinstance(row.get("training_iteration"), int):
            raise ValueError(f"{path}: line {i + 1} is not a result row with an integer training_iteration")
        out.append(line)
    return out


class RunLog:
    """Appends training results to a run folder (see the module docstring)."""

    def __init__(self, trial_dir: Path) -> None:
        self.dir = Path(trial_dir)
        self.result_path = self.dir / RESULT_FILE
        self.csv_path = self.dir / PROGRESS_FILE
        self.rows: list[dict[str, Any]] = [json.loads(line) for line in read_result_lines(self.result_path)]
        self.columns: list[str] = []
        for r in self.rows:
            self._add_columns(flatten(r))
        self._tb: Any = None

    # ------------------------------------------------------------------ public
    def flat_rows(self) -> list[dict[str, Any]]:
        return [flatten(r) for r in self.rows]

    def last_iteration(self) -> int:
        return int(self.rows[-1]["training_iteration"]) if self.rows else 0

    def truncate(self, iteration: int) -> list[int]:
        """Keep the rows up to ``iteration``; move later ones to discarded_results.json; rewrite the
        CSV and TensorBoard files from the kept rows. Returns the discarded iterations."""
        lines = read_result_lines(self.result_path)
        keep = [ln for ln in lines if json.loads(ln)["training_iteration"] <= iteration]
        drop = [ln for ln in lines if json.loads(ln)["training_iteration"] > iteration]
        its = [json.loads(ln)["training_iteration"] for ln in keep]
        if its != list(range(1, iteration + 1)):
            raise ValueError(f"{self.result_path}: rows for iterations {its[:5]}...{its[-5:]} do not cover "
                             f"1..{iteration}, the checkpoint's iteration")  # fmt: skip
        if drop:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
            with open(self.dir / DISCARDED_FILE, "a") as f:
                for ln in drop:
                    f.write(json.dumps({"discarded_at": stamp, "resumed_from_iteration": iteration,
                                        "row": json.loads(ln)}) + "\n")  # fmt: skip
                f.flush()
                os.fsync(f.fileno())
        tmp = self.result_path.with_name(RESULT_FILE + ".tmp")
        with open(tmp, "w") as f:
            f.write("".join(ln + "\n" for ln in keep))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.result_path)
        self.rows = [json.loads(ln) for ln in keep]
        self.columns = []
        for r in self.rows:
            self._add_columns(flatten(r))
        self._rewrite_csv()
        self._rewrite_tensorboard()
        return [json.loads(ln)["training_iteration"] for ln in drop]

    def append(self, result: dict[str, Any]) -> dict[str, Any]:
        """Log one iteration's result; returns the row as stored (without the config)."""
        row = {k: v for k, v in result.items() if k not in SKIP_KEYS}
        line = json.dumps(row, default=_jsonable)
        row = json.loads(line)
        with open(self.result_path, "a") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.rows.append(row)
        flat = flatten(row)
        if self._add_columns(flat) or not self.csv_path.exists():
            self._rewrite_csv()
        else:
            with open(self.csv_path, "a", newline="") as f:
                csv.DictWriter(f, fieldnames=self.columns).writerow({k: _cell(v) for k, v in flat.items()})
        self._log_tensorboard(flat)
        return row

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()
            self._tb = None

    # ------------------------------------------------------------------ internals
    def _add_columns(self, flat: dict[str, Any]) -> bool:
        new = [k for k in flat if k not in set(self.columns)]
        self.columns.extend(new)
        return bool(new)

    def _rewrite_csv(self) -> None:
        tmp = self.csv_path.with_name(PROGRESS_FILE + ".tmp")
        with open(tmp, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=self.columns)
            w.writeheader()
            for r in self.rows:
                w.writerow({k: _cell(v) for k, v in flatten(r).items()})
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.csv_path)

    def _writer(self) -> Any:
        if self._tb is None:
            from tensorboardX import SummaryWriter

            self._tb = SummaryWriter(logdir=str(self.dir), flush_secs=10)
        return self._tb

    def _log_tensorboard(self, flat: dict[str, Any], flush: bool = True) -> None:
        step = int(flat["training_iteration"])
        walltime = _number(flat.get("timestamp"))
        w = self._writer()
        for k, v in flat.items():
            x = _number(v)
            if x is not None and k != "training_iteration":
                w.add_scalar(k, x, global_step=step, walltime=walltime)
        if flush:
            w.flush()

    def _rewrite_tensorboard(self) -> None:
        # the events are derived from result.json: if this is interrupted, the next resume writes them again
        self.close()
        for p in self.dir.glob("events.out.tfevents.*"):
            p.unlink()
        for r in self.rows:
            self._log_tensorboard(flatten(r), flush=False)
        self._writer().flush()
