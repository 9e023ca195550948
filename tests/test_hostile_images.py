"""Images are shrunk before they are decoded in full: a pixel bomb costs a process tens of MB, not gigabytes."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from core.errors import LabError
from core.learn.preprocess import MAX_PIXELS, canvas_to_mnist, load_image
from tests.peak import in_fresh_process

PEAK_MB = 60  # what reading one image may add to a process's peak memory


def _encoded(size: tuple[int, int], fmt: str) -> bytes:
    img = Image.new("L" if fmt == "PNG" else "RGB", size, "white")
    buf = io.BytesIO()
    img.save(buf, fmt, **({"optimize": True} if fmt == "PNG" else {"quality": 50}))
    return buf.getvalue()


def _probe(tmp_path, data: bytes) -> dict:
    return in_fresh_process("core.learn.preprocess:load_image", data, tmp_path)


def test_a_png_pixel_bomb_is_refused_before_it_is_decoded(tmp_path):
    bomb = _encoded((12000, 12000), "PNG")  # 144 million pixels in a file of a few hundred KB
    assert len(bomb) < 600_000
    result = _probe(tmp_path, bomb)
    assert result["code"] == "image_too_big"
    assert result["peak_kb"] < PEAK_MB * 1024


def test_a_huge_photo_is_decoded_small(tmp_path):
    photo = _encoded((8000, 6000), "JPEG")  # a 48-megapixel camera photo: drafted at 1/8 as it decodes
    result = _probe(tmp_path, photo)
    assert result["code"] is None and max(result["shape"][:2]) <= 1024
    assert result["peak_kb"] < PEAK_MB * 1024


def test_the_refusal_says_the_size_and_the_limit():
    with pytest.raises(LabError) as refused:
        load_image(_encoded((4000, 3000), "PNG"))
    assert refused.value.code == "image_too_big"
    assert refused.value.params["width"] == 4000 and float(refused.value.params["limit"]) == MAX_PIXELS / 1e6


def test_a_digit_photo_still_reads_after_shrinking():
    img = Image.new("L", (2000, 2000), "white")
    img.paste(0, (900, 500, 1100, 1500))  # a thick vertical stroke: a "1"
    buf = io.BytesIO()
    img.save(buf, "PNG")
    rgba = load_image(buf.getvalue())
    assert max(rgba.shape[:2]) <= 1024
    digit = canvas_to_mnist(rgba).image
    assert digit.shape == (28, 28) and np.asarray(digit).max() > 0
