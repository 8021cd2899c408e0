"""Rebuild the membrane world's cumulative counters from its trace alone.

Key names: `replay_membrane_counters`, `MEMBRANE_KINDS`.

Pure pandas over a trace table (``trace.parquet`` read with pandas, or ``run.trace.to_frame()``); imports
nothing from `world` but constants. Which rows sum to which counter (docs/membrane.md has the same table):

| counter | rows | sum |
|---|---|---|
| h_pumped | kind ``pump`` | Σ value (±1 per proton arriving on / leaving P through a complex) |
| charges_moved | kind ``redox`` | Σ value · ETC_CHARGES[layer] |
| electrons_to_o2 | kind ``redox``, layer 4 | Σ value · 2 |
| o2_consumed | kind ``o2_reduced`` | Σ value |
| atp_made | ``atp_made`` − ``atp_hydrolysed`` | Σ value |
| rotor_steps | kind ``rotor_step`` | Σ value; rotor_turns = rotor_steps / c_ring (``membrane_config`` row) |
| leak_h, uncoupler_h, atp_exported | kinds ``leak``, ``uncoupler``, ``exchange`` | Σ value |
| atp_consumed | kind ``atp_demand`` | Σ value |
| atp_spent, atp_spent_J | kind ``atp_spent`` (ATP hydrolysed for an external consumer) | Σ value, Σ energy_J |
| nadh_oxidised, succinate_oxidised | ``redox`` layers 1, 2 | Σ value |
| nadh_supplied, succinate_supplied | kinds ``nadh_supplied``, ``succinate_supplied`` | Σ value |
| h_produced, h_consumed | kinds ``h_produced``, ``h_consumed`` | Σ value |
| heat_J | every membrane row | Σ energy_J |
"""

from __future__ import annotations

import pandas as pd

from world.constants import ETC_CHARGES, ETC_ELECTRONS

MEMBRANE_KINDS = (
    "membrane_config",
    "redox",
    "pump",
    "h_bind",
    "h_produced",
    "h_consumed",
    "o2_reduced",
    "rotor_step",
    "atp_made",
    "atp_hydrolysed",
    "exchange",
    "leak",
    "uncoupler",
    "atp_demand",
    "atp_spent",
    "nadh_supplied",
    "succinate_supplied",
)
"""Every trace kind the membrane world emits."""


def replay_membrane_counters(trace: pd.DataFrame, until: float | None = None) -> dict[str, float]:
    """Cumulative counters of a membrane run rebuilt from its trace.

    Args:
        trace: the run's trace (all worlds; only ``world == "membrane"`` rows are used).
        until: use only rows with ``t <= until`` (None: all).

    Returns:
        The counters of `world.membrane.COUNTER_NAMES` that the trace determines, plus ``rotor_turns``
        and ``c_ring``.
    """
    f = trace[trace["world"] == "membrane"]
    if until is not None:
        f = f[f["t"] <= until]
    kind = f["kind"].astype(str)
    value = f["value"].astype(float)

    def total(k: str) -> float:
        return float(value[kind == k].sum())

    redox = f[kind == "redox"]
    layer = redox["layer"].astype(int)
    rv = redox["value"].astype(float)
    charges = float((rv * layer.map(ETC_CHARGES)).sum())
    config = f[kind == "membrane_config"]
    c_ring = int(config["value"].iloc[0]) if len(config) else 0
    rotor_steps = total("rotor_step")
    return {
        "h_pumped": total("pump"),
        "charges_moved": charges,
        "electrons_to_o2": float(rv[layer == 4].sum()) * ETC_ELECTRONS,
        "o2_consumed": total("o2_reduced"),
        "atp_made": total("atp_made") - total("atp_hydrolysed"),
        "rotor_steps": rotor_steps,
        "rotor_turns": rotor_steps / c_ring if c_ring else 0.0,
        "c_ring": float(c_ring),
        "leak_h": total("leak"),
        "uncoupler_h": total("uncoupler"),
        "atp_exported": total("exchange"),
        "atp_consumed": total("atp_demand"),
        "atp_spent": total("atp_spent"),
        "atp_spent_J": float(f.loc[kind == "atp_spent", "energy_J"].astype(float).sum()),
        "nadh_oxidised": float(rv[layer == 1].sum()),
        "succinate_oxidised": float(rv[layer == 2].sum()),
        "nadh_supplied": total("nadh_supplied"),
        "succinate_supplied": total("succinate_supplied"),
        "h_produced": total("h_produced"),
        "h_consumed": total("h_consumed"),
        "heat_J": float(f["energy_J"].astype(float).sum()),
    }
