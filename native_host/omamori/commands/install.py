"""``omamori install``: register the native host with the browsers on this machine."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..exit_codes import EXIT_BROKEN, EXIT_OK, EXIT_USAGE
from ..install import installer
from ..install.browsers import BROWSER_NAMES, ExtensionIds, Machine, browser_named, profile_browser, snap_can_host
from ..install.changes import DamagedReceipt, Registry
from .. import settings as settings_store
from ..errors import OmamoriError
from ..catalog import Lang, language, say
from ..paths import default_paths
from ._shared import print_changes


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
    parser.add_argument("--link-command", action="store_true",
                        help="put the omamori command in ~/.local/bin, as pipx does (Linux, macOS)")
    parser.add_argument("--ask-name", action="store_true",
                        help="on a terminal, ask once for your name or handle for the signature")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    machine = Machine.current()
    return run_on(args, machine=machine, registry=installer.system_registry(machine), env=os.environ)


def run_on(args: argparse.Namespace, *, machine: Machine, registry: Registry | None, env) -> int:
    """``run`` with the machine, the registry and the environment passed in (tests)."""
    lang = language(env)
    try:
        return _install(args, machine=machine, registry=registry, env=env, lang=lang)
    except DamagedReceipt as damaged:
        print(say("install.receipt_damaged", lang, path=damaged.path), file=sys.stderr)
        return EXIT_BROKEN


def _install(args: argparse.Namespace, *, machine: Machine, registry: Registry | None, env, lang: Lang) -> int:
    paths = default_paths()
    unknown = [name for name in args.browser if name not in BROWSER_NAMES]
    if unknown:
        print(say("install.unknown_browser", lang, name=unknown[0], names=", ".join(BROWSER_NAMES)), file=sys.stderr)
        return EXIT_USAGE
    if args.uninstall:
        chosen = [browser_named(name) for name in args.browser]
        if args.user_data_dir is not None:
            chosen.append(profile_browser(args.user_data_dir.resolve()))
        if not installer.receipt_path(paths).exists():
            print(say("install.nothing_installed", lang))
            return EXIT_OK
        outcome = installer.uninstall(machine, paths, browsers=chosen or None, registry=registry,
                                      dry_run=args.dry_run)
        print_changes(outcome.changes, lang, dry_run=args.dry_run)
        if not args.dry_run:
            print(say("install.uninstalled", lang))
        return EXIT_OK

    extension_dir = installer.extension_dir(args.extension, paths)
    try:
        ids = ExtensionIds.load(extension_dir)
    except (OSError, ValueError, KeyError) as exc:
        where = extension_dir / "ids.json" if extension_dir else "omamori/data/extension_ids.json"
        print(say("install.bad_ids", lang, path=where, reason=exc), file=sys.stderr)
        return EXIT_USAGE
    browsers, sandboxed = installer.choose(machine, args.browser, args.user_data_dir)
    for found in sandboxed:
        for sandbox in found.sandboxes:
            if sandbox == "snap" and snap_can_host(found.browser):
                print(say("install.snap_firefox", lang, label=found.browser.label))
                continue
            if sandbox == "snap":
                print(say("install.snap_chromium", lang, label=found.browser.label))
            else:
                print(say("install.flatpak", lang, label=found.browser.label, app_id=sandbox.removeprefix("flatpak:")))
            print(say("install.use_server", lang))
    link = installer.command_link(machine) if args.link_command else None
    if link and link.path.exists() and not link.path.is_symlink():
        print(say("install.command_not_linked", lang, path=link.path, target=link.target), file=sys.stderr)
        link = None                      # someone else's file: left alone
    if not browsers:
        # Not a broken installation: omamori works from the command line, and a browser can be registered later.
        print(say("install.no_browser", lang), file=sys.stderr)
    if browsers or link:
        outcome = installer.install(machine, paths, ids=ids, browsers=browsers, registry=registry,
                                    dry_run=args.dry_run, env=env, extension_dir=extension_dir, link=link)
        print_changes(outcome.changes, lang, dry_run=args.dry_run)
    if link:
        print(say("install.command_linked", lang, path=link.path, target=link.target))
        folder = str(link.path.parent)
        if folder not in env.get("PATH", "").split(os.pathsep):
            shell_rc = "~/.zshrc" if env.get("SHELL", "").endswith("zsh") else "~/.bashrc"
            print(say("install.command_not_on_path", lang, folder=folder, rc=shell_rc, path=link.path))
    if args.ask_name and not args.dry_run and sys.stdin.isatty():
        ask_signature_name(paths.settings_file, lang)
    if not browsers:
        return EXIT_OK
    print(say("install.registered", lang, browsers=", ".join(t.browser.label for t in outcome.registered)))
    print()
    print(say("install.next_steps", lang))
    by_page: dict[str, list] = {}
    for target in outcome.registered:
        by_page.setdefault(target.browser.extensions_page, []).append(target.browser)
    for page, browsers_here in by_page.items():
        key = "install.next_firefox" if browsers_here[0].family == "firefox" else "install.next_chromium"
        label = ", ".join(b.label for b in browsers_here)
        if extension_dir is None:
            key = "install.next_no_folder"
        print(f"  - {say(key, lang, label=label, page=page, folder=extension_dir)}")
    print(f"  - {say('install.next_check', lang)}")
    return EXIT_OK


def ask_signature_name(settings_file: Path, lang: Lang, *, ask=input) -> None:
    """Ask once for the artist's name or handle and put it before the signature text, while that text is still
    omamori's default (a signature that does not name the artist proves little). Enter keeps the text."""
    default = settings_store.SignatureSettings().text
    if settings_store.load(settings_file).signature.text != default:
        return
    print()
    try:
        name = ask(say("install.ask_name", lang, text=default) + " ").strip()
    except EOFError:
        name = ""
    if not name:
        print(say("install.name_kept", lang, text=default))
        return
    try:
        saved = settings_store.change(settings_file, {"signature.text": f"{name} · {default}"})
    except OmamoriError as error:
        print(error.message.text(lang), file=sys.stderr)
        print(say("install.name_kept", lang, text=default))
        return
    print(say("install.name_saved", lang, text=saved.signature.text))

