"""core.learn.preprocess: canvas/photo -> MNIST-style 28x28 input (fit 20x20, centre of mass at (14, 14))."""

from __future__ import annotations

import io
import os
import time

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from core.learn.preprocess import (
    Preprocessed,
    batch_tensor,
    canvas_to_mnist,
    ink_map,
    load_image,
    mass_centre,
)

SIDE = 280


def drawing(shape: str, side: int = SIDE) -> np.ndarray:
    """A white-on-black ink mask uint8 [side, side], drawn at 2x and shrunk so edges are anti-aliased."""
    big = Image.new("L", (2 * side, 2 * side), 0)
    d = ImageDraw.Draw(big)
    s = 2 * side / 280  # coordinates below are for a 280 canvas
    if shape == "one":  # a thick "1", off to the left
        d.line([(70 * s, 40 * s), (80 * s, 230 * s)], fill=255, width=round(24 * s))
    elif shape == "thin_one":  # a thin upright "1", centred
        d.line([(140 * s, 50 * s), (140 * s, 230 * s)], fill=255, width=round(10 * s))
    elif shape == "seven":  # a small "7" in the top-right corner
        d.line([(180 * s, 30 * s), (250 * s, 30 * s), (205 * s, 120 * s)], fill=255, width=round(8 * s))
    elif shape == "ring":  # a thick ring, low and to the right
        d.ellipse([(120 * s, 130 * s), (260 * s, 270 * s)], outline=255, width=round(30 * s))
    elif shape == "corner_dot":  # a small blob in a corner
        d.ellipse([(20 * s, 20 * s), (60 * s, 70 * s)], fill=255)
    elif shape == "ell":  # an asymmetric "L": heavy bottom bar
        d.line([(100 * s, 40 * s), (100 * s, 230 * s), (220 * s, 230 * s)], fill=255, width=round(30 * s))
    else:
        raise ValueError(shape)
    return np.asarray(big.resize((side, side), Image.Resampling.BOX))


def white_on_black(mask: np.ndarray) -> np.ndarray:
    return np.stack([mask, mask, mask, np.full_like(mask, 255)], axis=-1)


def black_on_white(mask: np.ndarray) -> np.ndarray:
    inv = 255 - mask
    return np.stack([inv, inv, inv, np.full_like(mask, 255)], axis=-1)


def black_on_transparent(mask: np.ndarray) -> np.ndarray:
    zero = np.zeros_like(mask)
    return np.stack([zero, zero, zero, mask], axis=-1)


def photo(mask: np.ndarray, seed: int = 0) -> np.ndarray:
    """Blue-ish pen on off-white paper with sensor noise, RGB uint8 (no alpha)."""
    rng = np.random.default_rng(seed)
    m = mask.astype(np.float32)[..., None] / 255
    paper, pen = np.array([205, 200, 190], np.float32), np.array([40, 45, 90], np.float32)
    img = paper * (1 - m) + pen * m + rng.normal(0, 6, mask.shape + (3,))
    return np.clip(img, 0, 255).astype(np.uint8)


def ink_box(img: np.ndarray, threshold: float = 0.05) -> tuple[int, int, int, int]:
    """(top, bottom, left, right), inclusive, of pixels above threshold."""
    rows, cols = np.flatnonzero((img > threshold).any(1)), np.flatnonzero((img > threshold).any(0))
    return rows[0], rows[-1], cols[0], cols[-1]


@pytest.fixture(scope="module")
def mnist_test_digits() -> np.ndarray:
    os.environ.setdefault("MNIST_DATA_DIR", "/work/shared/data/mnist")
    from core.learn.data import DataError, load_mnist

    try:
        return load_mnist(download=False).test_images[:200].numpy()
    except DataError as exc:
        pytest.skip(f"no MNIST here: {exc}")


@pytest.mark.parametrize("shape", ["one", "seven", "ring", "ell"])
def test_fitted_and_centred_by_mass(shape):
    result = canvas_to_mnist(white_on_black(drawing(shape)))
    assert not result.empty
    assert result.image.shape == (28, 28) and result.image.dtype == np.float32
    assert 0.0 <= result.image.min() and result.image.max() <= 1.0
    assert result.image.max() > 0.9  # full ink survives
    cy, cx = mass_centre(result.image)
    assert abs(cy - 14) <= 0.5 + 1e-6 and abs(cx - 14) <= 0.5 + 1e-6
    top, bottom, left, right = ink_box(result.image)
    assert max(bottom - top, right - left) + 1 in (19, 20)  # longer side fitted to 20
    assert list(result.steps) == ["ink", "cropped", "fitted", "centred", "input"]
    assert max(result.steps["fitted"].shape) == 20
    if shape in ("one", "ring"):  # roughly symmetric shapes sit in the central 20x20 box (+-1 px of rounding)
        assert top >= 3 and bottom <= 24 and left >= 3 and right <= 24
    else:  # lopsided ones shift towards their light side, as in MNIST, but stay in the frame
        assert result.image.sum() == pytest.approx(result.steps["fitted"].sum(), rel=1e-4)  # nothing clipped


