# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# Each finds a Python >= 3.12, creates .venv, installs the exact versions of requirements.lock (every extra:
# dev, distributed, viz) and then the project itself (editable, no dependency resolution), once per content of
# setup.cfg + pyproject.toml + requirements.lock, then runs. `make lock` regenerates the lock from setup.cfg.

SHELL := /bin/bash
# One BLAS thread: the models are small and the machine has 2 cores; two BLAS threads per process make the
# small matrix products 3-5x slower under load, and pytest already runs 2 workers.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
VENV := .venv
VPY := $(VENV)/bin/python

# A Python >= 3.12: $(PYTHON) if given, else the first of python3.12 / python3.13 / python3 that is >= 3.12
# (3.12 first: the lock is compiled with it).
PY_OK := import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)
ifeq ($(origin PYTHON), undefined)
PYTHON := $(shell for p in python3.12 python3.13 python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c '$(PY_OK)' >/dev/null 2>&1; then command -v $$p; break; fi; done)
endif
FOUND := $(shell for p in python3.12 python3.13 python3; do \
	v=$$($$p -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) && echo "$$p=$$v"; done)

LOCK := requirements.lock
STAMP := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml $(LOCK) | sha256sum | cut -c1-16)
DEMO_OUT ?= runs/demo
DEMO_SCENARIO ?= side_by_side
PYTEST_ARGS ?=

.PHONY: demo test lint bench clean venv lock

venv: $(STAMP)

$(STAMP): setup.cfg pyproject.toml $(LOCK)
	@if [ -z "$(PYTHON)" ]; then \
		echo "error: need Python >= 3.12; found: $(or $(FOUND),no python3 at all). Install one or pass PYTHON=/path/to/python3.12" >&2; \
		exit 1; fi
	@if ! "$(PYTHON)" -c '$(PY_OK)'; then \
		echo "error: PYTHON=$(PYTHON) is $$("$(PYTHON)" -c 'import sys; print(sys.version.split()[0])'); need >= 3.12" >&2; exit 1; fi
	@if [ -x "$(VPY)" ] && ! "$(VPY)" -c '$(PY_OK)' 2>/dev/null; then rm -rf $(VENV); fi
	@[ -x "$(VPY)" ] || "$(PYTHON)" -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -r $(LOCK)
	$(VPY) -m pip install --quiet --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

demo: $(STAMP)
	$(VENV)/bin/gradient run $(DEMO_SCENARIO) --out $(DEMO_OUT) --force
	@echo "demo outputs: $(DEMO_OUT)/ -- report.md (read this first), figures/, summary.json, replicates/ (one run directory per seed: trace.parquet, metrics.parquet)"

# --dist loadgroup: tests marked xdist_group("dask") start Dask workers and share one cluster on one pytest
# worker, so the 2 cores are not oversubscribed. Without PYTEST_ARGS the browser tests run first, on their own:
# their page server and Chromium need CPU that the parallel run's heavy tests would take (a 2-core machine under
# both timed the page out once). --durations=25 lists the slowest tests, so a log shows what spends the suite's
# 15-minute budget.
test: $(STAMP)
ifeq ($(strip $(PYTEST_ARGS)),)
	CI=$${CI:-} $(VPY) -m pytest tests/view/test_browser.py
	CI=$${CI:-} $(VPY) -m pytest -n 2 --dist loadgroup --durations=25 --ignore=tests/view/test_browser.py
else
	CI=$${CI:-} $(VPY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)
endif

# Regenerate the lock from setup.cfg's ranges (pip-tools); commit setup.cfg and requirements.lock together.
lock:
	@[ -x "$(VPY)" ] || "$(PYTHON)" -m venv $(VENV)
	$(VPY) -m pip install --quiet 'pip-tools>=7.4,<8'
	$(VENV)/bin/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links \
		--extra dev --extra distributed --extra viz -o $(LOCK) setup.cfg

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: $(STAMP)
	@for b in benchmarks/[!_]*.py; do echo "== $$b"; $(VPY) $$b || exit 1; done

clean:
	rm -rf $(VENV) runs .hypothesis .pytest_cache .ruff_cache .mypy_cache *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
