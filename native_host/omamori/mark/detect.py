"""Detection: fold the whitened working grid into one tile, find the tile's shift by the pilot, decode the payload."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import code
from .domain import CODED_BITS, NONCES, TILE, luma, make_tile, resample, work_shape
from .payload import PAYLOAD_BITS, Payload

PILOT_Z_MIN = 5.0        # pilot correlation (standard deviations) below which nothing counts as a mark
SCALES = (1.0,)          # working-grid scales tried (a crop of the longer side changes the scale)


@dataclass(frozen=True)
class Detection:
    """What the detector found.

    ``false_positive_probability`` bounds the chance that an unmarked image (or one marked under another key)
    gives a detection at least this strong; see docs/mark.md for the model behind it.
    """

    marked: bool
    payload: Payload | None
    confidence: float
    false_positive_probability: float


def whiten(work_luma: np.ndarray) -> np.ndarray:
    """High-pass the working luma and equalize it, so picture content weighs like noise against the mark."""
    padded = np.pad(work_luma, 1, mode="reflect")
    neighbours = (padded[:-2, 1:-1] + padded[2:, 1:-1] + padded[1:-1, :-2] + padded[1:-1, 2:]) / 4.0
    residual = work_luma - neighbours
    scale = np.median(np.abs(residual)) + 1e-4
    return np.clip(residual / scale, -3.0, 3.0)


def fold(residual: np.ndarray) -> np.ndarray:
    """Sum every TILE x TILE tile of ``residual`` (zero-padded) into one tile."""
    rows, cols = residual.shape
    padded = np.zeros((-(-rows // TILE) * TILE, -(-cols // TILE) * TILE), dtype=np.float64)
    padded[:rows, :cols] = residual
    return padded.reshape(padded.shape[0] // TILE, TILE, padded.shape[1] // TILE, TILE).sum(axis=(0, 2))


def _normal_tail(z: float) -> float:
    return 0.5 * math.erfc(z / math.sqrt(2))


def detect(image: np.ndarray, *, key: bytes) -> Detection:
    """Look for a mark made with ``key`` in ``image`` (HxWx3 float32 RGB in [0, 1], any size the image was served at)."""
    height, width = image.shape[:2]
    gray = luma(image)
    tiles = [make_tile(key, nonce) for nonce in range(NONCES)]
    pilot_spectra = [np.conj(np.fft.rfft2(np.where(t.pilot, t.carrier, 0.0))) for t in tiles]
    pilot_counts = [int(t.pilot.sum()) for t in tiles]
    best = (-np.inf, None, None, None)
    for scale in SCALES:
        rows, cols = work_shape(height, width)
        folded = fold(whiten(resample(gray, (round(rows * scale), round(cols * scale)))))
        folded -= folded.mean()
        spread = folded.std() + 1e-12
        spectrum = np.fft.rfft2(folded)
        for tile, pilot_spectrum, count in zip(tiles, pilot_spectra, pilot_counts):
            correlation = np.fft.irfft2(spectrum * pilot_spectrum, s=folded.shape) / (spread * math.sqrt(count))
            shift = np.unravel_index(np.argmax(correlation), correlation.shape)
            if correlation[shift] > best[0]:
                best = (float(correlation[shift]), folded, tile, shift)
    pilot_z, folded, tile, shift = best
    hypotheses = len(SCALES) * NONCES * TILE * TILE
    pilot_bound = min(1.0, hypotheses * _normal_tail(pilot_z))
    aligned = np.roll(folded, (-shift[0], -shift[1]), axis=(0, 1)) * tile.carrier
    data = ~tile.pilot
    soft = np.bincount(tile.bit_index[data], weights=aligned[data], minlength=CODED_BITS)
    message = code.viterbi_decode(soft / (np.abs(soft).mean() + 1e-12))
    packed = code.check_message(message, PAYLOAD_BITS)
    bound = pilot_bound * 2.0 ** -code.CRC_BITS
    if packed is None or pilot_z < PILOT_Z_MIN:
        return Detection(False, None, 0.0, 1.0)
    return Detection(True, Payload.unpack(packed), 1.0 - bound, bound)
