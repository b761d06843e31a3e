"""The tiny TAESD-family encoder and decoder, in numpy, without torch.

A checkpoint is a PyTorch zip archive: ``data.pkl`` (a pickled state dict
whose tensors refer to storages) and ``data/N`` (raw little-endian storage
bytes). ``load_state_dict`` reads it with a restricted unpickler that can build
exactly three things -- an ordered dict, a tensor from a named storage, and the
storage-type marker -- and refuses every other global, so a crafted file cannot
run code.

Layouts (madebyollin/taesd, ``ENCODER_LAYOUTS``): the TAESD encoder is ``conv
3->64, Block, (conv stride 2, Block x3) x3, conv 64->latent`` (8x down); the
F32 encoder (Sana's DC-AE latent space) is ``conv 3->32 stride 2, ReLU, conv
32->64 stride 2, ReLU, Block, (conv stride 2, Block x3) x3, conv 64->32`` (32x
down). The decoder mirrors the TAESD encoder with a soft clamp of the latents
and nearest x2 upsampling. A "Block" is three 3x3 convs with ReLUs between,
added to its input, then a ReLU; with ``midblock_gn`` the blocks at 1/8 scale
first add a branch ``1x1 conv -> GroupNorm(4) -> ReLU -> 1x1 conv`` to their
input. The state-dict keys are the indices of that sequence.

Images are float32 HxWx3 in [0, 1] (channels last, one image, no batch);
latents are float32 (H/f)x(W/f)xC (f: 8 or 32, rounded up). ``Network.forward`` can record a tape so
``Network.backward`` returns the gradient with respect to the input only
(weights are fixed), which is all the cloak needs.

Convolution: a 3x3 stride-1 conv is Winograd F(2x2, 3x3): each 2x2 output
tile is A^T [(G g G^T) * (B^T d B)] A of the 4x4 input tile d around it, 16
matrix products of (tiles, Cin) by (Cin, Cout) instead of 36, the transforms
being additions on contiguous slices (the padded image's columns split by
parity). A stride-2 conv is nine shifted matrix products over the four 2x2
phases of the zero-padded image flattened to rows, where each shift is a
contiguous slice (no im2col copy). The gradient with respect to the input is
the same convolution with the kernel turned 180 degrees and transposed (per
phase for stride 2). The rows are split into bands computed by a thread per
core (``Bands``), each with a single-threaded BLAS, because with BLAS's own
threads the additions between the products ran on one core; each band works
a few hundred pixels at a time so that its working arrays stay in the core's
cache. The figures are in docs/cloak.md ("Time and memory") with the commands.
"""
from __future__ import annotations

import collections
import io
import math
import os
import pickle
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
from threadpoolctl import threadpool_limits

from ..errors import StateError

GROUPNORM_EPS = 1e-5
_STORAGE_DTYPES = {"HalfStorage": np.float16, "FloatStorage": np.float32}
CHUNK_PIXELS = 512   # pixels per matrix product within a band (whole grid rows, at least one): its product and
                     # running sum stay in the core's L2 cache (docs/cloak.md, "Time and memory")
CHUNK_TILES = 256    # 2x2 output tiles per Winograd chunk within a band (whole tile rows, at least one)


# --- reading a checkpoint without torch -------------------------------------------------------

@dataclass(frozen=True)
class _StorageType:
    dtype: type


@dataclass(frozen=True)
class _Storage:
    """A storage as read from the archive: flat, little-endian. Only this may back a tensor: a rebuilt tensor
    passed as another's storage would have its own shape and be read out of bounds."""
    flat: np.ndarray


MAX_STORAGE_BYTES = 64 << 20     # one tensor's storage; the cloak's largest is 2.6 MB


