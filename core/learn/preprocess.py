"""Canvas or photo -> the 28x28 network input, made the way MNIST itself was made.

LeCun's recipe: size-normalise each digit to fit a 20x20 box keeping its aspect ratio (anti-aliased),
then place it in a 28x28 image so that its centre of mass (pixel-index coordinates) is at (14, 14).
Real MNIST fits that exactly: the nonzero pixels' bounding box has a longer side of 20, and the mean
centre of mass over the test set is (13.99, 14.00).

Every intermediate image is kept (float [h, w] in [0, 1], ink = 1, like MNIST's white digit on black)
so the teaching page can show each step, and four toggles switch steps off to show why they matter.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

from core.errors import LabError
from core.learn.data import from_unit

SIZE = 28  # the network's input side
BOX = 20  # the digit's longer side after fitting, as in MNIST
CENTRE = 14.0  # where the centre of mass goes, in pixel-index coordinates (row, column)
INK_THRESHOLD = 0.05  # ink below this (or a lone speck) does not count towards the bounding box or emptiness
EMPTY_FRACTION = 5e-4  # fewer inked pixels than this share of the canvas (or 3) means "empty"
MIN_STRETCH_LEVEL = 0.25  # contrast stretch maps the ink's level to 1 when the level is above this
ALPHA_BACKGROUND = 0.5  # border alpha below this (median) means a transparent background: ink = alpha

@dataclass
class Preprocessed:
    """The steps of one preprocessing run and the final 28x28 image."""

    steps: dict[str, np.ndarray]  # ordered name -> float [h, w] image in [0, 1], for display
    image: np.ndarray  # final float32 [28, 28] in [0, 1], ink = 1
    empty: bool  # True when there is (almost) no ink: show "empty", never a prediction
    options: dict[str, bool] = field(default_factory=dict)  # the toggles this run used

    @property
    def tensor(self) -> torch.Tensor:
        """[1, 1, 28, 28] float32, normalised like the training data: (image - MEAN) / STD."""
        x = torch.from_numpy(np.ascontiguousarray(self.image, dtype=np.float32))
        return from_unit(x).reshape(1, 1, SIZE, SIZE)


def _as_float(pixels: np.ndarray) -> np.ndarray:
    """Any image array -> float32 [H, W, C] in [0, 1] (uint8 / 255, other ints / 255, floats clipped)."""
    a = np.asarray(pixels)
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or a.shape[2] not in (1, 2, 3, 4) or a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"expected an image array [H, W], [H, W, 3] or [H, W, 4], got shape {a.shape}")
    if a.dtype == np.bool_:
        return a.astype(np.float32)
    if np.issubdtype(a.dtype, np.floating):
        return np.clip(a.astype(np.float32, copy=False), 0.0, 1.0)
    return np.clip(a.astype(np.float32) / 255.0, 0.0, 1.0)


def _border(a: np.ndarray) -> np.ndarray:
    """The outer ring of pixels (two deep where the image is big enough), as [N, ...]."""
    h, w = a.shape[:2]
    k = 2 if min(h, w) >= 16 else 1
    return np.concatenate([a[:k].reshape(-1, *a.shape[2:]), a[-k:].reshape(-1, *a.shape[2:]),
                           a[k:-k, :k].reshape(-1, *a.shape[2:]), a[k:-k, -k:].reshape(-1, *a.shape[2:])])


def ink_map(pixels: np.ndarray) -> np.ndarray:
    """Any canvas style (light on dark, dark on light, ink on transparent) -> float32 ink [H, W] in [0, 1]."""
    a = _as_float(pixels)
    channels = a.shape[2]
    colour = a[:, :, :-1] if channels in (2, 4) else a
    alpha = a[:, :, -1] if channels in (2, 4) else None
    if alpha is not None and np.median(_border(alpha)) < ALPHA_BACKGROUND:
        ink = alpha.copy()  # transparent background: whatever is opaque is ink, whatever its colour
        floor = 0.0
    else:
        background = np.median(_border(colour), axis=0)  # per channel
        if alpha is not None and alpha.min() < 1.0:  # composite see-through pixels over the background
            colour = alpha[:, :, None] * colour + (1.0 - alpha[:, :, None]) * background
        # Distance from the background colour (the largest channel difference), scaled so that the
        # farthest possible colour (white on black, black on white) is 1.
        reach = float(np.maximum(background, 1.0 - background).max())
        ink = np.abs(colour[:, :, 0] - background[0])
        for c in range(1, colour.shape[2]):  # channel by channel: much faster than .max(axis=2)
            np.maximum(ink, np.abs(colour[:, :, c] - background[c]), out=ink)
        ink /= reach
        floor = min(0.3, 2.0 * float(np.percentile(_border(ink), 90)))  # paper grain, sensor noise
        if floor > 0:
            ink = (ink - floor) / (1.0 - floor)
    ink = np.clip(ink, 0.0, 1.0, out=ink)
    # Contrast stretch: a grey pencil on paper or a dim colour on the canvas reaches full ink like MNIST;
    # marks too faint to be a drawing (level below MIN_STRETCH_LEVEL) are left alone, not amplified.
    # The level is the ink's peak (99th percentile) on a clean image, its core (75th) on a noisy one.
    strong = ink[_ink_mask(ink)]
    if strong.size:
        level = float(np.percentile(strong, 75 if floor > 0 else 99))
        if MIN_STRETCH_LEVEL <= level < 1.0:
            ink = np.clip(ink / level, 0.0, 1.0, out=ink)
    return ink.astype(np.float32, copy=False)


def _ink_mask(ink: np.ndarray) -> np.ndarray:
    """Pixels above INK_THRESHOLD that touch another such pixel (a lone speck of noise is not ink)."""
    mask = ink > INK_THRESHOLD
    touching = np.zeros_like(mask)
    touching[1:] |= mask[:-1]
    touching[:-1] |= mask[1:]
    touching[:, 1:] |= mask[:, :-1]
    touching[:, :-1] |= mask[:, 1:]
    return mask & touching


def _resize(img: np.ndarray, height: int, width: int) -> np.ndarray:
    """Anti-aliased resize of a float image: area averaging (BOX) to shrink, LANCZOS to grow."""
    h, w = img.shape
    if (h, w) == (height, width):
        return img.astype(np.float32, copy=True)
    method = Image.Resampling.BOX if height <= h and width <= w else Image.Resampling.LANCZOS
    out = Image.fromarray(np.ascontiguousarray(img, dtype=np.float32)).resize((width, height), method)
    return np.clip(np.asarray(out, dtype=np.float32), 0.0, 1.0)


def _bounding_box(mask: np.ndarray) -> tuple[slice, slice] | None:
    """Rows and columns holding ink (an _ink_mask), or None when there are none."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def mass_centre(img: np.ndarray) -> tuple[float, float]:
    """(row, column) of the ink's centre of mass in pixel-index coordinates; the middle when blank."""
    total = float(img.sum())
    if total <= 0:
        return (img.shape[0] - 1) / 2, (img.shape[1] - 1) / 2
    rows = float(img.sum(axis=1) @ np.arange(img.shape[0])) / total
    cols = float(img.sum(axis=0) @ np.arange(img.shape[1])) / total
    return rows, cols


