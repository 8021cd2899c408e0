"""Stateful property test of the membrane world: any sequence of running and perturbations keeps every
conservation law of docs/membrane.md, the second law's fluctuation bound, the clock, and the trace's replay.

Laws checked after every rule (`MembraneWorld.ledger` gives both sides of each):
    1. H⁺: free N + free P + bound = initial + produced − consumed; and bound = 2·QH₂ + complex IV's.
    2. electrons: donated + initially on carriers = on carriers + 4·O₂ reduced.
    3. ATP + ADP = initial + ADP added.
    4. ATP + Pi = initial (synthesis consumes one Pi, any hydrolysis releases one; `add_adp` adds ADP only).
    5. charge: Q = Q₀ + charges moved by complexes − (rotor steps + leak + uncoupler + exchanges), and
       Δψ·C_m / e = Q (to 1e-12).
    6. rotor: every synthase has made ⌊3·steps / n⌋ ATP (3 ATP and n H⁺ per turn).
    7. energy: redox released + external = stored in Δp + stored in ATP + heat; stored in Δp equals the state
       function ½Q²e²/C + pH parts.
    8. second law (see `MembraneMachine.second_law`).
    9. the clock never goes back; trace times never decrease.
   10. replay of the in-memory trace equals the world's counters.
"""

from __future__ import annotations

import math

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from analysis.membrane_replay import replay_membrane_counters
from world.clock import Run
from world.membrane import INHIBITORS, MembraneWorld
from world.membrane.params import SMALL_WORLD
from world.membrane.thermo import kT_J

SPACE = st.one_of(
    st.just({}),
    st.fixed_dictionaries(
        {
            "d_proton_um2_s": st.sampled_from([0.05, 100.0, 9300.0]),
            "proton_access": st.just("local"),
            "surface_barrier_kT": st.sampled_from([0.0, 8.0, 15.0]),
            "reach_nm": st.sampled_from([0.0, 50.0, 150.0]),
            "site_events": st.sampled_from(["one", "poisson"]),
        }
    ),
    st.fixed_dictionaries(
        {
            "d_quinone_um2_s": st.sampled_from([0.01, 1.0]),
            "d_cytc_um2_s": st.sampled_from([0.01, 10.0]),
            "carrier_reach_nm": st.sampled_from([0.0, 100.0, 300.0]),
        }
    ),
)
"""Space as the world offers it: the lazy walks with bulk access, exact proton walks with local access, surface
barriers, reaches and Poisson moves, or carriers that must be within reach."""

SMALL = SMALL_WORLD
"""A small world: a few hundred µs per step, so one example of ~12 rules costs well under a second."""

LN_OMEGA = 150.0
"""Upper bound on ln(number of macrostates the free energy depends on) for `SMALL` worlds: charge and two free
proton counts (< 8 000 values each: 3 × 9.0), four redox couples (< 121 values each: 4 × 4.8) and six adenine /
phosphate pools (< 20 000 values each: 6 × 9.9) give ln Ω < 105; 150 leaves room."""
FLUCTUATION_NATS = 60.0
"""Tail allowance: each of the two tail events in `MembraneMachine.second_law` has probability ≤ e^-30."""


