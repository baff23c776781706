"""RLlib training of the RBC economy: the curriculum, rule modules, the vector runner, evaluation, best responses."""

import csv
import math
import shutil

import numpy as np
import pytest

import econ_envs
from econ_envs.rbc import policies as P
from econ_envs.rbc.bestresponse import run_episode
from econ_envs.rllib.checkpoints import save_checkpoint
from econ_envs.rllib.experiments import unwrap_module_weights
from econ_envs.rllib.modules import FrozenRuleModule
from econ_envs.rllib.population import PopulationEnvRunner, module_actions
from econ_envs.rllib.rbc import (
    RBCCurriculum,
    checkpoint_config,
    make_rule,
    rbc_best_response,
    rbc_params,
    rbc_shared_ppo,
    rule_module_spec,
)

TINY = {"n_consumers": 6, "n_firms": 2, "replicas": 2, "minibatch_size": 64, "hidden": (16, 16)}
ENV = {"n_consumers": 6, "n_firms": 2}


def changed(a, b):
    return any(not np.array_equal(a[k], b[k]) for k in a)


def test_curriculum_switches_modules_and_annealing_at_the_configured_iterations(ray_session):
    cfg, _ = rbc_shared_ppo(**TINY, firm_anneal_iters=1, fixed_tax_iters=1, tax_anneal_iters=2, theta_tau_iters=2.0,
                            stop_iters=6)  # fmt: skip
    algo = cfg.build_algo()
    try:
        runner = algo.env_runner
        expected = [  # (stage, trained modules, firm module, government module, tax cap in force)
            (1, {"consumer"}, "firm_anneal", "government_anneal", 0.0),
            (2, {"consumer", "firm"}, "firm", "government_anneal", 0.0),
            (3, {"consumer", "firm"}, "firm", "government_anneal", 0.0),
            (3, {"consumer", "firm"}, "firm", "government_anneal", 0.5),
            (4, {"consumer", "firm", "government"}, "firm", "government", 1.0),
            (4, {"consumer", "firm", "government"}, "firm", "government", 1.0),
        ]
        weights = {m: unwrap_module_weights(algo, m) for m in ("consumer", "firm", "government")}
        for it, (stage, trained, firm_mid, gov_mid, cap) in enumerate(expected):
            mapping = runner.config.policy_mapping_fn.mapping
            assert (mapping["firm"], mapping["government"]) == (firm_mid, gov_mid), it
            assert runner.reset_options["theta_scale"] == pytest.approx(1 - math.exp(-it / 2.0))
            assert runner.module["government_anneal"].rule.rule.progress == pytest.approx(cap)
            result = algo.train()
            assert result["rbc_curriculum"]["stage"] == stage
            updated = {m for m, v in result["learners"].items() if "policy_loss" in v}
            assert updated == trained, it
            now = {m: unwrap_module_weights(algo, m) for m in weights}
            for m in weights:
                assert changed(weights[m], now[m]) == (m in trained), (it, m)
            weights = now
            econ = result["env_runners"]["economy"]
            if it == 0:  # firms' box closed: price 1,000 $/unit and wage 22 $/h from the first quarter on
                assert econ["mean_price"] == pytest.approx(1000.0)
                assert econ["mean_wage"] == pytest.approx(22.0 * 9 / 10)
            if stage < 3 or it == 2:  # zero taxes until the cap opens
                assert econ["income_tax_rate"] == 0.0 and econ["corporate_tax_rate"] == 0.0
    finally:
        algo.stop()


