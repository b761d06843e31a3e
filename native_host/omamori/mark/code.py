"""The mark's error-correcting code: CRC-16 for integrity, a K=7 rate-1/3 convolutional code for correction.

The convolutional code is the one of LTE and many satellite links (generators 133, 171, 165 octal, constraint
length 7), terminated with six zero tail bits and decoded by a soft-decision Viterbi decoder. Soft decisions matter
here: the detector measures how strongly each coded bit was seen, and a soft decoder uses that (about 2 dB better
than deciding bits first). No well-kept PyPI library offers soft Viterbi decoding without heavy dependencies
(``galois`` and ``bchlib`` decode BCH/Reed-Solomon from hard bits only; ``scikit-commpy`` is unmaintained and pulls
matplotlib), and the decoder is forty lines of numpy, so it lives here.

The CRC is CRC-16/CCITT from the standard library (``binascii.crc_hqx``): it rejects the payload a Viterbi decoder
always returns, even from pure noise, with probability 1 - 2**-16.
"""
from __future__ import annotations

import binascii

import numpy as np

CONSTRAINT = 7
GENERATORS = (0o133, 0o171, 0o165)
CRC_BITS = 16
_STATES = 1 << (CONSTRAINT - 1)


def _parity(x: np.ndarray) -> np.ndarray:
    x = x.copy()
    for shift in (4, 2, 1):
        x ^= x >> shift
    return x & 1


def _branch_outputs() -> np.ndarray:
    """Coded bits (0/1), shape (states, 2 inputs, 3 outputs), for register ``(state << 1) | input``."""
    register = (np.arange(_STATES)[:, None] << 1) | np.arange(2)[None, :]
    taps = np.array(GENERATORS)
    return _parity(register[..., None] & taps).astype(np.uint8)


def bits_from_int(value: int, count: int) -> np.ndarray:
    """The ``count`` low bits of ``value``, most significant first, as uint8 0/1."""
    return np.array([(value >> (count - 1 - i)) & 1 for i in range(count)], dtype=np.uint8)


def int_from_bits(bits: np.ndarray) -> int:
    value = 0
    for b in bits:
        value = (value << 1) | int(b)
    return value


def _crc(payload: int, payload_bits: int) -> int:
    return binascii.crc_hqx(payload.to_bytes((payload_bits + 7) // 8, "big"), 0)


def message_bits(payload: int, payload_bits: int) -> np.ndarray:
    """Payload followed by its CRC-16, as 0/1 bits (length ``payload_bits + 16``)."""
    crc = _crc(payload, payload_bits)
    return np.concatenate([bits_from_int(payload, payload_bits), bits_from_int(crc, CRC_BITS)])


def check_message(bits: np.ndarray, payload_bits: int) -> int | None:
    """The payload if the CRC of ``bits`` (from ``message_bits``) matches, else None."""
    payload = int_from_bits(bits[:payload_bits])
    return payload if int_from_bits(bits[payload_bits:]) == _crc(payload, payload_bits) else None


def coded_length(message_length: int) -> int:
    return len(GENERATORS) * (message_length + CONSTRAINT - 1)


def encode(bits: np.ndarray) -> np.ndarray:
    """Convolutionally encode 0/1 ``bits`` with a zero tail; returns ``coded_length(len(bits))`` 0/1 bits."""
    outputs = _branch_outputs()
    state, coded = 0, []
    for b in np.concatenate([bits, np.zeros(CONSTRAINT - 1, dtype=np.uint8)]):
        coded.append(outputs[state, b])
        state = ((state << 1) | int(b)) & (_STATES - 1)
    return np.concatenate(coded)


def viterbi_decode(soft: np.ndarray) -> np.ndarray:
    """Most likely message for soft values ``soft`` (positive means coded bit 0; magnitude = confidence).

    ``soft`` has length ``coded_length(n)``; returns the n message bits (tail removed).
    """
    rate = len(GENERATORS)
    steps = len(soft) // rate
    symbols = 1.0 - 2.0 * _branch_outputs().astype(np.float64)            # (states, 2, rate), +1 for bit 0
    soft = np.asarray(soft, dtype=np.float64).reshape(steps, rate)
    next_states = np.arange(_STATES)
    predecessors = np.stack([next_states >> 1, (next_states >> 1) | (_STATES >> 1)], axis=1)  # (states, 2)
    inputs = next_states & 1
    metric = np.full(_STATES, -np.inf)
    metric[0] = 0.0
    choices = np.empty((steps, _STATES), dtype=np.uint8)
    for t in range(steps):
        branch = symbols @ soft[t]                                          # (states, 2)
        candidates = metric[predecessors] + branch[predecessors, inputs[:, None]]
        choices[t] = np.argmax(candidates, axis=1)
        metric = candidates[next_states, choices[t]]
    state, bits = 0, np.empty(steps, dtype=np.uint8)                        # the zero tail ends in state 0
    for t in range(steps - 1, -1, -1):
        bits[t] = state & 1
        state = predecessors[state, choices[t, state]]
    return bits[: steps - (CONSTRAINT - 1)]
