"""Rebuild the membrane world's cumulative counters from its trace alone.

Key names: `replay_membrane_counters`, `row_increments`, `COUNTERS`, `MEMBRANE_KINDS`.

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
| leak_h, uncoupler_h | kinds ``leak``, ``uncoupler`` | Σ value |
| atp_exported | kinds ``exchange`` (lumped exchanger), ``ant`` (nucleotide translocase) | Σ value |
| transport_h | kinds ``exchange``, ``pi_symport`` (phosphate carrier) | Σ value |
| atp_consumed | kind ``atp_demand`` | Σ value |
| atp_spent, atp_spent_J | kind ``atp_spent`` (ATP hydrolysed for an external consumer) | Σ value, Σ energy_J |
| nadh_oxidised, succinate_oxidised | ``redox`` layers 1, 2 | Σ value |
| nadh_supplied, succinate_supplied | kinds ``nadh_supplied``, ``succinate_supplied`` | Σ value |
| h_produced, h_consumed | kinds ``h_produced``, ``h_consumed`` | Σ value |
| heat_J | every membrane row | Σ energy_J |
"""

from __future__ import annotations

import numpy as np
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
    "ant",
    "pi_symport",
    "leak",
    "uncoupler",
    "atp_demand",
    "atp_spent",
    "nadh_supplied",
    "succinate_supplied",
)
"""Every trace kind the membrane world emits."""


def row_increments(trace: pd.DataFrame) -> dict[str, np.ndarray]:
    """What each membrane row adds to each counter (the table in the module docstring, in one place).

    Args:
        trace: trace rows, all of world ``"membrane"``, in ``seq`` order.

    Returns:
        counter name → float array with one entry per row; summing gives the counter, a cumulative sum gives
        the counter after every row.
    """
    kind = trace["kind"].astype(str).to_numpy()
    value = trace["value"].astype(float).fillna(0.0).to_numpy()
    layer = trace["layer"].astype("Float64").fillna(0).astype(int).to_numpy()
    energy = trace["energy_J"].astype(float).fillna(0.0).to_numpy()
    redox = kind == "redox"
    charges = np.array([ETC_CHARGES.get(int(x), 0) for x in layer], dtype=float)

    def of(k: str) -> np.ndarray:
        return np.where(kind == k, value, 0.0)

    return {
        "h_pumped": of("pump"),
        "charges_moved": np.where(redox, value * charges, 0.0),
        "electrons_to_o2": np.where(redox & (layer == 4), value * ETC_ELECTRONS, 0.0),
        "o2_consumed": of("o2_reduced"),
        "atp_made": of("atp_made") - of("atp_hydrolysed"),
        "rotor_steps": of("rotor_step"),
        "leak_h": of("leak"),
        "uncoupler_h": of("uncoupler"),
        "atp_exported": of("exchange") + of("ant"),
        "transport_h": of("exchange") + of("pi_symport"),
        "atp_consumed": of("atp_demand"),
        "atp_spent": of("atp_spent"),
        "atp_spent_J": np.where(kind == "atp_spent", energy, 0.0),
        "nadh_oxidised": np.where(redox & (layer == 1), value, 0.0),
        "succinate_oxidised": np.where(redox & (layer == 2), value, 0.0),
        "nadh_supplied": of("nadh_supplied"),
        "succinate_supplied": of("succinate_supplied"),
        "h_produced": of("h_produced"),
        "h_consumed": of("h_consumed"),
        "heat_J": energy,
    }


COUNTERS = tuple(row_increments(pd.DataFrame(columns=["kind", "value", "layer", "energy_J"])))
"""Every counter `row_increments` rebuilds, in its order."""


def replay_membrane_counters(trace: pd.DataFrame, until: float | None = None) -> dict[str, float]:
    """Cumulative counters of a membrane run rebuilt from its trace.

    Args:
        trace: the run's trace (all worlds; only ``world == "membrane"`` rows are used).
        until: use only rows with ``t <= until`` (None: all).

    Returns:
        Every counter of `COUNTERS`, plus ``rotor_turns`` and ``c_ring`` (of the first ``membrane_config`` row).
    """
    f = trace[trace["world"] == "membrane"]
    if until is not None:
        f = f[f["t"] <= until]
    if "seq" in f:
        f = f.sort_values("seq", kind="stable")
    out = {name: float(inc.sum()) for name, inc in row_increments(f).items()}
    config = f[f["kind"].astype(str) == "membrane_config"]
    c_ring = int(config["value"].iloc[0]) if len(config) else 0
    out["rotor_turns"] = out["rotor_steps"] / c_ring if c_ring else 0.0
    out["c_ring"] = float(c_ring)
    return out
