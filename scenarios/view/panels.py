"""The parts the live pages are made of: clock, readouts, controls, the lattice and attention images, charts.

Key names: `Clock`, `Applied`, `LatticeImage`, `MembraneChart`, `MembranePanel`, `AttentionWindow`,
`AttentionChart`, `AttentionPanel`, `CoupledChart`, `CoupledPanel`, `ask`.

They are plain functions called inside a page's render (`scenarios.view.pages`), which redraws them every frame.
Controls never touch a world: `ask` queues a perturbation on the model (applied at the next frame boundary) and
redraws, so the page shows it queued.
"""

from __future__ import annotations

import html
from typing import Any

import solara
from mesa.visualization.utils import force_update

from scenarios.view.attention_model import AttentionView
from scenarios.view.coupled_model import CoupledView
from scenarios.view.draw import SITE_COLOURS, Axis, attention_png, lattice_png, series_option
from scenarios.view.frames import FrameModel
from scenarios.view.membrane_model import INHIBITOR_NAMES, MembraneView


# ---------------------------------------------------------------------- shared pieces
def Text(
    text: str, bold: str = "", style: str = "font-size: 0.9em", classes: list[str] | None = None
) -> solara.Element:
    """A paragraph of escaped text with an optional bold lead (solara.Markdown would fetch KaTeX from a CDN)."""
    lead = f"<b>{html.escape(bold)}</b> " if bold else ""
    return solara.HTML(tag="div", unsafe_innerHTML=lead + html.escape(text), style=style, classes=classes or [])


def ask(model: FrameModel, action: str, *args: Any) -> None:
    """Queue a perturbation from a widget and redraw, so the page shows it queued before the next frame."""
    model.enqueue(action, *args)
    force_update()


def Clock(model: FrameModel) -> solara.Element:
    """The simulated clock and the frame count."""
    return Text(
        f"(frame {model.frames}, {model.frame_dt * 1e3:g} ms of simulated time per frame)",
        bold=f"simulated time t = {model.time:.3f} s",
        style="font-size: 1.05em",
        classes=["sim-clock"],
    )


def Applied(model: FrameModel) -> solara.Element:
    """The last perturbations applied, with their simulated time."""
    lines = [f"t = {t:.3f} s: {what}" for t, what in reversed(model.applied)] or ["none yet"]
    queued = f"({model.pending} queued for the next frame)" if model.pending else ""
    with solara.Column(gap="0px", classes=["applied"]) as col:
        Text(queued, bold="applied")
        for line in lines:
            Text(line)
    return col


def _fmt(v: float, digits: int = 1) -> str:
    return "–" if v != v else f"{v:.{digits}f}"


def LatticeImage(model: Any) -> solara.Element:
    """The proton lattice: P side (red) over the membrane (sites coloured) over the N side (blue)."""
    w = model.world
    sites = [(s.x, cls.__name__, w.activity(cls) < 1.0) for cls, members in w.groups for s in members]
    legend = " ".join(
        f'<span style="display:inline-block;width:10px;height:10px;background:rgb{c};border:1px solid #888"></span>'
        f"&nbsp;{name}"
        for name, c in SITE_COLOURS.items()
    )
    with solara.Column() as col:
        solara.Image(
            lattice_png(w.proton_layer.data, w.params.n_rows, sites, scale=7, closed=w.lattice.closed_cells()),
            classes=["membrane-lattice"],
        )
        solara.HTML(
            unsafe_innerHTML=(
                "free protons per cell: <b>red</b> = intermembrane space (P side), <b>blue</b> = matrix (N side), "
                "deeper = more; grey row = membrane, its sites: " + legend + " (black = inhibited)"
            ),
            style="font-size: 0.8em",
        )
    return col


def _chart(option: dict, height_px: int, css_class: str) -> solara.Element:
    return solara.FigureEcharts(option=option, attributes={"style": f"height: {height_px}px;", "class": css_class})