def _paste(img: np.ndarray, top: int, left: int) -> np.ndarray:
    """Put img into a blank 28x28 frame with its corner at (top, left), clipping whatever falls outside."""
    frame = np.zeros((SIZE, SIZE), np.float32)
    h, w = img.shape
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + h, SIZE), min(left + w, SIZE)
    if r1 > r0 and c1 > c0:
        frame[r0:r1, c0:c1] = img[r0 - top:r1 - top, c0 - left:c1 - left]
    return frame


def canvas_to_mnist(
    pixels: np.ndarray, *, crop: bool = True, keep_aspect: bool = True, fit_20: bool = True,
    centre_of_mass: bool = True,
) -> Preprocessed:
    """Canvas/photo pixels -> MNIST-style 28x28 input, keeping every step's image for display.

    crop: on, work on the ink's bounding box; off, on the whole canvas (so a small digit stays small).
    keep_aspect: on, the longer side becomes 20 px and the other keeps the ratio; off, stretch to 20x20.
    fit_20: on, fit into 20x20 and place in 28x28 (4 px margin); off, squash straight to 28x28, no margin.
    centre_of_mass: on, shift so the centre of mass lands on (14, 14); off, centre the bounding box.
    With fit_20 off, keep_aspect and centre_of_mass do nothing. Steps: ink, cropped, fitted, centred, input
    (fit_20 off: ink, cropped, squashed, input; empty: ink, input).
    """
    options = {"crop": crop, "keep_aspect": keep_aspect, "fit_20": fit_20, "centre_of_mass": centre_of_mass}
    ink = ink_map(pixels)
    steps: dict[str, np.ndarray] = {"ink": ink}
    mask = _ink_mask(ink)
    box = _bounding_box(mask)
    empty = box is None or int(np.count_nonzero(mask)) < max(3, EMPTY_FRACTION * ink.size)
    if empty:
        blank = np.zeros((SIZE, SIZE), np.float32)
        steps["input"] = blank
        return Preprocessed(steps, blank, True, options)
    cropped = ink[box] if crop else ink
    steps["cropped"] = cropped
    h, w = cropped.shape
    if not fit_20:
        image = _resize(cropped, SIZE, SIZE)
        steps["squashed"] = image
    else:
        if keep_aspect:
            scale = BOX / max(h, w)
            fh, fw = max(1, min(BOX, round(h * scale))), max(1, min(BOX, round(w * scale)))
        else:
            fh = fw = BOX
        fitted = _resize(cropped, fh, fw)
        steps["fitted"] = fitted
        if centre_of_mass:
            cy, cx = mass_centre(fitted)
            top, left = round(CENTRE - cy), round(CENTRE - cx)
        else:
            top, left = (SIZE - fh) // 2, (SIZE - fw) // 2
        image = _paste(fitted, top, left)
        steps["centred"] = image
    steps["input"] = image
    return Preprocessed(steps, image, False, options)


