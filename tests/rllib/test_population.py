"""The batched population path is the per-agent RLlib path, computed with arrays."""

import copy

import numpy as np
import pytest
import torch
from ray.rllib.core.columns import Columns
from ray.rllib.evaluation.postprocessing import Postprocessing

import econ_envs
from econ_envs.rllib.discount import module_gamma
from econ_envs.rllib.experiments import taxai_experiment
from econ_envs.rllib.population import training_columns

N, T = 10, 6
# households discount at TaxParams.discount (0.95 here), the government at the algorithm's gamma (0.975)
SETTINGS = dict(n_households=N, rollout_length=T, minibatch_size=16, stackelberg=False, seed=3,
                env_overrides={"episode_length": T, "discount": 0.95})  # fmt: skip


def build(batched: bool, explore: bool):
    cfg, _ = taxai_experiment(batched=batched, **SETTINGS)
    cfg = cfg.env_runners(explore=explore)
    return cfg.build_algo()


def copy_weights(src, dst):
    for mid in ("government", "household"):
        state = src.get_module(mid).get_state()
        dst.learner_group.foreach_learner(lambda learner, m=mid, s=state: learner.module[m].set_state(s))
    dst.env_runner_group.sync_weights(from_worker_or_learner_group=dst.learner_group, inference_only=True)


def agent_arrays(episode, agents):
    """(obs (L+1, n, d), actions (L, n, ...), rewards (L, n)) of ``agents`` from a MultiAgentEpisode."""
    eps = [episode.agent_episodes[a] for a in agents]
    obs = np.stack([np.asarray(e.get_observations()) for e in eps], axis=1)
    act = np.stack([np.asarray(e.get_actions()) for e in eps], axis=1)
    rew = np.stack([np.asarray(e.get_rewards()) for e in eps], axis=1)
    return obs, act, rew


