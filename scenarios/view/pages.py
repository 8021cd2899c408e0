"""The Solara components of the live pages and their routes (``/membrane``, ``/attention``, ``/coupled``).

Key names: `MembranePage`, `AttentionPage`, `CoupledPage`, `PAGES`, `routes`.

Each page builds its model with ``solara.use_memo`` when a browser tab opens it, so every tab (every
kernel) steps its own model; nothing is built at import. SolaraViz supplies Reset / Play / Step and the
"Model Parameters" card (the constructor arguments Reset rebuilds from: seed, c-ring, …). The parts
(`scenarios.view.panels`) only queue perturbations; the model applies them at the next frame boundary.
The clock shown is simulated seconds (``model.time`` mirrors the run's clock; frames are counted apart).
"""

from __future__ import annotations

import os
from collections.abc import Callable

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from scenarios.view.attention_model import AttentionView
from scenarios.view.coupled_model import CoupledView
from scenarios.view.membrane_model import MembraneView
from scenarios.view.panels import (
    AttentionChart,
    AttentionPanel,
    AttentionWindow,
    CoupledChart,
    CoupledPanel,
    LatticeImage,
    MembraneChart,
    MembranePanel,
)

PLAY_INTERVAL_MS = 10
"""SolaraViz sleeps this long between frames while playing."""
SEED = {"type": "SliderInt", "value": 0, "label": "seed (on Reset)", "min": 0, "max": 99, "step": 1}
C_RING = {"type": "Select", "value": 8, "label": "c-ring size (on Reset)", "values": list(range(8, 16))}


@solara.component
def MembraneBody(model: MembraneView) -> None:
    """Lattice and series on the left, controls on the right; redrawn every frame."""
    update_counter.get()
    with solara.Columns([6, 5]):
        with solara.Column():
            LatticeImage(model)
            MembraneChart(model)
        MembranePanel(model)


@solara.component
def MembranePage() -> None:
    """The membrane world, live."""
    model = solara.use_reactive(solara.use_memo(MembraneView, []))
    SolaraViz(
        model,
        components=[],
        model_params={
            "seed": SEED,
            "c_ring": C_RING,
            "substrate": {
                "type": "Select",
                "value": "nadh",
                "label": "substrate (on Reset)",
                "values": ["nadh", "succinate"],
            },
        },
        name="Membrane world (live)",
        play_interval=PLAY_INTERVAL_MS,
    )
    MembraneBody(model.value)


@solara.component
def AttentionBody(model: AttentionView) -> None:
    """Stream and heatmap on the left, controls and series on the right; redrawn every frame."""
    update_counter.get()
    with solara.Columns([1, 1]):
        AttentionWindow(model)
        with solara.Column():
            AttentionPanel(model)
            AttentionChart(model)


@solara.component
def AttentionPage() -> None:
    """The attention world's token stream, live."""
    model = solara.use_reactive(solara.use_memo(AttentionView, []))
    SolaraViz(
        model,
        components=[],
        model_params={
            "seed": SEED,
            "train_steps": {
                "type": "SliderInt",
                "value": 300,
                "label": "training steps (on Reset)",
                "min": 0,
                "max": 1000,
                "step": 50,
            },
        },
        name="Attention stream (live)",
        play_interval=PLAY_INTERVAL_MS,
    )
    AttentionBody(model.value)


@solara.component
def CoupledBody(model: CoupledView) -> None:
    """Both worlds and the budget; redrawn every frame."""
    update_counter.get()
    with solara.Columns([6, 5]):
        with solara.Column():
            LatticeImage(model)
            CoupledChart(model)
        with solara.Column():
            CoupledPanel(model)
            AttentionWindow(model)


@solara.component
def CoupledPage() -> None:
    """Both worlds on one clock, inference paid with the membrane's ATP."""
    model = solara.use_reactive(solara.use_memo(CoupledView, []))
    SolaraViz(
        model,
        components=[],
        model_params={
            "seed": SEED,
            "c_ring": C_RING,
            "k_atp": {
                "type": "SliderInt",
                "value": 4,
                "label": "ATP per token (on Reset)",
                "min": 1,
                "max": 20,
                "step": 1,
            },
        },
        name="Coupled: membrane ATP pays for inference (live)",
        play_interval=PLAY_INTERVAL_MS,
    )
    CoupledBody(model.value)


PAGES: dict[str, Callable[[], None]] = {"membrane": MembranePage, "attention": AttentionPage, "coupled": CoupledPage}
"""Page name → component."""


@solara.component
def Home() -> None:
    """The page `gradient view NAME` opens at ``/`` (``GRADIENT_VIEW_PAGE``, default membrane)."""
    PAGES.get(os.environ.get("GRADIENT_VIEW_PAGE", "membrane"), MembranePage)()


routes = [
    solara.Route(path="/", component=Home, label="start"),
    *(solara.Route(path=name, component=page, label=name) for name, page in PAGES.items()),
]
