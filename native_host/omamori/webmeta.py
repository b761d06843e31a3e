"""Rights metadata for the ``--for web`` output: written into the encoded file, read back by verify.

X strips metadata, but many portfolio sites and image hosts keep it. The web
profile writes, and only this (the pipeline has already left every piece of
the original's metadata behind, GPS and camera data included):

* XMP (IPTC Core / Extension names): creator (``dc:creator``), copyright
  notice (``dc:rights``), credit line (``photoshop:Credit``), rights usage
  terms (``xmpRights:UsageTerms``), web statement of rights
  (``xmpRights:WebStatement``, when a URL is given), and the IPTC "Data
  Mining" property ``plus:DataMining`` set to the PLUS vocabulary value
  ``DMI-PROHIBITED-AIMLTRAINING`` (IPTC Photo Metadata Standard 2023.1);
* for JPEG also IPTC-IIM (APP13): by-line, copyright notice and credit in
  UTF-8, the fields older tools and CMSs (WordPress) read.

The metadata segments are inserted into the encoded bytes: the pixels (and
the invisible mark in them) are exactly those of the encode that was verified.
"""
from __future__ import annotations

import datetime
import re
import struct
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr

from .catalog import Message

if TYPE_CHECKING:
    from .c2pa_manifest import Identity

PLUS_VOCAB = "http://ns.useplus.org/ldf/vocab/"
DATA_MINING_PROHIBITED = PLUS_VOCAB + "DMI-PROHIBITED-AIMLTRAINING"
# The PLUS "Data Mining" values that prohibit AI/ML training (IPTC Photo Metadata Standard 2023.1).
_PROHIBITING = {"DMI-PROHIBITED", "DMI-PROHIBITED-AIMLTRAINING", "DMI-PROHIBITED-GENAIMLTRAINING",
                "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING", "DMI-PROHIBITED-SEECONSTRAINT",
                "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR", "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR"}
USAGE_TERMS = "No AI training, no reposts without permission. / 無断AI学習・無断転載禁止"

_NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmpRights": "http://ns.adobe.com/xap/1.0/rights/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "plus": "http://ns.useplus.org/ldf/xmp/1.0/",
}
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_JPEG_XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
_PHOTOSHOP_HEADER = b"Photoshop 3.0\x00"
_IIM_RESOURCE = 0x0404
_IIM_UTF8 = b"\x1b%G"                         # ISO 2022 escape for UTF-8 in dataset 1:90
_IIM_FIELDS = {80: ("creator", 32), 116: ("copyright", 128), 110: ("credit", 32)}   # dataset -> (name, max bytes)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_XMP_KEYWORD = b"XML:com.adobe.xmp"
_MAX_XMP = 65_000                             # bytes; one JPEG segment holds at most 65533


@dataclass(frozen=True)
class Rights:
    """Who made the image and what they allow; empty strings are left out of the file."""

    creator: str = ""
    copyright: str = ""        # the copyright notice; empty: "© YEAR CREATOR. All rights reserved."
    web_statement: str = ""    # URL of a page with the terms of use

    def notice(self, *, year: int) -> str:
        if self.copyright:
            return self.copyright
        return f"© {year} {self.creator}. All rights reserved." if self.creator else "All rights reserved."


@dataclass(frozen=True)
class WebProfile:
    """The ``--for web`` output: rights metadata, a C2PA manifest signed by ``signer`` (when wanted; the host
    fills in the user's identity), and a lossless PNG instead of X's JPEG when asked."""

    rights: Rights
    lossless: bool = False
    c2pa: bool = True
    signer: Identity | None = None


def describe(rights: Rights, *, today: datetime.date) -> tuple[Message, dict]:
    """What ``write`` adds, for the protect report: (the sentence, details)."""
    notice = rights.notice(year=today.year)
    creator = Message("report.rights.creator", {"creator": rights.creator}) if rights.creator else ""
    written = Message("report.rights.written", {"creator": creator, "notice": notice},
                      then=() if rights.creator else (Message("report.rights.add_creator"),))
    return written, {"creator": rights.creator or None, "copyright": notice,
                     "web_statement": rights.web_statement or None, "data_mining": DATA_MINING_PROHIBITED}


