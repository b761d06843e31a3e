"""The cloak's model for the tests, installed as a person installs it: ``omamori models fetch --from FOLDER``.

FOLDER is ``$OMAMORI_TEST_MODELS`` (CI points it at the team's copy when one is beside the clone: .ci/run); the
fetched copy (each file checked against its pinned SHA-256) is kept in ``.pytest-models/``
for the next run. With neither, every test that needs the model is skipped with ``REASON``, which the summary
shows (pytest runs with ``-rs``): never silently. When FOLDER also holds Sana's tiny encoder
(taesana_encoder.pth), ``omamori models fetch taef2 taesana`` installs both into ``.pytest-models-all/`` for the
tests marked ``needs_sana`` (skipped with ``SANA_REASON`` otherwise).

``random_f32_state`` makes a state dict of the F32 encoder's layout (Sana's) with random weights, for the tests that
need no real file.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / ".pytest-models"
MODELS_ALL = REPO / ".pytest-models-all"


def _install(target: Path = MODELS, names: tuple[str, ...] = ()) -> str:
    """"" when ``target`` holds the models ``names`` (default: the cloak's own); else why not."""
    folder = os.environ.get("OMAMORI_TEST_MODELS")
    if not folder:
        return "the cloak's model is not installed: set OMAMORI_TEST_MODELS to a folder holding taef2_encoder.pth " \
               "and taef2_decoder.pth"
    source = Path(folder)
    if not source.is_dir():
        return (f"the cloak's model is not installed: no folder {source} to fetch it from "
                f"(set OMAMORI_TEST_MODELS to a folder holding taef2_encoder.pth and taef2_decoder.pth)")
    fetched = subprocess.run([sys.executable, "-m", "omamori.cli", "models", "fetch", *names, "--from", str(source)],
                             env={**os.environ, "OMAMORI_MODELS": str(target)}, capture_output=True, text=True,
                             timeout=120)
    if fetched.returncode != 0:
        return (f"`omamori models fetch {' '.join(names)} --from {source}` failed: "
                f"{fetched.stderr.strip() or fetched.stdout.strip()}")
    return ""


REASON = _install()
needs_model = pytest.mark.skipif(bool(REASON), reason=REASON)
SANA_REASON = REASON or (_install(MODELS_ALL, ("taef2", "taesana"))
                         if (Path(os.environ["OMAMORI_TEST_MODELS"]) / "taesana_encoder.pth").is_file()
                         else "Sana's tiny encoder is not installed: OMAMORI_TEST_MODELS holds no taesana_encoder.pth")
needs_sana = pytest.mark.skipif(bool(SANA_REASON), reason=SANA_REASON)


def random_f32_state(rng: np.random.Generator, *, channels: int = 64, latent: int = 32) -> dict[str, np.ndarray]:
    """Random float32 weights in the layout of taesd.py's F32Encoder (``channels`` wide; He-scaled, biases small),
    keyed as its state dict is: conv 3->C/2 stride 2, ReLU, conv C/2->C stride 2, ReLU, Block, then three times
    [conv stride 2 without bias, 3 Blocks], conv C->latent."""
    def conv(key: str, cout: int, cin: int, *, bias: bool = True) -> dict[str, np.ndarray]:
        weights = {f"{key}.weight": (rng.standard_normal((cout, cin, 3, 3)) * np.sqrt(2 / (9 * cin))).astype(np.float32)}
        if bias:
            weights[f"{key}.bias"] = (0.1 * rng.standard_normal(cout)).astype(np.float32)
        return weights

    def block(index: int) -> dict[str, np.ndarray]:
        # a residual block: its convs scaled down so that activations stay of unit size through 10 of them
        return {key: value * np.float32(0.5) if key.endswith("weight") else value
                for position in (0, 2, 4) for key, value in conv(f"{index}.conv.{position}", channels, channels).items()}

    state = {**conv("0", channels // 2, 3), **conv("2", channels, channels // 2), **block(4)}
    for first in (5, 9, 13):
        state.update(conv(str(first), channels, channels, bias=False))
        for index in (first + 1, first + 2, first + 3):
            state.update(block(index))
    state.update(conv("17", latent, channels))
    return state
