"""Where omamori keeps its files, per OS (platformdirs), in one place.

``OMAMORI_HOME`` puts everything under one folder instead: tests use it, and so
can a user who wants a portable setup. ``OMAMORI_MODELS`` names another folder
for the cloak's model files (tests share one fetched copy). Both are read here
only, once, by ``default_paths``; everything else is handed a ``Paths``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP = "omamori"


@dataclass(frozen=True)
class Paths:
    config: Path   # key, settings (owner-only)
    data: Path     # ledger, venv, models
    log: Path      # host log: stdout belongs to the protocol
    models: Path | None = None   # the cloak's model files; left out: data/models

    def __post_init__(self) -> None:
        if self.models is None:
            object.__setattr__(self, "models", self.data / "models")

    @property
    def key_file(self) -> Path:
        return self.config / "key"

    @property
    def c2pa(self) -> Path:
        """The C2PA signing certificate made for the user (c2pa_manifest.py)."""
        return self.config / "c2pa"

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"

    @property
    def ledger_file(self) -> Path:
        return self.data / "ledger.sqlite3"

    @property
    def host_log_file(self) -> Path:
        return self.log / "host.log"


def default_paths() -> Paths:
    home = os.environ.get("OMAMORI_HOME")
    models = os.environ.get("OMAMORI_MODELS")
    if home:
        root = Path(home)
        return Paths(config=root / "config", data=root / "data", log=root / "log",
                     models=Path(models) if models else None)
    return Paths(
        config=Path(platformdirs.user_config_dir(APP, appauthor=False)),
        data=Path(platformdirs.user_data_dir(APP, appauthor=False)),
        log=Path(platformdirs.user_log_dir(APP, appauthor=False)),
        models=Path(models) if models else None,
    )