def write(data: bytes, rights: Rights, *, today: datetime.date) -> bytes:
    """``data`` (a JPEG or PNG that omamori encoded) with the rights metadata added; pixels untouched.

    ``today`` gives the year of the default copyright notice. Raises ValueError for other formats.
    """
    xmp = xmp_packet(rights, today=today)
    if data.startswith(b"\xff\xd8"):
        return _insert_jpeg(data, [_jpeg_segment(0xE1, _JPEG_XMP_HEADER + xmp),
                                   _jpeg_segment(0xED, _photoshop_iim(rights, today=today))])
    if data.startswith(_PNG_SIGNATURE):
        itxt = _PNG_XMP_KEYWORD + b"\x00\x00\x00" + b"\x00" + b"\x00" + xmp    # uncompressed, no language
        return _insert_png(data, _png_chunk(b"iTXt", itxt))
    raise ValueError("rights metadata is written into JPEG or PNG only")


def xmp_packet(rights: Rights, *, today: datetime.date) -> bytes:
    """The XMP packet (UTF-8) carrying ``rights``."""
    def alt(name: str, text: str) -> str:
        return (f"<{name}><rdf:Alt><rdf:li xml:lang=\"x-default\">{escape(text)}</rdf:li></rdf:Alt></{name}>")

    props = []
    if rights.creator:
        props.append(f"<dc:creator><rdf:Seq><rdf:li>{escape(rights.creator)}</rdf:li></rdf:Seq></dc:creator>")
        props.append(f"<photoshop:Credit>{escape(rights.creator)}</photoshop:Credit>")
    props.append(alt("dc:rights", rights.notice(year=today.year)))
    props.append(alt("xmpRights:UsageTerms", USAGE_TERMS))
    props.append("<xmpRights:Marked>True</xmpRights:Marked>")
    if rights.web_statement:
        props.append(f"<xmpRights:WebStatement>{escape(rights.web_statement)}</xmpRights:WebStatement>")
    props.append(f"<plus:DataMining>{DATA_MINING_PROHIBITED}</plus:DataMining>")
    namespaces = " ".join(f"xmlns:{prefix}={quoteattr(uri)}" for prefix, uri in _NS.items()
                          if prefix not in ("x", "rdf"))
    body = "\n   ".join(props)
    text = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        f' <rdf:RDF xmlns:rdf="{_NS["rdf"]}">\n'
        f'  <rdf:Description rdf:about="" {namespaces}>\n'
        f"   {body}\n"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="r"?>'
    )
    return text.encode("utf-8")


def read(data: bytes) -> dict | None:
    """The rights metadata found in an image file (JPEG, PNG, WebP), or None when it carries none.

    ``{"creator": [..], "copyright", "credit", "usage_terms", "web_statement", "data_mining",
    "ai_training_prohibited": bool | None, "sources": ["xmp", "iptc"]}``; missing fields are None.
    Damaged or hostile metadata is skipped, never raised.
    """
    found: dict = {}
    sources = []
    xmp, iim = _find_metadata(data)
    if xmp is not None:
        from_xmp = _read_xmp(xmp)
        if from_xmp:
            found.update(from_xmp)
            sources.append("xmp")
    if iim is not None:
        from_iim = _read_iim(iim)
        if from_iim:
            for name, value in from_iim.items():
                found.setdefault(name, value)
            sources.append("iptc")
    if not sources:
        return None
    mining = found.get("data_mining")
    code = mining.rsplit("/", 1)[-1] if mining else None
    return {
        "creator": found.get("creator"),
        "copyright": found.get("copyright"),
        "credit": found.get("credit"),
        "usage_terms": found.get("usage_terms"),
        "web_statement": found.get("web_statement"),
        "data_mining": mining,
        "ai_training_prohibited": None if code in (None, "DMI-UNSPECIFIED") else code in _PROHIBITING,
        "sources": sources,
    }


