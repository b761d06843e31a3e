"""The mark's payload packing, creator ids, and its error-correcting code, without images."""
from __future__ import annotations

import datetime

import numpy as np
import pytest

from omamori.mark import Payload, creator_id
from omamori.mark import code


def test_payload_packs_into_64_bits_and_back_and_its_id_names_those_bits():
    payload = Payload(creator_id=(1 << 43) - 1, day=datetime.date(2031, 2, 28), no_ai_training=False, version=15)
    assert payload.pack() < 1 << 64
    assert Payload.unpack(payload.pack()) == payload
    # The id the ledger and the reports show: 16 lower-case hex digits that give the payload back.
    assert len(payload.id) == 16 and payload.id == payload.id.lower()
    assert Payload.unpack(int(payload.id, 16)) == payload


@pytest.mark.parametrize("field, value", [("creator_id", 1 << 43), ("version", 16), ("day", datetime.date(2023, 12, 31))])
def test_payload_refuses_values_that_do_not_fit(field, value):
    fields = dict(creator_id=1, day=datetime.date(2026, 1, 1), no_ai_training=True, version=1)
    fields[field] = value
    with pytest.raises(ValueError):
        Payload(**fields)


def test_creator_ids_never_change_and_differ_between_keys():
    # Posted images carry these ids: if a key's id changed between versions, none of them would read as the
    # person's own any more.
    assert creator_id(bytes(32)) == 0x526677D8D6F
    assert creator_id(bytes(range(32))) == 0x3ECCB4BB736
    rng = np.random.default_rng(7)
    ids = {creator_id(rng.bytes(32)) for _ in range(2000)}
    assert len(ids) == 2000, "two keys share a creator id"
    assert all(0 <= found < 1 << 43 for found in ids)


def test_viterbi_corrects_noisy_soft_bits():
    rng = np.random.default_rng(0)
    message = code.message_bits(0x0123456789ABCDEF, 64)
    coded = code.encode(message)
    assert len(coded) == code.coded_length(len(message))
    noisy = (1.0 - 2.0 * coded) + rng.normal(0, 0.7, coded.shape)
    assert (np.sign(noisy) != 1.0 - 2.0 * coded).sum() > 10        # many hard-decision errors...
    decoded = code.viterbi_decode(noisy)
    assert code.check_message(decoded, 64) == 0x0123456789ABCDEF   # ...all corrected


def test_crc_rejects_a_wrong_message():
    message = code.message_bits(42, 64)
    message[5] ^= 1
    assert code.check_message(message, 64) is None