# ---------------------------------------------------------------------- membrane
def membrane_axes(s: Any) -> list[Axis]:
    """The membrane panels of a model's series."""
    return [
        Axis("potential (mV)", (("Δψ", s.points("delta_psi_mV")), ("Δp", s.points("pmf_mV")))),
        Axis("cytosolic ATP (molecules)", (("ATP", s.points("atp_cytosol", 0)),)),
        Axis("O₂ rate (O₂/s)", (("OCR", s.points("ocr")),)),
        Axis("ATP rate (ATP/s)", (("ATP synthesis", s.points("atp_rate")),)),
        Axis(
            "reduced fraction (1)",
            (
                ("NADH/NAD", s.points("nadh_fraction")),
                ("QH₂/Q", s.points("qh2_fraction")),
                ("cyt c²⁺/c", s.points("cytc_reduced_fraction")),
            ),
        ),
    ]


def MembraneChart(model: MembraneView) -> solara.Element:
    """Δψ, Δp, ATP, OCR, ATP synthesis and redox fractions against simulated time."""
    return _chart(series_option(membrane_axes(model.series), 620), 620, "membrane-series")


def MembraneReadout(model: Any) -> solara.Element:
    """The current numbers as text."""
    r = model.readout
    doses = model.world.inhibitors
    inhibitors = ", ".join(n if doses[n] >= 1.0 else f"{n} {doses[n]:.0%}" for n in sorted(doses)) or "none"
    return Text(
        f"Δψ = {_fmt(r['delta_psi_mV'])} mV · Δp = {_fmt(r['pmf_mV'])} mV · cytosolic ATP = "
        f"{_fmt(r['atp_cytosol'], 0)} · OCR = {_fmt(r['ocr'])} O₂/s · ATP synthesis = {_fmt(r['atp_rate'])} ATP/s · "
        f"ATP demand now: {model.world.demand.rate:g} ATP/s · uncoupler now: "
        f"{model.world.uncoupler.concentration:g} µM · inhibitors: {inhibitors} · "
        f"c-ring: {model.world.params.c_ring}",
        classes=["membrane-readout"],
    )


def MembraneControls(model: Any, demand: bool = True) -> solara.Element:
    """Sliders and buttons that queue membrane perturbations."""
    t = model.targets

    with solara.Column() as col:
        if demand:
            solara.SliderFloat(
                "ATP demand (ATP/s)",
                value=t.get("atp_demand", (model.world.demand.rate,))[0],
                min=0.0,
                max=2000.0,
                step=50.0,
                on_value=lambda v: ask(model, "atp_demand", float(v)),
            )
        solara.SliderFloat(
            "uncoupler (µM)",
            value=t.get("uncoupler", (model.world.uncoupler.concentration,))[0],
            min=0.0,
            max=10.0,
            step=0.5,
            on_value=lambda v: ask(model, "uncoupler", float(v)),
        )
        with solara.Row(style="flex-wrap: wrap"):
            for name in INHIBITOR_NAMES:
                solara.Button(
                    name,
                    on_click=lambda name=name: ask(model, "inhibitor", name),
                    disabled=name in model.world.inhibitors,
                    outlined=True,
                    classes=[f"inhibitor-{name}"],
                )
            solara.Button("ADP pulse (+1000)", on_click=lambda: ask(model, "adp_pulse", 1000), outlined=True)
        if isinstance(model, MembraneView):
            solara.ToggleButtonsSingle(
                value=t.get("substrate", (model.substrate,))[0],
                values=["nadh", "succinate"],
                on_value=lambda v: ask(model, "substrate", v),
            )
    return col


def MembranePanel(model: MembraneView) -> solara.Element:
    """Readout, controls and the applied perturbations."""
    with solara.Card("Membrane: controls (applied at the next frame)") as card:
        Clock(model)
        MembraneReadout(model)
        MembraneControls(model)
        Applied(model)
    return card


# ---------------------------------------------------------------------- attention
def attention_axes(s: Any) -> list[Axis]:
    """The attention panels of a model's series."""
    return [
        Axis(
            "cross-entropy (nats)",
            (
                ("CE, last 64 tokens", s.points("cross_entropy_nats")),
                ("entropy rate (floor)", s.points("entropy_rate_nats")),
                ("training loss", s.points("train_loss_nats")),
            ),
            dashed=("entropy rate (floor)",),
        ),
        Axis("next-token entropy (nats)", (("H(next token)", s.points("next_token_entropy_nats")),)),
    ]