# -- writing -----------------------------------------------------------------------------------------------------
def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    if len(payload) > 65533:
        raise ValueError("metadata segment too large")
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def _insert_jpeg(data: bytes, segments: list[bytes]) -> bytes:
    """Segments after SOI and a JFIF APP0 (which must stay first)."""
    at = 2
    if data[2:4] == b"\xff\xe0":
        at = 4 + struct.unpack(">H", data[4:6])[0]
    return data[:at] + b"".join(segments) + data[at:]


def _photoshop_iim(rights: Rights, *, today: datetime.date) -> bytes:
    def dataset(record: int, number: int, value: bytes) -> bytes:
        return bytes((0x1C, record, number)) + struct.pack(">H", len(value)) + value

    iim = dataset(1, 90, _IIM_UTF8) + dataset(2, 0, b"\x00\x04")
    values = {80: rights.creator, 116: rights.notice(year=today.year), 110: rights.creator}
    for number, (_, limit) in _IIM_FIELDS.items():
        if values[number]:
            iim += dataset(2, number, _truncate_utf8(values[number], limit))
    resource = b"8BIM" + struct.pack(">H", _IIM_RESOURCE) + b"\x00\x00" + struct.pack(">I", len(iim)) + iim
    return _PHOTOSHOP_HEADER + resource + (b"\x00" if len(iim) % 2 else b"")


def _truncate_utf8(text: str, limit: int) -> bytes:
    """UTF-8 of ``text`` within the IIM field's ``limit`` bytes, cut at a character boundary."""
    raw = text.encode("utf-8")
    return raw if len(raw) <= limit else raw[:limit].decode("utf-8", errors="ignore").encode("utf-8")


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _insert_png(data: bytes, chunk: bytes) -> bytes:
    """The chunk right after IHDR (XMP before the image data, where readers look first)."""
    ihdr_end = len(_PNG_SIGNATURE) + 8 + struct.unpack(">I", data[8:12])[0] + 4
    return data[:ihdr_end] + chunk + data[ihdr_end:]


# -- reading -----------------------------------------------------------------------------------------------------
def _find_metadata(data: bytes) -> tuple[bytes | None, bytes | None]:
    """(XMP packet, IIM datasets) as stored in the file, each None when absent."""
    try:
        if data.startswith(b"\xff\xd8"):
            return _jpeg_metadata(data)
        if data.startswith(_PNG_SIGNATURE):
            return _png_xmp(data), None
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return _webp_xmp(data), None
    except (struct.error, IndexError, ValueError, zlib.error):
        pass
    return None, None


def _jpeg_metadata(data: bytes) -> tuple[bytes | None, bytes | None]:
    xmp = iim = None
    at = 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker in (0xD9, 0xDA):            # end of image, start of scan: no metadata follows
            break
        if marker == 0xFF or 0xD0 <= marker <= 0xD7 or marker == 0x01:
            at += 1 if marker == 0xFF else 2
            continue
        length = struct.unpack(">H", data[at + 2:at + 4])[0]
        payload = data[at + 4:at + 2 + length]
        if marker == 0xE1 and payload.startswith(_JPEG_XMP_HEADER) and xmp is None:
            xmp = payload[len(_JPEG_XMP_HEADER):]
        elif marker == 0xED and payload.startswith(_PHOTOSHOP_HEADER) and iim is None:
            iim = _photoshop_resource(payload[len(_PHOTOSHOP_HEADER):], _IIM_RESOURCE)
        at += 2 + length
    return xmp, iim


def _photoshop_resource(irb: bytes, wanted: int) -> bytes | None:
    at = 0
    while at + 12 <= len(irb) and irb[at:at + 4] == b"8BIM":
        number = struct.unpack(">H", irb[at + 4:at + 6])[0]
        name_length = irb[at + 6]
        at += 6 + name_length + 1 + ((name_length + 1) % 2)      # pascal name, padded to even
        size = struct.unpack(">I", irb[at:at + 4])[0]
        at += 4
        if number == wanted:
            return irb[at:at + size]
        at += size + size % 2
    return None


