"""The allocator setting applied at import (see econ_envs.core.memory)."""

import subprocess
import sys

import pytest

from econ_envs.core import memory


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc mallopt")
def test_allocator_is_tuned_once_and_can_be_switched_off():
    assert memory.tune_allocator() is memory.tune_allocator()  # idempotent
    code = "import econ_envs; from econ_envs.core import memory; print(memory._applied)"
    off = subprocess.run([sys.executable, "-c", code], env={"ECON_ENVS_MALLOPT": "0"}, capture_output=True, text=True)
    assert off.stdout.strip() == "False", off.stderr
    user = subprocess.run([sys.executable, "-c", code], env={"MALLOC_MMAP_THRESHOLD_": "1048576"},
                          capture_output=True, text=True)  # fmt: skip
    assert user.stdout.strip() == "False", user.stderr