def test_small_digit_in_corner_is_scaled_up():
    result = canvas_to_mnist(white_on_black(drawing("seven")))
    top, bottom, left, right = ink_box(result.image)
    assert bottom - top + 1 >= 19  # a 90 px tall "7" grew to ~20 of 28 px


@pytest.mark.parametrize("shape", ["one", "ring", "seven"])
def test_styles_agree(shape):
    mask = drawing(shape)
    reference = canvas_to_mnist(white_on_black(mask)).image
    for style in (black_on_white, black_on_transparent):
        other = canvas_to_mnist(style(mask)).image
        assert np.abs(other - reference).max() < 0.02, style.__name__
    for plain in (mask, np.stack([mask] * 3, axis=-1), 255 - mask):  # grey and RGB arrays, no alpha
        assert np.abs(canvas_to_mnist(plain).image - reference).max() < 0.02
    clean = canvas_to_mnist(white_on_black(mask))
    for seed in range(3):  # pen on noisy paper: the same crop and fit, placed at (14, 14) by mass
        noisy = canvas_to_mnist(photo(mask, seed))
        assert not noisy.empty
        assert np.allclose(noisy.steps["cropped"].shape, clean.steps["cropped"].shape, atol=2)
        assert noisy.steps["fitted"].shape == clean.steps["fitted"].shape
        assert np.abs(noisy.steps["fitted"] - clean.steps["fitted"]).mean() < 0.03
        assert np.allclose(mass_centre(noisy.image), (14, 14), atol=0.5 + 1e-6)


def test_ink_map_styles():
    mask = drawing("ring")
    expected = mask / 255.0
    for style in (white_on_black, black_on_white, black_on_transparent):
        ink = ink_map(style(mask))
        assert ink.shape == mask.shape and ink.dtype == np.float32
        assert np.abs(ink - expected).max() < 1e-5
    # A dim colour (dark red strokes) on the black canvas is stretched to full ink.
    dim = np.zeros(mask.shape + (4,), np.uint8)
    dim[..., 0], dim[..., 3] = mask // 3, 255
    assert ink_map(dim).max() == pytest.approx(1.0)


@pytest.mark.parametrize(
    "canvas",
    [
        np.zeros((SIDE, SIDE, 4), np.uint8) + np.array([0, 0, 0, 255], np.uint8),  # all black
        np.full((SIDE, SIDE, 4), 255, np.uint8),  # all white
        np.zeros((SIDE, SIDE, 4), np.uint8),  # all transparent
        np.zeros((SIDE, SIDE, 4), np.uint8) + np.array([255, 255, 255, 0], np.uint8),  # transparent white
        np.zeros((SIDE, SIDE), np.uint8),  # grey black
        photo(np.zeros((SIDE, SIDE), np.uint8), seed=3),  # a photo of blank paper, noise only
    ],
    ids=["black", "white", "transparent", "transparent_white", "grey", "blank_paper"],
)
def test_blank_is_empty(canvas):
    result = canvas_to_mnist(canvas)
    assert result.empty
    assert result.image.shape == (28, 28) and not result.image.any()
    assert result.tensor.shape == (1, 1, 28, 28)


def test_a_speck_is_empty_but_a_dot_is_not():
    canvas = np.zeros((SIDE, SIDE), np.uint8)
    canvas[100, 100] = canvas[200, 50] = 255  # lone specks
    assert canvas_to_mnist(canvas).empty
    assert not canvas_to_mnist(drawing("corner_dot")).empty


def test_mnist_round_trip(mnist_test_digits):
    diffs = []
    for digit in mnist_test_digits:
        big = np.kron(digit, np.ones((10, 10), np.uint8))
        result = canvas_to_mnist(white_on_black(big))
        assert not result.empty
        diffs.append(np.abs(result.image - digit / 255.0).mean())
    assert np.mean(diffs) < 0.01  # MNIST digits are already fitted to 20 px and centred by mass
    assert np.max(diffs) < 0.05


def test_centre_of_mass_toggle():
    canvas = white_on_black(drawing("ell"))
    on = canvas_to_mnist(canvas).image
    off = canvas_to_mnist(canvas, centre_of_mass=False).image
    assert np.allclose(mass_centre(on), (14, 14), atol=0.5)
    cy, cx = mass_centre(off)
    assert np.hypot(cy - 14, cx - 14) > 1.5  # the heavy bottom bar pulls the mass off-centre
    top, bottom, left, right = ink_box(off)
    assert abs((top + bottom) / 2 - 13.5) <= 0.5 and abs((left + right) / 2 - 13.5) <= 0.5  # box centred


