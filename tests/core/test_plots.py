"""The plots a paper can take: units on every axis, readable legends beside the data, sparse series visible."""

import math

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from econ_envs.core.plotting import category_ticks, plot_series, readable, unit_of  # noqa: E402


@pytest.fixture
def figures(monkeypatch):
    """The figures the code under test closes, kept open for inspection."""
    kept = []
    close = plt.close
    monkeypatch.setattr(plt, "close", lambda fig=None: kept.append(fig))
    yield kept
    for fig in kept:
        close(fig)


def _tune_rows(n=12, every=4):
    rows = []
    for i in range(1, n + 1):
        gov = i % every == 0
        rows.append({
            "training_iteration": i,
            "env_runners/episode_return_mean": -100.0 + i,
            "learners/household/policy_loss": 0.1 / i, "learners/household/vf_loss": 5.0 / i,
            "learners/household/entropy": -1.0 - 0.01 * i,
            "learners/government/policy_loss": 0.05 if gov else math.nan,
            "learners/government/vf_loss": 2.0 if gov else math.nan,
            "learners/government/entropy": 4.0 if gov else math.nan,
            "env_runners/economy/gdp_per_household": 50_000.0 + 100 * i if i % 2 else math.nan,
            "env_runners/module_episode_returns_mean/household": -90.0 + i,
            "env_runners/module_episode_returns_mean/government": -10.0,
        })  # fmt: skip
    return rows


def test_training_curves_label_every_panel_and_show_the_leaders_sparse_points(tmp_path, figures):
    from econ_envs.rllib.train import plot_training

    assert plot_training(_tune_rows(), tmp_path, "taxai_dsmfg") == ["training_curves.png", "agent_rewards.png"]
    assert (tmp_path / "training_curves.png").stat().st_size > 10_000
    fig = figures[0]
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 5
    for ax in axes:
        assert ax.get_xlabel() == "training iteration" and ax.get_ylabel()
        assert "/" not in ax.get_title()  # readable titles, not metric keys
    entropy = next(ax for ax in axes if ax.get_title() == "Policy entropy")
    assert entropy.get_ylabel() == "entropy (nats)"
    gov = next(ln for ln in entropy.get_lines() if ln.get_label().startswith("government"))
    assert gov.get_label() == "government (trained on 3 of 12 iterations)"
    assert len(gov.get_xdata()) == 3 and gov.get_marker() == "o"  # isolated points drawn, with markers
    legend = entropy.get_legend()
    assert legend is not None and legend.get_bbox_to_anchor().x0 > entropy.get_window_extent().x1 - 1  # beside
    gdp = next(ax for ax in axes if ax.get_title().startswith("GDP per household"))
    assert gdp.get_ylabel() == "USD per household per year" and len(gdp.get_lines()[0].get_xdata()) == 6


def test_plot_series_skips_gaps_and_marks_sparse_series():
    fig, ax = plt.subplots()
    assert plot_series(ax, [1, 2, 3, 4], [1.0, math.nan, math.nan, 2.0], label="a")
    assert ax.get_lines()[0].get_marker() == "o" and list(ax.get_lines()[0].get_xdata()) == [1, 4]
    assert not plot_series(ax, [1, 2], [math.nan, math.nan])
    dense = plot_series(ax, list(range(100)), [float(i) for i in range(100)])
    assert dense and ax.get_lines()[-1].get_marker() in ("None", None, "")
    plt.close(fig)


def test_readable_labels_units_and_ticks():
    assert readable("gdp_per_household") == "GDP per household"
    assert readable("rate_0", {"rate_0": "bracket 1"}) == "bracket 1"
    assert unit_of("Interest rate (fraction/yr)") == "fraction/yr" and unit_of("No unit") == ""
    fig, ax = plt.subplots()
    labels = [f"government {i}\nhouseholds {i}" for i in range(8)]
    category_ticks(ax, labels)
    assert all("_" not in t.get_text() for t in ax.get_xticklabels())
    plt.close(fig)


def test_macro_variables_use_readable_legends_and_bracket_thresholds(tmp_path, figures):
    from econ_envs.core.simulate import simulate

    simulate("taxai-v0", policy="us_federal", steps=5, out=tmp_path, overrides={"n_households": 20}, progress=False)
    fig = figures[0]
    entries = [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    assert "marginal rate, taxable income 10,275-41,775 USD" in entries
    assert "marginal rate, taxable income 539,900+ USD" in entries
    assert not [e for e in entries if "_" in e and "tau_a" not in e and "xi_a" not in e]  # no snake_case keys
    for ax in fig.axes:
        if ax.get_visible():
            assert ax.get_ylabel() and ax.get_xlabel() == "year"
