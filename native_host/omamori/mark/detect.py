"""Detection: fold the whitened working grid into one tile, find the tile's shift by the pilot, decode the payload."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..arrays import box_mean, luma
from . import code, sync
from .domain import (CODED_BITS, MESSAGE_BITS, NONCES, TILE, Tile, cell_size, grid_matrix, make_tile, tile_pattern,
                     to_grid)
from .payload import PAYLOAD_BITS, Payload

# Pilot correlation (standard deviations) that makes a decoded payload count, or whole-tile correlation that does
# (sized for the union over all 2**80 messages). Both keep the union bound per image where the axis-aligned search
# of mark v1 had it (6.5 and 13 sd over 27.5 million hypotheses) now that the search is 4.30 times wider (118 million).
PILOT_Z_MIN = 6.72
TILE_Z_MIN = 13.12
WHITEN_RADIUS = 1        # cells: window of the local magnitude
WHITEN_CLIP = 1.5        # whitened values are clipped to +-WHITEN_CLIP
WHITEN_FLOOR = 0.3 / 255 # magnitude floor (0-1 units): JPEG noise on flat colour is not amplified
PHASES = ((0, 0), (0, 1), (1, 0), (1, 1))       # half-cell offsets of the grid tried (in half cells)
ORIENTATIONS = 4         # as marked, mirrored (left-right), inverted (negative), mirrored and inverted
# Grid scales searched coarsely: a crop of the longer side by c enlarges the grid 1 / (1 - c) times (crops up to
# 8 %), a border added around the picture by p shrinks it 1 / (1 + p) times (borders up to 8 %).
COARSE_SCALES = tuple(sorted({1 / (1 - crop) for crop in np.arange(0.0, 0.081, 0.008)}
                             | {1 / (1 + pad) for pad in np.arange(0.008, 0.081, 0.008)}))
FINE_STEPS = (-0.004, -0.002, 0.0, 0.002, 0.004)   # scale refinements around the best coarse scale
MIN_READABLE_SIDE = 16   # pixels: no mark survives below this, and a sliver (2 x 4000) broke the grid resampling


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


def whiten(grid: np.ndarray, *, spacing: int = 1) -> np.ndarray:
    """High-pass ``grid`` (differences from the 4 neighbours ``spacing`` samples away), divide by the local
    magnitude and clip, then weigh down busy cells: strong picture detail (edges, screentone) is noise to the
    detector, and the mark is seen best where the picture is calm."""
    padded = np.pad(grid, spacing, mode="reflect")
    inner = slice(spacing, -spacing)
    neighbours = (padded[: -2 * spacing, inner] + padded[2 * spacing:, inner]
                  + padded[inner, : -2 * spacing] + padded[inner, 2 * spacing:]) / 4.0
    residual = grid - neighbours
    magnitude = np.maximum(box_mean(np.abs(residual), WHITEN_RADIUS * spacing, edges="reflect"), 0.0) + WHITEN_FLOOR
    reliability = (WHITEN_FLOOR / magnitude) ** 0.75      # busy cells hide the mark: they count less
    return np.clip(residual / magnitude, -WHITEN_CLIP, WHITEN_CLIP) * reliability


def _normal_tail(z: float) -> float:
    return 0.5 * math.erfc(z / math.sqrt(2))


@dataclass(frozen=True)
class Search:
    """The detector's best guess before deciding: how strong the pilot was and the message bits it decodes to."""

    pilot_z: float            # pilot correlation of the best hypothesis, in standard deviations
    hypotheses: int           # how many (fold, orientation, tile variant, shift) hypotheses the search could pick from
    message: np.ndarray       # decoded 0/1 message bits (payload, then CRC)
    tile_z: float             # correlation with the whole tile the message re-encodes to, in standard deviations
    lattice: np.ndarray | None  # the tile's period vectors (columns, rows then columns) in half cells of the
                                # received picture's grid when the lattice was followed; None: the axis-aligned grid
    mirrored: bool            # the picture was seen mirrored left to right
    inverted: bool            # the picture was seen as a negative


