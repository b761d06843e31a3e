"""Which tiny encoders the cloak can use, where their weights live, how they are fetched.

A model is data: a ``ModelSpec`` names its checkpoint files (an encoder, and a
decoder when upstream publishes one) with their size and SHA-256, the
encoder's layout, the commit of the public repository they come from, and the
latent space they stand for. ``REGISTRY`` is the table of them (``omamori
models list``); the cloak needs ``CLOAK_MODEL`` and also attacks every other
model that is installed (``load_installed``). The folder the files live in
is the caller's (the host's ``Paths.models``), never looked up here.

Weights are never trusted by name: every file is checked against its pinned
SHA-256 when it is fetched and again when it is loaded.
"""
from __future__ import annotations

import hashlib
import os
import stat
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..atomic import write_atomic
from ..errors import StateError
from .tinyvae import Bands, Network, build_decoder, build_encoder, load_state_dict, multiply_adds

DOWNLOAD_TIMEOUT = 30.0   # seconds per network read
# seconds for a whole fetch: 5.4 MB at 0.5 Mbit/s. Without it a server sending a byte every few seconds would
# hold the fetch for weeks, each read well within DOWNLOAD_TIMEOUT.
FETCH_DEADLINE = 180.0
_READ_SIZE = 1 << 16


@dataclass(frozen=True)
class WeightFile:
    name: str
    size: int      # bytes
    sha256: str


@dataclass(frozen=True)
class ModelSpec:
    name: str
    latent_space: str      # the big model whose VAE this one imitates
    encoder: WeightFile
    decoder: WeightFile | None   # None: upstream publishes the encoder alone (the cloak then moves its latent)
    layout: str            # the encoder's layer sequence, a key of tinyvae.ENCODER_LAYOUTS
    upstream: str          # URL prefix the file names are appended to (a pinned commit)
    licence: str

    @property
    def files(self) -> tuple[WeightFile, ...]:
        return (self.encoder,) if self.decoder is None else (self.encoder, self.decoder)


UPSTREAM = "https://raw.githubusercontent.com/madebyollin/taesd/5cccb12dc72074a4be35680c3b108548a7c69978/"


REGISTRY: tuple[ModelSpec, ...] = (
    ModelSpec(
        name="taef2",
        latent_space="FLUX.2",
        encoder=WeightFile("taef2_encoder.pth", 2704692,
                           "10a4e1021e89d7551eaf161352da8dbd0b1aa83872ae28b150c1df1ce2f147b6"),
        decoder=WeightFile("taef2_decoder.pth", 2704756,
                           "0a44a31e1ae59eb9dbf9359d24942fd3ef5928162c1800d97a28c61d51be0ab5"),
        layout="taesd",
        upstream=UPSTREAM,
        licence="MIT (madebyollin/taesd)",
    ),
    # Its decoder is not in the pinned snapshot this was built from: the cloak moves its latent.
    ModelSpec(
        name="taesana",
        latent_space="Sana",
        encoder=WeightFile("taesana_encoder.pth", 2537004,
                           "858f4e4cc293f88efaf58107f4154b960b9ced0cb5d9c050dad11f926b618c1f"),
        decoder=None,
        layout="f32",
        upstream=UPSTREAM,
        licence="MIT (madebyollin/taesd)",
    ),
)
CLOAK_MODEL = REGISTRY[0]     # the model the cloak needs (its family, the preview) and ``omamori models fetch`` installs


def spec_named(name: str) -> ModelSpec:
    """The registry's model called ``name``; ``KeyError`` when there is none."""
    for spec in REGISTRY:
        if spec.name == name:
            return spec
    raise KeyError(name)


@dataclass(frozen=True)
class TinyVAE:
    spec: ModelSpec
    encoder: Network           # image HxWx3 in [0, 1] -> latent (H/f)x(W/f)xC (f: 8 or 32)
    decoder: Network | None    # latent -> image (clip to [0, 1] to view); None for an encoder alone

    @property
    def multiply_adds_per_pixel(self) -> float:
        """The convolutions' multiply-adds of one pass forward, encoder then decoder, per image pixel."""
        work, latent_area = multiply_adds(self.encoder)
        return work + (multiply_adds(self.decoder, latent_area)[0] if self.decoder is not None else 0.0)

    @property
    def downscale(self) -> int:
        """Pixels per latent along a side: 8 for taef2, 32 for Sana's encoder."""
        return round(multiply_adds(self.encoder)[1] ** -0.5)


def is_installed(spec: ModelSpec, models_dir: Path) -> bool:
    """Every file of ``spec`` is in ``models_dir`` with its expected size (hashes are checked on load)."""
    return all((models_dir / f.name).is_file() and (models_dir / f.name).stat().st_size == f.size
               for f in spec.files)


