"""A corpus of broken and hostile image files, made on the spot (nothing binary is committed).

``corpus()`` returns ``HostileCase``s: the bytes a user's browser could hand
the host, the name it would give them, and the documented outcome
(docs/protocol.md): ``"protected"`` or the error code the host must answer.
Sizes are small so that the whole corpus goes through the real host process
in seconds; the decompression bombs are headers that *declare* 30000 x 30000
pixels.
"""
from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from images import encode, srgb_with_primaries

PROTECTED = "protected"
SIDE = 320          # pixels: above the mark's minimum side, small enough to be quick


@dataclass(frozen=True)
class HostileCase:
    name: str
    data: bytes
    filename: str
    expect: str                               # "protected" or an error code
    upright_size: tuple[int, int] | None = None   # (width, height) the output must have, when protected
    notes: dict = field(default_factory=dict)


def artwork(width: int = SIDE, height: int = SIDE, *, seed: int = 3) -> np.ndarray:
    """uint8 HxWx3: a gradient with a disc and some noise (many colours, like a painting)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    image = np.stack([x * 200 / width + 30, y * 180 / height + 40, np.full(x.shape, 140.0)], axis=-1)
    image[(x - width / 3) ** 2 + (y - height / 2) ** 2 < (min(width, height) / 5) ** 2] = (240, 200, 80)
    image += rng.normal(0, 12, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A valid PNG header declaring width x height pixels, with a tiny IDAT."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header)
            + png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) + png_chunk(b"IEND", b""))


def jpeg_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A real small JPEG whose frame header (SOF0) is rewritten to declare width x height."""
    data = bytearray(encode(Image.fromarray(artwork(64, 64)), "JPEG"))
    at = data.find(b"\xff\xc0")
    data[at + 5:at + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def webp_bomb() -> bytes:
    """A lossless WebP header declaring 16384 x 16384 (the format's largest) = 268 megapixels."""
    data = bytearray(encode(Image.fromarray(artwork(64, 64)), "WEBP", lossless=True))
    at = data.find(b"VP8L") + 8 + 1             # chunk header, then the 0x2f signature byte
    bits = (16384 - 1) | ((16384 - 1) << 14)    # 14-bit width-1, 14-bit height-1, then alpha and version
    data[at:at + 4] = (bits | (int.from_bytes(data[at:at + 4], "little") & ~((1 << 28) - 1))).to_bytes(4, "little")
    return bytes(data)


def exif_orientation(value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    return exif.tobytes()


def many_scans(jpeg: bytes, scans: int) -> bytes:
    """``jpeg`` (progressive) with its shortest scan repeated until it has ``scans`` scans: every scan makes the
    decoder pass over the whole image again."""
    starts = [i for i in range(len(jpeg) - 1) if jpeg[i:i + 2] == b"\xff\xda"]
    ends = starts[1:] + [jpeg.rindex(b"\xff\xd9")]
    start, end = min(zip(starts, ends), key=lambda scan: scan[1] - scan[0])
    return jpeg[:end] + jpeg[start:end] * (scans - len(starts)) + jpeg[end:]


def with_thumbnail(jpeg: bytes, thumbnail: bytes) -> bytes:
    """``jpeg`` with an APP1 EXIF segment that carries ``thumbnail`` (as cameras write one)."""
    exif = Image.Exif()
    exif[0x0112] = 1
    body = b"Exif\x00\x00" + exif.tobytes()[6:] + thumbnail      # its scans sit inside the segment
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + jpeg[2:]


def animated(fmt: str) -> bytes:
    frames = [Image.fromarray(artwork(seed=s)) for s in (1, 2)]
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)


def corpus() -> list[HostileCase]:
    art = Image.fromarray(artwork())
    jpeg = encode(art, "JPEG", quality=90)
    png = encode(art, "PNG")
    webp = encode(art, "WEBP", quality=90)
    wide = Image.fromarray(artwork(SIDE + 80, SIDE))          # not square: shows orientation
    cases = [
        HostileCase("jpeg", jpeg, "art.jpg", PROTECTED, (SIDE, SIDE)),
        HostileCase("truncated jpeg (half)", jpeg[:len(jpeg) // 2], "art.jpg", "image_damaged"),
        HostileCase("truncated jpeg (header only)", jpeg[:20], "art.jpg", "image_damaged"),
        HostileCase("truncated png (half)", png[:len(png) // 2], "art.png", "image_damaged"),
        HostileCase("truncated png (signature only)", png[:8], "art.png", "image_damaged"),
        HostileCase("truncated webp (half)", webp[:len(webp) // 2], "art.webp", "image_damaged"),
        HostileCase("truncated webp (riff header only)", webp[:12], "art.webp", "image_damaged"),
        HostileCase("png with a corrupt IDAT", png[:60] + bytes(200) + png[260:], "art.png", "image_damaged"),
        HostileCase("jpeg named .png", jpeg, "art.png", PROTECTED, (SIDE, SIDE)),
        HostileCase("png named .jpg", png, "art.jpg", PROTECTED, (SIDE, SIDE)),
        HostileCase("webp named .gif", webp, "art.gif", PROTECTED, (SIDE, SIDE)),
        HostileCase("zero bytes", b"", "art.png", "not_an_image"),
        HostileCase("text named .png", b"<html>not an image</html>", "art.png", "not_an_image"),
        HostileCase("1x1 jpeg", encode(Image.new("RGB", (1, 1), (200, 10, 10)), "JPEG"), "dot.jpg",
                    "image_too_small"),
        HostileCase("2x4000 sliver", encode(Image.fromarray(artwork(4000, 2)), "PNG"), "sliver.png",
                    "image_too_small"),
        HostileCase("1x1 png (palette art)", encode(Image.new("RGB", (1, 1), (200, 10, 10)), "PNG"), "dot.png",
                    PROTECTED, (1, 1)),
        HostileCase("30000x30000 png header", png_bomb(), "bomb.png", "image_too_large"),
        HostileCase("30000x30000 jpeg header", jpeg_bomb(), "bomb.jpg", "image_too_large"),
        HostileCase("16384x16384 webp header", webp_bomb(), "bomb.webp", "image_too_large"),
        HostileCase("cmyk jpeg", encode(art.convert("CMYK"), "JPEG", quality=90), "cmyk.jpg", PROTECTED,
                    (SIDE, SIDE)),
        HostileCase("16-bit greyscale png", encode(Image.fromarray(
            (artwork()[..., 0].astype(np.uint16) * 257)), "PNG"), "grey16.png", PROTECTED, (SIDE, SIDE)),
        HostileCase("palette png", encode(art.quantize(64), "PNG"), "palette.png", PROTECTED, (SIDE, SIDE)),
        HostileCase("LA png", encode(art.convert("LA"), "PNG"), "la.png", PROTECTED, (SIDE, SIDE)),
        HostileCase("RGBA png, half transparent", encode(_half_transparent(art), "PNG"), "rgba.png", PROTECTED,
                    (SIDE, SIDE)),
        HostileCase("greyscale jpeg", encode(art.convert("L"), "JPEG"), "grey.jpg", PROTECTED, (SIDE, SIDE)),
        HostileCase("bilevel png", encode(art.convert("1"), "PNG"), "bw.png", PROTECTED, (SIDE, SIDE)),
        HostileCase("icc profile (rotated primaries)", encode(art, "PNG", icc_profile=srgb_with_primaries("brg")),
                    "icc.png", PROTECTED, (SIDE, SIDE), {"colour": "converted"}),
        HostileCase("garbage icc profile", encode(art, "JPEG", icc_profile=b"\x00garbage" * 40), "badicc.jpg",
                    PROTECTED, (SIDE, SIDE)),
        HostileCase("garbage exif", encode(art, "JPEG", exif=b"Exif\x00\x00MM\x00*\xff\xff\xff\xff" + bytes(40)),
                    "badexif.jpg", PROTECTED, (SIDE, SIDE)),
        HostileCase("exif orientation 0 (invalid)", encode(wide, "JPEG", exif=exif_orientation(0)), "o0.jpg",
                    PROTECTED, (SIDE + 80, SIDE)),
        HostileCase("exif orientation 9 (invalid)", encode(wide, "JPEG", exif=exif_orientation(9)), "o9.jpg",
                    PROTECTED, (SIDE + 80, SIDE)),
        HostileCase("animated png", animated("PNG"), "anim.png", "unsupported_format"),
        HostileCase("animated webp", animated("WEBP"), "anim.webp", "unsupported_format"),
        HostileCase("animated gif", animated("GIF"), "anim.gif", "unsupported_format"),
        HostileCase("mp4 named .jpg", b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(200), "clip.jpg",
                    "unsupported_format"),
        HostileCase("jpeg + zip polyglot", jpeg + _zip_bytes(), "poly.jpg", PROTECTED, (SIDE, SIDE),
                    {"must_not_contain": b"PK\x03\x04"}),
        HostileCase("png + html polyglot", png + b"<script>alert(1)</script>", "poly.png", PROTECTED, (SIDE, SIDE),
                    {"must_not_contain": b"<script>"}),
        HostileCase("jpeg with html in a comment", encode(art, "JPEG", comment=b"<script>alert(1)</script>"),
                    "comment.jpg", PROTECTED, (SIDE, SIDE), {"must_not_contain": b"<script>"}),
        HostileCase("pdf header then a jpeg", b"%PDF-1.4\n" + jpeg, "doc.jpg", "not_an_image"),
        HostileCase("progressive jpeg", encode(art, "JPEG", progressive=True), "prog.jpg", PROTECTED, (SIDE, SIDE)),
        HostileCase("progressive jpeg with an exif thumbnail of 300 scans", with_thumbnail(
            encode(art, "JPEG", progressive=True), many_scans(encode(Image.fromarray(artwork(16, 16)), "JPEG",
                                                                      progressive=True), 300)),
                    "thumb.jpg", PROTECTED, (SIDE, SIDE)),
        HostileCase("progressive jpeg with 60000 scans", many_scans(encode(art, "JPEG", progressive=True), 60000),
                    "scans.jpg", "image_too_complex"),
    ]
    for orientation in range(1, 9):
        upright = (SIDE + 80, SIDE) if orientation < 5 else (SIDE, SIDE + 80)
        cases.append(HostileCase(f"exif orientation {orientation}", encode(wide, "JPEG", exif=exif_orientation(orientation)),
                                 f"o{orientation}.jpg", PROTECTED, upright))
    return cases


def _half_transparent(art: Image.Image) -> Image.Image:
    rgba = art.convert("RGBA")
    alpha = np.full((SIDE, SIDE), 255, dtype=np.uint8)
    alpha[:, : SIDE // 2] = 0
    rgba.putalpha(Image.fromarray(alpha))
    return rgba


def _zip_bytes() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.js", "alert(1)")
    return out.getvalue()
