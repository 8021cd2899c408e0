"""Wiring and parameters, nothing else.

One module per scenario, each registering itself in `scenarios.registry`; the `gradient` command line
(`scenarios.cli`); the machinery that runs a scenario into an output directory (`scenarios.runner`).
"""

import os

# One BLAS thread by default, set before numpy loads (the `gradient` command and `python -m scenarios.NAME` import
# this package first): the models are small and the machine has 2 cores, where two BLAS threads per process make
# the small matrix products 3-5x slower. A run itself does not rely on this: `scenarios.runner.execute` pins the
# BLAS pool to `BLAS_THREADS` with threadpoolctl whatever the caller's environment says, because the thread count
# changes the summation order of matrix products and so the numbers.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
