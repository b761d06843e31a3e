"""Synchronisation: find the repeated tile's lattice in a received picture, whatever was done to its geometry.

The mark repeats one tile, so the whitened picture correlates with itself at every multiple of the tile's two
period vectors (Kutter's self-reference). Those autocorrelation peaks give the lattice -- rotation, the scale of
each axis, shear -- with no key and no search; the keyed pilot then finds the tile variant, its shift, a mirror
and an inversion among a handful of hypotheses (``detect.py``), which is what keeps the false-positive bound tight.

A crop of any size, a picture pasted into a larger screenshot, X's composer crop, a rotation and a squash all only
change the lattice, so they are all read the same way.
"""
from __future__ import annotations

import numpy as np

from ..arrays import box_mean
from .domain import TILE

ANGLE_RANGE = 12.0           # degrees either side of the axes searched for the period vectors
PERIOD_RANGE = (0.45, 1.8)   # tile periods searched, relative to the nominal one (crops, borders, resizes, squash)
HARMONICS = 3                # multiples of a period vector summed when looking for it
PER_AXIS = 8                 # vertical period vectors tried, each with its best horizontal one
MAX_ASPECT = 1.3             # the two periods differ by at most this ratio (squash/stretch of one axis)
MAX_SKEW = 2.0               # degrees: the two period vectors are this close to perpendicular
CANDIDATES = 3               # lattices handed to the pilot: the picture's own periodicity (pixel art, screentone)
                             # may rival the mark's, so the keyed pilot decides among the strongest few
SQUARE_CANDIDATES = 3        # square lattices handed to the pilot as well: the second period is the first turned by
                             # exactly 90 degrees, as a rotation or a crop leaves the tile (square in cells)
LARGE_RANGE = (1.8, 4.0)     # larger tile periods, searched on a coarser grid (a small crop of a long picture)
LARGE_CANDIDATES = 1         # lattices of those handed to the pilot, of pairs and of square ones each
LATTICES = CANDIDATES + SQUARE_CANDIDATES + 2 * LARGE_CANDIDATES   # the most lattices ``lattices`` returns
LAG_LIMIT = 0.48             # period vectors searched reach this share of the grid (beyond, a circular lag is ambiguous)
BACKGROUND_RADIUS = 3        # samples: the smooth part of the autocorrelation removed around each peak
SPIKE_RATIO = 10.0           # spectral power over this many times the mean around it is the picture's own periodicity
SPIKE_RADIUS = 8             # (a screentone's dots): clipped there, in a window of this radius in frequency samples
FLAT_LEVEL = 0.003           # whitened samples whose mean magnitude over 5 x 5 is under this are flat fill: no picture
                             # and no mark (a rotation's corners, a screenshot's frame; photo texture is ~0.05)
FLAT_MARGIN = 6              # samples: how near flat fill the picture is left out of the autocorrelation


def _box_response(shape: tuple[int, int], radius: int) -> np.ndarray:
    """Transfer function (rfft2 layout) of the circular mean over a (2 radius + 1)-square window."""
    def along(n: int, real: bool) -> np.ndarray:
        kernel = np.zeros(n)
        kernel[np.arange(-radius, radius + 1) % n] = 1.0 / (2 * radius + 1)
        return np.fft.rfft(kernel).real if real else np.fft.fft(kernel).real
    return along(shape[0], False)[:, None] * along(shape[1], True)[None, :]