class _RestrictedUnpickler(pickle.Unpickler):
    """Rebuilds a state dict of tensors; any other global is refused."""

    def __init__(self, file, archive: zipfile.ZipFile, prefix: str) -> None:
        super().__init__(file)
        self._archive = archive
        self._prefix = prefix

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return self._rebuild_tensor
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(_STORAGE_DTYPES[name])
        raise pickle.UnpicklingError(f"refused global {module}.{name}")

    def persistent_load(self, pid: Any) -> np.ndarray:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType) and isinstance(pid[2], str)
                and isinstance(pid[4], int)):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        _, kind, key, _location, numel = pid
        if not key.isdigit():
            raise pickle.UnpicklingError(f"bad storage key {key!r}")
        dtype = np.dtype(kind.dtype).newbyteorder("<")
        expected = numel * dtype.itemsize
        name = f"{self._prefix}/data/{key}"
        # Sizes before reading: a zip-bombed storage would otherwise be inflated whole before its length is seen.
        if not 0 <= expected <= MAX_STORAGE_BYTES or self._archive.getinfo(name).file_size != expected:
            raise pickle.UnpicklingError(f"storage {key} is not the {expected} bytes its tensor says")
        with self._archive.open(name) as member:
            raw = member.read(expected + 1)       # the header's size may lie: never more than one byte past it
        if len(raw) != expected:
            raise pickle.UnpicklingError(f"storage {key} has {len(raw)} bytes, expected {expected}")
        return _Storage(np.frombuffer(raw, dtype=dtype))

    @staticmethod
    def _rebuild_tensor(storage: Any, offset: Any, size: Any, stride: Any, *_rest: Any) -> np.ndarray:
        if not (isinstance(storage, _Storage) and isinstance(offset, int)
                and isinstance(size, tuple) and isinstance(stride, tuple) and len(size) == len(stride)
                and all(isinstance(v, int) and v >= 0 for v in size + stride + (offset,))):
            raise pickle.UnpicklingError("malformed tensor")
        flat = storage.flat
        if math.prod(size) > flat.size:
            raise pickle.UnpicklingError("tensor has more elements than its storage")
        last = offset + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else offset
        if last >= flat.size and all(size):
            raise pickle.UnpicklingError("tensor reaches past its storage")
        view = np.lib.stride_tricks.as_strided(
            flat[offset:], shape=size, strides=[s * flat.itemsize for s in stride], writeable=False)
        return view.astype(np.float32)


def load_state_dict(source: Path | bytes) -> dict[str, np.ndarray]:
    """The tensors of a PyTorch zip checkpoint (a path, or its bytes), as float32 arrays by key.

    Raises ``StateError("model_damaged")`` if it is not such a checkpoint or
    asks for anything but tensors.
    """
    path = "<bytes>" if isinstance(source, bytes) else str(source)
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as archive:
            pickles = [n for n in archive.namelist() if n.endswith("/data.pkl")]
            if len(pickles) != 1:
                raise pickle.UnpicklingError("no single data.pkl in the archive")
            prefix = pickles[0][: -len("/data.pkl")]
            byteorder = f"{prefix}/byteorder"
            if byteorder in archive.namelist() and archive.read(byteorder).strip() != b"little":
                raise pickle.UnpicklingError("big-endian checkpoint")
            with archive.open(pickles[0]) as handle:
                state = _RestrictedUnpickler(handle, archive, prefix).load()
    except Exception as exc:     # noqa: BLE001 -- zipfile, zlib, pickle and numpy raise many types on hostile bytes
        raise StateError("model_damaged", path=path, reason=f"{type(exc).__name__}: {exc}") from exc
    if not (isinstance(state, dict) and all(isinstance(k, str) and isinstance(v, np.ndarray)
                                            for k, v in state.items())):
        raise StateError("model_damaged", path=path, reason="not a state dict of tensors")
    return dict(state)


# --- layers: forward, and backward to the input ---------------------------------------------

class Bands:
    """Runs work over consecutive bands of rows, one thread each: ``count`` bands (default: one per core, at
    most 8). The threads start on first use and end when the ``Bands`` is dropped; one ``Bands`` belongs to the
    networks of one model, so nothing of it is the module's."""

    def __init__(self, count: int | None = None) -> None:
        self.count = max(1, min(8, os.cpu_count() or 1)) if count is None else count
        self._pool: ThreadPoolExecutor | None = None

    def run(self, rows: int, work: Callable[[int, int], None]) -> None:
        """Calls ``work(first, stop)`` for each band of ``rows`` rows, in parallel when there are several."""
        bounds = np.linspace(0, rows, min(self.count, rows) + 1).astype(int)
        if len(bounds) == 2:
            work(0, rows)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.count, thread_name_prefix="omamori-conv")
        for done in [self._pool.submit(work, a, b) for a, b in zip(bounds[:-1], bounds[1:])]:
            done.result()


ONE_BAND = Bands(1)   # no threads: for a layer made on its own (tests); the builders pass the model's bands