@dataclass(frozen=True)
class _Candidate:
    pilot_z: float
    folded: np.ndarray        # the folded tile, turned back to how it was marked
    tile: Tile
    shift: tuple[int, int]
    lattice: np.ndarray | None
    mirrored: bool
    inverted: bool


class _Folds:
    """Whitened half-cell grid of one image, folded into tiles at any scale and half-cell phase on request; and the
    image whitened on whole cells, where sync looks for tiles several times larger than the nominal one."""

    def __init__(self, image: np.ndarray) -> None:
        gray = luma(image)
        cell = cell_size(*gray.shape)
        half_cells = to_grid(gray, cell / 2)
        self.whitened = whiten(half_cells, spacing=2)
        self.coarse = whiten(to_grid(half_cells, 2.0), spacing=2)   # whole cells, from the half cells (a tenth of
                                                                      # the time of averaging the pixels again)

    def fold(self, scale: float, phase: tuple[int, int]) -> np.ndarray:
        """The whitened grid from ``phase`` on, averaged onto cells ``scale`` times the nominal ones, and every
        TILE x TILE tile of that summed into one tile: both are linear along each axis, so each axis is one matrix
        and the whole fold two matrix products (a resampling of the whole grid per fold was the slower way)."""
        rows, cols = (np.pad(grid_matrix(side - start, 2.0 * scale, period=TILE), ((0, 0), (start, 0)))
                      for side, start in zip(self.whitened.shape, phase))
        return _standardized(rows @ self.whitened @ cols.T)


def _standardized(folded: np.ndarray) -> np.ndarray:
    """``folded`` at mean 0 and standard deviation 1, in float32 (the pilot's correlations are FFTs of these, three
    times faster in float32, and a z of 7 needs no more digits)."""
    folded = folded - folded.mean()
    return (folded / (folded.std() + 1e-12)).astype(np.float32)


def _phases_of(half_cells: np.ndarray) -> list[np.ndarray]:
    """The 2 TILE x 2 TILE half-cell tile summed into TILE x TILE cells at each half-cell offset."""
    return [np.roll(half_cells, (-row, -col), axis=(0, 1)).reshape(TILE, 2, TILE, 2).sum(axis=(1, 3))
            for row, col in PHASES]


def search(image: np.ndarray, *, key: bytes) -> Search:
    """Find the best tile hypothesis in ``image`` (HxWx3 float32 RGB in [0, 1]) and decode its message bits.

    Hypotheses: the tile lattices the autocorrelation finds (``sync``: any rotation, per-axis scale and crop) and,
    for marks too faint for it, working-grid scales of the axis-aligned grid (COARSE_SCALES for crops and added
    borders, then refined); four half-cell offsets; as marked, mirrored, inverted or both; the NONCES tile
    variants; and every one of the TILE x TILE cyclic shifts (found at once by an FFT correlation with each
    variant's pilot).
    """
    folds = _Folds(image)
    tiles = [make_tile(key, nonce) for nonce in range(NONCES)]
    pilot_spectra = np.conj(np.fft.rfft2(np.stack([np.where(t.pilot, t.carrier, np.float32(0)) for t in tiles])))
    pilot_norms = np.sqrt([t.pilot.sum() for t in tiles], dtype=np.float32)[:, None, None]
    # Which fine scales and phases are folded depends on the coarse winner, so the bound counts every fold the
    # search could have made, not only those it made: each coarse scale, its refinements, and their phases.
    folds_possible = (len(COARSE_SCALES) * len(FINE_STEPS) + sync.LATTICES) * len(PHASES)
    hypotheses = folds_possible * ORIENTATIONS * NONCES * TILE * TILE

    def best_of(folded: np.ndarray, lattice: np.ndarray | None = None) -> _Candidate:
        """The strongest pilot peak in ``folded`` over tile variants, shifts, a mirror and an inversion; the
        folded tile turned back to how it was marked."""
        best = None
        for mirrored, oriented in ((False, folded), (True, folded[:, ::-1])):
            correlation = np.fft.irfft2(np.fft.rfft2(oriented) * pilot_spectra, s=oriented.shape) / pilot_norms
            for sign in (1.0, -1.0):
                index = int(np.argmax(correlation * sign))
                if best is None or sign * correlation.flat[index] > best.pilot_z:
                    nonce, row, col = np.unravel_index(index, correlation.shape)
                    best = _Candidate(float(sign * correlation.flat[index]), oriented * sign, tiles[nonce],
                                      (row, col), lattice, mirrored, sign < 0)
        return best

    def strongest(candidates: list[_Candidate]) -> _Candidate:
        return max(candidates, key=lambda candidate: candidate.pilot_z)

    found = [strongest([best_of(_standardized(cells), lattice)
                        for cells in _phases_of(sync.fold_lattice(folds.whitened, lattice))])
             for lattice in sync.lattices(folds.whitened, folds.coarse, nominal=2 * TILE)]
    coarse = {scale: best_of(folds.fold(scale, (0, 0))) for scale in COARSE_SCALES}
    start = max(coarse, key=lambda scale: coarse[scale].pilot_z)
    # Refine the scale at the first phase, then try the other phases at the refined scale only: scale and phase
    # hardly interact, and this takes 7 folds instead of 19 (the folds are most of detection's time).
    fine = {start: coarse[start]} | {start + step: best_of(folds.fold(start + step, PHASES[0]))
                                     for step in FINE_STEPS if step}
    scale = max(fine, key=lambda s: fine[s].pilot_z)
    found.append(strongest([fine[scale]] + [best_of(folds.fold(scale, phase)) for phase in PHASES[1:]]))
    # A faint mark's pilot may lose to another lattice's by a hair: the strongest hypothesis of each lattice (and of
    # the axis-aligned grid) is decoded, and the one whose message explains its tile best is read. The bounds count
    # every hypothesis and message already, and the message kept is chosen without looking at its CRC.
    return max((_decoded(candidate, hypotheses) for candidate in found), key=lambda read: read.tile_z)