@pytest.mark.parametrize(
    "role,name,options",
    [("consumer", "budget_share", {}), ("firm", "cost_plus", {"markup": 0.5}), ("government", "fixed_tax",
     {"income_tax": 0.6, "corporate_tax": 0.2})],
)  # fmt: skip
def test_frozen_rule_module_plays_the_rule(role, name, options):
    env = econ_envs.make("rbc-v0", **ENV)
    params = env.params
    spec = rule_module_spec(role, name, ENV, **options)
    module = FrozenRuleModule(observation_space=env.roles[role].observation_space,
                              action_space=env.roles[role].action_space, model_config=spec.model_config)  # fmt: skip
    rule = {"budget_share": P.BudgetShare, "cost_plus": P.CostPlus, "fixed_tax": P.FixedTax}[name](params, **options)
    profile = P.rule_profile(params)
    obs, _ = env.reset_batch(seed=0)
    for _ in range(params.episode_length):
        acts = module_actions(module, obs[role], env.roles[role].action_space, explore=True)["env"]
        np.testing.assert_array_equal(acts.reshape(rule(env.raw_observations()[role]).shape),
                                      rule(env.raw_observations()[role]))  # fmt: skip
        res = env.step_batch(profile.act(env))
        obs = res.observations


def test_vector_runner_gives_the_generic_runners_episodes(ray_session):
    cfg, _ = rbc_shared_ppo(**TINY, firm_anneal_iters=0, fixed_tax_iters=0, tax_anneal_iters=0, theta_tau_iters=0.0)
    cfg = cfg.env_runners(explore=False)
    vec = cfg.env_runner_cls(config=cfg)
    gen = PopulationEnvRunner(config=cfg)
    gen.module.set_state(vec.module.get_state())
    a, b = vec.sample(explore=False), gen.sample(explore=False)
    from ray.rllib.core.columns import Columns
    from ray.rllib.evaluation.postprocessing import Postprocessing

    for mid in ("consumer", "firm", "government"):
        mask = a[mid][Columns.LOSS_MASK]
        np.testing.assert_array_equal(mask, b[mid][Columns.LOSS_MASK])
        for col in (Columns.OBS, Columns.ACTIONS, Columns.REWARDS):
            np.testing.assert_allclose(a[mid][col], b[mid][col], rtol=1e-6, atol=1e-6, err_msg=f"{mid} {col}")
        vt = Postprocessing.VALUE_TARGETS
        np.testing.assert_allclose(a[mid][vt][mask], b[mid][vt][mask], rtol=1e-5, atol=1e-5)
    # the rewards are the economy's divided by the type's scale
    env = econ_envs.make("rbc-v0", **ENV)
    assert a["firm"][Columns.REWARDS].shape[0] == 2 * env.roles["firm"].count * (env.params.episode_length + 1)


