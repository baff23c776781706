"""Solvers: fictitious play and mirror descent reach 1 % of the uniform policy's exploitability; SPG/RSPG learn."""

import json

import numpy as np
import pytest

from econ_envs.cli import main
from econ_envs.meanfield.exploitability import exploitability
from econ_envs.meanfield.games import make_game
from econ_envs.meanfield.solvers import fictitious_play, online_mirror_descent
from econ_envs.meanfield.solvers.runner import read_curve

UNIFORM = {"lq": 4615.309013691639, "beach_bar": 577.1739101659725}


def test_fictitious_play_lq_below_one_percent():
    res = fictitious_play(make_game("lq"), 120, eval_every=20)
    expl = [p.exploitability for p in res.curve]
    assert expl[0] == pytest.approx(UNIFORM["lq"], rel=1e-12)
    assert all(b < a for a, b in zip(expl, expl[1:]))
    assert expl[-1] < 0.01 * UNIFORM["lq"]
    # the returned average policy scores the same when evaluated from scratch
    assert exploitability(res.game, res.policy).exploitability == pytest.approx(expl[-1], rel=1e-9)


def test_fictitious_play_beach_bar_follows_the_one_over_k_law():
    """Without mean-field coupling every best response is the optimal policy, so FP's
    occupancy average has exploitability exactly E_0 / (k + 1); below 1 % from k = 100 on."""
    res = fictitious_play(make_game("beach_bar"), 6)
    for p in res.curve:
        assert p.exploitability == pytest.approx(UNIFORM["beach_bar"] / (p.iteration + 1), rel=1e-9)


@pytest.mark.parametrize("name", ["lq", "beach_bar"])
def test_mirror_descent_below_one_percent(name):
    res = online_mirror_descent(make_game(name), 20, eval_every=5)
    assert res.curve[-1].exploitability < 0.01 * UNIFORM[name]
    assert res.curve[-1].exploitability < res.curve[1].exploitability < res.curve[0].exploitability


def test_solvers_under_common_noise_use_information_nodes():
    g = make_game("lq", common_noise=True, horizon=12)
    res = online_mirror_descent(g, 15, eval_every=5)
    pol = res.policy
    assert pol.tables.shape[0] == res.policy.paths.n_nodes == 1 + 2 * 11
    # one table at t = 0 for both signs of z, then one per sign
    assert len(set(pol.paths.node[0])) == 1 and len(set(pol.paths.node[5])) == 2
    first, last = res.curve[0], res.curve[-1]
    assert last.nonanticipative_exploitability < 0.2 * first.nonanticipative_exploitability
    assert 0 <= last.nonanticipative_exploitability <= last.exploitability


def test_bad_solver_arguments():
    g = make_game("crowd")
    with pytest.raises(ValueError, match="iterations"):
        fictitious_play(g, -1)
    with pytest.raises(ValueError, match="learning_rate"):
        online_mirror_descent(g, 2, learning_rate=-0.1)


torch = pytest.importorskip("torch")


def test_spg_loss_is_the_exact_policy_value_and_training_improves():
    from econ_envs.meanfield.solvers.spg import (
        MeanFieldNet,
        ObsNormaliser,
        TorchMeanFieldPolicy,
        _policy_value_loss,
        spg,
    )

    g = make_game("lq", common_noise=True, horizon=10)
    torch.manual_seed(0)
    net = MeanFieldNet(g.n_states, g.n_actions, g.obs_dim, None)
    paths = g.paths()
    loss, value = _policy_value_loss(net, g, paths, ObsNormaliser(g))
    ref = exploitability(g, TorchMeanFieldPolicy(net, g), paths=paths)
    assert value == pytest.approx(ref.policy_value, rel=1e-9)
    loss.backward()
    grads = [p.grad for p in net.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(gr).all() for gr in grads)
    res = spg(g, 15, learning_rate=1e-2, eval_every=15)
    assert res.curve[-1].exploitability < 0.5 * res.curve[0].exploitability


def test_rspg_runs_and_improves_on_the_crowd_game():
    from econ_envs.meanfield.solvers.spg import rspg

    res = rspg(make_game("crowd"), 20, learning_rate=1e-2, eval_every=10)
    assert res.settings["recurrent"]
    assert res.curve[-1].exploitability < res.curve[0].exploitability
    assert exploitability(res.game, res.policy).exploitability == pytest.approx(res.curve[-1].exploitability)


def test_cli_solve_writes_curve_png_and_summary(tmp_path, capsys):
    out = tmp_path / "omd"
    assert main(["solve", "lq", "--solver", "omd", "--iterations", "4", "--out", str(out), "--quiet"]) == 0
    curve = read_curve(out / "curve.csv")
    assert list(curve["iteration"]) == [0, 1, 2, 3, 4] and np.all(np.diff(curve["wall_time_s"]) > 0)
    assert curve["exploitability"][-1] < curve["exploitability"][0]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["solver"] == "omd" and summary["uniform_exploitability"] == pytest.approx(UNIFORM["lq"])
    assert (out / "curve.png").stat().st_size > 10_000 and (out / "policy.npz").exists()
    assert "exploitability" in capsys.readouterr().out
    out2 = tmp_path / "spg"
    assert main(["solve", "crowd", "--solver", "spg", "--iterations", "2", "--eval-every", "1", "--out", str(out2),
                 "--quiet"]) == 0  # fmt: skip
    assert (out2 / "policy.pt").exists() and len(read_curve(out2 / "curve.csv")["iteration"]) == 3


def test_cli_solve_bad_input(tmp_path, capsys):
    assert main(["solve", "chess", "--solver", "fp", "--out", str(tmp_path / "x")]) == 2
    assert "unknown mean-field game" in capsys.readouterr().err
    assert main(["solve", "lq", "--solver", "fp", "--set", "kappa=-1", "--out", str(tmp_path / "y")]) == 2
    assert "kappa" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["solve", "lq", "--solver", "sgd", "--out", str(tmp_path / "z")])
