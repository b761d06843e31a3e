"""The visible signature and the font search (a Japanese font ships with omamori: noto-cjk-sans-jp-bold)."""
from __future__ import annotations

import numpy as np
import pytest

from omamori import fonts
from omamori.errors import OmamoriError, StateError
from omamori.imageio import PaletteArt
from omamori.protect import visible

TEXT = "@handle · AI学習禁止 / No AI training"


@pytest.fixture(scope="module")
def font() -> fonts.FoundFont:
    try:
        return fonts.find_font(TEXT)
    except StateError as error:
        pytest.fail(f"no CJK-capable font, not even the one omamori ships ({error.details}): "
                    f"pip install -e '.[test]' installs noto-cjk-sans-jp-bold")


def grey(height: int, width: int, level: float) -> np.ndarray:
    return np.full((height, width, 3), level, np.float32)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b) ** 2))
    return 10 * np.log10(1 / mse) if mse else float("inf")


def test_found_font_draws_japanese(font):
    assert fonts.missing_glyphs(font.at_size(24), TEXT) == ""


def test_chosen_font_without_the_glyphs_is_font_missing(font):
    with pytest.raises(StateError) as caught:
        fonts.find_font("Ꭰ学", font_path=font.path)          # Cherokee: not in CJK fonts
    assert caught.value.code == "font_missing" and caught.value.details["missing"] == "Ꭰ"


def test_chosen_font_that_is_not_a_font_is_font_missing(tmp_path):
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"not a font")
    with pytest.raises(StateError) as caught:
        fonts.find_font(TEXT, font_path=str(broken))
    assert caught.value.code == "font_missing" and caught.value.details["tried"] == [str(broken)]


def test_without_a_system_font_the_bundled_font_draws_japanese(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))                # no fc-list
    found = fonts.find_font(TEXT, platform="win32", env={"WINDIR": str(tmp_path)})
    assert found.path == fonts.bundled_font() and found.family == "Noto Sans CJK JP Bold"
    assert fonts.missing_glyphs(found.at_size(24), TEXT) == ""
    proportional = found.at_size(100)
    assert proportional.getlength("i") < 0.6 * proportional.getlength("W")   # not a monospaced Latin
    with pytest.raises(StateError) as caught:
        fonts.find_font("ゆき🌸", platform="win32", env={"WINDIR": str(tmp_path)})
    assert caught.value.code == "font_missing" and caught.value.details["missing"] == "🌸"


def test_no_font_at_all_is_font_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(fonts, "bundled_font", lambda: None)
    with pytest.raises(StateError) as caught:
        fonts.find_font(TEXT, platform="win32", env={"WINDIR": str(tmp_path)})
    assert caught.value.code == "font_missing"


@pytest.mark.parametrize("text, chars", [("ゆき🌸", "🌸"), ("🌸ゆき🐱", "🌸🐱")])
def test_a_signature_text_no_font_can_draw_is_refused_naming_the_characters(text, chars):
    fonts.check_signature_text(TEXT)
    with pytest.raises(OmamoriError) as caught:
        fonts.check_signature_text(text)
    error = caught.value
    assert error.code == "signature_unprintable" and error.details["chars"] == chars
    assert f"“{chars}”" in error.message.text("en") and f"「{chars}」" in error.message.text("ja")


@pytest.mark.parametrize("corner", ["bottom-right", "bottom-left", "top-right", "top-left"])
def test_corner_signature_sits_in_its_corner(font, corner):
    height, width = 600, 800
    layer = visible.render_signature(height, width, text=TEXT, font=font, corner=corner, size=0.04,
                                     rng=np.random.default_rng(0))
    ys, xs = np.nonzero(layer.rgba[..., 3])
    ys, xs = ys + layer.top, xs + layer.left
    assert (ys.mean() > height / 2) == corner.startswith("bottom")
    assert (xs.mean() > width / 2) == corner.endswith("right")
    assert 0 < ys.min() and ys.max() < height - 1 and 0 < xs.min() and xs.max() < width - 1   # a margin


@pytest.mark.parametrize("size", [0.02, 0.05, 0.1])
def test_text_height_follows_size(font, size):
    layer = visible.render_signature(1000, 1500, text="AI学習禁止", font=font, size=size,
                                     rng=np.random.default_rng(0))
    rows = np.nonzero(layer.rgba[..., 3].any(axis=1))[0]
    assert 0.6 * size * 1000 <= rows.max() - rows.min() + 1 <= 1.3 * size * 1000


def test_long_text_is_fitted_inside_the_image(font):
    layer = visible.render_signature(400, 600, text=TEXT * 2, font=font, size=0.08, rng=np.random.default_rng(0))
    assert layer.fitted and layer.left > 0 and layer.left + layer.rgba.shape[1] < 600