# The most pixels an image may have once a JPEG is drafted smaller: decoding one costs at most ~40 MB (RGBA).
# A 4K screenshot (8.3 million) fits; a 12000x12000 PNG (a few hundred KB that would decode to 576 MB) does not.
MAX_PIXELS = 10_000_000


def load_image(path_or_bytes: str | Path | bytes | bytearray | memoryview | io.IOBase, *,
               max_side: int | None = 1024) -> np.ndarray:
    """PNG/JPEG path, bytes or file object -> RGBA uint8 [H, W, 4] (EXIF-rotated, longer side <= max_side)."""
    if isinstance(path_or_bytes, (str, Path)):
        name = str(path_or_bytes)
        data = Path(path_or_bytes).read_bytes()  # a missing file raises FileNotFoundError
    elif isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        name, data = "the uploaded data", bytes(path_or_bytes)
    elif hasattr(path_or_bytes, "read"):
        name = getattr(path_or_bytes, "name", None) or "the uploaded file"
        data = path_or_bytes.read()
    else:
        kind = type(path_or_bytes).__name__
        raise TypeError(f"load_image takes a path, bytes or a file object, not {kind}")
    try:
        with Image.open(io.BytesIO(data)) as img:  # reads the header only: nothing is decoded yet
            if max_side:
                img.draft(img.mode, (max_side, max_side))  # a JPEG decodes at 1/2, 1/4 or 1/8 of its size
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise LabError(f"{name} has {width}x{height} pixels, more than the {MAX_PIXELS:,} a digit may have",
                               "image_too_big", width=width, height=height, limit=f"{MAX_PIXELS / 1e6:g}")
            if max_side and max(img.size) > max_side:  # shrink before converting: a quarter of the memory
                img.thumbnail((max_side, max_side), Image.Resampling.BOX)
            img = ImageOps.exif_transpose(img)
            return np.asarray(img.convert("RGBA"), dtype=np.uint8).copy()
    except LabError:  # too big: its own reason, not "unreadable"
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise LabError(f"{name} is not an image we can read ({exc.__class__.__name__}: {exc})",
                       "image_unreadable") from None


def batch_tensor(items: list[Preprocessed]) -> torch.Tensor:
    """Stack the items' normalised tensors into [B, 1, 28, 28] (B may be 0)."""
    if not items:
        return torch.empty(0, 1, SIZE, SIZE)
    return torch.cat([item.tensor for item in items])
