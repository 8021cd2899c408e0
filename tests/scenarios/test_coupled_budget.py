"""The coupled budget: tokens pay real cytosolic ATP; supply cuts stall inference; everything still conserves."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from analysis.membrane_replay import replay_membrane_counters
from analysis.report_coupled import catch_up_time, stall_gaps
from scenarios.runner import execute
from world.attention.stream import AttentionWorld
from world.attention.training import build_source_and_model
from world.clock import Run
from world.coupling import ATPBridge
from world.errors import SimulationError
from world.membrane import MembraneWorld
from world.trace import read_trace

K = 3
SCENARIO = {
    "k_atp": 2,
    "atp_cytosol": 60,
    "t_warm": 0.4,
    "t_uncoupler": 0.8,
    "t_washout": 1.6,
    "t_oligomycin": 3.4,
    "t_end": 4.8,
    "train_steps": 20,
}
"""A short `coupled_budget` timetable. The wash-out can serve the backlog only if the membrane's export capacity
(≈ 450–475 ATP/s per default patch) exceeds the tokens' demand (k_atp × 100 tokens/s) by enough to catch up
within the phase: k_atp = 2 asks 200 ATP/s, so once Δp has rebuilt (≈ 0.3–0.5 s after the wash-out; the reversed
synthases emptied the matrix ATP) the backlog is served ≈ 125 tokens/s faster than tokens arrive and is cleared
≈ 1.2 s after the wash-out, inside its 1.8 s. The oligomycin phase (1.4 s) outlasts the refilled cytosolic pool
plus the matrix ATP still exported (≈ 0.9 s at 200 ATP/s), so inference stalls."""


def _coupled(seed: int = 0, atp_c: int = 9000, drive_from: float = 0.0, n_tokens: int = 40, **mem):
    run = Run(seed)
    world = MembraneWorld(run, atp_c=atp_c, **mem)
    if drive_from == 0.0:
        run.drive(world, world.dt)
    else:
        run.env.process(_drive_later(run, world, drive_from))
    bridge = ATPBridge(run, world)
    source, model = build_source_and_model(run)
    attn = AttentionWorld(
        run, model, source, token_interval=0.01, layer_time=0.0025, energy=bridge.energy, cost_per_token=float(K)
    )
    attn.start(n_tokens, at=0.05)
    return run, world, bridge, attn


def _drive_later(run: Run, world: MembraneWorld, t: float):
    yield run.env.timeout(t)
    run.drive(world, world.dt)


# one worker runs this module, so its module-scoped run is made once (`make test` uses --dist loadgroup)
pytestmark = pytest.mark.xdist_group("coupled_budget")


@pytest.fixture(scope="module")
def coupled_run(tmp_path_factory) -> tuple[dict, Path]:
    """One short `coupled_budget` run written to disk (uncoupler, wash-out and oligomycin phases)."""
    out = tmp_path_factory.mktemp("coupled")
    return execute("coupled_budget", out, seed=0, overrides=SCENARIO), out


def test_tokens_times_k_equals_atp_spent_and_adenine_is_conserved() -> None:
    """Tokens completed × k = ATP spent = Σ atp_spent rows, and ATP + ADP, ATP + Pi stay at their initial sums."""
    run, world, bridge, attn = _coupled(seed=1)
    run.run_until(0.6)
    g = world.ledger()
    assert attn.tokens_done == 40 and bridge.waiting == 0
    assert attn.tokens_done * K == bridge.atp_spent == world.counters["atp_spent"] == 120
    assert replay_membrane_counters(run.trace.to_frame())["atp_spent"] == 120
    assert g["atp_plus_adp"] == g["atp_plus_adp_expected"]
    assert g["atp_plus_pi"] == g["atp_plus_pi_expected"]


def test_energy_ledger_balances_with_the_coupling() -> None:
    """Redox + external energy = stored Δp + stored ATP + heat, with tokens' hydrolysis counted in the heat."""
    run, world, _bridge, _attn = _coupled(seed=2)
    run.run_until(0.5)
    g = world.ledger()
    lhs = g["redox_released_J"] + g["external_J"]
    rhs = g["stored_pmf_J"] + g["stored_atp_J"] + g["heat_J"]
    assert math.isclose(lhs, rhs, rel_tol=1e-9)
    assert 0 < g["atp_spent_J"] < g["heat_J"]
    kj_per_mol = g["atp_spent_J"] / g["atp_spent"] * 6.02214076e23 / 1e3
    assert 45 < kj_per_mol < 70, "each token ATP releases the cytosolic ΔG_ATP"