def test_apply_keeps_shape_dtype_input_and_the_rest_of_the_image(font):
    rng = np.random.default_rng(1)
    image = rng.random((900, 1200, 3), dtype=np.float32)
    before = image.copy()
    layer = visible.render_signature(900, 1200, text=TEXT, font=font, size=0.035, rng=rng)
    out = visible.apply_layer(image, layer, opacity=0.55)
    assert out.shape == image.shape and out.dtype == np.float32
    assert np.array_equal(image, before)
    outside = np.ones(image.shape[:2], bool)
    outside[layer.top:layer.top + layer.rgba.shape[0], layer.left:layer.left + layer.rgba.shape[1]] = False
    assert np.array_equal(out[outside], image[outside])
    assert psnr(out, image) > 25


def test_blending_in_place_gives_the_same_image(font):
    image = np.random.default_rng(4).random((300, 400, 3), dtype=np.float32)
    layer = visible.render_signature(300, 400, text=TEXT, font=font, placement="tiled", size=0.05,
                                     rng=np.random.default_rng(0))
    copied = visible.apply_layer(image, layer, opacity=0.6)
    target = image.copy()
    assert visible.apply_layer(target, layer, opacity=0.6, out=target) is target
    assert np.array_equal(target, copied) and not np.array_equal(image, copied)


def test_signature_reads_on_light_and_dark(font):
    for level in (0.0, 1.0):
        image = grey(400, 600, level)
        layer = visible.render_signature(400, 600, text=TEXT, font=font, size=0.06, rng=np.random.default_rng(0))
        out = visible.apply_layer(image, layer, opacity=0.55)
        changed = np.abs(out - image).max(axis=2)
        assert (changed > 0.3).sum() > 200, f"signature invisible on a {level} background"


def test_opacity_scales_the_change(font):
    image = grey(400, 600, 0.5)
    layer = visible.render_signature(400, 600, text=TEXT, font=font, size=0.05, rng=np.random.default_rng(0))
    weak = np.abs(visible.apply_layer(image, layer, opacity=0.2) - image).sum()
    strong = np.abs(visible.apply_layer(image, layer, opacity=0.8) - image).sum()
    assert strong == pytest.approx(4 * weak, rel=0.02)


def test_tiled_signature_covers_every_part_and_survives_cropping(font):
    height, width = 900, 1200
    layer = visible.render_signature(height, width, text=TEXT, font=font, placement="tiled", size=0.035,
                                     rng=np.random.default_rng(2))
    assert layer.rgba.shape[:2] == (height, width)
    coverage = layer.rgba[..., 3] > 0
    for cell_rows in np.array_split(coverage, 3, axis=0):            # any ninth of the image has some
        for cell in np.array_split(cell_rows, 3, axis=1):
            assert cell.mean() > 0.02
    assert 0.05 < coverage.mean() < 0.6                                 # a pattern, not a blanket


def test_tiled_lattice_moves_with_the_rng_only(font):
    def layer(seed):
        return visible.render_signature(300, 400, text=TEXT, font=font, placement="tiled", size=0.05,
                                        rng=np.random.default_rng(seed)).rgba
    assert np.array_equal(layer(5), layer(5))
    assert not np.array_equal(layer(5), layer(6))


def test_palette_signature_keeps_the_palette(font):
    rng = np.random.default_rng(3)
    colours = np.concatenate([rng.random((6, 3), dtype=np.float32), np.ones((6, 1), np.float32)], axis=1)
    colours[5, 3] = 0                                                  # one transparent entry
    indices = rng.integers(0, 6, (200, 300), dtype=np.uint8)
    art = PaletteArt(indices=indices, colours=colours)
    layer = visible.render_signature(200, 300, text=TEXT, font=font, size=0.1, rng=rng)
    out = visible.apply_layer_to_palette(art, layer, opacity=0.7)
    assert np.array_equal(art.indices, indices)                        # input untouched
    assert len(out.colours) <= 256 and np.array_equal(out.colours[:6], colours)
    assert out.indices.dtype == np.uint8 and out.indices.max() < len(out.colours)
    touched = np.zeros(indices.shape, bool)
    touched[layer.top:layer.top + layer.rgba.shape[0], layer.left:layer.left + layer.rgba.shape[1]] = \
        layer.rgba[..., 3] > 0
    assert np.array_equal(out.indices[~touched], indices[~touched])
    assert (out.indices[touched] != indices[touched]).mean() > 0.3


def test_full_palette_is_not_extended(font):
    colours = np.ones((256, 4), np.float32)
    colours[:, :3] = np.linspace(0, 1, 256)[:, None]
    art = PaletteArt(indices=np.full((100, 200), 128, np.uint8), colours=colours)
    layer = visible.render_signature(100, 200, text="AI", font=font, size=0.2, rng=np.random.default_rng(0))
    out = visible.apply_layer_to_palette(art, layer, opacity=1.0)
    assert len(out.colours) == 256
    assert out.indices.min() < 40 and out.indices.max() > 215        # outline near black, text near white


@pytest.mark.parametrize("placement", ["corner", "tiled"])
def test_a_signature_is_readable_only_where_its_whole_text_fits_at_a_readable_size(font, placement):
    def layer(height, width):
        return visible.render_signature(height, width, text=TEXT, font=font, placement=placement,
                                        rng=np.random.default_rng(0))
    assert not any(layer(side, side).readable for side in (1, 16, 64))
    big = layer(900, 1200)
    assert big.readable and big.font_px >= visible.MIN_READABLE_PX