def autocorrelation(whitened: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Circular autocorrelation of ``whitened`` with its smooth part removed (so that a picture's own broad
    correlations do not hide the tile's sharp peaks), in robust standard deviations, lag (0, 0) at index (0, 0);
    and the same blurred over 3 x 3 lags (a far multiple of a period vector known to a sample lands near its peak).

    A screentone's dots are a lattice of their own, a few spectral lines far stronger than anything around them,
    whose peaks outscore the mark's; those lines are clipped to SPIKE_RATIO times the power around them. The mark's
    lines, spread over the whole spectrum, are each much weaker and pass."""
    spectrum = np.fft.rfft2(whitened - whitened.mean())
    power = spectrum.real ** 2 + spectrum.imag ** 2
    power = np.minimum(power, SPIKE_RATIO * box_mean(power, SPIKE_RADIUS, edges="reflect"))
    power *= 1 - _box_response(whitened.shape, BACKGROUND_RADIUS)
    peaks = np.fft.irfft2(power, s=whitened.shape)
    blurred = np.fft.irfft2(power * _box_response(whitened.shape, 1), s=whitened.shape)
    spread = np.median(np.abs(peaks[::3, ::3])) * 1.4826 + 1e-30
    return peaks / spread, blurred / spread


def _sample(ac: np.ndarray, lags: np.ndarray) -> np.ndarray:
    """``ac`` at ``lags`` (..., 2: row, col), circular: bilinear at fractional lags, the sample itself at integer
    ones (an integer dtype). Gathered from the flattened array, twice as fast as indexing by rows and columns."""
    rows, cols = ac.shape
    flat = ac.ravel()
    if np.issubdtype(lags.dtype, np.integer):
        return flat.take(lags[..., 0] % rows * cols + lags[..., 1] % cols)
    r0, c0 = np.floor(lags[..., 0]), np.floor(lags[..., 1])
    fr, fc = lags[..., 0] - r0, lags[..., 1] - c0
    r0, c0 = r0.astype(np.intp) % rows, c0.astype(np.intp) % cols
    index = r0 * cols + c0
    right = np.where(c0 == cols - 1, 1 - cols, 1)                # the next column, wrapped
    top = flat.take(index)
    top += (flat.take(index + right) - top) * fc
    index += np.where(r0 == rows - 1, (1 - rows) * cols, cols)   # the next row, wrapped
    bottom = flat.take(index)
    bottom += (flat.take(index + right) - bottom) * fc
    top += (bottom - top) * fr
    return top


def _overlap(lags: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Share of the picture that overlaps itself shifted by ``lags``: how tall the tile's peak there can be."""
    return (np.clip(1 - np.abs(lags[..., 0]) / shape[0], 0, 1) * np.clip(1 - np.abs(lags[..., 1]) / shape[1], 0, 1))


def lattice_score(ac: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Matched filter for a lattice: the autocorrelation summed over ``points`` (..., n, 2), each weighed by how
    tall the tile's peak there can be, in standard deviations of noise."""
    weights = _overlap(points, ac.shape)
    return (_sample(ac, points) * weights).sum(axis=-1) / np.sqrt((weights ** 2).sum(axis=-1) + 1e-12)


def _multiples(vectors: np.ndarray) -> np.ndarray:
    """vectors (n, 2) -> their first HARMONICS multiples (n, HARMONICS, 2)."""
    return vectors[:, None, :] * np.arange(1, HARMONICS + 1)[None, :, None]


def _strongest_apart(candidates: np.ndarray, scores: np.ndarray, count: int) -> list[np.ndarray]:
    """The ``count`` best-scoring ``candidates`` (n, 2) at least 4 samples apart (peaks of nearby vectors are one
    peak's shoulders)."""
    chosen: list[np.ndarray] = []
    for index in np.argsort(scores)[::-1]:
        if len(chosen) == count:
            break
        if any(np.hypot(*(candidates[index] - c)) < 4 for c in chosen):
            continue
        chosen.append(candidates[index])
    return chosen


def _best_vectors(ac: np.ndarray, blurred: np.ndarray, candidates: np.ndarray, count: int) -> list[np.ndarray]:
    """The ``count`` period vectors among integer ``candidates`` (n, 2) whose multiples line up best, each then
    refined to a quarter sample."""
    chosen = _strongest_apart(candidates, lattice_score(blurred, _multiples(candidates)), count)
    steps = np.stack(np.meshgrid(np.arange(-1, 1.01, 0.25), np.arange(-1, 1.01, 0.25), indexing="ij"), -1).reshape(-1, 2)
    refined = []
    for vector in chosen:
        around = vector + steps
        refined.append(around[np.argmax(lattice_score(ac, _multiples(around)))])
    return refined


def lattices(whitened: np.ndarray, coarse: np.ndarray, *, nominal: float) -> list[np.ndarray]:
    """Candidate lattices of the tile in ``whitened`` (a grid where the tile's period is about ``nominal``
    samples): 2 x 2 matrices whose columns are the period vectors (row, col) closest to the vertical and the
    horizontal axis, the strongest CANDIDATES of them by the whole lattice's matched filter, the strongest
    SQUARE_CANDIDATES square ones, and with periods in LARGE_RANGE the strongest pair and square lattice, found on
    ``coarse`` (the same picture whitened on a grid of samples twice as large): at most LATTICES in all.

    A crop that keeps a small part of a long picture (X's composer cutting a 3000 x 800 panorama to a square)
    enlarges the tile beyond PERIOD_RANGE, to cells of several samples, which the autocorrelation's smooth part
    takes away with the peaks; on ``coarse`` those cells are as wide as the nominal cells are on ``whitened``."""
    return (_strongest(whitened, nominal, PERIOD_RANGE, CANDIDATES, SQUARE_CANDIDATES)
            + [2 * basis for basis in _strongest(coarse, nominal / 2, LARGE_RANGE, LARGE_CANDIDATES, LARGE_CANDIDATES)])


def _strongest(whitened: np.ndarray, nominal: float, period_range: tuple[float, float], pairs: int,
               squares: int) -> list[np.ndarray]:
    """The ``pairs`` strongest lattices and the ``squares`` strongest square ones in ``whitened`` with periods in
    ``period_range`` times ``nominal`` samples, polished."""
    ac, blurred = autocorrelation(_without_flat_borders(whitened))
    lags, across = _along_longer_side(ac, nominal, period_range)
    return ([_polish(ac, basis) for basis in _pairs(ac, blurred, lags, across)[:pairs]]
            + [_polish(ac, basis, square=True) for basis in _squares(blurred, lags, across, squares)])


def _without_flat_borders(whitened: np.ndarray) -> np.ndarray:
    """``whitened`` with the samples near flat fill set to zero. The picture's border against a flat fill (the white
    corners of a rotation, a screenshot's frame) is a long straight edge, whose autocorrelation is a ridge along it
    that the lattice matched filter would take for a row of the tile's peaks."""
    flat = box_mean(np.abs(whitened), 2, edges="reflect") < FLAT_LEVEL
    return np.where(box_mean(flat.astype(np.float32), FLAT_MARGIN, edges="reflect") > 0, 0.0, whitened)


def _along_longer_side(ac: np.ndarray, nominal: float, period_range: tuple[float, float]) -> tuple[np.ndarray, bool]:
    """Integer lags (n, 2) with lengths in ``period_range`` times ``nominal`` samples, within ANGLE_RANGE of the
    picture's longer side, where more of a period vector's multiples fit (a 2700 x 900 picture holds eight tiles
    across and under three down); and whether that side is the width."""
    limit = LAG_LIMIT * np.array(ac.shape)
    reach = int(period_range[1] * nominal)
    r, c = np.mgrid[-reach:reach + 1, -reach:reach + 1]
    lags = np.stack([r.ravel(), c.ravel()], -1)
    radius = np.hypot(lags[:, 0], lags[:, 1])
    angle = np.degrees(np.arctan2(lags[:, 0], lags[:, 1]))
    across = ac.shape[1] > ac.shape[0]
    usable = ((radius >= period_range[0] * nominal) & (radius <= period_range[1] * nominal)
              & (np.abs(lags[:, 0]) < limit[0]) & (np.abs(lags[:, 1]) < limit[1])
              & (np.abs(angle - (0 if across else 90)) <= ANGLE_RANGE))
    return lags[usable], across


def _turned(vectors: np.ndarray, across: bool) -> np.ndarray:
    """``vectors`` (..., 2) along the longer side turned by 90 degrees towards the other axis's positive end."""
    return np.stack([vectors[..., 1], -vectors[..., 0]] if across else [-vectors[..., 1], vectors[..., 0]], axis=-1)


def _square_bases(vectors: np.ndarray, across: bool) -> np.ndarray:
    """``vectors`` (n, 2) along the longer side -> square lattices (n, 2, 2), columns (vertical, horizontal)."""
    turned = _turned(vectors, across)
    return np.stack([turned, vectors] if across else [vectors, turned], axis=-1)


def _pairs(ac: np.ndarray, blurred: np.ndarray, lags: np.ndarray, across: bool) -> list[np.ndarray]:
    """Lattices (2 x 2, columns the period vectors) whose first vector is one of ``lags`` (``_along_longer_side``),
    strongest first by the matched filter on ``blurred``."""
    first = _best_vectors(ac, blurred, lags, PER_AXIS)
    # The other period is nearly perpendicular to the first and of a similar length: search it there, by the whole
    # lattice's matched filter (a weak mark's peaks along the shorter side alone may not stand out).
    pairs = []
    for v in first:
        length = np.hypot(*v)
        ratios = np.arange(1 / MAX_ASPECT, MAX_ASPECT, 1 / length)
        skews = np.radians(np.arange(-MAX_SKEW, MAX_SKEW + 1e-9, np.degrees(1 / length)))
        ratio, skew = (g.ravel() for g in np.meshgrid(ratios, skews))
        other = ratio[:, None] * (np.cos(skew)[:, None] * _turned(v, across) + np.sin(skew)[:, None] * v)
        # Across a thin picture a lag beyond half the grid is the mirror of a shorter one (the autocorrelation is
        # circular): a period of 131 samples on a 246-sample side scores as the true 115 does.
        other = other[np.all(np.abs(other) < LAG_LIMIT * np.array(ac.shape), axis=1)]
        if not len(other):
            continue
        given = np.broadcast_to(v, other.shape)
        bases = np.stack([other, given] if across else [given, other], axis=-1)
        scores = lattice_score(blurred, _lattice_points(bases))
        best = int(np.argmax(scores))
        pairs.append((float(scores[best]), bases[best]))
    pairs.sort(key=lambda pair: -pair[0])
    return [basis for _, basis in pairs]


def _squares(blurred: np.ndarray, lags: np.ndarray, across: bool, count: int) -> list[np.ndarray]:
    """The ``count`` strongest square lattices whose vector along the longer side is one of ``lags``, by the
    matched filter on ``blurred``. Searching one vector
    for the whole square lattice sums 24 peaks where the search for the first vector of a pair sums 3: on a long
    photo, where the mark is faint against the picture, that finds the lattice of a rotation or a crop when the
    first-vector search (and the pairing after it) does not."""
    scores = lattice_score(blurred, _lattice_points(_square_bases(lags, across)))
    return [_square_bases(v[None], across)[0] for v in _strongest_apart(lags, scores, count)]


def _lattice_points(bases: np.ndarray) -> np.ndarray:
    """bases (n, 2, 2) -> the lattice points i v + j h, |i|, |j| <= 3, one of each +- pair: (n, 24, 2)."""
    i, j = np.mgrid[-3:4, -3:4]
    half = (i > 0) | ((i == 0) & (j > 0))
    return i[half][None, :, None] * bases[:, None, :, 0] + j[half][None, :, None] * bases[:, None, :, 1]


def _moved(vector: np.ndarray, moves: np.ndarray) -> np.ndarray:
    """``vector`` (2,) moved by each of ``moves`` (n, 2: along it, across it, in samples) -> (n, 2)."""
    along = vector / np.hypot(*vector)
    return vector + moves[:, :1] * along + moves[:, 1:] * np.array([-along[1], along[0]])


def _polish(ac: np.ndarray, basis: np.ndarray, *, square: bool = False) -> np.ndarray:
    """``basis`` moved to where the whole lattice's matched filter peaks: each period vector's direction and
    length, in steps down to a sixteenth of a sample at the first period (the fold needs the far tiles in
    register). A ``square`` lattice stays square: its vector along the longer side moves, the other turns with it."""
    across = ac.shape[1] > ac.shape[0]
    moves = np.stack(np.meshgrid(*[np.arange(-1, 2)] * (2 if square else 4), indexing="ij"), -1).reshape(-1, 2 if square else 4)
    for step in (0.5, 0.25, 0.125, 0.0625):
        for _ in range(2):
            if square:
                trials = _square_bases(_moved(basis[:, 1 if across else 0], step * moves), across)
            else:
                trials = np.stack([_moved(basis[:, 0], step * moves[:, :2]), _moved(basis[:, 1], step * moves[:, 2:])],
                                  axis=-1)
            basis = trials[np.argmax(lattice_score(ac, _lattice_points(trials)))]
    return basis


def fold_lattice(whitened: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Fold ``whitened`` along the lattice ``basis`` (columns: the tile's period vectors in samples) into a
    2 TILE x 2 TILE half-cell tile: every sample's position is expressed in tile coordinates and summed into
    the half cell it falls in (inverse mapping, nearest half cell)."""
    inverse = np.linalg.inv(basis / (2 * TILE))                  # samples -> half cells
    rows, cols = whitened.shape
    r = np.arange(rows, dtype=np.float64)[:, None]
    c = np.arange(cols, dtype=np.float64)[None, :]
    wrap = 2 * TILE - 1                                          # 2 TILE is a power of two: & wraps as % does, faster
    half_r = np.floor(inverse[0, 0] * r + inverse[0, 1] * c).astype(np.intp) & wrap
    half_c = np.floor(inverse[1, 0] * r + inverse[1, 1] * c).astype(np.intp) & wrap
    folded = np.bincount((half_r * (2 * TILE) + half_c).ravel(), weights=whitened.ravel(),
                         minlength=4 * TILE * TILE)
    return folded.reshape(2 * TILE, 2 * TILE)
