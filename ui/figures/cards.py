"""Digit cards: a 28x28 digit scaled up crisply with its ten probability bars, as PIL images or base64 PNG."""

from __future__ import annotations

import base64
import io

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from ui.figures.style import OTHER_RGB, TRUE_RGB, WRONG_RGB


def _font(size: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the small bitmap font
        return ImageFont.load_default()


def digit_card(image: np.ndarray | torch.Tensor, probs: torch.Tensor | None = None, true: int | None = None,
               scale: int = 5) -> Image.Image:
    """A 28x28 digit scaled up crisply, with ten small probability bars under it (true green, wrong red)."""
    img = np.asarray(image.cpu() if isinstance(image, torch.Tensor) else image, dtype=np.float32)
    if img.max() > 1.0:
        img = img / 255.0
    pixels = (np.kron(img, np.ones((scale, scale), dtype=np.float32)).clip(0, 1) * 255).astype(np.uint8)
    digit = Image.fromarray(pixels, mode="L").convert("RGB")
    if probs is None:
        return digit
    width = digit.width
    bar_h, label_h = 36, 15
    card = Image.new("RGB", (width, digit.height + bar_h + label_h + 4), "white")
    card.paste(digit, (0, 0))
    draw = ImageDraw.Draw(card)
    font = _font(12)
    slot = width / 10
    top = digit.height + 3
    guess = int(probs.argmax())
    for d in range(10):
        p = float(probs[d])
        x0, x1 = round(d * slot + 1), round((d + 1) * slot - 2)
        colour = TRUE_RGB if d == true else WRONG_RGB if d == guess else OTHER_RGB
        h = max(1, round(p * bar_h)) if p > 0.005 else 0
        draw.line((x0, top + bar_h, x1, top + bar_h), fill=(220, 220, 220))
        if h:
            draw.rectangle((x0, top + bar_h - h, x1, top + bar_h), fill=colour)
        cx = (x0 + x1) / 2
        draw.text((cx, top + bar_h + 1), str(d), fill=(60, 60, 60), font=font, anchor="mt")
    return card


def png_base64(image: Image.Image) -> str:
    """A PIL image as a base64 PNG, ready for <img src="data:image/png;base64,...">."""
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
    return base64.b64encode(buf.getvalue()).decode("ascii")
