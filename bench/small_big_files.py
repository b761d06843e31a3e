"""Peak memory of protecting small files that decode to 60 megapixels, just under the pixel cap (issue 15).

    nice python bench/small_big_files.py

Makes a two-colour RGBA PNG (7740 x 7740, half opaque red, half transparent), a two-colour GIF and a flat RGB
PNG (7745 x 7745), then protects each with the default settings in a fresh process (``pipeline.protect``, a
throwaway key) and prints the file's size, the time and the process's peak RSS (``ru_maxrss``).
"""
from __future__ import annotations

import datetime
import io
import resource
import subprocess
import sys
import time

import numpy as np
from PIL import Image


def files() -> dict[str, bytes]:
    made = {}
    pixels = np.zeros((7740, 7740, 4), np.uint8)
    pixels[:, :3870] = (200, 30, 30, 255)
    made["two-colour RGBA PNG"] = _encoded(Image.fromarray(pixels, "RGBA"), "PNG", optimize=True)
    gif = Image.new("P", (7740, 7740), 0)
    gif.putpalette([255, 255, 255, 0, 0, 0] + [0] * 762)
    made["two-colour GIF"] = _encoded(gif, "GIF")
    made["flat RGB PNG"] = _encoded(Image.new("RGB", (7745, 7745), (240, 240, 240)), "PNG", optimize=True)
    return made


def _encoded(picture: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    picture.save(out, fmt, **params)
    return out.getvalue()


def protect_and_measure() -> None:
    """In the child: protect stdin's bytes, print seconds and peak RSS in MiB."""
    from omamori import settings
    from omamori.protect import pipeline, visible

    data = sys.stdin.buffer.read()
    started = time.perf_counter()
    chosen = settings.Settings()
    pipeline.protect(data, settings=chosen, key=bytes(32), today=datetime.date.today(),
                     rng=np.random.default_rng(0), font=visible.signature_font(chosen.signature))
    print(f"{time.perf_counter() - started:.1f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}")


def main() -> None:
    for name, data in files().items():
        out = subprocess.run([sys.executable, __file__, "--child"], input=data, capture_output=True, check=True)
        seconds, peak = out.stdout.decode().split()
        print(f"{name}: {len(data):,} B, protected in {seconds} s, peak RSS {peak} MiB", flush=True)


if __name__ == "__main__":
    protect_and_measure() if sys.argv[1:] == ["--child"] else main()
