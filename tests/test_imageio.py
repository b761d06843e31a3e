"""imageio: the Pillow edge. Every hostile or unusual file gives a clean array or its error code."""
from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import ExifTags, Image, ImageCms, JpegImagePlugin

from omamori import imageio
from omamori.errors import ImageError
from omamori.platforms import x
from images import encode, srgb_with_primaries



def quadrants(width: int = 40, height: int = 30) -> np.ndarray:
    """uint8 HxWx3 with four flat, distinct quadrant colours (any rotation or flip is visible)."""
    arr = np.zeros((height, width, 3), np.uint8)
    arr[:height // 2, :width // 2] = (230, 20, 20)
    arr[:height // 2, width // 2:] = (20, 230, 20)
    arr[height // 2:, :width // 2] = (20, 20, 230)
    arr[height // 2:, width // 2:] = (230, 230, 20)
    return arr


def error_code(data: bytes, **options) -> str:
    with pytest.raises(ImageError) as caught:
        imageio.decode(data, **options)
    return caught.value.code


def test_rgb_png_round_trip_is_exact():
    pixels = np.random.default_rng(0).integers(0, 256, (33, 47, 3), dtype=np.uint8)
    decoded = imageio.decode(encode(Image.fromarray(pixels)))
    assert decoded.image.dtype == np.float32 and decoded.image.shape == (33, 47, 3)
    assert decoded.alpha is None and decoded.format == "png" and decoded.orientation == 1
    assert np.array_equal(imageio.to_uint8(decoded.image), pixels)


def test_uint8_float_conversions_are_inverse_and_leave_input_alone():
    levels = np.arange(256, dtype=np.uint8).reshape(16, 16)
    as_float = imageio.to_float(levels)
    assert as_float.dtype == np.float32 and as_float.min() == 0 and as_float.max() == 1
    before = as_float.copy()
    assert np.array_equal(imageio.to_uint8(as_float), levels)
    assert np.array_equal(as_float, before)
    assert np.array_equal(imageio.to_uint8(np.array([-0.5, 1.7], np.float32)), [0, 255])


# EXIF orientation n: the transpose that brings the stored pixels upright, and its inverse that makes them.
TO_STORED = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
             5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE,
             8: Image.Transpose.ROTATE_270}


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_is_applied(orientation):
    upright = quadrants()
    stored = Image.fromarray(upright)
    if orientation != 1:
        stored = stored.transpose(TO_STORED[orientation])
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    decoded = imageio.decode(encode(stored, "JPEG", quality=95, exif=exif))
    assert decoded.orientation == orientation
    assert decoded.image.shape == upright.shape
    # Compare quadrant centres (JPEG blurs the borders between quadrants).
    got = imageio.to_uint8(decoded.image)
    for row, col in ((7, 10), (7, 30), (22, 10), (22, 30)):
        assert np.abs(got[row, col].astype(int) - upright[row, col]).max() < 12, (orientation, row, col)


def test_big_images_are_scaled_down_while_decoding():
    pixels = np.asarray(Image.fromarray(quadrants()).resize((1500, 1000)))
    for fmt in ("PNG", "JPEG"):
        decoded = imageio.decode(encode(Image.fromarray(pixels), fmt), max_side=600)
        assert decoded.image.shape == (400, 600, 3) and decoded.original_size == (1500, 1000)
        assert np.abs(imageio.to_uint8(decoded.image)[100, 150].astype(int) - pixels[250, 375]).max() < 12
    small = imageio.decode(encode(Image.fromarray(pixels)), max_side=2000)
    assert small.image.shape == (1000, 1500, 3)


def test_rotated_jpeg_is_scaled_to_its_upright_size_and_stays_a_jpeg():
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    stored = Image.fromarray(quadrants()).resize((1600, 1200))
    decoded = imageio.decode(encode(stored, "JPEG", exif=exif), max_side=400)
    assert decoded.format == "jpeg" and decoded.original_size == (1200, 1600)
    assert decoded.image.shape == (400, 300, 3)


def test_palette_art_is_not_scaled_while_decoding():
    im = Image.fromarray(np.kron(np.arange(4, dtype=np.uint8).reshape(2, 2), np.ones((400, 500), np.uint8)), "P")
    im.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255])
    decoded = imageio.decode(encode(im), max_side=300)
    assert decoded.palette is not None and decoded.palette.indices.shape == (800, 1000)


def test_gps_and_other_metadata_are_found_and_not_kept():
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({ExifTags.GPS.GPSLatitudeRef: "N",
                                               ExifTags.GPS.GPSLatitude: (35.0, 39.0, 29.0)})
    data = encode(Image.fromarray(quadrants()), "JPEG", exif=exif, comment=b"secret place")
    decoded = imageio.decode(data)
    assert {"exif", "gps", "comment"} <= set(decoded.removed_metadata)
    out = imageio.encode_jpeg(decoded.image)
    reopened = Image.open(io.BytesIO(out))
    assert len(reopened.getexif()) == 0 and "comment" not in reopened.info and "exif" not in reopened.info
    assert b"PhoneCo" not in out and b"secret place" not in out


@pytest.mark.parametrize("exif", [b"Exif\x00\x00" + b"\xff" * 40, b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff"])
def test_broken_exif_is_dropped_not_fatal(exif):
    data = encode(Image.fromarray(quadrants()), "JPEG", quality=95)
    app1 = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
    decoded = imageio.decode(data[:2] + app1 + data[2:])
    assert decoded.orientation == 1 and "exif" in decoded.removed_metadata
    assert decoded.image.shape == (30, 40, 3)


def test_png_text_chunks_are_reported():
    from PIL import PngImagePlugin
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "someone")
    decoded = imageio.decode(encode(Image.fromarray(quadrants()), pnginfo=info))
    assert "text" in decoded.removed_metadata


def test_icc_profile_is_converted_to_srgb():
    data = encode(Image.new("RGB", (16, 16), (255, 0, 0)), icc_profile=srgb_with_primaries("grb"))
    decoded = imageio.decode(data)
    assert decoded.colour.converted and decoded.colour.profile.startswith("grbP")
    assert "icc" in decoded.removed_metadata
    assert np.allclose(decoded.image[0, 0], [0, 1, 0], atol=0.02)     # the file's "red" is sRGB green


def test_srgb_profile_is_left_as_is():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    pixels = quadrants()
    decoded = imageio.decode(encode(Image.fromarray(pixels), icc_profile=srgb))
    assert not decoded.colour.converted
    assert np.array_equal(imageio.to_uint8(decoded.image), pixels)


def test_unreadable_profile_is_reported_and_ignored():
    decoded = imageio.decode(encode(Image.fromarray(quadrants()), icc_profile=b"not a profile at all"))
    assert decoded.colour.profile == "unreadable" and not decoded.colour.converted


def test_cmyk_jpeg_becomes_rgb():
    cyan = Image.new("CMYK", (32, 32), (255, 0, 0, 0))
    decoded = imageio.decode(encode(cyan, "JPEG", quality=95))
    assert decoded.colour.mode == "CMYK" and decoded.image.shape == (32, 32, 3)
    assert np.allclose(decoded.image[16, 16], [0, 1, 1], atol=0.05)


def test_16_bit_greyscale_keeps_its_precision():
    levels = np.linspace(0, 65535, 64 * 64).astype(np.uint16).reshape(64, 64)
    decoded = imageio.decode(encode(Image.fromarray(levels)))
    assert decoded.colour.bits == 16
    expected = levels.astype(np.float32) / 65535
    assert np.allclose(decoded.image[..., 0], expected, atol=1e-6)
    assert np.array_equal(decoded.image[..., 0], decoded.image[..., 2])


def raw_png(width: int, height: int, *, bit_depth: int, colour_type: int, compressed_rows: bytes) -> bytes:
    """A PNG built chunk by chunk (for what Pillow will not write: 16-bit RGB, lying headers)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", compressed_rows)
            + chunk(b"IEND", b""))


def test_16_bit_rgb_png_is_reported_as_16_bit():
    height, width = 4, 5
    rows = b"".join(b"\x00" + np.full((width, 3), 40000, ">u2").tobytes() for _ in range(height))
    decoded = imageio.decode(raw_png(width, height, bit_depth=16, colour_type=2, compressed_rows=zlib.compress(rows)))
    assert decoded.colour.bits == 16
    assert np.allclose(decoded.image, 40000 / 65535, atol=1 / 255)


@pytest.mark.parametrize("mode", ["L", "1"])
def test_greyscale_and_bilevel_become_rgb(mode):
    im = Image.fromarray(quadrants()).convert(mode)
    decoded = imageio.decode(encode(im))
    assert decoded.image.shape == (30, 40, 3)
    assert np.array_equal(decoded.image[..., 0], decoded.image[..., 1])


def test_rgba_keeps_alpha_apart():
    rgba = np.zeros((20, 20, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[:, 10:, 3] = 255
    decoded = imageio.decode(encode(Image.fromarray(rgba, "RGBA"), "WEBP", lossless=True))
    assert decoded.alpha is not None and decoded.alpha.dtype == np.float32
    assert decoded.alpha[:, :10].max() == 0 and decoded.alpha[:, 10:].min() == 1
    assert decoded.format == "webp"


def test_opaque_rgba_has_no_alpha():
    rgba = np.full((20, 20, 4), 255, np.uint8)
    assert imageio.decode(encode(Image.fromarray(rgba, "RGBA"))).alpha is None


def test_palette_png_with_transparency_is_palette_art():
    im = Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8) % 4, "P")
    im.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 10, 10])
    decoded = imageio.decode(encode(im, transparency=3))
    art = decoded.palette
    assert art is not None and np.array_equal(art.indices, np.asarray(im))
    assert np.allclose(art.colours[:4], [[1, 0, 0, 1], [0, 1, 0, 1], [0, 0, 1, 1], [10 / 255, 10 / 255, 10 / 255, 0]])
    assert decoded.alpha is not None and decoded.alpha[0, 3] == 0 and decoded.alpha[0, 0] == 1


def test_truecolour_png_with_few_colours_is_palette_art_and_exact():
    pixels = quadrants()
    art = imageio.decode(encode(Image.fromarray(pixels))).palette
    assert art is not None and len(art.colours) == 4
    assert np.array_equal(imageio.to_uint8(art.colours[art.indices][..., :3]), pixels)


def test_jpeg_and_many_colours_are_not_palette_art():
    assert imageio.decode(encode(Image.fromarray(quadrants()), "JPEG")).palette is None
    noisy = np.random.default_rng(1).integers(0, 256, (40, 40, 3), dtype=np.uint8)
    assert imageio.decode(encode(Image.fromarray(noisy))).palette is None


def test_palette_png_round_trip_keeps_palette_and_transparency():
    im = Image.fromarray((np.arange(100, dtype=np.uint8).reshape(10, 10) % 3), "P")
    im.putpalette([250, 240, 10, 0, 0, 0, 30, 90, 200])
    art = imageio.decode(encode(im, transparency=1)).palette
    again = Image.open(io.BytesIO(imageio.encode_png_palette(art)))
    assert again.mode == "P" and np.array_equal(np.asarray(again), np.asarray(im))
    assert again.getpalette()[:9] == [250, 240, 10, 0, 0, 0, 30, 90, 200]
    assert imageio.decode(imageio.encode_png_palette(art)).alpha[0, 1] == 0


def test_jpeg_encoding_is_what_x_keeps():
    image = imageio.to_float(np.random.default_rng(2).integers(0, 256, (64, 64, 3), dtype=np.uint8))
    before = image.copy()
    data = imageio.encode_jpeg(image)
    im = Image.open(io.BytesIO(data))
    assert x.estimate_jpeg_quality(im) == 85
    assert JpegImagePlugin.get_sampling(im) == 2          # 4:2:0
    assert np.array_equal(image, before)
    assert x.store(data) == data


# -- hostile files --------------------------------------------------------------------------------------------
def animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (16, 16), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)


@pytest.mark.parametrize("fmt", ["GIF", "PNG", "WEBP"])
def test_animations_are_unsupported(fmt):
    assert error_code(animated(fmt)) == "unsupported_format"


def test_single_frame_gif_is_accepted():
    decoded = imageio.decode(encode(Image.fromarray(quadrants()).convert("P"), "GIF"))
    assert decoded.format == "gif" and decoded.image.shape == (30, 40, 3) and decoded.palette is not None


@pytest.mark.parametrize("data", [
    b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(64),     # MP4 video
    b"\x1aE\xdf\xa3" + bytes(64),                                         # WebM
])
def test_videos_and_other_formats_are_unsupported(data):
    assert error_code(data) == "unsupported_format"


@pytest.mark.parametrize("kind", ["BMP", "TIFF"])
def test_still_formats_x_does_not_take_are_refused_with_how_to_convert(kind):
    with pytest.raises(ImageError) as raised:
        imageio.decode(encode(Image.new("RGB", (8, 8)), kind))
    assert raised.value.code == "still_format_unsupported" and raised.value.details == {"kind": kind}
    assert "PNG" in raised.value.message.text("en") and "PNG" in raised.value.message.text("ja")


@pytest.mark.parametrize("data", [b"", b"hello, this is text", b"%PDF-1.7\n" + bytes(100), bytes(1000)])
def test_non_images(data):
    assert error_code(data) == "not_an_image"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_truncated_files_are_damaged(fmt):
    pixels = np.random.default_rng(3).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    data = encode(Image.fromarray(pixels), fmt)
    for cut in (len(data) // 2, 40):
        assert error_code(data[:cut]) == "image_damaged", (fmt, cut)


@pytest.mark.parametrize("side", [8000, 20000])
def test_decompression_bomb_is_refused_before_decoding(side):
    # side x side of zeros (64 MP: over our cap, under Pillow's own; 400 MP: over both), a few hundred KB.
    width = height = side
    row = b"\x00" * (1 + width)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    assert error_code(raw_png(width, height, bit_depth=8, colour_type=0, compressed_rows=body)) == "image_too_large"


def test_pixel_cap_is_applied():
    data = encode(Image.new("RGB", (100, 100)))
    assert error_code(data, max_pixels=9_999) == "image_too_large"
    assert imageio.decode(data, max_pixels=10_000).width == 100


@pytest.mark.parametrize("fitted, expected", [
    ((1000, 800, 4096), (1000, 800)),
    ((8000, 4000, 4096), (4096, 2048)),
    ((3000, 6000, 4096), (2048, 4096)),
    ((1000, 800, 500), (500, 400)),
])
def test_fitted_size(fitted, expected):
    width, height, max_side = fitted
    assert imageio.fitted_size(width, height, max_side=max_side) == expected


def test_resize_8bit_keeps_dtype_range_and_input():
    image = imageio.to_float(quadrants(500, 400))
    before = image.copy()
    small = imageio.resize_8bit(image, width=250, height=200)
    assert small.shape == (200, 250, 3) and small.dtype == np.float32
    assert np.array_equal(image, before)
    flat = imageio.resize_8bit(np.full((300, 300, 3), 0.4, np.float32), width=100, height=100)
    assert np.abs(flat - 0.4).max() <= 0.5 / 255 + 1e-6


@pytest.mark.parametrize("resample", ["lanczos", "bicubic", "bilinear", "box"])
def test_resize_in_float_keeps_signed_values_and_the_mean(resample):
    """Perturbations and gradients are signed and finer than 1/255: they are resampled in float."""
    rng = np.random.default_rng(0)
    delta = (rng.standard_normal((60, 80, 3)) * 1e-3).astype(np.float32)
    delta[:, :40] -= 0.5
    before = delta.copy()
    small = imageio.resize(delta, width=40, height=30, resample=resample)
    assert small.shape == (30, 40, 3) and small.dtype == np.float32 and np.array_equal(delta, before)
    assert small.min() < -0.4 and abs(float(small.mean()) - float(delta.mean())) < 1e-3
    assert len(np.unique(small)) > 1000          # not rounded to 256 levels
    grey = imageio.resize(delta[..., 0], width=40, height=30, resample=resample)
    np.testing.assert_array_equal(grey, small[..., 0])            # one channel: the same as that channel
    same = imageio.resize(delta, width=80, height=60)
    assert same is not delta and np.array_equal(same, delta)


def test_jpeg_round_trip_is_what_a_decoder_reads():
    image = imageio.to_float(quadrants(64, 48))
    trip = imageio.jpeg_round_trip(image, quality=85)
    assert trip.shape == image.shape and trip.dtype == np.float32
    np.testing.assert_array_equal(trip, imageio.decode(imageio.encode_jpeg(image, quality=85)).image)
    assert 0 < float(np.abs(trip - image).mean()) < 0.02          # lossy, and close (4:2:0 blurs colour edges)
