"""Model selection (``train --select-every``) and the taxai verdict (``train --evaluate``)."""

import csv
import json
import math

import pytest

from econ_envs.rllib.checkpoints import META_FILE
from econ_envs.rllib.selection import BEST_DIR, SELECTION_FILE, BestCheckpoint, parse_seeds, resolve_for_evaluation
from econ_envs.rllib.verdict import paired_outcome, taxai_verdict, verdict_text

SEEDS = (1001, 1002)


def _fake_save(path):
    """Stands in for the algorithm's checkpoint: a folder with our metadata file and a marker."""
    path.mkdir()
    (path / META_FILE).write_text("{}")
    (path / "weights").write_text(path.name)


def _offer(keeper, it, score, saved):
    def save(path):
        _fake_save(path)
        (path / "weights").write_text(f"iteration {it}")
        saved.append(it)

    return keeper.offer({"score": score, "score_sd": 0.1, "years": 300.0, "social_welfare": -1.0}, it, save)


# ------------------------------------------------------------------------------ the best checkpoint, no Ray
def test_the_best_checkpoint_is_replaced_only_by_a_strictly_higher_score(tmp_path):
    keeper = BestCheckpoint(tmp_path, SEEDS)
    saved = []
    assert keeper.info is None
    assert _offer(keeper, 1, 1.0, saved) is True
    assert _offer(keeper, 2, 0.5, saved) is False  # worse: not even written
    assert _offer(keeper, 3, 1.0, saved) is False  # a tie keeps the earlier one
    assert _offer(keeper, 4, float("nan"), saved) is False
    assert saved == [1]
    assert (tmp_path / BEST_DIR / "weights").read_text() == "iteration 1"
    assert _offer(keeper, 5, 2.5, saved) is True
    assert saved == [1, 5] and (tmp_path / BEST_DIR / "weights").read_text() == "iteration 5"
    info = json.loads((tmp_path / BEST_DIR / SELECTION_FILE).read_text())
    assert info["iteration"] == 5 and info["score"] == 2.5 and info["seeds"] == list(SEEDS)
    assert sorted(p.name for p in tmp_path.iterdir()) == [BEST_DIR]  # no .new/.old left behind
    again = BestCheckpoint(tmp_path, SEEDS)  # a resumed run reads the same best
    assert again.iteration == 5 and again.score == 2.5
    assert _offer(again, 6, 2.0, []) is False


def test_a_swap_killed_halfway_recovers_the_best_complete_candidate(tmp_path):
    keeper = BestCheckpoint(tmp_path, SEEDS)
    _offer(keeper, 1, 1.0, [])
    _offer(keeper, 2, 3.0, [])
    # killed between `best -> best.old` and `best.new -> best`: only .old (score 3) and a newer .new (score 4)
    (tmp_path / BEST_DIR).rename(tmp_path / "best.old")
    _fake_save(tmp_path / "best.new")
    (tmp_path / "best.new" / SELECTION_FILE).write_text(
        json.dumps({"format": "econ_envs.selection/1", "iteration": 3, "score": 4.0, "seeds": list(SEEDS)})
    )
    rec = BestCheckpoint(tmp_path, SEEDS)
    assert rec.iteration == 3 and rec.score == 4.0
    assert sorted(p.name for p in tmp_path.iterdir()) == [BEST_DIR]
    # a .new without its selection.json (killed while saving) is incomplete: removed, the best stays
    _fake_save(tmp_path / "best.new")
    rec = BestCheckpoint(tmp_path, SEEDS)
    assert rec.iteration == 3 and not (tmp_path / "best.new").exists()


