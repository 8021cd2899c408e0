"""Inhibitors as one mapping (name → targets with the fraction each blocks) and partial doses: the dose scales
the targets' rates, zero dose is no inhibitor at all, a titration slows respiration step by step."""

from __future__ import annotations

from itertools import pairwise

import pandas as pd
import pytest

from agents.complexes import ComplexI, ComplexII, ComplexIII, ComplexIV
from agents.synthase import ATPSynthase
from world.clock import Run
from world.membrane import INHIBITORS, MembraneWorld
from world.membrane.params import SMALL_WORLD
from world.membrane.protocol import Protocol


def test_doses_are_validated() -> None:
    """An unknown name or a dose outside [0, 1] is refused, naming the value and what is allowed."""
    world = MembraneWorld(Run(0), **SMALL_WORLD)
    with pytest.raises(ValueError, match=r"inhibitor\(='azide'\) must be one of: oligomycin, rotenone"):
        world.add_inhibitor("azide")
    with pytest.raises(ValueError, match=r"dose\(=1\.5\) must be a number between 0 and 1"):
        world.add_inhibitor("rotenone", 1.5)
    assert world.inhibitors == {}


def test_the_mapping_sets_each_class_activity(monkeypatch) -> None:
    """Each inhibitor blocks dose × fraction of each target; inhibitors on one class multiply; a dose never
    falls when the same inhibitor is added again; a two-target entry is one line of the mapping."""
    monkeypatch.setitem(INHIBITORS, "two_sites", {"ComplexI": 1.0, "ComplexIII": 0.5})
    world = MembraneWorld(Run(0), **SMALL_WORLD)
    world.add_inhibitor("two_sites", 0.5)
    assert world.activity(ComplexI) == pytest.approx(0.5)
    assert world.activity(ComplexIII) == pytest.approx(0.75)
    assert world.activity(ComplexII) == world.activity(ComplexIV) == world.activity(ATPSynthase) == 1.0
    world.add_inhibitor("antimycin_a", 0.2)
    assert world.activity(ComplexIII) == pytest.approx(0.75 * 0.8)
    world.add_inhibitor("two_sites", 0.1)
    assert world.inhibitors["two_sites"] == 0.5
    world.add_inhibitor("two_sites")
    assert world.activity(ComplexI) == 0.0 and world.activity(ComplexIII) == pytest.approx(0.5 * 0.8)


def _frame(dose: float | None) -> pd.DataFrame:
    run = Run(6)
    world = MembraneWorld(run, atp_demand=300.0, **SMALL_WORLD)
    if dose is not None:
        world.add_inhibitor("rotenone", dose)
    run.drive(world, world.dt)
    run.run_until(0.3)
    return run.trace.to_frame()


def test_zero_dose_is_no_inhibitor() -> None:
    """Limit where the mechanism must not act: a zero dose gives the same trace, row for row, as no inhibitor;
    a small dose already changes it."""
    pd.testing.assert_frame_equal(_frame(None), _frame(0.0))
    assert not _frame(None).equals(_frame(0.3))


def _ocr(dose: float, seed: int) -> float:
    """OCR (O₂/s) at ATP demand 1 200/s, rotenone at `dose` from t = 1 s, measured 5–7 s."""
    run = Run(seed)
    world = MembraneWorld(run, atp_demand=1200.0)
    proto = Protocol(run, world, None)
    if dose:
        proto.at(1.0, world.add_inhibitor, "rotenone", dose)
    m = proto.measure(5.0, 7.0)
    run.run_until(7.0)
    return m["ocr"]


def test_a_rotenone_titration_slows_respiration_step_by_step() -> None:
    """Where the dose must matter. Prediction, written before measuring: at high ATP demand complex I carries
    all NADH-linked flux, so OCR does not rise with the rotenone dose (0, 0.5, 0.9, 1), a 0.9 dose cuts it
    below 80 % of the uninhibited rate, and a full dose to below 2 O₂/s once the Q pool is drained.

    Under the mass-action defaults what is left after a full dose is complex II oxidising the succinate pool,
    and its rate is first order in succinate and inhibited by the fumarate it makes, so that pool drains
    roughly exponentially (measured, seed 2: succinate 125 → 50 → 24 → 13 → 2 at 1, 2, 3, 4, 6 s; OCR 9.5 and
    11.5 O₂/s at 2–4 s, seeds 2 and 3, where the Fermi law's complex II ran at full speed until the pool was
    empty). The window is therefore 5–7 s, ≥ 4 s after the dose (measured there, seeds 2 and 3: 102, 83, 34,
    1.0 and 107, 86, 37, 0.0 O₂/s)."""
    ocr = [_ocr(d, 2) for d in (0.0, 0.5, 0.9, 1.0)]
    assert all(b <= a for a, b in pairwise(ocr)), ocr
    assert ocr[2] < 0.8 * ocr[0], ocr
    assert ocr[3] < 2.0, ocr
