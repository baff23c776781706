"""``econ-envs evaluate`` on a taxai checkpoint: the caption of comparison.md, the plot, progress on stderr."""

from econ_envs.rllib.experiments import taxai_experiment

SMALL = {"n_households": 12, "batched": True, "rollout_length": 8, "minibatch_size": 32}


def test_evaluate_writes_a_captioned_table_a_plot_and_shows_progress(ray_session, tmp_path, capfd):
    from econ_envs.rllib.evaluate import evaluate

    cfg, _ = taxai_experiment(**SMALL, bc_warm_start=False, env_overrides={"episode_length": 6, "task": "gdp"})
    algo = cfg.build_algo()
    try:
        algo.train()
        path = algo.save_to_path(str(tmp_path / "ckpt"))
    finally:
        algo.stop()
    capfd.readouterr()
    summary = evaluate(path, episodes=2, out=tmp_path / "eval")
    err = capfd.readouterr().err
    assert "evaluate taxai-v0 [" in err and " episodes" in err  # 10 government/household pairs x 2 episodes
    md = (tmp_path / "eval" / "comparison.md").read_text()
    caption, table = md.split("\n\n", 1)
    assert caption.startswith("**Task:** GDP") and "12 households" in caption
    assert "seeds 10000-10001" in caption and "mean ± standard deviation over the episodes" in caption
    assert "USD per household per year" in caption and "subtracts 100 from the government's reward" in caption
    assert table.startswith("| government | households | years |")
    assert len(summary["rows"]) == 10  # (learned, free market, U.S. federal, Saez, best HSV) x 2 household kinds
    assert (tmp_path / "eval" / "comparison.png").stat().st_size > 20_000