def test_evaluator_and_best_response_on_a_one_iteration_checkpoint(ray_session, tmp_path, monkeypatch):
    from econ_envs.rllib.evaluate import evaluate

    overrides = {**TINY, "firm_anneal_iters": 0, "fixed_tax_iters": 0, "tax_anneal_iters": 0, "theta_tau_iters": 0.0}
    cfg, _ = rbc_shared_ppo(**overrides)
    algo = cfg.build_algo()
    try:
        algo.train()
        ckpt = str(save_checkpoint(algo, tmp_path / "ckpt", experiment="rbc_shared_ppo", overrides=overrides))
        weights = {m: unwrap_module_weights(algo, m) for m in ("consumer", "firm", "government")}
    finally:
        algo.stop()
    # the config comes back from our JSON metadata (experiment + overrides), not from RLlib's pickles
    config, iteration = checkpoint_config(ckpt)
    assert iteration == 1 and config.env == "rbc-v0" and config.env_config == cfg.env_config
    assert type(config) is type(cfg) and config.rl_module_spec.rl_module_specs.keys() == cfg.policies.keys()
    bare = tmp_path / "bare"  # an RLlib checkpoint without our metadata: a clear error naming the file
    shutil.copytree(ckpt, bare)
    (bare / "econ_envs_checkpoint.json").unlink()
    with pytest.raises(ValueError, match="not a checkpoint written by `econ-envs train` .no econ_envs_checkpoint.json"):
        checkpoint_config(bare)
    monkeypatch.chdir(tmp_path)
    summary = evaluate("ckpt", episodes=2, out=tmp_path / "eval")  # a relative path, as users type it
    out = tmp_path / "eval"
    for name in ("comparison.csv", "comparison.md", "epsilon.csv", "epsilon.md", "comparison.png", "evaluation.json"):
        assert (out / name).exists(), name
    rows = {r["profile"]: r for r in summary["rows"]}
    assert {"learned (sampled)", "learned (most likely)", "rules, fixed tax 0.2/0.2"} <= set(rows)
    for r in rows.values():
        assert all(math.isfinite(r[k]) for k in ("consumer_return", "firm_return", "government_return", "output"))
    # the rule rows are the rule profile's exact episode, as the bestresponse module computes it
    params = rbc_params(ENV)
    ref = run_episode(params, 1, lambda raw, t: P.rule_profile(params).actions(raw, np.random.default_rng(0)))
    assert rows["rules, fixed tax 0.2/0.2"]["government_return"] == pytest.approx(ref["government"][0])
    assert rows["rules, fixed tax 0.2/0.2"]["firm_return"] == pytest.approx(ref["firm"][0])
    with open(out / "epsilon.csv") as f:
        eps = list(csv.DictReader(f))
    assert eps[0]["type"] == "government" and float(eps[0]["gain"]) >= 0.0  # the best fixed tax is no worse
    assert len(list((out / "histories").glob("*.csv"))) == len(rows)

    # the best-response copy loads the checkpoint; only the deviator changes
    br_cfg, stop = rbc_best_response(checkpoint=ckpt, role="firm", iters=1, eval_replicas=2)
    br = br_cfg.build_algo()
    try:
        for m, w in weights.items():
            assert not changed(w, unwrap_module_weights(br, m)), m
        assert not changed(weights["firm"], unwrap_module_weights(br, "firm__br"))
        result = br.train()
        rep = result["rbc_best_response"]
        assert rep["others_unchanged"] is True
        assert changed(weights["firm"], unwrap_module_weights(br, "firm__br"))
        assert {m for m, v in result["learners"].items() if "policy_loss" in v} == {"firm__br"}
        assert math.isfinite(rep["gain"]) and rep["epsilon_vs_before"] == pytest.approx(
            rep["gain"] / abs(rep["reward_before"])
        )
    finally:
        br.stop()


def test_bad_names_and_stage_lengths_fail_clearly(tmp_path):
    with pytest.raises(ValueError, match="firm_anneal_iters must be an integer >= 0"):
        rbc_shared_ppo(firm_anneal_iters=-1)
    with pytest.raises(ValueError, match="tax_anneal_iters must be an integer >= 0"):
        RBCCurriculum(tax_anneal_iters=2.5)
    with pytest.raises(ValueError, match="theta_tau_iters"):
        RBCCurriculum(theta_tau_iters=float("nan"))
    with pytest.raises(ValueError, match="must be 0 when the government is a fixed rule"):
        rbc_shared_ppo(government="rule:fixed_tax", fixed_tax_iters=3)
    with pytest.raises(ValueError, match="unknown firm rule 'markup'"):
        rbc_shared_ppo(firms="rule:markup")
    with pytest.raises(ValueError, match="consumers must be|consumer must be"):
        rbc_shared_ppo(consumers="lstm")
    with pytest.raises(ValueError, match="unknown rbc role 'bank'"):
        make_rule("bank", "fixed_tax")
    with pytest.raises(ValueError, match="bad options"):
        make_rule("government", "fixed_tax", ENV, rate=0.3)
    with pytest.raises(ValueError, match="income_tax 0.3 is not one of the choices"):
        make_rule("government", "fixed_tax", ENV, income_tax=0.3)
    with pytest.raises(ValueError, match="observation_mode='digits' cannot be converted"):
        make_rule("firm", "cost_plus", {**ENV, "observation_mode": "digits"})
    with pytest.raises(TypeError, match="unknown parameter.*n_firmz"):
        rbc_shared_ppo(env_overrides={"n_firmz": 3})
    with pytest.raises(ValueError, match="reward_scales"):
        rbc_shared_ppo(reward_scales={"household": 2.0})
    with pytest.raises(ValueError, match=r"lr: unknown type\(s\) \['bank'\]"):
        rbc_shared_ppo(lr={"bank": 1e-3})
    with pytest.raises(ValueError, match=r"entropy\['firm'\] must be \(start, floor\)"):
        rbc_shared_ppo(entropy={"firm": [0.1]})
    with pytest.raises(ValueError, match="unknown role 'bank'"):
        rbc_best_response(role="bank")
    with pytest.raises(ValueError, match="not a checkpoint written by `econ-envs train`"):
        rbc_best_response(checkpoint=str(tmp_path))
    with pytest.raises(ValueError, match="annealing progress"):
        make_rule("government", "annealed_tax", ENV).set_progress(1.5)