def _checked(data: bytes, wanted: WeightFile, origin: str) -> bytes:
    digest = hashlib.sha256(data).hexdigest()
    if len(data) != wanted.size or digest != wanted.sha256:
        raise StateError("model_damaged", file=wanted.name, origin=origin, sha256=digest, expected=wanted.sha256)
    return data


def _download(url: str, wanted: WeightFile, *, deadline: float) -> bytes:
    """At most one byte more than ``wanted.size`` from ``url`` (one more reveals a wrong file), all of it
    before ``deadline`` (``time.monotonic()``); a read may still take ``DOWNLOAD_TIMEOUT`` past it."""
    received = bytearray()
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response:
            while len(received) <= wanted.size:
                if time.monotonic() > deadline:
                    raise StateError("model_download_failed", url=url, reason="not complete in time (a slow server)")
                chunk = response.read1(min(_READ_SIZE, wanted.size + 1 - len(received)))
                if not chunk:
                    break
                received += chunk
    except urllib.error.HTTPError as exc:
        raise StateError("model_download_failed", url=url, reason=f"HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise StateError("model_download_failed", url=url, reason=str(getattr(exc, "reason", exc))) from exc
    return bytes(received)


def _read_local(path: Path, wanted: WeightFile) -> bytes:
    """``path``'s bytes, if it is a regular file of ``wanted.size`` bytes (checked before reading: a link to
    /dev/zero or a pipe would be read for ever)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))   # a FIFO must not wait for a writer
    except OSError as exc:
        raise StateError("model_missing", path=str(path), reason=exc.strerror or str(exc)) from exc
    with os.fdopen(fd, "rb") as handle:
        status = os.fstat(handle.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise StateError("model_damaged", file=wanted.name, origin=str(path), reason="not a regular file")
        if status.st_size != wanted.size:
            raise StateError("model_damaged", file=wanted.name, origin=str(path),
                             reason=f"{status.st_size} bytes, expected {wanted.size}")
        return handle.read(wanted.size + 1)


def fetch(spec: ModelSpec, *, models_dir: Path, source: str | Path | None = None,
          report: Callable[[str], None] | None = None, deadline: float = FETCH_DEADLINE) -> list[Path]:
    """Put ``spec``'s files into ``models_dir``, each checked against its pinned SHA-256.

    ``source`` is None (the public upstream), an ``http(s)://`` URL prefix, or a
    local folder holding the files (regular files only). Each file is written
    atomically and only after its hash matched, so a failed or tampered fetch
    leaves nothing behind. Files already present with the right hash are kept.
    A download must end within ``deadline`` seconds, all files together.
    """
    folder = Path(models_dir)
    ends = time.monotonic() + deadline
    written = []
    for wanted in spec.files:
        target = folder / wanted.name
        if target.is_file() and target.stat().st_size == wanted.size:
            try:
                _checked(target.read_bytes(), wanted, str(target))
                written.append(target)
                continue
            except StateError:
                pass   # a damaged copy is replaced below
        if source is None or (isinstance(source, str) and source.startswith(("http://", "https://"))):
            prefix = spec.upstream if source is None else source.rstrip("/") + "/"
            origin = prefix + wanted.name
            data = _download(origin, wanted, deadline=ends)
        else:
            origin = str(Path(source) / wanted.name)
            data = _read_local(Path(origin), wanted)
        write_atomic(target, _checked(data, wanted, origin), mode=0o644)
        if report is not None:
            report(f"{wanted.name} {wanted.size} B sha256 ok <- {origin}")
        written.append(target)
    return written


def load(spec: ModelSpec, *, models_dir: Path, bands: Bands | None = None) -> TinyVAE:
    """The model's encoder and decoder (if it has one) from ``models_dir``, after checking the files' hashes;
    their layers run in ``bands`` (default: a thread per core, the model's own).

    Raises ``StateError("model_missing")`` when a file is absent (fetch it with
    ``omamori models fetch``) and ``StateError("model_damaged")`` when its hash
    or content is wrong.
    """
    folder = Path(models_dir)
    states = []
    for wanted in spec.files:
        path = folder / wanted.name
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise StateError("model_missing", path=str(path)) from exc
        except OSError as exc:
            raise StateError("model_damaged", path=str(path), reason=exc.strerror or str(exc)) from exc
        states.append(load_state_dict(_checked(data, wanted, str(path))))
    bands = Bands() if bands is None else bands
    return TinyVAE(spec, build_encoder(states[0], bands=bands, layout=spec.layout),
                   None if spec.decoder is None else build_decoder(states[1], bands=bands))


def load_installed(models_dir: Path) -> tuple[TinyVAE, ...]:
    """``CLOAK_MODEL`` (raising as ``load`` does), then every other registry model installed in ``models_dir``,
    all computing in one ``Bands``: the models the cloak attacks."""
    bands = Bands()
    return tuple(load(spec, models_dir=models_dir, bands=bands) for spec in REGISTRY
                 if spec is CLOAK_MODEL or is_installed(spec, models_dir))