class Conv:
    """A k x k convolution (k = 1 or 3, zero padding k // 2), channels last."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray | None, *, stride: int = 1,
                 bands: Bands = ONE_BAND) -> None:
        cout, cin, k, k2 = weight.shape
        if k != k2 or k not in (1, 3) or stride not in (1, 2):
            raise ValueError(f"unsupported conv {weight.shape} stride {stride}")
        # taps[t] is the (cin, cout) matrix of kernel position t = dy * k + dx
        self.taps = np.ascontiguousarray(weight.transpose(2, 3, 1, 0).reshape(k * k, cin, cout))
        self.taps_t = np.ascontiguousarray(self.taps.transpose(0, 2, 1))
        self.bias = bias
        self.k, self.stride, self.bands = k, stride, bands
        if k == 3 and stride == 1:   # the kernel and its 180-degree turn, for Winograd forward and backward
            self.transformed = _winograd_kernel(self.taps)
            self.transformed_t = _winograd_kernel(self.taps_t[::-1])

    def forward(self, x: np.ndarray, tape: list | None) -> np.ndarray:
        h, w, cin = x.shape
        if tape is not None:
            tape.append((h, w))
        if self.k == 3:
            if self.stride == 1:
                return _winograd3x3(x, self.transformed, self.bias, self.bands)
            return _conv3x3_stride2(x, self.taps, self.bias, self.bands)
        y = (x.reshape(-1, cin) @ self.taps[0]).reshape(h, w, -1)
        if self.bias is not None:
            y = y + self.bias
        return np.ascontiguousarray(y, dtype=np.float32)

    def backward(self, g: np.ndarray, tape: list) -> np.ndarray:
        h, w = tape.pop()
        cout = g.shape[2]
        if self.k == 1:
            return (g.reshape(-1, cout) @ self.taps_t[0]).reshape(h, w, -1)
        if self.stride == 1:
            return _winograd3x3(g, self.transformed_t, None, self.bands)
        return _conv3x3_stride2_backward(g, self.taps_t, h, w, self.bands)


def _zero_padded(x: np.ndarray, rows: int, cols: int, bands: Bands) -> np.ndarray:
    """rows x cols x C float32 with ``x`` at [1:h+1, 1:w+1] and zeros around it (filled in row bands)."""
    h, w, c = x.shape
    padded = np.empty((rows, cols, c), np.float32)
    padded[0] = padded[h + 1:] = 0

    def fill(first: int, stop: int) -> None:
        band = padded[first + 1:stop + 1]
        band[:, 0] = band[:, w + 1:] = 0
        band[:, 1:w + 1] = x[first:stop]

    bands.run(h, fill)
    return padded


def _shifted_products(terms: list[tuple[np.ndarray, int, np.ndarray]], *, rows: int, width: int, keep: int,
                      bands: Bands, bias: np.ndarray | None = None) -> np.ndarray:
    """rows x keep x Cout float32: for each pixel p = r * width + c of a rows x width grid (c < keep), the sum
    over ``terms`` (source, start, matrix) of source[start + p] @ matrix, where each source is an image
    flattened to pixel rows (N x Cin) long enough for every term.

    A stride-2 3x3 convolution and its input gradient are this with one term per kernel position, each a
    contiguous slice of a phase of the zero-padded image (no im2col copy); the columns past ``keep`` are the
    padding's, computed and dropped.
    Row bands run in a thread each; within a band, CHUNK_PIXELS pixels at a time.
    """
    cout = terms[0][2].shape[1]
    result = np.empty((rows, keep, cout), np.float32)
    step = max(1, CHUNK_PIXELS // width)          # grid rows per chunk
    (first_source, first_start, first_matrix), *rest = terms

    def band(first: int, stop: int) -> None:
        total, product = (np.empty((step * width, cout), np.float32) for _ in range(2))
        for row in range(first, stop, step):
            end = min(row + step, stop)
            a, b = row * width, end * width
            np.matmul(first_source[first_start + a:first_start + b], first_matrix, out=total[:b - a])
            for source, start, matrix in rest:
                total[:b - a] += np.matmul(source[start + a:start + b], matrix, out=product[:b - a])
            kept = total[:b - a].reshape(end - row, width, cout)[:, :keep]
            if bias is None:
                result[row:end] = kept
            else:
                np.add(kept, bias, out=result[row:end])

    bands.run(rows, band)
    return result


# Winograd F(2x2, 3x3) (Lavin and Gray 2016): a 2x2 output tile is A^T [(G g G^T) * (B^T d B)] A for the 4x4
# input tile d around it, so 16 products of (tiles, Cin) by (Cin, Cout) matrices replace 36 (2.25x fewer).
_WINOGRAD_G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])


def _winograd_kernel(taps: np.ndarray) -> np.ndarray:
    """(16, Cin, Cout) float32 G g G^T of taps (9, Cin, Cout) (tap t = dy * 3 + dx), in the order
    ``_winograd3x3`` reads it: position 4 * column + row."""
    kernel = taps.astype(np.float64).reshape(3, 3, *taps.shape[1:])
    return np.einsum("ay,bx,yxio->baio", _WINOGRAD_G, _WINOGRAD_G, kernel).reshape(16, *taps.shape[1:]).astype(
        np.float32)


def _column_phases(x: np.ndarray, rows: int, pairs: int, bands: Bands) -> np.ndarray:
    """rows x 2 x pairs x C float32: the zero-padded image (``x`` at [1:h+1, 1:w+1]) with its columns split by
    parity, [r, p, j] = padded[r, 2 j + p], so that a Winograd tile's columns are contiguous slices."""
    h, w, c = x.shape
    phases = np.empty((rows, 2, pairs, c), np.float32)
    phases[0] = phases[h + 1:] = 0

    def fill(first: int, stop: int) -> None:
        band = phases[first + 1:stop + 1]
        band[:, 0, 0] = 0
        band[:, 0, 1:w // 2 + 1] = x[first:stop, 1::2]       # padded column 2 j is the image's 2 j - 1
        band[:, 0, w // 2 + 1:] = 0
        band[:, 1, :(w + 1) // 2] = x[first:stop, 0::2]      # padded column 2 j + 1 is the image's 2 j
        band[:, 1, (w + 1) // 2:] = 0

    bands.run(h, fill)
    return phases


def _winograd3x3(x: np.ndarray, transformed: np.ndarray, bias: np.ndarray | None, bands: Bands) -> np.ndarray:
    """3x3 convolution with zero padding 1 of HxWxCin, the kernel given as ``_winograd_kernel``: HxWxCout float32.

    Row bands of 2x2 output tiles run in a thread each; within a band, CHUNK_TILES tiles at a time: B^T d B
    by additions over the rows, then over the columns (contiguous slices of ``_column_phases``), the 16
    products in one batched matmul, A^T m A by additions, the last written into the result.
    """
    h, w, cin = x.shape
    cout = transformed.shape[2]
    tile_rows, tile_cols = (h + 1) // 2, (w + 1) // 2
    phases = _column_phases(x, 2 * tile_rows + 2, tile_cols + 1, bands)
    result = np.empty((2 * tile_rows, 2 * tile_cols, cout), np.float32)
    step = max(1, CHUNK_TILES // tile_cols)       # tile rows per chunk

    def band(first: int, stop: int) -> None:
        across = np.empty((4, step, 2, tile_cols + 1, cin), np.float32)    # B^T d: [row position, tile row, ...]
        inputs = np.empty((4, 4, step, tile_cols, cin), np.float32)        # B^T d B: [column, row position, ...]
        products = np.empty((16, step * tile_cols, cout), np.float32)
        down = np.empty((2, 4, step, tile_cols, cout), np.float32)         # A^T m: [output row, column, ...]
        for row in range(first, stop, step):
            n = min(step, stop - row)
            r0, r1, r2, r3 = (phases[2 * row + k:2 * (row + n) + k:2] for k in range(4))
            t = across[:, :n]
            np.subtract(r0, r2, out=t[0])
            np.add(r1, r2, out=t[1])
            np.subtract(r2, r1, out=t[2])
            np.subtract(r1, r3, out=t[3])
            c0, c1, c2, c3 = t[:, :, 0, :-1], t[:, :, 1, :-1], t[:, :, 0, 1:], t[:, :, 1, 1:]
            v = inputs[:, :, :n]
            np.subtract(c0, c2, out=v[0])
            np.add(c1, c2, out=v[1])
            np.subtract(c2, c1, out=v[2])
            np.subtract(c1, c3, out=v[3])
            m = products[:, :n * tile_cols]
            np.matmul(v.reshape(16, n * tile_cols, cin), transformed, out=m)
            m = m.reshape(4, 4, n, tile_cols, cout)
            if bias is not None:     # position (1, 1) enters all four outputs of a tile with sign +1
                m[1, 1] += bias
            s = down[:, :, :n]
            np.add(m[:, 0], m[:, 1], out=s[0])
            s[0] += m[:, 2]
            np.subtract(m[:, 1], m[:, 2], out=s[1])
            s[1] -= m[:, 3]
            out = result[2 * row:2 * (row + n)].reshape(n, 2, tile_cols, 2, cout).transpose(3, 1, 0, 2, 4)
            np.add(s[:, 0], s[:, 1], out=out[0])
            out[0] += s[:, 2]
            np.subtract(s[:, 1], s[:, 2], out=out[1])
            out[1] -= s[:, 3]

    bands.run(tile_rows, band)
    if result.shape[:2] == (h, w):
        return result
    return np.ascontiguousarray(result[:h, :w])


def _phases(padded: np.ndarray, bands: Bands) -> list[np.ndarray]:
    """The four 2x2 phases of an even-sized padded image, [(0, 0), (0, 1), (1, 0), (1, 1)], each flattened to
    pixel rows with one zero row below (what the shifted slices of a stride-2 convolution read)."""
    rows, cols, c = padded.shape[0] // 2, padded.shape[1] // 2, padded.shape[2]
    phases = [np.empty((rows + 1, cols, c), np.float32) for _ in range(4)]
    for phase in phases:
        phase[rows] = 0

    def copy(first: int, stop: int) -> None:
        for index, phase in enumerate(phases):
            py, px = divmod(index, 2)
            phase[first:stop] = padded[2 * first + py:2 * stop + py:2, px::2]

    bands.run(rows, copy)
    return [phase.reshape(-1, c) for phase in phases]


def _conv3x3_stride2(x: np.ndarray, taps: np.ndarray, bias: np.ndarray | None, bands: Bands) -> np.ndarray:
    """3x3 convolution with stride 2 and zero padding 1 of HxWxCin: ceil(H/2) x ceil(W/2) x Cout float32.

    Kernel position (dy, dx) reads phase (dy % 2, dx % 2) of the padded image shifted by (dy // 2, dx // 2),
    so it is a stride-1 sum of shifted products over the four phases.
    """
    h, w, _ = x.shape
    ho, wo = (h + 1) // 2, (w + 1) // 2
    phases = _phases(_zero_padded(x, 2 * ho + 2, 2 * wo + 2, bands), bands)
    terms = [(phases[2 * (dy % 2) + dx % 2], (dy // 2) * (wo + 1) + dx // 2, taps[3 * dy + dx])
             for dy in range(3) for dx in range(3)]
    return _shifted_products(terms, rows=ho, width=wo + 1, keep=wo, bands=bands, bias=bias)


def _conv3x3_stride2_backward(g: np.ndarray, taps_t: np.ndarray, h: int, w: int, bands: Bands) -> np.ndarray:
    """HxWxCin gradient of ``_conv3x3_stride2``'s input from ``g`` (ho x wo x Cout) and the transposed taps.

    Each phase (py, px) of the padded input's gradient gathers the kernel positions of that parity:
    g shifted back by (dy // 2, dx // 2), times the transposed tap.
    """
    ho, wo, cout = g.shape
    flat = _zero_padded(g, ho + 3, wo + 2, bands).reshape(-1, cout)
    grad = np.empty((2 * ho + 2, 2 * wo + 2, taps_t.shape[2]), np.float32)
    for py in (0, 1):
        for px in (0, 1):
            terms = [(flat, (1 - dy // 2) * (wo + 2) + 1 - dx // 2, taps_t[3 * dy + dx])
                     for dy in range(py, 3, 2) for dx in range(px, 3, 2)]
            grad[py::2, px::2] = _shifted_products(terms, rows=ho + 1, width=wo + 2, keep=wo + 1, bands=bands)
    return np.ascontiguousarray(grad[1:h + 1, 1:w + 1])


class ReLU:
    """max(x, 0), in row bands like the convolutions (at full size it is memory-bound work worth two cores)."""

    def __init__(self, *, bands: Bands = ONE_BAND) -> None:
        self.bands = bands

    def forward(self, x: np.ndarray, tape: list | None) -> np.ndarray:
        y = np.empty_like(x)
        positive = None if tape is None else np.empty(x.shape, bool)

        def work(first: int, stop: int) -> None:
            np.maximum(x[first:stop], 0, out=y[first:stop])
            if positive is not None:
                np.greater(x[first:stop], 0, out=positive[first:stop])

        self.bands.run(x.shape[0], work)
        if tape is not None:
            tape.append(positive)
        return y

    def backward(self, g: np.ndarray, tape: list) -> np.ndarray:
        positive, grad = tape.pop(), np.empty_like(g)

        def work(first: int, stop: int) -> None:
            np.multiply(g[first:stop], positive[first:stop], out=grad[first:stop])

        self.bands.run(g.shape[0], work)
        return grad


class GroupNorm:
    """GroupNorm over all positions and the channels of each group (eps 1e-5)."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray, *, groups: int) -> None:
        self.weight, self.bias, self.groups = weight, bias, groups

    def forward(self, x: np.ndarray, tape: list | None) -> np.ndarray:
        h, w, c = x.shape
        grouped = x.reshape(h * w, self.groups, c // self.groups)
        mean = grouped.mean(axis=(0, 2), keepdims=True)
        centred = grouped - mean
        inv_std = 1.0 / np.sqrt((centred * centred).mean(axis=(0, 2), keepdims=True) + GROUPNORM_EPS)
        normed = (centred * inv_std).reshape(h, w, c)
        if tape is not None:
            tape.append((normed, inv_std))
        return normed * self.weight + self.bias

    def backward(self, g: np.ndarray, tape: list) -> np.ndarray:
        normed, inv_std = tape.pop()
        h, w, c = g.shape
        gn = (g * self.weight).reshape(h * w, self.groups, c // self.groups)
        nn = normed.reshape(gn.shape)
        grad = inv_std * (gn - gn.mean(axis=(0, 2), keepdims=True) - nn * (gn * nn).mean(axis=(0, 2), keepdims=True))
        return grad.reshape(h, w, c).astype(np.float32)


class Sequence:
    def __init__(self, layers: list) -> None:
        self.layers = layers

    def forward(self, x: np.ndarray, tape: list | None) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x, tape)
        return x

    def backward(self, g: np.ndarray, tape: list) -> np.ndarray:
        for layer in reversed(self.layers):
            g = layer.backward(g, tape)
        return g


class Block:
    """relu(convs(x') + x') where x' = x + branch(x) if the block has a global branch."""

    def __init__(self, convs: Sequence, branch: Sequence | None, *, bands: Bands = ONE_BAND) -> None:
        self.convs, self.branch, self.fuse = convs, branch, ReLU(bands=bands)

    def forward(self, x: np.ndarray, tape: list | None) -> np.ndarray:
        if self.branch is not None:
            x = x + self.branch.forward(x, tape)
        return self.fuse.forward(self.convs.forward(x, tape) + x, tape)

    def backward(self, g: np.ndarray, tape: list) -> np.ndarray:
        g = self.fuse.backward(g, tape)
        g = g + self.convs.backward(g, tape)
        if self.branch is not None:
            g = g + self.branch.backward(g, tape)
        return g


class SoftClamp:
    """3 tanh(x / 3): the decoder's bound on latents."""

    def forward(self, x: np.ndarray, tape: list | None) -> np.ndarray:
        t = np.tanh(x / 3.0).astype(np.float32)
        if tape is not None:
            tape.append(t)
        return 3.0 * t

    def backward(self, g: np.ndarray, tape: list) -> np.ndarray:
        t = tape.pop()
        return g * (1 - t * t)


class Upsample:
    """Nearest-neighbour x2."""

    def forward(self, x: np.ndarray, tape: list | None) -> np.ndarray:
        return x.repeat(2, axis=0).repeat(2, axis=1)

    def backward(self, g: np.ndarray, tape: list) -> np.ndarray:
        h, w, c = g.shape
        return g.reshape(h // 2, 2, w // 2, 2, c).sum(axis=(1, 3))


class Network(Sequence):
    """A whole encoder or decoder: ``forward(x, tape)``, ``backward(g, tape)``.

    BLAS runs single-threaded inside: the convolutions make their own threads.
    """

    def forward(self, x: np.ndarray, tape: list | None) -> np.ndarray:
        with threadpool_limits(limits=1, user_api="blas"):
            return super().forward(x, tape)

    def backward(self, g: np.ndarray, tape: list) -> np.ndarray:
        with threadpool_limits(limits=1, user_api="blas"):
            return super().backward(g, tape)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(np.asarray(x, np.float32), None)


def multiply_adds(layer, area: float = 1.0) -> tuple[float, float]:
    """Multiply-adds of ``layer``'s convolutions per pixel of its input, and the area of its output relative to
    that input (a stride-2 convolution quarters it, an upsampling quadruples it): a model's work without running
    it, to weigh models that cost very different amounts per pixel."""
    if isinstance(layer, Conv):
        area /= layer.stride * layer.stride
        return area * layer.taps.size, area
    if isinstance(layer, Upsample):
        return 0.0, area * 4
    if isinstance(layer, Block):         # its branch and its convolutions both read its input
        parts, in_turn = [part for part in (layer.branch, layer.convs) if part is not None], False
    elif isinstance(layer, Sequence):
        parts, in_turn = layer.layers, True
    else:                                # ReLU, GroupNorm, SoftClamp: no products
        return 0.0, area
    total = 0.0
    for part in parts:
        work, after = multiply_adds(part, area)
        total += work
        area = after if in_turn else area
    return total, area


# --- building the TAESD layout from a state dict --------------------------------------------

def _conv(state: dict, key: str, bands: Bands, *, stride: int = 1) -> Conv:
    return Conv(state[f"{key}.weight"], state.get(f"{key}.bias"), stride=stride, bands=bands)


def _block(state: dict, index: int, bands: Bands) -> Block:
    convs = Sequence([_conv(state, f"{index}.conv.0", bands), ReLU(bands=bands), _conv(state, f"{index}.conv.2", bands),
                      ReLU(bands=bands), _conv(state, f"{index}.conv.4", bands)])
    if f"{index}.skip.weight" in state:
        raise ValueError("blocks with a projection skip are not of this layout")
    branch = None
    if f"{index}.pool.0.weight" in state:
        branch = Sequence([_conv(state, f"{index}.pool.0", bands),
                           GroupNorm(state[f"{index}.pool.1.weight"], state[f"{index}.pool.1.bias"], groups=4),
                           ReLU(bands=bands), _conv(state, f"{index}.pool.3", bands)])
    return Block(convs, branch, bands=bands)


_DOWN = ("conv/2", "block", "block", "block")     # a stride-2 conv (no bias) and three blocks at the new scale
# The encoders' layer sequences (taesd.py's Encoder and F32Encoder); a layer's index is its state-dict key.
ENCODER_LAYOUTS: dict[str, tuple[str, ...]] = {
    "taesd": ("conv", "block") + _DOWN * 3 + ("conv",),
    "f32": ("conv/2", "relu", "conv/2", "relu", "block") + _DOWN * 3 + ("conv",),
}


def build_encoder(state: dict[str, np.ndarray], *, bands: Bands, layout: str = "taesd") -> Network:
    """The encoder of ``layout`` (``ENCODER_LAYOUTS``) from its state dict, its layers computed in ``bands``."""
    try:
        layers = [ReLU(bands=bands) if kind == "relu" else _block(state, index, bands) if kind == "block"
                  else _conv(state, str(index), bands, stride=2 if kind == "conv/2" else 1)
                  for index, kind in enumerate(ENCODER_LAYOUTS[layout])]
    except (KeyError, ValueError) as exc:
        raise StateError("model_damaged", reason=f"encoder layout {layout}: {exc}") from exc
    return Network(layers)


def build_decoder(state: dict[str, np.ndarray], *, bands: Bands) -> Network:
    """The TAESD decoder (8x nearest upsampling) from its state dict, its layers computed in ``bands``."""
    try:
        layers: list = [SoftClamp(), _conv(state, "1", bands), ReLU(bands=bands)] + [_block(state, i, bands)
                                                                                    for i in (3, 4, 5)]
        for up in (6, 11, 16):
            layers += [Upsample(), _conv(state, str(up + 1), bands)]
            layers += [_block(state, i, bands) for i in ((up + 2, up + 3, up + 4) if up < 16 else (up + 2,))]
        layers.append(_conv(state, "19", bands))
    except (KeyError, ValueError) as exc:
        raise StateError("model_damaged", reason=f"decoder layout: {exc}") from exc
    return Network(layers)