class MembraneMachine(RuleBasedStateMachine):
    """Drives one small membrane world through hypothesis-chosen rules on one run clock."""

    @initialize(
        seed=st.integers(0, 2**16),
        c_ring=st.integers(8, 15),
        supply=st.floats(0, 1000),
        demand=st.floats(0, 1000),
        space=SPACE,
        transport=st.sampled_from(["lumped", "ant_pic"]),
        atp_standard=st.sampled_from(["uniform", "compartment"]),
    )
    def build(
        self, seed: int, c_ring: int, supply: float, demand: float, space: dict, transport: str, atp_standard: str
    ) -> None:
        self.run = Run(seed)
        self.world = MembraneWorld(
            self.run,
            **SMALL,
            c_ring=c_ring,
            nadh_supply=supply,
            succinate_supply=supply / 2,
            atp_demand=demand,
            transport=transport,
            atp_standard=atp_standard,
            **space,
            # one move per site and step needs k·dt <= 0.5: the earlier rotor (400 steps/s), not Yasuda's 1 040
            **({"k_rotor": 400.0} if space.get("site_events") == "one" else {}),
        )
        self.run.drive(self.world, self.world.dt)
        self.last_now = 0.0

    @rule(steps=st.integers(1, 300))
    def run_for(self, steps: int) -> None:
        """Advance the clock by `steps` membrane steps."""
        self.run.run_until(self.run.now + steps * self.world.dt)

    @rule(amount=st.integers(0, 400))
    def add_adp(self, amount: int) -> None:
        """Pulse ADP into the cytosol."""
        self.world.add_adp(amount)

    @rule(rate=st.floats(0, 2000))
    def set_atp_demand(self, rate: float) -> None:
        """Change the cytosolic ATP demand."""
        self.world.set_atp_demand(rate)

    @rule(name=st.sampled_from(sorted(INHIBITORS)))
    def add_inhibitor(self, name: str) -> None:
        """Block one target completely."""
        self.world.add_inhibitor(name)

    @rule(name=st.sampled_from(sorted(INHIBITORS)), dose=st.floats(0, 1))
    def add_partial_inhibitor(self, name: str, dose: float) -> None:
        """Block a fraction of one target's sites (a titration step)."""
        self.world.add_inhibitor(name, dose)

    @rule(concentration=st.floats(0, 2))
    def add_uncoupler(self, concentration: float) -> None:
        """Add protonophore."""
        self.world.add_uncoupler(concentration)

    @rule(rate=st.floats(0, 20))
    def set_leak(self, rate: float) -> None:
        """Change the basal leak rate constant."""
        self.world.set_leak(rate)

    @rule(kind=st.sampled_from(["nadh", "succinate"]), rate=st.floats(0, 1000), exclusive=st.booleans())
    def switch_substrate(self, kind: str, rate: float, exclusive: bool) -> None:
        """Switch (or add) the substrate supplied."""
        self.world.set_substrate(kind, rate, exclusive)

    # ------------------------------------------------------------------------------------------ laws
    @invariant()
    def protons_are_conserved(self) -> None:
        """Free N + free P + bound protons = initial + produced − consumed; bound = 2·QH₂ + complex IV's."""
        g = self.world.ledger()
        assert g["h_total"] == g["h_expected"]
        assert g["h_bound"] == g["h_bound_expected"]

    @invariant()
    def electrons_are_conserved(self) -> None:
        """Electrons donated by substrate (+ initially on carriers) are on carriers or went to O₂ (4 per O₂)."""
        g = self.world.ledger()
        assert g["electrons_donated"] + g["electrons_initial"] == g["electrons_on_carriers"] + 4 * g["o2_reduced"]

    @invariant()
    def adenine_and_phosphate_are_conserved(self) -> None:
        """ATP + ADP = initial + ADP added, and ATP + Pi = initial."""
        g = self.world.ledger()
        assert g["atp_plus_adp"] == g["atp_plus_adp_expected"]
        assert g["atp_plus_pi"] == g["atp_plus_pi_expected"]

    @invariant()
    def potential_is_charge_over_capacitance(self) -> None:
        """Net charge = initial + moved by complexes − returned; Δψ·C_m/e equals it to 1e-12."""
        g = self.world.ledger()
        assert g["charge_e"] == g["charge_initial_e"] + g["charges_moved"] + g["other_charge_e"]
        assert math.isclose(g["psi_times_C_over_e"], g["charge_e"], rel_tol=1e-12, abs_tol=1e-9)

    @invariant()
    def rotor_makes_three_atp_per_turn(self) -> None:
        """Every synthase has made ⌊3·steps/n⌋ ATP: 3 ATP and n protons per full turn of its c-ring."""
        n = self.world.params.c_ring
        for syn in self.world.groups_by_name()["ATPSynthase"]:
            assert syn.atp == (3 * syn.steps) // n

    @invariant()
    def energy_is_conserved(self) -> None:
        """Redox released + external = stored in Δp + stored in ATP + heat; stored in Δp is a state function."""
        g = self.world.ledger()
        scale = max(abs(g["redox_released_J"]), abs(g["heat_J"]), abs(g["external_J"]), 1e-25)
        lhs = g["redox_released_J"] + g["external_J"]
        rhs = g["stored_pmf_J"] + g["stored_atp_J"] + g["heat_J"]
        assert math.isclose(lhs, rhs, rel_tol=1e-9, abs_tol=1e-12 * scale)
        assert math.isclose(g["stored_pmf_J"], g["stored_pmf_state_J"], rel_tol=1e-9, abs_tol=1e-12 * scale)

    @invariant()
    def second_law(self) -> None:
        """Cumulative heat ≥ −(ln Ω + 60)·kT, the second law as a fluctuation bound, not a hope.

        Every heat-carrying move has rates in local detailed balance (k₊/k₋ = e^{heat/kT}), so the integral
        fluctuation theorem holds for the total entropy production Σ = Q/kT + Δs, Δs = ln p₀(x₀) − ln p_t(x_t);
        hence P(Σ < −30) ≤ e^-30. Started from one state, −ln p_t(x_t) > ln Ω + 30 also has probability ≤ e^-30
        (at most Ω states, each that improbable). Outside both tails Q/kT = Σ − Δs ≥ −30 − (ln Ω + 30).
        Substrate supply, the one one-way step, only adds irreversibility (Σ of its reverse is +∞). So heat is
        ≥ 0 on average, and a run whose cumulative heat falls below −(ln Ω + 60)·kT breaks the second law.
        """
        floor = -(LN_OMEGA + FLUCTUATION_NATS) * kT_J(self.world.params.temperature_K)
        assert self.world.counters["heat_J"] >= floor

    @invariant()
    def clock_never_goes_back(self) -> None:
        """Simulated time is monotone, and so are the trace's times in sequence order."""
        assert self.run.now >= self.last_now
        self.last_now = self.run.now
        assert self.run.trace.last_t <= self.run.now

    @invariant()
    def replay_equals_counters(self) -> None:
        """Counters rebuilt from the in-memory trace alone equal the world's own counters."""
        trace = self.run.trace.to_frame()
        assert trace["t"].is_monotonic_increasing and trace["seq"].is_monotonic_increasing
        replay = replay_membrane_counters(trace)
        c = self.world.counters
        heat_scale = float(trace["energy_J"].abs().sum())
        for key, value in replay.items():
            if key == "heat_J":  # summed in another order than the world adds it
                assert math.isclose(value, c[key], rel_tol=1e-9, abs_tol=1e-12 * heat_scale), key
            elif key == "rotor_turns":
                assert value == c["rotor_steps"] / self.world.params.c_ring
            elif key != "c_ring":
                assert value == c[key], key


MembraneMachine.TestCase.settings = settings(stateful_step_count=15)  # examples: the dev/ci profile
TestMembraneMachine = MembraneMachine.TestCase
