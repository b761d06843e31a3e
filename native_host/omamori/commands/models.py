"""``omamori models``: the small model files the optional cloak needs (list, fetch)."""
from __future__ import annotations

import argparse

from ..catalog import Message, say
from ..cloak import models
from ..paths import default_paths
from ._shared import add_actions, lang


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "models", help="the model files the optional cloak needs",
        description="The cloak attacks a tiny open copy of an AI model's image encoder; its weights (about 5 MB) "
                    "are fetched once from their public upstream and checked against a pinned SHA-256. "
                    + say("cloak.limits", "en"),
    )
    actions = add_actions(parser, dest="action")
    listing = actions.add_parser("list", help="which models are known and which are installed")
    listing.set_defaults(run=run_list)
    fetch = actions.add_parser(
        "fetch", help="download (or copy) the cloak's model files and check their SHA-256",
        description="NAME: a model of `omamori models list` (default: the cloak's own, "
                    f"{models.CLOAK_MODEL.name}). " + say("models.others", "en"))
    fetch.add_argument("specs", nargs="*", type=_spec, metavar="NAME",
                       help=f"the models to fetch: {', '.join(spec.name for spec in models.REGISTRY)} "
                            f"(default: {models.CLOAK_MODEL.name})")
    fetch.add_argument("--from", dest="source", metavar="DIR_OR_URL",
                       help="a folder holding the .pth files, or an http(s) URL prefix (default: the public upstream)")
    fetch.set_defaults(run=run_fetch)


def _spec(name: str) -> models.ModelSpec:
    try:
        return models.spec_named(name)
    except KeyError:
        raise argparse.ArgumentTypeError(
            f"no model {name!r} (known: {', '.join(spec.name for spec in models.REGISTRY)})") from None


def run_list(args: argparse.Namespace) -> int:
    language = lang()
    folder = default_paths().models
    print(say("models.folder", language, path=folder))
    for spec in models.REGISTRY:
        state = say("models.installed" if models.is_installed(spec, folder) else "models.not_installed", language)
        role = say("models.needed" if spec is models.CLOAK_MODEL else "models.optional", language)
        print(f"  {spec.name:8s} {spec.latent_space:8s} {spec.licence:26s} {state} · {role}")
    return 0


def run_fetch(args: argparse.Namespace) -> int:
    language = lang()
    for spec in args.specs or [models.CLOAK_MODEL]:
        paths = models.fetch(spec, models_dir=default_paths().models, source=args.source, report=print)
        print(say("models.ready", language, name=spec.name, paths=", ".join(str(p) for p in paths)))
    print(Message("models.usable", then=(Message("models.others"), Message("cloak.limits"))).text(language))
    return 0
