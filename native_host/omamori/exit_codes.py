"""The exit status of ``omamori`` commands, which scripts can rely on (docs in README.md).

  0  everything asked for was done (verify: every file carries your mark)
  1  some input failed or (verify) was not marked; the rest was done
  2  the command line was wrong
  3  the installation has a problem (key, settings, disk); nothing was done
  4  (protect) every input was protected, but a step you asked for was not applied to some (no cloak model, an
     image too small for the mark or the signature...): the output's ``skipped`` list says which and why

An error's kind (``errors.KIND``: usage, input, installation) decides its status (``exit_status``).
Its own module, below ``cli`` and the commands, so that a command never imports the ``cli`` that loads it.
"""
from .errors import OmamoriError

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_BROKEN, EXIT_SKIPPED = 0, 1, 2, 3, 4

STATUS_OF_KIND = {"usage": EXIT_USAGE, "input": EXIT_PARTIAL, "installation": EXIT_BROKEN}


def exit_status(error: OmamoriError) -> int:
    """The exit status a command ends with when ``error`` stops it."""
    return STATUS_OF_KIND[error.kind]
