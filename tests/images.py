"""Pictures the Python tests make and the files they come in: synthetic illustrations, encoded bytes, the package's
sample. Helpers only; the fixtures are in conftest.py."""
from __future__ import annotations

import base64
import io
import struct
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "native_host" / "omamori" / "data" / "sample.png"


def illustration(width: int, height: int, *, seed: int = 1, noisy: bool = False) -> np.ndarray:
    """uint8 height x width x 3: two gradients and a flat disc; ``noisy`` adds grain (sigma 40 levels) that keeps
    encoders and the mark busy."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    image = np.stack([(x / width) * 200 + 30, (y / height) * 180 + 40, np.full_like(x, 150.0)], axis=-1)
    image[(x - width / 2) ** 2 + (y - height / 2) ** 2 < (min(width, height) / 4) ** 2] = (250, 220, 90)
    if noisy:
        image += rng.normal(0, 40, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def noise(width: int, height: int, seed: int = 0) -> Image.Image:
    """Uniform RGB noise: the most detail a picture of this size can hold."""
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8))


def encode(picture: Image.Image | np.ndarray, fmt: str = "PNG", **params) -> bytes:
    """The file Pillow writes for ``picture`` (an image, or a uint8 array) in ``fmt`` with ``params``."""
    out = io.BytesIO()
    (picture if isinstance(picture, Image.Image) else Image.fromarray(picture)).save(out, fmt, **params)
    return out.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def small_art(seed: int = 1) -> str:
    """A noisy 400 x 300 PNG, base64 as a request carries it: protected in well under a second."""
    return b64(encode(illustration(400, 300, seed=seed, noisy=True)))


def palette_png(transparent: bool = False) -> tuple[bytes, list[int]]:
    """Pixel art as a 400 x 320 palette PNG (16 colours in 8-pixel blocks; colour 0 transparent when
    ``transparent``), and its palette (flat RGB list)."""
    rng = np.random.default_rng(5)
    palette = rng.integers(0, 256, 16 * 3).tolist()
    indices = np.kron(rng.integers(0, 16, (40, 50), dtype=np.uint8), np.ones((8, 8), np.uint8))
    im = Image.fromarray(indices, "P")
    im.putpalette(palette)
    return encode(im, **({"transparency": 0} if transparent else {})), palette


def srgb_with_primaries(order: str) -> bytes:
    """An RGB ICC profile that is not sRGB: sRGB's primaries in ``order`` for red, green, blue ("grb": the red primary
    is sRGB's green and the green sRGB's red), its description ``order`` + "P" ("grbP") instead of "sRGB"."""
    profile = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    count = struct.unpack(">I", profile[128:132])[0]
    tags = {bytes(profile[132 + 12 * i:136 + 12 * i]): struct.unpack(">II", profile[136 + 12 * i:144 + 12 * i])
            for i in range(count)}
    primary = {channel: bytes(profile[offset:offset + size])
               for channel, (offset, size) in ((c, tags[f"{c}XYZ".encode()]) for c in "rgb")}
    for channel, source in zip("rgb", order):
        offset, size = tags[f"{channel}XYZ".encode()]
        profile[offset:offset + size] = primary[source]
    at = profile.find("sRGB".encode("utf-16-be"))
    profile[at:at + 8] = f"{order}P".encode("utf-16-be")
    return bytes(profile)
