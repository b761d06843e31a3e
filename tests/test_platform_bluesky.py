"""The project's model of Bluesky's image pipeline (omamori.platforms.bluesky), on small made-up images."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from omamori.platforms import bluesky, x
from images import encode, noise


def smooth(width: int, height: int) -> Image.Image:
    y, x_ = np.mgrid[0:height, 0:width]
    return Image.fromarray(np.stack([x_ * 255 // width, y * 255 // height, np.full_like(x_, 90)], 2).astype(np.uint8))


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_every_image_is_reencoded_at_the_highest_quality_that_fits():
    small = encode(smooth(400, 300), "JPEG", quality=85)
    sent = bluesky.client_upload(small)
    assert sent != small and opened(sent).format == "JPEG" and opened(sent).size == (400, 300)
    assert x.estimate_jpeg_quality(sent) == 100                 # a small file fits at quality 100
    detailed = encode(noise(1000, 800), "JPEG", quality=90)
    sent = bluesky.client_upload(detailed)
    quality = x.estimate_jpeg_quality(sent)
    assert len(sent) <= bluesky.MAX_BYTES and opened(sent).size == (1000, 800)
    one_more = encode(noise(1000, 800), "JPEG", quality=quality + 1)     # the search stopped at the highest that fits
    assert len(one_more) > bluesky.MAX_BYTES and 13 < quality < 100


def test_large_images_are_fitted_inside_2000_with_sides_rounded_down():
    sent = bluesky.client_upload(encode(smooth(3001, 1999), "PNG"))
    # Math.floor(3001 * (2000 / 3001)) is 1999 in floating point, in JavaScript as here; 1999 * 2000 / 3001 = 1332.2
    assert opened(sent).size == (1999, 1332)


def test_when_quality_26_does_not_fit_the_box_shrinks_by_0_8(monkeypatch):
    # At 2000 px even noise fits 1,000,000 bytes above quality 13; a smaller limit shows the app's second way.
    monkeypatch.setattr(bluesky, "MAX_BYTES", 500_000)
    sent = bluesky.client_upload(encode(noise(2000, 2000), "PNG"))
    assert len(sent) <= 500_000 and opened(sent).size in {(1600, 1600), (1280, 1280), (1024, 1024)}
    monkeypatch.setattr(bluesky, "MAX_BYTES", 1_000)
    with pytest.raises(ValueError, match="cannot compress"):     # the app refuses the post
        bluesky.client_upload(encode(noise(200, 200), "PNG"))


def test_a_transparent_png_comes_out_black_where_it_was_clear():
    clear = Image.new("RGBA", (64, 64), (255, 255, 255, 0))
    assert opened(bluesky.client_upload(encode(clear, "PNG"))).convert("RGB").getpixel((5, 5)) == (0, 0, 0)


def test_the_stored_blob_is_the_upload_and_a_post_refuses_more_than_1_000_000_bytes():
    sent = bluesky.client_upload(encode(smooth(300, 200), "JPEG", quality=90))
    assert bluesky.store(sent) is sent
    with pytest.raises(ValueError, match="1,000,000"):
        bluesky.store(b"\xff\xd8" + bytes(1_000_000))
    with pytest.raises(ValueError):
        bluesky.store(b"not an image")


@pytest.mark.parametrize("size, variant, expected", [
    ((1500, 1000), "feed_thumbnail", (2000, 1333)),     # enlarged to the box (min: true)
    ((1500, 1000), "feed_fullsize", (1000, 667)),
    ((600, 800), "feed_fullsize", (750, 1000)),
    ((2000, 2000), "feed_thumbnail", (2000, 2000)),
])
def test_served_presets_fit_inside_their_box_enlarging_smaller_images(size, variant, expected):
    stored = bluesky.store(bluesky.client_upload(encode(smooth(*size), "JPEG", quality=85)))
    for format, pillow_format in (("jpeg", "JPEG"), ("webp", "WEBP")):
        served = opened(bluesky.serve(stored, variant, format=format))
        assert served.size == expected and served.format == pillow_format
    assert x.estimate_jpeg_quality(bluesky.serve(stored, variant)) == 100


def test_unknown_presets_and_formats_are_refused():
    stored = bluesky.client_upload(encode(smooth(50, 50), "JPEG"))
    with pytest.raises(ValueError):
        bluesky.serve(stored, "avatar")
    with pytest.raises(ValueError):
        bluesky.serve(stored, "feed_fullsize", format="png")
