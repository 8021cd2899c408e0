"""Shared test configuration: hypothesis profiles and small fixtures.

Profiles: ``dev`` (few examples, fast feedback) and ``ci`` (more examples, ``derandomize=True`` so CI is
reproducible). ``CI=true`` selects ``ci``; ``HYPOTHESIS_PROFILE`` overrides.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before numpy loads: small matrices, 2 cores, 2 pytest workers

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("dev", max_examples=10, deadline=None)
settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    """A fresh output directory for one run."""
    return tmp_path / "run"


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory: pytest.TempPathFactory):
    """``smoke_run(name)``: the directory of a seed-0 run of scenario `name` at its smoke overrides, made once per
    test session and shared by every pytest worker (a file lock in the workers' common temporary root), for
    tests that only read a run: the golden comparison and the replay checks. Tests must not write into it."""
    import fcntl

    from scenarios.registry import all_scenarios
    from scenarios.runner import execute
    from world.outputs import is_complete

    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "smoke-runs"
    root.mkdir(exist_ok=True)

    def get(name: str) -> Path:
        out = root / name
        with open(root / f"{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not is_complete(out):
                execute(name, out, seed=0, overrides=all_scenarios()[name].smoke, force=out.exists())
        return out

    return get
