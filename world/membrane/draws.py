"""Compiled draws from the run's own generator: numpy's Poisson and bounded-integer algorithms, called from
compiled code on the run's bit generator, so a kernel draws exactly the numbers — and advances the generator's
state exactly as — ``rng.poisson(lam, n)`` and ``rng.integers(n)`` would.

Key names: `generator_pointers`, `poisson_fill` (`poisson_mult`, `poisson_ptrs`, `loggam`), `bounded_integer`,
`next_double`, `next_uint32`.

Why: a batched site class's turn (`world.membrane.batch`) draws its moves between two compiled calls, and each
numpy call costs microseconds at a step that makes hundreds of them. numba can take a numpy ``Generator`` as an
argument, but unboxing one costs ≈ 9 µs a call; a bit generator's state address and its ``next_uint32`` and
``next_double`` functions (`numpy.random.BitGenerator.ctypes`) are three integers. The kernels here call those
functions through the pointers, so the run keeps its one generator (`world.clock.Run`), and nothing is reseeded or
copied. They do not take the generator's lock, as numpy's methods do: a world's generator is drawn from by the
one thread that steps it.

The algorithms are numpy's (``numpy/random/src/distributions/distributions.c``: ``random_poisson`` — the
multiplication method below λ = 10, Hörmann's PTRS from λ = 10 — and ``random_bounded_uint64_fill``'s 32-bit
Lemire rejection). `tests/membrane/test_draws.py` holds them to numpy's own draws and to the state numpy leaves.
"""

from __future__ import annotations

import ctypes

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

_CACHE = True
POISSON_LAM_MAX = float(np.iinfo(np.int64).max) - np.sqrt(float(np.iinfo(np.int64).max)) * 10
"""numpy's largest λ (``POISSON_LAM_MAX``); a larger one is refused as numpy refuses it."""

_POINTERS: dict[int, tuple[object, np.ndarray]] = {}


def generator_pointers(rng: np.random.Generator) -> np.ndarray:
    """``[state address, next_uint32, next_double]`` of `rng`'s bit generator, as the compiled draws take them
    (remembered per bit generator: its ``ctypes`` interface is built once and lives as long as it does)."""
    iface = rng.bit_generator.ctypes
    hit = _POINTERS.get(id(iface))
    if hit is not None and hit[0] is iface:
        return hit[1]
    if len(_POINTERS) >= 64:  # runs come and go; the entries only pin small interface objects
        _POINTERS.clear()
    ptrs = np.array(
        [
            iface.state_address,
            ctypes.cast(iface.next_uint32, ctypes.c_void_p).value,
            ctypes.cast(iface.next_double, ctypes.c_void_p).value,
        ],
        dtype=np.uint64,
    )
    _POINTERS[id(iface)] = (iface, ptrs)
    return ptrs


def _caller(ret: ir.Type, numba_ret: types.Type) -> object:
    """An intrinsic ``call(fn, state)`` that calls the C function at address `fn` on the state at address `state`
    and returns its `ret` (numba type `numba_ret`): a bit generator's ``next_*`` functions."""

    @intrinsic
    def call(typingctx, fn, state):
        sig = numba_ret(types.uint64, types.uint64)

        def codegen(context, builder, signature, args):
            fn_addr, state_addr = args
            i8p = ir.IntType(8).as_pointer()
            fnty = ir.FunctionType(ret, (i8p,))
            fn_ptr = builder.inttoptr(fn_addr, fnty.as_pointer())
            return builder.call(fn_ptr, (builder.inttoptr(state_addr, i8p),))

        return sig, codegen

    return call


_call_uint32 = _caller(ir.IntType(32), types.uint32)
_call_double = _caller(ir.DoubleType(), types.float64)


@njit(cache=_CACHE)
def next_uint32(g: np.ndarray) -> np.uint32:  # pragma: no cover - compiled
    """The bit generator's next 32-bit draw (`generator_pointers` `g`)."""
    return _call_uint32(g[1], g[0])


@njit(cache=_CACHE)
def next_double(g: np.ndarray) -> float:  # pragma: no cover - compiled
    """The bit generator's next uniform in [0, 1) (`generator_pointers` `g`)."""
    return _call_double(g[2], g[0])