def _png_xmp(data: bytes) -> bytes | None:
    at = len(_PNG_SIGNATURE)
    while at + 8 <= len(data):
        length = struct.unpack(">I", data[at:at + 4])[0]
        kind = data[at + 4:at + 8]
        if kind == b"IEND":
            break
        if kind == b"iTXt":
            payload = data[at + 8:at + 8 + length]
            keyword, _, rest = payload.partition(b"\x00")
            if keyword == _PNG_XMP_KEYWORD and len(rest) >= 2:
                compressed = rest[0] == 1
                text = rest[2:].split(b"\x00", 2)[-1]          # after language tag and translated keyword
                # At most 4 x _MAX_XMP bytes out: a small compressed chunk may claim gigabytes.
                return zlib.decompressobj().decompress(text, 4 * _MAX_XMP) if compressed else text
        at += 12 + length
    return None


def _webp_xmp(data: bytes) -> bytes | None:
    at = 12
    while at + 8 <= len(data):
        kind = data[at:at + 4]
        size = struct.unpack("<I", data[at + 4:at + 8])[0]
        if kind == b"XMP ":
            return data[at + 8:at + 8 + size]
        at += 8 + size + size % 2
    return None


def _read_xmp(packet: bytes) -> dict:
    """Rights properties of an XMP packet; {} when it has none or cannot be read safely."""
    if len(packet) > 4 * _MAX_XMP or re.search(rb"<!(DOCTYPE|ENTITY)", packet):
        return {}                              # XMP never needs a DTD; refuse entity tricks outright
    try:
        root = ElementTree.fromstring(packet.strip(b"\x00 \r\n\t"))
    except ElementTree.ParseError:
        return {}
    found: dict = {}
    for description in root.iter(f"{{{_NS['rdf']}}}Description"):
        creators = [li.text.strip() for li in description.iterfind("dc:creator/rdf:Seq/rdf:li", _NS) if li.text]
        if creators:
            found.setdefault("creator", creators)
        for key, name in (("copyright", "dc:rights"), ("usage_terms", "xmpRights:UsageTerms")):
            text = _lang_alt(description, name)
            if text:
                found.setdefault(key, text)
        for key, name in (("credit", "photoshop:Credit"), ("web_statement", "xmpRights:WebStatement"),
                          ("data_mining", "plus:DataMining")):
            text = _simple(description, name)
            if text:
                found.setdefault(key, text)
    return found


def _lang_alt(description: ElementTree.Element, name: str) -> str | None:
    items = description.findall(f"{name}/rdf:Alt/rdf:li", _NS)
    chosen = next((li for li in items if li.get(_XML_LANG) == "x-default"), items[0] if items else None)
    return chosen.text.strip() if chosen is not None and chosen.text else None


def _simple(description: ElementTree.Element, name: str) -> str | None:
    """A simple property written as an element, an element with rdf:resource, or an attribute."""
    prefix, local = name.split(":")
    qualified = f"{{{_NS[prefix]}}}{local}"
    if description.get(qualified):
        return description.get(qualified).strip()
    element = description.find(name, _NS)
    if element is None:
        return None
    value = element.text.strip() if element.text and element.text.strip() else element.get(f"{{{_NS['rdf']}}}resource")
    return value or None


def _read_iim(iim: bytes) -> dict:
    found: dict = {}
    utf8 = False
    at = 0
    while at + 5 <= len(iim) and iim[at] == 0x1C:
        record, number = iim[at + 1], iim[at + 2]
        length = struct.unpack(">H", iim[at + 3:at + 5])[0]
        if length & 0x8000:                    # extended length: never used by these fields
            break
        value = iim[at + 5:at + 5 + length]
        at += 5 + length
        if (record, number) == (1, 90):
            utf8 = value == _IIM_UTF8
        elif record == 2 and number in _IIM_FIELDS:
            name = _IIM_FIELDS[number][0]
            text = value.decode("utf-8" if utf8 else "latin-1", errors="replace").strip()
            if text:
                found.setdefault(name, [text] if name == "creator" else text)
    return found
