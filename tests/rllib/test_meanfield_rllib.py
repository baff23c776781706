"""RLlib on the mean-field games: modules as mean-field policies, exact exploitability, M-OMD's target, evaluator."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from ray.rllib.core.columns import Columns

from econ_envs.meanfield.exploitability import exploitability
from econ_envs.rllib.meanfield import (
    MeanFieldPolicyModule,
    meanfield_momd_experiment,
    meanfield_ppo_experiment,
    meanfield_recurrent_ppo_experiment,
    module_exploitability,
    policy_module_spec,
    resolve_game,
)
from econ_envs.rllib.munchausen import QF_PREDS, MunchausenQModule, q_module_spec

CROWD_SMALL = {"game": "crowd", "n_agents": 16, "episodes_per_iteration": 1, "minibatch_size": 64, "stop_iters": 1}


def _module(spec, game):
    import econ_envs

    env = econ_envs.make(f"meanfield/{game.key}-v0", n_agents=2)
    spec.observation_space = env.roles["agent"].observation_space
    spec.action_space = env.roles["agent"].action_space
    return spec.build()


def _zero_head(net):
    last = [m for m in net.head.modules() if isinstance(m, torch.nn.Linear)][-1]
    torch.nn.init.zeros_(last.weight)
    torch.nn.init.zeros_(last.bias)


@pytest.mark.parametrize("recurrent", [False, True])
def test_uniform_module_has_the_uniform_policys_exploitability(recurrent):
    game = resolve_game("crowd")
    module = _module(policy_module_spec(game, recurrent=recurrent), game)
    _zero_head(module.pi_net)  # logits 0 everywhere: the uniform policy
    got = module_exploitability(module, game)
    want = exploitability(game, np.full((game.n_states, game.n_actions), 1.0 / game.n_actions))
    assert got.exploitability == pytest.approx(want.exploitability, rel=1e-9)
    assert got.policy_value == pytest.approx(want.policy_value, rel=1e-9)


def test_module_policy_is_the_modules_softmax_on_each_paths_observation():
    game = resolve_game("lq", {"common_noise": True})
    torch.manual_seed(1)
    module = _module(policy_module_spec(game), game)

    def softmax_of_module(states, obs_history, greedy=False):  # independent path: the package's callable policies
        rows = np.column_stack([states, np.broadcast_to(obs_history[-1], (len(states), obs_history.shape[1]))])
        with torch.no_grad():
            logits = module.forward_inference({Columns.OBS: torch.as_tensor(rows, dtype=torch.float32)})
        logits = logits[Columns.ACTION_DIST_INPUTS].double()
        if greedy:
            return np.eye(game.n_actions)[logits.argmax(-1).numpy()]
        return torch.softmax(logits, -1).numpy()

    stoch = module_exploitability(module, game)
    assert stoch.paths.n_paths == 2  # both signs of the common noise, enumerated
    assert stoch.exploitability == pytest.approx(exploitability(game, softmax_of_module).exploitability, rel=1e-9)
    greedy = module_exploitability(module, game, greedy=True)
    want = exploitability(game, lambda s, h: softmax_of_module(s, h, greedy=True))
    assert greedy.exploitability == pytest.approx(want.exploitability, rel=1e-9)
    assert stoch.exploitability != pytest.approx(greedy.exploitability)


def test_memory_of_the_agents_own_history_is_refused():
    game = resolve_game("crowd")

    class OwnStateMemory(MeanFieldPolicyModule):  # its GRU state depends on the individual state
        def _forward(self, batch, **kwargs):
            out = super()._forward(batch, **kwargs)
            own = batch[Columns.OBS][..., :1].float()
            out[Columns.STATE_OUT] = {k: v + own for k, v in out[Columns.STATE_OUT].items()}
            return out

    spec = policy_module_spec(game, recurrent=True)
    spec.module_class = OwnStateMemory
    module = _module(spec, game)
    with pytest.raises(ValueError, match="not a mean-field policy"):
        module_exploitability(module, game)


def test_munchausen_loss_is_the_regression_on_the_munchausen_target(ray_session):
    cfg, _ = meanfield_momd_experiment(**CROWD_SMALL, tau=2.0, alpha=0.9)
    algo = cfg.build_algo()
    try:
        batch = algo.env_runner.sample()["agent"]
        obs, nxt, mask = batch[Columns.OBS], batch[Columns.NEXT_OBS], batch[Columns.LOSS_MASK]
        # the runner's next observation is the row after, within each agent's chunk; the clock column shows it
        t_col = -1  # crowd's shared observation ends with the period t
        assert np.all(nxt[mask][:, t_col] == obs[mask][:, t_col] + 1)
        term = batch[Columns.TERMINATEDS]
        assert term.sum() == 16 and np.all(obs[term][:, t_col] == 9)  # one terminal step per agent, at t = T-1
        learner = algo.learner_group._learner
        module = learner.module["agent"].unwrapped()
        assert isinstance(module, MunchausenQModule) and module.tau == 2.0
        learner.before_gradient_based_update(timesteps={})  # freezes pi_prev and the target (= the module now)
        tb = {k: torch.as_tensor(v) for k, v in batch.items() if k in (Columns.OBS, Columns.NEXT_OBS, Columns.ACTIONS,
                                                                       Columns.REWARDS, Columns.TERMINATEDS,
                                                                       Columns.LOSS_MASK)}  # fmt: skip
        fwd = module.forward_train(tb)
        loss = learner.compute_loss_for_module(module_id="agent", config=cfg, batch=tb, fwd_out=fwd)
        with torch.no_grad():
            q = module.q_values(tb[Columns.OBS]).double().numpy()
            qn = module.q_values(tb[Columns.NEXT_OBS]).double().numpy()
        a = batch[Columns.ACTIONS].astype(int)
        tau, alpha, gamma = 2.0, 0.9, 1.0

        def logsoftmax(x):
            z = x / tau
            return z - (z.max(-1, keepdims=True) + np.log(np.exp(z - z.max(-1, keepdims=True)).sum(-1, keepdims=True)))

        lp, lpn = np.maximum(logsoftmax(q), math.log(1e-6)), logsoftmax(qn)
        soft = (np.exp(lpn) * (qn - tau * np.maximum(lpn, math.log(1e-6)))).sum(-1)
        y = batch[Columns.REWARDS] + alpha * tau * lp[np.arange(len(a)), a] + gamma * (1 - term) * soft
        err = (q[np.arange(len(a)), a] - y)[mask] / module.value_scale
        assert loss.item() == pytest.approx(0.5 * np.mean(err**2), rel=1e-4)
        assert QF_PREDS in fwd
    finally:
        algo.stop()


def test_momd_checkpoint_evaluates_against_the_solvers(ray_session, tmp_path, monkeypatch):
    from econ_envs.rllib import meanfield
    from econ_envs.rllib.evaluate import evaluate

    monkeypatch.setitem(meanfield.BASELINE_ITERATIONS, "fp", 20)  # small budgets: a test of the plumbing
    monkeypatch.setitem(meanfield.BASELINE_ITERATIONS, "spg", 5)

    cfg, _ = meanfield_momd_experiment(**CROWD_SMALL)
    algo = cfg.build_algo()
    try:
        algo.train()
        ckpt = algo.save_to_path(str(tmp_path / "ckpt"))
        direct = module_exploitability(algo.get_module("agent"), resolve_game("crowd")).exploitability
    finally:
        algo.stop()
    summary = evaluate(ckpt, episodes=1, out=tmp_path / "eval")
    rows = {r["policy"]: r for r in summary["rows"]}
    assert set(rows) == {"learned", "learned (greedy)", "uniform", "fp", "omd", "spg"}
    assert rows["learned"]["exploitability"] == pytest.approx(direct, rel=1e-9)  # restored module = trained one
    assert rows["uniform"]["exploitability"] == pytest.approx(2.78668, abs=1e-4)  # the exact crowd NashConv
    assert rows["fp"]["exploitability"] < rows["uniform"]["exploitability"]
    assert math.isfinite(rows["learned"]["sampled_return"])
    saved = json.loads((tmp_path / "eval" / "exploitability.json").read_text())
    assert saved["game"] == "crowd" and len(saved["rows"]) == 6
    assert (tmp_path / "eval" / "comparison.md").exists()


def test_recurrent_ppo_trains_and_keeps_a_mean_field_policy(ray_session):
    cfg, _ = meanfield_recurrent_ppo_experiment(game="crowd", n_agents=4, episodes_per_iteration=1, minibatch_size=32)
    algo = cfg.build_algo()
    try:
        before = module_exploitability(algo.get_module("agent"), resolve_game("crowd")).exploitability
        algo.train()
        module = algo.get_module("agent")
        after = module_exploitability(module, resolve_game("crowd")).exploitability
    finally:
        algo.stop()
    assert module.is_stateful() and math.isfinite(after) and after != before


def test_bad_settings_name_the_culprit():
    with pytest.raises(ValueError, match="unknown game|nope"):
        meanfield_ppo_experiment(game="nope")
    with pytest.raises(TypeError, match="horizn"):
        meanfield_ppo_experiment(game="lq", horizn=3)
    with pytest.raises(ValueError, match="batched=False"):
        _recurrent_batched()
    with pytest.raises(ValueError, match="tau"):
        meanfield_momd_experiment(game="crowd", tau=0.0)
    with pytest.raises(ValueError, match="alpha"):
        meanfield_momd_experiment(game="crowd", alpha=1.5)
    with pytest.raises(ValueError, match="target_update_every"):
        meanfield_momd_experiment(game="crowd", target_update_every=0)
    with pytest.raises(ValueError, match="n_agents"):
        meanfield_momd_experiment(game="crowd", n_agents=0)
    game = resolve_game("crowd")
    with pytest.raises(ValueError, match="value_scale"):
        _module(q_module_spec(game, value_scale=-1.0), game)


def _recurrent_batched():
    from econ_envs.rllib.meanfield import _ppo_experiment

    return _ppo_experiment(game="lq", recurrent=True, n_agents=4, batched=True, episodes_per_iteration=1,
                           minibatch_size=None, stop_iters=1, seed=0, ppo=None, hidden=8, embed=8, value_scale=None,
                           game_params={})  # fmt: skip
