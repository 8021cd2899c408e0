"""Benchmark of the membrane world at enzyme density: trace events per CPU-second as sites are added.

Usage: ``python benchmarks/density.py [--baseline REF] [--site-events NAME] [--quick] [--json]`` (a script, not a
test; ~3 min, twice that with a baseline).

The world of `respiratory_control` with every count of enzymes, carriers and pools (and the pools' volumes and
the NADH supply) multiplied by a density factor f — f = 1 is the default patch (38 sites), 16 is 608 sites, 27 is
1 026, on a 3 µm membrane with one column per site — runs 0.2 s to energise, then 1 s / max(1, f // 4) simulated
seconds (half with ``--quick``) at an ATP demand of 600·f ATP/s (state 3 of this patch). Reported per f:
sites, simulated seconds per CPU-second, trace events per CPU-second and CPU µs per event (CPU time of this
process, best of ``REPEATS``), and the CPU time a 68 s `respiratory_control` protocol would take at that density.

``--baseline REF`` also measures git revision REF the same way (its tree exported to a temporary directory and
imported by a child process that runs this script; no old code is kept in the tree), in turns with this tree:
per f, ``REPEATS`` turns of one REF run then one run of this tree, so both see the same moments of a shared
machine (whose speed drifts by 10–20 % over minutes). It prints the ratio of the best events per CPU-second, this
tree over REF, per f, and the ratio within each turn. Issue "Membrane core v2" asks for ≥ 10 at f = 16 against the
revision before its work (``afd7f9e``). ``--site-events NAME`` measures this tree with that `site_events` scheme
(e.g. ``batch``, every site class's moves in one vectorised pass) instead of the world's default; the baseline
always runs at its own defaults.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from _revision import revision

from world.clock import Run
from world.membrane import MembraneWorld

FACTORS = (1, 4, 16, 27)
REPEATS = 2
_SCALED_COUNTS = {
    "n_complex1": 4,
    "n_complex2": 4,
    "n_complex3": 4,
    "n_complex4": 8,
    "n_synthase": 6,
    "n_exchanger": 6,
    "n_leak": 6,
    "n_quinone": 40,
    "n_cytc": 30,
    "nad_total": 400,
    "succ_total": 400,
    "atp_m": 300,
    "adp_m": 100,
    "pi_m": 1800,
    "atp_c": 9000,
    "adp_c": 90,
    "pi_c": 5400,
}
"""The counts this benchmark scales: the defaults of the baseline revision (and of this tree before the
recalibration, whose laws `_earlier_laws` adds)."""
_SITES = ("n_complex1", "n_complex2", "n_complex3", "n_complex4", "n_synthase", "n_exchanger", "n_leak")


def _earlier_laws() -> dict[str, Any]:
    """The laws and constants of the defaults before the recalibration (`world.testing.FERMI_STACK`), so that this
    tree runs the same world as the baseline; a tree that predates the recalibration has them as its defaults
    (and no `FERMI_STACK`). Counts and pools come from `_SCALED_COUNTS`."""
    try:
        from world.testing import FERMI_STACK
    except ImportError:
        return {}
    return {k: v for k, v in FERMI_STACK.items() if k not in _SCALED_COUNTS}


def density_params(f: int, site_events: str | None = None) -> dict[str, Any]:
    """World keyword arguments at density factor `f` (pool volumes and NADH supply scaled with the counts). The
    membrane stays 3 µm long; it has at least one column per site (the baseline revision requires it), so the
    cells narrow as sites are added (50 nm at f = 1, 4.9 nm at f = 16)."""
    kw: dict[str, Any] = {**_earlier_laws(), **{k: v * f for k, v in _SCALED_COUNTS.items()}}
    kw.update(nadh_supply=400.0 * f, matrix_volume_aL=0.3 * f, cytosol_volume_aL=3.0 * f)
    width = max(60, sum(kw[k] for k in _SITES))
    kw.update(width=width, cell_nm=3000.0 / width)
    return kw if site_events is None else {**kw, "site_events": site_events}


def one_run(f: int, t_sim: float, site_events: str | None = None) -> tuple[float, int]:
    """CPU seconds and trace events of `t_sim` simulated seconds at demand 600·f after 0.2 s to energise."""
    run = Run(1)
    world = MembraneWorld(run, **density_params(f, site_events))
    run.drive(world, world.dt)
    run.run_until(0.2)
    world.set_atp_demand(600.0 * f)
    e0 = run.trace.events
    t0 = time.process_time()
    run.run_until(0.2 + t_sim)
    return time.process_time() - t0, run.trace.events - e0


def measure(
    quick: bool = False, site_events: str | None = None, factors: tuple[int, ...] = FACTORS, repeats: int = REPEATS
) -> dict[str, dict[str, float]]:
    """Per density factor: sites, simulated s per CPU s, events per CPU s, µs per event (best of `repeats`)."""
    out = {}
    for f in factors:
        t_sim = (0.5 if quick else 1.0) / max(1, f // 4)
        best = min((one_run(f, t_sim, site_events) for _ in range(repeats)), key=lambda r: r[0])
        cpu, events = best
        out[str(f)] = {
            "sites": sum(density_params(f)[k] for k in _SITES),
            "width": density_params(f)["width"],
            "sim_s_per_cpu_s": t_sim / cpu,
            "events_per_cpu_s": events / cpu,
            "us_per_event": 1e6 * cpu / events,
            "respiratory_control_cpu_min": 68.0 * cpu / t_sim / 60,
        }
    return out


def alternated(
    ref: str, quick: bool, site_events: str | None
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]], dict[str, list[float]]]:
    """REF (in a child process) and this tree measured in turns, one run each per turn, `REPEATS` turns per
    density factor, so both see the same moments of a shared machine: REF's best, this tree's best, and the
    ratio of events per CPU-second within each turn."""
    quick_arg = ["--quick"] if quick else []
    before: dict[str, dict[str, float]] = {}
    now: dict[str, dict[str, float]] = {}
    turns: dict[str, list[float]] = {}
    with revision(ref) as run_ref:
        for f in FACTORS:
            key = str(f)
            for _ in range(REPEATS):
                b = run_ref(__file__, ["--json", "--factors", key, "--repeats", "1", *quick_arg])[key]
                n = measure(quick, site_events, (f,), 1)[key]
                turns.setdefault(key, []).append(n["events_per_cpu_s"] / b["events_per_cpu_s"])
                if key not in before or b["events_per_cpu_s"] > before[key]["events_per_cpu_s"]:
                    before[key] = b
                if key not in now or n["events_per_cpu_s"] > now[key]["events_per_cpu_s"]:
                    now[key] = n
    return before, now, turns


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", metavar="REF", help="also measure this git revision, in turns with this tree")
    parser.add_argument("--quick", action="store_true", help="half the simulated time per density")
    parser.add_argument("--json", action="store_true", help="print the measurement as one JSON object")
    parser.add_argument("--site-events", metavar="NAME", help="measure this tree with this site_events scheme")
    parser.add_argument("--factors", default=",".join(map(str, FACTORS)), help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=REPEATS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.json:
        factors = tuple(int(f) for f in args.factors.split(","))
        print(json.dumps(measure(args.quick, args.site_events, factors, args.repeats)))
        return
    if args.baseline:
        before, now, turns = alternated(args.baseline, args.quick, args.site_events)
    else:
        before, now, turns = None, measure(args.quick, args.site_events), {}
    if args.site_events:
        print(f"this tree with site_events={args.site_events}")
    head = f"{'f':>3} {'sites':>6} {'sim s/CPU s':>12} {'events/CPU s':>13} {'µs/event':>9} {'resp. control':>14}"
    print(head + (f" {'events/s vs ' + args.baseline:>22}  per turn" if before else ""))
    for f, m in now.items():
        line = (
            f"{f:>3} {m['sites']:6.0f} {m['sim_s_per_cpu_s']:12.3f} {m['events_per_cpu_s']:13.0f} "
            f"{m['us_per_event']:9.1f} {m['respiratory_control_cpu_min']:11.1f} min"
        )
        if before:
            b = before[f]
            line += f" {m['events_per_cpu_s'] / b['events_per_cpu_s']:16.2f} (was {b['events_per_cpu_s']:.0f})"
            line += "  " + " ".join(f"{r:.2f}" for r in turns[f])
        print(line)


if __name__ == "__main__":
    main()
