"""Start-up cost: importing econ_envs compiles nothing, and a job compiles only its own family's kernels."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).parents[2]

# the numba dispatchers of every econ_envs module, and how many signatures each has compiled or loaded
PROBE = textwrap.dedent("""
    import json, sys
    from numba.core.registry import CPUDispatcher

    def compiled():
        out = {}
        for name, mod in list(sys.modules.items()):
            if not name.startswith("econ_envs"):
                continue
            for attr, obj in vars(mod).items():
                if isinstance(obj, CPUDispatcher) and obj.signatures and obj.__module__ == name:
                    out[f"{name}.{attr}"] = len(obj.signatures)
        return out
""")


def _run(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE + textwrap.dedent(code)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_import_compiles_no_kernel():
    found = _run("""
        import econ_envs, gymnasium
        print(json.dumps(compiled()))
    """)
    assert found == {}, f"kernels compiled at import: {sorted(found)}"


def test_a_taxai_episode_compiles_only_taxai_and_core_kernels():
    found = _run("""
        import numpy as np, econ_envs
        env = econ_envs.make("taxai-v0", n_households=20)
        env.reset_batch(seed=0)
        env.step_batch({"government": np.zeros((1, 5)), "household": np.full((20, 2), 0.5)})
        print(json.dumps(compiled()))
    """)
    families = {name.split(".")[1] for name in found}
    assert "taxai" in families and families <= {"taxai", "core"}, sorted(found)
