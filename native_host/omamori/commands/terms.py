"""``omamori terms``: a profile line for X and terms of use for your website, in Japanese and English."""
from __future__ import annotations

import argparse

from .. import templates


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "terms", help="print a profile line for X and terms of use for your website (ja/en) to copy",
        description="Prints texts to copy: a short line for your X profile, and a terms-of-use paragraph for "
                    "your website with a neutral note on what such terms can and cannot do (Japan's Copyright "
                    "Act article 30-4). General information, not legal advice.",
    )
    parser.add_argument("--name", default="", help="your name or artist name, put into the terms")
    parser.add_argument("--contact", default="", help="where to ask for permission (e-mail, form URL)")
    parser.add_argument("--lang", choices=("both", "ja", "en"), default="both", help="language(s) to print")
    parser.add_argument("--only", choices=("profile", "terms"), help="print only one of the two")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    languages = ("ja", "en") if args.lang == "both" else (args.lang,)
    sections = []
    if args.only != "terms":
        sections.append(templates.profile_line(args.lang))
    if args.only != "profile":
        for language in languages:
            text = templates.terms(language, name=args.name, contact=args.contact)
            sections.append(f"{text.heading}\n\n{text.paragraph}\n\n{text.legal_note_heading}\n\n{text.legal_note}")
    print("\n\n----\n\n".join(sections))
    return 0
