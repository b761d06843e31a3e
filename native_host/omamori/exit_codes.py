"""The exit status of ``omamori`` commands, which scripts can rely on (docs in README.md).

  0  everything asked for was done (verify: every file carries your mark)
  1  some input failed or (verify) was not marked; the rest was done
  2  the command line was wrong
  3  the installation has a problem (key, settings, disk); nothing was done

Its own module, below ``cli`` and the commands, so that a command never imports the ``cli`` that loads it.
"""
EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_BROKEN = 0, 1, 2, 3