def test_batched_and_per_agent_paths_produce_the_same_episodes(ray_session):
    per_agent = build(batched=False, explore=False)
    batched = build(batched=True, explore=False)
    try:
        copy_weights(per_agent, batched)
        (episode,) = per_agent.env_runner.sample(num_episodes=1, explore=False)
        cols = batched.env_runner.sample(explore=False)
        L = len(episode)  # T if truncated; shorter if the (untrained) economy collapsed
        assert episode.is_done and 0 < L <= T
        for mid, agents in (("government", ["government"]), ("household", [f"household_{i}" for i in range(N)])):
            obs, act, rew = agent_arrays(episode, agents)
            n = len(agents)
            c = {k: v[: n * (L + 1)] for k, v in cols[mid].items()}  # the first episode's chunk comes first
            ours_obs = c[Columns.OBS].reshape(n, L + 1, -1).swapaxes(0, 1)
            ours_act = c[Columns.ACTIONS].reshape(n, L + 1, -1)[:, :L].swapaxes(0, 1)
            ours_rew = c[Columns.REWARDS].reshape(n, L + 1)[:, :L].T
            # same up to float32 rounding: the two runners batch the same rows through different BLAS call shapes,
            # so trained weights can differ in the last bit of an action, which a utility can amplify tenfold
            np.testing.assert_allclose(ours_obs, obs, rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(ours_act, act.reshape(ours_act.shape), rtol=1e-6, atol=1e-7)
            np.testing.assert_allclose(ours_rew, rew, rtol=1e-5, atol=1e-5)
    finally:
        per_agent.stop()
        batched.stop()


def test_batched_runner_discounts_each_module_at_its_own_gamma(ray_session):
    algo = build(batched=True, explore=False)
    try:
        runner = algo.env_runner
        cols = runner.sample(explore=False)
        for mid, n, gamma in (("household", N, 0.95), ("government", 1, 0.975)):
            c = cols[mid]
            L = int(np.flatnonzero(~c[Columns.LOSS_MASK])[0])  # agent 0's bootstrap row ends the first chunk
            terminated = mid == "government" and L < T  # a collapse terminates the government, truncates households
            rows = n * (L + 1)
            obs = c[Columns.OBS][:rows].reshape(n, L + 1, -1).swapaxes(0, 1)
            rew = c[Columns.REWARDS][:rows].reshape(n, L + 1)[:, :L].T
            per_step = {k: c[k][:rows].reshape(n, L + 1, *c[k].shape[1:])[:, :L].swapaxes(0, 1)
                        for k in (Columns.ACTIONS, Columns.ACTION_LOGP, Columns.ACTION_DIST_INPUTS)}  # fmt: skip
            values = runner._values(mid, obs)
            step_cols = [per_step[k] for k in (Columns.ACTIONS, Columns.ACTION_LOGP, Columns.ACTION_DIST_INPUTS)]
            targets = {}
            for g in (0.95, 0.975):
                ours = training_columns(obs, *step_cols, rew, values, terminated, g, algo.config.lambda_)
                targets[g] = ours[Postprocessing.VALUE_TARGETS]
            np.testing.assert_allclose(c[Postprocessing.VALUE_TARGETS][:rows], targets[gamma], rtol=1e-5, atol=1e-5)
            other = 0.975 if gamma == 0.95 else 0.95
            assert not np.allclose(targets[other], targets[gamma], rtol=1e-5, atol=1e-5), mid  # the check can fail
    finally:
        algo.stop()


def test_same_loss_on_the_same_batch(ray_session):
    """RLlib's learner pipeline and ours turn the same experience into the same PPO loss."""
    algo = build(batched=False, explore=True)
    try:
        (episode,) = algo.env_runner.sample(num_episodes=1, explore=True)
        learner = algo.learner_group._learner
        rllib_batch = learner._learner_connector(
            rl_module=learner.module, batch={}, episodes=[copy.deepcopy(episode)], shared_data={},
            metrics=learner.metrics,
        )  # fmt: skip
        cfg = algo.config
        gammas = {m: module_gamma(cfg, m) for m in ("household", "government")}
        assert gammas == {"household": 0.95, "government": 0.975}  # each module's GAE below uses its own
        L = len(episode)
        for mid, agents in (("household", [f"household_{i}" for i in range(N)]), ("government", ["government"])):
            # RLlib concatenates a module's agent chunks in set-iteration order (it depends on Python's
            # string hashing); the order only matters for the bootstrap rows that enter the advantage
            # standardisation, so lay our chunks out in the order RLlib used for this batch
            theirs_obs = np.asarray(rllib_batch[mid][Columns.OBS])
            first = {a: int(np.flatnonzero((theirs_obs == np.asarray(
                episode.agent_episodes[a].get_observations())[0]).all(1))[0]) for a in agents}  # fmt: skip
            agents = sorted(agents, key=first.get)
            assert sorted(first.values()) == [k * (L + 1) for k in range(len(agents))]
            obs, act, rew = agent_arrays(episode, agents)
            eps = [episode.agent_episodes[a] for a in agents]
            logp = np.stack([np.asarray(e.get_extra_model_outputs(Columns.ACTION_LOGP)) for e in eps], axis=1)
            dist = np.stack([np.asarray(e.get_extra_model_outputs(Columns.ACTION_DIST_INPUTS)) for e in eps], axis=1)
            module = learner.module[mid]
            with torch.no_grad():
                values = module.compute_values({Columns.OBS: torch.as_tensor(obs.reshape(-1, obs.shape[-1]))})
            values = values.numpy().astype(np.float64).reshape(obs.shape[:2])
            ours = training_columns(obs.astype(np.float32), act, logp, dist, rew, values, episode.is_terminated,
                                    gammas[mid], cfg.lambda_)  # fmt: skip
            adv = ours[Postprocessing.ADVANTAGES]
            ours[Postprocessing.ADVANTAGES] = ((adv - adv.mean()) / max(1e-4, adv.std())).astype(np.float32)
            theirs = {k: np.asarray(v) for k, v in rllib_batch[mid].items() if not isinstance(v, dict)}
            np.testing.assert_array_equal(ours[Columns.OBS], theirs[Columns.OBS])
            np.testing.assert_array_equal(ours[Columns.LOSS_MASK], theirs[Columns.LOSS_MASK])
            for col in (Postprocessing.ADVANTAGES, Postprocessing.VALUE_TARGETS, Columns.ACTION_LOGP):
                np.testing.assert_allclose(ours[col], theirs[col], rtol=2e-4, atol=2e-5, err_msg=col)
            losses = []
            for batch in (ours, theirs):
                tb = {k: torch.as_tensor(np.asarray(v)) for k, v in batch.items() if k in ours}
                fwd = module.forward_train(tb)
                losses.append(
                    float(
                        learner.compute_loss_for_module(
                            module_id=mid, config=learner.config.get_config_for_module(mid), batch=tb, fwd_out=fwd
                        )
                    )
                )
            assert losses[0] == pytest.approx(losses[1], rel=1e-4, abs=1e-6), (mid, losses)
    finally:
        algo.stop()


def test_a_collapse_ends_the_rllib_episode_and_truncates_households():
    from econ_envs.rllib.env import make_parallel_env

    env = make_parallel_env("taxai-v0", {"n_households": 10})
    obs, _ = env.reset(seed=0)
    acts = {a: np.array([0.0, 0.5], np.float32) for a in obs if a != "government"}  # consume everything
    acts["government"] = np.zeros(5, np.float32)
    _, rewards, terms, truncs, infos = env.step(acts)
    assert truncs["__all__"] and not terms["__all__"]  # the episode is over for RLlib
    assert terms["government"] and not truncs["government"]  # the government failed: no bootstrap
    assert all(truncs[a] and not terms[a] for a in acts if a != "government")  # households: bootstrap
    # the batched path reads the same per-role ends
    core = econ_envs.make("taxai-v0", n_households=10)
    core.reset_batch(seed=0)
    res = core.step_batch({"government": np.zeros((1, 5)), "household": np.tile([0.0, 0.5], (10, 1))})
    assert res.terminated and res.role_ends("government") == (True, False)
    assert res.role_ends("household") == (False, True)
