"""The project's model of X's image pipeline (omamori.platforms.x), on small made-up images."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, JpegImagePlugin

from omamori.platforms import x
from images import encode, noise


def flat(width: int, height: int, colour=(200, 120, 40), mode: str = "RGB") -> Image.Image:
    return Image.new(mode, (width, height), colour)


def with_orientation(im: Image.Image, orientation: int, **params) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(im, "JPEG", exif=exif.tobytes(), **params)


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(opened(data).convert("RGB"), dtype=np.int16)


# -- the web client ---------------------------------------------------------------------------------------------
def test_the_client_sends_a_plain_q85_jpeg_of_flat_art_as_it_is():
    data = encode(flat(300, 200), "JPEG", quality=85)
    assert x.client_reencode_reason(data) is None
    assert x.client_upload(data) is data


@pytest.mark.parametrize("make, reason", [
    (lambda: encode(flat(4097, 8), "PNG"), "side_over_4096"),
    (lambda: encode(noise(1400, 1300), "PNG"), "over_5_mib"),
    (lambda: with_orientation(flat(40, 20), 6, quality=80), "exif_orientation"),
    (lambda: encode(noise(120, 100), "JPEG", quality=85), "jpeg_under_6_pixels_per_byte"),
])
def test_each_client_rule(make, reason):
    data = make()
    assert x.client_reencode_reason(data) == reason
    sent = x.client_upload(data)
    assert sent != data and opened(sent).format == "JPEG" and x.estimate_jpeg_quality(sent) == 85
    assert JpegImagePlugin.get_sampling(opened(sent)) == 2   # 4:2:0
    assert max(opened(sent).size) <= x.MAX_SIDE and not opened(sent).getexif()


def test_pixels_per_byte_is_a_jpeg_rule_and_counts_pixels_against_bytes():
    detailed = noise(120, 100)
    assert x.client_reencode_reason(encode(detailed, "PNG")) is None        # PNGs are not measured
    assert x.client_reencode_reason(encode(detailed, "WEBP", quality=90)) is None
    data = encode(detailed, "JPEG", quality=85)
    assert 120 * 100 < 6 * len(data)
    smooth = encode(flat(120, 100), "JPEG", quality=85)
    assert 120 * 100 >= 6 * len(smooth) and x.client_reencode_reason(smooth) is None


def test_the_client_draws_the_image_upright_and_fits_it_inside_4096():
    sent = x.client_upload(with_orientation(flat(40, 20), 6, quality=80))
    assert opened(sent).size == (20, 40)
    assert opened(x.client_upload(encode(flat(8200, 10), "PNG"))).size == (4096, 5)


@pytest.mark.parametrize("crop, size", [("1:1", (120, 120)), ("16:9", (160, 90)), ("free", (160, 120)),
                                        ((10, 20, 60, 50), (50, 30)), (("free", (0, 0, 30, 30)), (30, 30))])
def test_a_crop_in_the_composer_is_a_canvas_reencode(crop, size):
    data = encode(flat(160, 120), "PNG")
    assert x.client_reencode_reason(data, cropped=True) == "cropped"
    sent = x.client_upload(data, crop=crop)
    assert opened(sent).format == "JPEG" and opened(sent).size == size


def test_named_crops_take_the_centre():
    im = Image.new("RGB", (300, 100), (0, 0, 255))
    im.paste((255, 0, 0), (100, 0, 200, 100))                               # a red centre square
    square = pixels(x.client_upload(encode(im, "PNG"), crop="1:1"))
    assert square.shape[:2] == (100, 100) and (square[..., 0] > 240).all() and (square[..., 2] < 15).all()
    tall = pixels(x.client_upload(encode(Image.new("RGB", (90, 300), (0, 0, 255)), "PNG"), crop="16:9"))
    assert tall.shape[:2] == (51, 90)


def test_a_canvas_jpeg_turns_transparency_black():
    im = Image.new("RGBA", (64, 32), (255, 255, 255, 255))
    im.paste((255, 255, 255, 0), (0, 0, 32, 32))
    sent = pixels(x.client_upload(encode(im, "PNG"), crop="free"))
    assert sent[:, :28].max() < 10 and sent[:, 36:].min() > 245


def test_bad_crops_and_files_x_does_not_accept_are_refused():
    png = encode(flat(50, 50), "PNG")
    for crop in ("4:3", (10, 10, 5, 40), ("free", (1, 2))):
        with pytest.raises(ValueError):
            x.client_upload(png, crop=crop)
    with pytest.raises(ValueError, match="JPEG, PNG, WebP and GIF"):
        x.client_reencode_reason(encode(flat(50, 50), "BMP"))
    with pytest.raises(ValueError):
        x.store(b"not an image")


def test_gifs_are_not_reencoded_by_the_client():
    gif = encode(flat(5000, 4, mode="P", colour=3), "GIF")
    assert x.client_reencode_reason(gif) is None and x.client_upload(gif) is gif


# -- what X stores ----------------------------------------------------------------------------------------------
def test_a_jpeg_at_85_or_below_is_kept_with_its_metadata_stripped():
    im = noise(64, 48)
    exif = Image.Exif()
    exif[0x013B] = "artist's name"                                         # Artist
    data = encode(im, "JPEG", quality=80, exif=exif.tobytes(), comment=b"hello")
    stored = x.store(data)
    assert stored != data and b"artist's name" not in stored and b"hello" not in stored
    assert np.array_equal(pixels(stored), pixels(data))                    # not re-encoded
    assert x.store(stored) == stored


def test_a_jpeg_above_85_or_turned_by_exif_is_reencoded_at_85():
    data = encode(noise(64, 48), "JPEG", quality=95)
    stored = x.store(data)
    assert x.estimate_jpeg_quality(stored) == 85 and opened(stored).size == (64, 48)
    turned = x.store(with_orientation(flat(40, 20), 8, quality=70))
    assert opened(turned).size == (20, 40) and not opened(turned).getexif()


def test_png8_and_transparent_pngs_stay_png():
    p = Image.fromarray(np.random.default_rng(1).integers(0, 16, (60, 80), dtype=np.uint8), "P")
    p.putpalette(list(range(48)))
    data = encode(p, "PNG", pnginfo=_text_chunk("Author", "someone"))
    stored = x.store(data)
    assert opened(stored).mode == "P" and b"someone" not in stored
    assert np.array_equal(np.asarray(opened(stored)), np.asarray(p))
    rgba = np.dstack([np.asarray(noise(60, 40)), np.full((40, 60), 128, np.uint8)])
    assert opened(x.store(encode(Image.fromarray(rgba, "RGBA"), "PNG"))).format == "PNG"


def test_a_full_colour_png_becomes_the_smaller_of_png_and_jpeg():
    assert opened(x.store(encode(flat(200, 100), "PNG"))).format == "PNG"
    photo = encode(noise(200, 100), "PNG")
    stored = x.store(photo)
    assert opened(stored).format == "JPEG" and len(stored) < len(photo)


def test_webp_is_always_jpeg_85_and_everything_fits_4096():
    stored = x.store(encode(flat(100, 50), "WEBP", lossless=True))
    assert opened(stored).format == "JPEG" and x.estimate_jpeg_quality(stored) == 85
    assert opened(x.store(encode(flat(5000, 100), "PNG"))).size == (4096, 82)
    assert opened(x.store(encode(flat(100, 5000), "JPEG", quality=60))).size == (82, 4096)


def _text_chunk(key: str, value: str):
    from PIL import PngImagePlugin
    info = PngImagePlugin.PngInfo()
    info.add_text(key, value)
    return info


# -- what X serves ----------------------------------------------------------------------------------------------
def test_served_sizes():
    stored = x.store(encode(noise(1600, 1000), "JPEG", quality=85))
    assert x.serve(stored, "orig") is stored and x.serve(stored, "large") is stored
    assert opened(x.serve(stored, "medium")).size == (1200, 750)
    assert opened(x.serve(stored, "small")).size == (680, 425)
    assert opened(x.serve(stored, "thumb")).size == (150, 150)
    widest = x.store(encode(flat(4096, 2048), "JPEG", quality=85))
    assert opened(x.serve(widest, "large")).size == (2048, 1024)
    assert x.serve(widest, "4096x4096") is widest and x.serve(widest, "orig") is widest
    png = x.store(encode(flat(800, 400), "PNG"))
    assert opened(x.serve(png, "small")).format == "JPEG"
    with pytest.raises(ValueError, match="unknown variant"):
        x.serve(stored, "huge")


def test_the_thumbnail_is_the_centre_square():
    im = Image.new("RGB", (600, 200), (0, 0, 255))
    im.paste((255, 0, 0), (200, 0, 400, 200))
    thumb = pixels(x.serve(x.store(encode(im, "JPEG", quality=85)), "thumb"))
    assert (thumb[:, 4:-4, 0] > 230).all() and (thumb[:, 4:-4, 2] < 25).all()


@pytest.mark.parametrize("quality", [30, 50, 75, 85, 90, 100])
def test_estimate_jpeg_quality(quality):
    data = encode(noise(16, 16), "JPEG", quality=quality)
    assert x.estimate_jpeg_quality(data) == quality == x.estimate_jpeg_quality(opened(data))
    assert x.estimate_jpeg_quality(encode(flat(8, 8), "PNG")) is None
