"""One error tree for the host, and the stable codes the protocol carries.

Every failure a user or the extension can see is an ``OmamoriError`` with a
stable ``code`` (written down in docs/protocol.md; codes are never renamed or
reused) and a message in English and Japanese that says what happened and what
to do next. The extension switches on the code, never on the text.

Whose fault it is decides the branch:
  * ``FrameError``   -- the peer broke the framing; the stream cannot go on.
  * ``RequestError`` -- a well-framed request that we cannot accept.
  * ``ImageError``   -- the image itself is something the engine cannot use.
  * ``StateError``   -- the local installation (key, settings, ledger, disk).
Anything else raised inside the host is a bug: transports log it and answer
``internal_error``.
"""
from __future__ import annotations

from typing import Any

from .catalog import Message

# The codes the protocol carries, in the order they were added. Append only: the extension and scripts rely
# on them. The sentence of each is ``error.<code>`` in the catalog; a {name} in it is filled from the
# error's details of that name.
CODES: tuple[str, ...] = (
    "frame_too_large", "frame_truncated", "bad_json", "bad_request", "unknown_type", "bad_base64", "not_an_image",
    "unsupported_format", "image_too_large", "image_too_small", "image_damaged", "output_too_large", "font_missing",
    "bad_setting", "key_unreadable", "c2pa_identity_unreadable", "key_exists", "key_missing", "storage_unwritable",
    "file_unreadable", "timeout", "internal_error", "model_missing", "model_damaged", "model_download_failed",
    "signature_unprintable", "download_failed", "download_too_large", "download_timeout", "cancelled",
    "too_many_requests", "image_too_complex", "would_overwrite_input", "settings_damaged", "key_backup_invalid",
    "still_format_unsupported", "bad_usage", "output_unwritable",
)

# Whose fault each code is, which decides the exit status of ``omamori`` (``exit_codes.exit_status``):
# "usage" -- what was asked (a flag, a setting, a request) cannot be done as asked; fix the command;
# "input" -- one input (a file, an address) cannot be used; the others still are;
# "installation" -- the key, settings file, models, fonts or disk; nothing can be done until it is fixed.
KIND: dict[str, str] = {
    **dict.fromkeys(("frame_too_large", "frame_truncated", "bad_json", "bad_request", "unknown_type", "bad_base64",
                     "bad_setting", "signature_unprintable", "key_exists", "cancelled", "too_many_requests",
                     "would_overwrite_input", "bad_usage", "output_unwritable"), "usage"),
    **dict.fromkeys(("not_an_image", "unsupported_format", "image_too_large", "image_too_small", "image_damaged",
                     "output_too_large", "image_too_complex", "file_unreadable", "download_failed",
                     "download_too_large", "download_timeout", "timeout", "key_backup_invalid",
                     "still_format_unsupported"), "input"),
    **dict.fromkeys(("font_missing", "key_unreadable", "c2pa_identity_unreadable", "key_missing",
                     "storage_unwritable", "internal_error", "model_missing", "model_damaged",
                     "model_download_failed", "settings_damaged"), "installation"),
}


class OmamoriError(Exception):
    """Base of every error a user can be told about.

    ``code`` is one of ``CODES``; ``details`` are structured facts (sizes,
    limits, field names) that the extension may show or log.
    """

    code = "internal_error"

    def __init__(self, code: str | None = None, /, **details: Any) -> None:
        if code is not None:
            self.code = code
        if self.code not in CODES:
            raise ValueError(f"unknown error code {self.code!r}")
        self.details = details
        super().__init__(self.code, details)

    @property
    def kind(self) -> str:
        """"usage", "input" or "installation": whose fault it is (``KIND``)."""
        return KIND[self.code]

    @property
    def message(self) -> Message:
        """What happened and what to do next, in words (``error.<code>`` in the catalog), then the error behind it
        (``details["cause"]``: {code, details}) and the rule (what the value or the command must be)."""
        cause, rule = self.details.get("cause"), self.details.get("rule")
        then = (OmamoriError(cause["code"], **cause["details"]).message,) if cause else ()
        return Message(f"error.{self.code}", self.details, then + ((Message(f"rule.{rule}", self.details),)
                                                                    if rule else ()))

    def to_dict(self) -> dict[str, Any]:
        """The ``error`` object of a reply (see docs/protocol.md)."""
        return {
            "code": self.code,
            "message": self.message.both(),
            "details": self.details,
        }


class FrameError(OmamoriError):
    """The peer broke the framing (truncated frame, impossible length)."""


class RequestError(OmamoriError):
    """A well-framed request we cannot accept (bad JSON, field, type)."""


class ImageError(OmamoriError):
    """An image the engine cannot use (not an image, bomb, too small...)."""


class StateError(OmamoriError):
    """The local installation is not usable (key, settings, disk)."""


def internal_error(**details: Any) -> OmamoriError:
    """The error sent for a bug: the peer learns nothing but that it happened."""
    return OmamoriError("internal_error", **details)