@pytest.mark.parametrize("text, match", [
    ("{not json", "is not valid JSON"),
    ('{"format": "econ_envs.selection/1", "iteration": 2, "score": "high", "seeds": [1001, 1002]}',
     "'score' must be a finite number"),
    ('{"format": "econ_envs.selection/1", "iteration": 0, "score": 1.0, "seeds": [1001, 1002]}',
     "'iteration' must be a positive integer"),
    ('[1, 2]', "not a JSON object"),
])  # fmt: skip
def test_a_corrupt_best_checkpoint_json_is_a_clear_error_naming_the_file(tmp_path, text, match):
    keeper = BestCheckpoint(tmp_path, SEEDS)
    _offer(keeper, 1, 1.0, [])
    path = tmp_path / BEST_DIR / SELECTION_FILE
    path.write_text(text)
    with pytest.raises(ValueError, match=match) as err:
        BestCheckpoint(tmp_path, SEEDS)
    assert str(path) in str(err.value)
    assert path.read_text() == text  # left as it was
    (tmp_path / "run.json").write_text("{}")
    with pytest.raises(ValueError, match=match):
        resolve_for_evaluation(tmp_path)


def test_scores_on_other_seeds_are_not_compared(tmp_path):
    _offer(BestCheckpoint(tmp_path, SEEDS), 1, 1.0, [])
    with pytest.raises(ValueError, match=r"scored on seeds \[1001, 1002\], this run selects on \[7, 8\]"):
        BestCheckpoint(tmp_path, (7, 8))


def test_held_out_seeds_are_checked():
    assert parse_seeds(None) == (1001, 1002, 1003, 1004, 1005)
    assert parse_seeds("5, 6,7") == (5, 6, 7)
    for bad, match in (("a,b", "comma-separated integers"), ("", "at least one seed"), ("3,3", "repeat"),
                       ("10000", "final evaluation's seeds start at 10000"), ("-1", "must lie in")):  # fmt: skip
        with pytest.raises(ValueError, match=match):
            parse_seeds(bad)


# ------------------------------------------------------------------------------ the verdict rule
def test_paired_outcome_follows_the_rule_on_given_numbers():
    win = paired_outcome([1.0, 1.2, 1.1], [0.9, 1.0, 1.05])  # d = 0.1, 0.2, 0.05
    assert win["outcome"] == "win"
    assert win["mean_difference"] == pytest.approx(0.35 / 3)
    assert win["sd_difference"] == pytest.approx(math.sqrt(((0.1 - 0.35 / 3) ** 2 + (0.2 - 0.35 / 3) ** 2
                                                            + (0.05 - 0.35 / 3) ** 2) / 2))  # fmt: skip
    assert paired_outcome([0.0, 0.0, 0.0], [0.5, 0.7, 0.6])["outcome"] == "lose"
    # mean +0.0667 < sd 0.208: better on average, but within the seeds' spread
    assert paired_outcome([1.3, 0.9, 1.0], [1.0, 1.0, 1.0])["outcome"] == "tie"
    # a constant gap has sd 0: any positive mean wins, equal values tie
    assert paired_outcome([2.0, 3.0], [1.9, 2.9])["outcome"] == "win"
    assert paired_outcome([2.0, 3.0], [2.0, 3.0])["outcome"] == "tie"
    # d = 0.1, 0.3: mean 0.2 > sd 0.141, a win; d = 0, 0.3: mean 0.15 < sd 0.212, a tie
    assert paired_outcome([1.0, 1.3], [0.9, 1.0])["outcome"] == "win"
    assert paired_outcome([1.0, 1.3], [1.0, 1.0])["outcome"] == "tie"
    one = paired_outcome([5.0], [1.0])
    assert one["outcome"] == "undecided" and one["sd_difference"] is None
    with pytest.raises(ValueError, match="same seeds"):
        paired_outcome([1.0, 2.0], [1.0])


def _records(scores: dict[str, list[float]], households: str = "learned") -> list[dict]:
    return [{"government": g, "households": households, "seed": 10000 + k, "task_reward_per_year": v,
             "years": 300, "social_welfare": -1.0} for g, vs in scores.items() for k, v in enumerate(vs)]  # fmt: skip


