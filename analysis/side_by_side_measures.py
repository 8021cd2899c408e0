"""Per-replicate measurements of the `side_by_side` scenario, from plain arrays recorded in the run.

Key names: `U_GRID`, `MEMBRANE_COLUMNS`, `replicate_measures`.

For one replicate (one seed of both worlds) this fits the build-up and discharge, decides whether each fit
determines its parameters (the rules of `analysis.relaxation`), builds the progress curves φ(t/τ),
runs the rival-family shape test, measures the effect of every analogy row (`analysis.analogy`) and the
entropy rates of both worlds in nats (`analysis.entropy`). Every returned value is a plain float, list or dict.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from analysis.analogy import last_over_first, late_over_peak, rate_series
from analysis.entropy import heat_nats, slope_with_ci
from analysis.equivalence import family_null_test
from analysis.relaxation import Fit, fit_relaxation, normalised_curve

U_GRID = np.linspace(0.0, 3.0, 64)
"""Reduced time t/τ on which the build-up curves of both worlds are compared."""

MEMBRANE_COLUMNS = ("t", "pmf_mV", "h_pumped", "atp_made", "atp_consumed", "heat_J", "s_field_nats", "n_free")
"""Columns of the membrane sample array: time, Δp, cumulative counters, field entropy per proton, free protons."""

TOKENS_PER_WINDOW = 40
"""The inference stream is cut into windows of at least this many tokens (at most 10 windows) over the discharge."""

LN2 = math.log(2.0)


def _failed(reason: str) -> dict[str, Any]:
    """A fit record (the keys of `Fit.record`) for a fit that did not converge at all."""
    nan = float("nan")
    return {"model": "stretched", "determined": False, "reason": reason, "t0": nan, "y0": nan, "y_inf": nan,
            "tau": nan, "beta": nan, "tau_ci": [nan, nan], "beta_ci": [nan, nan],
            "se": dict.fromkeys(("y0", "y_inf", "tau", "beta"), nan), "r2": nan, "rmse": nan}  # fmt: skip


def _fit(t: np.ndarray, y: np.ndarray) -> tuple[Fit | None, dict[str, Any]]:
    """The fit (None unless determined) and its record; NaN numbers and a reason when not determined."""
    try:
        fit = fit_relaxation(t, y)
    except ValueError as exc:
        return None, _failed(f"the fit failed: {exc}")
    return (fit if fit.determined else None), fit.record()


def _phi(t: np.ndarray, y: np.ndarray, fit: Fit | None) -> np.ndarray:
    return normalised_curve(t, y, fit, U_GRID) if fit is not None else np.full(U_GRID.size, np.nan)


def _window_means(tok: np.ndarray, n: int) -> np.ndarray:
    """(t mid, mean surprisal, mean next-token entropy) over `n` consecutive windows of the token records."""
    parts = np.array_split(tok, n) if tok.shape[0] >= n else [tok]
    return np.array([(p[:, 0].mean(), p[:, 1].mean(), p[:, 2].mean()) for p in parts if p.size])


def replicate_measures(
    data: dict[str, Any], *, t_charge: float, train_dt: float, temperature_K: float, rng: np.random.Generator
) -> dict[str, Any]:
    """Fits, shape tests, row effects, entropy rates and curves of one replicate.

    Args:
        data: ``membrane`` (array with `MEMBRANE_COLUMNS`), ``blocked_membrane`` (same, oligomycin at t_charge,
            or None), ``losses``, ``grad_norms``, ``control_losses``, ``control_grad_norms`` (per step),
            ``entropy_rate_nats``, ``vocab``, ``order_before_excess`` and ``order_after_excess`` (held-out
            excess loss before and after the stream), ``tokens`` (rows t_end, surprisal, next-token entropy),
            ``ablated_tokens`` (same, every head ablated, or None), ``tokens_arrived``.
        t_charge: end of the charge/training phase.
        train_dt: time per optimiser step.
        temperature_K: the membrane's temperature.
        rng: the run's generator (shape surrogates).
    """
    m = data["membrane"]
    t, pmf = m[:, 0], m[:, 1]
    charge, discharge = t <= t_charge + 1e-12, t >= t_charge - 1e-12
    h, V = float(data["entropy_rate_nats"]), int(data["vocab"])
    steps_t = train_dt * np.arange(1, len(data["losses"]) + 1)
    excess = np.asarray(data["losses"]) - h
    excess_c = np.asarray(data["control_losses"]) - h
    f_up, d_up = _fit(t[charge], pmf[charge])
    _, d_down = _fit(t[discharge], pmf[discharge])
    f_a, d_a = _fit(steps_t, excess)
    f_c, d_c = _fit(steps_t, excess_c)
    phi_m, phi_a, phi_c = _phi(t[charge], pmf[charge], f_up), _phi(steps_t, excess, f_a), _phi(steps_t, excess_c, f_c)
    shape = {}
    for name, phi, f in (("training", phi_a, f_a), ("control", phi_c, f_c)):
        if f_up is not None and f is not None:
            shape[name] = family_null_test(phi_m, phi, U_GRID, f.beta, rng).p_values
        else:
            shape[name] = {}

    # analogy rows (effects as in analysis.analogy.ROW_PREDICTIONS)
    tc, hp = t[charge], m[charge, 2]
    _, pump_rate = rate_series(tc, hp)
    i_charged = int(np.flatnonzero(charge)[-1])
    tail = max(1, round(0.05 * discharge.sum()))
    _, atp_rate = rate_series(t[discharge], m[discharge, 3])
    atp_dis = float(m[-1, 3] - m[i_charged, 3])
    blocked = data.get("blocked_membrane")
    half = int(np.searchsorted(t, t_charge / 2))
    made, used = m[i_charged, 3] - m[half, 3], m[i_charged, 4] - m[half, 4]
    span0 = math.log(V) - h
    tok = np.asarray(data["tokens"], np.float64).reshape(-1, 3)
    bits = (math.log(V) - tok[:, 1]) / LN2
    abl = data.get("ablated_tokens")
    effects = {
        "builds the gradient": (late_over_peak(pump_rate), late_over_peak(np.asarray(data["grad_norms"]), smooth=10)),
        "stored order": (
            float(np.mean(pmf[-tail:]) / pmf[i_charged]) if pmf[i_charged] > 0 else float("nan"),
            (1 - data["order_after_excess"] / span0) / (1 - data["order_before_excess"] / span0),
        ),
        "spendable currency": (last_over_first(atp_rate), last_over_first(bits)),
        "the engine that spends the gradient": (
            float((blocked[-1, 3] - blocked[i_charged, 3]) / atp_dis) if blocked is not None and atp_dis > 0 else None,
            float(np.mean((math.log(V) - abl[:, 1]) / LN2) / np.mean(bits)) if abl is not None and len(abl) else None,
        ),
        "spending order to do work": (
            float(made / used) if used > 0 else float("nan"),
            tok.shape[0] / data["tokens_arrived"],
        ),
    }

    # entropy in nats (k_B units) for both worlds
    s_field, n_free = m[:, 6], m[:, 7]
    q_nats = heat_nats(m[:, 5], temperature_K)
    tau_m = d_up["tau"] if d_up["determined"] else t_charge
    tau_a = d_a["tau"] if d_a["determined"] else t_charge
    up = t <= min(tau_m, t_charge)
    entropy = {
        "membrane_field_dSdt_per_proton": slope_with_ci(t[up], s_field[up]),
        "membrane_field_dSdt_total": slope_with_ci(t[up], (s_field * n_free)[up]),
        "membrane_produced_dSdt": slope_with_ci(t[up], q_nats[up]),
        "membrane_produced_charge_nats": float(q_nats[i_charged] - q_nats[0]),
        "membrane_field_change_charge_nats": float(s_field[i_charged] * n_free[i_charged] - s_field[0] * n_free[0]),
        "attention_training_dHdt": slope_with_ci(
            steps_t[steps_t <= tau_a], np.asarray(data["losses"])[steps_t <= tau_a]
        ),
        "attention_inference_dHdt": slope_with_ci(tok[:, 0], tok[:, 2]),
        "attention_inference_drop_per_token": float(math.log(V) - tok[:, 2].mean()) if tok.size else float("nan"),
    }
    n_win = max(1, min(10, tok.shape[0] // TOKENS_PER_WINDOW))
    win = _window_means(tok, n_win) if tok.size else np.zeros((0, 3))
    return {
        "fits": {
            "membrane_charge": d_up,
            "membrane_discharge": d_down,
            "attention_training": d_a,
            "attention_control": d_c,
        },
        "shape_p": shape,
        "effects": {k: list(v) for k, v in effects.items()},
        "entropy": entropy,
        "curves": {
            "t_membrane": t.tolist(),
            "pmf_mV": pmf.tolist(),
            "s_field_nats": s_field.tolist(),
            "heat_nats": q_nats.tolist(),
            "field_total_nats": (s_field * n_free).tolist(),
            "entropy_rate_nats": h,
            "t_train": steps_t.tolist(),
            "excess_training": excess.tolist(),
            "excess_control": excess_c.tolist(),
            "phi_u_membrane": phi_m.tolist(),
            "phi_u_training": phi_a.tolist(),
            "phi_u_control": phi_c.tolist(),
            "t_inference": win[:, 0].tolist(),
            "excess_inference": (win[:, 1] - h).tolist(),
            "entropy_inference": win[:, 2].tolist(),
        },
    }
