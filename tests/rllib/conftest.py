import os

import pytest

ray = pytest.importorskip("ray")
pytest.importorskip("torch")


@pytest.fixture(scope="session")
def ray_session():
    """One local Ray instance for the RLlib tests (2 CPUs, no dashboard)."""
    os.environ.setdefault("RAY_DEDUP_LOGS", "1")
    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()
