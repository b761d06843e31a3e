"""``omamori doctor``: check the installation; each problem with the command that fixes it."""
from __future__ import annotations

import argparse
import os

from ..exit_codes import EXIT_BROKEN, EXIT_OK
from ..install.browsers import Machine
from ..install.changes import Registry
from ..install.doctor import Finding, run_checks
from ..install.installer import system_registry
from ..catalog import Message, entries, language, say
from ..paths import default_paths


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "doctor", help="check that browsers, host, font, key and ledger work",
        description="Check every browser registration (and that the host answers), the signature font, "
                    f"the key and the ledger. Exit status {EXIT_BROKEN} when something is broken.",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    machine = Machine.current()
    return run_on(machine=machine, registry=system_registry(machine), env=os.environ)


def run_on(*, machine: Machine, registry: Registry | None, env) -> int:
    lang = language(env)
    findings = run_checks(machine, default_paths(), registry=registry)
    for finding in findings:
        print(format_finding(finding, lang))
    problems = sum(f.status == "problem" for f in findings)
    print()
    print(say("doctor.broken", lang, count=problems) if problems else say("doctor.healthy", lang))
    return EXIT_BROKEN if problems else EXIT_OK


def format_finding(finding: Finding, lang) -> str:
    # Browsers are named as they call themselves; the other subjects are words to translate.
    subject = say(f"doctor.subject.{finding.subject}", lang) if f"doctor.subject.{finding.subject}" in entries() \
        else finding.subject
    line = f"[{say('doctor.status.' + finding.status, lang)}] {subject}: {say(finding.what, lang, **finding.fields)}"
    if finding.fix and finding.status != "ok":
        fix = finding.fix.text(lang) if isinstance(finding.fix, Message) else finding.fix
        line += f"\n      {say('doctor.fix', lang)}: {fix}"
    return line
