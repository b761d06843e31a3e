"""``omamori install``: register the native host with the browsers on this machine."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..cli import EXIT_BROKEN, EXIT_OK, EXIT_USAGE
from ..install import installer
from ..install.browsers import BROWSER_NAMES, ExtensionIds, Machine, browser_named, profile_browser, snap_can_host
from ..install.changes import Change, DamagedReceipt, Registry, WindowsRegistry
from ..i18n import Lang, language
from ..install.text import say
from ..paths import default_paths


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "install", help="register omamori with your browsers (user level, no admin rights)",
        description="Register omamori's native messaging host for every supported browser found "
                    "(Chrome, Chromium, Edge, Brave, Vivaldi, Firefox). Running it again changes nothing.",
    )
    parser.add_argument("--browser", action="append", default=[], metavar="NAME",
                        help=f"only this browser (repeatable): {', '.join(BROWSER_NAMES)}")
    parser.add_argument("--user-data-dir", type=Path, metavar="DIR",
                        help="register into a Chromium profile folder started with --user-data-dir DIR")
    parser.add_argument("--extension", type=Path, metavar="DIR",
                        help="the omamori extension folder (default: the one in this checkout)")
    parser.add_argument("--dry-run", action="store_true", help="show what would be done, write nothing")
    parser.add_argument("--uninstall", action="store_true",
                        help="remove exactly what omamori install made (with --browser: only for those)")
    parser.set_defaults(run=run)


def system_registry(machine: Machine) -> Registry | None:
    return WindowsRegistry() if machine.os == "windows" else None


def run(args: argparse.Namespace) -> int:
    machine = Machine.current()
    return run_on(args, machine=machine, registry=system_registry(machine), env=os.environ)


def run_on(args: argparse.Namespace, *, machine: Machine, registry: Registry | None, env) -> int:
    """``run`` with the machine, the registry and the environment passed in (tests)."""
    lang = language(env)
    try:
        return _install(args, machine=machine, registry=registry, env=env, lang=lang)
    except DamagedReceipt as damaged:
        print(say("receipt_damaged", lang, path=damaged.path), file=sys.stderr)
        return EXIT_BROKEN


def _install(args: argparse.Namespace, *, machine: Machine, registry: Registry | None, env, lang: Lang) -> int:
    paths = default_paths()
    unknown = [name for name in args.browser if name not in BROWSER_NAMES]
    if unknown:
        print(say("unknown_browser", lang, name=unknown[0], names=", ".join(BROWSER_NAMES)), file=sys.stderr)
        return EXIT_USAGE
    if args.uninstall:
        chosen = [browser_named(name) for name in args.browser]
        if args.user_data_dir is not None:
            chosen.append(profile_browser(args.user_data_dir.resolve()))
        if not installer.receipt_path(paths).exists():
            print(say("nothing_installed", lang))
            return EXIT_OK
        outcome = installer.uninstall(paths, browsers=chosen or None, registry=registry, dry_run=args.dry_run)
        print_changes(outcome.changes, lang, dry_run=args.dry_run)
        if not args.dry_run:
            print(say("uninstalled", lang))
        return EXIT_OK

    extension_dir = (args.extension or installer.recorded_extension_dir(paths)
                     or installer.default_extension_dir()).resolve()
    try:
        ids = ExtensionIds.load(extension_dir)
    except (OSError, ValueError, KeyError) as exc:
        print(say("bad_ids", lang, path=extension_dir / "ids.json", reason=exc), file=sys.stderr)
        return EXIT_USAGE
    browsers, sandboxed = installer.choose(machine, args.browser, args.user_data_dir)
    for found in sandboxed:
        for sandbox in found.sandboxes:
            if sandbox == "snap" and snap_can_host(found.browser):
                print(say("snap_firefox", lang, label=found.browser.label))
                continue
            if sandbox == "snap":
                print(say("snap_chromium", lang, label=found.browser.label))
            else:
                print(say("flatpak", lang, label=found.browser.label, app_id=sandbox.removeprefix("flatpak:")))
            print(say("use_server", lang))
    if not browsers:
        print(say("no_browser", lang), file=sys.stderr)
        return EXIT_BROKEN
    outcome = installer.install(machine, paths, ids=ids, browsers=browsers, registry=registry,
                                dry_run=args.dry_run, env=env, extension_dir=extension_dir)
    print_changes(outcome.changes, lang, dry_run=args.dry_run)
    print(say("registered", lang, browsers=", ".join(t.browser.label for t in outcome.registered)))
    print()
    print(say("next_steps", lang))
    by_page: dict[str, list] = {}
    for target in outcome.registered:
        by_page.setdefault(target.browser.extensions_page, []).append(target.browser)
    for page, browsers_here in by_page.items():
        key = "next_firefox" if browsers_here[0].family == "firefox" else "next_chromium"
        label = ", ".join(b.label for b in browsers_here)
        print(f"  - {say(key, lang, label=label, page=page, folder=extension_dir)}")
    print(f"  - {say('next_check', lang)}")
    return EXIT_OK


def print_changes(changes: list[Change], lang: Lang, *, dry_run: bool) -> None:
    if dry_run:
        print(say("dry_run", lang))
    for change in changes:
        print(f"  {say('verb.' + change.verb, lang)}: {change.target}")
