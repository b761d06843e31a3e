"""What the mark carries: 64 bits packing a creator id, a day, a flag and a version."""
from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass

PAYLOAD_BITS = 64
VERSION_BITS = 4
FLAG_BITS = 1
DAY_BITS = 16
CREATOR_BITS = PAYLOAD_BITS - VERSION_BITS - FLAG_BITS - DAY_BITS   # 43
EPOCH = datetime.date(2024, 1, 1)   # day 0; 16 bits reach 2203


def creator_id(key: bytes) -> int:
    """The creator id of a user's key: 43 bits of a SHA-256 of the key (so it reveals nothing of the key)."""
    digest = hashlib.sha256(b"omamori creator id\0" + key).digest()
    return int.from_bytes(digest[:8], "big") >> (64 - CREATOR_BITS)


@dataclass(frozen=True)
class Payload:
    """The 64 bits a mark carries.

    ``creator_id`` < 2**43, ``day`` from 2024-01-01 to 2203-06-05, ``version`` < 16.
    """

    creator_id: int
    day: datetime.date
    no_ai_training: bool
    version: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.creator_id < 1 << CREATOR_BITS:
            raise ValueError(f"creator_id must be below 2**{CREATOR_BITS}")
        if not 0 <= (self.day - EPOCH).days < 1 << DAY_BITS:
            raise ValueError(f"day must be between {EPOCH} and 2**{DAY_BITS} days later")
        if not 0 <= self.version < 1 << VERSION_BITS:
            raise ValueError(f"version must be below 2**{VERSION_BITS}")

    def pack(self) -> int:
        """The payload as one 64-bit integer: version | flag | day | creator id, most significant first."""
        value = self.version
        value = (value << FLAG_BITS) | int(self.no_ai_training)
        value = (value << DAY_BITS) | (self.day - EPOCH).days
        return (value << CREATOR_BITS) | self.creator_id

    @classmethod
    def unpack(cls, value: int) -> Payload:
        creator = value & ((1 << CREATOR_BITS) - 1)
        value >>= CREATOR_BITS
        day = EPOCH + datetime.timedelta(days=value & ((1 << DAY_BITS) - 1))
        value >>= DAY_BITS
        flag = bool(value & 1)
        return cls(creator_id=creator, day=day, no_ai_training=flag, version=value >> FLAG_BITS)

    @property
    def id(self) -> str:
        """16 hex digits of the packed payload (stored in the ledger, shown as the mark's id)."""
        return f"{self.pack():016x}"