def test_annealed_rules_stay_inside_their_box():
    params = rbc_params(ENV)
    env = econ_envs.make("rbc-v0", **ENV)
    env.reset_batch(seed=0)
    raw = env.raw_observations()
    gov = make_rule("government", "annealed_tax", ENV, seed=1)
    firm = make_rule("firm", "annealed_price_wage", ENV, seed=1)
    venv_tables = env.core
    for e in (0.0, 0.5, 1.0):
        gov.set_progress(e)
        firm.set_progress(e)
        taxes = venv_tables.decode_government_actions(gov.raw(np.repeat(raw["government"], 400, axis=0)))
        assert taxes["income_tax"].max() <= e + 1e-12 and taxes["corporate_tax"].max() <= e + 1e-12
        pw = venv_tables.decode_firm_actions(firm.raw(np.repeat(raw["firm"], 200, axis=0)))
        assert pw["price"].min() >= 1000 - 1000 * e - 1e-9 and pw["price"].max() <= 1000 + 1500 * e + 1e-9
        assert pw["wage"].min() >= 22 - 22 * e - 1e-9 and pw["wage"].max() <= 22 + 22 * e + 1e-9
        if e == 1.0:  # the whole grid is reached
            assert len(np.unique(taxes["income_tax"])) == len(params.income_tax_choices)
            assert len(np.unique(pw["price"])) == len(params.price_choices)


def test_per_type_settings_reach_the_modules():
    entropy = {"consumer": (0.2, 0.02), "government": (0.1, 0.01)}
    cfg, _ = rbc_shared_ppo(**TINY, firm_anneal_iters=3, fixed_tax_iters=1, tax_anneal_iters=1, entropy_decay_iters=2,
                            lr={"firm": 1e-4}, entropy=entropy)  # fmt: skip
    per = cfg.algorithm_config_overrides_per_module
    steps = 2 * 10  # replicas x quarters per iteration
    assert per["firm"]["lr"] == 1e-4 and per["consumer"]["lr"] == per["government"]["lr"] == 3e-4
    assert per["consumer"]["entropy_coeff"] == [[0, 0.2], [2 * steps, 0.02]]
    # each type's entropy starts decaying when it starts training: firms at 3, the government at 5
    assert per["firm"]["entropy_coeff"] == [[0, 0.02], [3 * steps, 0.02], [5 * steps, 0.002]]  # a type left out
    assert per["government"]["entropy_coeff"] == [[0, 0.1], [5 * steps, 0.1], [7 * steps, 0.01]]
    lcd = cfg.learner_config_dict
    assert lcd["reward_scales"] == {"consumer": 5.0, "firm": 30000.0, "government": 1000.0}
    assert lcd["time_limit_is_terminal"] is True
    assert [s for s, _ in lcd["role_mapping_schedule"]] == [0, 3, 5]
