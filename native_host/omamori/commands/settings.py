"""``omamori settings show|set|reset``: the settings the extension and the CLI share."""
from __future__ import annotations

import argparse
import json

from ..exit_codes import EXIT_OK
from .. import settings as store
from ..paths import default_paths
from ._shared import add_actions, call, open_host


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "settings", help="show or change your settings (shared with the browser extension)",
        description="Settings are shared with the browser extension. Example: "
                    "omamori settings set signature.text='@me · AI学習禁止' signature.placement=tiled",
    )
    actions = add_actions(parser, dest="action", metavar="ACTION")
    show = actions.add_parser("show", help="print every setting")
    show.add_argument("--json", action="store_true")
    show.set_defaults(run=show_settings)
    change = actions.add_parser("set", help="change settings: NAME=VALUE ...")
    change.add_argument("assignments", nargs="+", metavar="NAME=VALUE")
    change.set_defaults(run=set_settings)
    actions.add_parser("reset", help="back to the defaults").set_defaults(run=reset_settings)


def parse_assignment(text: str) -> tuple[str, object]:
    """``mark.strength=1.5`` -> ("mark.strength", 1.5); a value that is not JSON is a string."""
    name, sep, raw = text.partition("=")
    if not sep or not name:
        raise store.bad_setting("settings set", text, "assignment")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return name.strip(), value


def _print(settings: dict, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(settings, ensure_ascii=False, indent=2))
        return
    for group, values in settings.items():
        for name, value in values.items():
            print(f"{group}.{name} = {json.dumps(value, ensure_ascii=False)}")


def _run(request_type: str, **body) -> dict:
    host = open_host()
    try:
        return call(host, request_type, **body)["settings"]
    finally:
        host.close()


def show_settings(args: argparse.Namespace) -> int:
    _print(_run("settings.get"), as_json=args.json)
    return EXIT_OK


def set_settings(args: argparse.Namespace) -> int:
    _print(_run("settings.set", changes=dict(parse_assignment(a) for a in args.assignments)), as_json=False)
    return EXIT_OK


def reset_settings(args: argparse.Namespace) -> int:
    # not a request: settings.set would read the file first, and a damaged file is one reason to reset
    _print(store.reset(default_paths().settings_file).to_dict(), as_json=False)
    return EXIT_OK
