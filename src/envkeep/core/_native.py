"""The compiled core: which modules `scripts/build_native.py` compiles with mypyc, and whether
``envkeep.core`` may load them (docs/design.md, "Compiled core").

The compiled modules live in ``_compiled/`` beside the sources, with a manifest of the size
and modification time of every module of the package, taken before compiling. `use_compiled`
puts that directory first on the package's ``__path__`` only when every module still matches
(and ``ENVKEEP_PURE_PYTHON`` is unset or ``0``): after an edit the package runs as Python,
never as stale machine code. Only ``os`` is imported here; this runs on every start of the
CLI.
"""

from __future__ import annotations

import os

__all__ = [
    "COMPILED",
    "GROUP",
    "MANIFEST",
    "PURE_PYTHON_VARIABLE",
    "compiled_dir",
    "manifest_matches",
    "stamp_line",
    "stamp_lines",
    "use_compiled",
]

# The per-service work of resolution and validation, and what it calls per value.
COMPILED = (
    "resolve",
    "references",
    "_fillscope",
    "_walkstate",
    "_lazyrefs",
    "validate",
    "checkplan",
    "valuetypes",
    "_refsyntax",
    "_refmessages",
)
GROUP = "envkeep.core.shared"  # mypyc's shared library: _compiled/shared__mypyc.*.so
MANIFEST = "manifest.txt"
PURE_PYTHON_VARIABLE = "ENVKEEP_PURE_PYTHON"


def compiled_dir() -> str:
    """Where the compiled modules are (whether or not they exist)."""
    return os.path.join(os.path.dirname(__file__), "_compiled")


def stamp_line(source: str | os.PathLike[str]) -> str:
    """One manifest line: a source's name, size and modification time."""
    found = os.stat(source)
    return f"{os.path.basename(source)} {found.st_size} {found.st_mtime_ns}"


def stamp_lines(sources: str) -> list[str]:
    """The manifest of the package directory ``sources``: every module in it, compiled or not
    (the compiled code was type-checked against the others and checks their types as it
    runs), in name order."""
    names = sorted(name for name in os.listdir(sources) if name.endswith(".py"))
    return [stamp_line(os.path.join(sources, name)) for name in names]


def manifest_matches(compiled: str, sources: str) -> bool:
    """Whether ``compiled`` holds a manifest that matches the modules in ``sources``."""
    try:
        with open(os.path.join(compiled, MANIFEST), encoding="utf-8") as manifest:
            recorded = manifest.read().splitlines()
        return recorded == stamp_lines(sources)
    except OSError:
        return False


def use_compiled(package_path: list[str]) -> bool:
    """Put the compiled modules first on ``package_path`` when they match the sources."""
    if os.environ.get(PURE_PYTHON_VARIABLE, "0") not in ("", "0"):
        return False
    directory = compiled_dir()
    if not manifest_matches(directory, os.path.dirname(__file__)):
        return False
    package_path.insert(0, directory)
    return True
