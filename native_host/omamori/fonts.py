"""Finding a font that can draw the user's signature (Japanese included).

Order of search: the font file chosen in the settings (if any: then only that
one, so a broken choice is reported rather than quietly replaced); known
Japanese-capable system fonts of Linux, macOS and Windows; the font that ships
with omamori (Noto Sans CJK JP Bold, SIL OFL 1.1, from the
``noto-cjk-sans-jp-bold`` package), so that a machine without any Japanese
font still draws the default signature; last, whatever fontconfig (``fc-list``,
where installed) says covers every character (a script none of those has). A
font is accepted only if it really has a glyph for every visible character of
the text, checked by comparing each character's rendering with the font's
"missing glyph" box. When none fits, ``StateError("font_missing")`` says so and
names the characters.
"""
from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageFont

from .errors import OmamoriError, StateError

_PROBE_SIZE = 24                  # pixels; big enough that distinct glyphs never render alike
_SURELY_MISSING = "\U0010fffd"    # a private-use code point no font maps: renders as the missing-glyph box
_FC_LIST_TIMEOUT = 5.0            # seconds
MAX_LISTED_FONTS = 200            # fonts offered to choose from: a Latin-only text matches every font a Mac has

# Known Japanese-capable fonts, bold/sans first (a signature should read at small sizes); proportional faces only
# (IPAPGothic, not IPAGothic: a monospaced Latin makes "@handle · No AI training" look typed).
_LINUX_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/ipafont-gothic/ipagp.ttf",
    "/usr/share/fonts/ipa-pgothic/ipagp.ttf",
    "/usr/share/fonts/truetype/takao-gothic/TakaoPGothic.ttf",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
_MAC_FONTS = (
    "/System/Library/Fonts/ヒラギノ角ゴシック W6.ttc",
    "/System/Library/Fonts/ヒラギノ角ゴシック W3.ttc",
    "/System/Library/Fonts/Hiragino Sans GB.ttc",
    "/System/Library/Fonts/Supplemental/Arial Unicode.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
)
_WINDOWS_FONT_FILES = ("YuGothB.ttc", "YuGothM.ttc", "meiryob.ttc", "meiryo.ttc", "msgothic.ttc")


@dataclass(frozen=True)
class FoundFont:
    """A font file (and face index in a collection) that covers the text."""

    path: str
    index: int
    family: str

    def at_size(self, size_px: int) -> ImageFont.FreeTypeFont:
        """The font loaded at ``size_px`` pixels per em."""
        return ImageFont.truetype(self.path, size=max(1, int(size_px)), index=self.index)


def find_font(text: str, *, font_path: str = "", platform: str = sys.platform,
              env: Mapping[str, str] = os.environ) -> FoundFont:
    """A font able to draw every visible character of ``text``.

    ``font_path``: the user's chosen font file ("" to search the system).
    ``platform``/``env`` default to this machine's (tests pass others).
    Raises ``StateError("font_missing")`` with the characters that no font
    could draw and the fonts tried.
    """
    needed = sorted({ch for ch in text if not ch.isspace()})
    if font_path:
        candidates: Iterator[tuple[str, int]] = iter([(font_path, 0)])
    else:
        candidates = _system_candidates(needed, platform=platform, env=env)
    tried: list[str] = []
    best_missing = "".join(needed)
    for path, index in candidates:
        tried.append(path)
        found, missing = _covering(path, index, needed)
        if found is not None:
            return found
        if missing is not None and len(missing) < len(best_missing):
            best_missing = missing
    raise StateError("font_missing", missing=best_missing, tried=tried, font_path=font_path or None)


def usable_fonts(text: str, *, platform: str = sys.platform, env: Mapping[str, str] = os.environ,
                 limit: int = MAX_LISTED_FONTS) -> list[FoundFont]:
    """The font files ``find_font`` would consider that draw every visible character of ``text``, for a person to
    choose from (``signature.font_path``), sorted by family; at most ``limit``. Only a collection's first face: the
    setting names a file, and ``find_font`` reads a chosen file's face 0."""
    needed = sorted({ch for ch in text if not ch.isspace()})
    usable, files = [], set()
    for path, index in _system_candidates(needed, platform=platform, env=env):
        file = os.path.realpath(path)        # a link to a font listed already (Debian's fonts-japanese-gothic.ttf)
        found = _covering(path, index, needed)[0] if index == 0 and file not in files else None
        if found is not None:
            files.add(file)
            usable.append(found)
            if len(usable) == limit:
                break
    return sorted(usable, key=lambda font: (font.family.casefold(), font.path))


