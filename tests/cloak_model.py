"""The cloak's model for the tests, installed as a person installs it: ``omamori models fetch --from FOLDER``.

FOLDER is ``$OMAMORI_TEST_MODELS`` (CI points it at the team's copy when one is beside the clone: .ci/run); the
fetched copy (each file checked against its pinned SHA-256) is kept in ``.pytest-models/``
for the next run. With neither, every test that needs the model is skipped with ``REASON``, which the summary
shows (pytest runs with ``-rs``): never silently.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / ".pytest-models"


def _install() -> str:
    """"" when MODELS holds the model; else why not."""
    folder = os.environ.get("OMAMORI_TEST_MODELS")
    if not folder:
        return "the cloak's model is not installed: set OMAMORI_TEST_MODELS to a folder holding taef2_encoder.pth " \
               "and taef2_decoder.pth"
    source = Path(folder)
    if not source.is_dir():
        return (f"the cloak's model is not installed: no folder {source} to fetch it from "
                f"(set OMAMORI_TEST_MODELS to a folder holding taef2_encoder.pth and taef2_decoder.pth)")
    fetched = subprocess.run([sys.executable, "-m", "omamori.cli", "models", "fetch", "--from", str(source)],
                             env={**os.environ, "OMAMORI_MODELS": str(MODELS)}, capture_output=True, text=True,
                             timeout=120)
    if fetched.returncode != 0:
        return f"`omamori models fetch --from {source}` failed: {fetched.stderr.strip() or fetched.stdout.strip()}"
    return ""


REASON = _install()
needs_model = pytest.mark.skipif(bool(REASON), reason=REASON)
