"""The Home page's SVG figures: the values they show are the image's and the network's, and they parse as SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from tests.conftest import svg_values
from ui.figures import home_svg
from ui.figures.style import TRUE_RGB, WRONG_RGB, rgb

NS = "{http://www.w3.org/2000/svg}"


def _texts(root) -> list[str]:
    return [e.text for e in root.iter(f"{NS}text")]


def test_pixel_grid_writes_every_value_in_its_cell_upright_and_outlines_the_row(small_mnist):
    image = small_mnist.test_images[0].numpy()
    root = ET.fromstring(home_svg.pixel_grid_svg(image, highlight_row=8, hover="r{row} c{col} = {value}"))
    cells = [e for e in root.iter(f"{NS}rect") if e.get("class") == "px"]
    assert len(cells) == 784
    grid = np.zeros((28, 28), dtype=np.int64)
    for cell in cells:
        r, c, v = int(cell.get("data-row")), int(cell.get("data-col")), int(cell.get("data-value"))
        grid[r, c] = v
        assert cell.find(f"{NS}title").text == f"r{r} c{c} = {v}"  # the hover
        g = 255 - v  # ink on paper: 0 white, 255 black
        assert cell.get("fill") == f"rgb({g},{g},{g})"
    assert np.array_equal(grid, image)
    top_left = min(cells, key=lambda e: (float(e.get("y")), float(e.get("x"))))
    assert top_left.get("data-row") == "0" and top_left.get("data-col") == "0"  # row 0 at the top: upright
    written = _texts(root)
    assert str(image[8][10]) in written and written.count("0") < 10  # zeros blank, but for the axes' "0"
    with_zeros = _texts(ET.fromstring(home_svg.pixel_grid_svg(image, show_zeros=True)))
    assert with_zeros.count("0") >= int((image == 0).sum())
    outlines = [e for e in root.iter(f"{NS}rect") if e.get("stroke")]
    assert len(outlines) == 1 and float(outlines[0].get("y")) == pytest.approx(30 + 8 * 30 - 1.5)
    assert not [e for e in ET.fromstring(home_svg.pixel_grid_svg(image)).iter(f"{NS}rect") if e.get("stroke")]


def test_vector_strip_is_the_image_row_after_row(small_mnist):
    image = small_mnist.test_images[0].numpy()
    root = ET.fromstring(home_svg.vector_strip_svg(image, highlight_row=3, xlabel="position"))
    values = [int(v) for v in svg_values(root, "px")]
    assert values == image.reshape(-1).tolist()
    assert "position" in _texts(root) and "784" in _texts(root)


def test_network_diagram_names_every_layer_and_abbreviates_long_ones():
    root = ET.fromstring(home_svg.network_svg((784, 32, 10), ("in", "hidden", "out")))
    layers = [(g.get("data-size"), [t.text for t in g.iter(f"{NS}text")]) for g in root.iter(f"{NS}g")
              if g.get("data-layer") is not None]
    assert layers == [("784", ["784", "in"]), ("32", ["32", "hidden"]), ("10", ["10", "out"])]
    circles = len(list(root.iter(f"{NS}circle")))
    assert circles == 8 + 8 + 10  # 784 and 32 units drawn as 8 and dots, all ten outputs
    assert len(list(root.iter(f"{NS}line"))) == 8 * 8 + 8 * 10  # every unit to every unit of the next layer
    assert "⋮" in _texts(root)


def test_scores_and_probabilities_hold_the_values_and_the_colours():
    scores = [0.5, -1.0, 2.0, 0, 0, 0, 0, 0.1, 0, 0]
    probs = list(np.exp(scores) / np.exp(scores).sum())
    root = ET.fromstring(home_svg.scores_probs_svg(tuple(scores), tuple(probs), 7, ("z", "p"), xlabel="digit"))
    assert [float(v) for v in svg_values(root, "bar", kind="scores")] == scores
    assert [float(v) for v in svg_values(root, "bar", kind="probs")] == pytest.approx(probs)
    bars = {e.get("data-digit"): e for e in root.iter(f"{NS}rect") if e.get("data-kind") == "probs"}
    assert bars["7"].get("fill") == rgb(TRUE_RGB) and bars["2"].get("fill") == rgb(WRONG_RGB)  # true, wrong top
    assert bars["2"].find(f"{NS}title").text == f"digit 2: {probs[2]:.1%}"
    assert "z" in _texts(root) and "p" in _texts(root)
    only = ET.fromstring(home_svg.scores_probs_svg(None, tuple(probs), None, ("z", "p")))
    assert not svg_values(only, "bar", kind="scores") and len(svg_values(only, "bar", kind="probs")) == 10
    assert "z" not in _texts(only)


def test_a_text_cannot_break_out_of_its_figure_and_the_figure_is_named_for_screen_readers():
    root = ET.fromstring(home_svg.network_svg((784, 10), ("<b>in</b>", 'out "&"'), label='Layers "<3>"'))
    assert "<b>in</b>" in _texts(root) and 'out "&"' in _texts(root)
    assert root.get("role") == "img" and root.get("aria-label") == 'Layers "<3>"'