def _decoded(candidate: _Candidate, hypotheses: int) -> Search:
    """The message bits of ``candidate``'s folded tile and how well the tile they re-encode to matches it."""
    tile = candidate.tile
    aligned = np.roll(candidate.folded, (-candidate.shift[0], -candidate.shift[1]), axis=(0, 1)) * tile.carrier
    data = ~tile.pilot
    soft = np.bincount(tile.bit_index[data], weights=aligned[data], minlength=CODED_BITS)
    message = code.viterbi_decode(soft / (np.abs(soft).mean() + 1e-12))
    expected = tile_pattern(tile, code.encode(message)) * tile.carrier      # +-1 sign each cell should have
    tile_z = float((aligned * expected).sum() / math.sqrt(aligned.size))
    return Search(candidate.pilot_z, hypotheses, message, tile_z, candidate.lattice, candidate.mirrored,
                  candidate.inverted)


def decide(found: Search) -> Detection:
    """The verdict on a search: marked only if the CRC of the decoded message matches and either the pilot stands
    out (PILOT_Z_MIN) or the whole tile the message re-encodes to does (TILE_Z_MIN).

    The bound is the smaller of two union bounds over Gaussian tails -- the chance that noise gives such a pilot
    peak among all hypotheses, or such a whole-tile correlation among all hypotheses and all 2**80 messages --
    times the chance that noise passes the CRC (2**-16)."""
    packed = code.check_message(found.message, PAYLOAD_BITS)
    if packed is None or (found.pilot_z < PILOT_Z_MIN and found.tile_z < TILE_Z_MIN):
        return Detection(False, None, 0.0, 1.0)
    pilot_bound = found.hypotheses * _normal_tail(found.pilot_z)
    tile_bound = found.hypotheses * 2.0 ** MESSAGE_BITS * _normal_tail(found.tile_z)
    bound = min(1.0, pilot_bound, tile_bound) * 2.0 ** -code.CRC_BITS
    return Detection(True, Payload.unpack(packed), 1.0 - bound, bound)


def detect(image: np.ndarray, *, key: bytes) -> Detection:
    """Look for a mark made with ``key`` in ``image`` (HxWx3 float32 RGB in [0, 1], any size the image was served at).

    Not marked: ``Detection(False, None, 0.0, 1.0)``.
    """
    if min(image.shape[:2]) < MIN_READABLE_SIDE:
        return Detection(False, None, 0.0, 1.0)
    return decide(search(image, key=key))
