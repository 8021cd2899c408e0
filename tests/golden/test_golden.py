"""Golden summaries: every registered scenario at seed 0 with its smoke overrides gives the results stored in
``tests/golden/<scenario>.json``.

What is compared, and how closely:
- **Simulated numbers** (everything not from a fit) to a relative 1e-12 (absolute 1e-12 of the largest value of
  the list they stand in); integers, strings, booleans and nulls exactly. Changing the BLAS kernel moves them by
  at most ≈3e-13 (summation order in matrix products).
- **Fit records** (`analysis.relaxation.Fit.record`, recognised by their keys): ``model``, ``determined``,
  ``reason`` and ``t0`` exactly; each fitted parameter within ``FIT_SE_FRACTION`` (10⁻³) of its own standard
  error, the interval ends within 10× that, the standard errors to a relative 10⁻³, r² and rmse to 10⁻⁶. An
  undetermined fit holds no numbers (nulls), so only its reason is compared. A curve fit's optimum is fixed only
  to ≈1e-8 (scipy's tolerances, and the BLAS kernel under the least-squares solver): noise far below the fit's
  uncertainty, which this tolerance accepts and a physics change does not.
- **Numbers computed from fits**, declared by the scenario (`Scenario.fitted`, stored in the golden file): to a
  relative ``FIT_SE_FRACTION`` × the smallest relative standard error of τ or β among the run's determined fits.

A scenario without a golden file fails with the command that creates it; regenerate with
``.venv/bin/python tests/golden/regenerate.py [SCENARIO ...]`` only for an intended change.
`test_golden_files_pin_physics_not_the_blas_kernel` runs the whole comparison again under another BLAS kernel.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import json
import math
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from scenarios.registry import all_scenarios

GOLDEN_DIR = Path(__file__).resolve().parent
ROOT = GOLDEN_DIR.parents[1]
_spec = importlib.util.spec_from_file_location("golden_regenerate", GOLDEN_DIR / "regenerate.py")
assert _spec is not None and _spec.loader is not None
regenerate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regenerate)

RTOL = 1e-12
FIT_SE_FRACTION = 1e-3
FIT_PARAMS = ("y0", "y_inf", "tau", "beta")
_FIT_KEYS = {"determined", "reason", "se", "tau_ci", "beta_ci"}


def is_fit_record(obj: Any) -> bool:
    """True for a dict written by `analysis.relaxation.Fit.record`."""
    return isinstance(obj, dict) and obj.keys() >= _FIT_KEYS


def _fit_records(obj: Any) -> list[dict[str, Any]]:
    if is_fit_record(obj):
        return [obj]
    if isinstance(obj, dict):
        return [r for v in obj.values() for r in _fit_records(v)]
    if isinstance(obj, list):
        return [r for v in obj for r in _fit_records(v)]
    return []


def fitted_rtol(results: Any) -> float:
    """Tolerance of declared fit-derived numbers: 10⁻³ × the smallest relative standard error of τ or β."""
    rel = [
        rec["se"][p] / abs(rec[p])
        for rec in _fit_records(results)
        if rec["determined"]
        for p in ("tau", "beta")
        if rec["se"][p] and rec[p]
    ]
    return FIT_SE_FRACTION * min(rel) if rel else RTOL


def _close(e: float, a: float, rtol: float, scale: float) -> bool:
    return math.isclose(e, a, rel_tol=rtol, abs_tol=rtol * scale)


def _fit_differences(e: dict[str, Any], a: Any, path: str) -> list[str]:
    if not is_fit_record(a):
        return [f"{path}: not a fit record any more"]
    out = [f"{path}.{k}: {a.get(k)!r} != {e.get(k)!r}" for k in ("model", "determined", "reason") if a.get(k) != e[k]]
    if out:
        return out
    if not e["determined"]:
        return [] if e == a else [f"{path}: an undetermined fit must hold only nulls"]
    if not _close(e["t0"], a["t0"], RTOL, abs(e["t0"])):
        out.append(f"{path}.t0: {a['t0']!r} != {e['t0']!r}")
    for p in FIT_PARAMS:
        se = e["se"][p]
        tol = FIT_SE_FRACTION * se if se else RTOL * abs(e[p])
        if abs(a[p] - e[p]) > tol:
            out.append(f"{path}.{p}: {a[p]!r} != {e[p]!r} (more than {FIT_SE_FRACTION:g} of its SE {se:.3g})")
        if se and not _close(se, a["se"][p], FIT_SE_FRACTION, 0.0):
            out.append(f"{path}.se.{p}: {a['se'][p]!r} != {se!r}")
    for p in ("tau", "beta"):
        tol = 10 * FIT_SE_FRACTION * e["se"][p] or RTOL * abs(e[p])
        for i in (0, 1):
            if abs(a[f"{p}_ci"][i] - e[f"{p}_ci"][i]) > tol:
                out.append(f"{path}.{p}_ci[{i}]: {a[f'{p}_ci'][i]!r} != {e[f'{p}_ci'][i]!r}")
    for k in ("r2", "rmse"):
        if not _close(e[k], a[k], 1e-6, 0.0):
            out.append(f"{path}.{k}: {a[k]!r} != {e[k]!r}")
    return out


def differences(
    expected: Any,
    actual: Any,
    path: str = "results",
    *,
    fitted: tuple[str, ...] = (),
    fit_rtol: float = RTOL,
    scale: float = 0.0,
) -> list[str]:
    """Every place where `actual` differs from `expected` beyond the tolerances of the module docstring.

    `fitted` holds fnmatch patterns over dotted paths below ``results`` (list indices as numbers, e.g.
    ``fits.0.shape_distance`` matches ``fits.*.shape_distance``); `scale` is the largest magnitude of the list
    a number stands in (for an absolute floor near zero).
    """
    if is_fit_record(expected):
        return _fit_differences(expected, actual, path)
    kw = {"fitted": fitted, "fit_rtol": fit_rtol}
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = [f"{path}.{k}: missing" for k in expected if k not in actual]
        out += [f"{path}.{k}: unexpected" for k in actual if k not in expected]
        for k in sorted(expected.keys() & actual.keys()):
            out += differences(expected[k], actual[k], f"{path}.{k}", **kw)
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: {len(actual)} items, expected {len(expected)}"]
        nums = [abs(v) for v in expected if isinstance(v, float)]
        sc = max(nums, default=0.0)
        return [
            d
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for d in differences(e, a, f"{path}.{i}", scale=sc, **kw)
        ]
    if isinstance(expected, float) and isinstance(actual, int | float) and not isinstance(actual, bool):
        rel = path.removeprefix("results.")
        tol = fit_rtol if any(fnmatch.fnmatchcase(rel, pat) for pat in fitted) else RTOL
        return (
            [] if _close(expected, actual, tol, max(scale, abs(expected))) else [f"{path}: {actual!r} != {expected!r}"]
        )
    if type(expected) is not type(actual) or expected != actual:
        return [f"{path}: {actual!r} != {expected!r}"]
    return []


def golden_differences(golden: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    """Differences of a fresh golden record from the stored one (results, under the stored declarations)."""
    fitted = tuple(golden.get("fitted", ()))
    return differences(golden["results"], fresh["results"], fitted=fitted, fit_rtol=fitted_rtol(golden["results"]))


@pytest.mark.parametrize("name", sorted(all_scenarios()))
def test_results_match_golden_summary(name: str, smoke_run) -> None:
    """A fresh seed-0 smoke run of the scenario (the session's, `smoke_run`) reproduces its golden results."""
    path = GOLDEN_DIR / f"{name}.json"
    if not path.exists():
        pytest.fail(
            f"scenario {name!r} has no golden summary {path.relative_to(ROOT)}; create it with "
            f"`.venv/bin/python tests/golden/regenerate.py {name}` and commit it"
        )
    golden = json.loads(path.read_text(encoding="utf-8"))
    fresh = regenerate.golden_record(name, smoke_run(name))
    hint = f"regenerate: `.venv/bin/python tests/golden/regenerate.py {name}`"
    assert fresh["overrides"] == golden["overrides"], f"the smoke overrides of {name!r} changed; {hint}"
    assert fresh["fitted"] == golden.get("fitted"), f"the declared fit-derived paths of {name!r} changed; {hint}"
    diff = golden_differences(golden, fresh)
    versions = golden.get("versions", {})
    assert not diff, f"{name}: results differ from {path.name} (made with {versions}):\n" + "\n".join(diff[:30])


def test_every_golden_file_records_its_package_versions() -> None:
    """Each golden file says which Python, numpy, scipy, … made it."""
    for path in sorted(GOLDEN_DIR.glob("*.json")):
        versions = json.loads(path.read_text(encoding="utf-8")).get("versions", {})
        assert {"python", "numpy", "scipy", "mesa"} <= versions.keys(), f"{path.name} records no versions"


def test_comparison_catches_a_real_change() -> None:
    """A relative change of 1e-9 in one nested float, a flipped bool or a new key is reported; 1e-14 is not."""
    golden = {"a": 1.0, "b": {"c": [0.5, 2.0], "ok": True}, "n": 3}
    assert differences(golden, json.loads(json.dumps(golden))) == []
    assert differences(golden, {**golden, "a": 1.0 + 1e-14}) == []
    assert differences(golden, {**golden, "b": {"c": [0.5, 2.0 * (1 + 1e-9)], "ok": True}}) == [
        "results.b.c.1: 2.000000002 != 2.0"
    ]
    assert differences(golden, {**golden, "b": {"c": [0.5, 2.0], "ok": False}}) == ["results.b.ok: False != True"]
    assert differences(golden, {**golden, "x": 1}) == ["results.x: unexpected"]


def _fit(tau: float = 0.1, determined: bool = True, reason: str = "") -> dict[str, Any]:
    from analysis.relaxation import Fit

    fit = Fit("stretched", 5.0, 200.0, tau, 1.3, (tau - 0.01, tau + 0.01), (1.1, 1.5), 1.0, 0.99, 0.0)
    fit = Fit(**{**fit.__dict__, "se": (0.5, 0.4, 0.005, 0.1), "determined": determined, "reason": reason})
    return json.loads(json.dumps(fit.record()).replace("NaN", "null"))


def test_fit_records_are_compared_within_their_own_uncertainty() -> None:
    """τ moved by 0.5e-3 of its SE passes; by 2e-3 of its SE it fails; a fit turning undetermined fails."""
    golden = {"fit": _fit()}
    assert differences(golden, {"fit": _fit(0.1 + 0.5e-3 * 0.005)}) == []
    assert [d.split(":")[0] for d in differences(golden, {"fit": _fit(0.1 + 2e-3 * 0.005)})] == ["results.fit.tau"]
    undetermined = {"fit": _fit(determined=False, reason="β sits at its search bound 5")}
    assert differences(golden, undetermined)[0].startswith("results.fit.determined")
    assert differences(undetermined, json.loads(json.dumps(undetermined))) == []


def test_declared_fit_derived_numbers_get_the_fit_tolerance() -> None:
    """A declared fit-derived number may move by less than 1e-3 × the fits' relative SE; an undeclared may not."""
    golden = {"fit": _fit(), "shape": 0.25, "count": 0.25}
    rtol = fitted_rtol(golden)
    assert rtol == pytest.approx(1e-3 * 0.005 / 0.1)
    moved = {**golden, "shape": 0.25 * (1 + 0.5 * rtol), "count": 0.25 * (1 + 0.5 * rtol)}
    assert differences(golden, moved, fitted=("shape",), fit_rtol=rtol) == [
        f"results.count: {moved['count']!r} != 0.25"
    ]
    too_far = {**golden, "shape": 0.25 * (1 + 2 * rtol)}
    assert differences(golden, too_far, fitted=("shape",), fit_rtol=rtol) != []


def _other_blas_kernel() -> str:
    """An OpenBLAS kernel this CPU supports, other than the one it picks by itself."""
    import numpy  # noqa: F401 - threadpoolctl sees only loaded libraries
    from threadpoolctl import threadpool_info

    current = {i.get("architecture", "") for i in threadpool_info() if i.get("internal_api") == "openblas"}
    machine = platform.machine().lower()
    # Haswell is left out on purpose: its kernel crashes inside OpenBLAS on some AVX-512 CPUs (seen here).
    candidates = ("ARMV8", "NEOVERSEN1") if machine in ("aarch64", "arm64") else ("Sandybridge", "Nehalem")
    return next(k for k in candidates if k not in current)


def _golden_suite(env: dict[str, str]) -> subprocess.CompletedProcess:
    """The golden comparisons run again in a fresh interpreter with `env`."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            str(Path(__file__)),
            "-k",
            "test_results_match_golden_summary",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.mark.slow
def test_golden_files_pin_physics_not_the_blas_kernel() -> None:
    """The whole golden comparison passes again with OpenBLAS forced onto another kernel (other rounding)."""
    kernel = _other_blas_kernel()
    env = {**os.environ, "OPENBLAS_CORETYPE": kernel, "PYTHONHASHSEED": "1"}
    check = "import numpy, threadpoolctl; print([i['architecture'] for i in threadpoolctl.threadpool_info()])"
    arch = subprocess.run([sys.executable, "-c", check], env=env, capture_output=True, text=True, check=True)
    assert kernel in arch.stdout, f"OPENBLAS_CORETYPE={kernel} was not honoured: {arch.stdout}{arch.stderr}"
    proc = _golden_suite(env)
    assert proc.returncode == 0, (
        f"golden suite under OPENBLAS_CORETYPE={kernel}:\n{proc.stdout[-4000:]}{proc.stderr[-2000:]}"
    )


@pytest.mark.slow
def test_golden_files_hold_without_numpy_s_simd_extensions() -> None:
    """The whole golden comparison passes again with every SIMD extension numpy dispatches to switched off
    (NPY_DISABLE_CPU_FEATURES), as on a CPU without AVX2 or AVX-512: numpy's vectorised loops round
    differently (last bits, inside the golden tolerances) and, before the membrane's proton choice stopped
    using `argpartition`, chose other protons (side_by_side's field entropies moved by ≈ 10 nats)."""
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    off = " ".join(f for f in __cpu_dispatch__ if __cpu_features__.get(f))
    if not off:
        pytest.skip("this CPU has no SIMD level above numpy's baseline to switch off")
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": off, "PYTHONHASHSEED": "1"}
    check = "import numpy._core._multiarray_umath as m, sys; print([f for f in sys.argv[1:] if m.__cpu_features__[f]])"
    left = subprocess.run([sys.executable, "-c", check, *off.split()], env=env, capture_output=True, text=True)
    assert left.stdout.strip() == "[]", f"NPY_DISABLE_CPU_FEATURES={off} was not honoured: {left.stdout}{left.stderr}"
    proc = _golden_suite(env)
    assert proc.returncode == 0, (
        f"golden suite under NPY_DISABLE_CPU_FEATURES={off}:\n{proc.stdout[-4000:]}{proc.stderr[-2000:]}"
    )
