"""Benchmark: protect and verify times and peak memory for 1, 4, 8 and 16 megapixel images.

    nice python bench/protect_speed.py [--repeat N] [--placement corner|tiled] [--sizes 1024,2048,...]

Each size runs in its own subprocess so its peak RSS is honest (the parent's
memory and the other sizes do not count). In the subprocess: one small
protection first (a long-running host has imported everything and found its
font already), then ``--repeat`` timed protections (bytes of a PNG in ->
output bytes) and verifications (``pipeline.examine`` of the output); the
best wall-clock time is printed, with the median beside it, and the best CPU
time of the process (on a shared, loaded machine wall time is inflated by
waiting for a core; CPU time is what the work itself costs). Images are
illustration-like PNGs drawn by bench/make_sample.py.

Budgets (issue 2): 2048x2048 in <= 1.0 s, 4096x4096 in <= 3 s, peak RSS <= 600 MB.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIDES = (1024, 2048, 2896, 4096)          # 1, 4, 8, 16 megapixels
BUDGET_S = {2048: 1.0, 4096: 3.0}
BUDGET_RSS_MB = 600


def child(path: str, repeat: int, placement: str) -> dict:
    import dataclasses
    import datetime

    import numpy as np

    from omamori.protect import pipeline, visible
    from omamori.settings import Settings

    key = bytes(range(32))
    base = Settings()
    chosen = dataclasses.replace(base, signature=dataclasses.replace(base.signature, placement=placement))
    today = datetime.date(2026, 11, 21)

    font = visible.signature_font(chosen.signature)       # once, as the host does

    def protect(data: bytes) -> pipeline.Protected:
        return pipeline.protect(data, settings=chosen, key=key, today=today, rng=np.random.default_rng(0), font=font)

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_sample import draw_illustration
    import io
    warm = io.BytesIO()
    draw_illustration(320, 320).save(warm, "PNG")
    protect(warm.getvalue())

    data = Path(path).read_bytes()
    protect_s, protect_cpu, verify_s = [], [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        protected = protect(data)
        protect_s.append(time.perf_counter() - start)
        protect_cpu.append(time.process_time() - start_cpu)
        start = time.perf_counter()
        examined = pipeline.examine(protected.data, key=key)
        verify_s.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_mb = peak / (1 << 20) if sys.platform == "darwin" else peak / 1024     # bytes on macOS, KiB on Linux
    return {"protect_s": protect_s, "protect_cpu_s": protect_cpu, "verify_s": verify_s, "peak_rss_mb": peak_mb,
            "verified": protected.mark_verified, "detected": examined.detection.marked,
            "bytes": len(protected.data), "format": protected.format}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--placement", choices=("corner", "tiled"), default="corner")
    parser.add_argument("--sizes", default=",".join(map(str, SIDES)), help="square sides in pixels")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.repeat, args.placement)))
        return 0

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_sample import draw_illustration

    print(f"placement={args.placement} repeat={args.repeat}  (times: best / median; RSS: peak of the process)")
    print(f"{'image':>11} {'MP':>5} {'PNG in':>9} {'out':>9} {'protect s':>14} {'cpu s':>6} {'verify s':>14} "
          f"{'peak RSS MB':>11}  budget (on wall time)")
    failures = 0
    with tempfile.TemporaryDirectory() as folder:
        for side in (int(s) for s in args.sizes.split(",")):
            path = Path(folder) / f"{side}.png"
            draw_illustration(side, side).save(path, "PNG")
            result = subprocess.run([sys.executable, __file__, "--child", str(path), "--repeat", str(args.repeat),
                                     "--placement", args.placement], capture_output=True, text=True, check=True)
            r = json.loads(result.stdout)
            best, median = min(r["protect_s"]), statistics.median(r["protect_s"])
            vbest, vmedian = min(r["verify_s"]), statistics.median(r["verify_s"])
            budget = BUDGET_S.get(side)
            ok = (budget is None or best <= budget) and r["peak_rss_mb"] <= BUDGET_RSS_MB and r["verified"]
            failures += not ok
            note = (f"<= {budget:.1f} s, " if budget else "") + f"<= {BUDGET_RSS_MB} MB: {'ok' if ok else 'OVER'}"
            if not r["verified"]:
                note += " (mark not verified!)"
            print(f"{side:>5}x{side:<5} {side * side / 1e6:5.1f} {path.stat().st_size / 1e6:8.2f}M "
                  f"{r['bytes'] / 1e6:8.2f}M {best:6.2f} / {median:5.2f} {min(r['protect_cpu_s']):6.2f} "
                  f"{vbest:6.2f} / {vmedian:5.2f} "
                  f"{r['peak_rss_mb']:11.0f}  {note}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