def is_font_file(path: str) -> bool:
    """Whether ``path`` is a font file Pillow can open (a picture or a text file is not)."""
    return _covering(path, 0, [])[1] is not None


def _covering(path: str, index: int, needed: list[str]) -> tuple[FoundFont | None, str | None]:
    """(the font at ``path``/``index`` when it has a glyph for each of ``needed``, else None; the characters it
    lacks, None when it cannot be read at all)."""
    if not Path(path).is_file():      # a FIFO would block the host, a device never end
        return None, None
    try:
        font = ImageFont.truetype(path, size=_PROBE_SIZE, index=index)
    except OSError:
        return None, None
    missing = missing_glyphs(font, needed)
    return (None if missing else FoundFont(path=path, index=index, family=" ".join(font.getname()))), missing


def check_signature_text(text: str, *, font_path: str = "") -> None:
    """Raise ``OmamoriError("signature_unprintable")`` naming the characters of ``text`` no font can draw.

    Run when the signature is saved, so that a character no font has (an emoji, say) is refused there
    rather than at every image.
    """
    try:
        find_font(text, font_path=font_path)
    except StateError as error:
        if error.code != "font_missing":
            raise
        raise OmamoriError("signature_unprintable", field="signature.text", chars=error.details["missing"],
                           font_path=font_path or None) from error


def bundled_font() -> str | None:
    """The path of the font that ships with omamori, or None when its package is not installed."""
    try:
        import noto_cjk_sans_jp_bold
    except ImportError:
        return None
    path = Path(str(noto_cjk_sans_jp_bold.FONT_PATH))
    return str(path) if path.is_file() else None


def missing_glyphs(font: ImageFont.FreeTypeFont, chars) -> str:
    """The characters of ``chars`` (whitespace ignored) that ``font`` has no glyph for."""
    def rendering(ch: str) -> tuple[tuple[int, int], bytes]:
        mask = font.getmask(ch)
        return mask.size, bytes(mask)

    missing_box = rendering(_SURELY_MISSING)
    return "".join(ch for ch in dict.fromkeys(chars) if not ch.isspace() and rendering(ch) == missing_box)


def _system_candidates(needed: list[str], *, platform: str, env: Mapping[str, str]) -> Iterator[tuple[str, int]]:
    """(path, face index) of fonts worth trying, most suitable first, without repeats."""
    seen = set()
    for path, index in _known_fonts(platform=platform, env=env):
        if path not in seen and Path(path).is_file():
            seen.add(path)
            yield path, index
    bundled = bundled_font()
    for path, index in itertools.chain([(bundled, 0)] if bundled else [], _fontconfig_fonts(needed)):
        if path not in seen:
            seen.add(path)
            yield path, index


def _known_fonts(*, platform: str, env: Mapping[str, str]) -> Iterator[tuple[str, int]]:
    if platform.startswith("win"):
        folders = [Path(env.get("WINDIR", r"C:\Windows")) / "Fonts"]
        if env.get("LOCALAPPDATA"):
            folders.append(Path(env["LOCALAPPDATA"]) / "Microsoft" / "Windows" / "Fonts")
        for folder in folders:
            for name in _WINDOWS_FONT_FILES:
                yield str(folder / name), 0
    elif platform == "darwin":
        for path in _MAC_FONTS:
            yield path, 0
    else:
        for path in _LINUX_FONTS:
            yield path, 0


def _fontconfig_fonts(needed: list[str]) -> Iterator[tuple[str, int]]:
    """Fonts fontconfig says cover all of ``needed``; nothing if fc-list is absent."""
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return
    charset = " ".join(f"{ord(ch):x}" for ch in needed) or "20"
    try:
        listing = subprocess.run([fc_list, "--format", "%{file}\t%{index}\t%{style[0]}\n", f":charset={charset}"],
                                 capture_output=True, text=True, timeout=_FC_LIST_TIMEOUT, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return
    rows = [line.split("\t") for line in listing.splitlines() if line.count("\t") == 2]
    # Upright faces first: an italic signature reads worse.
    rows.sort(key=lambda row: any(word in row[2].lower() for word in ("italic", "oblique")))
    for path, index, _style in rows:
        yield path, int(index) if index.isdigit() else 0