def test_the_verdict_judges_every_baseline_and_points_to_a_winning_command():
    kw = {"task": "gdp", "task_text": "GDP", "unit": "x y0", "n_households": 100, "episode_length": 300}
    lose = taxai_verdict(_records({"learned": [1.0, 1.1, 1.2], "free_market": [0.5, 0.6, 0.7],
                                   "us_federal": [1.5, 1.6, 1.7], "saez": [1.0, 1.3, 1.0]}),
                         winning_command="econ-envs train taxai_dsmfg --stop-iters 400", **kw)  # fmt: skip
    outcomes = {b["government"]: b["outcome"] for b in lose["comparisons"][0]["baselines"]}
    assert outcomes == {"free_market": "win", "us_federal": "lose", "saez": "tie"}
    assert not lose["wins_every_baseline"]
    assert "does NOT beat every baseline" in lose["overall"] and "loses to U.S. federal" in lose["overall"]
    text = verdict_text(lose)
    assert "econ-envs train taxai_dsmfg --stop-iters 400" in text and "**Rule:** win = the mean paired" in text
    assert "| free market | 0.6 ± 0.1 | 300 | +0.5 ± 0 | **WIN** |" in text  # sd 7.9e-17 of rounding: 0
    win = taxai_verdict(_records({"learned": [2.0, 2.1, 2.2], "free_market": [0.5, 0.6, 0.7],
                                  "saez": [1.0, 1.0, 1.0]}), experiment="taxai_quickstart", **kw)  # fmt: skip
    assert win["wins_every_baseline"] and "beats every baseline (free market, Saez)" in win["overall"]
    assert "WINNING_COMMAND" not in verdict_text(win)
    no_pointer = verdict_text(taxai_verdict(_records({"learned": [0.0, 0.0], "saez": [1.0, 1.1]}),
                                            experiment="taxai_quickstart", **kw))  # fmt: skip
    assert "No command known to train a winning government" in no_pointer
    assert "experiment taxai_quickstart sets no WINNING_COMMAND" in no_pointer
    with pytest.raises(ValueError, match="same seeds"):
        taxai_verdict(_records({"learned": [1.0, 1.0]}) + _records({"saez": [1.0]}), **kw)


# ------------------------------------------------------------------------------ in the training loop
SMALL = {"n_households": 12, "batched": True, "rollout_length": 6, "minibatch_size": 32,
         "env_overrides": {"episode_length": 8}}  # fmt: skip


def _read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_training_keeps_the_best_checkpoint_and_resume_keeps_its_score(ray_session, tmp_path):
    from econ_envs.rllib.train import train

    out = tmp_path / "run"
    stats = train("taxai_dsmfg", SMALL, stop_iters=2, out=out, select_every=1, select_seeds=[1001, 1002],
                  checkpoint_every=1, verbose=0)  # fmt: skip
    run = out / "taxai_dsmfg"
    trial = next(run.glob("run_*"))
    sel = stats["selection"]
    assert sel["seeds"] == [1001, 1002] and sel["best_checkpoint"] == str(trial / BEST_DIR)
    assert stats["training_seeds"] == [0] and not set(stats["training_seeds"]) & {1001, 1002}
    rows = _read_csv(trial / "selection.csv")
    assert [int(r["iteration"]) for r in rows] == [1, 2]
    scores = [float(r["score"]) for r in rows]
    assert sel["best_score"] == pytest.approx(max(scores)) and sel["best_iteration"] == 1 + scores.index(max(scores))
    info = json.loads((trial / BEST_DIR / SELECTION_FILE).read_text())
    assert info["iteration"] == sel["best_iteration"] and len(info["per_seed"]) == 2
    meta = json.loads((trial / BEST_DIR / META_FILE).read_text())
    assert meta["iteration"] == sel["best_iteration"]
    # the checkpoint holds the very modules that were scored: played again, they score the same
    from econ_envs.rllib.checkpoints import checkpoint_config
    from econ_envs.rllib.evaluate import load_policies, taxai_selection_score

    config, iteration = checkpoint_config(trial / BEST_DIR)
    again = taxai_selection_score(load_policies(trial / BEST_DIR, config, iteration), [1001, 1002])
    assert again["score"] == pytest.approx(info["score"], rel=1e-9)
    results = [json.loads(line) for line in (trial / "result.json").read_text().splitlines()]
    assert [r["selection"]["score"] for r in results] == pytest.approx(scores)
    # a best score no later iteration can reach: resuming must keep it, not start afresh
    info["score"] = 1e9
    (trial / BEST_DIR / SELECTION_FILE).write_text(json.dumps(info))
    with pytest.raises(ValueError, match="selects every 1 iterations"):
        train("taxai_dsmfg", stop_iters=3, out=out, resume=True, select_every=2, verbose=0)
    stats = train("taxai_dsmfg", stop_iters=3, out=out, resume=True, verbose=0)
    assert stats["selection"]["best_score"] == 1e9 and stats["selection"]["best_iteration"] == info["iteration"]
    rows = _read_csv(trial / "selection.csv")
    assert [int(r["iteration"]) for r in rows] == [1, 2, 3] and rows[-1]["new_best"] == "0"
    assert float(rows[-1]["best_score"]) == 1e9
    # `econ-envs evaluate RUN_FOLDER` plays the best checkpoint and says so
    folder, line, _ = resolve_for_evaluation(trial)
    assert folder == trial / BEST_DIR and f"iteration {info['iteration']}" in line