@njit(cache=_CACHE)
def loggam(x: float) -> float:  # pragma: no cover - compiled
    """numpy's ``random_loggam``: ln Γ(x) by Stirling's series (the PTRS acceptance test)."""
    a = (
        8.333333333333333e-02,
        -2.777777777777778e-03,
        7.936507936507937e-04,
        -5.952380952380952e-04,
        8.417508417508418e-04,
        -1.917526917526918e-03,
        6.410256410256410e-03,
        -2.955065359477124e-02,
        1.796443723688307e-01,
        -1.39243221690590e00,
    )
    if x == 1.0 or x == 2.0:
        return 0.0
    n = int(7 - x) if x < 7.0 else 0
    x0 = x + n
    x2 = (1.0 / x0) * (1.0 / x0)
    gl0 = a[9]
    for k in range(8, -1, -1):
        gl0 *= x2
        gl0 += a[k]
    gl = gl0 / x0 + 0.5 * 1.8378770664093453e00 + (x0 - 0.5) * np.log(x0) - x0
    if x < 7.0:
        for _ in range(n):
            gl -= np.log(x0 - 1.0)
            x0 -= 1.0
    return gl


@njit(cache=_CACHE)
def poisson_ptrs(g: np.ndarray, lam: float) -> int:  # pragma: no cover - compiled
    """numpy's ``random_poisson_ptrs``: one Poisson(λ) draw for λ ≥ 10 (Hörmann's transformed rejection)."""
    slam = np.sqrt(lam)
    loglam = np.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2)
    while True:
        u = next_double(g) - 0.5
        v = next_double(g)
        us = 0.5 - abs(u)
        k = int(np.floor((2 * a / us + b) * u + lam + 0.43))
        if us >= 0.07 and v <= vr:
            return k
        if k < 0 or (us < 0.013 and v > us):
            continue
        if np.log(v) + np.log(invalpha) - np.log(a / (us * us) + b) <= -lam + k * loglam - loggam(k + 1):
            return k


@njit(cache=_CACHE)
def poisson_mult(g: np.ndarray, enlam: float) -> int:  # pragma: no cover - compiled
    """numpy's ``random_poisson_mult``: one Poisson(λ) draw for 0 < λ < 10 by multiplying uniforms while their
    product exceeds `enlam` = e^−λ (numpy computes e^−λ at every draw; it is the same number)."""
    x = 0
    prod = 1.0
    while True:
        prod *= next_double(g)
        if prod > enlam:
            x += 1
        else:
            return x


@njit(cache=_CACHE)
def poisson_fill(g: np.ndarray, lam: float, n: int) -> np.ndarray:  # pragma: no cover - compiled
    """``rng.poisson(lam, n)``: `n` draws of numpy's ``random_poisson`` in order (λ ≥ 10: `poisson_ptrs`; λ = 0:
    0 without a draw; else `poisson_mult`); λ must be finite, ≥ 0 and ≤ numpy's largest."""
    if not (lam >= 0.0 and lam <= POISSON_LAM_MAX):
        raise ValueError("lam < 0, lam is NaN or lam too large")
    out = np.zeros(n, dtype=np.int64)
    if lam >= 10:
        for i in range(n):
            out[i] = poisson_ptrs(g, lam)
    elif lam > 0:
        enlam = np.exp(-lam)
        for i in range(n):
            out[i] = poisson_mult(g, enlam)
    return out


@njit(cache=_CACHE)
def bounded_integer(g: np.ndarray, n: int) -> int:  # pragma: no cover - compiled
    """``rng.integers(n)``: uniform on 0 … n−1 (1 ≤ n ≤ 2³²; numpy's 32-bit Lemire rejection, a fresh 32-bit
    buffer per call as numpy's scalar draw has)."""
    if n < 1 or n > 4294967296:
        raise ValueError("bounded_integer: n must be in 1 … 2**32")
    rng = np.uint32(n - 1)
    if rng == 0:
        return np.int64(0)
    if rng == np.uint32(0xFFFFFFFF):
        return np.int64(next_uint32(g))
    rng_excl = np.uint64(rng) + np.uint64(1)
    m = np.uint64(next_uint32(g)) * rng_excl
    leftover = m & np.uint64(0xFFFFFFFF)
    if leftover < rng_excl:
        threshold = (np.uint64(0xFFFFFFFF) - np.uint64(rng)) % rng_excl
        while leftover < threshold:
            m = np.uint64(next_uint32(g)) * rng_excl
            leftover = m & np.uint64(0xFFFFFFFF)
    return np.int64(m >> np.uint64(32))
