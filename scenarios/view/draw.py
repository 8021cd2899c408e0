"""Cheap figures for the live pages: the proton lattice and the attention window as PNG images, and ECharts
options for the time series (drawn by the browser from the ECharts copy that solara-assets ships).

Key names: `lattice_png`, `attention_png`, `series_option`, `SITE_COLOURS`, `Axis`.

A matplotlib figure costs 60–250 ms of CPU per frame; these cost a few milliseconds: the lattice is one
``numpy`` colour lookup scaled up by whole pixels and PNG-encoded by Pillow (matplotlib's own dependency), and
a chart is a dict of the last frames' numbers.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

SITE_COLOURS: dict[str, tuple[int, int, int]] = {
    "ComplexI": (230, 120, 20),
    "ComplexII": (235, 200, 40),
    "ComplexIII": (40, 160, 60),
    "ComplexIV": (200, 30, 40),
    "ATPSynthase": (150, 60, 200),
    "NucleotideExchanger": (30, 190, 200),
    "AdenineNucleotideTranslocase": (30, 190, 200),
    "PhosphateCarrier": (120, 220, 120),
    "LeakSite": (250, 250, 250),
}
"""Colour of each kind of membrane site in the lattice image (an inhibited site is drawn black)."""
MEMBRANE_GREY = (110, 110, 110)
CLOSED_GREY = (190, 190, 190)
"""Cells outside the world: beyond a crista lumen's midplane (see `lattice_png`)."""
_N_TINT = np.array([40, 90, 220], dtype=np.float64)  # matrix (N side): blue
_P_TINT = np.array([220, 60, 40], dtype=np.float64)  # intermembrane space (P side): red


def _png(rgb: np.ndarray, scale: int) -> bytes:
    big = np.repeat(np.repeat(rgb, scale, axis=0), scale, axis=1)
    buf = io.BytesIO()
    Image.fromarray(big, mode="RGB").save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def lattice_png(
    occupancy: np.ndarray,
    n_rows: int,
    sites: Sequence[tuple[int, str, bool]],
    scale: int = 8,
    vmax: float | None = None,
    closed: np.ndarray | None = None,
) -> bytes:
    """The proton lattice as a PNG: P side on top (red), membrane row (grey, sites coloured), N side (blue);
    cells outside the world (a crista's, beyond its lumen's midplane) light grey.

    Args:
        occupancy: free protons per cell, shape ``(width, height)``; row ``n_rows`` is the membrane.
        n_rows: rows of the N band.
        sites: ``(column, class name, inhibited)`` of every membrane site.
        scale: pixels per cell.
        vmax: count drawn at full colour (default three times the mean count of an open band cell).
        closed: optional ``(width, height)`` mask of the cells outside the world (`ProtonLattice.closed_cells`).

    Returns:
        PNG bytes, ``scale·height`` by ``scale·width`` pixels.
    """
    counts = np.asarray(occupancy, dtype=np.float64).T  # (height, width), row 0 = N band bottom
    height = counts.shape[0]
    band = np.ones(counts.shape, dtype=bool)
    band[n_rows] = False
    shut = np.zeros(counts.shape, dtype=bool) if closed is None else np.asarray(closed, dtype=bool).T
    band &= ~shut
    if vmax is None:
        vmax = max(1.0, 3.0 * float(counts[band].mean()))
    level = np.clip(counts / vmax, 0.0, 1.0)[..., None]
    tint = np.where((np.arange(height) < n_rows)[:, None, None], _N_TINT, _P_TINT)
    rgb = 255.0 - level * (255.0 - tint)  # white (empty) to the side's colour (vmax and above)
    rgb[shut] = CLOSED_GREY
    rgb[n_rows] = MEMBRANE_GREY
    for x, name, inhibited in sites:
        rgb[n_rows, x] = (0, 0, 0) if inhibited else SITE_COLOURS.get(name, (0, 0, 0))
    return _png(np.ascontiguousarray(rgb[::-1].astype(np.uint8)), scale)


