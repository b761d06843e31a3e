"""The invisible ownership mark: embed a keyed 64-bit payload that survives X's resizing and re-encoding; detect it.

See docs/mark.md for the design, the measured robustness and what the mark cannot survive.
"""
from .detect import Detection, detect
from .embed import MIN_SIDE, embed
from .palette import embed_palette
from .payload import Payload, creator_id

__all__ = ["MIN_SIDE", "Detection", "Payload", "creator_id", "detect", "embed", "embed_palette"]
