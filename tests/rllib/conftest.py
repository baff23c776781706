import os

import pytest

ray = pytest.importorskip("ray")
pytest.importorskip("torch")


@pytest.fixture(scope="session")
def ray_session():
    """One local Ray instance per test process (2 CPUs, no dashboard).

    ``address="local"``: each pytest-xdist worker starts its own, and none joins a cluster that
    another test started (Ray's default joins the one in /tmp/ray/ray_current_cluster).
    """
    os.environ.setdefault("RAY_DEDUP_LOGS", "1")
    if not ray.is_initialized():
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()
