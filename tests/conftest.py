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
