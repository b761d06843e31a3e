"""The host's modules import downwards only, and in no circle (read from the source, nothing is imported).

Layers, top first: ``cli``; the commands (``commands.<name>``, never each other: what they share lives in
``commands._*``); the transports and the installer; the protocol; everything else (the engine and its helpers).
A module may import from its own layer or any below it.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "native_host" / "omamori"
LAYERS = (("cli",), ("commands",), ("transports", "install"), ("protocol",))   # top first; the rest below these


def module_name(path: Path) -> str:
    parts = ("omamori", *path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """module -> the modules of the package it imports (``from .x import name`` counts as ``.x.name`` when
    that is a module; ``cli`` loads each command by name with importlib, so it imports every ``COMMANDS``)."""
    files = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        found: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = ".".join(here[:len(here) - node.level + 1] + [node.module or ""]).rstrip(".") \
                    if node.level else node.module or ""
                found |= {f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base for alias in node.names}
            elif isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
        graph[name] = {target for target in found if target in files and target != name}
    commands = next(node for node in ast.parse(files["omamori.cli"].read_text(encoding="utf-8")).body
                    if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "COMMANDS")
    graph["omamori.cli"] |= {f"omamori.commands.{command}" for command in ast.literal_eval(commands.value)}
    return graph


def layer(module: str) -> int:
    """0 for the top layer; len(LAYERS) for everything below the named ones (and the package itself)."""
    parts = module.split(".")[1:]
    for depth, names in enumerate(LAYERS):
        if parts and parts[0] in names:
            return depth
    return len(LAYERS)


def is_command(module: str) -> bool:
    parts = module.split(".")
    return len(parts) == 3 and parts[1] == "commands" and not parts[2].startswith("_")


def test_the_graph_is_read_from_the_source():
    graph = import_graph()
    assert "omamori.protocol.handlers" in graph["omamori.transports.worker"]
    assert "omamori.commands.protect" in graph["omamori.cli"]
    assert "omamori.commands._shared" in graph["omamori.commands.protect"]


def test_no_module_imports_from_a_layer_above_it():
    upward = sorted(f"{module} -> {target}" for module, targets in import_graph().items() for target in targets
                    if layer(target) < layer(module))
    assert upward == []


def test_no_command_imports_another():
    between = sorted(f"{module} -> {target}" for module, targets in import_graph().items() for target in targets
                     if is_command(module) and is_command(target))
    assert between == []


def test_no_import_cycles():
    graph = import_graph()
    state: dict[str, str] = {}      # "open" while on the path being walked, "done" after
    cycles: list[list[str]] = []

    def walk(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                cycles.append(path[path.index(target):] + [target])
            elif target not in state:
                walk(target, [*path, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])
    assert cycles == []
