"""One small progress line for every command that runs longer than a few seconds.

``Progress(total, label)`` writes to stderr (stdout stays free for results, e.g.
``econ-envs bench``'s JSON line). On a terminal the line is rewritten in place;
elsewhere (a log file, a CI job) it prints the first update, then a line when
another 10 % of the work is done and ``every_s`` seconds have passed (at the
latest every ``10 * every_s`` seconds), and the last, so logs stay short. ``update(done)`` sets
the absolute count, ``advance(n)`` adds to it; ``note`` is an optional text
shown after the counts (the case being played, the last value). Used as a
context manager it finishes the line on exit, also after an exception.

    with Progress(len(cases) * episodes, "evaluate taxai-v0", unit="episodes") as bar:
        for case in cases:
            for k in range(episodes):
                ...
                bar.advance(note=case)
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO


class Progress:
    """A progress line on stderr: ``label [#####.....] done/total unit (rate/s, eta Ns) note``."""

    def __init__(
        self,
        total: int,
        label: str,
        stream: TextIO | None = None,
        enabled: bool = True,
        unit: str = "",
        min_total: int = 1,
        every_s: float = 5.0,
    ):
        if isinstance(total, bool) or not isinstance(total, int) or total < 0:
            raise ValueError(f"Progress total must be a non-negative integer, got {total!r}")
        self.total = max(1, total)
        self.label = label
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(enabled) and total >= min_total
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every_s = every_s
        self.start = time.perf_counter()
        self.done = 0
        self._last_pct = -1
        self._last_t = -float("inf")
        self._open_line = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def advance(self, n: int = 1, note: str = "") -> None:
        """Count ``n`` more units of work done."""
        self.update(self.done + n, note)

    def update(self, done: int, note: str = "") -> None:
        """Set the units of work done to ``done`` and redraw when due."""
        self.done = done
        if not self.enabled:
            return
        now = time.perf_counter()
        pct = int(100 * min(done, self.total) / self.total)
        finished = done >= self.total
        if self.tty:
            due = pct != self._last_pct or now - self._last_t >= 0.5 or finished
        else:
            since = now - self._last_t
            due = finished or since == float("inf") or since >= 10 * self.every_s or (
                pct // 10 != self._last_pct // 10 and since >= self.every_s
            )
        if not due:
            return
        self._last_pct, self._last_t = pct, now
        elapsed = now - self.start
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = f"eta {(self.total - done) / rate:.0f} s" if rate > 0 and not finished else f"{elapsed:.0f} s"
        bar = "#" * (pct // 5) + "." * (20 - pct // 5)
        unit = f" {self.unit}" if self.unit else ""
        msg = f"{self.label} [{bar}] {done}/{self.total}{unit} ({rate:.3g}/s, {eta})"
        if note:
            msg += f" {note}"
        if self.tty:
            self.stream.write("\r\x1b[K" + msg)
            self._open_line = not finished
            if finished:
                self.stream.write("\n")
        else:
            self.stream.write(msg + "\n")
        self.stream.flush()

    def close(self, done: int | None = None) -> None:
        """Finish the line (on a terminal, end it with a newline if the work stopped early)."""
        if done is not None:
            self.done = done
        if self.enabled and self.tty and self._open_line:
            self.stream.write("\n")
            self.stream.flush()
            self._open_line = False