def AttentionWindow(model: Any) -> solara.Element:
    """The live token stream and the attention of the current window, per head."""
    parts = model.parts
    pos, tokens, mats = parts.window()
    letters = "abcdefghijklmnopqrstuvwxyz0123456789"
    stream = "".join(letters[t % len(letters)] for t in tokens)
    with solara.Column() as col:
        Clock(model)
        Text(
            f"(current window, positions {pos[0] if pos else 0}–{pos[-1] if pos else 0}): {stream} · "
            f"tokens done: {parts.stream.tokens_done}",
            bold="token stream",
            style="font-family: monospace; font-size: 0.9em",
            classes=["token-stream"],
        )
        solara.Image(attention_png(mats, parts.ablated(), parts.lm.config.n_ctx), classes=["attention-heatmap"])
        Text(
            "attention of each query (row, top = first of the window) on each key (column, left = first), per head "
            "(left to right) and layer (top to bottom); black = weight 1, white = 0; red frame = ablated head",
            style="font-size: 0.8em",
        )
    return col


def AttentionChart(model: Any) -> solara.Element:
    """Cross-entropy against the entropy-rate floor and next-token entropy against simulated time."""
    return _chart(series_option(attention_axes(model.series), 360), 360, "attention-series")


def AttentionControls(model: Any) -> solara.Element:
    """Temperature slider and head-ablation toggles (queued)."""
    parts = model.parts
    r = model.readout
    L, H = parts.stream.head_mask.shape
    ablated = parts.ablated()
    with solara.Column() as col:
        Text(
            f"CE = {_fmt(r['cross_entropy_nats'], 3)} nats against the floor {_fmt(r['entropy_rate_nats'], 3)} nats · "
            f"next-token entropy = {_fmt(r['next_token_entropy_nats'], 3)} nats · output temperature now: "
            f"{parts.stream.out_temperature:g} · ablated heads: "
            + (", ".join(f"L{a}H{b}" for a, b in sorted(ablated)) or "none"),
            classes=["attention-readout"],
        )
        solara.SliderFloat(
            "output softmax temperature",
            value=model.targets.get("temperature", (parts.stream.out_temperature,))[0],
            min=0.25,
            max=4.0,
            step=0.25,
            on_value=lambda v: ask(model, "temperature", float(v)),
        )
        with solara.Row(style="flex-wrap: wrap"):
            for layer in range(L):
                for head in range(H):
                    asked = model.targets.get(f"head{(layer, head)}", (layer, head, (layer, head) in ablated))[2]
                    solara.Checkbox(
                        label=f"ablate L{layer}H{head}",
                        value=asked,
                        on_value=lambda v, a=layer, b=head: ask(model, "head", a, b, bool(v)),
                    )
    return col


def AttentionPanel(model: AttentionView) -> solara.Element:
    """Readout, controls and the applied perturbations."""
    with solara.Card("Attention: controls (applied at the next frame)") as card:
        Clock(model)
        AttentionControls(model)
        Applied(model)
    return card


# ---------------------------------------------------------------------- coupled
def CoupledChart(model: CoupledView) -> solara.Element:
    """Membrane, budget and stream against one simulated clock."""
    s = model.series
    axes = [
        Axis("potential (mV)", (("Δp", s.points("pmf_mV")),)),
        Axis("cytosolic ATP (molecules)", (("ATP", s.points("atp_cytosol", 0)),)),
        Axis("token rate (tokens/s)", (("tokens done", s.points("tokens_per_s")),)),
        Axis("tokens waiting (tokens)", (("waiting for ATP", s.points("tokens_waiting_atp", 0)),)),
        *attention_axes(s)[:1],
    ]
    return _chart(series_option(axes, 620), 620, "coupled-series")


def CoupledPanel(model: CoupledView) -> solara.Element:
    """Budget readout and the controls of both worlds."""
    r = model.readout
    with solara.Card("Coupled: controls (applied at the next frame)") as card:
        Clock(model)
        Text(
            f"ATP budget: {model.k_atp} ATP per token · tokens done/s = {_fmt(r['tokens_per_s'])} · "
            f"ATP spent on tokens/s = {_fmt(r['atp_spent_per_s'])} · waiting for ATP: "
            f"{_fmt(r['tokens_waiting_atp'], 0)} · turned away: {_fmt(r['tokens_turned_away'], 0)}",
            classes=["coupled-readout"],
        )
        MembraneReadout(model)
        MembraneControls(model, demand=False)
        AttentionControls(model)
        Applied(model)
    return card
