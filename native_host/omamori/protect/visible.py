"""The visible signature: the user's text drawn on the image.

Two placements:
  * ``corner``: one signature in a corner, with a margin;
  * ``tiled``: the signature repeated along diagonal rows (30 degrees, every
    other row shifted by half a step, the lattice offset at random) over the
    whole image, so it cannot be cropped away or painted out in one place.

The text is light with a thin dark outline so it reads on light and dark art
alike. Pillow draws the text (it shapes Japanese with raqm where available);
blending is done in float32. For palette art the blended pixels are mapped
back to the image's own palette so the palette survives.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from ..errors import StateError
from ..fonts import FoundFont, find_font
from ..imageio import PaletteArt
from ..settings import SignatureSettings

TEXT_COLOUR = (255, 255, 255)
OUTLINE_COLOUR = (24, 24, 24)
TILE_ANGLE = 30.0                 # degrees, counter-clockwise
# The smallest font size (pixels per em) taken as readable: the size drawn at the smallest line height (8 px);
# text shrunk below it to fit, or cut off by the image's edges, is not drawn (the report says why).
MIN_READABLE_PX = 8
_ROW_BLOCK = 64                   # rows blended at a time: temporaries stay small and in cache


@dataclass(frozen=True)
class SignatureFont:
    """The font the signature is drawn with (``found``), or None: the signature is off (``problem`` None), or no
    font can draw its text (``problem``: that ``font_missing`` error, which the report says loudly)."""

    found: FoundFont | None
    problem: StateError | None = None


def signature_font(signature: SignatureSettings, *,
                   find: Callable[..., FoundFont] = find_font) -> SignatureFont:
    """The font for ``signature``'s text and font file, looked up with ``find`` (``fonts.find_font``, or the host's
    copy that remembers what it found: a search may run ``fc-list``)."""
    if not signature.enabled:
        return SignatureFont(None)
    try:
        return SignatureFont(find(signature.text, font_path=signature.font_path))
    except StateError as problem:
        if problem.code != "font_missing":
            raise
        return SignatureFont(None, problem)


@dataclass(frozen=True)
class SignatureLayer:
    """The drawn signature, ready to blend.

    ``rgba``: uint8 hxwx4, colour and coverage of text + outline; it covers the
    image from row ``top``, column ``left`` (pixels). ``font_px``: font size in
    pixels per em; ``fitted``: True if the size was reduced so the text fits.
    ``readable``: the whole text fits in the image at ``MIN_READABLE_PX`` or more (not so on a tiny image).
    """

    rgba: np.ndarray
    top: int
    left: int
    font_px: int
    fitted: bool
    readable: bool


def signature_layer(height: int, width: int, *, signature: SignatureSettings, font: FoundFont,
                    rng: np.random.Generator) -> SignatureLayer:
    """``render_signature`` with the text, placement, corner and size of the ``signature`` settings."""
    return render_signature(height, width, text=signature.text, font=font, placement=signature.placement,
                            corner=signature.corner, size=signature.size, rng=rng)


def render_signature(height: int, width: int, *, text: str, font: FoundFont, placement: str = "corner",
                     corner: str = "bottom-right", size: float = 0.035,
                     rng: np.random.Generator) -> SignatureLayer:
    """Draw the signature for an image of ``height`` x ``width`` pixels.

    ``size``: line height of the text as a fraction of the shorter image side.
    ``placement``: "corner" or "tiled"; ``corner``: "bottom-right",
    "bottom-left", "top-right" or "top-left". ``rng`` offsets the tiled lattice.
    """
    short = min(height, width)
    line_px = max(8.0, size * short)
    margin = max(4, round(0.6 * line_px))
    room = width - 2 * margin if placement == "corner" else math.hypot(height, width)
    font_px, fitted = _font_size(text, font, line_px=line_px, room=room)
    stamp = _stamp(text, font, font_px=font_px)
    fits = stamp.width <= room and stamp.height <= (height - margin if placement == "corner" else short)
    readable = fits and font_px >= MIN_READABLE_PX
    if placement == "corner":
        top = margin if corner.startswith("top") else height - margin - stamp.height
        left = margin if corner.endswith("left") else width - margin - stamp.width
        top, left = max(0, top), max(0, left)
        rgba = np.asarray(stamp)[:height - top, :width - left]
        return SignatureLayer(rgba=rgba, top=top, left=left, font_px=font_px, fitted=fitted, readable=readable)
    if placement != "tiled":
        raise ValueError(f"unknown placement {placement!r}")
    tile = stamp.rotate(TILE_ANGLE, resample=Image.Resampling.BICUBIC, expand=True)
    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    for x, y in _lattice(height, width, step=stamp.width + 2 * line_px, row=3.2 * line_px, rng=rng):
        _composite_clipped(layer, tile, x - tile.width // 2, y - tile.height // 2)
    return SignatureLayer(rgba=np.asarray(layer), top=0, left=0, font_px=font_px, fitted=fitted,
                          readable=readable)


def apply_layer(image: np.ndarray, layer: SignatureLayer, *, opacity: float,
                out: np.ndarray | None = None) -> np.ndarray:
    """float32 HxWx3 ``image`` with ``layer`` blended in at ``opacity`` (0-1).

    ``out``: where to write the result (pass ``image`` itself to blend in place and save a full-size
    copy); by default a new array, and ``image`` is left untouched.
    """
    if out is None:
        out = image.copy()
    elif out is not image:
        np.copyto(out, image)
    h, w = layer.rgba.shape[:2]
    region = out[layer.top:layer.top + h, layer.left:layer.left + w]
    for start in range(0, h, _ROW_BLOCK):
        rgba = layer.rgba[start:start + _ROW_BLOCK]
        if not rgba[..., 3].any():
            continue
        block = region[start:start + _ROW_BLOCK]
        change = rgba[..., :3] * np.float32(1 / 255)          # colour of the signature
        change -= block
        change *= rgba[..., 3:4] * np.float32(opacity / 255)   # coverage x opacity
        block += change
    return out


def apply_layer_to_palette(art: PaletteArt, layer: SignatureLayer, *, opacity: float) -> PaletteArt:
    """Palette art with ``layer`` blended in, every pixel kept a palette colour.

    The palette keeps its colours; free slots (if any) receive the text and
    outline colours. Each pixel the signature touches becomes the palette
    entry nearest (RGBA, Euclidean) to the blended colour; others keep their index.
    """
    colours = art.colours
    wanted = np.array([[*TEXT_COLOUR, 255], [*OUTLINE_COLOUR, 255]], dtype=np.float32) / 255
    for colour in wanted:
        if len(colours) < 256 and not (np.abs(colours - colour).max(axis=1) < 1e-6).any():
            colours = np.concatenate([colours, colour[None]], axis=0)
    indices = art.indices.copy()
    h, w = layer.rgba.shape[:2]
    region = indices[layer.top:layer.top + h, layer.left:layer.left + w]
    for start in range(0, h, _ROW_BLOCK):
        rgba = layer.rgba[start:start + _ROW_BLOCK]
        touched = rgba[..., 3] > 0
        if not touched.any():
            continue
        block = region[start:start + _ROW_BLOCK]
        under = colours[block[touched]]
        text_alpha = rgba[touched, 3:4].astype(np.float32) * np.float32(opacity / 255)
        out_alpha = text_alpha + under[:, 3:4] * (1 - text_alpha)
        blended_rgb = (rgba[touched, :3].astype(np.float32) / 255 * text_alpha
                       + under[:, :3] * under[:, 3:4] * (1 - text_alpha)) / np.maximum(out_alpha, 1e-6)
        block[touched] = _nearest(np.concatenate([blended_rgb, out_alpha], axis=1), colours)
    return PaletteArt(indices=indices, colours=colours)


def _nearest(pixels: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """Index (uint8) of the nearest palette colour for each row of ``pixels`` (Nx4)."""
    norms = (colours * colours).sum(axis=1)
    result = np.empty(len(pixels), dtype=np.uint8)
    for start in range(0, len(pixels), 65536):
        chunk = pixels[start:start + 65536]
        result[start:start + 65536] = np.argmin(norms[None, :] - 2 * chunk @ colours.T, axis=1)
    return result


def _font_size(text: str, font: FoundFont, *, line_px: float, room: float) -> tuple[int, bool]:
    """(pixels per em giving a line height of ``line_px``, reduced to fit ``room`` px wide?)."""
    probe = font.at_size(100)
    ascent, descent = probe.getmetrics()
    font_px = max(6, round(100 * line_px / (ascent + descent)))
    width = probe.getlength(text) * font_px / 100 + 2 * _stroke(font_px)
    if width > room > 0:
        return max(6, int(font_px * room / width)), True
    return font_px, False


def _stroke(font_px: int) -> int:
    return max(1, round(font_px / 14))


def _stamp(text: str, font: FoundFont, *, font_px: int) -> Image.Image:
    """The text drawn once: light fill, dark outline, tight transparent box."""
    face = font.at_size(font_px)
    stroke = _stroke(font_px)
    left, top, right, bottom = face.getbbox(text, stroke_width=stroke)
    stamp = Image.new("RGBA", (right - left, bottom - top), (*OUTLINE_COLOUR, 0))
    ImageDraw.Draw(stamp).text((-left, -top), text, font=face, fill=(*TEXT_COLOUR, 255),
                               stroke_width=stroke, stroke_fill=(*OUTLINE_COLOUR, 255))
    return stamp


def _lattice(height: int, width: int, *, step: float, row: float, rng: np.random.Generator):
    """Centres (x, y) of a staggered lattice of rows tilted by TILE_ANGLE covering the image."""
    theta = math.radians(-TILE_ANGLE)           # image y points down: a CCW tilt is a negative angle
    cos, sin = math.cos(theta), math.sin(theta)
    cx, cy = width / 2, height / 2
    reach = math.hypot(height, width) / 2 + step
    phase_u, phase_v = rng.uniform(0, step), rng.uniform(0, row)
    for j in range(-int(reach // row) - 1, int(reach // row) + 2):
        v = j * row + phase_v
        shift = (step / 2) * (j % 2) + phase_u
        for i in range(-int(reach // step) - 1, int(reach // step) + 2):
            u = i * step + shift
            x, y = cx + u * cos - v * sin, cy + u * sin + v * cos
            if -step <= x <= width + step and -step <= y <= height + step:
                yield round(x), round(y)


def _composite_clipped(layer: Image.Image, tile: Image.Image, x: int, y: int) -> None:
    """alpha_composite ``tile`` onto ``layer`` at (x, y), clipped to the layer."""
    left, top = max(0, x), max(0, y)
    right, bottom = min(layer.width, x + tile.width), min(layer.height, y + tile.height)
    if right > left and bottom > top:
        layer.alpha_composite(tile, dest=(left, top), source=(left - x, top - y, right - x, bottom - y))