def test_crop_toggle_keeps_small_digit_small():
    canvas = white_on_black(drawing("corner_dot"))
    on = canvas_to_mnist(canvas)
    off = canvas_to_mnist(canvas, crop=False)
    t, b, left, r = ink_box(on.image)
    assert b - t + 1 >= 19
    assert off.steps["cropped"].shape == (SIDE, SIDE)
    t, b, left, r = ink_box(off.image)
    assert b - t + 1 <= 6 and r - left + 1 <= 6  # a 50 px blob on a 280 canvas -> ~4 px of 28


def test_keep_aspect_toggle_stretches_thin_one():
    canvas = white_on_black(drawing("thin_one"))
    on = canvas_to_mnist(canvas)
    off = canvas_to_mnist(canvas, keep_aspect=False)
    t, b, left, r = ink_box(on.image)
    assert r - left + 1 <= 3 and b - t + 1 in (19, 20)
    assert off.steps["fitted"].shape == (20, 20)
    t, b, left, r = ink_box(off.image)
    assert r - left + 1 == 20 and b - t + 1 == 20
    assert off.image[t:b + 1, left:r + 1].mean() > 0.8  # a solid 20x20 block (soft at the sides)


def test_fit_20_toggle_squashes_to_full_frame():
    canvas = white_on_black(drawing("one"))
    off = canvas_to_mnist(canvas, fit_20=False)
    assert list(off.steps) == ["ink", "cropped", "squashed", "input"]
    t, b, left, r = ink_box(off.image)
    assert (t, b, left, r) == (0, 27, 0, 27)  # no margin: the bounding box fills 28x28
    whole = canvas_to_mnist(canvas, fit_20=False, crop=False)
    assert np.allclose(whole.image, np.asarray(
        Image.fromarray(drawing("one").astype(np.float32) / 255).resize((28, 28), Image.Resampling.BOX)),
        atol=1e-5)


def test_tensor_matches_training_normalisation(mnist_test_digits):
    from core.learn.data import normalise

    digits = mnist_test_digits[:3]
    items = [Preprocessed({}, (d / 255.0).astype(np.float32), False) for d in digits]
    assert items[0].tensor.shape == (1, 1, 28, 28) and items[0].tensor.dtype == torch.float32
    expected = normalise(torch.from_numpy(digits)).unsqueeze(1)
    assert torch.allclose(batch_tensor(items), expected, atol=1e-5)
    assert batch_tensor([]).shape == (0, 1, 28, 28)


def test_load_image(tmp_path):
    mask = drawing("ring")
    path = tmp_path / "digit.png"
    Image.fromarray(mask).save(path)  # a grey PNG
    pixels = load_image(path)
    assert pixels.shape == (SIDE, SIDE, 4) and pixels.dtype == np.uint8
    assert (pixels[..., 0] == mask).all() and (pixels[..., 3] == 255).all()
    assert (load_image(str(path)) == pixels).all()
    assert (load_image(path.read_bytes()) == pixels).all()
    buf = io.BytesIO()
    Image.fromarray(black_on_white(mask)).convert("RGB").save(buf, format="JPEG", quality=90)
    jpeg = load_image(buf.getvalue())
    assert jpeg.shape == (SIDE, SIDE, 4)
    ref = canvas_to_mnist(white_on_black(mask)).image
    assert np.abs(canvas_to_mnist(jpeg).image - ref).mean() < 0.03
    assert load_image(io.BytesIO(buf.getvalue()), max_side=100).shape == (100, 100, 4)


@pytest.mark.parametrize("bad", [b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\0" * 40, b""])
def test_load_image_rejects_garbage(bad, tmp_path):
    with pytest.raises(ValueError, match="is not an image we can read"):
        load_image(bad)
    path = tmp_path / "bad.png"
    path.write_bytes(bad)
    with pytest.raises(ValueError, match="bad.png is not an image we can read"):
        load_image(path)


def test_bad_arrays_are_refused():
    with pytest.raises(ValueError):
        ink_map(np.zeros((4, 4, 5), np.uint8))
    with pytest.raises(ValueError):
        ink_map(np.zeros((0, 4), np.uint8))


def test_fast_enough():
    canvas = white_on_black(drawing("one"))
    canvas_to_mnist(canvas)
    runs = 20
    start = time.perf_counter()
    for _ in range(runs):
        canvas_to_mnist(canvas)
    per_call = (time.perf_counter() - start) / runs
    assert per_call < 0.05  # ~1-2 ms when the machine is quiet; generous for shared CI
