"""The live pages' figures: the lattice image puts each compartment and site where it belongs."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from scenarios.view.draw import (
    CLOSED_GREY,
    MEMBRANE_GREY,
    SITE_COLOURS,
    Axis,
    attention_png,
    lattice_png,
    series_option,
)


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_lattice_image_layout() -> None:
    """P side on top (red), the membrane row grey with each site in its colour (black when inhibited), N side
    at the bottom (blue); a cell with more protons is drawn deeper than an empty one."""
    width, n_rows, p_rows = 6, 3, 2
    occ = np.zeros((width, n_rows + 1 + p_rows))
    occ[0, 0] = 9  # N band, bottom-left cell crowded
    occ[0, n_rows + 1] = 9  # P band, first row above the membrane
    png = lattice_png(occ, n_rows, [(1, "ComplexI", False), (2, "ATPSynthase", True)], scale=1, vmax=9)
    px = _pixels(png)
    assert px.shape == (n_rows + 1 + p_rows, width, 3)
    membrane = px[p_rows]  # image row p_rows (P band drawn above)
    assert tuple(membrane[0]) == MEMBRANE_GREY
    assert tuple(membrane[1]) == SITE_COLOURS["ComplexI"] and tuple(membrane[2]) == (0, 0, 0)
    n_full, n_empty = px[-1, 0], px[-1, 1]
    p_full = px[p_rows - 1, 0]
    assert tuple(n_empty) == (255, 255, 255)
    assert n_full[2] > n_full[0] and p_full[0] > p_full[2]  # blue matrix, red intermembrane space


def test_lattice_image_greys_the_cells_beyond_a_crista_lumen() -> None:
    """A world with a crista draws the P cells beyond the lumen's midplane light grey (over the crista's
    columns only) and scales colours by the open cells; the lumen row keeps the P side's colour."""
    from world.membrane import MembraneWorld

    w = MembraneWorld(seed=1, crista_length_nm=1500.0)
    closed = w.lattice.closed_cells()
    assert closed is not None and closed.sum() == 30 * 9
    px = _pixels(lattice_png(w.proton_layer.data, w.params.n_rows, [], scale=1, closed=closed))
    top, lumen = px[0], px[w.params.p_rows - 1]  # image rows: the P band's last row, then its mouth row
    assert all(tuple(c) == CLOSED_GREY for c in top[:30]) and all(tuple(c) != CLOSED_GREY for c in top[30:])
    assert all(tuple(c) != CLOSED_GREY for c in lumen)
    assert MembraneWorld(seed=1).lattice.closed_cells() is None


def test_attention_image_marks_the_ablated_head() -> None:
    """One panel per head; an ablated head's panel is framed red, weight 1 is black and 0 white."""
    A = np.zeros((2, 3, 3))
    A[:, np.arange(3), 0] = 1.0
    px = _pixels(attention_png([A], {(0, 1)}, n_ctx=3, scale=1))
    assert px.shape == (7, 14, 3)
    assert tuple(px[0, 7]) == (220, 30, 30) and tuple(px[0, 0]) == (255, 255, 255)
    assert tuple(px[2, 2]) == (0, 0, 0) and tuple(px[2, 3]) == (255, 255, 255)


def test_chart_has_one_unit_per_axis_and_shared_time() -> None:
    """Each panel is its own grid with its y-axis name (unit included); every series is drawn on its panel."""
    opt = series_option(
        [Axis("potential (mV)", (("Δψ", [[0.0, 1.0]]),)), Axis("rate (O₂/s)", (("OCR", [[0.0, 2.0]]),))]
    )
    assert [y["name"] for y in opt["yAxis"]] == ["potential (mV)", "rate (O₂/s)"]
    assert [s["yAxisIndex"] for s in opt["series"]] == [0, 1] and opt["animation"] is False
    assert opt["xAxis"][-1]["name"] == "simulated time (s)"