def test_inference_stalls_while_the_pool_is_empty_and_resumes_after() -> None:
    """With 2·k ATP and an idle membrane two tokens complete, none while the pool is empty, then the rest."""
    run, world, bridge, attn = _coupled(seed=3, atp_c=2 * K, drive_from=0.5, n_tokens=20)
    run.run_until(0.5)
    assert attn.tokens_done == 2 and world.pool["atp_c"] == 0 and bridge.waiting == 18
    ends_before = [r[1] for r in attn.records]
    assert max(ends_before) < 0.07, "nothing completes after the pool ran dry"
    run.run_until(1.5)
    ends = [r[1] for r in attn.records]
    assert attn.tokens_done == 20 and min(ends[2:]) > 0.5, "the others complete only once ATP is exported"
    assert bridge.atp_spent == 20 * K


def test_container_refuses_puts() -> None:
    """ATP enters the cytosol only through the membrane world: a put into the bridge's container raises."""
    _, _, bridge, _ = _coupled()
    with pytest.raises(SimulationError, match="refuses puts"):
        bridge.energy.put(1)


def test_uncoupler_collapses_pmf_and_slows_then_stalls_inference(coupled_run) -> None:
    """Uncoupler: Δp and tokens/s fall and tokens stall; wash-out restores Δp and serves the backlog.

    Prediction: the protonophore drops Δp below 60 % of the baseline's, the synthases reverse and the cytosolic
    pool empties, so tokens stall; after the wash-out Δp rebuilds by > 50 mV and, export capacity exceeding the
    demand (`SCENARIO`), completions outpace arrivals until the backlog is cleared (resume < recovery)."""
    res = coupled_run[0]["results"]
    ph = res["phases"]
    assert ph["uncoupler"]["pmf_mV"] < 0.6 * ph["baseline"]["pmf_mV"]
    assert ph["uncoupler"]["tokens_per_s"] < ph["baseline"]["tokens_per_s"] == pytest.approx(100.0)
    assert ph["uncoupler"]["stall_s"] > 0.2
    assert ph["washout"]["pmf_mV"] > ph["uncoupler"]["pmf_mV"] + 50
    assert ph["washout"]["tokens_per_s"] > ph["washout"]["arrivals_per_s"], "the backlog is served"
    assert 0 < res["resume_after_washout_s"] < res["recovery_time_s"]


def test_oligomycin_stops_synthesis_and_stalls_inference(coupled_run) -> None:
    """Oligomycin: ATP synthesis is exactly zero, Δp rises over the uncoupled phase and tokens stall."""
    ph = coupled_run[0]["results"]["phases"]
    assert ph["oligomycin"]["atp_synthesis_per_s"] == 0.0
    assert ph["oligomycin"]["pmf_mV"] > ph["washout"]["pmf_mV"]
    assert ph["oligomycin"]["stall_s"] > 0.2


def test_scenario_conserves_and_replays(coupled_run) -> None:
    """ATP + ADP is constant, the ledger balances and the trace replays ATP spent = k × tokens that paid."""
    summary, out = coupled_run
    res = summary["results"]
    assert res["atp_plus_adp"] == res["atp_plus_adp_expected"]
    assert abs(res["energy_ledger_residual_J"]) <= 1e-9 * res["energy_ledger_scale_J"]
    paid = res["tokens_started"] - res["tokens_waiting_atp_at_end"]
    assert res["atp_spent"] == res["k_atp"] * paid
    assert replay_membrane_counters(read_trace(out))["atp_spent"] == res["atp_spent"]


def test_report_files_exist_with_nonempty_png_figures(coupled_run) -> None:
    """The report writes report.md and two PNG figures (PNG signature, > 5 kB)."""
    out = coupled_run[1]
    assert "ATP per token" in (out / "report.md").read_text()
    for name in ("coupled_timeline", "coupled_cumulative"):
        data = (out / "figures" / f"{name}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_stall_measures_on_known_times() -> None:
    """stall_gaps finds the gaps longer than the threshold; catch_up_time the first fast completion after t."""
    assert stall_gaps([0.1, 0.2, 0.9, 1.0], 0.3, 0.0, 1.5) == [(0.2, 0.9), (1.0, 1.5)]
    assert catch_up_time([0.0, 0.1, 0.2, 0.95], [0.05, 0.9, 0.95, 1.0], 0.5, 0.1) == 1.0
    with pytest.raises(ValueError, match="threshold"):
        stall_gaps([], 0.0, 0.0, 1.0)


def test_phase_times_out_of_order_raise(tmp_path: Path) -> None:
    """A timetable whose phases are not in order raises ValueError naming both times."""
    with pytest.raises(ValueError, match=r"t_washout\(=2.0\) must be earlier than t_oligomycin\(=1.9\)"):
        execute("coupled_budget", tmp_path, overrides={**SCENARIO, "t_washout": 2.0, "t_oligomycin": 1.9})