def attention_png(
    mats: Sequence[np.ndarray], ablated: set[tuple[int, int]], n_ctx: int | None = None, scale: int = 6
) -> bytes:
    """Per-head attention of the current window as a PNG: one panel per (layer, head), layers top to bottom.

    Row i of a panel is the query at window position i, column j the key it attends to; darker = more
    weight (0 white, 1 black). An ablated head's panel is framed in red (its pattern is still computed; its
    output is zeroed).

    Args:
        mats: per layer, an ``(H, n, n)`` array of row-stochastic attention.
        ablated: (layer, head) pairs ablated.
        n_ctx: panel size in cells (the context window; a window still filling is drawn top left), default n.
        scale: pixels per cell.
    """
    if not mats:
        return _png(np.full((8, 8, 3), 255, dtype=np.uint8), scale)
    H, n, _ = mats[0].shape
    pad = 2
    cell = max(n, n_ctx or n) + 2 * pad
    out = np.full((len(mats) * cell, H * cell, 3), 255, dtype=np.uint8)
    for layer, heads in enumerate(mats):
        for h in range(H):
            y0, x0 = layer * cell, h * cell
            if (layer, h) in ablated:
                out[y0 : y0 + cell, x0 : x0 + cell] = (220, 30, 30)
            grey = (255.0 * (1.0 - np.clip(heads[h], 0.0, 1.0))).astype(np.uint8)
            out[y0 + pad : y0 + pad + n, x0 + pad : x0 + pad + n] = grey[..., None]
    return _png(out, scale)


@dataclass(frozen=True)
class Axis:
    """One chart panel: a y-axis label with its unit and the series drawn against it.

    Attributes:
        label: axis name including the unit, e.g. ``"potential (mV)"``.
        series: ``(legend name, points)`` with points ``[[t, value], ...]``.
        dashed: legend names drawn dashed (reference lines, e.g. a floor).
    """

    label: str
    series: tuple[tuple[str, list[list[float | None]]], ...]
    dashed: tuple[str, ...] = ()


def series_option(panels: Sequence[Axis], height_px: int = 520, x_label: str = "simulated time (s)") -> dict:
    """An ECharts option: one panel per `Axis`, stacked, sharing the time axis; no animation (live data).

    Args:
        panels: the panels, top to bottom.
        height_px: height of the chart element (the panels are laid out in pixels inside it).
        x_label: name of the shared time axis (shown under the bottom panel).
    """
    n = len(panels)
    legend, gap, bottom = 34, 18, 42
    panel_h = max(30.0, (height_px - legend - bottom - (n - 1) * gap) / n)
    grids, xs, ys, series = [], [], [], []
    for i, panel in enumerate(panels):
        last = i == n - 1
        grids.append({"left": 70, "right": 18, "top": legend + i * (panel_h + gap), "height": panel_h})
        xs.append(
            {
                "type": "value",
                "gridIndex": i,
                "scale": True,
                "name": x_label if last else "",
                "nameLocation": "middle",
                "nameGap": 26,
                "axisLabel": {"show": last},
            }
        )
        ys.append(
            {
                "type": "value",
                "gridIndex": i,
                "scale": True,
                "name": panel.label,
                "nameLocation": "middle",
                "nameGap": 50,
                "nameTextStyle": {"fontSize": 10},
                "splitNumber": 2,
            }
        )
        for name, points in panel.series:
            style = {"type": "dashed" if name in panel.dashed else "solid", "width": 1.5}
            series.append(
                {
                    "name": name,
                    "type": "line",
                    "xAxisIndex": i,
                    "yAxisIndex": i,
                    "showSymbol": False,
                    "data": points,
                    "lineStyle": style,
                }
            )
    return {
        "animation": False,
        "legend": {"top": 0, "type": "scroll"},
        "tooltip": {"trigger": "axis"},
        "axisPointer": {"link": [{"xAxisIndex": "all"}]},
        "grid": grids,
        "xAxis": xs,
        "yAxis": ys,
        "series": series,
    }