def test_selection_refuses_training_seeds_and_families_without_it(tmp_path):
    from econ_envs.rllib.train import train

    with pytest.raises(ValueError, match=r"\[0\] are also training seeds"):
        train("taxai_dsmfg", SMALL, stop_iters=1, out=tmp_path, select_every=1, select_seeds="0,1001")
    with pytest.raises(ValueError, match="needs --select-every"):
        train("taxai_dsmfg", SMALL, stop_iters=1, out=tmp_path, select_seeds="1001")
    with pytest.raises(ValueError, match="not available for the rbc family"):
        train("rbc_shared_ppo", stop_iters=1, out=tmp_path, select_every=1)
    assert not any(tmp_path.rglob("run_*"))  # refused before any run folder was made


def test_an_experiment_file_can_ask_for_selection(tmp_path):
    from econ_envs.rllib.train import _experiment_selection

    exp = tmp_path / "my_exp.py"
    exp.write_text("from rllib_configs.taxai_dsmfg import build\nSELECTION = {'every': 4, 'seeds': [2001, 2002]}\n")
    assert _experiment_selection(str(exp), None) == (4, [2001, 2002])
    assert _experiment_selection(str(exp), "7,8") == (4, "7,8")  # --select-seeds wins over the file's
    assert _experiment_selection("taxai_dsmfg", None) == (None, None)
    exp.write_text("from rllib_configs.taxai_dsmfg import build\nSELECTION = {'every': 0}\n")
    with pytest.raises(ValueError, match=r"SELECTION\['every'\] must be an integer >= 1"):
        _experiment_selection(str(exp), None)


def test_a_resume_drops_the_selection_rows_it_trains_again(tmp_path):
    keeper = BestCheckpoint(tmp_path, SEEDS)
    for it in (1, 2, 3, 4):
        keeper.log({"iteration": it, "score": float(it), "best_score": float(it), "best_iteration": it})
    keeper.truncate(2)
    assert [int(r["iteration"]) for r in _read_csv(tmp_path / "selection.csv")] == [1, 2]
    keeper.log({"iteration": 3, "score": 0.5})
    assert [r["score"] for r in _read_csv(tmp_path / "selection.csv")] == ["1.0", "2.0", "0.5"]


def test_families_without_selection_are_named():
    from econ_envs.rllib.selection import family_scorer

    for env_id, family in (("monetary-v0", "monetary"), ("econ_envs/Monetary-CentralBank-v0", "monetary"),
                           ("meanfield/lq-v0", "meanfield"), ("rbc-v0", "rbc")):  # fmt: skip
        with pytest.raises(ValueError, match=f"not available for the {family} family"):
            family_scorer(env_id)
