"""Render every plot the CLI makes into docs/gallery/, cheaply, for a visual check.

    python scripts/gallery.py                 # about a minute on a laptop after the numba caches are built
    python scripts/gallery.py --train         # also re-record the training data from a fresh taxai_quickstart run
    python scripts/gallery.py --out /tmp/gal  # somewhere else

What it renders, each with the same code the CLI uses:

* ``simulate_<env>.png`` - ``econ-envs simulate`` for every registered economy (short runs);
* ``analyze_monetary_*.png`` - ``econ-envs analyze monetary-v0 all`` (2 seeds, 60 months);
* ``solve_<game>_<solver>.png`` - ``econ-envs solve`` exploitability curves (few iterations);
* ``train_taxai_training_curves.png``, ``train_taxai_agent_rewards.png``,
  ``evaluate_taxai_comparison.png`` (+ ``.md``) - from data recorded from a real
  ``econ-envs train taxai_quickstart --evaluate 2`` run (``docs/gallery/data/``;
  ``--train`` re-records it, which needs the ``rllib`` extra);
* ``evaluate_monetary_comparison.png``, ``evaluate_rbc_comparison.png`` - the
  monetary and RBC evaluation plots from the comparison tables in ``docs/``.

The PNGs are quantised to 128 colours to keep the repository small. Look at every
picture after a change to a plotting function.
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "docs" / "gallery" / "data"
KEEP_PREFIXES = ("training_iteration", "env_runners/episode_return_mean", "env_runners/module_episode_returns_mean/",
                 "env_runners/economy/gdp_per_household", "env_runners/economy/social_welfare",
                 "env_runners/economy/wealth_gini", "env_runners/economy/income_gini")  # fmt: skip


def _kept(key: str) -> bool:
    if key.startswith("learners/") and key.split("/")[-1] in ("policy_loss", "vf_loss", "entropy"):
        return key.count("/") == 2
    return any(key == p or (p.endswith("/") and key.startswith(p)) for p in KEEP_PREFIXES)


def record(train_dir: Path) -> None:
    """Keep the result rows and the evaluation of a taxai_quickstart run in docs/gallery/data/."""
    from econ_envs.rllib.runlog import flatten

    DATA.mkdir(parents=True, exist_ok=True)
    result = sorted(glob.glob(str(train_dir / "taxai_quickstart" / "*" / "result.json")))[-1]
    rows = []
    for line in open(result):
        flat = flatten(json.loads(line))
        rows.append({k: v for k, v in flat.items() if _kept(k) and isinstance(v, (int, float))})
    with open(DATA / "taxai_quickstart_results.jsonl", "w") as f:
        for r in rows:
            f.write(json.dumps({k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()})
                    + "\n")  # fmt: skip
    ev = json.loads((train_dir / "evaluation" / "evaluation.json").read_text())
    traj = {}
    for r in ev["rows"]:
        path = train_dir / "evaluation" / "histories" / f"{r['government']}__{r['households']}__seed10000.csv"
        with open(path, newline="") as f:
            traj[f"{r['government']} / {r['households']}"] = [round(float(x["gdp_per_household"]), 1)
                                                              for x in csv.DictReader(f)]  # fmt: skip
    trial = Path(sorted(glob.glob(str(train_dir / "taxai_quickstart" / "*" / "params.json")))[-1])
    params = json.loads(trial.read_text())
    meta = {"source": "econ-envs train taxai_quickstart --evaluate 2", "recorded": time.strftime("%Y-%m-%d"),
            "episodes": ev["episodes"], "env_config": params["env_config"]}
    json.dump({"meta": meta, "rows": ev["rows"], "trajectories": traj}, open(DATA / "taxai_quickstart_evaluation.json",
              "w"), indent=1)  # fmt: skip


def _cli(*args: str) -> None:
    cmd = [sys.executable, "-m", "econ_envs.cli", *args]
    print("$ econ-envs " + " ".join(args), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def _copy(src: Path, out: Path, name: str, written: list[str]) -> None:
    shutil.copyfile(src, out / name)
    written.append(name)


def _read_csv(path: Path) -> list[dict]:
    def num(v: str):
        try:
            return float(v)
        except ValueError:
            return v

    with open(path, newline="") as f:
        return [{k: num(v) for k, v in r.items()} for r in csv.DictReader(f)]


def render(out: Path) -> list[str]:
    from econ_envs.core.registry import list_envs

    out.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="econ_gallery_"))
    # econ-envs simulate, every economy (short where the episode is long)
    steps = {"taxai-v0": "120", "monetary-v0": "120"}
    for env_id in list_envs():
        d = tmp / env_id.replace("/", "_")
        extra = ["--steps", steps[env_id]] if env_id in steps else []
        _cli("simulate", env_id, "--out", str(d), "--quiet", *extra)
        _copy(d / "macro_variables.png", out, f"simulate_{env_id.replace('/', '_').replace('-v0', '')}.png", written)
    # econ-envs analyze monetary-v0 all
    d = tmp / "analyze"
    _cli("analyze", "monetary-v0", "all", "--seeds", "2", "--months", "60", "--out", str(d), "--quiet")
    for name in ("macro_variables", "agent_rewards", "policy_transmission", "wealth_gini", "zlb"):
        _copy(d / f"{name}.png", out, f"analyze_monetary_{name}.png", written)
    # econ-envs solve: mean-field exploitability curves
    for game, solver, its in (("lq", "fp", "30"), ("beach_bar", "omd", "30"), ("crowd", "spg", "20")):
        d = tmp / f"solve_{game}_{solver}"
        _cli("solve", game, "--solver", solver, "--iterations", its, "--out", str(d), "--quiet")
        _copy(d / "curve.png", out, f"solve_{game}_{solver}.png", written)
    # training and evaluation plots from recorded data
    from econ_envs.rllib.evaluate import _plot_taxai, write_table
    from econ_envs.rllib.train import plot_training

    rows = [json.loads(line) for line in open(DATA / "taxai_quickstart_results.jsonl")]
    rows = [{k: (math.nan if v is None else v) for k, v in r.items()} for r in rows]
    d = tmp / "train"
    d.mkdir()
    plot_training(rows, d, "taxai_quickstart")
    _copy(d / "training_curves.png", out, "train_taxai_training_curves.png", written)
    _copy(d / "agent_rewards.png", out, "train_taxai_agent_rewards.png", written)
    ev = json.loads((DATA / "taxai_quickstart_evaluation.json").read_text())
    _plot_taxai(ev["rows"], ev["trajectories"], d, ev["rows"][0]["task"])
    import econ_envs
    from econ_envs.rllib.evaluate import taxai_caption_text

    params = econ_envs.make("taxai-v0", **ev["meta"]["env_config"]).params
    write_table(ev["rows"], d, taxai_caption_text(params, ev["meta"]["episodes"]))
    _copy(d / "comparison.png", out, "evaluate_taxai_comparison.png", written)
    _copy(d / "comparison.md", out, "evaluate_taxai_comparison.md", written)
    from econ_envs.rllib.monetary import _plot_comparison

    d = tmp / "monetary"
    d.mkdir()
    _plot_comparison(_read_csv(ROOT / "docs" / "monetary" / "learned" / "comparison.csv"), d)
    _copy(d / "comparison.png", out, "evaluate_monetary_comparison.png", written)
    from econ_envs.rllib.rbc import _plot_rbc

    d = tmp / "rbc"
    d.mkdir()
    rbc = ROOT / "docs" / "rbc" / "rllib"
    rbc_rows = _read_csv(rbc / "comparison.csv")
    hist = {}
    for r in rbc_rows:
        safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in r["profile"])
        hist[r["profile"]] = _read_csv(rbc / "histories" / f"{safe}.csv")
    _plot_rbc(rbc_rows, hist, d)
    _copy(d / "comparison.png", out, "evaluate_rbc_comparison.png", written)
    shutil.rmtree(tmp, ignore_errors=True)
    _shrink([out / n for n in written if n.endswith(".png")])
    return written


def _shrink(paths: list[Path]) -> None:
    from PIL import Image

    for p in paths:
        img = Image.open(p).convert("RGB")
        img.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(p, optimize=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "gallery"))
    ap.add_argument("--train", action="store_true", help="re-record the training data from a fresh tiny run")
    args = ap.parse_args(argv)
    if args.train:
        tdir = Path(tempfile.mkdtemp(prefix="econ_gallery_train_"))
        _cli("train", "taxai_quickstart", "--out", str(tdir), "--evaluate", "2", "--quiet")
        record(tdir)
    t0 = time.perf_counter()
    written = render(Path(args.out))
    print(f"wrote {len(written)} files in {args.out} ({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
