"""RLlib layer of the monetary economy: frozen rule modules, builders' errors, value scaling, the evaluator."""

import csv
import json
import math

import numpy as np
import pytest
import torch
from ray.rllib.core.columns import Columns
from ray.rllib.core.rl_module.rl_module import RLModuleSpec

import econ_envs
from econ_envs.monetary import policies as P
from econ_envs.rllib.experiments import module_spec
from econ_envs.rllib.modules import EconMLPModule
from econ_envs.rllib.monetary import (
    RULE_FACTORY,
    monetary_central_bank,
    monetary_shared_ppo,
    stationary_inputs,
)

ENV = {"n_households": 40, "n_firms": 8, "n_banks": 3}


def rule_module(role, name, env_config, **kwargs):
    env = econ_envs.make("monetary-v0", **env_config)
    spec = module_spec(f"rule:{name}", factory=RULE_FACTORY,
                       kwargs={"role": role, "name": name, "env_config": env_config, **kwargs})  # fmt: skip
    r = env.roles[role]
    return RLModuleSpec(**{**spec.__dict__, "observation_space": r.observation_space, "action_space": r.action_space})


def observations(role, months, seed=0):
    """Observations of ``role`` along a rule-driven run (the inputs a module would see)."""
    env = econ_envs.make("monetary-v0", **ENV)
    profile = P.Taylor93Profile(env)
    profile.reset(env, seed)
    out = []
    for _ in range(months):
        out.append(env.batch_observations()[role].copy())
        env.step_batch(profile.act(env))
    return out


@pytest.mark.parametrize(
    "role,names",
    [("central_bank", list(P.CENTRAL_BANK_RULES)), ("bank", ["heuristic"]), ("household", ["buffer_stock"]),
     ("firm", ["markup"])],
)  # fmt: skip
def test_frozen_rule_modules_act_exactly_as_the_rules(role, names):
    obs = observations(role, 8)
    params = econ_envs.make("monetary-v0", **ENV).params
    table = {"central_bank": P.CENTRAL_BANK_RULES, "bank": P.BANK_RULES, "household": P.HOUSEHOLD_RULES,
             "firm": P.FIRM_RULES}  # fmt: skip
    for name in names:
        seed = {} if role in ("central_bank", "bank") else {"seed": 5}
        module = rule_module(role, name, ENV, **seed).build()
        rule = table[role][name](params, **seed)
        # one module over two "episodes" = one rule instance called in the same order (a shared module
        # continues its generator; nothing else carries over)
        for o in obs + obs:
            with torch.no_grad():
                got = np.asarray(module.forward_inference({Columns.OBS: torch.from_numpy(o)})[Columns.ACTIONS])
            want = np.array([rule(row) for row in o]) if role == "central_bank" else rule(o)
            assert got.dtype == np.int64 and got.shape == (o.shape[0],)
            np.testing.assert_array_equal(got, want, err_msg=f"{role} rule {name}")


def test_rule_policy_and_builders_name_the_bad_input():
    with pytest.raises(ValueError, match="unknown role 'treasury'"):
        P.rule_policy("treasury")
    with pytest.raises(ValueError, match="unknown household rule 'hand_to_mouth'"):
        P.rule_policy("household", "hand_to_mouth")
    with pytest.raises(TypeError, match="n_housholds"):
        P.rule_policy("bank", "heuristic", {"n_housholds": 10})
    with pytest.raises(TypeError, match="env_config must be a dict"):
        P.rule_policy("bank", "heuristic", [("n_households", 10)])
    with pytest.raises(ValueError, match="unknown firm rule 'cost_plus'"):
        monetary_shared_ppo(firm="rule:cost_plus")
    with pytest.raises(ValueError, match="household must be 'mlp' or 'rule:<name>', got 'lstm'"):
        monetary_shared_ppo(household="lstm")
    with pytest.raises(ValueError, match="all four are rules"):
        monetary_shared_ppo(central_bank="rule:taylor93", bank="rule:heuristic", household="rule:buffer_stock",
                            firm="rule:markup")  # fmt: skip
    with pytest.raises(ValueError, match="stackelberg=True needs"):
        monetary_shared_ppo(central_bank="rule:npp", stackelberg=True)
    with pytest.raises(TypeError, match="zero_lower_bond"):
        monetary_shared_ppo(env_overrides={"zero_lower_bond": False})
    with pytest.raises(ValueError, match="view must be 'gym' or 'multi'"):
        monetary_central_bank(view="single")
    with pytest.raises(ValueError, match="multiple of num_envs"):
        monetary_central_bank(episodes_per_iter=6, num_envs=4)
    with pytest.raises(ValueError, match="unknown role"):
        stationary_inputs("treasury")
    assert "time_fraction" not in [econ_envs.make("monetary-v0").obs_names("central_bank")[i]
                                   for i in stationary_inputs("central_bank")]  # fmt: skip


