"""Small matplotlib helpers shared by every plot the package writes.

The rules they enforce (so that a figure can go into a paper as it is):

* every panel has axis labels, and the y label carries the unit (:func:`unit_of`
  reads it from a panel title ending in ``(unit)``);
* legends use readable words, not metric keys (:func:`readable`), and sit outside
  the data (:func:`legend_outside`);
* a series with gaps (a leader that updates every k-th iteration, NaN elsewhere) is
  drawn over its finite points only, with markers, so isolated points stay visible
  (:func:`plot_series`);
* large numbers get thousands separators instead of matplotlib's ``1e6`` offset
  (:func:`plain_numbers`), and crowded categorical tick labels are wrapped and
  rotated (:func:`category_ticks`).
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

_ACRONYMS = {"gdp": "GDP", "tfp": "TFP", "cb": "CB", "us": "U.S.", "ppo": "PPO", "rss": "RSS", "gb": "GB",
             "irf": "IRF", "zlb": "ZLB", "gini": "Gini", "omd": "OMD", "fp": "FP", "spg": "SPG"}  # fmt: skip


def readable(key: str, labels: Mapping[str, str] | None = None) -> str:
    """A label for a metric key: ``labels[key]`` if given, else the key in words (``gdp_per_household`` ->
    ``GDP per household``, ``inflation_12m`` -> ``inflation 12m``)."""
    if labels and key in labels:
        return labels[key]
    words = [_ACRONYMS.get(w, w) for w in re.split(r"[_/]+", key) if w]
    return " ".join(words) or key


def unit_of(title: str) -> str:
    """The text of a trailing ``(...)`` in a panel title (its unit), or ``""``."""
    m = re.search(r"\(([^()]*)\)\s*$", title)
    return m.group(1) if m else ""


def y_label(title: str, quantity: str, width: int = 32) -> str:
    """The y label of a panel titled ``title``: its unit (``quantity`` + unit when the unit reads "per ...",
    ``quantity`` alone when there is none), wrapped at ``width`` characters."""
    unit = unit_of(title)
    text = f"{quantity} {unit}" if unit.startswith("per ") else (unit or quantity)
    return textwrap.fill(text, width)


def plot_series(ax: Any, x: Sequence[float], y: Sequence[float], label: str | None = None, **kw: Any) -> bool:
    """Plot the finite points of ``y`` against ``x``; markers when the series is sparse or short.

    Sparse means that fewer than 90 % of the points are finite (e.g. a module that trains every
    4th iteration) or that there are at most 30 points. Returns False if nothing was finite.
    """
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    ok = np.isfinite(xa) & np.isfinite(ya)
    if not ok.any():
        return False
    sparse = ok.sum() < 0.9 * len(ya) or ok.sum() <= 30
    if sparse:
        kw.setdefault("marker", "o")
        kw.setdefault("markersize", 3.5 if ok.sum() > 12 else 5)
    kw.setdefault("linewidth", 1.3)
    ax.plot(xa[ok], ya[ok], label=label, **kw)
    return True


def legend_outside(ax: Any, fontsize: float = 7.5, ncol: int = 1) -> None:
    """A legend to the right of the axes (never over the data); nothing if no labelled artist."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=fontsize, frameon=False,
                  ncol=ncol, borderaxespad=0.0, handlelength=1.6)  # fmt: skip


def legend_below(ax: Any, fontsize: float = 7.5, ncol: int = 3) -> None:
    """A legend under the axes' x label (never over the data)."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=fontsize, frameon=False,
                  ncol=ncol, handlelength=1.6)  # fmt: skip


def _format_number(v: float, _pos: Any = None) -> str:
    a = abs(v)
    if a >= 1e9:
        return f"{v / 1e9:,.3g}bn"
    if a >= 1e6:
        return f"{v / 1e6:,.3g}M"
    if a >= 1e4:
        return f"{v:,.0f}"
    return f"{v:.4g}"


def plain_numbers(ax: Any) -> None:
    """Tick labels without an offset or ``1e6`` factor: 52,000, 4.5M, 0.25."""
    from matplotlib.ticker import FuncFormatter

    lo, hi = ax.get_ylim()
    if max(abs(lo), abs(hi)) >= 1e4:
        ax.yaxis.set_major_formatter(FuncFormatter(_format_number))
    else:
        ax.ticklabel_format(axis="y", useOffset=False, style="plain")


def category_ticks(ax: Any, labels: Sequence[str], width: int = 14, fontsize: float = 7.5) -> None:
    """Categorical x ticks: each label wrapped at ``width`` characters; rotated if still crowded."""
    x = np.arange(len(labels))
    wrapped = ["\n".join(textwrap.wrap(str(lab).replace("_", " "), width)) or str(lab) for lab in labels]
    longest = max((max(len(part) for part in w.split("\n")) for w in wrapped), default=0)
    rotate = len(labels) * longest > 90  # about the characters a 5-inch axis holds in one row
    ax.set_xticks(x, wrapped, fontsize=fontsize, rotation=35 if rotate else 0, ha="right" if rotate else "center",
                  rotation_mode="anchor" if rotate else "default")  # fmt: skip


def panel_grid(n_panels: int, ncol: int = 2, width: float = 13.0, height: float = 3.1) -> tuple[Any, Any]:
    """A figure with ``n_panels`` axes in ``ncol`` columns (constrained layout, unused axes hidden)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    nrow = max(1, math.ceil(n_panels / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(width, height * nrow), squeeze=False, layout="constrained")
    for ax in list(axes.flat)[n_panels:]:
        ax.set_visible(False)
    return fig, axes


def hbar_panel(ax: Any, labels: Sequence[str], values: Sequence[float], errors: Sequence[float] | None,
               colors: Sequence[str] | str, title: str, xlabel: str, show_labels: bool = True) -> None:  # fmt: skip
    """Horizontal bars, first row on top: category names stay readable however many there are."""
    y = np.arange(len(values))[::-1]
    ax.barh(y, values, xerr=errors, color=colors, alpha=0.85, capsize=3, error_kw={"linewidth": 1.0})
    ax.set_yticks(y, [str(lab).replace("_", " ") for lab in labels] if show_labels else [], fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel, fontsize=9)
    ax.axvline(0.0, color="k", linewidth=0.6)
    ax.grid(alpha=0.3, axis="x")
    lo, hi = ax.get_xlim()
    if max(abs(lo), abs(hi)) >= 1e4:
        from matplotlib.ticker import FuncFormatter

        ax.xaxis.set_major_formatter(FuncFormatter(_format_number))


def bar_legend(ax: Any, entries: Sequence[tuple[str, str]], error_label: str | None) -> None:
    """A legend above ``ax`` for bar colours (``(colour, label)`` pairs) and what the error bars mean."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = [Patch(color=c, label=lab) for c, lab in entries]
    if error_label:
        handles.append(Line2D([], [], color="k", marker="|", markersize=8, linewidth=1, label=error_label))
    from matplotlib.transforms import ScaledTranslation

    above_title = ax.transAxes + ScaledTranslation(0.0, 22 / 72, ax.figure.dpi_scale_trans)  # 22 pt up
    ax.legend(handles=handles, fontsize=7.5, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=len(handles),
              frameon=False, borderaxespad=0.0, bbox_transform=above_title)  # fmt: skip
