"""``omamori serve``: the companion server on a local WebSocket, for browsers that
cannot start a native host (Snap, Flatpak) or to keep the host warm."""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Mapping

from .. import pairing
from ..exit_codes import EXIT_BROKEN, EXIT_OK, EXIT_USAGE
from ..install import autostart, installer
from ..install.browsers import ExtensionIds, Machine
from ..install.changes import DamagedReceipt, Receipt, Registry, apply, undo
from ..install.registration import receipt_path
from ..catalog import Lang, language, say
from ..paths import Paths, default_paths
from ..transports.websocket import DEFAULT_PORT, CompanionServer, is_loopback
from ..transports.worker import WorkerHost
from ._shared import print_changes


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve", help="run the companion server (local WebSocket) for browsers without native messaging",
        description="Serve omamori's requests on ws://127.0.0.1:PORT for the extension. Connections must come "
                    "from the omamori extension and present the pairing token.",
    )
    parser.add_argument("--address", default="127.0.0.1", help="loopback address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--pair", action="store_true", help="make a new pairing token (the old one stops working)")
    parser.add_argument("--unpair", action="store_true", help="forget the pairing and exit")
    parser.add_argument("--extension", type=Path, metavar="DIR",
                        help="the omamori extension folder, for its Chrome id (default: the installed one)")
    parser.add_argument("--install-autostart", action="store_true", help="start the server at login, then exit")
    parser.add_argument("--uninstall-autostart", action="store_true", help="stop starting it at login, then exit")
    parser.add_argument("--dry-run", action="store_true", help="with the autostart options: show, write nothing")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    machine = Machine.current()
    return run_on(args, machine=machine, registry=installer.system_registry(machine), env=os.environ)


def run_on(args: argparse.Namespace, *, machine: Machine, registry: Registry | None, env: Mapping[str, str]) -> int:
    """``run`` with the machine, the registry and the environment passed in (tests)."""
    lang = language(env)
    paths = default_paths()
    token_file = pairing.pairing_file(paths.config)
    if args.unpair:
        pairing.unpair(token_file)
        print(say("server.unpaired", lang))
        return EXIT_OK
    if args.install_autostart or args.uninstall_autostart:
        try:
            return _autostart(args, machine, paths, lang, registry=registry, env=env)
        except DamagedReceipt as damaged:
            print(say("install.receipt_damaged", lang, path=damaged.path), file=sys.stderr)
            return EXIT_BROKEN
    if not is_loopback(args.address):
        print(say("server.not_loopback", lang, address=args.address), file=sys.stderr)
        return EXIT_USAGE
    if args.pair or pairing.load(token_file).state is pairing.PairingState.UNPAIRED:
        if not args.pair and not sys.stdout.isatty():
            # Never write a token where it could end up in a log (a service's journal).
            print(say("server.unpaired_no_tty", lang), file=sys.stderr)
            return EXIT_BROKEN
        print(say("server.token", lang, token=pairing.pair(token_file)), flush=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The same killable worker and time limits as the native host; its log goes to our stderr.
    host = WorkerHost(paths, transport="websocket")
    host.start()
    server = CompanionServer(host, pairing.PairingFile(token_file),
                             chrome_extension_id=_chrome_id(args.extension, paths, lang))
    try:
        return asyncio.run(_serve_forever(server, args.address, args.port, lang))
    except KeyboardInterrupt:
        return EXIT_OK
    finally:
        server.close()


async def _serve_forever(server: CompanionServer, address: str, port: int, lang: Lang) -> int:
    try:
        listening = await server.serve(address, port)
    except OSError:
        print(say("server.port_busy", lang, port=port), file=sys.stderr)
        return EXIT_BROKEN
    async with listening:
        bound = listening.sockets[0].getsockname()[1]
        host = f"[{address}]" if ":" in address else address
        print(say("server.listening", lang, url=f"ws://{host}:{bound}"), flush=True)
        await listening.serve_forever()
    return EXIT_OK


def _chrome_id(extension: Path | None, paths: Paths, lang: Lang) -> str | None:
    try:
        return ExtensionIds.load(installer.extension_dir(extension, paths)).chrome_extension_id
    except (OSError, ValueError, KeyError) as exc:     # DamagedReceipt is a ValueError
        print(say("server.no_chrome_id", lang, reason=exc), file=sys.stderr)
        return None


def _autostart(args: argparse.Namespace, machine: Machine, paths: Paths, lang: Lang, *,
               registry: Registry | None, env: Mapping[str, str]) -> int:
    receipt = Receipt(receipt_path(paths))
    if args.uninstall_autostart:
        print_changes(undo(receipt, groups={"autostart"}, registry=registry, dry_run=args.dry_run,
                           ours=installer.places_of_omamori(machine, paths)), lang,
                      dry_run=args.dry_run)
        if not args.dry_run:
            print(say("server.autostart_off", lang))
        return EXIT_OK
    items = autostart.autostart_items(machine, paths, python=sys.executable, env=env)
    print_changes(apply(items, receipt=receipt, registry=registry, dry_run=args.dry_run), lang, dry_run=args.dry_run)
    if args.dry_run:
        return EXIT_OK
    token_file = pairing.pairing_file(paths.config)
    if pairing.load(token_file).state is pairing.PairingState.UNPAIRED:
        print(say("server.token", lang, token=pairing.pair(token_file)))
    print(say("server.autostart_on", lang, hint=autostart.start_now_hint(machine)))
    return EXIT_OK
