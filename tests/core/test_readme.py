"""The README's code runs as it is written.

Every ```python block is run on its own, in a fresh interpreter in an empty folder, so a block
that leans on another block's variables, or on a name the reader must supply, fails here.
The README's two commands (the main job and the test suite) are checked against ``.ci/run``.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
README = ROOT / "README.md"


def code_blocks(text: str, lang: str) -> list[tuple[int, str]]:
    """(line number, code) of every fenced block in ``lang``."""
    blocks = []
    for m in re.finditer(rf"^```{lang}\n(.*?)^```", text, flags=re.S | re.M):
        blocks.append((text.count("\n", 0, m.start()) + 1, m.group(1)))
    return blocks


PY_BLOCKS = code_blocks(README.read_text(), "python")


def _param(line: int, code: str):
    return pytest.param(code, id=f"README.md:{line}")  # each block runs in seconds: none is marked slow


def test_the_readme_has_python_blocks():
    assert len(PY_BLOCKS) >= 5


@pytest.mark.parametrize("code", [_param(line, code) for line, code in PY_BLOCKS])
def test_python_block_runs_on_its_own(code, tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "MPLBACKEND": "Agg"}  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]


def test_snippet_one_says_why_the_episode_ended():
    _, first = PY_BLOCKS[0]
    assert "termination_reason" in first


def test_readme_commands_match_ci():
    text = README.read_text()
    bash = [code for _, code in code_blocks(text, "bash")]
    main_job = next(c for c in bash if "taxai_quickstart --evaluate" in c)
    assert ".venv/bin/econ-envs train taxai_quickstart" in main_job
    test_cmd = next(c for c in bash if "-m pytest" in c)
    ci = (ROOT / ".ci" / "run").read_text()
    assert "-n auto" in test_cmd and "-n auto" in ci
    # the README's test command is the one CI runs
    assert test_cmd.strip().splitlines()[-1] in ci
    assert "source .venv/bin/activate" in text  # bare `econ-envs` commands need the venv on PATH