def test_value_scale_multiplies_the_value_function():
    env = econ_envs.make("monetary-v0", **ENV)
    r = env.roles["central_bank"]
    modules = [
        RLModuleSpec(
            module_class=EconMLPModule,
            observation_space=r.observation_space,
            action_space=r.action_space,
            model_config={"value_scale": s},
        ).build()
        for s in (1.0, 100.0)
    ]
    modules[1].set_state(modules[0].get_state())
    obs = torch.from_numpy(np.stack(observations("central_bank", 3)).reshape(3, -1))
    v1, v100 = (m.compute_values({Columns.OBS: obs}) for m in modules)
    torch.testing.assert_close(v100, 100.0 * v1)
    with pytest.raises(ValueError, match="value_scale"):
        RLModuleSpec(module_class=EconMLPModule, observation_space=r.observation_space, action_space=r.action_space,
                     model_config={"value_scale": -1.0}).build()  # fmt: skip


def _read_rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("builder", ["central_bank", "shared"])
def test_evaluator_on_a_one_iteration_checkpoint(ray_session, tmp_path, monkeypatch, builder):
    from econ_envs.rllib.evaluate import evaluate

    env = {**ENV, "episode_length": 24}
    if builder == "central_bank":
        cfg, _ = monetary_central_bank(**env, episodes_per_iter=1, num_envs=1, minibatch_size=24)
        cbs, economies = ["learned", *P.CENTRAL_BANK_RULES], ["rules"]
    else:
        cfg, _ = monetary_shared_ppo(**env, minibatch_size=256)
        cbs, economies = ["learned", *P.CENTRAL_BANK_RULES], ["learned", "rules"]
    algo = cfg.build_algo()
    try:
        algo.train()
        algo.save_to_path(str(tmp_path / "ckpt"))
    finally:
        algo.stop()
    out = tmp_path / "eval"
    monkeypatch.chdir(tmp_path)  # a relative checkpoint path, as users type it
    summary = evaluate("ckpt", episodes=2, out=out)
    rows = _read_rows(out / "comparison.csv")
    # with the trained config at hand only the modules are loaded (no algorithm build); same table
    light = evaluate("ckpt", episodes=2, out=tmp_path / "light", config=cfg, iteration=1)
    assert _read_rows(tmp_path / "light" / "comparison.csv") == rows and len(light["rows"]) == len(rows)
    assert [(r["central_bank"], r["economy"]) for r in rows] == [(c, e) for e in economies for c in cbs]
    for r in rows:
        for key in ("discounted_loss", "discounted_loss_sd", "inflation_12m", "output_gap", "unemployment",
                    "rate_volatility", "loss_vs_taylor93_pct"):  # fmt: skip
            assert math.isfinite(float(r[key])), (r["central_bank"], key)
        assert float(r["discounted_loss"]) > 0
    assert float(next(r for r in rows if r["central_bank"] == "taylor93")["loss_vs_taylor93_pct"]) == 0.0
    for r in summary["rows"]:  # paired by seed: never lower than itself, at most every seed
        assert 0 <= r["learned_lower_on_seeds"] <= 2 and math.isfinite(r["discounted_loss_median"])
        if r["central_bank"] == "learned":
            assert r["learned_lower_on_seeds"] == 0
    md = (out / "comparison.md").read_text()
    assert all(f"| {c} |" in md for c in cbs)
    fits = json.loads((out / "reaction_function.json").read_text())
    learned = fits[f"learned / {economies[0]}"]
    assert set(learned["coefficients"]) == {"c", "phi_pi", "phi_y", "rho"} and learned["observations"] == 2 * 23
    assert (out / "policy_transmission.png").stat().st_size > 0
    irf = json.loads((out / "impulse_responses.json").read_text())
    assert set(irf["learned"]) == {"policy_rate", "cost_push", "demand"} == set(irf["taylor93"])
    # a +100 bp shock to the rate in force moves it on impact under any central bank
    assert irf["taylor93"]["policy_rate"]["responses"]["policy_rate"]["mean"][0] > 0.5
    assert len(list((out / "histories").glob("*.csv"))) == 2 * len(rows)
    assert summary["env"] == cfg.env and len(summary["rows"]) == len(rows)
