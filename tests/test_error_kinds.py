"""An error's kind (usage, input, installation) decides the exit status of ``omamori``, one table for all."""
from __future__ import annotations

import pytest

from omamori import errors
from omamori.exit_codes import EXIT_BROKEN, EXIT_PARTIAL, EXIT_USAGE, exit_status


def test_every_code_has_exactly_one_kind():
    assert set(errors.KIND) == set(errors.CODES)
    assert set(errors.KIND.values()) == {"usage", "input", "installation"}


@pytest.mark.parametrize(("code", "status"), [
    ("bad_setting", EXIT_USAGE), ("signature_unprintable", EXIT_USAGE), ("would_overwrite_input", EXIT_USAGE),
    ("key_exists", EXIT_USAGE),
    ("not_an_image", EXIT_PARTIAL), ("still_format_unsupported", EXIT_PARTIAL), ("file_unreadable", EXIT_PARTIAL),
    ("key_backup_invalid", EXIT_PARTIAL), ("timeout", EXIT_PARTIAL),
    ("key_unreadable", EXIT_BROKEN), ("settings_damaged", EXIT_BROKEN), ("model_missing", EXIT_BROKEN),
    ("storage_unwritable", EXIT_BROKEN), ("internal_error", EXIT_BROKEN),
])
def test_the_kind_of_an_error_decides_the_exit_status(code, status):
    assert exit_status(errors.OmamoriError(code)) == status


def test_the_branch_an_error_is_raised_as_does_not_change_its_kind():
    # the CLI rebuilds errors from replies by code alone, so the class must not matter
    assert exit_status(errors.StateError("bad_setting")) == exit_status(errors.RequestError("bad_setting"))
